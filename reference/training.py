"""A training loop for any update rule in any batching mode.

``train`` runs the rules of ``reference.optimizers`` over a data set in
batch, mini-batch or stochastic mode, optionally with gradient
accumulation, and records a ``History`` for plots and tables. ``descend``
runs a rule on an objective without data (the bowl, Rosenbrock) and
returns the path. Both rely on ``step``, which gives every rule the same
face: explicit state in, explicit state out.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from reference.batching import accumulated_gradient, batch_size_for, minibatch_indices
from reference.optimizers import RULES, Rule
from reference.problems import Problem

__all__ = ["History", "init_state", "step", "train", "descend"]


def init_state(rule: str, theta) -> dict:
    """Zero state for ``rule``: its state arrays by name, and "t": 0 if it takes t."""
    declared = _rule(rule)
    state = {name: np.zeros_like(np.asarray(theta, dtype=float)) for name in declared.state}
    if declared.takes_t:
        state["t"] = 0
    return state


def step(rule: str, theta, grad_at: Callable, state: dict, **hyper):
    """One update of ``rule``: returns (theta_new, state_new).

    ``grad_at(point)`` gives the gradient of the current mini-batch at a
    point: a rule that takes grad_fn (Nesterov) is given it to call at its
    look-ahead point, the others the gradient at theta.
    """
    declared = _rule(rule)
    first = grad_at if declared.takes_grad_fn else grad_at(theta)
    t = state["t"] + 1 if declared.takes_t else None
    args = [state[name] for name in declared.state] + ([t] if declared.takes_t else [])
    out = declared.fn(theta, first, *args, **hyper)
    theta, *arrays = out if declared.state else (out,)
    new = dict(zip(declared.state, arrays))
    if declared.takes_t:
        new["t"] = t
    return theta, new


def _rule(rule: str) -> Rule:
    if rule not in RULES:
        raise ValueError(f"rule must be one of {sorted(RULES)}, got {rule!r}")
    return RULES[rule]


@dataclass
class History:
    """What happened during training; entry 0 of the per-update lists is the start.

    loss: full-data loss after each update.  epoch_loss: after each epoch.
    grad_evals: calls of the gradient function so far (one per micro-batch).
    samples: rows passed through the gradient function so far.
    seconds: wall time spent in updates so far (loss bookkeeping excluded).
    """
    loss: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    grad_evals: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


def train(problem: Problem, rule: str = "sgd_update", mode: str = "minibatch",
          batch_size: int | None = None, epochs: int = 10,
          micro_batch_size: int | None = None, seed: int = 0, **hyper):
    """Train ``problem`` with ``rule`` for ``epochs`` epochs; return (theta, History).

    ``mode`` is "batch", "minibatch" (with ``batch_size``) or "sgd"; batches
    are reshuffled every epoch by a Generator seeded with ``seed``. With
    ``micro_batch_size`` each batch's gradient is accumulated that many rows
    at a time, which gives the same parameters with less memory.
    """
    X, y = problem.X, problem.y
    b = batch_size_for(mode, len(X), batch_size)
    rng = np.random.default_rng(seed)
    counts = {"calls": 0, "rows": 0}

    def grad_fn(theta, Xb, yb):
        counts["calls"] += 1
        counts["rows"] += len(Xb)
        return problem.grad(theta, Xb, yb)

    theta, state = np.array(problem.theta0, dtype=float), init_state(rule, problem.theta0)
    history, clock = History(), 0.0
    _record(history, problem, theta, counts, clock)
    history.epoch_loss.append(history.loss[0])
    for _ in range(epochs):
        for idx in minibatch_indices(len(X), b, rng):
            start = time.perf_counter()
            Xb, yb = X[idx], y[idx]
            if micro_batch_size is None:
                grad_at = lambda p: grad_fn(p, Xb, yb)  # noqa: E731
            else:
                grad_at = lambda p: accumulated_gradient(grad_fn, p, Xb, yb, micro_batch_size)  # noqa: E731
            theta, state = step(rule, theta, grad_at, state, **hyper)
            clock += time.perf_counter() - start
            _record(history, problem, theta, counts, clock)
        history.epoch_loss.append(history.loss[-1])
    return theta, history


def _record(history, problem, theta, counts, clock):
    history.loss.append(problem.loss(theta, problem.X, problem.y))
    history.grad_evals.append(counts["calls"])
    history.samples.append(counts["rows"])
    history.seconds.append(clock)


def descend(problem: Problem, rule: str, steps: int, **hyper) -> np.ndarray:
    """Run ``rule`` for ``steps`` full-gradient steps; return the path (steps + 1, dim)."""
    theta, state = np.array(problem.theta0, dtype=float), init_state(rule, problem.theta0)
    path = [theta]
    grad_at = lambda p: problem.grad(p, problem.X, problem.y)  # noqa: E731
    for _ in range(steps):
        theta, state = step(rule, theta, grad_at, state, **hyper)
        path.append(theta)
    return np.array(path)
