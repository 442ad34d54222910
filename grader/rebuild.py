"""``grader report``: every report again from a graded folder's journal.

The pipeline's second entry: it reads the records, finds the assignment they
were graded as (``course.of_records``), merges the tutor's marks when given,
and hands the assignment, its template and the records to the reports.
"""
from __future__ import annotations

from pathlib import Path

from grader import course, reports
from grader.errors import UsageError
from grader.journal import NAME, load
from grader.reports import manual


def rebuild(out, manual_csv=None, assignment=None):
    """Every report again from OUT's journal, with the tutor's marks merged when
    ``manual_csv`` is given (all of it, or nothing). ``assignment``: its folder
    or built-in name, when the journal's is gone. Returns (assignment, records, out)."""
    out = Path(out)
    if not (out / NAME).is_file():
        raise UsageError(f"{out} has no {NAME}: run grader grade PATH --out {out} first")
    records = load(out)
    if not records:
        raise UsageError(f"{out / NAME} holds no results: grade again")
    spec = course.of_records(records, assignment)
    if manual_csv is not None:
        marks = manual.read(manual_csv, spec, [r.student for r in records])
        records = manual.merge(spec, records, marks)
    reports.write_all(spec, course.template(spec), records, out)
    return spec, records, out


def title(out) -> str:
    """The title of the assignment OUT was graded as; "" when its folder is gone."""
    try:
        return course.of_records(load(Path(out))).title
    except UsageError:
        return ""
