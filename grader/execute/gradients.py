"""The grader's answers to ``grad_fn`` calls of remote objectives.

A check that scores rows per call of ``grad_fn`` gives the student's
function a proxy (``harness.programs``): each call is a frame
{"event": "grad", "case": k, "theta": array, "X": array, "y": array} that
the session answers here, in the process that holds the grader's role.
The objective is the assignment's own (its ``harness.py``), made from data
that only this side holds (A6: a secret rotation M), so the student's code
cannot compute a gradient without asking, and every row asked about is
counted here, never by the student's process.
The data of case k are its call's arguments X (the first 2-d array) and y
(the argument after X); every row sent must be one of them.
"""
from __future__ import annotations

import numpy as np

from grader.harness import programs as runner

MAX_CALLS = 10_000  # per case: an honest function needs one per micro-batch


def remote_spec(program: dict) -> dict | None:
    """The remote objective of a program, if it has one."""
    for value in [*program.get("args", []), *program.get("kwargs", {}).values()]:
        if isinstance(value, dict) and isinstance(value.get("$objective"), dict) \
                and value["$objective"].get("remote"):
            return value["$objective"]
    return None


def student_view(plan: list) -> list:
    """The plan as the student's process may see it: remote objectives keep
    only their kind (their secret stays here)."""
    return [[name, _without_secret(program)] if remote_spec(program) else [name, program]
            for name, program in plan]


def _without_secret(program: dict) -> dict:
    def strip(value):
        if isinstance(value, dict) and isinstance(value.get("$objective"), dict):
            spec = value["$objective"]
            return {"$objective": {"kind": spec["kind"], "remote": True}}
        return value
    return dict(program, args=[strip(a) for a in program.get("args", [])],
                kwargs={k: strip(v) for k, v in program.get("kwargs", {}).items()})


class Case:
    """One remote case: its objective with the secret, and its genuine rows.
    ``own``: the assignment's ``Extension``, whose objective it is."""

    def __init__(self, program: dict, own=None):
        spec = remote_spec(program)
        self.grad = runner.objective(spec, own)
        args = program.get("args", [])
        at = next(i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.ndim == 2)
        self.X = np.asarray(args[at], dtype=np.float64)
        self.y = np.asarray(args[at + 1], dtype=np.float64)
        self.p = self.X.shape[1]  # parameters: one per column of the data
        self._rows = None

    def genuine(self, X: np.ndarray, y: np.ndarray) -> bool:
        """Every (row of X, entry of y) pair is a row of this case's data."""
        if self._rows is None:  # on the first request, then kept for the class's submissions
            self._rows = {(x.tobytes(), v.tobytes()) for x, v in zip(self.X, self.y)}
        return all((x.tobytes(), v.tobytes()) in self._rows for x, v in zip(X, y))


class Cases:
    """The remote cases of one plan, built once for every submission of a class."""

    def __init__(self, plan: list, own=None):
        self.cases = {k: Case(program, own) for k, (_, program) in enumerate(plan)
                      if remote_spec(program)}


def answer(cases: Cases, message: dict, rows: dict, finished) -> dict:
    """The reply to one request; records the rows of a well-formed one in
    ``rows`` (case -> [rows per call]). ``finished``: cases whose results came."""
    k = message.get("case")
    if type(k) is not int or k not in cases.cases or k in finished:
        return {"error": "grad_fn was called outside its check"}
    case = cases.cases[k]
    theta, X, y = message.get("theta"), message.get("X"), message.get("y")
    if not (_floats(theta, 1) and _floats(X, 2) and _floats(y, 1)) or theta.shape != (case.p,) \
            or X.shape[1:] != (case.p,) or y.shape != X.shape[:1] or not len(X):
        return {"error": f"grad_fn takes theta of shape ({case.p},), X of shape (r, {case.p}) "
                         "and y of shape (r,) with r >= 1, as float64 arrays"}
    calls = rows.setdefault(k, [])
    if len(calls) >= MAX_CALLS:
        return {"error": f"grad_fn was called more than {MAX_CALLS} times"}
    calls.append(int(len(X)))
    if len(X) > len(case.X):  # (also bounds the grader's work per request)
        return {"error": f"grad_fn was given {len(X)} rows; the data have {len(case.X)}"}
    if not np.isfinite(theta).all():
        return {"error": "grad_fn was given a theta that is not finite"}
    if not case.genuine(X, y):
        return {"error": "grad_fn was given rows that are not rows of X and y"}
    return {"grad": case.grad(theta, X, y)}


def _floats(value, ndim: int) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == np.float64 and value.ndim == ndim
