"""The checks of Assignment 6 accept every correct answer and catch the catalogued mistakes.

Correct answers are the reference and alternatives written in other styles
(a student's shuffle or chunking need not be the reference's). Every result
goes through the wire format, as a student's would.
"""

import numpy as np
import pytest

import assignments
from grader.checks.expected import prepare
from grader.checks.secret import Secret
from grader.harness import programs, wire
from grader.scoring import judge_check

from benchmarks.diagnosis_corpus.a6_correct import ALTERNATIVES

A6 = assignments.load("a6_batching")
# The published preview and several secrets: no check may depend on a lucky draw.
SEEDS = (None, *(Secret(str(k).encode()) for k in range(1, 5)))
PREPARED = {seed: prepare(A6, seed) for seed in SEEDS}


def run_check(prep, namespace):
    results = [wire.decode(wire.encode(programs.run(wire.decode(wire.encode(p)), namespace,
                                                    own=prep.extension)))
               for p in prep.programs]
    return judge_check(prep, results)


def preps_of(function, seed=None):
    return [p for p in PREPARED[seed] if p.check.function == function]


# -- correct alternatives: benchmarks/diagnosis_corpus/a6_correct.py -----------------

CORRECT = [(name, A6.reference[name]) for name in A6.functions] + \
          [(name, impl) for name, impls in ALTERNATIVES.items() for impl in impls]


# -- wrong answers that are not catalogued (the checks still fail them) -------------

def minibatch_indices_never_shuffled(d, batch_size, rng=None, shuffle=True, drop_last=False):
    stop = d - d % batch_size if drop_last else d
    return [np.arange(d)[i:i + batch_size] for i in range(0, stop, batch_size)]


def minibatch_indices_ignores_drop_last(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = (rng or np.random.default_rng()).permutation(d) if shuffle else np.arange(d)
    return [order[i:i + batch_size] for i in range(0, d, batch_size)]


def minibatch_indices_same_every_epoch(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = np.random.default_rng(0).permutation(d) if shuffle else np.arange(d)
    stop = d - d % batch_size if drop_last else d
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def accumulated_gradient_all_rows_at_once(grad_fn, theta, X, y, micro_batch_size):
    return grad_fn(theta, X, y)


def minibatch_indices_global_state(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = np.random.permutation(d) if shuffle else np.arange(d)
    stop = d - d % batch_size if drop_last else d
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def train_epoch_ignores_micro_batch_size(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta = theta - lr * grad_fn(theta, X[idx], y[idx])
    return theta


def train_epoch_modifies_theta(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta -= lr * grad_fn(theta, X[idx], y[idx])
    return theta


UNCATALOGUED = [("minibatch_indices", minibatch_indices_never_shuffled),
                ("minibatch_indices", minibatch_indices_ignores_drop_last),
                ("minibatch_indices", minibatch_indices_same_every_epoch),
                ("accumulated_gradient", accumulated_gradient_all_rows_at_once),
                ("minibatch_indices", minibatch_indices_global_state),
                ("train_epoch", train_epoch_ignores_micro_batch_size),
                ("train_epoch", train_epoch_modifies_theta)]


# -- tests ----------------------------------------------------------------------------

def test_declaration():
    assert A6.functions == ("batch_size_for", "minibatch_indices", "accumulated_gradient",
                            "train_epoch")
    assert [q.name for q in A6.questions] == ["batch_size", "indices", "accumulation", "epoch"]
    names = [c.name for _, c in A6.checks()]
    assert len(names) == len(set(names))
    for question in A6.questions:
        functions = {c.function for c in question.checks}
        assert len(functions) == 1
        assert any(c.public for c in question.checks) and any(not c.public for c in question.checks)
        assert all(c.points == 1 for c in question.checks)
    assert A6.max_score == len(names)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("function,impl", CORRECT, ids=lambda x: getattr(x, "__name__", x))
def test_correct_answers_pass_every_check(function, impl, seed):
    namespace = dict(A6.reference, **{function: impl})
    for prep in preps_of(function, seed):
        result = run_check(prep, namespace)
        assert result.passed, (result.name, result.message)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake", A6.mistakes, ids=lambda m: m.name)
def test_every_mistake_fails_and_is_named(mistake, seed):
    results = [run_check(p, {mistake.function: mistake.impl})
               for p in preps_of(mistake.function, seed)]
    failed = [r for r in results if not r.passed]
    assert failed, f"{mistake.name} passes every check"
    named = [r.name for r in failed if mistake.name in [d.name for d in r.diagnosis]]
    assert named, f"{mistake.name} is not named on any of {[r.name for r in failed]}"


@pytest.mark.parametrize("function,impl", UNCATALOGUED, ids=lambda x: getattr(x, "__name__", x))
def test_uncatalogued_wrong_answers_fail(function, impl):
    results = [run_check(p, {function: impl}) for p in preps_of(function)]
    assert any(not r.passed for r in results)


@pytest.mark.parametrize("function,impl,words", [
    ("minibatch_indices", minibatch_indices_global_state, "ignores its rng"),
    ("train_epoch", train_epoch_ignores_micro_batch_size, "too many rows"),
    ("train_epoch", train_epoch_modifies_theta, "modified its input"),
], ids=lambda x: getattr(x, "__name__", None))
def test_every_argument_is_honoured_and_inputs_stay(function, impl, words):
    """Each fails a public check, with a message that says what kind of failure it is."""
    results = [run_check(p, {function: impl}) for p in preps_of(function) if p.check.public]
    assert any(words in r.message for r in results if not r.passed), [r.message for r in results]


def test_public_checks_ship_small_data():
    for prep in PREPARED[None]:
        if prep.check.public:
            size = len(wire.encode({"programs": prep.programs, "expected": prep.expected}))
            assert size < 10_000, (prep.check.name, size)


def test_every_check_draws_other_inputs_from_each_secret():
    """Public checks too: grading never uses the inputs the self-check publishes."""
    for preview, graded in zip(PREPARED[None], PREPARED[SEEDS[1]]):
        assert wire.encode(preview.programs) != wire.encode(graded.programs), preview.check.name


@pytest.mark.parametrize("out", [5, None, "batches"])
def test_a_forged_result_of_repeated_epochs_fails_its_check(out):
    # A notebook that writes its own frames may send anything as the epochs of a
    # repeated call: the check fails (a wrong result), it does not stop the scoring.
    preps = [p for p in PREPARED[None] if any(x.get("repeat", 1) > 1 for x in p.programs)]
    assert preps
    for prep in preps:
        result = judge_check(prep, [{"ok": True, "out": out} for _ in prep.programs])
        assert not result.passed and result.message == "wrong type of result"


def test_a_function_that_returns_other_types_when_probed_fails_its_check():
    # The probe calls the student's function again: it may return boolean arrays
    # there, which compare element-wise; the check fails, the scoring goes on.
    for prep in preps_of("minibatch_indices"):
        if not any(p.get("probe_rng") for p in prep.programs):
            continue
        results = [dict(want, rng_probe=[[np.ones(2, bool)]] * 4) if want.get("ok") else want
                   for want in prep.expected]
        assert not judge_check(prep, results).passed
