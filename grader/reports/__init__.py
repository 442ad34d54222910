"""Reports built from the journal's records: every file a run writes into --out."""
import hashlib
import shutil
from pathlib import Path

from grader.reports import feedback, gradebook, gradescope, html, manual


def write_all(spec, records, out, students: bool = True, texts: dict | None = None):
    """Rebuild every report from the records; stale per-student files go.

    ``students=False``: the per-student files are written already (the
    grading run writes each as its submission finishes), and ``texts``
    holds each student's feedback Markdown as written.
    """
    if students:
        clear_students(out)
        texts = {r["student"]: write_student(spec, r, out) for r in records}
    gradebook.write(spec, records, out / "grades.csv")
    manual.write_template(spec, records, out / manual.NAME)
    html.write(spec, records, out / html.FOLDER, texts)


def clear_students(out):
    for folder in ("results", "feedback"):
        shutil.rmtree(out / folder, ignore_errors=True)


def write_student(spec, record, out) -> str:
    """The student's own files: results/<id>.json (Gradescope) and feedback/<id>.md;
    returns the feedback."""
    name = safe_name(record["student"])
    gradescope.write(record, out / "results" / f"{name}.json")
    return feedback.write(spec, record, out / "feedback" / f"{name}.md")


def rebuild(out, manual_csv=None, assignment=None):
    """``grader report``: every report again from OUT's journal, with the tutor's
    marks merged when ``manual_csv`` is given (all of it, or nothing).
    ``assignment``: its folder or built-in name, when the journal's is gone."""
    from grader import course
    from grader.journal import NAME, load
    from grader.submissions import UsageError

    out = Path(out)
    if not (out / NAME).is_file():
        raise UsageError(f"{out} has no {NAME}: run grader grade PATH --out {out} first")
    records = load(out)
    if not records:
        raise UsageError(f"{out / NAME} holds no results: grade again")
    spec = course.of_records(records, assignment)
    if manual_csv is not None:
        marks = manual.read(manual_csv, spec, [r["student"] for r in records])
        records = manual.merge(spec, records, marks)
    write_all(spec, records, out)
    return spec, records, out


def safe_name(student: str) -> str:
    """A file name for a student id, a different one for each id: "%", path
    separators, NUL and a leading dot are written as %XX, and a name too long
    for a file system is cut and ended with a hash of the whole id."""
    name = "".join(_ESCAPED.get(c, c) for c in student)
    name = ("%2E" + name[1:]) if name.startswith(".") else (name or "%")
    if len(name.encode("utf-8", "surrogatepass")) > 200:
        digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        name = name.encode("utf-8", "surrogatepass")[:150].decode("utf-8", "ignore") + "~" + digest
    return name


_ESCAPED = {"%": "%25", "/": "%2F", "\\": "%5C", "\0": "%00"}
