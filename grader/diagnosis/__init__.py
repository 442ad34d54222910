"""Judging a check, and what a failed check says about the student's code.

``verdict.judge`` judges a check: every case through its comparator, and for
a failed one ``explain``'s diagnosis, which turns it into plain statements
(failure kind, which returned value or which step is wrong) and the families
of mistakes that reproduce the student's outputs. Both ship with the
self-check (the harness ships as copies that never import ``grader``, so the
judging lives here, beside the diagnosis it calls). ``family``
declares a family: one parameterised wrong implementation and the grid of
parameters to fit, each point of which becomes a ``Mistake`` whose outputs
the grader computes (a family at parameter zero is the solution, so zero is
never in the grid).
"""
from __future__ import annotations

from grader.checks.spec import Mistake


def family(function: str, fid: str, name: str, hint: str, make, grid) -> tuple:
    """The Mistakes of one family: ``make(**params)`` for each params dict in ``grid``."""
    return tuple(Mistake(function, name, hint, make(**params), family=fid) for params in grid)
