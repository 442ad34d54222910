"""Batch size per mode, index partitions and gradient accumulation."""
import numpy as np
import pytest

from reference import batching as B
from reference import problems as P


@pytest.mark.parametrize("mode,b,want", [("batch", None, 100), ("sgd", None, 1),
                                         ("minibatch", 2, 2), ("minibatch", 99, 99)])
def test_batch_size_per_mode(mode, b, want):
    assert B.batch_size_for(mode, 100, b) == want


@pytest.mark.parametrize("args,error,match", [
    (("minibatch", 100, 1), ValueError, "1 < b < d"),
    (("minibatch", 100, 100), ValueError, "1 < b < d"),
    (("minibatch", 100, None), ValueError, "needs a batch size"),
    (("full", 100), ValueError, "mode must be one of"),
    (("batch", 0), ValueError, "d must be >= 1"),
    (("batch", 2.5), TypeError, "d must be an integer"),
    (("minibatch", 100, 5.0), TypeError, "b must be an integer"),
])
def test_batch_size_errors(args, error, match):
    with pytest.raises(error, match=match):
        B.batch_size_for(*args)


@pytest.mark.parametrize("d,b", [(10, 3), (10, 5), (10, 10), (7, 1)])
def test_indices_partition_range(d, b):
    batches = B.minibatch_indices(d, b, np.random.default_rng(0))
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(d))
    assert [len(x) for x in batches[:-1]] == [b] * (len(batches) - 1)
    assert 1 <= len(batches[-1]) <= b


def test_drop_last_leaves_out_the_short_tail():
    batches = B.minibatch_indices(10, 3, np.random.default_rng(0), drop_last=True)
    assert [len(x) for x in batches] == [3, 3, 3]
    assert len(np.unique(np.concatenate(batches))) == 9


def test_in_order_without_shuffle():
    batches = B.minibatch_indices(5, 2, shuffle=False)
    assert [x.tolist() for x in batches] == [[0, 1], [2, 3], [4]]


def test_shuffling_is_reproducible_and_differs_between_epochs():
    rng1, rng2 = np.random.default_rng(42), np.random.default_rng(42)
    e1, e2 = B.minibatch_indices(50, 7, rng1), B.minibatch_indices(50, 7, rng1)
    np.testing.assert_array_equal(np.concatenate(e1), np.concatenate(B.minibatch_indices(50, 7, rng2)))
    assert not np.array_equal(np.concatenate(e1), np.concatenate(e2))
    assert not np.array_equal(np.concatenate(e1), np.arange(50))


@pytest.mark.parametrize("args,error", [((0, 1), ValueError), ((5, 0), ValueError),
                                        ((5, 6), ValueError), ((5, 2.0), TypeError)])
def test_indices_errors(args, error):
    with pytest.raises(error):
        B.minibatch_indices(*args)


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match="Generator"):
        B.minibatch_indices(5, 2, rng=42)


@pytest.mark.parametrize("m", [1, 3, 7, 10, 49, 50])
@pytest.mark.parametrize("problem", [P.linear_regression(d=50, seed=1),
                                     P.logistic_regression(d=50, seed=2)], ids=lambda p: p.name)
def test_accumulated_gradient_equals_full_mean(problem, m):
    theta = np.linspace(-1, 1, problem.theta0.size)
    want = problem.grad(theta, problem.X, problem.y)
    got = B.accumulated_gradient(problem.grad, theta, problem.X, problem.y, m)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_accumulation_never_passes_more_rows_than_the_micro_batch():
    p = P.linear_regression(d=23, seed=0)
    sizes = []

    def grad_fn(theta, X, y):
        sizes.append(len(X))
        return p.grad(theta, X, y)

    B.accumulated_gradient(grad_fn, p.theta0, p.X, p.y, 5)
    assert sizes == [5, 5, 5, 5, 3]


def test_mean_of_chunk_means_would_be_wrong():
    """Guards the weighting: with a short last chunk the naive mean differs."""
    p = P.linear_regression(d=23, seed=0)
    theta = np.ones(p.theta0.size)
    naive = np.mean([p.grad(theta, p.X[i:i + 5], p.y[i:i + 5]) for i in range(0, 23, 5)], axis=0)
    got = B.accumulated_gradient(p.grad, theta, p.X, p.y, 5)
    assert not np.allclose(naive, got, rtol=1e-6)


@pytest.mark.parametrize("m", [1, 4, 8])
def test_train_epoch_with_accumulation_equals_plain(m):
    p = P.logistic_regression(d=40, seed=5)
    batches = B.minibatch_indices(40, 8, np.random.default_rng(3))
    plain = B.train_epoch(p.grad, p.theta0, p.X, p.y, batches, lr=0.5)
    acc = B.train_epoch(p.grad, p.theta0, p.X, p.y, batches, lr=0.5, micro_batch_size=m)
    np.testing.assert_allclose(acc, plain, rtol=1e-12)
    assert not np.allclose(plain, p.theta0)


def test_train_epoch_is_sgd_over_the_given_batches():
    p = P.linear_regression(d=6, seed=0)
    batches = [np.array([4, 0]), np.array([1, 5, 2]), np.array([3])]
    theta = p.theta0
    for idx in batches:
        theta = theta - 0.1 * p.grad(theta, p.X[idx], p.y[idx])
    np.testing.assert_allclose(B.train_epoch(p.grad, p.theta0, p.X, p.y, batches, 0.1), theta)


def test_accumulation_holds_one_micro_batch_at_a_time():
    # The memory claim of gradient accumulation, measured: while an epoch
    # gathers its rows micro-batch by micro-batch, the peak of new memory is
    # about one micro-batch of rows, not two and not the whole batch.
    import tracemalloc

    X = np.random.default_rng(0).standard_normal((4096, 64))
    y = (X[:, 0] > 0).astype(float)
    batch, m = [np.random.default_rng(1).permutation(4096)], 256
    micro_batch_bytes = m * X.shape[1] * X.itemsize
    tracemalloc.start()
    try:
        B.train_epoch(P.logistic_regression_grad, np.zeros(64), X, y, batch, 0.1,
                      micro_batch_size=m)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert micro_batch_bytes <= peak < 1.5 * micro_batch_bytes
