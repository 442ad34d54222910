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
from reference.optimizers import RULES
from reference.problems import BOWL_CURVATURE

# Hyperparameters of every trajectory, on the bowl and on the hidden quadratics.
TRAJECTORY_HYPER = {
    "sgd_update": {"lr": 0.08},
    "momentum_update": {"lr": 0.02, "alpha": 0.9},
    "nesterov_update": {"lr": 0.02, "alpha": 0.9},
    "adagrad_update": {"lr": 0.3},
    "rmsprop_update": {"lr": 0.01, "rho": 0.9},
    "adam_update": {"lr": 0.05},
    "adamw_update": {"lr": 0.05, "weight_decay": 0.1},
}
# Where each hyperparameter is drawn from in single steps; the others (delta) keep
# their defaults unless a case sets them.
RANGES = {"lr": (0.01, 0.5), "alpha": (0.5, 0.95), "rho": (0.8, 0.99), "rho1": (0.8, 0.95),
          "rho2": (0.99, 0.9999), "weight_decay": (0.01, 0.2)}
STEP = allclose(rtol=1e-6, atol=1e-12)
PATH = allclose(rtol=1e-6, atol=1e-9)


def _hyper(name, rng, delta=None):
    """Random valid hyperparameters for a rule; delta overridable for edge cases."""
    hyper = RULES[name].hyper
    h = {k: float(rng.uniform(*RANGES[k])) for k in hyper if k in RANGES}
    if delta is not None and "delta" in hyper:
        h["delta"] = delta
    return h


def _step(name, rng, shape, g_scale=1.0, delta=None, t=None, zero_state=False, dtype=float):
    rule = RULES[name]
    theta = rng.standard_normal(shape).astype(dtype)
    state = []
    for s in rule.state:
        value = np.zeros(shape) if zero_state else rng.standard_normal(shape) * 0.1
        # r accumulates squares: a negative one is not a state the rule can reach.
        state.append((value ** 2 if s == "r" else value).astype(dtype))
    hyper = _hyper(name, rng, delta)
    if rule.takes_grad_fn:
        n = int(np.prod(shape))
        A = _spd(rng, n) * g_scale
        return call(name, theta, objective("quadratic", A=A, b=rng.standard_normal(n) * g_scale),
                    *state, **hyper)
    g = (rng.standard_normal(shape) * g_scale).astype(dtype)
    extra = [int(t if t is not None else rng.integers(1, 30))] if rule.takes_t else []
    return call(name, theta, g, *state, *extra, **hyper)


def _spd(rng, n, low=0.1, high=10.0):
    """A random symmetric positive definite matrix with eigenvalues in [low, high]."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q @ np.diag(np.exp(rng.uniform(np.log(low), np.log(high), n))) @ q.T


def _path(name, theta0, A, b, steps=60):
    return trajectory(name, theta0, {"kind": "quadratic", "A": A, "b": b}, steps, RULES[name],
                      TRAJECTORY_HYPER[name])


def public_steps(name):
    return lambda rng: [_step(name, rng, ()), _step(name, rng, (3,)),
                        _step(name, rng, (2, 3), delta=0.1)]


def public_path(name):
    """From a start on the lecture's side of the bowl, near (-4, 1)."""
    return lambda rng: [_path(name, rng.uniform((-5.0, -1.5), (-3.0, 1.5)),
                              np.diag(BOWL_CURVATURE), np.zeros(2))]


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
    reference={name: rule.fn for name, rule in RULES.items()},
    mistakes=MISTAKES,
    written=(Written("pseudocode", "Pseudocode for the six rules", 5),),
    functions=tuple(RULES),
    returns={name: ("theta",) + rule.state for name, rule in RULES.items()},
)
