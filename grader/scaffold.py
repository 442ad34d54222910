"""``grader new FOLDER``: a new assignment folder that already grades its own master.

The example it starts from is one function, gradient clipping by norm, in the
course's notation: a master notebook in otter's format, ``grading.py`` with a
public and a hidden check and the reference beside them, ``mistakes.py``
with one catalogued mistake, and ``harness.py`` with a comparator of its own,
which both checks name. Every file is meant to be edited.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from grader.errors import UsageError

GRADING = '''"""Grading declaration of {id}: questions, checks, points, tolerances.

Each check is a function name, points, a generator of inputs drawn from the rng it is
given (grading draws them from the class's secret; the self-check ships one preview
draw of the public checks), and a comparator with its tolerance: a generic one
(allclose, equal, raises) or one of harness.py's, named with comparator().
"""
import numpy as np

from grader.checks import Assignment, Check, Question, call, comparator

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
                  comparator("close_in_norm", rtol=1e-9), public=True,
                  description="gradients longer than max_norm come back with norm max_norm"),
            Check("clip: hidden short and long", "clip_by_norm", 1, short_and_long,
                  comparator("close_in_norm", rtol=1e-9),
                  description="short gradients unchanged, long ones scaled down"),
        )),
    ),
    reference={{"clip_by_norm": clip_by_norm}},
    mistakes=MISTAKES,
    functions=("clip_by_norm",),
)
'''

HARNESS = '''"""{id}'s own part of the harness: the comparators and objectives its checks name.

The grader loads this file and sends a copy wherever the checks run: its own
process (where scoring happens), the student's sandbox and the self-check. It
runs in the student's process too: plain numpy, and nothing secret.

A check names a comparator with ``comparator("name", **params)`` (beside the
generic allclose, equal and raises) and, as an argument that becomes a gradient
function, an objective with ``objective("name", **data)``.
"""
import numpy as np

from .compare import Verdict, numeric  # the harness's own, in every place this runs


def close_in_norm(got, want, program, rtol=1e-9):
    """The result within rtol of the expected one as a whole, ||got - want|| <= rtol ||want||,
    where the generic allclose bounds each entry (a tiny entry may then be off by more)."""
    if not got.get("ok"):
        return Verdict(False, None, got.get("error", "failed"))
    g, w = got["out"], want["out"]
    if not numeric(g) or np.shape(g) != np.shape(w):
        return Verdict(False, None, f"result: expected shape {{np.shape(w)}}, got {{type(g).__name__}}")
    error = float(np.linalg.norm(np.subtract(g, w)) / max(np.linalg.norm(w), 1e-300))  # complex too
    if not error <= rtol:  # NaN fails too
        return Verdict(False, error, f"result: relative error {{error:.2e}} exceeds rtol {{rtol:g}}")
    return Verdict(True, error)


COMPARATORS = {{"close_in_norm": close_in_norm}}
# An objective is a factory: the data a check gives it -> a gradient function, e.g.
#     def bowl(A): return lambda theta: A @ theta      with OBJECTIVES = {{"bowl": bowl}}
OBJECTIVES = {{}}
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
    (folder / "harness.py").write_text(HARNESS.format(id=name))
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
