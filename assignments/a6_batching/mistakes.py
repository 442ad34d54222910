"""Known mistakes in the batching functions of Assignment 6.

Each entry is a wrong implementation with the function's signature, a name a
student recognises and a hint towards the fix. When a student's outputs
match an entry on every case of a failed check, the feedback names it.
Add an entry to teach the grader a new misconception; nothing else changes.

Not catalogued: ``minibatch_indices`` that never shuffles or that ignores
drop_last. Its checks use the ``partition`` comparator, which judges the
student's batches by their properties alone and ignores the expected value;
diagnosis applies that same comparator to (student, mistake) outputs, so on
the case that failed it fails again, whatever the mistake returned. Such
entries could never be named; the comparator's own message already says what
is wrong ("the rows came in order", "batch sizes [...], expected [...]").
"""
import numpy as np

from grader.checks import Mistake


def _chunks(X, y, m):
    return [(X[i:i + m], y[i:i + m]) for i in range(0, len(X), m)]


def _validated_b(d, b):
    if b is None or not 1 < b < d:
        raise ValueError(f"mode 'minibatch' needs 1 < b < d = {d}, got {b}")
    return b


def batch_size_for_swapped(mode, d, b=None):
    if mode == "batch":
        return 1
    if mode == "sgd":
        return d
    if mode == "minibatch":
        return _validated_b(d, b)
    raise ValueError(f"unknown mode {mode!r}")


def accumulated_gradient_summed(grad_fn, theta, X, y, micro_batch_size):
    total = 0.0
    for Xc, yc in _chunks(X, y, micro_batch_size):
        total = total + len(Xc) * grad_fn(theta, Xc, yc)
    return total


def accumulated_gradient_mean_of_means(grad_fn, theta, X, y, micro_batch_size):
    grads = [grad_fn(theta, Xc, yc) for Xc, yc in _chunks(X, y, micro_batch_size)]
    return sum(grads) / len(grads)


def _epoch(batch_gradient):
    def train_epoch(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
        theta = np.asarray(theta, dtype=float)
        for idx in batches:
            theta = theta - lr * batch_gradient(grad_fn, theta, X[idx], y[idx], micro_batch_size)
        return theta
    return train_epoch


def _summed(grad_fn, theta, Xb, yb, m):
    if m is None:
        return len(Xb) * grad_fn(theta, Xb, yb)
    return accumulated_gradient_summed(grad_fn, theta, Xb, yb, m)


def _mean_of_means(grad_fn, theta, Xb, yb, m):
    if m is None:
        return grad_fn(theta, Xb, yb)
    return accumulated_gradient_mean_of_means(grad_fn, theta, Xb, yb, m)


MISTAKES = (
    Mistake("batch_size_for", "batch and SGD modes swapped",
            "batch gradient descent uses all d rows per update, SGD a single row",
            batch_size_for_swapped),
    Mistake("accumulated_gradient", "gradient summed instead of averaged",
            "grad_fn returns a mean: weight each micro-batch's gradient by its size, "
            "then divide the total by the number of rows",
            accumulated_gradient_summed),
    Mistake("accumulated_gradient", "mean of the micro-batch means",
            "a short last micro-batch must count less: weight each micro-batch's mean by "
            "its number of rows and divide by the total number of rows",
            accumulated_gradient_mean_of_means),
    Mistake("train_epoch", "the update uses the summed gradient of the batch",
            "step with the batch's MEAN gradient: theta - lr * g, where g averages over "
            "the batch's rows (with micro-batches: sum of size * mean, divided by the batch size)",
            _epoch(_summed)),
    Mistake("train_epoch", "micro-batches averaged as the mean of their means",
            "a short last micro-batch must count less: weight each micro-batch's mean by "
            "its number of rows and divide by the batch size",
            _epoch(_mean_of_means)),
)
