"""results/<student>.json in Gradescope's autograder results format.

Every text goes through ``_text``: cut to a cap and with lone surrogates
(which strict JSON parsers refuse) replaced, so the file is valid JSON of a
bounded size; json.dumps escapes the rest. Checks are read through
``scoring.shown``: a hidden check shows only the kind of its failure.
"""
import json
import re

from grader import bounds
from grader.scoring import KINDS, shown

VISIBILITY = {True: "visible", False: "after_published"}
OUTPUT = 4 * bounds.MESSAGE   # one test's output


def write(record, path, allowed: frozenset = KINDS):
    """``allowed``: what a failed check may say (the assignment's ``scoring.words``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_results(record, allowed)) + "\n", encoding="utf-8")


def to_results(record, allowed: frozenset = KINDS) -> dict:
    tests = [{"name": _text(c.name), "score": c.points, "max_score": c.max_points,
              "status": "passed" if c.passed else "failed",
              "output": _text(check_output(c), OUTPUT), "visibility": VISIBILITY[c.public]}
             for c in (shown(c, allowed) for c in record.checks)]
    tests += [written_test(w) for w in (record.written or {}).values()]
    summary = f"Status: {record.status}" + (f" ({record.reason})" if record.reason else "")
    return {"score": record.score, "execution_time": record.seconds,
            "output": _text(summary, OUTPUT), "tests": tests}


def check_output(c) -> str:
    lines = [c.message] if c.message else []
    lines += [f"{'Looks like: ' if d.kind == 'family' else ''}{d.name}. "
              f"Hint: {d.hint}" for d in c.diagnosis]
    return "\n".join(lines)


def written_test(w) -> dict:
    """A written answer marked by hand; no status, so Gradescope goes by the points."""
    if w.points is None:
        output = "not marked yet" + (f": {w.comment}" if w.comment else "")
    else:
        output = w.comment
    return {"name": _text(f"written: {w.title}"), "score": w.points or 0.0,
            "max_score": w.max_points, "output": _text(output, OUTPUT), "visibility": "visible"}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value, limit: int = bounds.OTHER) -> str:
    return _SURROGATE.sub("\ufffd", bounds.cut(value, limit))
