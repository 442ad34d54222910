"""Synthetic classes of Assignment 7 submissions for benchmarks.

``write_class``: code-only notebooks (the student's functions, no
experiments), as the graded part of a real submission: correct ones in
several styles, one per known mistake, and broken ones. Each is a variation
of one correct text.

``write_whole_class``: whole notebooks shaped like the template, with its
experiments and plots: copies of the example class's A7 notebooks (correct,
mistaken, unfinished, broken), all but the one that never finishes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from nbfactory import CORRECT_A7 as CORRECT  # noqa: E402  one correct text for tests and benchmarks

VARIANTS = {
    "correct": [],
    "correct_squares": [("g * g", "g ** 2")],
    "correct_grouped": [("lr * s_hat / (delta + np.sqrt(r_hat))", "(lr / (np.sqrt(r_hat) + delta)) * s_hat")],
    "sgd_ascent": [("theta - lr * g\n", "theta + lr * g\n")],
    "momentum_plus": [("v = alpha * v - lr * g\n", "v = alpha * v + lr * g\n")],
    "nesterov_at_theta": [("grad_fn(theta + alpha * v)", "grad_fn(theta)")],
    "adagrad_no_sum": [("r = r + g * g", "r = g * g")],
    "rmsprop_no_one_minus_rho": [("(1 - rho) * g * g", "g * g")],
    "adam_no_bias_correction": [("s / (1 - rho1 ** t), r / (1 - rho2 ** t)", "s, r")],
    "adam_t_from_zero": [("rho1 ** t), r / (1 - rho2 ** t)", "rho1 ** (t + 1)), r / (1 - rho2 ** (t + 1))")],
    "adam_delta_inside": [("(delta + np.sqrt(r_hat))", "np.sqrt(r_hat + delta)")],
    "adam_rho_swapped": [("rho1 * s + (1 - rho1)", "rho2 * s + (1 - rho2)"),
                         ("rho2 * r + (1 - rho2)", "rho1 * r + (1 - rho1)")],
    "syntax_error": [("def sgd_update(theta, g, lr):", "def sgd_update(theta, g, lr)")],
    "missing_adam": [("def adam_update(", "def adam_updat(")],
    "raises_at_import": [("import numpy as np\n", "import numpy as np\nraise RuntimeError('oops')\n")],
    "returns_nan": [("return theta - lr * g\n", "return theta * np.nan\n")],
}


def write_class(folder: Path, size: int) -> list[Path]:
    """``size`` notebooks cycling through the variants, named so ids are unique."""
    folder.mkdir(parents=True, exist_ok=True)
    names = list(VARIANTS)
    paths = []
    for i in range(size):
        variant = names[i % len(names)]
        source = CORRECT
        for old, new in VARIANTS[variant]:
            assert old in source, (variant, old)
            source = source.replace(old, new)
        nb = nbformat.v4.new_notebook()
        nb.metadata["grader"] = {"assignment": "a7_optimizers", "version": "1"}
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source)]
        path = folder / f"{i:04d}_{variant}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def write_whole_class(folder: Path, size: int) -> list[Path]:
    """``size`` whole notebooks cycling through the example class's A7 notebooks."""
    folder.mkdir(parents=True, exist_ok=True)
    examples = sorted(p for p in (ROOT / "examples" / "submissions" / "a7_optimizers").glob("*.ipynb")
                      if p.stem != "never_finishes")
    paths = []
    for i in range(size):
        source = examples[i % len(examples)]
        path = folder / f"{i:04d}_{source.stem}.ipynb"
        path.write_bytes(source.read_bytes())
        paths.append(path)
    return paths
