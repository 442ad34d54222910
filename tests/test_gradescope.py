"""The Gradescope autograder zip: built, unpacked into a root laid out like
/autograder, and run on correct, mistaken, hostile and unreadable submissions."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from install import ROOT, clean_env, fresh_venv
from nbfactory import notebook

CLASS = ROOT / "examples" / "submissions" / "a7_optimizers"
TIMEOUT = 10

# Gradescope's documented results.json (gradescope-autograders.readthedocs.io, specs).
TOP = {"score", "execution_time", "output", "output_format", "visibility", "stdout_visibility",
       "extra_data", "tests", "leaderboard", "test_output_format", "test_name_format"}
TEST = {"name", "name_format", "number", "score", "max_score", "status", "output",
        "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def validate(results: dict) -> None:
    assert set(results) <= TOP, set(results) - TOP
    assert isinstance(results["score"], (int, float))
    assert isinstance(results["output"], str)
    assert results["output_format"] in FORMATS
    assert results.get("visibility", "visible") in VISIBILITY
    assert results.get("stdout_visibility", "visible") in VISIBILITY
    assert isinstance(results["tests"], list)
    for test in results["tests"]:
        assert set(test) <= TEST, set(test) - TEST
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert test["output_format"] in FORMATS and test["visibility"] in VISIBILITY
        assert isinstance(test["number"], str) and all(isinstance(t, str) for t in test["tags"])


@pytest.fixture(scope="module")
def autograder():
    """The zip, and a venv where its wheel is installed as setup.sh installs it,
    in a folder every user may enter (pytest's own are root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="gradescope-test-"))
    base.chmod(0o755)
    yield from _built(base)
    shutil.rmtree(base, ignore_errors=True)


def _built(base):
    zipped = base / "autograder.zip"
    run = subprocess.run([sys.executable, "-m", "grader.cli", "gradescope", "a7_optimizers",
                          "--out", str(zipped), "--timeout", str(TIMEOUT)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(zipped) as z:
        wheels = [n for n in z.namelist() if n.endswith(".whl")]
        assert len(wheels) == 1 and "/" not in wheels[0]
        z.extract(wheels[0], base)
    # The system's Python, as on Gradescope: one every user may run.
    python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else None
    yield zipped, fresh_venv(base / "venv", base / wheels[0], python)


def unpack(zipped: Path, root: Path, submission: dict, metadata=None) -> Path:
    """A root laid out like /autograder: source/, run_autograder, submission/."""
    with zipfile.ZipFile(zipped) as z:
        z.extractall(root / "source")
        for info in z.infolist():  # the executable bits, as Gradescope keeps them
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, mode)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, data in submission.items():
        (root / "submission" / name).write_bytes(data)
    if metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    return root


def run_autograder(root: Path, bin_folder: Path, path_first: Path | None = None,
                   grader: str | None = None) -> dict:
    env = clean_env(bin_folder)
    env["AUTOGRADER_ROOT"] = str(root)
    if path_first:
        env["PATH"] = f"{path_first}{os.pathsep}{env['PATH']}"
    if grader:
        env["GRADER"] = grader
    run = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=6 * TIMEOUT + 60)
    assert run.returncode == 0, run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    return results


def expected(name: str, out: Path, zipped: Path):
    """The same notebook through grader grade, in this process, with the zip's secret."""
    from grader.checks.secret import FILE_NAME, Secret
    from grader.grade import grade
    from grader.options import GradeOptions

    out.mkdir(parents=True)
    (out / FILE_NAME).write_bytes(zipfile.ZipFile(zipped).read(FILE_NAME))
    _, records, _ = grade(CLASS / f"{name}.ipynb", out,
                          GradeOptions(secret=Secret.load_or_create(out / FILE_NAME)))
    return records[0]


def test_zip_has_the_scripts_at_its_root(autograder):
    zipped, _ = autograder
    with zipfile.ZipFile(zipped) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "optigrade.json", "inputs.secret",
                "a7_optimizers/grading.py", "a7_optimizers/master.ipynb"} <= names
        for script in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(z.getinfo(script).external_attr >> 16) & 0o111
            assert z.read(script).startswith(b"#!/usr/bin/env bash\n")
        config = json.loads(z.read("optigrade.json"))
    assert config["assignment"] == "a7_optimizers" and config["limits"]["timeout"] == TIMEOUT
    for script in ("setup.sh", "run_autograder"):
        check = subprocess.run(["bash", "-n", "-c", zipfile.ZipFile(zipped).read(script).decode()])
        assert check.returncode == 0


ISOLATIONS = {"bubblewrap": None, "user": "fake-bwrap"}


@pytest.fixture(params=sorted(ISOLATIONS))
def isolation(request, tmp_path):
    """bubblewrap as installed, or a bwrap that cannot create namespaces, as in
    a container without privileges (the grader then falls back to a user)."""
    if ISOLATIONS[request.param] is None:
        return request.param, None
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    return request.param, fake


@pytest.mark.parametrize("name", ["correct_as_master", "mistake_adam_no_bias_correction"])
def test_graded_as_grader_grade_grades(autograder, isolation, tmp_path, name):
    zipped, bin_folder = autograder
    kind, fake = isolation
    meta = {"users": [{"name": "Ada Lovelace", "id": 4242, "email": "ada@example.org"}]}
    root = unpack(zipped, tmp_path / "autograder",
                  {f"{name}.ipynb": (CLASS / f"{name}.ipynb").read_bytes()}, meta)
    results = run_autograder(root, bin_folder, fake)
    want = expected(name, tmp_path / "expected", zipped)
    assert results["score"] == want.score and want.status == "graded"
    assert [(t["name"], t["score"]) for t in results["tests"]] == \
        [(c.name, c.points) for c in want.checks]
    assert "Ada Lovelace (4242)" in results["output"]
    hidden = [t for t in results["tests"] if t["visibility"] == "after_published"]
    assert hidden and all(t["output_format"] == "md" for t in results["tests"])
    isolation_held = results["extra_data"]["isolation"]
    assert isolation_held.startswith("bubblewrap" if kind == "bubblewrap" else "unprivileged user")
    if name.startswith("mistake"):
        assert results["score"] < sum(t["max_score"] for t in results["tests"])
        assert any("Looks like" in t["output"] for t in results["tests"])


def test_hostile_submission_cannot_write_its_results(autograder, isolation, tmp_path):
    """An endless loop that first tries to write a perfect results.json and to
    read the hidden checks' data."""
    zipped, bin_folder = autograder
    _, fake = isolation
    root = tmp_path / "autograder"
    forged = json.dumps({"score": 1000, "output": "forged", "tests": []})
    code = (f"import glob, os, sys\nroot = {str(root)!r}\n"
            "for target in (root + '/results/results.json', root + '/results/forged.json'):\n"
            "    try:\n"
            f"        open(target, 'w').write({forged!r})\n"
            "    except OSError:\n        pass\n"
            f"leaked = glob.glob({str(bin_folder.parent)!r} + '/lib/*/site-packages/assignments/*/selfcheck/all.bin')\n"
            "leaked += glob.glob(root + '/source/*')\n"
            "assert not leaked, leaked\n"
            "while True:\n    pass\n")
    unpack(zipped, root, {"mine.ipynb": json.dumps(notebook(code)).encode()})
    results = run_autograder(root, bin_folder, fake)
    assert results["score"] == 0 and results["extra_data"]["status"] == "timeout"
    assert not (root / "results" / "forged.json").exists()


def test_unreadable_submission_gets_a_result(autograder, tmp_path):
    zipped, bin_folder = autograder
    root = unpack(zipped, tmp_path / "autograder", {"a7_optimizers.ipynb": b"\x00\xffnot json"})
    results = run_autograder(root, bin_folder)
    assert results["score"] == 0 and results["extra_data"]["status"] == "unreadable"
    assert results["tests"] and all(t["status"] == "failed" for t in results["tests"])


@pytest.mark.parametrize("files, says", [({}, "No notebook"),
                                         ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "2 notebooks")])
def test_no_notebook_or_several_get_a_message(autograder, tmp_path, files, says):
    zipped, bin_folder = autograder
    root = unpack(zipped, tmp_path / "autograder", files)
    results = run_autograder(root, bin_folder)
    assert results["score"] == 0 and says in results["output"] and results["tests"] == []


def test_a_link_to_the_autograders_files_is_not_followed(autograder, tmp_path):
    zipped, bin_folder = autograder
    root = unpack(zipped, tmp_path / "autograder", {})
    (root / "submission" / "a7_optimizers.ipynb").symlink_to(root / "source" / "optigrade.json")
    results = run_autograder(root, bin_folder)
    assert results["score"] == 0 and "symbolic link" in results["output"]


def test_fallback_refuses_when_the_user_cannot_run_python(autograder, tmp_path):
    """A Python the students' user may not run would fail every notebook as if
    it were the student's fault: the autograder says so instead of grading."""
    zipped, bin_folder = autograder
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    root = unpack(zipped, tmp_path / "autograder",
                  {"a7_optimizers.ipynb": (CLASS / "correct_as_master.ipynb").read_bytes()})
    base = bin_folder.parent.parent
    base.chmod(0o700)
    try:
        results = run_autograder(root, bin_folder, fake)
    finally:
        base.chmod(0o755)
    assert results["score"] == 0 and results["tests"] == []
    assert "could not grade" in results["output"] and "unprivileged user cannot run" in results["output"]


def test_results_are_written_when_the_grader_cannot_run(autograder, tmp_path):
    zipped, bin_folder = autograder
    root = unpack(zipped, tmp_path / "autograder",
                  {"a7_optimizers.ipynb": (CLASS / "correct_as_master.ipynb").read_bytes()})
    results = run_autograder(root, bin_folder, grader=str(tmp_path / "no-such-grader"))
    assert results["score"] == 0 and "could not grade" in results["output"]


def test_an_assignment_folder_outside_the_package(autograder, tmp_path):
    """A tutor's own folder, with a file its notebook reads, travels in the zip."""
    _, bin_folder = autograder
    folder = ROOT / "examples" / "assignments" / "a8_schedules"
    zipped = tmp_path / "a8.zip"
    run = subprocess.run([sys.executable, "-m", "grader.cli", "gradescope", str(folder),
                          "--out", str(zipped), "--timeout", str(TIMEOUT)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "a8_schedules/lr_finder.csv" in zipfile.ZipFile(zipped).namelist()
    root = unpack(zipped, tmp_path / "autograder",
                  {"mine.ipynb": (folder / "master.ipynb").read_bytes()})
    results = run_autograder(root, bin_folder)
    assert results["extra_data"]["status"] == "graded" and results["tests"]
    assert all(t["status"] == "passed" for t in results["tests"])
