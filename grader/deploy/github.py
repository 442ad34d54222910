"""``grader grade --github-output``: the result GitHub Classroom's
``autograding-grading-reporter`` reads.

The reporter takes each runner's result from an environment variable
``<RUNNER>_RESULTS`` holding base64 of JSON; a step that writes ``result`` to
``$GITHUB_OUTPUT`` supplies it as ``${{ steps.<id>.outputs.result }}``. It
sends the sum of the tests' ``score`` out of ``max_score`` to Classroom, shows
each test's ``message`` when its status is not "pass", and fails the job when
the status is "fail" or "error".
"""
from __future__ import annotations

import base64
import json
import os

from grader.errors import UsageError
from grader.scoring import KINDS, shown
from grader.status import Status


def result(records: list, allowed: frozenset = KINDS) -> dict:
    """``allowed``: what a failed check may say (the assignment's ``scoring.words``)."""
    several = len(records) > 1
    tests = []
    for r in records:
        prefix = f"{r.student}: " if several else ""
        if r.status != Status.GRADED:
            tests.append({"name": f"{prefix}notebook", "status": "error", "score": 0,
                          "message": f"{r.status}: {r.reason}", "line_no": 0,
                          "duration": round(r.seconds * 1000)})
        tests += [_test(prefix, c, allowed) for c in r.checks]
    if any(r.status != Status.GRADED for r in records):
        status = "error"
    else:
        status = "pass" if all(c.passed for r in records for c in r.checks) else "fail"
    return {"version": 1, "status": status,
            "max_score": sum(r.max_score for r in records), "tests": tests}


def _test(prefix: str, c, allowed: frozenset) -> dict:
    c = shown(c, allowed)
    message = c.message or ""
    message += "".join(f"\nLooks like {d.name}. Hint: {d.hint}" for d in c.diagnosis)
    return {"name": prefix + c.name, "status": "pass" if c.passed else "fail",
            "score": c.points, "message": message, "line_no": 0, "duration": 0}


def output_file() -> str:
    """The file named by $GITHUB_OUTPUT; checked before grading starts."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        raise UsageError("--github-output: $GITHUB_OUTPUT is not set (GitHub Actions sets it "
                         "in every step)")
    return path


def append_output(records: list, allowed: frozenset = KINDS) -> None:
    """Append ``result=<base64 JSON>`` to the file named by $GITHUB_OUTPUT."""
    path = output_file()
    encoded = base64.b64encode(json.dumps(result(records, allowed)).encode()).decode()
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"result={encoded}\n")
    except OSError as exc:
        raise UsageError(f"--github-output: cannot write {path}: {exc}") from None
