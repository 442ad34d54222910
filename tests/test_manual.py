"""Manual marks for written answers: the blank sheet, a valid merge into every
report, and each kind of malformed sheet refused whole with nothing changed."""
import csv
import io
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from grader.execute import Limits
from grader.grade import grade
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, notebook, write

GRADER = [sys.executable, "-m", "grader.cli"]
HEADER = "student,question,points,comment\n"


def run(*args):
    return subprocess.run(GRADER + [str(a) for a in args], capture_output=True, text=True)


def with_answer(code, answer):
    nb = notebook(code)
    nb.cells.append(nbformat.v4.new_markdown_cell(answer, metadata={"grader": {"answer": "pseudocode"}}))
    return nb


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    write(folder, "ann", with_answer(CORRECT_A7, "for each step: **g** then `theta -= lr * g`"))
    write(folder, "ben", with_answer(CORRECT_A7.replace("theta - lr * g", "theta + lr * g"), "no idea"))
    write(folder, "cat", notebook(CORRECT_A7))
    out = tmp_path_factory.mktemp("graded") / "out"
    grade(folder, out, GradeOptions(jobs=2, limits=Limits(timeout=30)))
    return out


@pytest.fixture
def out(graded_once, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(graded_once, copy)
    return copy


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def grades(out):
    return {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}


def test_grade_writes_a_blank_sheet_and_an_empty_written_column(out):
    assert (out / "manual.csv").read_text() == HEADER + "".join(
        f"{s},pseudocode,,\n" for s in ("ann", "ben", "cat"))
    rows = grades(out)
    assert rows["ann"]["pseudocode"] == "" and rows["ann"]["max_score"] == "30"


def test_a_valid_sheet_is_merged_into_grades_results_and_feedback(out, tmp_path):
    sheet = tmp_path / "marks.csv"
    sheet.write_text(HEADER + 'ann,pseudocode,4.5,"clear, but when is t incremented?"\n'
                              "ben,pseudocode,0,\ncat,pseudocode,,no answer yet\n")
    done = run("report", out, "--manual", sheet, "--quiet")
    assert done.returncode == 0, done.stderr
    assert "merged 2 marks" in done.stdout
    rows = grades(out)
    auto = {"ann": 35.0, "ben": 30.0, "cat": 35.0}
    assert {s: float(r["score"]) for s, r in rows.items()} == {"ann": auto["ann"] + 4.5, "ben": 30.0,
                                                                 "cat": 35.0}
    assert {r["max_score"] for r in rows.values()} == {"35"}  # 30 automatic + 5 written
    assert [rows[s]["pseudocode"] for s in ("ann", "ben", "cat")] == ["4.5", "0", ""]
    results = json.loads((out / "results" / "ann.json").read_text())
    assert results["score"] == 39.5
    test = results["tests"][-1]
    assert test["name"].startswith("written: ") and (test["score"], test["max_score"]) == (4.5, 5)
    assert test["output"] == "clear, but when is t incremented?"
    cat = json.loads((out / "results" / "cat.json").read_text())["tests"][-1]
    assert cat["score"] == 0 and cat["output"] == "not marked yet: no answer yet"
    assert "4.5/5" in (out / "feedback" / "ann.md").read_text()
    # the tutor's own sheet is never overwritten, the blank one in OUT stays as it was
    assert (out / "manual.csv").read_text().startswith(HEADER)
    # rebuilding without --manual gives the automatic grades again
    assert run("report", out, "--quiet").returncode == 0
    assert grades(out)["ann"]["score"] == "35" and grades(out)["ann"]["pseudocode"] == ""


def test_a_filled_sheet_in_out_survives_a_regrade(out, graded_once):
    filled = HEADER + "ann,pseudocode,3,ok\n"
    (out / "manual.csv").write_text(filled)
    assert run("report", out, "--quiet").returncode == 0
    assert (out / "manual.csv").read_text() == filled


def test_a_spreadsheet_with_semicolons_and_decimal_commas(out, tmp_path):
    sheet = tmp_path / "marks.csv"
    sheet.write_bytes("\ufeffstudent;question;points;comment\nann;pseudocode;2,5;gut\n".encode())
    assert run("report", out, "--manual", sheet, "--quiet").returncode == 0
    assert grades(out)["ann"]["pseudocode"] == "2.5"


MALFORMED = {
    "unknown student": (HEADER + "ann,pseudocode,3,\nzed,pseudocode,2,\n",
                        "line 3: unknown student 'zed'"),
    "unknown question": (HEADER + "ann,pseudocode,3,\nann,reflection,1,\n",
                         "line 3: unknown written question 'reflection'"),
    "points above the maximum": (HEADER + "ann,pseudocode,3,\nben,pseudocode,5.5,\n",
                                 "line 3: points 5.5 out of range for pseudocode: 0 to 5"),
    "negative points": (HEADER + "ann,pseudocode,-1,\n",
                        "line 2: points -1 out of range for pseudocode: 0 to 5"),
    "points not a number": (HEADER + "ann,pseudocode,four,\n", "line 2: points 'four' is not a number"),
    "points not finite": (HEADER + "ann,pseudocode,nan,\n", "line 2: points 'nan' is not a number"),
    "two rows for one answer": (HEADER + "ann,pseudocode,3,\nben,pseudocode,1,\nann,pseudocode,4,\n",
                                "line 4: a second row for ann, pseudocode (the first is line 2)"),
    "wrong header": ("name,question,points,comment\nann,pseudocode,3,\n", "line 1: the header must be"),
    "missing field": (HEADER + "ann,pseudocode,3\n", "line 2: 3 fields, expected 4"),
    "empty file": ("", "line 1: the file is empty"),
    "unclosed quote": (HEADER + 'ann,pseudocode,3,"never closed\nben,pseudocode,2,ok\n',
                       "line 2: not valid CSV"),
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_a_malformed_sheet_is_refused_whole_and_changes_nothing(out, tmp_path, kind):
    text, needle = MALFORMED[kind]
    sheet = tmp_path / "marks.csv"
    sheet.write_text(text)
    before = snapshot(out)
    done = run("report", out, "--manual", sheet)
    assert done.returncode == 2
    assert f"grader: marks.csv {needle}" in done.stderr, done.stderr
    assert "nothing merged" in done.stderr
    assert snapshot(out) == before


def test_a_sheet_that_is_not_utf8_is_refused(out, tmp_path):
    sheet = tmp_path / "marks.csv"
    sheet.write_bytes((HEADER + "ann,pseudocode,3,très bien\n").encode("latin-1"))
    before = snapshot(out)
    done = run("report", out, "--manual", sheet)
    assert done.returncode == 2 and "not UTF-8" in done.stderr
    assert snapshot(out) == before


def test_report_needs_a_graded_folder(tmp_path):
    done = run("report", tmp_path)
    assert done.returncode == 2 and "no journal.jsonl" in done.stderr
    missing = run("report", tmp_path / "nope", "--manual", tmp_path / "none.csv")
    assert missing.returncode == 2
