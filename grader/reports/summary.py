"""The table printed at the end of a run: distribution, question means, statuses."""
from collections import Counter

from rich.console import Console
from rich.table import Table

from grader.status import Status


def show(spec, records, out, console: Console | None = None):
    console = console or Console()
    graded = [r for r in records if r.status == Status.GRADED]
    table = Table(title=f"{spec.title}: {len(records)} submissions")
    table.add_column("question")
    table.add_column("max", justify="right")
    table.add_column("mean (graded)", justify="right")
    for q in spec.questions:
        mean = sum(r.questions.get(q.name, 0) for r in graded) / len(graded) if graded else 0
        table.add_row(q.title, f"{q.points:g}", f"{mean:.2f}")
    console.print(table)
    console.print(_distribution(records, max((r.max_score for r in records), default=0)))
    statuses = Counter(r.status for r in records)
    console.print("statuses: " + ", ".join(f"{s} {n}" for s, n in sorted(statuses.items())))
    console.print(f"grades: {out / 'grades.csv'}")
    console.print(f"report: {(out / 'report' / 'index.html').resolve()}")


def _distribution(records, max_score):
    table = Table(title="score distribution", show_header=True)
    table.add_column("score")
    table.add_column("students", justify="right")
    table.add_column("")
    bins = Counter(min(int(5 * r.score / max_score), 4) if max_score else 0 for r in records)
    for b in range(5):
        lo, hi = b * max_score / 5, (b + 1) * max_score / 5
        table.add_row(f"{lo:g}-{hi:g}", str(bins[b]), "#" * bins[b])
    return table
