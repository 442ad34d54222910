"""Compare a submission's raw outputs with the expected ones; give points.

Every verdict is computed here, in the grader's process, from plain data
the student's process returned. A failed check is diagnosed by
``grader.diagnosis.explain``: the failure kind, where it goes wrong, and the
mistake families whose outputs reproduce the student's.

A failed check says which kind of failure it was in words fixed here
(``KINDS``), never a message from the run or an expected or got value: its
inputs are drawn from the class's secret, and anything the feedback says about
them could carry them out of one submission into the next (the self-check shows
values, on the published preview). Public checks keep their relative error.
"""
from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field

from grader.diagnosis import explain
from grader.harness.compare import judge
from grader.status import ORDER, Status


@dataclass
class CheckResult:
    name: str
    question: str
    function: str
    points: float
    max_points: float
    passed: bool
    public: bool
    rel_err: float | None = None
    message: str = ""
    diagnosis: list = field(default_factory=list)  # [{"id", "name", "hint", "kind"}]


def judge_check(prep, results: list) -> CheckResult:
    """One check: passed when every case passes; the worst relative error is kept."""
    verdicts = [judge(prep.check.compare, got, want, program, prep.extension)
                for got, want, program in zip(results, prep.expected, prep.programs)]
    failed = [v for v in verdicts if not v.passed]
    rel = max((v.rel_err for v in verdicts if v.rel_err is not None), default=None)
    check = prep.check
    result = CheckResult(check.name, prep.question.name, check.function,
                         0.0 if failed else float(check.points), float(check.points),
                         not failed, check.public, rel if check.public else None)
    if failed:
        result.diagnosis = diagnose(prep, results)
        k = next(i for i, v in enumerate(verdicts) if not v.passed)
        result.message = failure_kind(check.compare["kind"], results[k], verdicts[k])
    return result


# -- what a failed check may say -------------------------------------------------

_ERRORS = sorted(name for name, value in vars(builtins).items()
                 if isinstance(value, type) and issubclass(value, BaseException))
#: Kinds of failure of a result the student's function returned, by how the
#: comparator's own message starts (where: "result" or "result[i]...").
_RETURNED = [(re.compile(r"result(\[\d+\])*: expected a tuple"), "wrong number of values returned"),
             (re.compile(r"result(\[\d+\])*: expected a numeric"), "wrong type of result"),
             (re.compile(r"result(\[\d+\])*: expected shape"), "wrong shape"),
             (re.compile(r"result(\[\d+\])*: expected dtype"), "wrong dtype"),
             (re.compile(r"result(\[\d+\])*: (contains|differs in its) NaN"), "NaN or infinity"),
             (re.compile(r"result(\[\d+\])*: relative error"), "wrong values"),
             (re.compile(r"modified its input"), "modified its inputs in place"),
             (re.compile(r"grad_fn was given"), "gave grad_fn too many rows at once"),
             (re.compile(r"no call of grad_fn"), "never called grad_fn"),
             (re.compile(r"the reference itself failed"), "the reference failed (a grader fault)"),
             (re.compile(r"not deterministic"), "not deterministic"),
             (re.compile(r"ignores its rng"), "ignores its rng argument"),
             (re.compile(r"consecutive epochs gave the same order"), "the same order every epoch"),
             (re.compile(r"batch sizes "), "wrong batch sizes"),
             (re.compile(r"the batches must"), "the batches do not split the rows as asked"),
             (re.compile(r"with shuffle=False"), "rows out of order with shuffle=False"),
             (re.compile(r"with shuffle=True"), "rows not shuffled"),
             (re.compile(r"expected a list of index arrays|each batch must be"),
              "wrong type of result"),
             (re.compile(r"expected \w+ to be raised"), "did not raise the expected exception"),
             (re.compile(r"expected \w+, got"), "raised another exception")]
_BY_COMPARATOR = {"equal": "wrong value", "raises": "did not raise the expected exception",
                  "partition": "wrong batches"}
WRONG = "wrong result"
NOT_RUN = "not run"
NOT_DEFINED = "the function is not defined"
#: Failures the harness reports in a case's exc_type that no code raised.
_NOT_RAISED = {"Missing": NOT_DEFINED, "Timeout": "timed out",
               "Crashed": "the notebook's process ended during this call",
               "ModifiedInput": "modified its inputs in place",
               "MemoryError": "ran out of memory (the call or its result is too large)"}
RAISED = "raised an exception"
#: Every message a failed check can have.
KINDS = frozenset(
    [k for _, k in _RETURNED] + list(_BY_COMPARATOR.values())
    + [WRONG, NOT_RUN, RAISED, *_NOT_RAISED.values()] + [f"{RAISED} ({e})" for e in _ERRORS]
    + [f"{NOT_RUN} ({s})" for s in ORDER if s != Status.GRADED])


def failure_kind(comparator: str, got, verdict) -> str:
    """A fixed description of why a case failed, from ``KINDS``."""
    if not isinstance(got, dict) or not got.get("ok"):
        kind = got.get("exc_type") if isinstance(got, dict) else None
        if kind in _NOT_RAISED:
            return _NOT_RAISED[kind]
        return f"{RAISED} ({kind})" if kind in _ERRORS else RAISED
    message = verdict.message if isinstance(verdict.message, str) else ""
    for pattern, kind in _RETURNED:
        if pattern.match(message):
            return kind
    return _BY_COMPARATOR.get(comparator, WRONG)


def shown(check: dict) -> dict:
    """The check as a report may show it, whatever the record holds: a message
    from ``KINDS``, no values, and a relative error for public checks only.
    Every renderer reads checks through this."""
    message = check.get("message")
    return dict(check, message=message if message in KINDS or not message else WRONG,
                detail="", rel_err=check.get("rel_err") if check.get("public") is True else None)


def diagnose(prep, results: list) -> list:
    """Failure kind, where it goes wrong, and the families that reproduce the outputs."""
    families = [{"id": m.id, "name": m.name, "hint": m.hint, "outputs": outputs}
                for m, outputs in prep.mistakes]
    return explain.diagnose(prep.check.compare, prep.programs, prep.expected, results,
                            families, prep.returns, prep.extension)


def agree_per_function(checks: list) -> None:
    """Keep, on each failed check, the families all of its function's failed checks name."""
    by_function: dict = {}
    for c in checks:
        by_function.setdefault(c.function, []).append(c)
    for group in by_function.values():
        for c, diagnosis in zip(group, explain.agree([c.diagnosis for c in group])):
            c.diagnosis = diagnosis


def not_run(prep, status: str = "") -> CheckResult:
    """A check that did not run; its message names the record's ``status`` (the
    record's reason says why)."""
    check = prep.check
    message = f"{NOT_RUN} ({status})" if f"{NOT_RUN} ({status})" in KINDS else NOT_RUN
    return CheckResult(check.name, prep.question.name, check.function, 0.0, float(check.points),
                       False, check.public, None, message)


def as_dict(result: CheckResult) -> dict:
    out = dict(vars(result))  # flat fields: cheaper than dataclasses.asdict's deep copy
    out["diagnosis"] = [dict(d) for d in result.diagnosis]
    return out


# -- a whole submission ---------------------------------------------------------

STATUS_OF_RUN = {"ok": Status.GRADED, "timeout": Status.TIMEOUT, "crashed": Status.ERROR,
                 "protocol": Status.ERROR, "memory": Status.MEMORY}


def said_of(cell: dict) -> dict:
    """A cell's error as feedback may say it: its built-in exception type and the
    line it was raised at. The notebook's process holds the graded inputs while
    its cells run (sealed inputs are made first), so the text of its errors
    could carry them out; a student reads the message by running the cell."""
    error = cell.get("error")
    if not isinstance(error, dict):
        return {"index": cell.get("index"), "error": None}
    kind = error.get("type") if error.get("type") in _ERRORS else "Exception"
    lines = [m.group(0) for w in error.get("where") or [] if isinstance(w, str)
             for m in [re.match(r"line \d{1,7}", w)] if m]
    return {"index": cell.get("index"), "error": {"type": kind, "message": f"{kind} raised",
                                                  "where": lines[-1:]}}


def score_run(prepared: list, raw, case_index: list) -> dict:
    """Judge every check from a RawRun; returns the scored part of a record.

    ``case_index[i]`` lists the positions in the run's results of check i's cases.
    """
    checks = []
    for prep, positions in zip(prepared, case_index):
        results = [raw.results.get(k) for k in positions]
        if any(r is None for r in results):
            checks.append(not_run(prep, STATUS_OF_RUN.get(raw.status, Status.ERROR)))
        else:
            checks.append(judge_check(prep, results))
    agree_per_function(checks)
    questions: dict = {}
    for prep, result in zip(prepared, checks):
        questions[prep.question.name] = questions.get(prep.question.name, 0.0) + result.points
    return {"status": STATUS_OF_RUN.get(raw.status, Status.ERROR), "reason": raw.reason,
            "score": round(sum(questions.values()), 6), "questions": questions,
            "checks": [as_dict(c) for c in checks], "cells": [said_of(c) for c in raw.cells],
            "output": raw.output[-4000:], "seconds": round(raw.seconds, 3),
            "isolation": raw.isolation, "memory_cap": raw.memory_cap}
