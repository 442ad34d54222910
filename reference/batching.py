"""Batching of Assignment 6: every mode is mini-batch gradient descent.

Batch gradient descent uses all d rows per update, stochastic gradient
descent one row, mini-batch 1 < b < d rows. They differ only in the batch
size, so one mini-batch loop covers all three.

Gradient functions follow the project's convention: ``grad_fn(theta, X, y)``
returns the mean gradient over the given rows.
"""
from __future__ import annotations

import numbers
from typing import Callable

import numpy as np

from reference._checks import as_array

__all__ = ["MODES", "batch_size_for", "minibatch_indices", "accumulated_gradient",
           "train_epoch"]

MODES = ("batch", "minibatch", "sgd")


def _count(name: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def batch_size_for(mode: str, d: int, b: int | None = None) -> int:
    """Rows per update for a data set of d rows.

        "batch"     -> d          (full-batch gradient descent, BGD)
        "sgd"       -> 1          (stochastic gradient descent)
        "minibatch" -> b, where 1 < b < d   (MBGD)
    """
    d = _count("d", d)
    if mode == "batch":
        return d
    if mode == "sgd":
        return 1
    if mode == "minibatch":
        if b is None:
            raise ValueError("mode 'minibatch' needs a batch size b with 1 < b < d")
        b = _count("b", b)
        if not 1 < b < d:
            raise ValueError(f"mini-batch size b must satisfy 1 < b < d = {d}, got {b}")
        return b
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def minibatch_indices(d: int, batch_size: int, rng: np.random.Generator | None = None,
                      shuffle: bool = True, drop_last: bool = False) -> list[np.ndarray]:
    """Split range(d) into index arrays of ``batch_size`` rows: one epoch.

    With ``shuffle`` the rows are permuted by ``rng`` (a fresh unseeded
    Generator if None), so consecutive epochs see different batches; without
    it the batches are in order. The last batch is shorter when batch_size
    does not divide d; ``drop_last`` leaves it out.
    """
    d = _count("d", d)
    batch_size = _count("batch_size", batch_size)
    if batch_size > d:
        raise ValueError(f"batch_size must be <= d = {d}, got {batch_size}")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator or None, got {type(rng).__name__}")
    if shuffle:
        order = (rng if rng is not None else np.random.default_rng()).permutation(d)
    else:
        order = np.arange(d)
    stop = d - d % batch_size if drop_last else d
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def accumulated_gradient(grad_fn: Callable, theta, X, y, micro_batch_size: int) -> np.ndarray:
    """The mean gradient over all rows of (X, y), micro_batch_size rows at a time.

    Only one micro-batch is passed to grad_fn at a time (slices are views, so
    no copy of more rows is made): memory follows the micro-batch, the
    result equals ``grad_fn(theta, X, y)``. Each chunk's mean is weighted by
    its size, because a short last chunk would otherwise count as much as a
    full one (the mean of chunk means is wrong then).
    """
    micro_batch_size = _count("micro_batch_size", micro_batch_size)
    n = len(X)
    if n == 0 or len(y) != n:
        raise ValueError(f"X and y must hold the same number (>= 1) of rows, got {n} and {len(y)}")
    chunks = ((X[i:i + micro_batch_size], y[i:i + micro_batch_size])
              for i in range(0, n, micro_batch_size))
    return _weighted_mean_gradient(grad_fn, theta, chunks, n)


def _weighted_mean_gradient(grad_fn, theta, chunks, n):
    """Sum of len(chunk) * mean gradient over the chunks, divided by n rows.

    ``chunks`` is consumed lazily, so only one chunk is in memory at a time.
    """
    total = None
    for Xc, yc in chunks:
        part = len(Xc) * as_array("grad_fn(...)", grad_fn(theta, Xc, yc))
        total = part if total is None else total + part
        # Let go of this chunk before the generator gathers the next one;
        # otherwise two chunks are alive at once and memory doubles.
        del Xc, yc
    return total / n


def train_epoch(grad_fn: Callable, theta, X, y, batches, lr, micro_batch_size=None):
    """One epoch of plain SGD updates ``theta <- theta - lr * g``, one per batch.

    ``batches`` is the epoch's list of row-index arrays (from
    ``minibatch_indices``), so the batch order is fixed by the caller. With
    ``micro_batch_size`` each batch's gradient is accumulated that many rows
    at a time; the parameters are the same as without.
    """
    theta = as_array("theta", theta)
    for idx in batches:
        if micro_batch_size is None:
            g = grad_fn(theta, X[idx], y[idx])
        else:
            # Gather the rows one micro-batch at a time, never the whole batch.
            m = micro_batch_size
            chunks = ((X[idx[i:i + m]], y[idx[i:i + m]]) for i in range(0, len(idx), m))
            g = _weighted_mean_gradient(grad_fn, theta, chunks, len(idx))
        theta = theta - lr * g
    return theta
