"""An assignment is a folder anywhere: loaded by path, built and graded like the built-in ones.

A tutor copies an assignment, changes a point value and a tolerance, and gets
the changed grades; ``grader new`` starts a folder that grades its own
master; a notebook's metadata never makes the grader import code; the grader
imports no assignment by name.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import assignments
from grader import course
from grader.errors import UsageError

import nbfactory

ROOT = Path(assignments.__file__).parent
PROJECT = ROOT.parent
GRADER = [sys.executable, "-m", "grader.cli"]


def run(*args, cwd=None):
    return subprocess.run(GRADER + [str(a) for a in args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def _rows(out: Path) -> dict:
    import csv
    with open(out / "grades.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def test_a_new_assignment_grades_its_master_and_its_template(tmp_path):
    folder = tmp_path / "course" / "clipping"
    assert run("new", folder).returncode == 0
    master = run("grade", folder / "master.ipynb", "--assignment", folder, "--out",
                 tmp_path / "m", "--quiet")
    assert master.returncode == 0, master.stderr
    assert _rows(tmp_path / "m")["master"]["score"] == "2"
    built = run("assign", folder)
    assert built.returncode == 0, built.stderr
    template = folder / "dist" / "student" / "clipping.ipynb"
    wrong = nbformat.read(template, as_version=4)
    for cell in wrong.cells:
        cell.source = cell.source.replace(
            'raise NotImplementedError("clip_by_norm: write your code here")',
            "return np.clip(g, -max_norm, max_norm)")
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(template, subs / "untouched.ipynb")
    nbformat.write(wrong, subs / "coordinates.ipynb")
    graded = run("grade", subs, "--assignment", folder, "--out", tmp_path / "out", "--quiet")
    assert graded.returncode == 0, graded.stderr
    rows = _rows(tmp_path / "out")
    assert rows["untouched"]["score"] == "0" and rows["untouched"]["status"] == "graded"
    assert rows["coordinates"]["score"] == "0"
    assert "each coordinate clipped" in (tmp_path / "out" / "feedback" / "coordinates.md").read_text()
    # The journal remembers the folder: the reports rebuild without --assignment.
    assert run("report", tmp_path / "out", "--quiet").returncode == 0
    shutil.move(str(folder), str(tmp_path / "moved"))
    gone = run("report", tmp_path / "out", "--quiet")
    assert gone.returncode == 2 and "--assignment" in gone.stderr
    assert run("report", tmp_path / "out", "--quiet", "--assignment",
               tmp_path / "moved").returncode == 0


def _edit(path: Path, old: str, new: str, count: int = 1):
    text = path.read_text()
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count))


def copy_a7_with_other_points_and_tolerance(source: Path, copy: Path) -> None:
    """A7 copied to ``copy``: SGD's single steps 3 points instead of 1 (grading.py and the
    master's test), and a looser tolerance for single steps everywhere (1e-3, not 1e-6)."""
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    _edit(copy / "grading.py", 'Check(f"{name}: single steps", name, 1,',
          'Check(f"{name}: single steps", name, 3 if name == "sgd_update" else 1,')
    _edit(copy / "grading.py", "STEP = allclose(rtol=1e-6, atol=1e-12)",
          "STEP = allclose(rtol=1e-3, atol=1e-12)")
    nb = nbformat.read(copy / "master.ipynb", as_version=4)
    test = next(c for c in nb.cells if 'passes("sgd_update: single steps")' in c.source)
    test.source = test.source.replace("points: 1", "points: 3")
    question = next(c for c in nb.cells if c.cell_type == "raw" and "name: sgd\n" in c.source)
    question.source = re.sub(r"points: \d+", "points: 7", question.source)
    nbformat.write(nb, copy / "master.ipynb")


def slightly_off_sgd(folder: Path) -> None:
    """A correct A7 notebook whose SGD steps are off by 1e-5: between the two tolerances."""
    off = nbfactory.CORRECT_A7.replace("return theta - lr * g", "return theta - lr * g * (1 + 1e-5)")
    nbfactory.write(folder, "slightly_off", nbfactory.notebook(off))


def assert_changed_grades(builtin: dict, copied: dict) -> None:
    assert (builtin["max_score"], copied["max_score"]) == ("30", "32")
    # Off by 1e-5: fails the step checks at rtol 1e-6 and passes them at 1e-3: the public
    # single steps (now 3 points) and the hidden steps (1 point).
    assert float(copied["sgd"]) - float(builtin["sgd"]) == 3 + 1


def test_a_copied_assignment_with_other_points_and_tolerance_grades_differently(tmp_path):
    copy = tmp_path / "a7_copy"
    copy_a7_with_other_points_and_tolerance(ROOT / "a7_optimizers", copy)
    assert run("assign", copy, "--out", tmp_path / "dist").returncode == 0

    subs = tmp_path / "subs"
    subs.mkdir()
    slightly_off_sgd(subs)
    for ref, out in (("a7_optimizers", "builtin"), (copy, "copy")):
        result = run("grade", subs, "--assignment", ref, "--out", tmp_path / out, "--quiet",
                     "--secret", "s")
        assert result.returncode == 0, result.stderr
    assert_changed_grades(_rows(tmp_path / "builtin")["slightly_off"],
                          _rows(tmp_path / "copy")["slightly_off"])


def test_metadata_names_an_id_and_never_makes_the_grader_import_code(tmp_path):
    trap = tmp_path / "trap"
    trap.mkdir()
    marker = tmp_path / "imported"
    (trap / "grading.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, named in (("path", str(trap)), ("relative", "../trap")):
        nbfactory.write(subs, student, nbfactory.notebook("x = 1", assignment=named))
    result = run("grade", subs, "--out", tmp_path / "out", "--quiet", cwd=tmp_path / "subs")
    assert result.returncode == 2 and "--assignment" in result.stderr
    assert not marker.exists()


def test_unknown_assignments_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="unknown assignment"):
        course.locate("no_such_assignment")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no grading.py"):
        course.locate(tmp_path / "empty")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "grading.py").write_text("raise ValueError('oops')\n")
    with pytest.raises(UsageError, match="does not load: ValueError: oops"):
        course.load(broken)


def test_the_grader_imports_no_assignment():
    sources = {p: p.read_text() for p in (PROJECT / "grader").rglob("*.py")}
    importing = [str(p) for p, text in sources.items()
                 if re.search(r"^\s*(import assignments|from assignments\b)", text, re.M)]
    assert importing == []
    code = ("import sys, grader.cli, grader.grade, grader.assign, grader.reports\n"
            "from grader import course\n"
            "course.load('a7_optimizers')\n"
            "assert 'assignments' not in sys.modules, 'imported'\n")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


A8 = PROJECT / "examples" / "assignments" / "a8_schedules"


def test_the_third_assignment_grades_its_example_class(tmp_path):
    out = tmp_path / "out"
    result = run("grade", PROJECT / "examples" / "submissions" / "a8_schedules",
                 "--assignment", A8, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    rows = _rows(out)
    assert {s: (r["linear"], r["step"], r["score"]) for s, r in rows.items()} == {
        "correct": ("4", "4", "8"), "mistake_no_floor": ("0", "4", "4"),
        "mistake_smooth_steps": ("4", "0", "4"), "untouched": ("0", "0", "0")}
    assert "the rate keeps falling after tau" in (out / "feedback" / "mistake_no_floor.md").read_text()
    # The correct notebook read the shipped lr_finder.csv in the sandbox: no cell failed.
    import json
    record = next(json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()
                  if json.loads(line)["student"] == "correct")
    assert [c for c in record["cells"] if c["error"]] == []


def test_the_third_assignment_bundle_ships_its_file_and_a_working_selfcheck(tmp_path, monkeypatch):
    assert run("assign", A8, "--out", tmp_path).returncode == 0
    student = tmp_path / "student"
    assert (student / "lr_finder.csv").read_bytes() == (A8 / "lr_finder.csv").read_bytes()
    monkeypatch.syspath_prepend(str(student))
    sys.modules.pop("selfcheck", None)
    try:
        import selfcheck
        spec = course.load(A8)
        assert selfcheck.check("step_decay", dict(spec.reference))
        wrong = next(m for m in spec.mistakes if m.function == "step_decay")
        assert not selfcheck.check("step_decay", {"step_decay": wrong.impl})
    finally:
        sys.modules.pop("selfcheck", None)
