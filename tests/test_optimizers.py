"""The update rules against values worked out by hand, and their contract:
pure, any shape, dtype kept, bad input refused with a message naming it."""
import math

import numpy as np
import pytest

from reference import optimizers as opt

THETA, G = np.array([1.0, -2.0]), np.array([0.5, -4.0])


def test_sgd_by_hand():
    np.testing.assert_allclose(opt.sgd_update(THETA, G, lr=0.1), [0.95, -1.6], rtol=1e-15)


def test_momentum_by_hand():
    theta, v = opt.momentum_update(THETA, G, np.array([0.1, 0.2]), lr=0.1, alpha=0.9)
    # v = 0.9 * [0.1, 0.2] - 0.1 * [0.5, -4] = [0.04, 0.58]; theta moves by the NEW v
    np.testing.assert_allclose(v, [0.04, 0.58], rtol=1e-14)
    np.testing.assert_allclose(theta, [1.04, -1.42], rtol=1e-14)


def test_nesterov_takes_the_gradient_at_the_look_ahead_point():
    seen = []

    def grad_fn(p):
        seen.append(p.copy())
        return 2.0 * p  # gradient of |p|^2

    theta, v = opt.nesterov_update(THETA, grad_fn, np.array([1.0, 1.0]), lr=0.1, alpha=0.5)
    np.testing.assert_allclose(seen, [[1.5, -1.5]])      # theta + alpha * v
    np.testing.assert_allclose(v, [0.5 - 0.3, 0.5 + 0.3])  # alpha v - lr * 2 * look-ahead
    np.testing.assert_allclose(theta, [1.2, -1.2])


def test_adagrad_by_hand():
    theta, r = opt.adagrad_update(THETA, G, np.array([0.75, 9.0]), lr=0.1, delta=1e-7)
    np.testing.assert_allclose(r, [1.0, 25.0])
    np.testing.assert_allclose(theta, [1 - 0.1 / (1e-7 + 1) * 0.5, -2 + 0.1 / (1e-7 + 5) * 4],
                               rtol=1e-15)


def test_rmsprop_by_hand():
    theta, r = opt.rmsprop_update(THETA, G, np.array([1.0, 1.0]), lr=0.01, rho=0.9, delta=1e-6)
    np.testing.assert_allclose(r, [0.9 + 0.1 * 0.25, 0.9 + 0.1 * 16], rtol=1e-15)
    np.testing.assert_allclose(theta, THETA - 0.01 / (1e-6 + np.sqrt(r)) * G, rtol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    """At t = 1 bias correction gives s_hat = g and r_hat = g*g: a step of about lr."""
    z = np.zeros(2)
    theta, s, r = opt.adam_update(THETA, G, z, z, t=1, lr=0.01)
    np.testing.assert_allclose(s, 0.1 * G, rtol=1e-15)
    np.testing.assert_allclose(r, 0.001 * G * G, rtol=1e-12)
    np.testing.assert_allclose(theta, THETA - 0.01 * G / (1e-8 + np.abs(G)), rtol=1e-12)


def test_adam_later_step_by_hand():
    s, r = np.array([0.2, -0.1]), np.array([0.04, 0.5])
    theta, s_new, r_new = opt.adam_update(THETA, G, s, r, t=3, lr=0.1, rho1=0.8, rho2=0.9,
                                          delta=1e-3)
    s_exp = 0.8 * s + 0.2 * G
    r_exp = 0.9 * r + 0.1 * G * G
    s_hat, r_hat = s_exp / (1 - 0.8 ** 3), r_exp / (1 - 0.9 ** 3)
    np.testing.assert_allclose(s_new, [0.26, -0.88], rtol=1e-14)
    np.testing.assert_allclose(r_new, [0.061, 2.05], rtol=1e-14)
    np.testing.assert_allclose(theta, THETA - 0.1 * s_hat / (1e-3 + np.sqrt(r_hat)), rtol=1e-14)


def test_adamw_decays_theta_before_the_adam_step():
    z = np.zeros(2)
    got = opt.adamw_update(THETA, G, z, z, t=1, lr=0.01, weight_decay=0.5)
    want = opt.adam_update(THETA * (1 - 0.01 * 0.5), G, z, z, t=1, lr=0.01)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-15)
    no_decay = opt.adamw_update(THETA, G, z, z, t=1, lr=0.01, weight_decay=0.0)
    np.testing.assert_allclose(no_decay[0], opt.adam_update(THETA, G, z, z, 1, lr=0.01)[0])


# -- the contract, for every rule -----------------------------------------------

def call(name, theta, g, dtype=None, **over):
    """Call rule ``name`` with zero state and small hyperparameters."""
    state = {n: np.zeros_like(theta) + 0.1 for n in opt.RULES[name].state}
    hyper = {"sgd_update": dict(lr=0.1), "momentum_update": dict(lr=0.1, alpha=0.9),
             "nesterov_update": dict(lr=0.1, alpha=0.9), "adagrad_update": dict(lr=0.1),
             "rmsprop_update": dict(lr=0.1), "adam_update": dict(t=2, lr=0.1),
             "adamw_update": dict(t=2, lr=0.1)}[name]
    hyper.update(over)
    fn = opt.RULES[name].fn
    if name == "nesterov_update":
        return fn(theta, lambda p: g, state["v"], **hyper)
    return fn(theta, g, *state.values(), **hyper)


RULE_NAMES = list(opt.RULES)


@pytest.mark.parametrize("name", RULE_NAMES)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_any_shape(name, shape):
    rng = np.random.default_rng(0)
    theta, g = rng.standard_normal(shape), rng.standard_normal(shape)
    out = call(name, theta, g)
    for arr in (out if isinstance(out, tuple) else (out,)):
        assert isinstance(arr, np.ndarray) and arr.shape == shape


@pytest.mark.parametrize("name", RULE_NAMES)
def test_float32_in_float32_out(name):
    theta = np.array([1.0, 2.0], dtype=np.float32)
    out = call(name, theta, np.array([0.5, -0.5], dtype=np.float32))
    for arr in (out if isinstance(out, tuple) else (out,)):
        assert arr.dtype == np.float32


@pytest.mark.parametrize("name", RULE_NAMES)
def test_inputs_are_never_modified(name):
    rng = np.random.default_rng(1)
    theta, g = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    state = [np.full((2, 2), 0.3) for _ in opt.RULES[name].state]
    copies = [a.copy() for a in (theta, g, *state)]
    fn = opt.RULES[name].fn
    hyper = dict(lr=0.1)
    if name in ("momentum_update", "nesterov_update"):
        hyper["alpha"] = 0.9
    if name.startswith("adam"):
        hyper["t"] = 1
    if name == "nesterov_update":
        fn(theta, lambda p: g, *state, **hyper)
    else:
        fn(theta, g, *state, **hyper)
    for before, after in zip(copies, (theta, g, *state)):
        np.testing.assert_array_equal(before, after)


BAD_HYPER = [
    ("lr", 0.0), ("lr", -1.0), ("lr", math.inf), ("lr", math.nan),
    ("alpha", 1.0), ("alpha", -0.1), ("rho", 1.0), ("rho1", 1.5), ("rho2", -0.5),
    ("delta", 0.0), ("delta", -1e-8), ("t", 0), ("weight_decay", -0.1),
]


def _takes(name, arg):
    code = opt.RULES[name].fn.__code__
    return arg in code.co_varnames[:code.co_argcount]


@pytest.mark.parametrize("name,arg,value", [(n, a, v) for n in RULE_NAMES for a, v in BAD_HYPER
                                            if _takes(n, a)])
def test_bad_hyperparameters_raise_value_error_naming_them(name, arg, value):
    with pytest.raises(ValueError, match=arg):
        call(name, np.ones(2), np.ones(2), **{arg: value})


@pytest.mark.parametrize("name", ["adam_update", "adamw_update"])
@pytest.mark.parametrize("t", [1.5, "1", True])
def test_t_must_be_an_integer(name, t):
    with pytest.raises(TypeError, match="t must be an integer"):
        call(name, np.ones(2), np.ones(2), t=t)


@pytest.mark.parametrize("name", RULE_NAMES)
def test_shape_mismatch_is_refused(name):
    with pytest.raises(ValueError, match="shape"):
        call(name, np.ones(2), np.ones(3))


@pytest.mark.parametrize("name", RULE_NAMES)
@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([object(), 1], dtype=object)])
def test_non_numeric_arrays_are_refused(name, bad):
    with pytest.raises(TypeError):
        call(name, bad, np.ones(2))


def test_state_shape_mismatch_names_the_state():
    with pytest.raises(ValueError, match="r must have theta's shape"):
        opt.adagrad_update(np.ones(2), np.ones(2), np.ones(3), lr=0.1)
