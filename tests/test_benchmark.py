"""The speed benchmark's baseline grades in the kernel, as otter and nbgrader do.

Only correctness here: the benchmark itself (benchmarks/grading.py) is timed
by hand, never in a test.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import grading  # noqa: E402
from make_class import write_class  # noqa: E402


def _printed(nb) -> str:
    return "".join(o.get("text", "") for o in nb.cells[-1].outputs)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    correct, _, _, ascent = write_class(tmp_path_factory.mktemp("class"), 4)
    return correct, ascent


def test_graded_baseline_runs_every_check_in_the_kernel(notebooks):
    correct, ascent = notebooks
    passed = _printed(grading.run_in_kernel(correct, graded=True))
    assert "Public and hidden checks" in passed and "FAILED" not in passed, passed
    failed = _printed(grading.run_in_kernel(ascent, graded=True))
    assert "FAILED: sgd_update" in failed and "looks like: " in failed, failed


def test_baseline_refuses_a_grading_cell_that_fails(notebooks, monkeypatch):
    monkeypatch.setattr(grading, "GRADE_CELL", "import selfcheck_nowhere  # {folder}")
    with pytest.raises(RuntimeError, match="grading cell failed: ModuleNotFoundError"):
        grading.run_in_kernel(notebooks[0], graded=True)


def test_whole_notebooks_run_every_cell_and_check_in_the_kernel(tmp_path):
    from make_class import write_whole_class
    paths = write_whole_class(tmp_path, 12)
    assert not any("never_finishes" in p.name for p in paths)
    correct = next(p for p in paths if "correct_as_master" in p.name)
    nb = grading.run_in_kernel(correct, graded=True)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == [] and "Public and hidden checks" in _printed(nb), errors
