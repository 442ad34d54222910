"""The verdict of a check: every case compared, and the diagnosis when one fails.

``judge`` is the one place a check is judged: the grader's scoring, the
students' self-check and the tests call it with the same plain data (the
check's comparator, programs and expected outputs, the mistake families'
outputs, the names of the returned values) and the student's raw outputs.
Shipped with the self-check beside ``compare`` and ``explain``; what only the
grader adds (points, the fixed words of a failure, agreement over a
function's checks) is in ``grader.scoring``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

try:  # in the students' selfcheck package
    from . import compare, explain
except ImportError:
    from grader.diagnosis import explain
    from grader.harness import compare


@dataclass
class Diagnosis:
    """One statement about a failed check (see ``explain``)."""
    id: str
    name: str
    hint: str
    kind: str = "family"   # "failure", "where" or "family"

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "hint": self.hint, "kind": self.kind}


@dataclass
class CheckVerdict:
    """A check judged: passed when every case passed."""
    passed: bool
    rel_err: float | None          # the worst relative error over the cases, where numeric
    cases: list                    # [compare.Verdict], one per program
    failed: int | None = None      # the first failed case
    diagnosis: list = field(default_factory=list)  # [Diagnosis]

    @property
    def message(self) -> str:
        """The comparator's message of the first failed case (values included)."""
        return "" if self.failed is None else self.cases[self.failed].message


def judge(compare_spec: dict, programs: list, expected: list, results: list,
          families: list, returns: tuple = (), own=None) -> CheckVerdict:
    """Judge the student's ``results`` (one per program) against ``expected``.

    ``families``: [{"id", "name", "hint", "outputs"}], the mistake families'
    outputs on the same programs, for the diagnosis; ``own``: the assignment's
    ``Extension`` (its comparators), None for the installed one.
    """
    cases = [compare.judge(compare_spec, got, want, program, own)
             for got, want, program in zip(results, expected, programs)]
    failed = next((k for k, v in enumerate(cases) if not v.passed), None)
    rel = max((v.rel_err for v in cases if v.rel_err is not None), default=None)
    if failed is None:
        return CheckVerdict(True, rel, cases)
    entries = explain.diagnose(compare_spec, programs, expected, results, families,
                               tuple(returns), own, verdicts=cases)
    return CheckVerdict(False, rel, cases, failed, [Diagnosis(**d) for d in entries])


def agree(diagnoses: list) -> list:
    """The diagnoses of one function's checks, each keeping only the families every check
    that named one names too: a family fitting one check by coincidence (one row at a time,
    a zero state) but contradicted by another is dropped. Unchanged when none is common."""
    named = [{d.id for d in ds if d.kind == "family"} for ds in diagnoses]
    common = set.intersection(*[s for s in named if s]) if any(named) else set()
    if not common:
        return diagnoses
    return [[d for d in ds if d.kind != "family" or d.id in common] for ds in diagnoses]
