"""Grading declaration of Assignment 7: questions, checks, points, tolerances.

Per update rule five checks of one point each: two public (single steps,
a 60-step trajectory on the course's ill-conditioned bowl; students run a
preview of them as the self-check) and three hidden (steps with edge cases,
a trajectory on another quadratic, float32 and purity). Every input is drawn
from the check's ``rng``, so grading never uses the published preview.
AdamW is a bonus question.
"""
import numpy as np

from .mistakes import MISTAKES
from grader.checks import (Assignment, Check, Question, Written, allclose, call, objective,
                           trajectory)
from reference import optimizers as ref

# name: (state names, takes t, takes grad_fn, hyperparameters for trajectories)
RULES = {
    "sgd_update": ((), False, False, {"lr": 0.08}),
    "momentum_update": (("v",), False, False, {"lr": 0.02, "alpha": 0.9}),
    "nesterov_update": (("v",), False, True, {"lr": 0.02, "alpha": 0.9}),
    "adagrad_update": (("r",), False, False, {"lr": 0.3}),
    "rmsprop_update": (("r",), False, False, {"lr": 0.01, "rho": 0.9}),
    "adam_update": (("s", "r"), True, False, {"lr": 0.05}),
    "adamw_update": (("s", "r"), True, False, {"lr": 0.05, "weight_decay": 0.1}),
}
BOWL = np.array([0.2, 10.0])   # reference.problems.BOWL_CURVATURE: flat and steep
STEP = allclose(rtol=1e-6, atol=1e-12)
PATH = allclose(rtol=1e-6, atol=1e-9)


def _hyper(name, rng, delta=None):
    """Random valid hyperparameters for a rule; delta overridable for edge cases."""
    h = {"lr": float(rng.uniform(0.01, 0.5))}
    if name in ("momentum_update", "nesterov_update"):
        h["alpha"] = float(rng.uniform(0.5, 0.95))
    if name == "rmsprop_update":
        h["rho"] = float(rng.uniform(0.8, 0.99))
    if name.startswith("adam"):
        h["rho1"], h["rho2"] = float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.99, 0.9999))
    if name == "adamw_update":
        h["weight_decay"] = float(rng.uniform(0.01, 0.2))
    if delta is not None and name not in ("sgd_update", "momentum_update", "nesterov_update"):
        h["delta"] = delta
    return h


def _step(name, rng, shape, g_scale=1.0, delta=None, t=None, zero_state=False, dtype=float):
    states, with_t, grad_fn, _ = RULES[name]
    theta = rng.standard_normal(shape).astype(dtype)
    state = []
    for s in states:
        value = np.zeros(shape) if zero_state else rng.standard_normal(shape) * 0.1
        state.append((value ** 2 if s == "r" else value).astype(dtype))
    hyper = _hyper(name, rng, delta)
    if grad_fn:
        n = int(np.prod(shape))
        A = _spd(rng, n) * g_scale
        return call(name, theta, objective("quadratic", A=A, b=rng.standard_normal(n) * g_scale),
                    *state, **hyper)
    g = (rng.standard_normal(shape) * g_scale).astype(dtype)
    extra = [int(t if t is not None else rng.integers(1, 30))] if with_t else []
    return call(name, theta, g, *state, *extra, **hyper)


def _spd(rng, n, low=0.1, high=10.0):
    """A random symmetric positive definite matrix with eigenvalues in [low, high]."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q @ np.diag(np.exp(rng.uniform(np.log(low), np.log(high), n))) @ q.T


def _path(name, theta0, A, b, steps=60):
    states, with_t, grad_fn, hyper = RULES[name]
    zeros = {s: np.zeros_like(theta0) for s in states}
    return trajectory(name, theta0, {"kind": "quadratic", "A": A, "b": b}, steps, zeros,
                      hyper, pass_grad_fn=grad_fn, with_t=with_t)


def public_steps(name):
    return lambda rng: [_step(name, rng, ()), _step(name, rng, (3,)),
                        _step(name, rng, (2, 3), delta=0.1)]


def public_path(name):
    """From a start on the lecture's side of the bowl, near (-4, 1)."""
    return lambda rng: [_path(name, rng.uniform((-5.0, -1.5), (-3.0, 1.5)), np.diag(BOWL),
                              np.zeros(2))]


def hidden_steps(name):
    def cases(rng):
        return [_step(name, rng, (4,)), _step(name, rng, (3, 2), g_scale=0.0),
                _step(name, rng, (5,), g_scale=1e6), _step(name, rng, (5,), g_scale=1e-6),
                _step(name, rng, (2, 2), delta=0.5), _step(name, rng, (3,), t=1, zero_state=True)]
    return cases


def hidden_path(name):
    def cases(rng):
        n = 4
        return [_path(name, rng.standard_normal(n) * 2, _spd(rng, n), rng.standard_normal(n))]
    return cases


def float32_pure(name):
    return lambda rng: [_step(name, rng, (3, 2), dtype=np.float32)]


def checks_for(name):
    return (
        Check(f"{name}: single steps", name, 1, public_steps(name), STEP, public=True,
              description="one step from random states on a 0-d, a vector and a matrix theta"),
        Check(f"{name}: 60 steps on the bowl", name, 1, public_path(name), PATH, public=True,
              description="its own state passed back in, on f = (0.2 x^2 + 10 y^2) / 2"),
        Check(f"{name}: hidden steps", name, 1, hidden_steps(name), STEP,
              description="fresh inputs; zero, huge and tiny gradients; large delta; t = 1"),
        Check(f"{name}: hidden trajectory", name, 1, hidden_path(name), PATH,
              description="60 steps on a fresh ill-conditioned quadratic"),
        Check(f"{name}: float32 and pure", name, 1, float32_pure(name),
              allclose(rtol=1e-4, atol=1e-6, dtype=True, inputs_unchanged=True),
              description="float32 in gives float32 out; no input is modified"),
    )


TITLES = {"sgd_update": "SGD", "momentum_update": "Momentum", "nesterov_update": "Nesterov momentum",
          "adagrad_update": "AdaGrad", "rmsprop_update": "RMSProp", "adam_update": "Adam",
          "adamw_update": "AdamW (bonus)"}

ASSIGNMENT = Assignment(
    id="a7_optimizers",
    version="1",
    title="Assignment 7: Optimizers",
    questions=tuple(Question(name.removesuffix("_update"), TITLES[name], checks_for(name),
                             bonus=name == "adamw_update") for name in RULES),
    reference={name: ref.RULES[name][0] for name in RULES},
    mistakes=MISTAKES,
    written=(Written("pseudocode", "Pseudocode for the six rules", 5),),
    functions=tuple(RULES),
    returns={name: ("theta",) + states for name, (states, *_) in RULES.items()},
)
