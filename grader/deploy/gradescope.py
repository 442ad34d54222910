"""A Gradescope programming-assignment autograder that runs ``grader grade``.

``build`` writes the zip Gradescope takes: ``setup.sh`` (installs this project
from the wheel inside the zip, and bubblewrap), ``run_autograder`` (grades the
submission through ``grader run-autograder``, and writes a results.json of its
own if that fails to), ``optigrade.json`` (the assignment's id and the limits),
the assignment's folder and the secret its checks draw their inputs from.
``run`` is what ``grader run-autograder`` does in the container.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from grader import __version__
from grader.execute import Limits
from grader.reports.feedback import cell_error, check_notes, escape_markdown
from grader.scoring import words

CONFIG = "optigrade.json"
#: Gradescope's default container: 768 MB of memory and half a vCPU, and a
#: 10-minute limit for the whole run.
LIMITS = {"timeout": 240.0, "call_timeout": 10.0, "memory_gib": 0.5, "processes": 32}
SCRIPTS = Path(__file__).parent / "scripts"


def build(assignment: str, out: Path, limits: dict, secret_file: Path | None = None) -> Path:
    """The zip for ``assignment`` (a built-in name or a folder). Its checks draw
    their inputs from ``secret_file`` (made if missing), else from a new secret."""
    from grader import course
    from grader.checks.secret import FILE_NAME, Secret
    from grader.deploy import wheel

    folder, spec = course.locate(assignment), course.load(assignment)
    config = {"assignment": spec.id, "assignment_version": spec.version,
              "grader_version": __version__, "limits": {**LIMITS, **limits}}
    with tempfile.TemporaryDirectory() as tmp:
        secret = Path(secret_file) if secret_file else Path(tmp) / FILE_NAME
        Secret.load_or_create(secret)
        built = wheel.build(Path(tmp) / "wheel")
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name in ("setup.sh", "run_autograder"):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o100755 << 16
                z.writestr(info, (SCRIPTS / name).read_text(), zipfile.ZIP_DEFLATED)
            z.writestr(CONFIG, json.dumps(config, indent=2) + "\n")
            z.write(secret, FILE_NAME)
            z.write(built, built.name)
            for path in _assignment_files(folder):
                z.write(path, f"{spec.id}/{path.relative_to(folder).as_posix()}")
    return out


def _assignment_files(folder: Path) -> list:
    """The assignment folder as the grader loads it, without build output or caches."""
    skip = {"dist", "__pycache__", ".ipynb_checkpoints"}
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not skip & set(p.relative_to(folder).parts))


def run(root: Path) -> dict:
    """Grade ``root``/submission into ``root``/results/results.json, whatever happens."""
    root = Path(root)
    results = root / "results" / "results.json"
    start = time.monotonic()
    try:
        data = _grade(root)
    except Submitted as exc:
        data = _failure(str(exc), start)
    except Exception as exc:  # the student still gets a result, the tutor the cause
        traceback.print_exc(file=sys.stdout)
        data = _failure("The autograder could not grade this submission "
                        f"({type(exc).__name__}: {escape_markdown(exc)}). This is not a mark: "
                        "your tutor can see the cause in the autograder's output.", start)
    results.parent.mkdir(parents=True, exist_ok=True)
    partial = results.with_name(".results.json.part")
    partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, results)
    return data


class Submitted(Exception):
    """The submission itself cannot be graded (no notebook, several)."""


def _grade(root: Path) -> dict:
    from grader.execute.launcher import bwrap_works
    from grader.checks.secret import FILE_NAME, Secret
    from grader.grade import grade
    from grader.options import GradeOptions

    source = root / "source"
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    limits = Limits(timeout=config["limits"]["timeout"],
                    call_timeout=config["limits"]["call_timeout"],
                    memory=int(config["limits"]["memory_gib"] * 2 ** 30),
                    processes=config["limits"]["processes"])
    notebook = _the_notebook(root / "submission", config["assignment"])
    isolation = "auto" if bwrap_works() else ("user" if os.geteuid() == 0 else "process")
    work = Path(tempfile.mkdtemp(prefix="optigrade-"))  # 0700: the student's user cannot look
    try:
        (work / "in").mkdir()
        shutil.copyfile(notebook, work / "in" / "submission.ipynb")
        for folder in ("source", "results", "submission"):  # root's alone, whatever runs
            if (root / folder).is_dir():
                os.chmod(root / folder, 0o700)
        options = GradeOptions(assignment=str(source / config["assignment"]), jobs=1,
                               limits=limits, isolation=isolation,
                               secret=Secret.load_or_create(source / FILE_NAME))
        spec, records, _ = grade(work / "in", work / "out", options)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record = records[0]
    print(f"{record.status}: {record.score:g} / {record.max_score:g} "
          f"({record.isolation or 'not run'}) {record.reason}")
    return to_results(spec, record, _who(root))


def _the_notebook(folder: Path, assignment: str) -> Path:
    found = sorted(p for p in folder.rglob("*.ipynb")
                   if not any(part.startswith((".", "__MACOSX"))
                              for part in p.relative_to(folder).parts))
    if not found:
        raise Submitted(f"No notebook (.ipynb) in your submission: upload your {assignment}.ipynb.")
    if len(found) > 1:
        names = ", ".join(escape_markdown(p.relative_to(folder).as_posix()) for p in found)
        raise Submitted(f"Your submission holds {len(found)} notebooks ({names}): "
                        f"upload only your {assignment}.ipynb.")
    if found[0].is_symlink():  # copied as root, a link could name the autograder's files
        raise Submitted(f"{escape_markdown(found[0].name)} is a symbolic link: upload the notebook itself.")
    return found[0]


def _who(root: Path) -> str:
    """The submitters as Gradescope names them, or "" when it does not say."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        users = [u for u in meta.get("users", []) if isinstance(u, dict)]
    except (OSError, ValueError, AttributeError):
        return ""
    return ", ".join(f"{escape_markdown(u.get('name', ''))} ({escape_markdown(u.get('id', ''))})" for u in users)


def to_results(spec, record, who: str) -> dict:
    order = {q.name: i for i, q in enumerate(spec.questions, 1)}
    tests, seen, allowed = [], {}, words(spec)
    for c in record.checks:
        q = order.get(c.question, 0)
        seen[q] = seen.get(q, 0) + 1
        tests.append({"name": c.name, "number": f"{q}.{seen[q]}", "score": c.points,
                      "max_score": c.max_points,
                      "status": "passed" if c.passed else "failed",
                      "output": _check_output(c, allowed), "output_format": "md", "tags": [c.question],
                      "visibility": "visible" if c.public else "after_published"})
    lines = [f"**{escape_markdown(spec.title)}**" + (f" for {who}" if who else ""), "",
             f"Score: {record.score:g} / {record.max_score:g} (status: {record.status})"]
    if record.reason:
        lines += ["", f"> {escape_markdown(record.reason)}"]
    if record.cells:
        lines += [""] + [f"- {cell_error(c)}" for c in record.cells]
    lines += ["", "Every check was graded on inputs drawn for grading, which you have not seen; "
                  "run check(...) in your notebook to see values on the published inputs."]
    return {"score": record.score, "execution_time": round(record.seconds, 3),
            "output": "\n".join(lines), "output_format": "md", "stdout_visibility": "hidden",
            "extra_data": {"isolation": record.isolation, "status": record.status,
                           "assignment": record.assignment, "grader_version": __version__},
            "tests": tests}


def _check_output(c, allowed) -> str:
    return "\n\n".join(check_notes(c, allowed))


def _failure(message: str, start: float) -> dict:
    return {"score": 0.0, "execution_time": round(time.monotonic() - start, 3),
            "output": message, "output_format": "md", "stdout_visibility": "hidden",
            "extra_data": {"isolation": "", "status": "not graded",
                           "grader_version": __version__}, "tests": []}

