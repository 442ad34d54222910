"""Compare a submission's raw outputs with the expected ones; give points.

Every verdict is computed in the grader's process, from plain data the
student's process returned, by ``grader.diagnosis.verdict.judge`` (which the
self-check calls too): the comparator's verdict of each case and, for a
failed check, its diagnosis (the failure kind, where it goes wrong, and the
mistake families whose outputs reproduce the student's). This module adds
what only the grader says: points, and the words of a failure.

A failed check says which kind of failure it was in words fixed here
(``KINDS``), never a message from the run or an expected or got value: its
inputs are drawn from the class's secret, and anything the feedback says about
them could carry them out of one submission into the next (the self-check shows
values, on the published preview). Public checks keep their relative error.
"""
from __future__ import annotations

import builtins
import re
from dataclasses import replace

from grader.diagnosis import verdict
from grader.record import CellError, CheckResult, Outcome
from grader.status import ORDER, RunEnd, Status

_RUN_ENDS = frozenset(RunEnd)


def judge_check(prep, results: list) -> CheckResult:
    """One check: passed when every case passes; the worst relative error is kept
    for a public check; a failed one says its kind of failure in ``KINDS``."""
    judged = verdict.judge(prep.check.compare, prep.programs, prep.expected, results,
                           families(prep), prep.returns, prep.extension)
    check = prep.check
    result = CheckResult(check.name, prep.question.name, check.function,
                         float(check.points) if judged.passed else 0.0, float(check.points),
                         judged.passed, check.public, judged.rel_err if check.public else None)
    if not judged.passed:
        result.diagnosis = judged.diagnosis
        k = judged.failed
        result.message = failure_kind(check.compare["kind"], results[k], judged.cases[k],
                                      prep.extension)
    return result


def families(prep) -> list:
    """The mistake families' outputs on the check's programs, as ``verdict.judge`` takes them."""
    return [{"id": m.id, "name": m.name, "hint": m.hint, "outputs": outputs}
            for m, outputs in prep.mistakes]


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
             (re.compile(r"the reference itself failed"), "the reference failed (a grader fault)")]
#: The generic comparators' own: by how their message starts, then any other failure.
_OF_COMPARATOR = {"raises": [(re.compile(r"expected \w+ to be raised"),
                              "did not raise the expected exception"),
                             (re.compile(r"expected \w+, got"), "raised another exception")]}
_BY_COMPARATOR = {"equal": "wrong value", "raises": "did not raise the expected exception"}
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
    [k for _, k in _RETURNED] + [k for table in _OF_COMPARATOR.values() for _, k in table]
    + list(_BY_COMPARATOR.values())
    + [WRONG, NOT_RUN, RAISED, *_NOT_RAISED.values()] + [f"{RAISED} ({e})" for e in _ERRORS]
    + [f"{NOT_RUN} ({s})" for s in ORDER if s != Status.GRADED])


def failure_kind(comparator: str, got, case, own=None) -> str:
    """A fixed description of why a case failed: from ``KINDS``, or the words the
    assignment's ``own`` extension declares for a comparator of its own."""
    if not isinstance(got, dict) or not got.get("ok"):
        kind = got.get("exc_type") if isinstance(got, dict) else None
        if kind in _NOT_RAISED:
            return _NOT_RAISED[kind]
        return f"{RAISED} ({kind})" if kind in _ERRORS else RAISED
    message = case.message if isinstance(case.message, str) else ""
    declared = own.failures.get(comparator, ()) if own is not None else ()
    for f in declared:
        if f.start and message.startswith(f.start):
            return f.words
    for pattern, kind in _OF_COMPARATOR.get(comparator, []) + _RETURNED:
        if pattern.match(message):
            return kind
    for f in declared:
        if not f.start:
            return f.words
    return _BY_COMPARATOR.get(comparator, WRONG)


def words(spec) -> frozenset:
    """What a report may say of a failed check of assignment ``spec``."""
    own = getattr(spec, "extension", None)
    return KINDS | own.words if own is not None else KINDS


def shown(check: CheckResult, allowed: frozenset = KINDS) -> CheckResult:
    """The check as a report may show it, whatever the record holds: a message
    from ``allowed`` (``words(spec)``), no values, and a relative error for
    public checks only. Every renderer reads checks through this."""
    message = check.message if check.message in allowed or not check.message else WRONG
    rel_err = check.rel_err if check.public else None
    if message == check.message and rel_err == check.rel_err:
        return check
    return replace(check, message=message, rel_err=rel_err)


def agree_per_function(checks: list) -> None:
    """Keep, on each failed check, the families all of its function's failed checks name."""
    by_function: dict = {}
    for c in checks:
        by_function.setdefault(c.function, []).append(c)
    for group in by_function.values():
        for c, diagnosis in zip(group, verdict.agree([c.diagnosis for c in group])):
            c.diagnosis = diagnosis


def not_run(prep, status: str = "") -> CheckResult:
    """A check that did not run; its message names the record's ``status`` (the
    record's reason says why)."""
    check = prep.check
    message = f"{NOT_RUN} ({status})" if f"{NOT_RUN} ({status})" in KINDS else NOT_RUN
    return CheckResult(check.name, prep.question.name, check.function, 0.0, float(check.points),
                       False, check.public, None, message)


# -- a whole submission ---------------------------------------------------------

def said_of(cell: dict) -> CellError | None:
    """A cell's error as feedback may say it: its built-in exception type and the
    line it was raised at. The notebook's process holds the graded inputs while
    its cells run (sealed inputs are made first), so the text of its errors
    could carry them out; a student reads the message by running the cell.
    None for a cell that raised nothing (or sent no error we can read)."""
    error = cell.get("error")
    if not isinstance(error, dict):
        return None
    index = cell.get("index") if type(cell.get("index")) is int else None
    kind = error.get("type") if error.get("type") in _ERRORS else "Exception"
    lines = [m.group(0) for w in error.get("where") or [] if isinstance(w, str)
             for m in [re.match(r"line \d{1,7}", w)] if m]
    return CellError(index, kind, f"{kind} raised", lines[-1:])


def score_run(prepared: list, raw, case_index: list) -> Outcome:
    """Judge every check from a RawRun; returns the submission's outcome.

    ``case_index[i]`` lists the positions in the run's results of check i's cases.
    """
    status = RunEnd(raw.status).status if raw.status in _RUN_ENDS else Status.ERROR
    checks = []
    for prep, positions in zip(prepared, case_index):
        results = [raw.results.get(k) for k in positions]
        if any(r is None for r in results):
            checks.append(not_run(prep, status))
        else:
            checks.append(judge_check(prep, results))
    agree_per_function(checks)
    questions: dict = {}
    for prep, result in zip(prepared, checks):
        questions[prep.question.name] = questions.get(prep.question.name, 0.0) + result.points
    cells = [e for e in map(said_of, raw.cells) if e is not None]
    return Outcome(status=status, reason=raw.reason, score=round(sum(questions.values()), 6),
                   questions=questions, checks=checks, cells=cells, output=raw.output[-4000:],
                   seconds=round(raw.seconds, 3), isolation=raw.isolation,
                   memory_cap=raw.memory_cap)
