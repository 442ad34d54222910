"""How much of a submission's text a record keeps: every cap in one place.

A record's strings come from the student's process (messages, printed
output, cell errors), from the notebook (code, written answers, metadata) or
from the grader. ``bounded`` cuts each to its cap before the journal writes
the record, and again when a journal is read, so that no journal line and no
report grows with what a notebook prints or sends. Fields this module does not
know (added later, or sent by a student's process) get the generic caps.
Student ids are left whole: they are the journal's keys, and cutting them
could make two students one.
"""
from __future__ import annotations

MESSAGE = 500          # a check's message or detail, a reason, one cell error's message
WHERE = 200            # one line of a cell error's "where"
WHERE_LINES = 10       # lines of "where" per cell error
ERROR_CELLS = 20       # cell errors kept per record
OUTPUT = 4000          # printed output: its tail
ANSWER = 10_000        # one written answer
ANSWERS = 10           # written answers kept
CODE = 100_000         # all own code of a submission together
CODE_CELLS = 200       # own code cells kept
OTHER = 1000           # any other string, at any depth
ITEMS = 100            # any other list or mapping
DEPTH = 6              # nesting kept in fields this module does not know

MORE = "\u2026"        # marks text cut short


def cut(text, limit: int) -> str:
    """``text`` (any value, as str) in at most ``limit`` characters."""
    text = text if isinstance(text, str) else str(text)
    return text if len(text) <= limit else text[:limit - 1] + MORE


def tail(text, limit: int) -> str:
    text = text if isinstance(text, str) else str(text)
    return text if len(text) <= limit else MORE + text[len(text) - limit + 1:]


def bounded(record: dict) -> dict:
    """A copy of ``record`` with every string and list within its cap."""
    out = {}
    for key, value in list(record.items())[:ITEMS]:
        key = cut(key, OTHER)
        if key in _FIELDS:
            out[key] = _FIELDS[key](value)
        else:
            out[key] = generic(value)
    return out


def generic(value, depth: int = 0):
    """Any JSON-like value within the generic caps; other types become text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return cut(value, OTHER)
    if depth >= DEPTH:
        return cut(repr(value), OTHER)
    if isinstance(value, dict):
        return {cut(k, OTHER): generic(v, depth + 1) for k, v in list(value.items())[:ITEMS]}
    if isinstance(value, (list, tuple)):
        return [generic(v, depth + 1) for v in list(value)[:ITEMS]]
    try:
        return float(value)  # numpy scalars
    except (TypeError, ValueError):
        return cut(str(value), OTHER)


def _student(value):
    return value if isinstance(value, str) else generic(value)


def _message(value):
    return cut(value, MESSAGE) if isinstance(value, str) else generic(value)


def _checks(value):
    if not isinstance(value, list):
        return generic(value)
    return [_check(c) if isinstance(c, dict) else generic(c) for c in value]


def _check(check: dict) -> dict:
    out = {k: generic(v) for k, v in list(check.items())[:ITEMS]}
    for key in ("message", "detail"):
        if key in check:
            out[key] = _message(check[key])
    if isinstance(check.get("diagnosis"), list):
        out["diagnosis"] = [generic(d, 1) for d in check["diagnosis"][:ITEMS]]
    return out


def _cells(value):
    if not isinstance(value, list):
        return []
    errors = [c for c in value if isinstance(c, dict) and c.get("error")][:ERROR_CELLS]
    return [_cell(c) for c in errors]


def _cell(cell: dict) -> dict:
    out = {k: generic(v) for k, v in list(cell.items())[:ITEMS]}
    error = cell["error"]
    if isinstance(error, dict):
        error = {k: generic(v, 1) for k, v in list(error.items())[:ITEMS]}
        if "message" in error:
            error["message"] = _message(cell["error"]["message"])
        where = cell["error"].get("where")
        if where is not None:
            lines = where if isinstance(where, list) else [where]
            error["where"] = [cut(line, WHERE) for line in lines[:WHERE_LINES]]
    else:
        error = _message(error)
    out["error"] = error
    return out


def _output(value):
    return tail(value, OUTPUT)


def _answers(value):
    if not isinstance(value, dict):
        return {}
    return {cut(k, OTHER): cut(v, ANSWER) for k, v in list(value.items())[:ANSWERS]}


def _own_code(value):
    if not isinstance(value, list):
        return []
    out, left = [], CODE
    for cell in value[:CODE_CELLS]:
        if not (isinstance(cell, dict) and isinstance(cell.get("source"), str)) or left <= 0:
            continue
        source = cell["source"][:left]
        left -= len(source)
        out.append({"cell": cell.get("cell") if isinstance(cell.get("cell"), int) else 0,
                    "source": source})
    return out


def _written(value):
    if not isinstance(value, dict):
        return generic(value)
    return {cut(k, OTHER): generic(v, 1) for k, v in list(value.items())[:ANSWERS]}


_FIELDS = {"student": _student, "reason": _message, "checks": _checks, "cells": _cells,
           "output": _output, "answers": _answers, "own_code": _own_code, "written": _written}
