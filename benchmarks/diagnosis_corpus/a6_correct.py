"""Correct batching functions of Assignment 6, written otherwise than the reference:
a student's shuffle or chunking need not be the reference's. The checks must give
each full marks (tests/test_a6_checks.py), and so must the diagnosis benchmark."""
import numpy as np

def batch_size_for_table(mode, d, b=None):
    if mode == "minibatch" and (b is None or b <= 1 or b >= d):
        raise ValueError("need 1 < b < d")
    sizes = {"batch": d, "sgd": 1, "minibatch": b}
    if mode not in sizes:
        raise ValueError(mode)
    return sizes[mode]


def minibatch_indices_array_split(d, batch_size, rng=None, shuffle=True, drop_last=False):
    rng = np.random.default_rng() if rng is None else rng
    order = rng.permutation(d) if shuffle else np.arange(d)
    pieces = np.array_split(order, range(batch_size, d, batch_size))
    return [p for p in pieces if len(p) == batch_size or not drop_last]


def minibatch_indices_shuffle_loop(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = np.arange(d)
    if shuffle:
        (rng or np.random.default_rng()).shuffle(order)
    batches, start = [], 0
    while start < d:
        batch = order[start:start + batch_size]
        if len(batch) == batch_size or not drop_last:
            batches.append(batch.copy())
        start += batch_size
    return batches


def minibatch_indices_choice_reshape(d, batch_size, rng=None, shuffle=True, drop_last=False):
    rng = rng if rng is not None else np.random.default_rng()
    order = rng.choice(d, size=d, replace=False) if shuffle else np.arange(d)
    full = d // batch_size * batch_size
    batches = list(order[:full].reshape(-1, batch_size))
    if full < d and not drop_last:
        batches.append(order[full:])
    return batches


def accumulated_gradient_average(grad_fn, theta, X, y, micro_batch_size):
    grads, sizes = [], []
    for i in range(0, len(X), micro_batch_size):
        grads.append(grad_fn(theta, X[i:i + micro_batch_size], y[i:i + micro_batch_size]))
        sizes.append(len(X[i:i + micro_batch_size]))
    return np.average(np.stack(grads), axis=0, weights=sizes)


def accumulated_gradient_running_mean(grad_fn, theta, X, y, micro_batch_size):
    mean, seen = np.zeros_like(np.asarray(theta, dtype=float)), 0
    for i in range(0, len(X), micro_batch_size):
        Xc, yc = X[i:i + micro_batch_size], y[i:i + micro_batch_size]
        seen += len(Xc)
        mean = mean + len(Xc) / seen * (grad_fn(theta, Xc, yc) - mean)
    return mean


def accumulated_gradient_index_chunks(grad_fn, theta, X, y, micro_batch_size):
    n = len(X)
    chunks = np.array_split(np.arange(n), range(micro_batch_size, n, micro_batch_size))
    weights = np.array([len(c) for c in chunks], dtype=float)
    grads = np.array([grad_fn(theta, X[c], y[c]) for c in chunks])
    return weights @ grads / n


def train_epoch_index_chunks(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    theta = np.asarray(theta, dtype=float)
    for idx in batches:
        m = micro_batch_size or len(idx)
        chunks = np.array_split(idx, range(m, len(idx), m))
        g = sum(len(c) * grad_fn(theta, X[c], y[c]) for c in chunks) / len(idx)
        theta = theta - lr * g
    return theta


def train_epoch_via_accumulation(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        Xb, yb = X[idx], y[idx]
        if micro_batch_size is None:
            g = grad_fn(theta, Xb, yb)
        else:
            g = accumulated_gradient_average(grad_fn, theta, Xb, yb, micro_batch_size)
        theta = theta - lr * g
    return theta


def train_epoch_in_place(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    theta = np.array(theta, dtype=float)  # a copy: the caller's theta is not touched
    for idx in batches:
        step = len(idx) if micro_batch_size is None else micro_batch_size
        total = np.zeros_like(theta)
        for start in range(0, len(idx), step):
            rows = idx[start:start + step]
            total += len(rows) * grad_fn(theta, X[rows], y[rows])
        theta -= lr * total / len(idx)
    return theta


ALTERNATIVES = {
    "batch_size_for": [batch_size_for_table],
    "minibatch_indices": [minibatch_indices_array_split, minibatch_indices_shuffle_loop,
                          minibatch_indices_choice_reshape],
    "accumulated_gradient": [accumulated_gradient_average, accumulated_gradient_running_mean,
                             accumulated_gradient_index_chunks],
    "train_epoch": [train_epoch_index_chunks, train_epoch_via_accumulation, train_epoch_in_place],
}
