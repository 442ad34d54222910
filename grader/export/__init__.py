"""LMS gradebooks filled from a graded folder: ``grader export canvas|moodle``.

Scores come from OUT/grades.csv (written marks included once merged), each
student's LMS identity from OUT/journal.jsonl (``record.lms``, set when the
submissions were an LMS download). The LMS's own file is untrusted input: a
problem with it is a clear error (exit status 2), never a traceback.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.status import Status

#: Statuses that are a grade (a notebook that never finishes scores 0); the
#: others (unreadable, wrong assignment, error) are left blank for the tutor.
GRADED = (Status.GRADED, Status.TIMEOUT, Status.MEMORY)
MAX_BYTES = 50 * 2 ** 20


@dataclass
class Result:
    student: str
    score: str
    max_score: str
    status: str
    reason: str
    lms: dict | None


def results(out: Path) -> list[Result]:
    from grader.journal import NAME, load

    out = Path(out)
    grades = out / "grades.csv"
    if not grades.is_file() or not (out / NAME).is_file():
        raise UsageError(f"{out} has no grades.csv and {NAME}: run grader grade PATH --out {out} first")
    lms = {r.student: r.lms or None for r in load(out)}
    header, rows = read_csv(grades, "grades.csv")
    need = ("student", "score", "max_score", "status", "reason")
    _require(header, need, grades)
    at = {name: header.index(name) for name in need}
    return [Result(*(row[at[n]] for n in need), lms.get(row[at["student"]])) for row in rows]


def read_csv(path: Path, what: str) -> tuple[list, list]:
    """(header, rows) of a CSV file, every row as long as the header."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path} is larger than {MAX_BYTES // 2 ** 20} MB: is it the right file?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text (byte {exc.start}): export it again as CSV") from None
    try:
        table = [row for row in csv.reader(io.StringIO(text, newline=""), strict=True)]
    except csv.Error as exc:
        raise UsageError(f"{path} is not valid CSV: {exc}") from None
    if not table or not any(table[0]):
        raise UsageError(f"{path} is empty: export {what} again")
    header = [h.strip() for h in table[0]]
    rows = []
    for line, row in enumerate(table[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise UsageError(f"{path}, line {line}: {len(row)} cells for {len(header)} columns")
        rows.append(row + [""] * (len(header) - len(row)))
    return header, rows


def _require(header: list, names, path: Path) -> None:
    missing = [n for n in names if n not in header]
    if missing:
        raise UsageError(f"{path} has no column {', '.join(repr(m) for m in missing)}: "
                         f"its columns are {', '.join(header[:12])}")


def write_csv(path: Path, header: list, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


@dataclass
class Match:
    """Who of the roster each result is, and what could not be placed."""
    rows: dict            # roster row index -> Result
    unmatched: list       # results matching no one in the roster
    ambiguous: list       # roster rows that several results claim: left blank


def match(found: list[Result], roster_key, own_key) -> Match:
    """Each result to the roster row whose key is its ``own_key``: never guessed."""
    index: dict = {}
    for i, key in roster_key.items():
        index.setdefault(key, []).append(i)
    claims: dict = {}
    unmatched = []
    for r in found:
        rows = index.get(own_key(r), [])
        if len(rows) != 1:
            unmatched.append(r)
        else:
            claims.setdefault(rows[0], []).append(r)
    ambiguous = [rs for rs in claims.values() if len(rs) > 1]
    return Match({i: rs[0] for i, rs in claims.items() if len(rs) == 1}, unmatched, ambiguous)


def summary(kind: str, written: Path, m: Match, blank: list) -> str:
    lines = [f"wrote {written}: {len(m.rows)} students filled"]
    if blank:
        lines.append(f"not written, not a grade ({len(blank)}): "
                     + "; ".join(f"{r.student} ({r.status}: {r.reason})" for r in blank))
    if m.ambiguous:
        lines.append("not written, several submissions for one student: "
                     + "; ".join(", ".join(r.student for r in rs) for rs in m.ambiguous))
    if m.unmatched:
        lines.append(f"matching no one in the {kind} ({len(m.unmatched)}, not written): "
                     + ", ".join(r.student for r in m.unmatched))
    return "\n".join(lines)


def number(text: str) -> str:
    return f"{float(text):.2f}"
