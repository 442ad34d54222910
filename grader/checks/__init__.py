"""The check format shared by the grader and the students' self-check.

An assignment declares, in plain Python beside its notebook (see
``assignments/*/grading.py``), its questions, each question's checks with
points, and the catalogue of known mistakes (``assignments/*/mistakes.py``).
A check is a function name, a generator of programs (the inputs), and a
named comparator with its tolerance; comparators and objectives beyond the
generic ones come from the assignment's ``harness.py``. Expected outputs
always come from the reference, run in the grader's process.
"""
from grader.checks.spec import (Assignment, Check, Mistake, Question, Written, allclose, call,
                                comparator, equal, objective, raises, rng, trajectory)

__all__ = ["Assignment", "Check", "Mistake", "Question", "Written", "allclose", "call",
           "comparator", "equal", "objective", "raises", "rng", "trajectory"]
