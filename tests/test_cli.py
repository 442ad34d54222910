"""The command line as a tutor meets it: exit statuses, outputs, resume after a kill."""
import os
import signal
import subprocess
import sys
import time

import pytest

from nbfactory import CORRECT_A7, notebook, write

GRADER = [sys.executable, "-m", "grader.cli"]


def run(*args, **kw):
    return subprocess.run(GRADER + [str(a) for a in args], capture_output=True, text=True, **kw)


@pytest.fixture
def small_class(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    write(folder, "ann", notebook(CORRECT_A7))
    write(folder, "ben", notebook(CORRECT_A7.replace("theta - lr * g", "theta + lr * g")))
    return folder


def test_version_and_help():
    assert run("--version").stdout.startswith("grader ")
    assert "grade" in run("--help").stdout


@pytest.mark.parametrize("args,needle", [
    (["grade", "/no/such/folder"], "does not exist"),
    (["grade", "{empty}"], "no notebooks"),
    (["grade", "{class}", "--assignment", "a9_nonsense"], "unknown assignment"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, small_class, args, needle):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = [a.format(empty=empty, **{"class": small_class}) for a in args]
    result = run(*args)
    assert result.returncode == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_outputs_and_default_out_folder_beside_path(small_class):
    result = run("grade", small_class, "--quiet", "--junit", small_class.parent / "junit.xml")
    assert result.returncode == 0, result.stderr
    out = small_class.parent / "subs-graded"
    assert (out / "grades.csv").read_text().splitlines()[0].startswith(
        "student,assignment,score,max_score,status,reason,sgd,")
    assert {p.name for p in (out / "results").iterdir()} == {"ann.json", "ben.json"}
    assert "gradient ascent" in (out / "feedback" / "ben.md").read_text()
    junit = (small_class.parent / "junit.xml").read_text()
    assert junit.count("<testcase") == 2 * 35 and "<failure" in junit
    assert sorted(p.name for p in small_class.iterdir()) == ["ann.ipynb", "ben.ipynb"]


def test_fail_under(small_class, tmp_path):
    assert run("grade", small_class, "--quiet", "--out", tmp_path / "o1", "--fail-under", 32).returncode == 1
    assert run("grade", small_class / "ann.ipynb", "--quiet", "--out", tmp_path / "o2",
               "--fail-under", 32).returncode == 0


def test_out_inside_submissions_is_refused(small_class):
    result = run("grade", small_class, "--out", small_class / "graded")
    assert result.returncode == 2 and "inside the submissions" in result.stderr


def test_zip_of_student_folders(tmp_path, small_class):
    import zipfile
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in small_class.iterdir():
            z.write(p, f"course-download/{p.stem}/submission.ipynb")
    result = run("grade", archive, "--quiet", "--out", tmp_path / "zout")
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "zout" / "grades.csv").read_text().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == ["ann", "ben"]


def test_resume_after_kill_gives_the_same_grades(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    slow = "import time\ntime.sleep(0.6)\n"
    for i in range(6):
        code = CORRECT_A7 if i % 2 else CORRECT_A7.replace("1 - rho1 ** t", "1")
        write(folder, f"s{i}", notebook(slow + code))
    # One secret for both folders: the same inputs, so the same feedback.
    full = run("grade", folder, "--quiet", "--jobs", "1", "--out", tmp_path / "full",
               "--secret", "t")
    assert full.returncode == 0, full.stderr

    out = tmp_path / "killed"
    proc = subprocess.Popen(GRADER + ["grade", str(folder), "--quiet", "--jobs", "1", "--out", str(out),
                                      "--secret", "t"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
            journal.exists() and len(journal.read_text().splitlines()) >= 2):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(journal.read_text().splitlines())
    assert 2 <= finished < 6
    assert not (out / "grades.csv").exists()

    resumed = run("grade", folder, "--quiet", "--jobs", "1", "--out", out, "--resume",
                  "--secret", "t")
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "grades.csv").read_bytes() == (tmp_path / "full" / "grades.csv").read_bytes()
    # Finished results were reused, not graded again, and their students' files written again.
    assert len(journal.read_text().splitlines()) == 6
    feedback = {p.name: p.read_bytes() for p in sorted((out / "feedback").iterdir())}
    assert feedback == {p.name: p.read_bytes()
                        for p in sorted((tmp_path / "full" / "feedback").iterdir())}


def test_files_written_during_grading_equal_a_rebuild_from_the_journal(small_class, tmp_path):
    out = tmp_path / "out"

    def files():
        return {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file() and p.name != "journal.jsonl"}
    assert run("grade", small_class, "--quiet", "--out", out).returncode == 0
    graded = files()
    assert {p.parts[0] for p in graded} >= {"results", "feedback", "report", "grades.csv"}
    (out / "results" / "ann.json").write_text("stale")
    assert run("report", out, "--quiet").returncode == 0
    assert files() == graded


def test_resume_grades_faults_of_the_grader_again(tmp_path):
    from grader.journal import Journal
    from grader.record import Record
    key = {"sha256": "abc", "grader_version": "1", "assignment": "a7", "assignment_version": "1"}
    journal = Journal(tmp_path, resume=False)
    for student, reason in (("ours", "internal grader error: OSError: the fork server did not start"),
                            ("theirs", "the notebook's process ended during cell 2")):
        journal.append(Record(student=student, **key, max_score=30.0, status="error",
                              reason=reason, score=0.0, questions={}, checks=[]))
    again = Journal(tmp_path, resume=True)
    assert again.reusable("ours", key) is None
    assert again.reusable("theirs", key).status == "error"
    assert again.reusable("theirs", dict(key, sha256="changed")) is None


def test_resume_keeps_the_files_of_students_graded_before(small_class, tmp_path):
    out = tmp_path / "out"
    assert run("grade", small_class, "--quiet", "--out", out).returncode == 0
    before = (out / "feedback" / "ben.md").read_bytes()
    (small_class / "ben.ipynb").unlink()  # still in the journal, and so in the grades
    assert run("grade", small_class, "--quiet", "--out", out, "--resume").returncode == 0
    assert "ben" in (out / "grades.csv").read_text()
    assert (out / "feedback" / "ben.md").read_bytes() == before
    assert (out / "results" / "ben.json").is_file()


def test_every_student_id_gets_files_of_its_own(tmp_path):
    from grader.reports import safe_name
    ids = ["ann", "a_b", "a\\b", ".hidden", "_.hidden", "100%", "100%25", "x" * 250, "x" * 249 + "y",
           "\udc80bytes", ""]
    names = [safe_name(i) for i in ids]
    assert len(set(names)) == len(ids)
    for name in names:  # each is one valid file name
        assert "/" not in name and "\0" not in name and not name.startswith(".")
        (tmp_path / (name + ".html")).write_text("x")
