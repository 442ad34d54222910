"""Reports built from the journal's records: every file a run writes into --out.

A report reads records (``grader.record``), the ``Assignment`` and its
template notebook, all given by the pipeline (``grader.grade``); no report
finds or loads an assignment itself."""
import shutil

from grader import scoring
from grader.reports import feedback, gradebook, gradescope, html, manual
from grader.reports.files import safe_name


def write_all(spec, template, records, out, students: bool = True, texts: dict | None = None):
    """Rebuild every report from the records; stale per-student files go.
    ``template``: the assignment's student template (a ``Notebook``).

    ``students=False``: the per-student files are written already (the
    grading run writes each as its submission finishes), and ``texts``
    holds each student's feedback Markdown as written.
    """
    if students:
        clear_students(out)
        texts = {r.student: write_student(spec, r, out) for r in records}
    gradebook.write(spec, records, out / "grades.csv")
    manual.write_template(spec, records, out / manual.NAME)
    html.write(spec, template, records, out / html.FOLDER, texts)


def clear_students(out):
    for folder in ("results", "feedback"):
        shutil.rmtree(out / folder, ignore_errors=True)


def write_student(spec, record, out) -> str:
    """The student's own files: results/<id>.json (Gradescope) and feedback/<id>.md;
    returns the feedback."""
    name = safe_name(record.student)
    gradescope.write(record, out / "results" / f"{name}.json", scoring.words(spec))
    return feedback.write(spec, record, out / "feedback" / f"{name}.md")
