"""Reports built from the journal's records: every file a run writes into --out."""
import shutil

from grader.reports import feedback, gradebook, gradescope


def write_all(spec, records, out):
    """Rebuild every report from the records; stale per-student files go."""
    for folder in ("results", "feedback"):
        shutil.rmtree(out / folder, ignore_errors=True)
    gradebook.write(spec, records, out / "grades.csv")
    for record in records:
        name = safe_name(record["student"])
        gradescope.write(record, out / "results" / f"{name}.json")
        feedback.write(spec, record, out / "feedback" / f"{name}.md")


def safe_name(student: str) -> str:
    """A file name for a student id: path separators and leading dots neutralised."""
    name = student.replace("/", "_").replace("\\", "_").replace("\0", "_")
    return ("_" + name) if name.startswith(".") or not name else name
