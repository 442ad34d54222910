"""Compare a submission's raw outputs with the expected ones; give points.

Every verdict is computed here, in the grader's process, from plain data
the student's process returned. A failed check is diagnosed by
``grader.diagnosis.explain``: the failure kind, where it goes wrong, and the
mistake families whose outputs reproduce the student's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grader.diagnosis import explain
from grader.harness.compare import judge


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
    detail: str = ""  # expected vs got, for public checks only


def judge_check(prep, results: list) -> CheckResult:
    """One check: passed when every case passes; the worst relative error is kept."""
    verdicts = [judge(prep.check.compare, got, want, program)
                for got, want, program in zip(results, prep.expected, prep.programs)]
    failed = [v for v in verdicts if not v.passed]
    rel = max((v.rel_err for v in verdicts if v.rel_err is not None), default=None)
    check = prep.check
    result = CheckResult(check.name, prep.question.name, check.function,
                         0.0 if failed else float(check.points), float(check.points),
                         not failed, check.public, rel,
                         _message(verdicts, prep) if failed else "")
    if failed:
        result.diagnosis = diagnose(prep, results)
        if check.public:
            k = next(i for i, v in enumerate(verdicts) if not v.passed)
            result.detail = f"expected {_short(prep.expected[k].get('out'))}, " \
                            f"got {_short(results[k].get('out', results[k].get('error')))}"
    return result


def _message(verdicts, prep) -> str:
    """The first failed case's message, its values named as the signature names them."""
    k = next(i for i, v in enumerate(verdicts) if not v.passed)
    return explain.named_message(verdicts[k].message, prep.returns, prep.programs[k])


#: The longest expected/got text of a failed public check.
SHORT = 160


def _short(value) -> str:
    """``repr`` of the value as lists, cut at SHORT characters. Of a long array
    only leading rows are rendered, twice as many until the text passes the cut:
    the same text, without rendering the whole path of a trajectory."""
    if isinstance(value, np.ndarray) and value.ndim and value.size > 8:
        rows = max(1, 8 * len(value) // value.size)
        while rows < len(value):
            text = repr(value[:rows].tolist())  # differs from the whole only at its last "]"
            if len(text) > SHORT:
                return text[:SHORT - 3] + "..."
            rows *= 2
    text = repr(_as_lists(value))
    return text if len(text) <= SHORT else text[:SHORT - 3] + "..."


def _as_lists(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    # Each item takes at least three characters with its ", ": SHORT of them pass the cut.
    return [_as_lists(v) for v in value[:SHORT]] if isinstance(value, list) else value


def diagnose(prep, results: list) -> list:
    """Failure kind, where it goes wrong, and the families that reproduce the outputs."""
    families = [{"id": m.id, "name": m.name, "hint": m.hint, "outputs": outputs}
                for m, outputs in prep.mistakes]
    return explain.diagnose(prep.check.compare, prep.programs, prep.expected, results,
                            families, prep.returns)


def agree_per_function(checks: list) -> None:
    """Keep, on each failed check, the families all of its function's failed checks name."""
    by_function: dict = {}
    for c in checks:
        by_function.setdefault(c.function, []).append(c)
    for group in by_function.values():
        for c, diagnosis in zip(group, explain.agree([c.diagnosis for c in group])):
            c.diagnosis = diagnosis


def not_run(prep, reason: str) -> CheckResult:
    check = prep.check
    return CheckResult(check.name, prep.question.name, check.function, 0.0, float(check.points),
                       False, check.public, None, reason)


def as_dict(result: CheckResult) -> dict:
    out = dict(vars(result))  # flat fields: cheaper than dataclasses.asdict's deep copy
    out["diagnosis"] = [dict(d) for d in result.diagnosis]
    return out


# -- a whole submission ---------------------------------------------------------

STATUS_OF_RUN = {"ok": "graded", "timeout": "timeout", "crashed": "error", "protocol": "error",
                 "memory": "memory"}


def score_run(prepared: list, raw, case_index: list) -> dict:
    """Judge every check from a RawRun; returns the scored part of a record.

    ``case_index[i]`` lists the positions in the run's results of check i's cases.
    """
    checks = []
    for prep, positions in zip(prepared, case_index):
        results = [raw.results.get(k) for k in positions]
        if any(r is None for r in results):
            checks.append(not_run(prep, f"not run: {raw.reason}"))
        else:
            checks.append(judge_check(prep, results))
    agree_per_function(checks)
    questions: dict = {}
    for prep, result in zip(prepared, checks):
        questions[prep.question.name] = questions.get(prep.question.name, 0.0) + result.points
    return {"status": STATUS_OF_RUN.get(raw.status, "error"), "reason": raw.reason,
            "score": round(sum(questions.values()), 6), "questions": questions,
            "checks": [as_dict(c) for c in checks], "cells": raw.cells,
            "output": raw.output[-4000:], "seconds": round(raw.seconds, 3),
            "isolation": raw.isolation}
