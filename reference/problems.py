"""Objectives with their gradients, and seeded synthetic data sets.

The convention for every gradient function in the project:

    grad(theta, X, y) -> the MEAN gradient of the loss over the given rows.

Taking the mean (not the sum) makes a mini-batch gradient an estimate of the
full gradient whatever the batch size, so one learning rate serves every
batching mode. Objectives without data (the bowl, Rosenbrock) accept and
ignore ``X`` and ``y`` so that they fit the same convention.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Problem", "linear_regression_loss", "linear_regression_grad",
           "logistic_regression_loss", "logistic_regression_grad", "sigmoid",
           "bowl_loss", "bowl_grad", "BOWL_CURVATURE", "rosenbrock_loss",
           "rosenbrock_grad", "make_regression", "make_classification",
           "linear_regression", "logistic_regression", "bowl", "rosenbrock"]


@dataclass(frozen=True)
class Problem:
    """An objective with data: what a training loop needs to run."""
    name: str
    loss: Callable  # loss(theta, X, y) -> float
    grad: Callable  # grad(theta, X, y) -> array shaped like theta
    theta0: np.ndarray
    X: np.ndarray | None = None
    y: np.ndarray | None = None


# -- linear regression: mean squared error ---------------------------------

def linear_regression_loss(theta, X, y):
    """L(theta) = mean_i (x_i . theta - y_i)^2."""
    residual = X @ theta - y
    return float(np.mean(residual ** 2))


def linear_regression_grad(theta, X, y):
    """dL/dtheta = 2 X^T (X theta - y) / n."""
    return 2.0 * X.T @ (X @ theta - y) / len(y)


# -- logistic regression: mean binary cross-entropy -------------------------

def sigmoid(z):
    """1 / (1 + exp(-z)) without overflow: exp is only taken of -|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logistic_regression_loss(theta, X, y):
    """L(theta) = mean_i [log(1 + exp(z_i)) - y_i z_i] with z = X theta, y in {0, 1}.

    This is the cross-entropy -[y log p + (1-y) log(1-p)] with p = sigmoid(z),
    written so that large |z| neither overflows nor takes log(0).
    """
    z = X @ theta
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def logistic_regression_grad(theta, X, y):
    """dL/dtheta = X^T (sigmoid(X theta) - y) / n."""
    return X.T @ (sigmoid(X @ theta) - y) / len(y)


# -- the ill-conditioned bowl -----------------------------------------------

#: Curvature per coordinate: the first direction is flat and "uneventful",
#: the second steep and "high frequency" (a condition number of 50). A single
#: learning rate small enough for the steep direction crawls along the flat one.
BOWL_CURVATURE = np.array([0.2, 10.0])


def bowl_loss(theta, X=None, y=None):
    """f(theta) = 1/2 sum_i h_i theta_i^2 with h = BOWL_CURVATURE (minimum at 0)."""
    return float(0.5 * np.sum(BOWL_CURVATURE * np.asarray(theta) ** 2))


def bowl_grad(theta, X=None, y=None):
    """grad f = h * theta."""
    return BOWL_CURVATURE * np.asarray(theta)


# -- Rosenbrock's banana valley ----------------------------------------------

def rosenbrock_loss(theta, X=None, y=None, a=1.0, b=100.0):
    """f(x, y) = (a - x)^2 + b (y - x^2)^2, minimum 0 at (a, a^2)."""
    x1, x2 = theta
    return float((a - x1) ** 2 + b * (x2 - x1 ** 2) ** 2)


def rosenbrock_grad(theta, X=None, y=None, a=1.0, b=100.0):
    x1, x2 = theta
    return np.array([-2.0 * (a - x1) - 4.0 * b * x1 * (x2 - x1 ** 2),
                     2.0 * b * (x2 - x1 ** 2)])


# -- seeded data sets ---------------------------------------------------------

def _design(rng, d, n_features):
    """Standard-normal features plus a constant column for the intercept."""
    return np.hstack([rng.standard_normal((d, n_features)), np.ones((d, 1))])


def make_regression(d=500, n_features=4, noise=0.5, seed=0):
    """X (d, n_features + 1), y (d,) from a random linear model with Gaussian noise."""
    rng = np.random.default_rng(seed)
    X = _design(rng, d, n_features)
    theta_true = rng.standard_normal(n_features + 1)
    return X, X @ theta_true + noise * rng.standard_normal(d)


def make_classification(d=500, n_features=4, seed=0):
    """X (d, n_features + 1), labels y in {0, 1} drawn from a random logistic model."""
    rng = np.random.default_rng(seed)
    X = _design(rng, d, n_features)
    theta_true = 2.0 * rng.standard_normal(n_features + 1)
    return X, (rng.random(d) < sigmoid(X @ theta_true)).astype(float)


# -- ready-made problems --------------------------------------------------------

def linear_regression(d=500, n_features=4, seed=0) -> Problem:
    X, y = make_regression(d, n_features, seed=seed)
    return Problem("linear regression", linear_regression_loss, linear_regression_grad,
                   np.zeros(X.shape[1]), X, y)


def logistic_regression(d=500, n_features=4, seed=0) -> Problem:
    X, y = make_classification(d, n_features, seed=seed)
    return Problem("logistic regression", logistic_regression_loss, logistic_regression_grad,
                   np.zeros(X.shape[1]), X, y)


def bowl() -> Problem:
    return Problem("ill-conditioned bowl", bowl_loss, bowl_grad, np.array([-4.0, 1.0]))


def rosenbrock() -> Problem:
    return Problem("Rosenbrock", rosenbrock_loss, rosenbrock_grad, np.array([-1.5, 2.0]))
