"""Declarations: Assignment, Question, Check, Mistake, and builders for programs."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Check:
    """One scored test of one function.

    ``cases(rng)`` returns the programs to run (see ``grader.harness.programs``);
    public checks draw them from a fixed seed and ship to students with their
    expected outputs, hidden checks draw fresh ones at grading time.
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


@dataclass(frozen=True)
class Assignment:
    id: str
    version: str
    title: str
    questions: tuple
    reference: dict                      # function name -> reference implementation
    mistakes: tuple = ()
    written: tuple = ()                  # Written answers, marked by hand
    hidden_seed: int = 0
    functions: tuple = field(default=())  # what students implement, in notebook order

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

    def seed_for(self, check: Check) -> int:
        """Public: fixed per check; hidden: also depends on the hidden seed."""
        salt = "public" if check.public else f"hidden-{self.hidden_seed}"
        digest = hashlib.sha256(f"{self.id}/{check.name}/{salt}".encode()).digest()
        return int.from_bytes(digest[:8], "little")


# -- builders for programs ------------------------------------------------------

def call(fn: str, *args, repeat: int = 1, **kwargs) -> dict:
    program = {"op": "call", "fn": fn, "args": list(args), "kwargs": kwargs}
    if repeat != 1:
        program["repeat"] = repeat
    return program


def trajectory(fn: str, theta0, objective_spec: dict, steps: int, state: dict | None = None,
               hyper: dict | None = None, pass_grad_fn: bool = False, with_t: bool = False):
    return {"op": "trajectory", "fn": fn, "theta0": np.asarray(theta0), "objective": objective_spec,
            "state": state or {}, "hyper": hyper or {}, "steps": steps,
            "pass_grad_fn": pass_grad_fn, "with_t": with_t}


def rng(seed: int) -> dict:
    """An argument that becomes ``np.random.default_rng(seed)`` where the program runs."""
    return {"$rng": int(seed)}


def objective(kind: str, **data) -> dict:
    """An argument that becomes a gradient function (see harness.programs.objective)."""
    return {"$objective": {"kind": kind, **data}}


# -- comparators (named, so that checks can be stored as data) -------------------

def allclose(rtol=1e-6, atol=1e-12, dtype=False, inputs_unchanged=False) -> dict:
    return {"kind": "allclose", "rtol": rtol, "atol": atol, "dtype": dtype,
            "inputs_unchanged": inputs_unchanged}


def equal() -> dict:
    return {"kind": "equal"}


def raises(exc_type: str = "ValueError") -> dict:
    return {"kind": "raises", "exc_type": exc_type}


def partition() -> dict:
    return {"kind": "partition"}


def micro_batches(max_rows: int | None, rtol=1e-10, atol=1e-12) -> dict:
    """allclose, and no call of grad_fn given more than max_rows rows (None:
    the program's micro_batch_size keyword)."""
    return {"kind": "micro_batches", "max_rows": max_rows, "rtol": rtol, "atol": atol}
