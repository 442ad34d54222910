"""One declaration per update rule (``reference.optimizers.Rule``), read by everyone.

The declarations against the course's signatures and against their own functions;
the reference's training loop, the harness's trajectory program (which receives the
declaration as plain data) and A7's grading all follow it.
"""
import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assignments
from grader import course
from grader.checks import trajectory
from grader.harness import programs, wire
from reference import optimizers as opt
from reference.problems import Problem
from reference.training import descend, init_state, step

ROOT = Path(__file__).resolve().parent.parent
A7 = course.load("a7_optimizers")  # its harness.py declares the quadratic objective

# The course's API (README, "The reference"), written out independently of the code:
# name: (state, takes t, takes grad_fn, hyperparameters, their defaults).
COURSE = {
    "sgd_update": ((), False, False, ("lr",), {}),
    "momentum_update": (("v",), False, False, ("lr", "alpha"), {}),
    "nesterov_update": (("v",), False, True, ("lr", "alpha"), {}),
    "adagrad_update": (("r",), False, False, ("lr", "delta"), {"delta": 1e-7}),
    "rmsprop_update": (("r",), False, False, ("lr", "rho", "delta"), {"rho": 0.9, "delta": 1e-6}),
    "adam_update": (("s", "r"), True, False, ("lr", "rho1", "rho2", "delta"),
                    {"lr": 0.001, "rho1": 0.9, "rho2": 0.999, "delta": 1e-8}),
    "adamw_update": (("s", "r"), True, False, ("lr", "rho1", "rho2", "delta", "weight_decay"),
                     {"lr": 0.001, "rho1": 0.9, "rho2": 0.999, "delta": 1e-8,
                      "weight_decay": 0.01}),
}
# Valid values of every hyperparameter some rule requires.
HYPER = {"lr": 0.05, "alpha": 0.8, "rho": 0.9, "weight_decay": 0.1}


def hyper_for(rule):
    return {k: HYPER[k] for k in rule.hyper if k not in rule.defaults}


def quadratic(rng, n):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q @ np.diag(rng.uniform(0.2, 5.0, n)) @ q.T, rng.standard_normal(n)


# -- the declarations --------------------------------------------------------------

def test_the_rules_are_the_course_rules_in_course_order():
    assert list(opt.RULES) == list(COURSE)
    assert all(name == rule.name == rule.fn.__name__ for name, rule in opt.RULES.items())


@pytest.mark.parametrize("name", list(COURSE))
def test_each_declaration_says_what_the_course_says(name):
    rule = opt.RULES[name]
    state, takes_t, takes_grad_fn, hyper, defaults = COURSE[name]
    assert (rule.state, rule.takes_t, rule.takes_grad_fn) == (state, takes_t, takes_grad_fn)
    assert rule.hyper == hyper and dict(rule.defaults) == defaults
    assert rule.shape() == {"state": state, "takes_t": takes_t, "takes_grad_fn": takes_grad_fn}


@pytest.mark.parametrize("name", list(COURSE))
def test_each_declaration_agrees_with_its_function(name):
    """theta, g (or grad_fn), the state arrays, t where declared, then the hyperparameters
    with the signature's defaults; the function returns theta and the state, in order."""
    rule = opt.RULES[name]
    params = inspect.signature(rule.fn).parameters.values()
    leading = ["theta", "grad_fn" if rule.takes_grad_fn else "g", *rule.state]
    leading += ["t"] if rule.takes_t else []
    assert [p.name for p in params] == leading + list(rule.hyper)
    assert {p.name: p.default for p in params if p.default is not p.empty} == dict(rule.defaults)
    theta = np.arange(1.0, 4.0)
    first = (lambda p: p) if rule.takes_grad_fn else theta
    out = rule.fn(theta, first, *(np.full(3, 0.5) for _ in rule.state),
                  *([1] if rule.takes_t else []), **hyper_for(rule))
    returned = out if rule.state else (out,)
    assert len(returned) == 1 + len(rule.state)
    assert all(np.shape(a) == theta.shape for a in returned)


def test_declarations_are_immutable_and_hashable():
    rule = opt.RULES["adam_update"]
    with pytest.raises(AttributeError):
        rule.takes_t = False
    with pytest.raises(TypeError):
        rule.defaults["lr"] = 1.0
    assert {rule: 1}[opt.Rule(opt.adam_update, ("s", "r"), takes_t=True)] == 1


@pytest.mark.parametrize("declare", [
    lambda: opt.Rule(opt.adam_update, state=("r", "s"), takes_t=True),   # state out of order
    lambda: opt.Rule(opt.adam_update, state=("s", "r")),                 # t left undeclared
    lambda: opt.Rule(opt.momentum_update, state=("v",), takes_t=True),   # no t to take
    lambda: opt.Rule(opt.nesterov_update, state=("v",)),                 # grad_fn, not g
    lambda: opt.Rule(opt.sgd_update, takes_grad_fn=True),
    lambda: opt.Rule(lambda theta, g, v=0.0, lr=0.1: theta, state=("v",)),  # state with a default
    lambda: opt.Rule(lambda theta, g, *hyper: theta),
], ids=["order", "t undeclared", "no t", "grad_fn", "not grad_fn", "default", "varargs"])
def test_a_declaration_its_function_contradicts_is_refused(declare):
    with pytest.raises(TypeError):
        declare()


# -- the reference's training loop -----------------------------------------------------

@pytest.mark.parametrize("name", list(COURSE))
def test_init_state_and_step_follow_the_declaration(name):
    """Two steps of ``step`` equal two calls of the function by its parameters' names."""
    rule, rng = opt.RULES[name], np.random.default_rng(3)
    A, b = quadratic(rng, 3)
    grad_at = lambda p: A @ p - b  # noqa: E731
    theta = rng.standard_normal(3)
    state = init_state(name, theta)
    assert list(state) == list(rule.state) + (["t"] if rule.takes_t else [])
    assert all(np.array_equal(state[n], np.zeros(3)) for n in rule.state)
    mine, by_name = theta, {**{n: np.zeros(3) for n in rule.state}, "t": 0}
    for t in (1, 2):
        theta, state = step(name, theta, grad_at, state, **hyper_for(rule))
        by_name.update(theta=mine, g=grad_at(mine), grad_fn=grad_at, t=t)
        params = list(inspect.signature(rule.fn).parameters)[:-len(rule.hyper)]
        out = rule.fn(*(by_name[p] for p in params), **hyper_for(rule))
        mine, *arrays = out if rule.state else (out,)
        by_name.update(zip(rule.state, arrays))
        np.testing.assert_array_equal(theta, mine)
        for n in rule.state:
            np.testing.assert_array_equal(state[n], by_name[n])
        if rule.takes_t:
            assert state["t"] == t


# -- the harness's trajectory program ----------------------------------------------

@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 4), steps=st.integers(1, 30))
def test_the_harness_trajectory_is_the_reference_descent_for_every_rule(seed, n, steps):
    """The program as the sandbox receives it (through the wire: plain data only) runs
    each rule as the reference's ``descend`` does, to the last bit."""
    rng = np.random.default_rng(seed)
    A, b = quadratic(rng, n)
    theta0 = rng.standard_normal(n)
    problem = Problem("quadratic", lambda p, X, y: 0.0, lambda p, X, y: A @ p - b, theta0)
    for name, rule in opt.RULES.items():
        program = trajectory(name, theta0, {"kind": "quadratic", "A": A, "b": b}, steps, rule,
                             hyper_for(rule))
        sent = wire.decode(wire.encode(program))
        got = programs.run(sent, {name: rule.fn}, own=A7.extension)
        assert got["ok"], got
        np.testing.assert_array_equal(got["out"], descend(problem, name, steps,
                                                          **hyper_for(rule)))


def test_a_trajectory_takes_a_declaration_or_its_plain_shape():
    rule, theta0 = opt.RULES["adam_update"], np.zeros(2)
    spec = {"kind": "quadratic", "A": np.eye(2), "b": np.ones(2)}
    declared = trajectory("adam_update", theta0, spec, 5, rule)
    plain = trajectory("adam_update", theta0, spec, 5,
                       {"state": ["s", "r"], "takes_t": True, "takes_grad_fn": False})
    assert declared["rule"] == plain["rule"] == {"state": ["s", "r"], "takes_t": True,
                                                 "takes_grad_fn": False}
    with pytest.raises(TypeError, match="names"):
        trajectory("adam_update", theta0, spec, 5,
                   {"state": [np.zeros(2)], "takes_t": True, "takes_grad_fn": False})


def test_a_function_called_other_than_declared_fails_its_trajectory():
    program = trajectory("momentum_update", np.ones(2), {"kind": "quadratic", "A": np.eye(2),
                         "b": np.zeros(2)}, 3, {"state": [], "takes_t": False,
                                                "takes_grad_fn": False}, {"lr": 0.1})
    missing_v = programs.run(program, {"momentum_update": opt.momentum_update},
                             own=A7.extension)
    assert not missing_v["ok"] and missing_v["exc_type"] == "TypeError"
    # A stateless rule that returns a tuple: theta comes back with the wrong shape.
    tuple_back = programs.run(program, {"momentum_update": lambda theta, g, lr: (theta, g)},
                              own=A7.extension)
    assert not tuple_back["ok"] and "shape" in tuple_back["error"]


def test_the_harness_imports_neither_reference_nor_assignments():
    """It runs in the student's sandbox and ships in the student's bundle."""
    for path in (ROOT / "grader" / "harness").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] in ("reference", "assignments") for n in names), path


# -- A7's grading ------------------------------------------------------------------

def test_a7_grades_every_rule_as_declared():
    a7 = assignments.load("a7_optimizers")
    assert a7.functions == tuple(opt.RULES)
    assert a7.reference == {name: rule.fn for name, rule in opt.RULES.items()}
    assert a7.returns == {name: ("theta", *rule.state) for name, rule in opt.RULES.items()}
    for _, check in a7.checks():
        rule = opt.RULES[check.function]
        for program in check.cases(np.random.default_rng(0)):
            hyper = program.get("hyper") or program.get("kwargs")
            required = set(rule.hyper) - set(rule.defaults)
            assert required <= set(hyper) <= set(rule.hyper), (check.name, hyper)
            if program["op"] == "trajectory":
                assert program["rule"] == {**rule.shape(), "state": list(rule.state)}


def test_a7_mistakes_take_the_parameters_their_rule_declares():
    """The trajectory program calls a mistake as it calls the reference."""
    for mistake in assignments.load("a7_optimizers").mistakes:
        assert list(inspect.signature(mistake.impl).parameters) == \
            list(inspect.signature(opt.RULES[mistake.function].fn).parameters), mistake.name
