"""The training loop: every rule in every mode, accumulation, history."""
import numpy as np
import pytest

from reference import optimizers as opt
from reference import problems as P
from reference.training import descend, init_state, step, train

HYPER = {"sgd_update": dict(lr=0.2), "momentum_update": dict(lr=0.1, alpha=0.9),
         "nesterov_update": dict(lr=0.1, alpha=0.9), "adagrad_update": dict(lr=0.5),
         "rmsprop_update": dict(lr=0.02), "adam_update": dict(lr=0.05),
         "adamw_update": dict(lr=0.05, weight_decay=0.01)}


@pytest.mark.parametrize("rule", list(opt.RULES))
@pytest.mark.parametrize("mode,b", [("batch", None), ("minibatch", 16), ("sgd", None)])
def test_every_rule_in_every_mode_reduces_the_loss(rule, mode, b):
    p = P.logistic_regression(d=64, seed=1)
    _, h = train(p, rule, mode, b, epochs=3, **HYPER[rule])
    updates = {"batch": 1, "minibatch": 4, "sgd": 64}[mode] * 3
    assert len(h.loss) == updates + 1 and len(h.epoch_loss) == 4
    assert h.samples[-1] == 64 * 3
    assert h.loss[-1] < h.loss[0]


@pytest.mark.parametrize("rule", list(opt.RULES))
@pytest.mark.parametrize("m", [1, 5, 16])
def test_accumulation_gives_the_same_parameters(rule, m):
    p = P.logistic_regression(d=64, seed=2)
    plain, h1 = train(p, rule, "minibatch", 16, epochs=2, seed=7, **HYPER[rule])
    acc, h2 = train(p, rule, "minibatch", 16, epochs=2, seed=7, micro_batch_size=m, **HYPER[rule])
    np.testing.assert_allclose(acc, plain, rtol=1e-12, atol=1e-15)
    assert h2.samples[-1] == h1.samples[-1]
    # More, smaller gradient calls: the computation cost of saving memory.
    assert h2.grad_evals[-1] >= h1.grad_evals[-1]


def test_seeds_control_shuffling():
    p = P.linear_regression(d=40, seed=0)
    a, _ = train(p, "sgd_update", "minibatch", 8, epochs=1, seed=1, lr=0.05)
    b, _ = train(p, "sgd_update", "minibatch", 8, epochs=1, seed=1, lr=0.05)
    c, _ = train(p, "sgd_update", "minibatch", 8, epochs=1, seed=2, lr=0.05)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_step_threads_adam_time_from_one():
    state = init_state("adam_update", np.zeros(2))
    theta, state = step("adam_update", np.ones(2), lambda p: p, state, lr=0.1)
    assert state["t"] == 1
    np.testing.assert_allclose(theta, 1 - 0.1 / (1 + 1e-8))


def test_descend_on_the_bowl_converges_with_adam():
    path = descend(P.bowl(), "adam_update", 300, lr=0.1)
    assert path.shape == (301, 2)
    assert P.bowl_loss(path[-1]) < 1e-3 * P.bowl_loss(path[0])


def test_unknown_rule():
    with pytest.raises(ValueError, match="rule must be one of"):
        descend(P.bowl(), "lion_update", 3, lr=0.1)
