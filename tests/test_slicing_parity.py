"""A sliced run grades as a full one (--run-all) on the example class and the test
corpora; notebooks whose skipped cells never finish or crash are now graded instead."""
import csv
import shutil
from pathlib import Path

import pytest

import assignments
from grader.checks.secret import Secret
from grader.execute import Limits
from grader.grade import grade
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, notebook, write
from test_bad_inputs import CORPUS as BAD_INPUTS
from test_hostile import CORPUS as HOSTILE

EXAMPLES = Path(assignments.__file__).parent.parent / "examples" / "submissions"
FULL = {"a7_optimizers": 35.0, "a6_batching": None}
#: Corpus -> the students whose endless or crashing cell defines nothing graded:
#: graded in a slice, timed out or ended in full.
DIFFER = {"a6_batching": {"never_finishes"}, "a7_optimizers": {"never_finishes"},
          "bad_inputs": {"loop_top_level", "os_exit"},
          "hostile": {"loop_top_level", "os_exit"}}  # (memory_hog rebinds np: it runs)


def _corpus(name, folder):
    if name in assignments.NAMES:
        for path in (EXAMPLES / name).glob("*.ipynb"):
            shutil.copy(path, folder / path.name)
        return name
    corpus = BAD_INPUTS if name == "bad_inputs" else HOSTILE
    for student, (nb, *_rest) in corpus.items():
        write(folder, student, notebook(*nb) if name == "hostile" else nb)
    return "a7_optimizers"


def _rows(out):
    with open(out / "grades.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


@pytest.mark.parametrize("name", list(DIFFER))
def test_sliced_and_full_runs_give_the_same_grades(name, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    assignment = _corpus(name, folder)
    # Room for the memory hog to reach its limit on a busy machine before the time limit.
    limits = Limits(timeout=15 if name == "hostile" else 8, call_timeout=1, memory=2 ** 30)
    same = Secret(b"one draw for both runs")  # a mistake's grade may depend on the draw
    _, sliced, out = grade(folder, tmp_path / "sliced",
                           GradeOptions(assignment=assignment, jobs=2, limits=limits, secret=same))
    _, full, full_out = grade(folder, tmp_path / "full",
                              GradeOptions(assignment=assignment, jobs=2, limits=limits,
                                           run_all=True, secret=same))
    rows, full_rows = _rows(out), _rows(full_out)
    differ = {s for s in rows if rows[s] != full_rows[s]}
    assert differ == DIFFER[name], {s: [(r["status"], r["score"], r["reason"])
                                        for r in (rows[s], full_rows[s])] for s in differ}
    for student in differ:
        assert rows[student]["status"] == "graded", rows[student]
        assert full_rows[student]["status"] in ("timeout", "error", "memory"), full_rows[student]
        assert rows[student]["score"] == rows[next(s for s in rows if s.startswith("correct"))]["score"]
    assert all(not r.skipped_cells for r in full)
    if name in assignments.NAMES:  # real notebooks: experiments and plots are left out
        by_student = {r.student: r for r in sliced}
        assert len(by_student["correct_as_master"].skipped_cells) >= 8


def test_resume_with_run_all_runs_every_cell_of_a_sliced_result(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    write(folder, "ann", notebook("import numpy as np", "print('an experiment')", CORRECT_A7))
    _, (sliced,), out = grade(folder, tmp_path / "out",
                              GradeOptions(assignment="a7_optimizers", jobs=1))
    _, (again,), _ = grade(folder, out,
                           GradeOptions(assignment="a7_optimizers", jobs=1, resume=True))
    _, (full,), _ = grade(folder, out,
                          GradeOptions(assignment="a7_optimizers", jobs=1, resume=True,
                                       run_all=True))
    assert sliced.skipped_cells == again.skipped_cells == [1]
    assert full.skipped_cells == [] and full.run_all is True
