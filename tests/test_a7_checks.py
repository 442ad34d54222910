"""The tolerances separate right from wrong, both ways: every correct
arrangement of a rule passes every check, every known mistake fails and is
named by the diagnosis."""
import numpy as np
import pytest

import assignments
from checks_helpers import results_for

A7 = assignments.load("a7_optimizers")


# Correct, but written differently from the reference.
def sgd_update(theta, g, lr):
    out = np.array(theta, copy=True)
    out -= g * lr
    return out


def momentum_update(theta, g, v, lr, alpha):
    v = v * alpha
    v -= lr * g
    return theta + v, v


def nesterov_update(theta, grad_fn, v, lr, alpha):
    look_ahead = theta + alpha * v
    v_new = alpha * v - lr * grad_fn(look_ahead)
    return theta + v_new, v_new


def adagrad_update(theta, g, r, lr, delta=1e-7):
    r = r + g ** 2
    return theta - lr * g / (delta + np.sqrt(r)), r


def rmsprop_update(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * g ** 2
    return theta - (lr / (np.sqrt(r) + delta)) * g, r


def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * (g * g)
    s_hat = s / (1 - rho1 ** t)
    r_hat = r / (1 - rho2 ** t)
    return theta - (lr / (delta + np.sqrt(r_hat))) * s_hat, s, r


def adamw_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8, weight_decay=0.01):
    return adam_update(theta * (1 - lr * weight_decay), g, s, r, t, lr, rho1, rho2, delta)


STYLE = {f.__name__: f for f in (sgd_update, momentum_update, nesterov_update, adagrad_update,
                                 rmsprop_update, adam_update, adamw_update)}


@pytest.mark.parametrize("namespace", [A7.reference, STYLE], ids=["reference", "other-style"])
def test_correct_implementations_pass_every_check(namespace):
    failed = [(r.name, r.message) for r in results_for("a7_optimizers", namespace) if not r.passed]
    assert failed == []


@pytest.mark.parametrize("mistake", A7.mistakes, ids=lambda m: f"{m.function}: {m.name}")
def test_every_known_mistake_fails_and_is_named(mistake):
    results = results_for("a7_optimizers", {mistake.function: mistake.impl}, mistake.function)
    failed = [r for r in results if not r.passed]
    assert failed, "the mistake passed every check"
    named = {d["name"] for r in failed for d in r.diagnosis}
    assert mistake.name in named


def test_float32_is_required():
    def casts(theta, g, lr):
        return np.asarray(theta, dtype=np.float64) - lr * g
    results = {r.name: r for r in results_for("a7_optimizers", {"sgd_update": casts}, "sgd_update")}
    assert not results["sgd_update: float32 and pure"].passed
    assert "dtype" in results["sgd_update: float32 and pure"].message
    assert results["sgd_update: single steps"].passed


def test_modifying_inputs_in_place_fails_the_purity_check():
    def in_place(theta, g, r, lr, delta=1e-7):
        r += g * g
        theta -= lr / (delta + np.sqrt(r)) * g
        return theta, r
    results = {r.name: r for r in results_for("a7_optimizers", {"adagrad_update": in_place},
                                              "adagrad_update")}
    assert "modified its input" in results["adagrad_update: float32 and pure"].message


@pytest.mark.parametrize("bad,expect", [
    (lambda theta, g, lr: np.full_like(theta, np.nan), "NaN"),
    (lambda theta, g, lr: "theta", "wrong type of result"),
    (lambda theta, g, lr: None, "wrong type of result"),
    (lambda theta, g, lr: np.zeros(7), "shape"),
    (lambda theta, g: theta, "TypeError"),
])
def test_bad_returns_fail_with_a_clear_message(bad, expect):
    results = results_for("a7_optimizers", {"sgd_update": bad}, "sgd_update")
    assert all(not r.passed for r in results)
    assert any(expect in r.message for r in results), [r.message for r in results]
