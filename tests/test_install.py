"""The wheel installs like any other package and grades like the editable install."""
import csv
import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from install import ROOT, build_wheel, clean_env, fresh_venv



@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    wheel = build_wheel(base / "wheel")
    return wheel, fresh_venv(base / "venv", wheel)


def test_licence_is_an_spdx_string():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"


def test_wheel_holds_every_file_the_assignments_read(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in sorted((ROOT / "assignments").glob("a*_*")):
        tracked = subprocess.run(["git", "ls-files", str(folder)], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.split()
        assert tracked
        missing = [p for p in tracked if p not in names]
        assert not missing, missing


# The example class of a built-in assignment, and of a tutor's folder copied outside
# the repository (it ships a file its notebooks read).
CLASSES = {"built-in a7": ("a7_optimizers", None),
           "folder a8": ("a8_schedules", ROOT / "examples" / "assignments" / "a8_schedules")}


@pytest.mark.parametrize("which", sorted(CLASSES))
def test_installed_grader_grades_like_the_editable_one(installed, tmp_path, which):
    _, bin_folder = installed
    name, folder = CLASSES[which]
    submissions = tmp_path / "class"
    shutil.copytree(ROOT / "examples" / "submissions" / name, submissions)
    extra = ["--timeout", "10", "--quiet", "--secret", "same inputs"]
    if folder is not None:
        shutil.copytree(folder, tmp_path / name)
        extra += ["--assignment", str(tmp_path / name)]
    env = clean_env(bin_folder)
    run = subprocess.run([str(bin_folder / "grader"), "grade", str(submissions), "--out",
                          str(tmp_path / "wheel"), *extra],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    where = subprocess.run([str(bin_folder / "python"), "-c", "import grader; print(grader.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert str(bin_folder.parent) in where.stdout and str(ROOT) not in where.stdout
    editable = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(submissions), "--out",
                               str(tmp_path / "editable"), *extra],
                              cwd=ROOT, capture_output=True, text=True)
    assert editable.returncode == 0, editable.stderr
    wheel_csv = (tmp_path / "wheel" / "grades.csv").read_text()
    assert wheel_csv == (tmp_path / "editable" / "grades.csv").read_text()
    assert isolations(tmp_path / "wheel") == isolations(tmp_path / "editable")
    assert ",graded," in wheel_csv and "internal" not in wheel_csv


def test_installed_assign_runs(installed, tmp_path):
    _, bin_folder = installed
    run = subprocess.run([str(bin_folder / "grader"), "assign", "--help"], cwd=tmp_path,
                         env=clean_env(bin_folder), capture_output=True, text=True)
    assert run.returncode == 0 and "usage: grader assign" in run.stdout, run.stderr


def test_installed_grader_grades_a_copied_assignment_with_its_edits(installed, tmp_path):
    """A tutor with only the installed package copies A7 out of it, gives SGD's single
    steps 3 points and every single step a tolerance of 1e-3, builds the bundle and
    grades: the copy's grades, not the built-in ones."""
    from test_course import (assert_changed_grades, copy_a7_with_other_points_and_tolerance,
                             slightly_off_sgd)

    _, bin_folder = installed
    env = clean_env(bin_folder)

    def grader(*args):
        done = subprocess.run([str(bin_folder / "grader"), *map(str, args)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return done

    shipped = subprocess.run([str(bin_folder / "python"), "-c",
                              "from grader import course; print(course.builtin_root())"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    builtin = Path(shipped.stdout.strip()) / "a7_optimizers"
    assert str(bin_folder.parent) in str(builtin) and str(ROOT) not in str(builtin)
    copy = tmp_path / "course" / "a7_optimizers"
    copy_a7_with_other_points_and_tolerance(builtin, copy)
    grader("assign", copy)
    template = nbformat.read(copy / "dist" / "student" / "a7_optimizers.ipynb", as_version=4)
    assert template.metadata["grader"]["assignment"] == "a7_optimizers"
    subs = tmp_path / "subs"
    subs.mkdir()
    slightly_off_sgd(subs)
    rows = {}
    for ref, out in (("a7_optimizers", "builtin"), (copy, "copy")):
        grader("grade", subs, "--assignment", ref, "--out", tmp_path / out, "--quiet",
               "--secret", "s")
        with open(tmp_path / out / "grades.csv", newline="") as f:
            rows[out] = next(r for r in csv.DictReader(f) if r["student"] == "slightly_off")
    assert_changed_grades(rows["builtin"], rows["copy"])


def isolations(out):
    return {json.loads(line)["isolation"] for line in (out / "journal.jsonl").read_text().splitlines()}


def test_installed_grader_ships_itself_to_gradescope(installed, tmp_path):
    """Without a source checkout, the autograder's wheel is repacked from the
    installed files: the same files as the wheel they came from."""
    wheel, bin_folder = installed
    zipped = tmp_path / "autograder.zip"
    run = subprocess.run([str(bin_folder / "grader"), "gradescope", "a7_optimizers", "--out",
                          str(zipped)], cwd=tmp_path, env=clean_env(bin_folder),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(zipped) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".whl")]
        assert name == wheel.name
        z.extract(name, tmp_path)
    original, repacked = zipfile.ZipFile(wheel), zipfile.ZipFile(tmp_path / name)
    assert set(original.namelist()) == set(repacked.namelist())
    for member in original.namelist():
        if not member.endswith("/RECORD"):
            assert original.read(member) == repacked.read(member), member
    again = fresh_venv(tmp_path / "again", tmp_path / name)
    version = subprocess.run([str(again / "grader"), "--version"], env=clean_env(again),
                             cwd=tmp_path, capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("grader "), version.stderr
