"""The bad-input corpus: each broken submission gets its row and a clear status,
and the correct submission graded beside them still gets full marks."""
import csv

import pytest

from grader.execute import Limits
from grader.grade import grade
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, notebook, old_nbformat_v3, write

FULL = 35.0  # 30 and the AdamW bonus
CORPUS = {
    # student: (notebook or bytes, expected status, expected score, text expected in the reason)
    "correct": (notebook(CORRECT_A7), "graded", FULL, ""),
    "not_json": (b"\x00\x01 this is not json", "unreadable", 0, "not JSON"),
    "json_not_notebook": (b'{"hello": "world"}', "unreadable", 0, "notebook fields"),
    "broken_schema": (b'{"nbformat": 4, "nbformat_minor": 5, "cells": 7, "metadata": {}}',
                      "unreadable", 0, "not a valid notebook"),
    "old_v3": (old_nbformat_v3(CORRECT_A7), "graded", FULL, ""),
    "empty": (notebook(), "graded", 0, ""),
    "other_assignment": (notebook(CORRECT_A7, assignment="a6_batching"), "wrong-assignment", 0,
                         "a6_batching"),
    "missing_function": (notebook(CORRECT_A7.replace("def adam_update", "def adam_updat")),
                         "graded", FULL - 5 - 5, ""),  # adam and adamw (which calls it) fail
    "wrong_signature": (notebook(CORRECT_A7.replace("def sgd_update(theta, g, lr)",
                                                    "def sgd_update(theta, g)")),
                        "graded", FULL - 5, ""),
    "syntax_error": (notebook("def sgd_update(theta, g, lr)\n    return theta"), "graded", 0, ""),
    "import_error": (notebook("import numpy_which_does_not_exist", CORRECT_A7), "graded", FULL, ""),
    "loop_top_level": (notebook(CORRECT_A7, "while True:\n    pass"), "timeout", 0, "cell 2"),
    "loop_in_function": (notebook(CORRECT_A7 + "\ndef sgd_update(theta, g, lr):\n    while True:\n        pass\n"),
                         "graded", FULL - 5, ""),
    "returns_nan": (notebook(CORRECT_A7 + "\ndef sgd_update(theta, g, lr):\n    return theta * np.nan\n"),
                    "graded", FULL - 5, ""),
    "returns_strings": (notebook(CORRECT_A7 + "\ndef rmsprop_update(*a, **k):\n    return 'theta', 'r'\n"),
                        "graded", FULL - 5, ""),
    "returns_none": (notebook(CORRECT_A7 + "\ndef momentum_update(*a, **k):\n    return None\n"),
                     "graded", FULL - 5, ""),
    "wrong_shapes": (notebook(CORRECT_A7 + "\ndef sgd_update(theta, g, lr):\n    return np.zeros(99)\n"),
                     "graded", FULL - 5, ""),
    "pretends_array": (notebook(CORRECT_A7 + '''
class Fake:
    shape = (3,)
    dtype = np.float64
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("gotcha")
    def __eq__(self, other):
        return True
def sgd_update(theta, g, lr):
    return Fake()
'''), "graded", FULL - 5, ""),
    "patches_numpy": (notebook(CORRECT_A7 + '''
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import builtins
builtins.abs = lambda x: 0
def adam_update(*a, **k):
    return 0
'''), "graded", FULL - 10, ""),
    "sys_exit": (notebook(CORRECT_A7, "import sys\nsys.exit(3)"), "graded", FULL, ""),
    "os_exit": (notebook(CORRECT_A7, "import os\nos._exit(1)"), "error", 0, "ended"),
    "input_call": (notebook(CORRECT_A7, "name = input('your name?')"), "graded", FULL, ""),
    # a message UTF-8 cannot encode reaches the feedback files escaped
    "lone_surrogate": (notebook(CORRECT_A7, 'raise ValueError("\\ud800")'), "graded", FULL, ""),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for student, (nb, *_rest) in CORPUS.items():
        write(folder, student, nb)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    spec, records, out = grade(folder, tmp_path_factory.mktemp("out") / "graded",
                               GradeOptions(assignment="a7_optimizers", jobs=2, run_all=True,
                                            limits=Limits(timeout=8, call_timeout=1)))
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return rows, before, after, out


@pytest.mark.parametrize("student", list(CORPUS))
def test_status_and_score(graded, student):
    rows = graded[0]
    _, status, score, reason = CORPUS[student]
    row = rows[student]
    assert (row["status"], float(row["score"])) == (status, score), row
    assert reason in row["reason"]


def test_every_submission_has_exactly_one_row(graded):
    assert sorted(graded[0]) == sorted(CORPUS)


def test_submissions_are_untouched_and_nothing_is_written_beside_them(graded):
    _, before, after, _ = graded
    assert before == after


def test_a_cell_error_is_reported_by_type_and_line_never_by_its_text(graded):
    """Its text comes from the notebook's process (here a lone surrogate, which
    UTF-8 cannot encode): the feedback says the type and the line only."""
    out = graded[3]
    text = (out / "feedback" / "lone_surrogate.md").read_text(encoding="utf-8")
    assert "ValueError raised" in text and "ud800" not in text


def test_cell_errors_reach_the_feedback(graded):
    out = graded[3]
    text = (out / "feedback" / "syntax_error.md").read_text()
    assert "SyntaxError" in text and "cell 1" in text
    text = (out / "feedback" / "import_error.md").read_text()
    assert "ModuleNotFoundError" in text


def test_every_student_gets_results_json(graded):
    import json
    out = graded[3]
    for student in CORPUS:
        data = json.loads((out / "results" / f"{student}.json").read_text())
        assert {"score", "execution_time", "output", "tests"} <= set(data)
        assert all({"name", "score", "max_score", "status", "output", "visibility"} <= set(t)
                   for t in data["tests"])
