"""The record of one graded submission: made by scoring and the pipeline, stored
by the journal, read by every report.

A record is plain data in JSON as the journal writes it (``to_json``) and typed
once read back (``from_json``). ``from_json`` takes any JSON value, from a line
of our own journal or from one an older version, an editor or an adversary
wrote, and either returns a ``Record`` whose every field has its type (a
``Status``; scores, points and seconds within ``LARGEST``) or raises ``BadRecord``
naming the field: no report ever meets a field of the wrong type.
Fields an older version did not write take their defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from grader.diagnosis.verdict import Diagnosis
from grader.status import Status

_STATUSES = {s.value: s for s in Status}


class BadRecord(ValueError):
    """A journal line that is not a record of this grader."""


@dataclass
class CheckResult:
    """One check of one submission, as scored."""
    name: str
    question: str
    function: str
    points: float
    max_points: float
    passed: bool
    public: bool
    rel_err: float | None = None
    message: str = ""      # one of ``scoring.KINDS`` when failed
    diagnosis: list = field(default_factory=list)  # [verdict.Diagnosis]

    def to_json(self) -> dict:
        return {"name": self.name, "question": self.question, "function": self.function,
                "points": self.points, "max_points": self.max_points, "passed": self.passed,
                "public": self.public, "rel_err": self.rel_err, "message": self.message,
                "diagnosis": [d.to_json() for d in self.diagnosis]}

    @classmethod
    def from_json(cls, data) -> CheckResult:
        # Read once per check of every record: field by field, without helpers.
        try:
            name, question, function = data["name"], data["question"], data["function"]
            points, max_points = data["points"], data["max_points"]
            passed, public = data["passed"], data["public"]
            rel_err, message = data.get("rel_err"), data.get("message", "")
            diagnosis = data.get("diagnosis", [])
        except (KeyError, TypeError, AttributeError):
            raise BadRecord("a check without name, question, function, points, "
                            "max_points, passed or public") from None
        if not (type(name) is str and type(question) is str and type(function) is str
                and _is_number(points) and _is_number(max_points)
                and type(passed) is bool and type(public) is bool
                and (rel_err is None or type(rel_err) in _NUMBER) and type(message) is str
                and type(diagnosis) is list):
            raise BadRecord(f"a check with a field of the wrong type: {name!r}"[:200])
        return cls(name, question, function, points, max_points, passed, public, rel_err,
                   message, [_diagnosis(d) for d in diagnosis])


@dataclass
class CellError:
    """A cell that raised, as feedback may say it (``scoring.said_of``)."""
    index: int | None
    type: str
    message: str
    where: list = field(default_factory=list)  # [str]

    def to_json(self) -> dict:
        return {"index": self.index,
                "error": {"type": self.type, "message": self.message, "where": self.where}}

    @classmethod
    def from_json(cls, data) -> CellError:
        data = _mapping(data, "a cell")
        index = data.get("index")
        index = index if type(index) is int else None
        error = data.get("error")
        if isinstance(error, str):  # as an older version wrote it
            return cls(index, "", error)
        error = _mapping(error, "a cell's error")
        where = _list(error, "where", [])
        if not all(isinstance(w, str) for w in where):
            raise BadRecord("a cell's error has a where that is not text")
        return cls(index, _text(error, "type", ""), _text(error, "message", ""), where)


@dataclass
class WrittenMark:
    """A written answer's mark, merged from the tutor's sheet."""
    title: str
    points: float | None    # None: not marked yet
    max_points: float
    comment: str = ""

    def to_json(self) -> dict:
        return {"title": self.title, "points": self.points, "max_points": self.max_points,
                "comment": self.comment}

    @classmethod
    def from_json(cls, data) -> WrittenMark:
        data = _mapping(data, "a written mark")
        return cls(_text(data, "title"), _number(data, "points", None, optional=True),
                   _number(data, "max_points"), _text(data, "comment", ""))


@dataclass(kw_only=True)
class Outcome:
    """What happened to a submission: made by ``scoring.score_run``, or by the
    pipeline for a submission that did not run."""
    status: str            # a ``Status``
    reason: str
    score: float
    questions: dict        # question name -> points
    checks: list           # [CheckResult]
    cells: list = field(default_factory=list)   # [CellError]
    output: str = ""
    seconds: float = 0.0
    isolation: str = ""
    memory_cap: str = ""
    skipped_cells: list | None = None   # indices of cells slicing left out; None: not run


@dataclass(kw_only=True)
class Record(Outcome):
    """One submission: who, what it was graded as, and its ``Outcome``."""
    student: str
    assignment: str
    max_score: float
    # what makes a result reusable by --resume
    sha256: str = ""
    grader_version: str = ""
    assignment_version: str = ""
    inputs: str = ""                     # the secret's fingerprint
    run_all: bool = False
    assignment_folder: str | None = None  # where a non-built-in assignment was loaded from
    # the submission
    origin: str = ""
    name: str = ""
    lms: dict | None = None
    answers: dict = field(default_factory=dict)    # written answer name -> Markdown
    own_code: list = field(default_factory=list)   # [{"cell": int, "source": str}]
    written: dict | None = None          # name -> WrittenMark, once marks are merged

    def to_json(self) -> dict:
        """The record as the journal writes it; optional fields only when set."""
        out = {"student": self.student, "assignment": self.assignment,
               "max_score": self.max_score, "status": self.status, "reason": self.reason,
               "score": self.score, "questions": self.questions,
               "checks": [c.to_json() for c in self.checks],
               "cells": [c.to_json() for c in self.cells], "output": self.output,
               "seconds": self.seconds, "isolation": self.isolation,
               "memory_cap": self.memory_cap, "sha256": self.sha256,
               "grader_version": self.grader_version,
               "assignment_version": self.assignment_version, "inputs": self.inputs,
               "origin": self.origin, "name": self.name, "lms": self.lms,
               "answers": self.answers, "own_code": self.own_code}
        if self.skipped_cells is not None:
            out["skipped_cells"] = self.skipped_cells
        if self.run_all:
            out["run_all"] = True
        if self.assignment_folder is not None:
            out["assignment_folder"] = self.assignment_folder
        if self.written is not None:
            out["written"] = {k: w.to_json() for k, w in self.written.items()}
        return out

    @classmethod
    def from_json(cls, data) -> Record:
        """A ``Record`` from a JSON value; ``BadRecord`` if it is not one."""
        data = _mapping(data, "a record")
        status = _text(data, "status")
        if status not in _STATUSES:
            raise BadRecord(f"status {status!r} is not one of {', '.join(_STATUSES)}"[:200])
        max_score = _number(data, "max_score")
        if max_score < 0:
            raise BadRecord("max_score is negative")
        questions = _mapping(data.get("questions", {}), "questions")
        if not all(isinstance(k, str) and _is_number(v) for k, v in questions.items()):
            raise BadRecord("questions: not a mapping of names to points")
        return cls(
            student=_text(data, "student"), assignment=_text(data, "assignment"),
            max_score=max_score, status=_STATUSES[status],
            reason=_text(data, "reason", ""), score=_number(data, "score"), questions=questions,
            checks=[CheckResult.from_json(c) for c in _list(data, "checks")],
            cells=[CellError.from_json(c) for c in _list(data, "cells", [])
                   if isinstance(c, dict) and c.get("error")],
            output=_text(data, "output", ""), seconds=_number(data, "seconds", 0.0),
            isolation=_text(data, "isolation", ""), memory_cap=_text(data, "memory_cap", ""),
            skipped_cells=_indices(data.get("skipped_cells")),
            sha256=_text(data, "sha256", ""), grader_version=_text(data, "grader_version", ""),
            assignment_version=_text(data, "assignment_version", ""),
            inputs=_text(data, "inputs", ""), run_all=data.get("run_all") is True,
            assignment_folder=_text(data, "assignment_folder", None, optional=True),
            origin=_text(data, "origin", ""), name=_text(data, "name", ""),
            lms=_lms(data.get("lms")), answers=_answers(data.get("answers")),
            own_code=_own_code(data.get("own_code")), written=_written(data.get("written")))


# -- reading JSON values ----------------------------------------------------------

_MISSING = object()


def _mapping(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise BadRecord(f"{what} is not a mapping")
    return value


def _get(data: dict, key: str, default):
    value = data.get(key, _MISSING)
    if value is _MISSING:
        if default is _MISSING:
            raise BadRecord(f"no {key}")
        return default, True
    return value, False


def _text(data: dict, key: str, default=_MISSING, optional: bool = False):
    value, missing = _get(data, key, default)
    if missing or (optional and value is None) or isinstance(value, str):
        return value
    raise BadRecord(f"{key} is not text")


_NUMBER = (int, float)
#: No score, points or seconds a grader writes come near it; beyond it (and NaN,
#: infinity) a report's sums, bins and plots fail.
LARGEST = 1e15


def _is_number(value) -> bool:
    return type(value) in _NUMBER and -LARGEST <= value <= LARGEST


def _number(data: dict, key: str, default=_MISSING, optional: bool = False):
    value, missing = _get(data, key, default)
    if missing or (optional and value is None) or _is_number(value):
        return value
    raise BadRecord(f"{key} is not a number of at most {LARGEST:g}")


def _flag(data: dict, key: str) -> bool:
    value, _ = _get(data, key, _MISSING)
    if type(value) is not bool:
        raise BadRecord(f"{key} is not true or false")
    return value


def _list(data: dict, key: str, default=_MISSING) -> list:
    value, missing = _get(data, key, default)
    if missing or isinstance(value, list):
        return value
    raise BadRecord(f"{key} is not a list")


def _diagnosis(data) -> Diagnosis:
    try:
        entry = Diagnosis(data.get("id", ""), data["name"], data["hint"],
                          data.get("kind", "family"))
    except (KeyError, TypeError, AttributeError):
        raise BadRecord("a diagnosis without name or hint") from None
    if not (type(entry.id) is str and type(entry.name) is str and type(entry.hint) is str
            and type(entry.kind) is str):
        raise BadRecord("a diagnosis with a field that is not text")
    return entry


def _indices(value):
    if value is None:
        return None
    if not isinstance(value, list) or not all(type(i) is int for i in value):
        raise BadRecord("skipped_cells is not a list of cell indices")
    return value


def _lms(value):
    if value is None or (isinstance(value, dict) and all(isinstance(k, str) for k in value)):
        return value
    raise BadRecord("lms is not a mapping")


def _answers(value) -> dict:
    if value is None:
        return {}
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                       for k, v in value.items()):
        return value
    raise BadRecord("answers is not a mapping of names to text")


def _own_code(value) -> list:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(c, dict) and type(c.get("cell")) is int
                                       and isinstance(c.get("source"), str) for c in value):
        return value
    raise BadRecord("own_code is not a list of cells")


def _written(value):
    if value is None:
        return None
    value = _mapping(value, "written")
    return {str(k): WrittenMark.from_json(w) for k, w in value.items()}
