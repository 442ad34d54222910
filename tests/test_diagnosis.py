"""Diagnosis: failure kinds, localisation, fitted families, the same in grader and self-check."""
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assignments
from checks_helpers import prepared, results_for
from grader.diagnosis import explain, verdict
from grader.harness import programs
from grader.scoring import judge_check

from benchmarks import diagnosis as bench  # noqa: E402


def failed(name, function, impl):
    return [r for r in results_for(name, {function: impl}, function) if not r.passed]


def rmsprop_float64(theta, g, r, lr, rho=0.9, delta=1e-6):
    theta = np.asarray(theta, dtype=np.float64)
    r = rho * r + (1 - rho) * g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r.astype(np.float64)


def test_float64_is_a_dtype_failure_never_a_family():
    """Only the float32 check fails; its values are right, so nothing more is said."""
    results = failed("a7_optimizers", "rmsprop_update", rmsprop_float64)
    assert [r.name for r in results] == ["rmsprop_update: float32 and pure"]
    assert [d.id for d in results[0].diagnosis] == ["kind: dtype"]
    assert results[0].message == "wrong dtype"


def adagrad_unsquared(theta, g, r, lr, delta=1e-7):
    r = r + np.abs(g) ** 3
    return theta - lr / (delta + np.sqrt(r)) * g, r


def test_the_state_is_named_as_the_first_wrong_value():
    """No family reproduces |g|**3; the feedback still says r went wrong and theta followed."""
    results = failed("a7_optimizers", "adagrad_update", adagrad_unsquared)
    steps = next(r for r in results if r.name == "adagrad_update: single steps")
    where = [d.name for d in steps.diagnosis if d.kind == "where"]
    assert where == ["your r is wrong after one step; theta follows from it"]
    assert not [d for d in steps.diagnosis if d.kind == "family"]


@settings(max_examples=60, deadline=None)
@given(steps=st.integers(5, 40), start=st.integers(1, 4), rate=st.sampled_from([0.5, 1.0, 2.0]))
def test_a_trajectory_says_where_the_paths_part_and_how_the_error_evolves(steps, start, rate):
    """A path equal to the reference's until ``start``, then off by a factor ``rate**t``."""
    want = np.linspace(1.0, 2.0, steps + 1)[:, None] * np.ones((1, 2))
    t = np.arange(steps + 1)[:, None]
    got = want + np.where(t >= start, 1e-3 * rate ** (t - start), 0.0)
    where = explain._where_path(got, want, {"rtol": 1e-6, "atol": 0.0})
    assert f"at step {start}" in where["name"]
    trend = {0.5: "fades", 1.0: "stays", 2.0: "grows"}[rate]
    if steps - start >= 4:
        assert trend in where["name"]
    assert ("(the first step)" in where["name"]) == (start == 1)


def adam_t_shift(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat, r_hat = s / (1 - rho1 ** (t + 1)), r / (1 - rho2 ** (t + 1))
    return theta - lr * s_hat / (delta + np.sqrt(r_hat)), s, r


def test_a_family_is_named_only_where_it_reproduces_every_case():
    results = failed("a7_optimizers", "adam_update", adam_t_shift)
    assert results and all("t offset" in [d.id for d in r.diagnosis] for r in results)
    for r in results:  # a family that does not reproduce the outputs is never named
        assert "no bias correction" not in [d.id for d in r.diagnosis]


def accumulated_summed(grad_fn, theta, X, y, micro_batch_size):
    return sum(len(X[i:i + micro_batch_size]) * grad_fn(theta, X[i:i + micro_batch_size],
                                                         y[i:i + micro_batch_size])
               for i in range(0, len(X), micro_batch_size))


def test_families_that_fit_one_check_by_coincidence_are_dropped():
    """One row at a time, a sum, a sum of means and a wrong denominator coincide; the
    other checks tell them apart, and agreement keeps only the sum."""
    results = failed("a6_batching", "accumulated_gradient", accumulated_summed)
    per_check = [{d.id for d in r.diagnosis if d.kind == "family"} for r in results]
    assert any(len(ids) > 1 for ids in per_check)
    agreed = verdict.agree([r.diagnosis for r in results])
    assert all({d.id for d in ds if d.kind == "family"} == {"sum instead of mean"}
               for ds in agreed)


def test_modified_input_is_said_plainly():
    def in_place(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
        for idx in batches:
            theta -= lr * grad_fn(theta, X[idx], y[idx])
        return theta
    results = failed("a6_batching", "train_epoch", in_place)
    assert any(d.id == "kind: modified input" for r in results for d in r.diagnosis)


def test_global_random_state_is_said_plainly():
    def indices(d, batch_size, rng=None, shuffle=True, drop_last=False):
        order = np.random.permutation(d) if shuffle else np.arange(d)
        stop = d - d % batch_size if drop_last else d
        return [order[i:i + batch_size] for i in range(0, stop, batch_size)]
    results = failed("a6_batching", "minibatch_indices", indices)
    assert results and all(r.diagnosis[0].id == "kind: ignores rng" for r in results)


def test_an_unseeded_generator_of_its_own_is_not_deterministic():
    def indices(d, batch_size, rng=None, shuffle=True, drop_last=False):
        order = np.random.default_rng().permutation(d) if shuffle else np.arange(d)
        stop = d - d % batch_size if drop_last else d
        return [order[i:i + batch_size] for i in range(0, stop, batch_size)]
    results = failed("a6_batching", "minibatch_indices", indices)
    assert results and all(r.diagnosis[0].id == "kind: not deterministic" for r in results)


def test_batches_are_diagnosed_from_their_structure():
    def indices(d, batch_size, rng=None, shuffle=True, drop_last=False):
        order = (rng or np.random.default_rng()).permutation(d) if shuffle else np.arange(d)
        stop = d - d % batch_size if drop_last else d
        batches = [order[i:i + batch_size] for i in range(0, stop, batch_size)]
        if len(batches[-1]) < batch_size:  # padded with rows already used
            batches[-1] = np.concatenate([batches[-1], order[:batch_size - len(batches[-1])]])
        return batches
    results = failed("a6_batching", "minibatch_indices", indices)
    assert results and all("last batch padded" in [d.id for d in r.diagnosis] for r in results)


@pytest.mark.parametrize("name,function,impl", [
    ("a7_optimizers", "adam_update", adam_t_shift),
    ("a7_optimizers", "adagrad_update", adagrad_unsquared),
    ("a7_optimizers", "rmsprop_update", rmsprop_float64),
])
def test_the_self_check_gives_the_grader_s_diagnosis(selfcheck, name, function, impl):
    """The student bundle's public checks against the grader on the same inputs."""
    sc = selfcheck(name)
    namespace = {function: impl}
    for prep in prepared(name):
        if prep.check.function != function or not prep.check.public:
            continue
        entry = next(e for e in sc._load() if e["name"] == prep.check.name)
        results = [programs.run(p, namespace, own=prep.extension) for p in prep.programs]
        grader = [(d.id, d.name) for d in judge_check(prep, results).diagnosis]
        student = [(d.id, d.name) for d in sc._judge(entry, sc._results(entry, namespace)).diagnosis]
        assert grader == student, prep.check.name


def test_the_bundle_ships_outputs_not_code(bundles):
    folder = bundles["a7_optimizers"] / "selfcheck"
    assert sorted(os.listdir(folder)) == ["__init__.py", "assignment.py", "compare.py",
                                          "explain.py", "extension.py", "programs.py",
                                          "public.bin", "verdict.py", "wire.py"]
    own = (assignments.load("a7_optimizers").folder / "harness.py").read_text()
    assert open(os.path.join(folder, "assignment.py")).read() == own
    for module in os.listdir(folder):
        if module.endswith(".py"):
            text = open(os.path.join(folder, module)).read()
            assert "_adam_step" not in text and "family(" not in text


def test_the_report_shows_its_verdict_once(selfcheck):
    sc = selfcheck("a7_optimizers")
    spec = assignments.load("a7_optimizers")
    good = sc.check("sgd_update", dict(spec.reference))
    bad = sc.check("adam_update", {"adam_update": adam_t_shift})
    assert good and not bad
    assert "passed: sgd_update: single steps" in str(good) and repr(good) == str(good)
    assert "looks like: t counted from 0" in str(bad)
    html = bad._repr_html_()
    assert html.startswith("<table>") and "t counted from 0" in html and "FAILED" in html
    escaped = sc.Report([("<b>", False, None, ["<i>"])], "")._repr_html_()
    assert "&lt;b&gt;" in escaped and "&lt;i&gt;" in escaped and "<b>" not in escaped


@pytest.mark.parametrize("split", ["dev", "heldout"])
@pytest.mark.parametrize("short", ["a6", "a7"])
def test_benchmark_thresholds(short, split):
    m = bench.measure(short, split)
    assert m["caught"] == 100.0, m["missed"]
    assert m["named"] >= 90.0, m["unnamed"]
    assert m["misnamed"] == 0, m["misnamed_list"]
    assert m["correct_full"] == 100.0


@pytest.mark.parametrize("out", [[np.zeros(2), np.zeros(3)], [[0.0, 1.0], [2.0]], 5.0],
                         ids=["arrays", "lists", "number"])
def test_a_path_that_is_not_one_array_fails_its_trajectory_check(out):
    # What a forged frame may send for a path: no array to locate the error in.
    preps = [p for p in prepared("a7_optimizers")
             if any(x.get("op") == "trajectory" for x in p.programs)]
    assert preps
    for prep in preps:
        result = judge_check(prep, [{"ok": True, "out": out} for _ in prep.programs])
        assert not result.passed
