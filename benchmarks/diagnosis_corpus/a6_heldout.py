"""Held-out wrong batching functions of Assignment 6 (written before the mechanism)."""
import numpy as np


def _mode(mode, d, b, check):
    if mode == "batch":
        return d
    if mode == "sgd":
        return 1
    if mode == "minibatch":
        check(d, b)
        return b
    raise ValueError(mode)


def _fail(ok):
    def check(d, b):
        if b is None or not ok(d, b):
            raise ValueError("bad b")
    return check


def batch_size_accepts_one(mode, d, b=None):
    return _mode(mode, d, b, _fail(lambda d, b: 1 <= b < d))


def batch_size_accepts_d(mode, d, b=None):
    return _mode(mode, d, b, _fail(lambda d, b: 1 < b <= d))


def batch_size_unchecked(mode, d, b=None):
    return _mode(mode, d, b, lambda d, b: None)


def batch_size_batch_off_by_one(mode, d, b=None):
    return d - 1 if mode == "batch" else _mode(mode, d, b, _fail(lambda d, b: 1 < b < d))


def batch_size_type_error(mode, d, b=None):
    def check(d, b):
        if b < 2 or b >= d:  # None < 2 raises TypeError
            raise ValueError("bad b")
    return _mode(mode, d, b, check)


def _cut(order, batch_size, drop_last):
    stop = len(order) - len(order) % batch_size if drop_last else len(order)
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def indices_global_permutation(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = np.random.permutation(d) if shuffle else np.arange(d)
    return _cut(order, batch_size, drop_last)


def indices_global_shuffle(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = np.arange(d)
    if shuffle:
        np.random.shuffle(order)
    return _cut(order, batch_size, drop_last)


def indices_seeded_by_d(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = np.random.default_rng(d).permutation(d) if shuffle else np.arange(d)
    return _cut(order, batch_size, drop_last)


def indices_drop_last_ignored(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = (rng or np.random.default_rng()).permutation(d) if shuffle else np.arange(d)
    return _cut(order, batch_size, False)


def indices_always_drop(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = (rng or np.random.default_rng()).permutation(d) if shuffle else np.arange(d)
    return _cut(order, batch_size, True)


def indices_with_replacement(d, batch_size, rng=None, shuffle=True, drop_last=False):
    rng = rng or np.random.default_rng()
    order = rng.integers(0, d, size=d) if shuffle else np.arange(d)
    return _cut(order, batch_size, drop_last)


def indices_padded(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = (rng or np.random.default_rng()).permutation(d) if shuffle else np.arange(d)
    batches = _cut(order, batch_size, drop_last)
    if len(batches[-1]) < batch_size:
        batches[-1] = np.concatenate([batches[-1], order[:batch_size - len(batches[-1])]])
    return batches


def indices_always_shuffled(d, batch_size, rng=None, shuffle=True, drop_last=False):
    return _cut((rng or np.random.default_rng()).permutation(d), batch_size, drop_last)


def indices_off_by_one(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = (rng or np.random.default_rng()).permutation(d) if shuffle else np.arange(d)
    return [order[i:i + batch_size] for i in range(0, d - batch_size, batch_size)]


def indices_permutation_per_batch(d, batch_size, rng=None, shuffle=True, drop_last=False):
    rng = rng or np.random.default_rng()
    batches = []
    for i in range(0, d - d % batch_size if drop_last else d, batch_size):
        order = rng.permutation(d) if shuffle else np.arange(d)
        batches.append(order[i:i + batch_size])
    return batches


def accumulated_wrong_denominator(grad_fn, theta, X, y, micro_batch_size):
    total, count = 0.0, 0
    for i in range(0, len(X), micro_batch_size):
        total = total + len(X[i:i + micro_batch_size]) * grad_fn(
            theta, X[i:i + micro_batch_size], y[i:i + micro_batch_size])
        count += 1
    return total / (count * micro_batch_size)


def accumulated_drops_tail(grad_fn, theta, X, y, micro_batch_size):
    n = len(X)
    total = 0.0
    for i in range(0, n - n % micro_batch_size, micro_batch_size):
        total = total + micro_batch_size * grad_fn(theta, X[i:i + micro_batch_size],
                                                   y[i:i + micro_batch_size])
    return total / n


def accumulated_all_at_once(grad_fn, theta, X, y, micro_batch_size):
    return grad_fn(theta, X, y)


def accumulated_summed(grad_fn, theta, X, y, micro_batch_size):
    total = 0.0
    for i in range(0, len(X), micro_batch_size):
        Xc, yc = X[i:i + micro_batch_size], y[i:i + micro_batch_size]
        total = total + len(Xc) * grad_fn(theta, Xc, yc)
    return total


def accumulated_skips_rows(grad_fn, theta, X, y, micro_batch_size):
    total, seen = 0.0, 0
    for i in range(0, len(X), micro_batch_size):
        Xc, yc = X[i:i + micro_batch_size - 1], y[i:i + micro_batch_size - 1]
        if len(Xc):
            total, seen = total + len(Xc) * grad_fn(theta, Xc, yc), seen + len(Xc)
    return total / max(seen, 1)


def accumulated_running_halves(grad_fn, theta, X, y, micro_batch_size):
    mean = None
    for i in range(0, len(X), micro_batch_size):
        g = grad_fn(theta, X[i:i + micro_batch_size], y[i:i + micro_batch_size])
        mean = g if mean is None else (mean + g) / 2
    return mean


def _batch_grad(grad_fn, theta, Xb, yb, m):
    if m is None:
        return grad_fn(theta, Xb, yb)
    total = sum(len(Xb[i:i + m]) * grad_fn(theta, Xb[i:i + m], yb[i:i + m])
                for i in range(0, len(Xb), m))
    return total / len(Xb)


def epoch_in_place(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta -= lr * _batch_grad(grad_fn, theta, X[idx], y[idx], micro_batch_size)
    return theta


def epoch_ignores_micro(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta = theta - lr * grad_fn(theta, X[idx], y[idx])
    return theta


def epoch_stale_gradient(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    theta0 = theta
    for idx in batches:
        theta = theta - lr * _batch_grad(grad_fn, theta0, X[idx], y[idx], micro_batch_size)
    return theta


def epoch_one_update(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    grads = [_batch_grad(grad_fn, theta, X[idx], y[idx], micro_batch_size) for idx in batches]
    return theta - lr * np.mean(grads, axis=0)


def epoch_no_lr(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta = theta - _batch_grad(grad_fn, theta, X[idx], y[idx], micro_batch_size)
    return theta


def epoch_ascent(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta = theta + lr * _batch_grad(grad_fn, theta, X[idx], y[idx], micro_batch_size)
    return theta


def epoch_skips_last_batch(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches[:-1]:
        theta = theta - lr * _batch_grad(grad_fn, theta, X[idx], y[idx], micro_batch_size)
    return theta


def epoch_full_data(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for _ in batches:
        theta = theta - lr * grad_fn(theta, X, y)
    return theta


def epoch_mean_of_means(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        m = micro_batch_size or len(idx)
        grads = [grad_fn(theta, X[idx[i:i + m]], y[idx[i:i + m]]) for i in range(0, len(idx), m)]
        theta = theta - lr * np.mean(grads, axis=0)
    return theta


def epoch_micro_summed(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        if micro_batch_size is None:
            g = grad_fn(theta, X[idx], y[idx])
        else:
            m = micro_batch_size
            g = sum(len(idx[i:i + m]) * grad_fn(theta, X[idx[i:i + m]], y[idx[i:i + m]])
                    for i in range(0, len(idx), m))
        theta = theta - lr * g
    return theta


def epoch_all_targets(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta = theta - lr * grad_fn(theta, X[idx], y)
    return theta


WRONG = [
    ("batch_size_for", {"accepts b = 1"}, batch_size_accepts_one),
    ("batch_size_for", {"accepts b = d"}, batch_size_accepts_d),
    ("batch_size_for", {"b not validated"}, batch_size_unchecked),
    ("batch_size_for", {"off by one"}, batch_size_batch_off_by_one),
    ("batch_size_for", {"kind: raised TypeError"}, batch_size_type_error),
    ("minibatch_indices", {"kind: ignores rng"}, indices_global_permutation),
    ("minibatch_indices", {"kind: ignores rng"}, indices_global_shuffle),
    ("minibatch_indices", {"kind: ignores rng"}, indices_seeded_by_d),
    ("minibatch_indices", {"ignores drop_last"}, indices_drop_last_ignored),
    ("minibatch_indices", {"always drops the last batch"}, indices_always_drop),
    ("minibatch_indices", {"rows repeated"}, indices_with_replacement),
    ("minibatch_indices", {"last batch padded"}, indices_padded),
    ("minibatch_indices", {"ignores shuffle"}, indices_always_shuffled),
    ("minibatch_indices", {"off by one"}, indices_off_by_one),
    ("minibatch_indices", {"rows repeated"}, indices_permutation_per_batch),
    ("accumulated_gradient", {"wrong denominator"}, accumulated_wrong_denominator),
    ("accumulated_gradient", {"last micro-batch dropped"}, accumulated_drops_tail),
    ("accumulated_gradient", {"kind: ignores micro_batch_size"}, accumulated_all_at_once),
    ("accumulated_gradient", {"sum instead of mean"}, accumulated_summed),
    ("accumulated_gradient", {"rows skipped"}, accumulated_skips_rows),
    ("accumulated_gradient", {"running average wrong"}, accumulated_running_halves),
    ("train_epoch", {"kind: modified input"}, epoch_in_place),
    ("train_epoch", {"kind: ignores micro_batch_size"}, epoch_ignores_micro),
    ("train_epoch", {"gradient at the initial theta"}, epoch_stale_gradient),
    ("train_epoch", {"one update per epoch"}, epoch_one_update),
    ("train_epoch", {"lr missing"}, epoch_no_lr),
    ("train_epoch", {"sign flipped"}, epoch_ascent),
    ("train_epoch", {"last batch dropped"}, epoch_skips_last_batch),
    ("train_epoch", {"ignores batches"}, epoch_full_data),
    ("train_epoch", {"mean of means"}, epoch_mean_of_means),
    ("train_epoch", {"sum instead of mean"}, epoch_micro_summed),
    ("train_epoch", {"kind: raised ValueError"}, epoch_all_targets),
]
