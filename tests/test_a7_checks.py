"""The tolerances separate right from wrong, both ways: every correct
arrangement of a rule passes every check, every known mistake fails and is
named by the diagnosis."""
import numpy as np
import pytest

import assignments
from checks_helpers import results_for

from benchmarks.diagnosis_corpus.a7_correct import STYLE

A7 = assignments.load("a7_optimizers")


@pytest.mark.parametrize("namespace", [A7.reference, STYLE], ids=["reference", "other-style"])
def test_correct_implementations_pass_every_check(namespace):
    failed = [(r.name, r.message) for r in results_for("a7_optimizers", namespace) if not r.passed]
    assert failed == []


@pytest.mark.parametrize("mistake", A7.mistakes, ids=lambda m: f"{m.function}: {m.name}")
def test_every_known_mistake_fails_and_is_named(mistake):
    results = results_for("a7_optimizers", {mistake.function: mistake.impl}, mistake.function)
    failed = [r for r in results if not r.passed]
    assert failed, "the mistake passed every check"
    named = {d.name for r in failed for d in r.diagnosis}
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
