"""The shape of every frame the student's process may send, checked before use.

The student's process can write frames of its own, so nothing in one is
trusted: ``validate`` takes a decoded frame and returns a new one built only
from known keys whose values have the right type, size and range (strings
are cut to a cap), or raises ``FrameError`` with a one-line reason. A frame
kind is one entry of ``KINDS``: its fields, and the phases of a run in which
it may come.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS, CHECKS = "cells", "checks"  # phases: running the cells, then the checks
MAX_DEPTH = 8        # lists inside lists in a returned value (the harness sends at most 6)
MAX_INT = 2 ** 63    # integers the comparisons can turn into float64 or int64
TEXT = 500           # characters kept of an error's type, message or location
WHERE = 5            # locations kept of an error


class FrameError(ValueError):
    """A frame that is not what the protocol allows; the message is the reason."""


@dataclass(frozen=True)
class Context:
    """What a frame is checked against: the run as the grader knows it."""
    cells: int                    # cells sent
    checks: tuple                 # the check name of each case, by case number
    output_limit: int = 2 ** 20   # characters of printed output kept
    phase: str = CELLS
    received: frozenset = frozenset()  # case numbers already answered


# -- value checkers: (value, context, path) -> the value as later stages may use it --

def integer(low, high):
    """An int in [low(context), high(context)); the bounds may depend on the run."""
    def check(value, ctx, path):
        lo, hi = (b(ctx) if callable(b) else b for b in (low, high))
        if type(value) is not int or not lo <= value < hi:
            raise FrameError(f"{_where(path)}: expected an integer from {lo} to {hi - 1}")
        return value
    return check


def boolean(value, ctx, path):
    if type(value) is not bool:
        raise FrameError(f"{_where(path)}: expected true or false")
    return value


def text(cap):
    """A string, cut at ``cap`` characters (a cap may depend on the run)."""
    def check(value, ctx, path):
        if type(value) is not str:
            raise FrameError(f"{_where(path)}: expected a string")
        limit = cap(ctx) if callable(cap) else cap
        return value if len(value) <= limit else value[:limit] + " [cut]"
    return check


def optional(checker):
    def check(value, ctx, path):
        return None if value is None else checker(value, ctx, path)
    return check


def items(checker, cap, cut=False):
    """A list; longer than ``cap``: cut (``cut``) or refused."""
    def check(value, ctx, path):
        if type(value) is not list:
            raise FrameError(f"{_where(path)}: expected a list")
        limit = cap(ctx) if callable(cap) else cap
        if len(value) > limit and not cut:
            raise FrameError(f"{_where(path)}: more than {limit} items")
        return [checker(v, ctx, (path, i)) for i, v in enumerate(value[:limit])]
    return check


def record(required: dict, optional_keys: dict = None):
    """A dict with exactly these keys (``optional_keys`` may be absent)."""
    fields = {**(optional_keys or {}), **required}

    def check(value, ctx, path):
        if type(value) is not dict:
            raise FrameError(f"{_where(path)}: expected an object")
        clean = {}
        for key, item in value.items():
            checker = fields.get(key)
            if checker is None:
                raise FrameError(f"{_where(path)}: unknown {_names(value.keys() - fields.keys())}")
            clean[key] = checker(item, ctx, (path, key))
        if len(clean) < len(fields) and (missing := required.keys() - clean.keys()):
            raise FrameError(f"{_where(path)}: missing {_names(missing)}")
        return clean
    return check


def plain_data(value, ctx, path, depth=0):
    """A returned value as the harness's ``programs.plain`` makes it: None, a bool,
    a bounded int, a float, a string, a numeric array, a list of these, or
    {"$object": type name} for anything it could not send."""
    kind = type(value)
    if kind is np.ndarray:
        return _array(value, path)
    if value is None or kind is bool or kind is float:
        return value
    if kind is int:
        if abs(value) >= MAX_INT:
            raise FrameError(f"{_where(path)}: integer out of range")
        return value
    if kind is str:
        return _TEXT(value, ctx, path)
    if kind is list:
        if depth >= MAX_DEPTH:
            raise FrameError(f"{_where(path)}: nested too deeply")
        return [plain_data(v, ctx, (path, i), depth + 1) for i, v in enumerate(value)]
    return OBJECT(value, ctx, path)


def _array(value, path):
    # The wire decoder only makes arrays of plain numeric dtypes; this holds if it changes.
    if value.dtype.kind not in "biufc":
        raise FrameError(f"{_where(path)}: not a plain numeric array")
    return value


_TEXT = text(TEXT)
OBJECT = record({"$object": _TEXT})


def _where(path) -> str:
    """A value's place in its frame, e.g. frame.cells[0].error: built only for a
    reason, as (parent, key) pairs until then."""
    if isinstance(path, str):
        return path
    parent, key = path
    return f"{_where(parent)}[{key}]" if isinstance(key, int) else f"{_where(parent)}.{key}"


def _names(keys) -> str:
    return ", ".join(sorted(repr(k)[:40] for k in keys)[:5])


# -- the frames -----------------------------------------------------------------

ERROR = record({"type": text(TEXT), "message": text(TEXT),
                "where": items(text(TEXT), WHERE, cut=True)})
CELL_INDEX = integer(0, lambda ctx: ctx.cells)
_CASE_FIELDS = record({"ok": boolean}, {
    "out": plain_data, "error": text(TEXT), "exc_type": text(TEXT),
    "grad_rows": items(plain_data, 2 ** 20),
    "rng_probe": items(plain_data, 4)})


def case_result(value, ctx, path):
    """One case's result: a call that returned has its value."""
    result = _CASE_FIELDS(value, ctx, path)
    if result["ok"] and "out" not in result:
        raise FrameError(f"{_where(path)}: a result without its value")
    return result


@dataclass(frozen=True)
class Kind:
    fields: dict
    phases: tuple
    optional: dict = None
    then: object = None   # (frame, context) -> None: checks across fields

    def check(self, frame, ctx):
        return record({"event": text(20), **self.fields}, self.optional)(frame, ctx, "frame")


def _cells_in_order(frame, ctx):
    """The cells that ran, each once, in the notebook's order (skipped cells are
    left out of a sliced run)."""
    indices = [c["index"] for c in frame["cells"]]
    if any(a >= b for a, b in zip(indices, indices[1:])):
        raise FrameError("frame.cells: not the cells in the notebook's order")


def _results_of_check(frame, ctx):
    if not frame["results"]:
        raise FrameError("frame.results: empty")
    for k in frame["results"]:
        if k in ctx.received:
            raise FrameError(f"frame.results: case {k} answered twice")
        if ctx.checks[k] != frame["check"]:
            raise FrameError(f"frame.results: case {k} is not of check {frame['check'][:40]!r}")


def _cases(value, ctx, path):
    """{"k": case result} with k a case number of this run -> {k: result}."""
    if type(value) is not dict:
        raise FrameError(f"{_where(path)}: expected an object")
    cases = {}
    for key, result in value.items():
        if not (key.isdecimal() and len(key) <= 9 and str(int(key)) == key
                and int(key) < len(ctx.checks)):
            raise FrameError(f"{_where(path)}: {key[:20]!r} is not a case number of this run")
        cases[int(key)] = case_result(result, ctx, (path, key))
    return cases


#: Every frame kind: its fields besides "event", and when it may come.
KINDS = {
    "cell": Kind({"index": CELL_INDEX}, (CELLS,)),
    "executed": Kind({"cells": items(record({"index": CELL_INDEX, "error": optional(ERROR)}),
                                     lambda ctx: ctx.cells),
                      "output": text(lambda ctx: ctx.output_limit + 100)},
                     (CELLS,), then=_cells_in_order),
    "results": Kind({"check": text(TEXT), "results": _cases}, (CHECKS,), then=_results_of_check),
    "limit": Kind({"kind": text(20), "where": text(100)}, (CELLS,)),
    # A remote grad_fn's request; its values are checked where it is answered
    # (``gradients.answer``).
    "grad": Kind({"case": integer(0, lambda ctx: len(ctx.checks)), "theta": plain_data,
                  "X": plain_data, "y": plain_data}, (CHECKS,)),
    "done": Kind({}, (CHECKS,)),
}


def validate(frame, ctx: Context) -> dict:
    """``frame`` as later stages may use it; FrameError (a one-line reason) if it is off."""
    if type(frame) is not dict:
        raise FrameError("frame: expected an object")
    event = frame.get("event")
    kind = KINDS.get(event) if type(event) is str else None
    if kind is None:
        raise FrameError(f"unknown event {str(event)[:40]!r}")
    if ctx.phase not in kind.phases:
        raise FrameError(f"event {event!r} out of order (while running the {ctx.phase})")
    clean = kind.check(frame, ctx)
    if kind.then is not None:
        kind.then(clean, ctx)
    return clean

