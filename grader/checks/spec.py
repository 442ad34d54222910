"""Declarations: Assignment, Question, Check, Mistake, and builders for programs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from grader.checks.secret import preview_seed
from grader.harness import compare


@dataclass(frozen=True)
class Check:
    """One scored test of one function.

    ``cases(rng)`` returns the programs to run (see ``grader.harness.programs``),
    every number drawn from ``rng``: grading draws them from the course's secret
    (``grader.checks.secret``); the self-check ships one fixed draw of the public
    checks, with their expected outputs, as a preview.
    """
    name: str
    function: str
    points: float
    cases: Callable[[np.random.Generator], list]
    compare: dict
    public: bool = False
    description: str = ""


@dataclass(frozen=True)
class Question:
    name: str
    title: str
    checks: tuple
    bonus: bool = False  # points count towards the score, not towards max_score

    @property
    def points(self) -> float:
        return float(sum(c.points for c in self.checks))


@dataclass(frozen=True)
class Written:
    """A written answer, marked by hand: the markdown cell whose metadata has
    ``grader.answer == name``. Its points join a student's score and max_score
    only when the tutor's marks are merged (``grader report OUT --manual FILE``)."""
    name: str
    title: str
    points: float


@dataclass(frozen=True)
class Mistake:
    """A known-wrong variant of a function, for naming a student's mistake.

    ``impl`` has the function's signature; when a student's outputs match
    it on every case of a failed check, feedback names the mistake and gives
    the hint.
    """
    function: str
    name: str
    hint: str
    impl: Callable
    family: str = ""  # the family's id; variants of one family share it

    @property
    def id(self) -> str:
        return self.family or self.name


@dataclass(frozen=True)
class Assignment:
    id: str
    version: str
    title: str
    questions: tuple
    reference: dict                      # function name -> reference implementation
    mistakes: tuple = ()
    written: tuple = ()                  # Written answers, marked by hand
    functions: tuple = field(default=())  # what students implement, in notebook order
    returns: dict = field(default_factory=dict)  # function -> names of its returned values
    files: tuple = ()                    # paths in its folder the notebook reads; shipped
    folder: Path | None = field(default=None, compare=False)  # set by grader.course.load
    # Its harness.py, loaded (grader.harness.extension); set by grader.course.load
    extension: object = field(default=None, compare=False)

    @property
    def max_score(self) -> float:
        """The automatic checks' points (bonus questions aside); written answers not included."""
        return float(sum(q.points for q in self.questions if not q.bonus))

    @property
    def written_points(self) -> float:
        return float(sum(w.points for w in self.written))

    def checks(self):
        for question in self.questions:
            for check in question.checks:
                yield question, check

    def seed_for(self, check: Check, secret=None) -> int:
        """The seed of a check's inputs: drawn from ``secret`` (a ``Secret``) when
        grading, else the fixed preview that the self-check publishes."""
        if secret is None:
            return preview_seed(self.id, check.name)
        return secret.seed(self.id, check.name)


# -- builders for programs ------------------------------------------------------

def call(fn: str, *args, repeat: int = 1, **kwargs) -> dict:
    program = {"op": "call", "fn": fn, "args": list(args), "kwargs": kwargs}
    if repeat != 1:
        program["repeat"] = repeat
    return program


def trajectory(fn: str, theta0, objective_spec: dict, steps: int, rule, hyper: dict | None = None):
    """``steps`` updates of ``fn`` from ``theta0``, called as ``rule`` says: a declaration
    with ``shape()`` (``reference.optimizers.Rule``) or that shape as a dict."""
    shape = rule.shape() if hasattr(rule, "shape") else rule
    plain = {"state": list(shape["state"]), "takes_t": bool(shape["takes_t"]),
             "takes_grad_fn": bool(shape["takes_grad_fn"])}
    if not all(isinstance(name, str) for name in plain["state"]):
        raise TypeError(f"a rule's state is a sequence of names, got {shape['state']!r}")
    return {"op": "trajectory", "fn": fn, "theta0": np.asarray(theta0), "objective": objective_spec,
            "rule": plain, "hyper": hyper or {}, "steps": steps}


def rng(seed: int) -> dict:
    """An argument that becomes ``np.random.default_rng(seed)`` where the program runs."""
    return {"$rng": int(seed)}


def objective(kind: str, remote: bool = False, **data) -> dict:
    """An argument that becomes a gradient function: the assignment's objective
    ``kind`` (its ``harness.py``) made from ``data`` (see harness.programs.objective).
    ``remote``: each call is answered by the grader, which counts the rows it is
    given; ``data`` then stays in the grader's process."""
    return {"$objective": {"kind": kind, **data, **({"remote": True} if remote else {})}}


# -- comparators (named, so that checks can be stored as data) -------------------

def allclose(rtol=compare.RTOL, atol=compare.ATOL, dtype=False, inputs_unchanged=False) -> dict:
    return {"kind": "allclose", "rtol": rtol, "atol": atol, "dtype": dtype,
            "inputs_unchanged": inputs_unchanged}


def equal() -> dict:
    return {"kind": "equal"}


def raises(exc_type: str = "ValueError") -> dict:
    return {"kind": "raises", "exc_type": exc_type}


def comparator(kind: str, **params) -> dict:
    """A comparator by name with its parameters: one of the assignment's own (its
    ``harness.py``, see ``grader.harness.extension``) or a generic one."""
    return {"kind": kind, **params}
