"""The grading pipeline: submissions -> isolated runs -> scores -> journal -> reports."""
from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from grader import __version__, course, reports, slicing
from grader.checks.expected import prepare
from grader.checks.secret import FILE_NAME as SECRET_FILE, Secret
from grader.execute import choose, run_submission
from grader.journal import INTERNAL, Journal
from grader.notebooks import Unreadable, own_code, read_notebook
from grader.record import Outcome, Record
from grader.scoring import not_run, score_run
from grader.errors import ClusterLost, UsageError
from grader.options import GradeOptions
from grader.submissions import discover
from grader.status import Status


@dataclass
class Job:
    """Everything the pipeline knows about one submission before it runs."""
    submission: object
    notebook: object = None
    status: str = ""      # set when the submission cannot be run at all
    reason: str = ""


def grade(path, out=None, options: GradeOptions = GradeOptions(), progress=None):
    """Grade every submission under ``path`` as ``options`` say; returns
    (assignment, records, out). ``progress(done, total)`` is called as
    submissions finish.

    With ``options.scheduler`` (a Dask scheduler's address) submissions run on
    its workers, and everything else stays here, as in a local run.
    """
    path = Path(path)
    out = Path(out) if out else default_out(path)
    _refuse_inside(path, out)
    submissions = list(discover(path))
    # Sandboxes start first: their Pythons warm up while the class is read.
    # What the sandbox must not show: the class, its results and secret, and the
    # assignment's folder (its reference and hidden checks).
    hidden = [path, out] + ([course.locate(options.assignment)] if options.assignment else [])
    with _executor(options, hidden, len(submissions)) as (execute, jobs):
        spec, journal, feedback = _grade(submissions, out, options, execute, jobs, progress)
    records = journal.latest()
    for record in records:  # results of an earlier run (--resume): their students' files
        if record.student not in feedback:
            feedback[record.student] = reports.write_student(spec, record, out)
    reports.write_all(spec, course.template(spec), records, out, students=False, texts=feedback)
    return spec, records, out


def _grade(submissions, out, options: GradeOptions, execute, jobs, progress):
    """Every submission through ``execute``, into the journal; returns the
    assignment, the journal and each student's feedback as written."""
    todo = [_read(s) for s in submissions]
    spec = course.load(_class_assignment(todo, options.assignment))
    for job in todo:
        _check_assignment(job, spec.id)
    out.mkdir(parents=True, exist_ok=True)
    secret = options.secret or Secret.load_or_create(out / SECRET_FILE)
    journal = Journal(out, options.resume)
    limits, run_all = options.limits, options.run_all
    reports.clear_students(out)
    prepared = prepare(spec, secret)
    plan, case_index = _flatten(prepared)
    given = course.template(spec).cells
    folder = course.source(spec)  # where ``grader report`` finds the assignment again
    shipped = course.files(spec)
    code = spec.extension.source  # its harness.py, loaded in every sandbox

    wanted = slicing.graded_names(plan)

    def with_files(cells, plan_, limits_):
        return execute(cells, plan_, limits_, shipped, code)
    feedback: dict = {}

    def one(job):
        key = {"sha256": job.submission.sha256, "grader_version": __version__,
               "assignment": spec.id, "assignment_version": spec.version,
               "inputs": secret.fingerprint}
        if run_all:  # --resume --run-all runs again what an earlier run sliced
            key["run_all"] = True
        if (record := journal.reusable(job.submission.student, key)) is not None:
            return record  # its student's files are written with the class's
        if job.status:
            outcome = _unrun(spec, prepared, job)
        else:
            try:
                raw, skipped = slicing.run(with_files, job.notebook.cells, plan, limits,
                                           None if run_all else wanted)
                outcome = replace(score_run(prepared, raw, case_index), skipped_cells=skipped)
            except ClusterLost:
                raise  # the run cannot go on (its Dask scheduler is gone): no row, --resume
            except Exception as exc:  # a fault of ours must still leave the student a row
                outcome = _internal(spec, prepared, job, exc)
        record = Record(
            student=job.submission.student, **key, assignment_folder=folder,
            max_score=spec.max_score, origin=job.submission.origin,
            name=job.submission.name or job.submission.student, lms=job.submission.lms,
            answers=job.notebook.answers if job.notebook else {},
            # what the student wrote, for the similarity finder in the report
            own_code=own_code(job.notebook.cells, given) if job.notebook else [],
            **vars(outcome))
        # The student's own files now, while other submissions run; the class's at the end.
        try:
            feedback[record.student] = reports.write_student(spec, journal.append(record), out)
        except Exception as exc:  # e.g. a result no report can render: the row says so
            record = replace(record, **vars(_internal(spec, prepared, job, exc)), answers={},
                             own_code=[])
            feedback[record.student] = reports.write_student(spec, journal.append(record), out)
        return record

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(one, job) for job in todo]
        try:
            for done, future in enumerate(as_completed(futures), 1):
                future.result()
                if progress:
                    progress(done, len(todo))
        except BaseException:
            pool.shutdown(cancel_futures=True)  # stop now: what finished is in the journal
            raise
    return spec, journal, feedback


@contextmanager
def _executor(options: GradeOptions, hidden, submissions: int):
    """Where submissions run: (execute(cells, plan, limits, files, code) -> RawRun,
    submissions at once).

    Locally, a launcher with one slot per job; with a scheduler, a task per
    submission on a Dask cluster, its workers running the same launcher.
    """
    if options.scheduler:
        from grader.execute.cluster import Cluster
        with Cluster(options.scheduler, options.isolation, hidden, warm=options.warm,
                     kernel=options.kernel) as cluster:
            yield cluster.run, options.jobs or cluster.slots
        return
    jobs = options.jobs or default_jobs(submissions)
    with choose(options.isolation, hidden=hidden, slots=jobs, warm=options.warm,
                kernel=options.kernel) as launcher:
        yield (lambda cells, plan, limits, files, code: run_submission(
            cells, plan, limits, launcher, files, code)), jobs


def default_jobs(submissions: int) -> int:
    """One slot more than the machine has cores, so that a core has work while a
    slot waits on its fork server or on the grader (1,000 submissions on 2 cores:
    about 6% sooner than 2 slots), and never more slots than submissions."""
    return max(1, min((os.cpu_count() or 1) + 1, submissions))


def default_out(path: Path) -> Path:
    """A folder beside PATH, never inside it."""
    base = path.resolve()
    return base.parent / f"{base.stem if base.is_file() else base.name}-graded"


def _refuse_inside(path: Path, out: Path) -> None:
    root, target = path.resolve(), out.resolve()
    if root.is_dir() and (target == root or root in target.parents):
        raise UsageError(f"--out {out} is inside the submissions; choose a folder outside {path}")


def _read(submission) -> Job:
    if submission.content is None:
        return Job(submission, status=Status.UNREADABLE, reason=submission.problem)
    try:
        return Job(submission, read_notebook(submission.content))
    except Unreadable as exc:
        return Job(submission, status=Status.UNREADABLE, reason=str(exc))


def _class_assignment(todo, chosen):
    """--assignment (a built-in name or a folder) wins; otherwise the built-in
    assignment that most notebooks name by id in their metadata."""
    if chosen:
        return course.locate(chosen)
    builtin = course.builtin_names()
    named = Counter(j.notebook.assignment for j in todo if j.notebook and j.notebook.assignment)
    known = [(n, c) for n, c in named.most_common() if n in builtin]
    if not known:
        raise UsageError("no notebook names a built-in assignment in its metadata: pass "
                         f"--assignment with an assignment folder or one of {', '.join(builtin)}")
    return known[0][0]


def _check_assignment(job, assignment_id):
    if job.notebook and job.notebook.assignment and job.notebook.assignment != assignment_id:
        job.status = Status.WRONG_ASSIGNMENT
        job.reason = f"this is a notebook of {job.notebook.assignment}, not of {assignment_id}"


def _flatten(prepared):
    """All programs in one list of [check name, program], and each check's positions in it."""
    plan, index = [], []
    for prep in prepared:
        index.append(list(range(len(plan), len(plan) + len(prep.programs))))
        plan += [[prep.check.name, p] for p in prep.programs]
    return plan, index


def _internal(spec, prepared, job, exc) -> Outcome:
    job.status, job.reason = Status.ERROR, f"{INTERNAL}: {type(exc).__name__}: {str(exc)[:300]}"
    return _unrun(spec, prepared, job)


def _unrun(spec, prepared, job) -> Outcome:
    return Outcome(status=job.status, reason=job.reason, score=0.0,
                   questions={q.name: 0.0 for q in spec.questions},
                   checks=[not_run(p, job.status) for p in prepared])
