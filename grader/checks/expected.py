"""What a correct answer returns: every check's programs run with the reference.

Done once per grading run in the grader's own process, together with the
outputs of every catalogued mistake on the same programs, so that scoring a
submission is only comparing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.harness import programs


@dataclass
class Prepared:
    """A check with its inputs and the outputs to compare against."""
    question: object
    check: object
    programs: list
    expected: list
    mistakes: list  # [(Mistake, [result per program])]
    returns: tuple = ()  # names of the function's returned values, for diagnosis
    extension: object = None  # the assignment's comparators and objectives (harness.py)


def mark(program: dict, compare: dict) -> None:
    """How the grading sandbox must pass a program's inputs: sealed arrays for a
    check of unmodified inputs. (A grad_fn the grader answers is asked for by the
    objective itself: ``objective(..., remote=True)``.)"""
    if compare.get("inputs_unchanged"):
        program["sealed"] = True


def prepare(assignment, secret=None) -> list[Prepared]:
    """Every check's programs, drawn from ``secret`` (None: the published preview)."""
    out, own = [], assignment.extension
    for question, check in assignment.checks():
        plans = check.cases(np.random.default_rng(assignment.seed_for(check, secret)))
        for program in plans:
            mark(program, check.compare)
        expected = [programs.run(p, assignment.reference, own=own) for p in plans]
        for result, program in zip(expected, plans):
            if not result["ok"] and check.compare["kind"] != "raises":
                raise RuntimeError(f"the reference fails check {check.name!r}: {result['error']}")
        with np.errstate(all="ignore"):  # families may divide by zero: that is their mistake
            mistakes = [(m, [_outcome(programs.run(p, {m.function: m.impl}, own=own))
                             for p in plans])
                        for m in assignment.mistakes if m.function == check.function]
        out.append(Prepared(question, check, plans, expected, mistakes,
                            tuple(assignment.returns.get(check.function, ())), own))
    return out


def _outcome(result: dict) -> dict:
    """What diagnosis compares of a family's run: its output or its exception type."""
    return {k: result[k] for k in ("ok", "out", "exc_type") if k in result}
