"""--kernel runs notebooks in real Jupyter kernels and gives the same grades."""
import shutil
from pathlib import Path

import pytest

import assignments
from grader.checks.secret import Secret
from grader.execute import Limits
from grader.grade import grade
from grader.options import GradeOptions

EXAMPLES = Path(assignments.__file__).parent.parent / "examples" / "submissions"
# One of each kind of the example class: correct, mistaken, unfinished, broken, endless.
KINDS = ("correct_other_style", "mistake_", "half_finished", "syntax_error", "never_finishes")


@pytest.mark.parametrize("name", assignments.NAMES)
def test_kernel_and_warm_paths_give_identical_grades(name, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for kind in KINDS:
        source = sorted((EXAMPLES / name).glob(f"{kind}*.ipynb"))[0]
        shutil.copy(source, folder / source.name)
    # Room for a kernel's start on a slow or busy machine: only the endless one may time out.
    limits = Limits(timeout=20)
    # Every cell, so that the endless one runs (tests/test_legit_notebooks.py: slices).
    same = Secret(b"one draw for both paths")
    _, _, warm = grade(folder, tmp_path / "warm",
                       GradeOptions(jobs=2, limits=limits, run_all=True, secret=same))
    _, records, kernel = grade(folder, tmp_path / "kernel",
                               GradeOptions(jobs=2, limits=limits, kernel=True, run_all=True,
                                            secret=same))
    assert all(r.isolation == "bubblewrap" for r in records)
    statuses = [(r.student, r.status, r.reason) for r in records]
    assert (kernel / "grades.csv").read_text() == (warm / "grades.csv").read_text(), statuses
    assert {r.status for r in records} == {"graded", "timeout"}
