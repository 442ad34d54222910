"""A synthetic class of Assignment 7 submissions for benchmarks.

Code-only notebooks (the student's functions, no experiments), as the
graded part of a real submission: correct ones in several styles, one per
known mistake, and broken ones. Each is a variation of one correct text.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

CORRECT = '''import numpy as np

def sgd_update(theta, g, lr):
    return theta - lr * g

def momentum_update(theta, g, v, lr, alpha):
    v = alpha * v - lr * g
    return theta + v, v

def nesterov_update(theta, grad_fn, v, lr, alpha):
    v = alpha * v - lr * grad_fn(theta + alpha * v)
    return theta + v, v

def adagrad_update(theta, g, r, lr, delta=1e-7):
    r = r + g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r

def rmsprop_update(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r

def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat, r_hat = s / (1 - rho1 ** t), r / (1 - rho2 ** t)
    return theta - lr * s_hat / (delta + np.sqrt(r_hat)), s, r

def adamw_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8, weight_decay=0.01):
    return adam_update(theta - lr * weight_decay * theta, g, s, r, t, lr, rho1, rho2, delta)
'''

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
