"""Known mistakes in the schedules of Assignment 8, each with a name and a hint."""
import numpy as np

from grader.checks import Mistake


def linear_no_floor(lr0, lr_tau, tau, k):
    a = np.asarray(k, dtype=float) / tau
    return (1 - a) * lr0 + a * lr_tau


def linear_weights_swapped(lr0, lr_tau, tau, k):
    a = np.minimum(np.asarray(k, dtype=float) / tau, 1.0)
    return a * lr0 + (1 - a) * lr_tau


def step_without_floor(lr0, k, drop, every):
    return lr0 * drop ** (np.asarray(k, dtype=float) / every)


def step_one_early(lr0, k, drop, every):
    return lr0 * drop ** np.floor_divide(np.asarray(k) + 1, every).astype(float)


MISTAKES = (
    Mistake("linear_decay", "the rate keeps falling after tau",
            "after iteration tau the rate stays at eps_tau: a = min(k / tau, 1)", linear_no_floor),
    Mistake("linear_decay", "eps_0 and eps_tau swapped",
            "at k = 0 the rate is eps_0: (1 - a) * eps_0 + a * eps_tau", linear_weights_swapped),
    Mistake("step_decay", "the rate decays smoothly instead of in steps",
            "drop ** floor(k / every): the exponent is a whole number", step_without_floor),
    Mistake("step_decay", "the first drop comes one iteration early",
            "k counts from 0: the first drop is at k = every, floor(k / every)", step_one_early),
)
