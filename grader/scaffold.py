"""``grader new FOLDER``: a new assignment folder that already grades its own master.

The example it starts from is one function, gradient clipping by norm, in the
course's notation: a master notebook in otter's format, ``grading.py`` with a
public and a hidden check and the reference beside them, and ``mistakes.py``
with one catalogued mistake. Every file is meant to be edited.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from grader.errors import UsageError

GRADING = '''"""Grading declaration of {id}: questions, checks, points, tolerances.

Each check is a function name, points, a generator of inputs drawn from the rng it is
given (grading draws them from the class's secret; the self-check ships one preview
draw of the public checks), and a comparator with its tolerance.
"""
import numpy as np

from grader.checks import Assignment, Check, Question, allclose, call

from .mistakes import MISTAKES


def clip_by_norm(g, max_norm):
    """The reference: g scaled down to norm max_norm when it is longer, else g."""
    g = np.asarray(g, dtype=float)
    norm = np.linalg.norm(g)
    return g * (max_norm / norm) if norm > max_norm else g.copy()


def long_gradients(rng):
    return [call("clip_by_norm", rng.standard_normal(shape) * 10, float(rng.uniform(0.5, 2)))
            for shape in [(3,), (2, 2), (5,)]]


def short_and_long(rng):
    return [call("clip_by_norm", rng.standard_normal(4) * scale, float(rng.uniform(0.5, 2)))
            for scale in (1e-3, 0.1, 10.0, 1e3)]


ASSIGNMENT = Assignment(
    id="{id}",
    version="1",
    title="{title}",
    questions=(
        Question("clip", "Gradient clipping", (
            Check("clip: long gradients", "clip_by_norm", 1, long_gradients,
                  allclose(rtol=1e-9, atol=1e-12), public=True,
                  description="gradients longer than max_norm come back with norm max_norm"),
            Check("clip: hidden short and long", "clip_by_norm", 1, short_and_long,
                  allclose(rtol=1e-9, atol=1e-12),
                  description="short gradients unchanged, long ones scaled down"),
        )),
    ),
    reference={{"clip_by_norm": clip_by_norm}},
    mistakes=MISTAKES,
    functions=("clip_by_norm",),
)
'''

MISTAKES = '''"""Known mistakes of {id}: wrong implementations with a name and a hint.

When a student's outputs match an entry on every case of a failed check, the
feedback names it. Add an entry to teach the grader a new misconception.
"""
import numpy as np

from grader.checks import Mistake


def clip_each_coordinate(g, max_norm):
    return np.clip(g, -max_norm, max_norm)


MISTAKES = (
    Mistake("clip_by_norm", "each coordinate clipped instead of the norm",
            "scale the whole vector: g * max_norm / ||g|| when ||g|| > max_norm",
            clip_each_coordinate),
)
'''

SOLUTION = '''def clip_by_norm(g, max_norm):
    """g, scaled down so that its norm is at most max_norm."""
    # BEGIN SOLUTION
    norm = np.linalg.norm(g)
    return g * (max_norm / norm) if norm > max_norm else np.array(g, dtype=float)
    # END SOLUTION'''

TEST = '''""" # BEGIN TEST CONFIG
points: 1
hidden: {hidden}
""" # END TEST CONFIG
from selfcheck import passes
assert passes("{check}")'''


def scaffold(folder: Path) -> Path:
    """Write the new assignment into ``folder`` (which must not exist); returns it."""
    folder = Path(folder)
    name = folder.name
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise UsageError(f"{name!r} cannot be an assignment id: use letters, digits and _")
    if folder.exists():
        raise UsageError(f"{folder} exists already: choose a new folder")
    folder.mkdir(parents=True)
    title = name.replace("_", " ").capitalize()
    (folder / "grading.py").write_text(GRADING.format(id=name, title=title))
    (folder / "mistakes.py").write_text(MISTAKES.format(id=name))
    nbformat.write(_master(name, title), folder / "master.ipynb")
    (folder / ".gitignore").write_text("dist/\n")
    return folder


def _master(name: str, title: str):
    raw, md, code = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"}, "language_info": {"name": "python"}}
    nb.cells = [
        raw(f"# ASSIGNMENT CONFIG\nname: {name}\ninit_cell: false\ncheck_all_cell: false\n"
            "export_cell: false\nstrip_solutions_from_all_cells: true\n"
            "autograder_files:\n  - selfcheck"),
        md(f"# {title}\n\nGradient clipping keeps one huge gradient from throwing the "
           "parameters far away: when $\\|g\\| > c$, use $g \\cdot c / \\|g\\|$ instead."),
        code("import numpy as np\nfrom selfcheck import check"),
        raw("# BEGIN QUESTION\nname: clip\npoints: 2"),
        code(SOLUTION),
        code('check("clip_by_norm")'),
        raw("# BEGIN TESTS"),
        code(TEST.format(hidden="false", check="clip: long gradients")),
        code(TEST.format(hidden="true", check="clip: hidden short and long")),
        raw("# END TESTS"),
        raw("# END QUESTION"),
    ]
    return nb
