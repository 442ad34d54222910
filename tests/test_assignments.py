"""The assignments: masters earn full marks, templates earn zero without a
crash, bundles regenerate byte for byte and leak no solution, the
self-check is fast and names mistakes, and the example class grades as
its students were written."""
import importlib
import sys
import time
from pathlib import Path

import nbformat
import pytest

import assignments
from grader.assign import assign
from grader.master import (MasterError, check_tests, otter_tests, strip_solutions,
                           student_notebook)
from grader import course
from grader.checks.secret import Secret
from grader.execute import Limits
from grader.grade import grade
from grader.harness import wire
from grader.options import GradeOptions
from checks_helpers import master_solution_lines

ROOT = Path(assignments.__file__).parent
NAMES = assignments.NAMES


def _grade_one(path, name, tmp_path):
    spec, records, _ = grade(path, tmp_path / "out",
                             GradeOptions(assignment=name, jobs=1,
                                          limits=Limits(timeout=60, call_timeout=10)))
    return spec, records[0]


@pytest.mark.parametrize("name", NAMES)
def test_master_scores_full_marks(name, tmp_path):
    spec, record = _grade_one(ROOT / name / "master.ipynb", name, tmp_path)
    assert record.status == "graded", record.reason
    assert [c.index for c in record.cells] == []
    bonus = sum(q.points for q in spec.questions if q.bonus)
    assert record.score == spec.max_score + bonus


@pytest.mark.parametrize("name", NAMES)
def test_template_runs_and_scores_zero(name, tmp_path, bundles):
    spec, record = _grade_one(bundles[name] / f"{name}.ipynb", name, tmp_path)
    assert record.status == "graded" and record.score == 0
    errors = [c.type for c in record.cells]
    # Only experiment cells that call the unimplemented stubs may raise, and only that.
    assert set(errors) <= {"NotImplementedError"}


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def _assigned(name, out, secret=None):
    return assign(course.load(name), out, otter_secret=secret)


@pytest.mark.parametrize("name", NAMES)
def test_the_bundle_is_reproducible_byte_for_byte(name, tmp_path, bundles):
    again = _assigned(name, tmp_path)
    before, after = _files(bundles[name]), _files(again / "student")
    assert after.keys() == before.keys() and Path(f"{name}.ipynb") in after
    assert [str(k) for k in after if after[k] != before[k]] == []
    assert not (again / "otter").exists()  # otter's support package only on request


@pytest.mark.parametrize("name", NAMES)
def test_otter_support_is_reproducible_from_its_secret(name, tmp_path):
    one = _files(_assigned(name, tmp_path / "1", Secret(b"k")) / "otter")
    two = _files(_assigned(name, tmp_path / "2", Secret(b"k")) / "otter")
    other = _files(_assigned(name, tmp_path / "3", Secret(b"other")) / "otter")
    assert one == two and Path("master.ipynb") in one
    assert one[Path("selfcheck/all.bin")] != other[Path("selfcheck/all.bin")]


def test_nothing_generated_is_committed():
    import subprocess
    listed = subprocess.run(["git", "ls-files", "assignments", "grader"], cwd=ROOT.parent,
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed and not [p for p in listed if p.endswith(".bin") or "/dist/" in p
                           or "/student/" in p or "selfcheck/" in p]


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_line_reaches_the_students(name, bundles):
    solution_lines = master_solution_lines(ROOT / name / "master.ipynb")
    assert solution_lines
    bundle = "\n".join(p.read_text(errors="replace") for p in bundles[name].rglob("*")
                       if p.is_file() and p.suffix != ".bin")
    leaked = [l for l in solution_lines if l in bundle]
    assert leaked == []
    text = (bundles[name] / f"{name}.ipynb").read_text().lower()
    assert "hidden" not in text or "hidden checks" in text


@pytest.mark.parametrize("name", NAMES)
def test_only_public_checks_ship_and_their_values_are_the_reference(name, bundles):
    spec = assignments.load(name)
    data = wire.decode((bundles[name] / "selfcheck" / "public.bin").read_bytes())
    public = {c.name for _, c in spec.checks() if c.public}
    assert {c["name"] for c in data["checks"]} == public
    from grader.harness import programs
    for entry in data["checks"]:
        for program, expected in zip(entry["programs"], entry["expected"]):
            fresh = programs.run(program, spec.reference, own=spec.extension)
            assert fresh["ok"] == expected["ok"]
            if fresh["ok"]:
                a, b = fresh["out"], expected["out"]
                assert wire.encode(a) == wire.encode(b)


@pytest.mark.parametrize("name", NAMES)
def test_otter_support_data_holds_every_check_and_the_bundle_only_public(name, tmp_path):
    spec = assignments.load(name)
    copy = _assigned(name, tmp_path, Secret(b"k"))
    every = wire.decode((copy / "otter" / "selfcheck" / "all.bin").read_bytes())
    public = wire.decode((copy / "student" / "selfcheck" / "public.bin").read_bytes())
    assert [c["name"] for c in every["checks"]] == [c.name for _, c in spec.checks()]
    by_name = {c["name"]: c for c in every["checks"]}
    for entry in public["checks"]:  # the same format; the graded draw is not the preview
        graded = by_name[entry["name"]]
        assert graded.keys() == entry.keys()
        assert wire.encode(graded["programs"]) != wire.encode(entry["programs"])
    assert not list((copy / "student").rglob("all.bin"))


@pytest.mark.parametrize("name", NAMES)
def test_master_tests_are_the_checks_of_grading_py(name):
    """One test cell per check, in order, with its points, hidden exactly when the check is."""
    spec = assignments.load(name)
    master = nbformat.read(ROOT / name / "master.ipynb", as_version=4)
    found = {q: v for q, v in otter_tests(master).items() if v["tests"]}
    assert found == {q.name: {"points": q.points,
                              "tests": [(c.name, c.points, not c.public) for c in q.checks]}
                     for q in spec.questions}


def _master_with(name, edit):
    master = nbformat.read(ROOT / name / "master.ipynb", as_version=4)
    edit(master.cells)
    return master


def test_assign_refuses_markdown_delimiters():
    """otter reads a Markdown "# BEGIN TESTS" as a heading and keeps the tests for students."""
    spec = assignments.load("a6_batching")

    def to_markdown(cells):
        cell = next(c for c in cells if c.source.strip() == "# BEGIN TESTS")
        cell.cell_type = "markdown"
    with pytest.raises(MasterError, match="Markdown cell"):
        student_notebook(_master_with("a6_batching", to_markdown), spec)


@pytest.mark.parametrize("edit, message", [
    (lambda src: src.replace("hidden: true", "hidden: false", 1), "!= grading.py"),
    (lambda src: src.replace("points: 1", "points: 2", 1), "!= grading.py"),
    (lambda src: src.replace('passes("batch_size: hidden sizes")', 'passes("batch_size: typo")'),
     "!= grading.py"),
])
def test_assign_refuses_tests_that_differ_from_grading_py(edit, message):
    spec = assignments.load("a6_batching")

    def change(cells):
        cell = next(c for c in cells if 'passes("batch_size: hidden sizes")' in c.source)
        cell.source = edit(cell.source)
    with pytest.raises(MasterError, match=message):
        check_tests(_master_with("a6_batching", change), spec)


def test_a_raw_solution_block_hides_a_written_answer():
    spec = assignments.load("a7_optimizers")
    template = student_notebook(nbformat.read(ROOT / "a7_optimizers" / "master.ipynb", as_version=4),
                                spec)
    answer, = [c for c in template.cells if c.metadata.get("grader", {}).get("answer")]
    assert answer.source == "_Type your answer here._"
    assert not [c for c in template.cells if c.cell_type == "raw"]


def test_strip_solutions_keeps_the_signature():
    src = "def f(x, y=2):\n    \"\"\"Doc.\"\"\"\n    # BEGIN SOLUTION\n    return x + y\n    # END SOLUTION\n"
    out = strip_solutions(src)
    assert out.startswith("def f(x, y=2):\n    \"\"\"Doc.\"\"\"\n")
    assert 'raise NotImplementedError("f: write your code here")' in out and "x + y" not in out
    assert strip_solutions("lr = 0.1  # SOLUTION") == "lr = ..."


def test_selfcheck_beside_the_master_runs_the_hidden_checks_too(monkeypatch, capsys, tmp_path):
    """The otter support package: all.bin, so passes() knows hidden checks."""
    monkeypatch.syspath_prepend(str(_assigned("a7_optimizers", tmp_path, Secret(b"k")) / "otter"))
    sys.modules.pop("selfcheck", None)
    try:
        sc = importlib.import_module("selfcheck")
        spec = assignments.load("a7_optimizers")
        assert sc.passes("adam_update: hidden trajectory", dict(spec.reference))
        wrong = next(m for m in spec.mistakes if m.name == "Adam without bias correction")
        assert not sc.passes("adam_update: hidden trajectory", {"adam_update": wrong.impl})
        report = sc.check("sgd_update", dict(spec.reference))
        assert report and "sgd_update: hidden steps" in str(report)
    finally:
        sys.modules.pop("selfcheck", None)


def test_selfcheck_is_fast_and_names_mistakes(selfcheck, capsys):
    sc = selfcheck("a7_optimizers")
    spec = assignments.load("a7_optimizers")
    sc.check("adam_update", dict(spec.reference))  # warm-up: loads the data once
    start = time.perf_counter()
    assert sc.check("adam_update", dict(spec.reference))
    assert time.perf_counter() - start < 0.05
    wrong = next(m for m in spec.mistakes if m.name == "Adam without bias correction")
    report = sc.check("adam_update", {"adam_update": wrong.impl})
    assert not report
    assert "looks like: Adam without bias correction" in str(report) and "hidden checks" in str(report)
    assert "Adam without bias correction" in report._repr_html_()
    assert capsys.readouterr().out == ""  # shown once, by the notebook, as the returned Report


def test_passes_ignores_what_the_function_prints(selfcheck, capsys):
    """otter's tests are doctests: a debug print would fail a correct function there."""
    sc = selfcheck("a7_optimizers")
    reference = assignments.load("a7_optimizers").reference["sgd_update"]

    def sgd_update(*args, **kwargs):
        print("debugging")
        return reference(*args, **kwargs)
    assert sc.passes("sgd_update: single steps", {"sgd_update": sgd_update})
    assert capsys.readouterr().out == ""


def test_selfcheck_says_not_implemented_in_one_line(selfcheck, capsys):
    sc = selfcheck("a6_batching")

    def batch_size_for(mode, d, b=None):
        raise NotImplementedError("batch_size_for: write your code here")
    report = sc.check("batch_size_for", {"batch_size_for": batch_size_for})
    assert not report
    assert str(report).strip() == "batch_size_for: not implemented yet"


EXPECTED_EXAMPLES = {  # student prefix -> (status, full marks?)
    "correct": ("graded", True), "mistake": ("graded", False), "half_finished": ("graded", False),
    # its endless cell defines nothing graded: not run (tests/test_slicing_parity.py)
    "never_finishes": ("graded", True), "syntax_error": ("graded", False),
}


@pytest.mark.parametrize("name", NAMES)
def test_example_class(name, tmp_path):
    folder = ROOT.parent / "examples" / "submissions" / name
    assert len(list(folder.glob("*.ipynb"))) >= 10
    spec, records, out = grade(folder, tmp_path / "out",
                               GradeOptions(jobs=2, limits=Limits(timeout=10)))
    full = spec.max_score + sum(q.points for q in spec.questions if q.bonus)
    for r in records:
        status, perfect = next(v for k, v in EXPECTED_EXAMPLES.items() if r.student.startswith(k))
        assert r.status == status, (r.student, r.reason)
        assert (r.score == full) == perfect, (r.student, r.score)
        if r.student.startswith("mistake"):
            assert any(c.diagnosis for c in r.checks), r.student
