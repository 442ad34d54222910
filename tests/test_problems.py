"""Every objective's gradient against central finite differences."""
import numpy as np
import pytest

from reference import problems as P


def numeric_grad(loss, theta, X, y, h=1e-6):
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e.flat[i] = h
        grad.flat[i] = (loss(theta + e, X, y) - loss(theta - e, X, y)) / (2 * h)
    return grad


PROBLEMS = [P.linear_regression(d=60, seed=1), P.logistic_regression(d=60, seed=2),
            P.bowl(), P.rosenbrock()]


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_finite_differences(problem, seed):
    theta = problem.theta0 + np.random.default_rng(seed).standard_normal(problem.theta0.shape)
    want = numeric_grad(problem.loss, theta, problem.X, problem.y)
    got = problem.grad(theta, problem.X, problem.y)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_mean_gradient_convention():
    """The gradient over all rows is the mean of the per-row gradients."""
    p = P.logistic_regression(d=30, seed=3)
    theta = np.linspace(-1, 1, p.theta0.size)
    rows = [p.grad(theta, p.X[i:i + 1], p.y[i:i + 1]) for i in range(30)]
    np.testing.assert_allclose(p.grad(theta, p.X, p.y), np.mean(rows, axis=0), rtol=1e-12)


def test_logistic_regression_is_stable_for_large_logits():
    X, y = np.array([[1000.0], [-1000.0]]), np.array([0.0, 1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = P.logistic_regression_loss(np.array([1.0]), X, y)
        grad = P.logistic_regression_grad(np.array([1.0]), X, y)
    assert loss == pytest.approx(1000.0)
    np.testing.assert_allclose(grad, [1000.0])
    assert P.sigmoid(np.array([-800.0]))[0] == 0.0 and P.sigmoid(np.array([800.0]))[0] == 1.0


def test_minima():
    assert P.bowl_loss(np.zeros(2)) == 0.0
    assert P.rosenbrock_loss(np.array([1.0, 1.0])) == 0.0
    np.testing.assert_array_equal(P.rosenbrock_grad(np.array([1.0, 1.0])), [0.0, 0.0])


def test_bowl_is_ill_conditioned():
    assert P.BOWL_CURVATURE.max() / P.BOWL_CURVATURE.min() >= 10


def test_data_sets_are_seeded():
    a, b = P.make_classification(50, seed=4), P.make_classification(50, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], P.make_classification(50, seed=5)[0])
    assert set(np.unique(a[1])) <= {0.0, 1.0} and a[0].shape == (50, 5)
