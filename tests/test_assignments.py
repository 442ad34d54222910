"""The assignments: masters earn full marks, templates earn zero without a
crash, bundles regenerate byte for byte and leak no solution, the
self-check is fast and names mistakes, and the example class grades as
its students were written."""
import csv
import importlib
import re
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

import assignments
from grader.assign import assign, strip_solutions
from grader.execute import Limits
from grader.grade import grade
from grader.harness import wire

ROOT = Path(assignments.__file__).parent
NAMES = assignments.NAMES


def _grade_one(path, name, tmp_path):
    spec, records, _ = grade(path, tmp_path / "out", assignment=name, jobs=1,
                             limits=Limits(timeout=60, call_timeout=10))
    return spec, records[0]


@pytest.mark.parametrize("name", NAMES)
def test_master_scores_full_marks(name, tmp_path):
    spec, record = _grade_one(ROOT / name / "master.ipynb", name, tmp_path)
    assert record["status"] == "graded", record["reason"]
    assert [c["index"] for c in record["cells"] if c["error"]] == []
    bonus = sum(q.points for q in spec.questions if q.bonus)
    assert record["score"] == spec.max_score + bonus


@pytest.mark.parametrize("name", NAMES)
def test_template_runs_and_scores_zero(name, tmp_path):
    spec, record = _grade_one(ROOT / name / "student" / f"{name}.ipynb", name, tmp_path)
    assert record["status"] == "graded" and record["score"] == 0
    errors = [c["error"]["type"] for c in record["cells"] if c["error"]]
    # Only experiment cells that call the unimplemented stubs may raise, and only that.
    assert set(errors) <= {"NotImplementedError"}


@pytest.mark.parametrize("name", NAMES)
def test_regenerating_reproduces_the_committed_bundle(name, tmp_path):
    committed = ROOT / name / "student"
    before = {p.relative_to(committed): p.read_bytes() for p in committed.rglob("*") if p.is_file()}
    copy = tmp_path / name
    copy.mkdir()
    (copy / "master.ipynb").write_bytes((ROOT / name / "master.ipynb").read_bytes())
    fresh = assign(name, root=tmp_path)
    after = {p.relative_to(fresh): p.read_bytes() for p in fresh.rglob("*") if p.is_file()}
    assert after.keys() == before.keys()
    assert [str(k) for k in after if after[k] != before[k]] == []


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_line_reaches_the_students(name):
    master = nbformat.read(ROOT / name / "master.ipynb", as_version=4)
    solution_lines = set()
    for cell in master.cells:
        for block in re.findall(r"# BEGIN SOLUTION[^\n]*\n(.*?)# END SOLUTION", cell.source, re.S):
            solution_lines |= {l.strip() for l in block.splitlines() if len(l.strip()) > 12}
        for block in re.findall(r"<!-- BEGIN SOLUTION -->(.*?)<!-- END SOLUTION -->", cell.source, re.S):
            solution_lines |= {l.strip() for l in block.splitlines() if len(l.strip()) > 12}
    assert solution_lines
    bundle = "\n".join(p.read_text(errors="replace") for p in (ROOT / name / "student").rglob("*")
                       if p.is_file() and p.suffix != ".bin")
    leaked = [l for l in solution_lines if l in bundle]
    assert leaked == []
    assert "hidden" not in (ROOT / name / "student" / f"{name}.ipynb").read_text().lower() \
        or "hidden checks" in (ROOT / name / "student" / f"{name}.ipynb").read_text().lower()


@pytest.mark.parametrize("name", NAMES)
def test_only_public_checks_ship_and_their_values_are_the_reference(name):
    spec = assignments.load(name)
    data = wire.decode((ROOT / name / "student" / "selfcheck" / "public.bin").read_bytes())
    public = {c.name for _, c in spec.checks() if c.public}
    assert {c["name"] for c in data["checks"]} == public
    from grader.harness import programs
    for entry in data["checks"]:
        for program, expected in zip(entry["programs"], entry["expected"]):
            fresh = programs.run(program, spec.reference)
            assert fresh["ok"] == expected["ok"]
            if fresh["ok"]:
                a, b = fresh["out"], expected["out"]
                assert wire.encode(a) == wire.encode(b)


def test_strip_solutions_keeps_the_signature():
    src = "def f(x, y=2):\n    \"\"\"Doc.\"\"\"\n    # BEGIN SOLUTION\n    return x + y\n    # END SOLUTION\n"
    out = strip_solutions(src)
    assert out.startswith("def f(x, y=2):\n    \"\"\"Doc.\"\"\"\n")
    assert 'raise NotImplementedError("f: write your code here")' in out and "x + y" not in out
    assert strip_solutions("lr = 0.1  # SOLUTION") == "lr = ..."


@pytest.fixture
def selfcheck(monkeypatch):
    def load(name):
        monkeypatch.syspath_prepend(str(ROOT / name / "student"))
        sys.modules.pop("selfcheck", None)
        return importlib.import_module("selfcheck")
    yield load
    sys.modules.pop("selfcheck", None)


def test_selfcheck_is_fast_and_names_mistakes(selfcheck, capsys):
    sc = selfcheck("a7_optimizers")
    spec = assignments.load("a7_optimizers")
    sc.check("adam_update", dict(spec.reference))  # warm-up: loads the data once
    start = time.perf_counter()
    assert sc.check("adam_update", dict(spec.reference))
    assert time.perf_counter() - start < 0.05
    wrong = next(m for m in spec.mistakes if m.name == "Adam without bias correction")
    assert not sc.check("adam_update", {"adam_update": wrong.impl})
    out = capsys.readouterr().out
    assert "looks like: Adam without bias correction" in out and "hidden checks" in out


def test_selfcheck_says_not_implemented_in_one_line(selfcheck, capsys):
    sc = selfcheck("a6_batching")

    def batch_size_for(mode, d, b=None):
        raise NotImplementedError("batch_size_for: write your code here")
    assert not sc.check("batch_size_for", {"batch_size_for": batch_size_for})
    assert capsys.readouterr().out.strip() == "batch_size_for: not implemented yet"


EXPECTED_EXAMPLES = {  # student prefix -> (status, full marks?)
    "correct": ("graded", True), "mistake": ("graded", False), "half_finished": ("graded", False),
    "never_finishes": ("timeout", False), "syntax_error": ("graded", False),
}


@pytest.mark.parametrize("name", NAMES)
def test_example_class(name, tmp_path):
    folder = ROOT.parent / "examples" / "submissions" / name
    assert len(list(folder.glob("*.ipynb"))) >= 10
    spec, records, out = grade(folder, tmp_path / "out", jobs=2, limits=Limits(timeout=10))
    full = spec.max_score + sum(q.points for q in spec.questions if q.bonus)
    for r in records:
        status, perfect = next(v for k, v in EXPECTED_EXAMPLES.items() if r["student"].startswith(k))
        assert r["status"] == status, (r["student"], r["reason"])
        assert (r["score"] == full) == perfect, (r["student"], r["score"])
        if r["student"].startswith("mistake"):
            assert any(c["diagnosis"] for c in r["checks"]), r["student"]
