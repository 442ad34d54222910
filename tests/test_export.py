"""grader export canvas|moodle: the LMS's own files, in their documented formats,
filled from a graded folder; those files are untrusted input."""
import csv
import io
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grader.cli import main
from grader.record import Record
from install import ROOT

FIXED = ["student", "assignment", "score", "max_score", "status", "reason"]

# Canvas: Grades > Export (columns as in Instructure's guide "How do I export grades
# in the Gradebook?"): the roster, one "Title (id)" column per assignment, read-only
# totals, and the Points Possible row under the header.
CANVAS = """Student,ID,SIS User ID,SIS Login ID,Section,Assignment 7: Optimizers (4711),Quiz 1 (4700),Current Score,Unposted Current Score,Final Score
    Points Possible,,,,,30.00,10.00,(read only),(read only),(read only)
"Lovelace, Ada",101,s101,ada@uni.example,Section A,,8.00,80.00,80.00,26.67
"Hopper, Grace",102,s102,grace@uni.example,Section A,,9.00,90.00,90.00,30.00
"Turing, Alan",103,s103,alan@uni.example,Section B,12.00,7.00,70.00,70.00,23.33
"Student, Test",999,,,Section A,,,,,
"""

# Moodle: assignment > View all submissions > "Download grading worksheet".
MOODLE = """Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,Last modified (submission),Last modified (grade),Feedback comments
Participant 2001,Ada Lovelace,ada@uni.example,Submitted for grading,,30.00,Yes,"Monday, 7 December 2026, 9:00 AM",-,
Participant 2002,Grace Hopper,grace@uni.example,Submitted for grading,,30.00,Yes,"Monday, 7 December 2026, 9:10 AM",-,
Participant 2003,Alan Turing,alan@uni.example,No submission,,30.00,Yes,-,-,
"""


def graded(out, results):
    """A folder as grader grade leaves it: grades.csv and journal.jsonl."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(FIXED + ["adam"])
        for r in results:
            w.writerow([r["student"], "a7_optimizers", r["score"], 30, r["status"], r.get("reason", ""), 0])
    (out / "journal.jsonl").write_text("".join(
        json.dumps(Record(student=r["student"], assignment="a7_optimizers", max_score=30.0,
                          status=r["status"], reason=r.get("reason", ""), score=r["score"],
                          questions={}, checks=[], lms=r.get("lms")).to_json()) + "\n"
        for r in results))
    return out


def canvas_id(user):
    return {"system": "canvas", "user_id": user, "submission_id": "9" + user, "participant": None,
            "name": "x", "late": False}


def moodle_id(participant):
    return {"system": "moodle", "user_id": None, "submission_id": None, "participant": participant,
            "name": "x", "late": False}


def rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_canvas_fills_the_assignment_column_only(tmp_path, capsys):
    out = graded(tmp_path / "out", [
        {"student": "lovelaceada_101", "score": 25, "status": "graded", "lms": canvas_id("101")},
        {"student": "hoppergrace_102", "score": 0, "status": "unreadable", "reason": "not JSON",
         "lms": canvas_id("102")},
        {"student": "noetheremmy_555", "score": 30, "status": "graded", "lms": canvas_id("555")}])
    (tmp_path / "export.csv").write_text(CANVAS)
    assert main(["export", "canvas", str(out), "--gradebook", str(tmp_path / "export.csv")]) == 0
    before, after = rows(tmp_path / "export.csv"), rows(out / "canvas-import.csv")
    assert after[0] == before[0] and after[1] == before[1]  # every column, Points Possible
    column = before[0].index("Assignment 7: Optimizers (4711)")
    assert after[2][column] == "25.00"
    for i, row in enumerate(after):  # everything else exactly as exported
        assert [c for j, c in enumerate(row) if not (i == 2 and j == column)] == \
               [c for j, c in enumerate(before[i]) if not (i == 2 and j == column)]
    said = capsys.readouterr().out
    assert "noetheremmy_555" in said and "matching no one" in said
    assert "hoppergrace_102 (unreadable: not JSON)" in said


def test_canvas_falls_back_to_the_student_id_and_takes_a_chosen_column(tmp_path):
    out = graded(tmp_path / "out", [{"student": "103", "score": 17.5, "status": "timeout"}])
    (tmp_path / "export.csv").write_text(CANVAS)
    assert main(["export", "canvas", str(out), "--gradebook", str(tmp_path / "export.csv"),
                 "--column", "Quiz 1 (4700)"]) == 0
    after = rows(out / "canvas-import.csv")
    assert after[4][6] == "17.50" and after[4][5] == "12.00"


def test_canvas_refuses_an_unknown_column(tmp_path, capsys):
    out = graded(tmp_path / "out", [{"student": "103", "score": 1, "status": "graded"}])
    (tmp_path / "export.csv").write_text(CANVAS)
    assert main(["export", "canvas", str(out), "--gradebook", str(tmp_path / "export.csv"),
                 "--column", "Final Score"]) == 2
    assert "Quiz 1 (4700)" in capsys.readouterr().err
    assert not (out / "canvas-import.csv").exists()


def test_moodle_fills_grade_and_feedback(tmp_path, capsys):
    out = graded(tmp_path / "out", [
        {"student": "Ada Lovelace_2001", "score": 35, "status": "graded", "lms": moodle_id("2001")},
        {"student": "Grace Hopper_2002", "score": 21, "status": "graded", "lms": moodle_id("2002")},
        {"student": "Emmy Noether_2999", "score": 30, "status": "graded", "lms": moodle_id("2999")},
        {"student": "lovelaceada_101", "score": 30, "status": "graded", "lms": canvas_id("2003")}])
    (tmp_path / "worksheet.csv").write_text(MOODLE)
    assert main(["export", "moodle", str(out), "--worksheet", str(tmp_path / "worksheet.csv")]) == 0
    before, after = rows(tmp_path / "worksheet.csv"), rows(out / "moodle-import.csv")
    header = after[0]
    assert header == before[0] and len(after) == len(before)
    grade, comments = header.index("Grade"), header.index("Feedback comments")
    assert after[1][grade] == "30.00" and "35 / 30" in after[1][comments]  # Moodle's maximum
    assert after[2][grade] == "21.00" and after[2][comments].startswith("Autograded: 21 / 30")
    assert after[3] == before[3]  # no submission: as it was
    said = capsys.readouterr().out
    assert "Emmy Noether_2999" in said and "lovelaceada_101" in said  # never guessed
    assert "Ada Lovelace_2001 (35 > 30)" in said


def test_moodle_falls_back_to_the_student_id(tmp_path):
    out = graded(tmp_path / "out", [{"student": "Participant 2003", "score": 9, "status": "graded"}])
    (tmp_path / "worksheet.csv").write_text(MOODLE)
    assert main(["export", "moodle", str(out), "--worksheet", str(tmp_path / "worksheet.csv")]) == 0
    assert rows(out / "moodle-import.csv")[3][4] == "9.00"


BAD = {
    "not UTF-8": b"Student,ID\n\xff\xfe\x00garbage\n",
    "no roster columns": b"Name,Points\nAda,3\n",
    "a row longer than the header": CANVAS.replace("Section B,", "Section B,1,2,3,4,5,6,").encode(),
    "bad quoting": b'Student,ID,SIS User ID,SIS Login ID,Section\n"Ada,1\n',
    "empty": b"",
}


@pytest.mark.parametrize("problem", sorted(BAD))
@pytest.mark.parametrize("lms", ["canvas", "moodle"])
def test_bad_files_are_a_usage_error(tmp_path, problem, lms):
    out = graded(tmp_path / "out", [{"student": "101", "score": 1, "status": "graded"}])
    (tmp_path / "in.csv").write_bytes(BAD[problem])
    flag = "--gradebook" if lms == "canvas" else "--worksheet"
    run = subprocess.run([sys.executable, "-m", "grader.cli", "export", lms, str(out), flag,
                          str(tmp_path / "in.csv")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.startswith("grader: ") and "Traceback" not in run.stderr


def test_a_folder_never_graded_is_a_usage_error(tmp_path):
    (tmp_path / "export.csv").write_text(CANVAS)
    assert main(["export", "canvas", str(tmp_path), "--gradebook", str(tmp_path / "export.csv")]) == 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400),
                      st.lists(st.lists(st.text(max_size=12), max_size=8), max_size=6).map(
                          lambda t: "\n".join(",".join(r) for r in t).encode()),
                      st.sampled_from([CANVAS, MOODLE]).flatmap(
                          lambda s: st.integers(0, len(s)).map(lambda n: s[:n].encode()))),
       lms=st.sampled_from(["canvas", "moodle"]))
def test_any_file_gives_an_import_or_a_usage_error(tmp_path, data, lms):
    out = graded(tmp_path / "out", [{"student": "101", "score": 1, "status": "graded",
                                     "lms": canvas_id("101")}])
    (tmp_path / "in.csv").write_bytes(data)
    (out / f"{lms}-import.csv").unlink(missing_ok=True)
    flag = "--gradebook" if lms == "canvas" else "--worksheet"
    code = main(["export", lms, str(out), flag, str(tmp_path / "in.csv")])
    assert code in (0, 2)
    assert (out / f"{lms}-import.csv").exists() == (code == 0)
