"""OUT/moodle-import.csv from Moodle's offline grading worksheet.

The worksheet (assignment > View all submissions > Grading action "Download
grading worksheet") has one row per participant: ``Identifier`` ("Participant
N", N being the number in the bulk download's folder names), ``Full name``,
``Email address``, ``Status``, ``Grade``, ``Maximum Grade``, ``Grade can be
changed``, ``Last modified (submission)``, ``Last modified (grade)``,
``Feedback comments``. Only ``Grade`` and ``Feedback comments`` of the students
with a grade change; Moodle
refuses a grade above ``Maximum Grade``, so a score above it (bonus points) is
written as the maximum and listed.
"""
from __future__ import annotations

import re
from pathlib import Path

from grader.errors import UsageError
from grader.export import GRADED, match, number, read_csv, results, summary, write_csv

NEEDED = ("Identifier", "Grade", "Feedback comments")
PARTICIPANT = re.compile(r"Participant\s+(\d+)")
NAME = "moodle-import.csv"


def export(out: Path, worksheet: Path) -> str:
    found = results(out)
    header, rows = read_csv(worksheet, "the Moodle grading worksheet")
    missing = [c for c in NEEDED if c not in header]
    if missing:
        raise UsageError(f"{worksheet} is not a Moodle grading worksheet: no column "
                         f"{', '.join(repr(m) for m in missing)}")
    ident, grade, comments = (header.index(c) for c in NEEDED)
    top = header.index("Maximum Grade") if "Maximum Grade" in header else None
    people = {i: _number(row[ident]) for i, row in enumerate(rows) if row[ident].strip()}
    m = match(found, people, _identifier)
    blank = [r for r in m.rows.values() if r.status not in GRADED]
    capped = []
    for i, r in m.rows.items():
        if r.status not in GRADED:
            continue
        score = float(r.score)
        maximum = _maximum(rows[i][top], worksheet) if top is not None else None
        if maximum is not None and score > maximum:
            capped.append(f"{r.student} ({score:g} > {maximum:g})")
            score = maximum
        rows[i][grade] = number(str(score))
        rows[i][comments] = (f"Autograded: {float(r.score):g} / {float(r.max_score):g} "
                             f"({r.status}{': ' + r.reason if r.reason else ''})")
    written = Path(out) / NAME
    write_csv(written, header, rows)
    text = summary("worksheet", written, m, blank)
    if capped:
        text += "\nwritten as Moodle's maximum grade: " + "; ".join(capped)
    return text


def _number(identifier: str) -> str:
    """"Participant 17" -> "17"; any other identifier as it is."""
    found = PARTICIPANT.fullmatch(identifier.strip())
    return found[1] if found else identifier.strip()


def _identifier(r) -> str | None:
    if r.lms:
        return r.lms.get("participant") if r.lms.get("system") == "moodle" else None
    return _number(r.student)


def _maximum(text: str, worksheet: Path) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise UsageError(f"{worksheet}: Maximum Grade {text!r} is not a number") from None
