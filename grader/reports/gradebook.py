"""grades.csv: one row per submission, whatever happened to it.

After the automatic questions, one column per written question: its points
once the tutor's marks are merged (``grader report OUT --manual FILE``),
empty while not marked. Text cells go through ``files.csv_cell`` (no cell a
spreadsheet would run as a formula) and are cut to ``bounds.MESSAGE``."""
import csv

from grader import bounds
from grader.reports import files

FIXED = ["student", "assignment", "score", "max_score", "status", "reason"]


def write(spec, records, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    questions = [q.name for q in spec.questions]
    written = [w.name for w in spec.written]
    with open(path, "w", newline="", **files.TEXT) as f:
        writer = csv.writer(f)
        writer.writerow([files.csv_cell(h) for h in FIXED + questions + written])
        for r in records:
            writer.writerow([_text(r.student), _text(r.assignment), number(r.score),
                             number(r.max_score), _text(r.status),
                             _text(bounds.cut(r.reason, bounds.MESSAGE))]
                            + [number(r.questions.get(q, 0.0)) for q in questions]
                            + [written_points(r, w) for w in written])


def written_points(record, name) -> str:
    mark = (record.written or {}).get(name)
    return "" if mark is None or mark.points is None else number(mark.points)


def number(x) -> str:
    return f"{float(x):g}"


def _text(value) -> str:
    return files.csv_cell(value)
