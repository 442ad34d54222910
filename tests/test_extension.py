"""An assignment's own comparators and objectives live in its folder's harness.py.

The harness keeps only generic comparators and no objective; an assignment
that names one it does not declare is refused when it loads, before anything
is graded; the student bundle's self-check uses the assignment's module.
"""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import course
from grader.errors import UsageError
from grader.harness import compare, extension
from grader.scaffold import scaffold

HARNESS = Path(compare.__file__).parent


def test_the_harness_keeps_only_generic_comparators_and_no_objective():
    assert set(compare.COMPARATORS) == {"allclose", "equal", "raises"}
    assert extension.CURRENT == extension.NONE  # nothing installed in the grader's process
    for path in HARNESS.glob("*.py"):
        text = path.read_text()
        for name in ("partition", "micro_batches", "quadratic", "logistic", "sigmoid"):
            assert not re.search(rf"\b{name}\b", text), (path.name, name)


def test_the_built_in_assignments_declare_what_their_checks_name():
    a6, a7 = course.load("a6_batching"), course.load("a7_optimizers")
    assert set(a6.extension.comparators) == {"partition", "micro_batches"}
    assert set(a6.extension.objectives) == {"linear", "logistic"}
    assert set(a7.extension.objectives) == {"quadratic"} and not a7.extension.comparators
    assert a7.extension.source == (a7.folder / "harness.py").read_text()


def _edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


HIDDEN = 'comparator("close_in_norm", rtol=1e-9)'
GRAD_CASE = ('[call("clip_by_norm", objective("nowhere", c=2.0), 1.0)]',
             "from grader.checks import Assignment, Check, Question, call, comparator",
             "from grader.checks import Assignment, Check, Question, call, comparator, objective")
BROKEN = {
    "an unknown comparator": ("grading.py", HIDDEN, 'comparator("clipt")',
                              "names the comparator 'clipt'"),
    "a generic name taken": ("harness.py", 'COMPARATORS = {"close_in_norm": close_in_norm}',
                             'COMPARATORS = {"close_in_norm": close_in_norm, "allclose": numeric}',
                             "would hide the generic comparator"),
    "a module that fails": ("harness.py", "import numpy as np", "import numpy as np\n1 / 0",
                            "does not load: ZeroDivisionError"),
    "a table of other things": ("harness.py", "OBJECTIVES = {}", "OBJECTIVES = [1]",
                                "OBJECTIVES must be a dict of names to functions"),
    "a diagnosis of nothing": ("harness.py", "OBJECTIVES = {}",
                               "OBJECTIVES = {}\nDIAGNOSES = {'nothing': numeric}",
                               "DIAGNOSES names 'nothing'"),
    "failures of nothing": ("harness.py", "OBJECTIVES = {}",
                            "from .extension import Failure\nOBJECTIVES = {}\n"
                            "FAILURES = {'nothing': [Failure('', 'wrong')]}",
                            "FAILURES names 'nothing'"),
    "failure words with a value": ("harness.py", "OBJECTIVES = {}",
                                   "from .extension import Failure\nOBJECTIVES = {}\n"
                                   "FAILURES = {'close_in_norm': [Failure('', 'off by 3')]}",
                                   "without digits"),
}


@pytest.mark.parametrize("what", sorted(BROKEN))
def test_a_name_that_is_not_declared_is_refused_when_the_assignment_loads(what, tmp_path):
    folder = scaffold(tmp_path / "broken")
    file, old, new, message = BROKEN[what]
    _edit(folder / file, old, new)
    with pytest.raises(UsageError, match=re.escape(message)):
        course.load(folder)


def test_an_unknown_objective_is_refused_when_the_assignment_loads(tmp_path):
    folder = scaffold(tmp_path / "with_objective")
    case, old_import, new_import = GRAD_CASE
    _edit(folder / "grading.py", old_import, new_import)
    _edit(folder / "grading.py", "def short_and_long(rng):\n    return",
          f"def short_and_long(rng):\n    return {case} + ")
    with pytest.raises(UsageError, match="names the objective 'nowhere'"):
        course.load(folder)
    # Declared, it loads (and the reference runs with it).
    _edit(folder / "harness.py", "OBJECTIVES = {}",
          "def nowhere(c):\n    return lambda g: c * g\n\n\nOBJECTIVES = {'nowhere': nowhere}")
    assert set(course.load(folder).extension.objectives) == {"nowhere"}


def test_the_grader_says_so_before_grading(tmp_path):
    import subprocess

    folder = scaffold(tmp_path / "clip")
    _edit(folder / "grading.py", HIDDEN, 'comparator("clipt")')
    result = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(folder / "master.ipynb"),
                             "--assignment", str(folder), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "'clipt'" in result.stderr, result.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_the_scaffold_s_comparator_judges_and_its_self_check_ships_it(tmp_path, monkeypatch):
    from grader.assign import assign

    folder = scaffold(tmp_path / "clip")
    spec = course.load(folder)
    in_norm = spec.extension.comparators["close_in_norm"]
    program = {"op": "call", "fn": "clip_by_norm", "args": [np.array([3.0, 4.0]), 1.0]}
    want = {"ok": True, "out": np.array([1.0, 0.0])}
    tiny = {"ok": True, "out": np.array([1.0, 1e-12])}  # off in a tiny entry only
    assert in_norm(tiny, want, program).passed
    assert not compare.allclose(tiny, want, program, rtol=1e-9, atol=0.0).passed
    assert not in_norm({"ok": True, "out": np.array([1.0, 1e-6])}, want, program).passed
    assert not in_norm({"ok": True, "out": [1.0]}, want, program).passed
    assert not in_norm({"ok": True, "out": np.array([1.0 + 1j, 0.0])}, want, program).passed
    # The bundle's self-check has the module and judges with it.
    out = assign(spec, tmp_path / "dist")
    student = out / "student"
    assert (student / "selfcheck" / "assignment.py").read_text() == spec.extension.source
    monkeypatch.syspath_prepend(str(student))
    sys.modules.pop("selfcheck", None)
    try:
        import selfcheck
        assert selfcheck.extension.CURRENT.comparators.keys() == {"close_in_norm"}
        assert selfcheck.check("clip_by_norm", dict(spec.reference))
        unclipped = selfcheck.check("clip_by_norm", {"clip_by_norm": lambda g, m: g * 1.0})
        assert not unclipped and "relative error" in str(unclipped)
    finally:
        sys.modules.pop("selfcheck", None)


def test_an_assignment_says_its_comparators_failures_in_its_own_words(tmp_path):
    from grader import scoring
    from grader.record import CheckResult

    folder = scaffold(tmp_path / "clip")
    _edit(folder / "harness.py", "OBJECTIVES = {}",
          "from .extension import Failure\nOBJECTIVES = {}\nFAILURES = {'close_in_norm': "
          "[Failure('result: relative error', 'clipped to another length')]}")
    spec = course.load(folder)
    got, want = {"ok": True, "out": np.array([1.0, 0.5])}, {"ok": True, "out": np.array([1.0, 0.0])}
    verdict = spec.extension.comparators["close_in_norm"](got, want, {})
    said = scoring.failure_kind("close_in_norm", got, verdict, spec.extension)
    assert said == "clipped to another length"
    assert scoring.failure_kind("close_in_norm", got, verdict) == "wrong values"  # generic words
    check = CheckResult("c", "q", "clip_by_norm", 0.0, 1.0, False, False, message=said)
    assert scoring.shown(check, scoring.words(spec)).message == said
    assert scoring.shown(check).message == scoring.WRONG  # words of no assignment: not shown


def test_a_wrong_value_is_not_said_to_be_an_exception():
    """The generic words of one comparator are not read into another's messages:
    equal's "expected 3, got 4" once read as raises' "raised another exception"."""
    from grader import scoring

    got, want = {"ok": True, "out": 4}, {"ok": True, "out": 3}
    verdict = compare.judge({"kind": "equal"}, got, want, {})
    assert scoring.failure_kind("equal", got, verdict) == "wrong value"
    returned = compare.judge({"kind": "raises", "exc_type": "ValueError"}, got, want, {})
    assert scoring.failure_kind("raises", got, returned) == "did not raise the expected exception"
