"""Grading declaration of Assignment 8: learning-rate schedules.

Two schedules from Goodfellow et al., section 8.3, in the course's notation
(the learning rate is epsilon, written ``lr``; ``k`` counts iterations from 0):
the book's linear decay to a floor after ``tau`` iterations, and step decay.
Each function takes ``k`` as an int or an integer array and returns a float of
the same shape. Two public checks per schedule (the self-check previews them)
and two hidden ones; every input is drawn from the check's ``rng``.
"""
import numpy as np

from grader.checks import Assignment, Check, Question, Written, allclose, call

from .mistakes import MISTAKES
from .reference import linear_decay, step_decay

VALUES = allclose(rtol=1e-12, atol=1e-15)


def _ks(rng, high, size=None):
    return rng.integers(0, high, size=size) if size else int(rng.integers(0, high))


def linear_cases(rng, arrays: bool):
    cases = []
    for _ in range(4):
        tau = int(rng.integers(5, 200))
        lr0 = float(rng.uniform(0.05, 1.0))
        lr_tau = lr0 * float(rng.uniform(0.005, 0.1))
        k = _ks(rng, 2 * tau, size=12) if arrays else _ks(rng, 2 * tau)
        cases.append(call("linear_decay", lr0, lr_tau, tau, k))
    tau = int(rng.integers(5, 50))
    cases += [call("linear_decay", 0.1, 0.001, tau, k) for k in (0, tau, tau + 1)]
    return cases


def step_cases(rng, arrays: bool):
    cases = []
    for _ in range(4):
        every = int(rng.integers(2, 30))
        k = _ks(rng, 10 * every, size=12) if arrays else _ks(rng, 10 * every)
        cases.append(call("step_decay", float(rng.uniform(0.05, 1.0)), k,
                          float(rng.uniform(0.1, 0.9)), every))
    every = int(rng.integers(2, 30))
    cases += [call("step_decay", 0.5, k, 0.5, every) for k in (0, every - 1, every)]
    return cases


def checks(function, cases, short):
    return (
        Check(f"{short}: single iterations", function, 1, lambda rng: cases(rng, False), VALUES,
              public=True, description="k an int, before, at and after the breakpoints"),
        Check(f"{short}: arrays of iterations", function, 1, lambda rng: cases(rng, True), VALUES,
              public=True, description="k an integer array: one rate per iteration"),
        Check(f"{short}: hidden single iterations", function, 1, lambda rng: cases(rng, False),
              VALUES, description="fresh schedules, k an int"),
        Check(f"{short}: hidden arrays", function, 1, lambda rng: cases(rng, True), VALUES,
              description="fresh schedules, k an integer array"),
    )


ASSIGNMENT = Assignment(
    id="a8_schedules",
    version="1",
    title="Assignment 8: Learning-rate schedules",
    questions=(
        Question("linear", "Linear decay to a floor", checks("linear_decay", linear_cases, "linear")),
        Question("step", "Step decay", checks("step_decay", step_cases, "step")),
    ),
    reference={"linear_decay": linear_decay, "step_decay": step_decay},
    mistakes=MISTAKES,
    written=(Written("choice", "Which schedule, and why", 2),),
    functions=("linear_decay", "step_decay"),
    files=("lr_finder.csv",),
)
