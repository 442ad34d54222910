"""grades.csv: one row per submission, whatever happened to it."""
import csv

FIXED = ["student", "assignment", "score", "max_score", "status", "reason"]


def write(spec, records, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    questions = [q.name for q in spec.questions]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(FIXED + questions)
        for r in records:
            writer.writerow([r["student"], r["assignment"], number(r["score"]),
                             number(r["max_score"]), r["status"], r["reason"]]
                            + [number(r["questions"].get(q, 0.0)) for q in questions])


def number(x) -> str:
    return f"{float(x):g}"
