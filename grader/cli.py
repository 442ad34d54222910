"""The ``grader`` command line."""
from __future__ import annotations

import argparse
import sys

from grader import __version__
from grader.options import GradeOptions
from grader.status import Status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Grade notebooks of the batching and optimizer assignments "
                    "against the numpy reference.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    g = commands.add_parser("grade", help="grade a folder, notebook or .zip of submissions",
                            description="Run every submission in its own process and check it "
                                        "against the reference. Writes grades.csv, results/, "
                                        "feedback/ and journal.jsonl into --out.")
    g.add_argument("path", help="folder of notebooks (or of one folder per student), a notebook, or a .zip")
    g.add_argument("--out", help="output folder (default: PATH-graded beside PATH)")
    GradeOptions.add_arguments(g)
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per submission (default 60)")
    g.add_argument("--call-timeout", type=float, default=10.0,
                   help="seconds per graded call (default 10)")
    g.add_argument("--memory", type=float, default=2.0, metavar="GIB",
                   help="memory per submission in GiB (default 2)")
    g.add_argument("--processes", type=int, default=64,
                   help="processes and threads per submission (default 64)")
    g.add_argument("--secret-file", metavar="FILE",
                   help="the secret the checks' inputs are drawn from; made there if missing "
                        "(default: OUT/inputs.secret). Keep it from students")
    g.add_argument("--secret", metavar="TEXT",
                   help="a fixed secret instead of a file, for reproducible tests and benchmarks")
    g.add_argument("--fail-under", type=float, metavar="SCORE",
                   help="exit 1 if any graded submission scores below SCORE")
    g.add_argument("--junit", metavar="FILE", help="also write JUnit XML, one test case per check")
    g.add_argument("--github-output", action="store_true",
                   help="append result=<base64 JSON> for GitHub Classroom's grading reporter "
                        "to the file named by $GITHUB_OUTPUT")
    g.add_argument("--quiet", action="store_true", help="no progress bar or summary table")

    r = commands.add_parser("report", help="rebuild the reports from the journal, merging manual marks",
                            description="Rebuild grades.csv, results/, feedback/ and report/ in "
                                        "OUT_DIR from its journal.jsonl. With --manual, merge the "
                                        "tutor's marks for written answers: a file with any "
                                        "problem is refused whole (exit 2), each problem named "
                                        "with its line.")
    r.add_argument("out", metavar="OUT_DIR", help="a folder grader grade wrote (its --out)")
    r.add_argument("--manual", metavar="CSV",
                   help="marks for written answers: student,question,points,comment "
                        "(grader grade writes a blank OUT_DIR/manual.csv)")
    r.add_argument("--assignment", metavar="ASSIGNMENT",
                   help="the assignment folder or built-in name (default: as the journal says)")
    r.add_argument("--quiet", action="store_true", help="no summary table")

    a = commands.add_parser("assign", help="build the student bundle from an assignment's master",
                            description="Build OUT/student/ from the master: the template, the "
                                        "self-check (the public checks' preview) and "
                                        "requirements.txt; byte for byte the same each time.")
    a.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignment folders or built-in names (default: every built-in one)")
    a.add_argument("--out", metavar="DIR",
                   help="where to write (default: dist/ in the assignment's folder); with "
                        "several assignments, DIR/<id>/")
    a.add_argument("--otter", action="store_true",
                   help="also write OUT/otter/: the master beside otter's support package "
                        "selfcheck/, every check with its expected outputs, drawn from a secret. "
                        "Otter runs it in the student's kernel, so it is not tamper-proof; "
                        "never give it to students")
    a.add_argument("--secret-file", metavar="FILE",
                   help="with --otter: draw the checks from this secret (made if missing; "
                        "default: a new random secret)")

    n = commands.add_parser("new", help="start a new assignment folder that grades its own master",
                            description="Write FOLDER with a master notebook, grading.py and "
                                        "mistakes.py for one function, ready to edit: "
                                        "grader grade FOLDER/master.ipynb --assignment FOLDER "
                                        "gives it full marks.")
    n.add_argument("folder", metavar="FOLDER", help="the new folder; its name is the assignment id")
    _deploy_commands(commands)
    return parser


def _deploy_commands(commands) -> None:
    gs = commands.add_parser("gradescope", help="build a Gradescope autograder zip",
                             description="Write a Gradescope programming-assignment autograder: "
                                         "setup.sh installs this grader from a wheel inside the "
                                         "zip, run_autograder grades each submission as "
                                         "grader grade does.")
    gs.add_argument("assignment", metavar="ASSIGNMENT", help="an assignment folder or built-in name")
    gs.add_argument("--secret-file", metavar="FILE",
                    help="the class's secret, to grade as grader grade --secret-file FILE does "
                         "(made if missing; default: a new secret, kept in the zip)")
    gs.add_argument("--out", default="autograder.zip", help="the zip to write (default autograder.zip)")
    gs.add_argument("--timeout", type=float, help="seconds per submission (default 240)")
    gs.add_argument("--memory", type=float, metavar="GIB", help="memory in GiB (default 0.5)")
    ra = commands.add_parser("run-autograder", help="grade a Gradescope submission (run_autograder calls this)",
                             description="Grade ROOT/submission/*.ipynb into ROOT/results/results.json "
                                         "with the settings in ROOT/source/optigrade.json.")
    ra.add_argument("root", metavar="ROOT", help="Gradescope's /autograder")
    ex = commands.add_parser("export", help="fill an LMS gradebook from grades",
                             description="Write OUT_DIR/canvas-import.csv or OUT_DIR/moodle-import.csv "
                                         "from OUT_DIR's grades and the LMS's own export.")
    lms = ex.add_subparsers(dest="lms", metavar="LMS", required=True)
    canvas = lms.add_parser("canvas", help="a Canvas gradebook export")
    canvas.add_argument("out", metavar="OUT_DIR", help="a folder grader grade wrote")
    canvas.add_argument("--gradebook", required=True, metavar="EXPORT.csv",
                        help="the gradebook Canvas exported (Grades > Export)")
    canvas.add_argument("--column", metavar="TITLE (ID)",
                        help="the assignment's column (default: the only one named after the assignment)")
    moodle = lms.add_parser("moodle", help="a Moodle offline grading worksheet")
    moodle.add_argument("out", metavar="OUT_DIR", help="a folder grader grade wrote")
    moodle.add_argument("--worksheet", required=True, metavar="WORKSHEET.csv",
                        help="the worksheet Moodle gave (Download grading worksheet)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from grader.errors import ClusterLost, UsageError
    try:
        if args.command == "grade":
            return _grade(args)
        if args.command == "report":
            return _report(args)
        if args.command == "assign":
            return _assign(args)
        if args.command == "new":
            return _new(args)
        if args.command in ("gradescope", "run-autograder", "export"):
            return _deploy(args)
    except ClusterLost as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 3
    except UsageError as exc:
        for line in str(exc).splitlines():
            print(f"grader: {line}", file=sys.stderr)
        return 2
    return 0


def _grade(args) -> int:
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from grader.checks.secret import Secret
    from grader.execute import Limits
    from grader.grade import grade
    from grader import scoring
    from grader.reports import junit, summary
    from grader.errors import UsageError

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.secret is not None and args.secret_file:
        raise UsageError("give --secret or --secret-file, not both")
    secret = (Secret.from_text(args.secret) if args.secret is not None
              else Secret.load_or_create(Path(args.secret_file)) if args.secret_file else None)
    if args.github_output:
        from grader.deploy.github import output_file
        output_file()
    limits = Limits(timeout=args.timeout, call_timeout=args.call_timeout,
                    memory=int(args.memory * 2 ** 30), processes=args.processes)
    options = GradeOptions.from_arguments(args, limits=limits, secret=secret)
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=args.quiet, transient=True) as bar:
        task = bar.add_task("grading", total=None)
        spec, records, out = grade(args.path, args.out, options, progress=lambda done, total:
                                   bar.update(task, completed=done, total=total))
    if args.junit:
        junit.write(records, Path(args.junit), scoring.words(spec))
    if args.github_output:
        from grader.deploy import github
        github.append_output(records, scoring.words(spec))
    if not args.quiet:
        summary.show(spec, records, out)
    if args.fail_under is not None and any(
            r.status == Status.GRADED and r.score < args.fail_under for r in records):
        return 1
    return 0


def _report(args) -> int:
    from grader.rebuild import rebuild
    from grader.reports import summary

    spec, records, out = rebuild(args.out, args.manual, args.assignment)
    if args.manual:
        marked = sum(w.points is not None for r in records for w in r.written.values())
        print(f"merged {marked} marks from {args.manual}")
    if not args.quiet:
        summary.show(spec, records, out)
    return 0


def _assign(args) -> int:
    import os
    from pathlib import Path

    from grader import course
    from grader.assign import assign
    from grader.checks.secret import Secret

    specs = [course.load(ref) for ref in args.assignments or course.builtin_names()]
    secret = None
    if args.otter:
        secret = (Secret.load_or_create(Path(args.secret_file)) if args.secret_file
                  else Secret(os.urandom(32).hex().encode()))
    for spec in specs:
        out = None if args.out is None else Path(args.out) / (spec.id if len(specs) > 1 else "")
        out = assign(spec, out, otter_secret=secret)
        print(f"wrote {out / 'student'} (for students)")
        if secret is not None:
            print(f"wrote {out / 'otter'} (for otter's autograder only: it holds expected outputs)")
    return 0


def _new(args) -> int:
    from pathlib import Path

    from grader.scaffold import scaffold

    folder = scaffold(Path(args.folder))
    print(f"wrote {folder}: edit master.ipynb, grading.py, mistakes.py and harness.py, then\n"
          f"  grader grade {folder / 'master.ipynb'} --assignment {folder}\n"
          f"  grader assign {folder}")
    return 0


def _deploy(args) -> int:
    from pathlib import Path

    if args.command == "gradescope":
        from grader.deploy import gradescope
        limits = {k: v for k, v in (("timeout", args.timeout), ("memory_gib", args.memory))
                  if v is not None}
        secret = Path(args.secret_file) if args.secret_file else None
        print(f"wrote {gradescope.build(args.assignment, Path(args.out), limits, secret)}")
        return 0
    if args.command == "run-autograder":
        from grader.deploy import gradescope
        gradescope.run(Path(args.root))
        return 0
    from grader.export import canvas, moodle
    if args.lms == "canvas":
        from grader.rebuild import title
        written = canvas.export(Path(args.out), Path(args.gradebook), args.column, title(args.out))
    else:
        written = moodle.export(Path(args.out), Path(args.worksheet))
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
