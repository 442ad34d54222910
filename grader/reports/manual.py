"""manual.csv: the tutor's marks for written answers, and their merge into the records.

``grader grade`` writes ``OUT/manual.csv`` with one row per student and written
question (``student, question, points, comment``), points and comments empty.
The tutor fills in what they have marked; ``grader report OUT --manual FILE``
reads it, and only when every line is valid merges it: a file with any problem
is refused whole, each problem named with its line. An empty ``points`` cell
means "not marked yet". Cells of ids and question names are written through
``files.csv_cell`` (no formula for a spreadsheet to run) and read back through
``files.csv_value``, so every id comes back as it was.

Merged records get ``record.written`` (per written question: title, points
or None, max_points, comment); their score includes the written points and
their max_score every written question's points, marked or not.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from pathlib import Path

from grader.record import WrittenMark
from grader.reports import files
from grader.errors import UsageError

NAME = "manual.csv"
COLUMNS = ["student", "question", "points", "comment"]


class ManualError(UsageError):
    """A manual.csv that cannot be merged; one line per problem."""

    def __init__(self, path, problems: list):
        self.problems = problems
        super().__init__("\n".join([f"{Path(path).name} line {n}: {why}" for n, why in problems]
                                   + [f"{Path(path).name}: nothing merged; fix the lines above"]))


def write_template(spec, records, path: Path) -> bool:
    """Write the blank sheet; a file that already holds any mark or comment is
    never overwritten. Returns whether the file was written."""
    if not spec.written or (path.exists() and not _blank(path)):
        return False
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # "\r\n" ends rows, so that a "\r" in an id is quoted
    writer.writerow(COLUMNS)
    for r in records:
        for w in spec.written:
            writer.writerow([files.csv_cell(r.student), files.csv_cell(w.name), "", ""])
    files.save(path, buffer.getvalue())
    return True


def _blank(path: Path) -> bool:
    """A sheet as written: parses, and no row has points or a comment."""
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return all(not (row.get("points") or "").strip() and not (row.get("comment") or "").strip()
               for row in rows)


def read(path, spec, students) -> dict:
    """{(student, question): (points or None, comment)}; ManualError listing every problem."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:  # a byte order mark is fine
            text = f.read()  # newline="": a line break inside a quoted id stays as it is
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist: give the manual.csv you filled in") from None
    except UnicodeDecodeError:
        raise ManualError(path, [(1, "not UTF-8 text: save the sheet as CSV UTF-8")]) from None
    problems: list = []
    marks = _rows(text, spec, set(students), problems)
    if problems:
        raise ManualError(path, problems)
    return marks


def _rows(text: str, spec, students: set, problems: list) -> dict:
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        problems.append((1, f"the file is empty: it needs the header {','.join(COLUMNS)}"))
        return {}
    delimiter = ";" if lines[first].count(";") > lines[first].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    written = {w.name: w for w in spec.written}
    marks, seen, header = {}, {}, None
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row]
            if header is None:
                header = cells
                if sorted(header) != sorted(COLUMNS):
                    problems.append((line, f"the header must be {','.join(COLUMNS)}, "
                                           f"found {','.join(header)}"))
                    return {}
                continue
            if len(cells) != len(header):
                problems.append((line, f"{len(cells)} fields, expected {len(header)}"))
                continue
            row_ = dict(zip(header, cells))
            raw = dict(zip(header, row))
            row_["student"] = _id(raw["student"], students)
            row_["question"] = files.csv_value(row_["question"])
            key = (row_["student"], row_["question"])
            why = _problem(row_, written, students, seen, delimiter)
            if why:
                problems.append((line, why))
                continue
            seen[key] = line
            marks[key] = (_number(row_["points"], delimiter), row_["comment"])
    except csv.Error as exc:
        problems.append((start, f"not valid CSV: {exc}"))
    return marks


def _id(cell: str, students: set) -> str:
    """The student id of a cell: as written, or else without the spaces around it."""
    value = files.csv_value(cell)
    return value if value in students else files.csv_value(cell.strip())


def _problem(row: dict, written: dict, students: set, seen: dict, delimiter: str) -> str:
    student, question, points = row["student"], row["question"], row["points"]
    if student not in students:
        return f"unknown student {student!r}: not in this class's journal"
    if question not in written:
        return f"unknown written question {question!r}: this assignment has " + \
               ", ".join(sorted(written))
    if (student, question) in seen:
        return f"a second row for {student}, {question} (the first is line {seen[student, question]})"
    if points == "":
        return ""
    value = _number(points, delimiter)
    if value is None:
        return f"points {points!r} is not a number"
    if not 0 <= value <= written[question].points:
        return f"points {points} out of range for {question}: 0 to {written[question].points:g}"
    return ""


def _number(text: str, delimiter: str):
    if text == "":
        return None
    if delimiter == ";":
        text = text.replace(",", ".")  # a spreadsheet in a decimal-comma locale
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def merge(spec, records: list, marks: dict) -> list:
    """New records with the marks: ``written``, and score and max_score including them."""
    merged = []
    for r in records:
        written = {}
        for w in spec.written:
            points, comment = marks.get((r.student, w.name), (None, ""))
            written[w.name] = WrittenMark(w.title, points, w.points, comment)
        score = round(r.score + sum(m.points or 0.0 for m in written.values()), 6)
        merged.append(replace(r, written=written, score=score,
                              max_score=r.max_score + spec.written_points))
    return merged
