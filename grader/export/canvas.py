"""OUT/canvas-import.csv from a Canvas gradebook export (Grades > Export).

Canvas's export has the columns ``Student, ID, SIS User ID, SIS Login ID,
Section``, then one column per assignment named ``Title (assignment id)``, and
read-only totals; under the header come rows without a student ID (``Points
Possible``, posting policies), kept as they are. Every column is kept, only
the chosen assignment's cells change: Canvas's import shows what changed and
leaves unchanged columns alone.
"""
from __future__ import annotations

import re
from pathlib import Path

from grader.errors import UsageError
from grader.export import GRADED, match, number, read_csv, results, summary, write_csv

ROSTER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
ASSIGNMENT = re.compile(r"(?P<title>.+) \((?P<id>\d+)\)")
NAME = "canvas-import.csv"


def export(out: Path, gradebook: Path, column: str | None = None, title: str = "") -> str:
    """``title``: the graded assignment's title, as its column may be named."""
    found = results(out)
    header, rows = read_csv(gradebook, "the Canvas gradebook")
    missing = [c for c in ROSTER if c not in header]
    if missing:
        raise UsageError(f"{gradebook} is not a Canvas gradebook export: no column "
                         f"{', '.join(repr(m) for m in missing)}")
    target = header.index(_column(header, column, _assignment_names(out, title), gradebook))
    ids = header.index("ID")
    students = {i: row[ids].strip() for i, row in enumerate(rows) if row[ids].strip()}
    m = match(found, students, _canvas_id)
    blank = [r for r in m.rows.values() if r.status not in GRADED]
    for i, r in m.rows.items():  # everyone else's cell stays as Canvas has it (blank: no grade)
        if r.status in GRADED:
            rows[i][target] = number(r.score)
    written = Path(out) / NAME
    write_csv(written, header, rows)
    return summary("gradebook", written, m, blank)


def _canvas_id(r) -> str | None:
    if r.lms:
        return r.lms.get("user_id") if r.lms.get("system") == "canvas" else None
    return r.student


def _assignment_names(out: Path, title: str) -> set:
    """The graded assignment's id and title, as a column may be named."""
    from grader.journal import load

    names = {r.assignment for r in load(out)} | {title}
    return {n.casefold() for n in names if n}


def _column(header: list, chosen: str | None, names: set, gradebook: Path) -> str:
    columns = [h for h in header if ASSIGNMENT.fullmatch(h)]
    if chosen is not None:
        if chosen not in columns:
            raise UsageError(f"--column {chosen!r} is not an assignment column of {gradebook}: "
                             f"choose one of {_listed(columns)}")
        return chosen
    named = [h for h in columns if ASSIGNMENT.fullmatch(h)["title"].strip().casefold() in names]
    if len(named) != 1:
        raise UsageError(f"{'several' if named else 'no'} columns of {gradebook} named after the "
                         f"assignment: pass --column, one of {_listed(named or columns)}")
    return named[0]


def _listed(columns: list) -> str:
    return ", ".join(repr(c) for c in columns) if columns else "(none: add the assignment in Canvas first)"
