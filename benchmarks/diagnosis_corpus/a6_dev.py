"""Development wrong batching functions of Assignment 6; the correct ones in other
styles are those of the tests (``a6_correct``)."""
import numpy as np

from .a6_correct import ALTERNATIVES


def _sizes(batch=lambda d: d, sgd=lambda d: 1, ok=lambda d, b: 1 < b < d):
    def batch_size_for(mode, d, b=None):
        if mode == "batch":
            return batch(d)
        if mode == "sgd":
            return sgd(d)
        if mode == "minibatch":
            if b is None or not ok(d, b):
                raise ValueError("bad b")
            return b
        raise ValueError(mode)
    return batch_size_for


def batch_size_none_for_minibatch(mode, d, b=None):
    if mode == "minibatch" and b is not None and not 1 < b < d:
        raise ValueError("bad b")
    return {"batch": d, "sgd": 1, "minibatch": b}[mode]


def _cut(order, b, drop_last):
    stop = len(order) - len(order) % b if drop_last else len(order)
    return [order[i:i + b] for i in range(0, stop, b)]


def _indices(order_of):
    def minibatch_indices(d, batch_size, rng=None, shuffle=True, drop_last=False):
        return _cut(order_of(d, rng, shuffle), batch_size, drop_last)
    return minibatch_indices


def _rng(rng):
    return rng if rng is not None else np.random.default_rng()


def indices_never_shuffled(d, batch_size, rng=None, shuffle=True, drop_last=False):
    return _cut(np.arange(d), batch_size, drop_last)


def indices_same_every_epoch(d, batch_size, rng=None, shuffle=True, drop_last=False):
    return _cut(np.random.default_rng(0).permutation(d) if shuffle else np.arange(d),
                batch_size, drop_last)


def indices_global_choice(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = np.random.choice(d, d, replace=False) if shuffle else np.arange(d)
    return _cut(order, batch_size, drop_last)


def indices_global_seeded(d, batch_size, rng=None, shuffle=True, drop_last=False):
    state = np.random.RandomState()
    return _cut(state.permutation(d) if shuffle else np.arange(d), batch_size, drop_last)


def indices_choice_replace(d, batch_size, rng=None, shuffle=True, drop_last=False):
    return _cut(_rng(rng).choice(d, d) if shuffle else np.arange(d), batch_size, drop_last)


def indices_drop_last_ignored(d, batch_size, rng=None, shuffle=True, drop_last=False):
    return _cut(_rng(rng).permutation(d) if shuffle else np.arange(d), batch_size, False)


def indices_shuffle_inside_batches(d, batch_size, rng=None, shuffle=True, drop_last=False):
    batches = _cut(np.arange(d), batch_size, drop_last)
    return [_rng(rng).permutation(b) if shuffle else b for b in batches]


def indices_float(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = _rng(rng).permutation(d) if shuffle else np.arange(d)
    return [b.astype(float) for b in _cut(order, batch_size, drop_last)]


def indices_last_merged(d, batch_size, rng=None, shuffle=True, drop_last=False):
    batches = _cut(_rng(rng).permutation(d) if shuffle else np.arange(d), batch_size, drop_last)
    if len(batches) > 1 and len(batches[-1]) < batch_size:
        batches[-2:] = [np.concatenate(batches[-2:])]
    return batches


def _chunks(X, y, m):
    return [(X[i:i + m], y[i:i + m]) for i in range(0, len(X), m)]


def accumulated_summed(grad_fn, theta, X, y, micro_batch_size):
    return sum(len(Xc) * grad_fn(theta, Xc, yc) for Xc, yc in _chunks(X, y, micro_batch_size))


def accumulated_mean_of_means(grad_fn, theta, X, y, micro_batch_size):
    return np.mean([grad_fn(theta, Xc, yc) for Xc, yc in _chunks(X, y, micro_batch_size)], axis=0)


def accumulated_sum_of_means(grad_fn, theta, X, y, micro_batch_size):
    return sum(grad_fn(theta, Xc, yc) for Xc, yc in _chunks(X, y, micro_batch_size))


def accumulated_tail_dropped(grad_fn, theta, X, y, micro_batch_size):
    parts = [(len(Xc), grad_fn(theta, Xc, yc)) for Xc, yc in _chunks(X, y, micro_batch_size)
             if len(Xc) == micro_batch_size]
    return sum(k * g for k, g in parts) / sum(k for k, _ in parts)


def accumulated_divides_by_m(grad_fn, theta, X, y, micro_batch_size):
    total = sum(len(Xc) * grad_fn(theta, Xc, yc) for Xc, yc in _chunks(X, y, micro_batch_size))
    return total / micro_batch_size


def accumulated_one_at_once(grad_fn, theta, X, y, micro_batch_size):
    return grad_fn(theta, X, y)


def accumulated_overlap(grad_fn, theta, X, y, micro_batch_size):
    m = micro_batch_size
    parts = [(X[i:i + m + 1], y[i:i + m + 1]) for i in range(0, len(X), m)]
    return sum(len(a) * grad_fn(theta, a, b) for a, b in parts) / sum(len(a) for a, _ in parts)


def accumulated_first_chunk(grad_fn, theta, X, y, micro_batch_size):
    return grad_fn(theta, X[:micro_batch_size], y[:micro_batch_size])


def _grad(grad_fn, theta, Xb, yb, m):
    if m is None:
        return grad_fn(theta, Xb, yb)
    return sum(len(Xc) * grad_fn(theta, Xc, yc) for Xc, yc in _chunks(Xb, yb, m)) / len(Xb)


def _epoch(update):
    def train_epoch(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
        return update(grad_fn, np.asarray(theta, dtype=float), X, y, batches, lr,
                      micro_batch_size)
    return train_epoch


def _loop(step):
    def run(grad_fn, theta, X, y, batches, lr, m):
        for idx in batches:
            theta = step(theta, lr, _grad(grad_fn, theta, X[idx], y[idx], m), len(idx))
        return theta
    return _epoch(run)


def epoch_summed(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta = theta - lr * len(idx) * _grad(grad_fn, theta, X[idx], y[idx], micro_batch_size)
    return theta


def epoch_mean_of_means(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        m = micro_batch_size or len(idx)
        parts = [grad_fn(theta, X[idx[i:i + m]], y[idx[i:i + m]]) for i in range(0, len(idx), m)]
        theta = theta - lr * sum(parts) / len(parts)
    return theta


def epoch_in_place(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta -= lr * grad_fn(theta, X[idx], y[idx]) if micro_batch_size is None else \
            lr * _grad(grad_fn, theta, X[idx], y[idx], micro_batch_size)
    return theta


def epoch_ignores_micro(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        theta = theta - lr * grad_fn(theta, X[idx], y[idx])
    return theta


def epoch_stale(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    grads = [_grad(grad_fn, theta, X[idx], y[idx], micro_batch_size) for idx in batches]
    for g in grads:
        theta = theta - lr * g
    return theta


def epoch_last_dropped(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches[:-1] if len(batches) > 1 else batches:
        theta = theta - lr * _grad(grad_fn, theta, X[idx], y[idx], micro_batch_size)
    return theta


def epoch_first_only(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    return theta - lr * _grad(grad_fn, theta, X[batches[0]], y[batches[0]], micro_batch_size)


def epoch_sum_update(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    grads = [_grad(grad_fn, theta, X[idx], y[idx], micro_batch_size) for idx in batches]
    return theta - lr * np.sum(grads, axis=0)


def epoch_micro_mean_only_in_micro(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        g = grad_fn(theta, X[idx], y[idx]) if micro_batch_size is None else np.mean(
            [grad_fn(theta, X[idx[i:i + micro_batch_size]], y[idx[i:i + micro_batch_size]])
             for i in range(0, len(idx), micro_batch_size)], axis=0)
        theta = theta - lr * g
    return theta


WRONG = [
    ("batch_size_for", {"batch and sgd swapped"}, _sizes(batch=lambda d: 1, sgd=lambda d: d)),
    ("batch_size_for", {"accepts b = 1", "accepts b = d"}, _sizes(ok=lambda d, b: 1 <= b <= d)),
    ("batch_size_for", {"accepts b = d"}, _sizes(ok=lambda d, b: 2 <= b <= d)),
    ("batch_size_for", {"b not required"}, batch_size_none_for_minibatch),
    ("batch_size_for", {"off by one"}, _sizes(sgd=lambda d: 0)),
    ("minibatch_indices", {"not shuffled"}, indices_never_shuffled),
    ("minibatch_indices", {"kind: ignores rng"}, indices_same_every_epoch),
    ("minibatch_indices", {"kind: ignores rng"}, indices_global_choice),
    ("minibatch_indices", {"kind: ignores rng", "kind: not deterministic"}, indices_global_seeded),
    ("minibatch_indices", {"rows repeated"}, indices_choice_replace),
    ("minibatch_indices", {"ignores drop_last"}, indices_drop_last_ignored),
    ("minibatch_indices", {"not shuffled"}, indices_shuffle_inside_batches),
    ("minibatch_indices", {"kind: dtype"}, indices_float),
    ("minibatch_indices", {"last batch merged"}, indices_last_merged),
    ("accumulated_gradient", {"sum instead of mean"}, accumulated_summed),
    ("accumulated_gradient", {"mean of means"}, accumulated_mean_of_means),
    ("accumulated_gradient", {"sum of means"}, accumulated_sum_of_means),
    ("accumulated_gradient", {"last micro-batch dropped"}, accumulated_tail_dropped),
    ("accumulated_gradient", {"wrong denominator"}, accumulated_divides_by_m),
    ("accumulated_gradient", {"kind: ignores micro_batch_size"}, accumulated_one_at_once),
    ("accumulated_gradient", {"rows repeated"}, accumulated_overlap),
    ("accumulated_gradient", {"first micro-batch only"}, accumulated_first_chunk),
    ("train_epoch", {"sum instead of mean"}, epoch_summed),
    ("train_epoch", {"mean of means"}, epoch_mean_of_means),
    ("train_epoch", {"kind: modified input"}, epoch_in_place),
    ("train_epoch", {"kind: ignores micro_batch_size"}, epoch_ignores_micro),
    ("train_epoch", {"gradient at the initial theta"}, epoch_stale),
    ("train_epoch", {"last batch dropped"}, epoch_last_dropped),
    ("train_epoch", {"first batch only"}, epoch_first_only),
    ("train_epoch", {"one update per epoch"}, epoch_sum_update),
    ("train_epoch", {"lr applied twice"}, _loop(lambda th, lr, g, n: th - lr * lr * g)),
    ("train_epoch", {"sign flipped"}, _loop(lambda th, lr, g, n: th + lr * g)),
    ("train_epoch", {"mean of means"}, epoch_micro_mean_only_in_micro),
]


CORRECT = [(name, impl) for name, impls in ALTERNATIVES.items() for impl in impls]
