"""Families of mistakes in the batching functions of Assignment 6.

Each function is written once with switches (``_batch_size``, ``_accumulate``,
``_epoch``): at their defaults it is correct. A family sets switches over a
small grid and gets a name and a hint a student recognises; the grader names
it when its outputs reproduce the student's on every case of a failed check.
To teach the grader a new misconception, add a switch (or reuse one) and a
``family(...)`` line; nothing else changes.

``minibatch_indices`` has no families here: its checks judge the batches by
their properties (``partition``), and the order is random, so there are no
outputs to reproduce. Its families are read from the batches' structure by
``batch_families`` in ``harness.py``, the diagnosis of ``partition`` (sizes as
if drop_last were ignored, the last batch padded or merged, rows repeated, not
shuffled, ...).
"""
import numpy as np

from grader.diagnosis import family

_BELOW = {"<": lambda x, y: x < y, "<=": lambda x, y: x <= y, None: lambda x, y: True}


def _batch_size(swap=False, lower="<", upper="<", require_b=True, batch_offset=0, sgd_size=1):
    def batch_size_for(mode, d, b=None):
        if mode == "batch":
            return (1 if swap else d) + batch_offset
        if mode == "sgd":
            return d if swap else sgd_size
        if mode == "minibatch":
            if b is None:
                if require_b:
                    raise ValueError("minibatch needs b")
                return None
            if not (_BELOW[lower](1, b) and _BELOW[upper](b, d)):
                raise ValueError(f"need 1 < b < d = {d}")
            return b
        raise ValueError(f"unknown mode {mode!r}")
    return batch_size_for


def _chunks(X, y, m, which="all", width=0):
    starts = range(0, len(X), m)
    chunks = [(X[i:i + m + width], y[i:i + m + width]) for i in starts]
    chunks = [(a, b) for a, b in chunks if len(a)]
    if which == "full":
        return [(a, b) for a, b in chunks if len(a) == m]
    return chunks[:1] if which == "first" else chunks


def _combine(grad_fn, theta, chunks, n, weights="size", denominator="rows"):
    grads = [grad_fn(theta, a, b) for a, b in chunks]
    sizes = [len(a) for a, _ in chunks]
    total = sum((k if weights == "size" else 1) * g for k, g in zip(sizes, grads))
    return total / {"rows": n, "kept rows": sum(sizes), "chunks": len(grads), "none": 1,
                    "m": sizes[0], "m*chunks": sizes[0] * len(grads)}[denominator]


def _accumulate(weights="size", denominator="rows", which="all", width=0):
    def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
        chunks = _chunks(X, y, micro_batch_size, which, width)
        return _combine(grad_fn, theta, chunks, len(X), weights, denominator)
    return accumulated_gradient


def _epoch(gradient="mean", lr_power=1, sign=1, at="current", update="each", batches="all"):
    def batch_gradient(grad_fn, theta, Xb, yb, m):
        if gradient == "sum":
            return len(Xb) * _batch_mean(grad_fn, theta, Xb, yb, m)
        if gradient == "mean of means" and m is not None:
            return _combine(grad_fn, theta, _chunks(Xb, yb, m), len(Xb), "equal", "chunks")
        return _batch_mean(grad_fn, theta, Xb, yb, m)

    def train_epoch(grad_fn, theta, X, y, batches_, lr, micro_batch_size=None):
        theta = theta0 = np.asarray(theta, dtype=float)
        chosen = {"all": batches_, "drop last": batches_[:-1], "first": batches_[:1],
                  "last twice": list(batches_) + list(batches_[-1:])}.get(batches, batches_)
        rows = [(X, y) if batches == "full data" else (X[i], y[i]) for i in chosen]
        step = sign * (lr if lr_power == 1 else 1.0 if lr_power == 0 else lr * lr)
        if update != "each":
            grads = [batch_gradient(grad_fn, theta0, a, b, micro_batch_size) for a, b in rows]
            return theta0 - step * (np.mean(grads, axis=0) if update == "once mean" else sum(grads))
        for a, b in rows:
            theta = theta - step * batch_gradient(grad_fn, theta0 if at == "initial" else theta,
                                                  a, b, micro_batch_size)
        return theta
    return train_epoch


def _batch_mean(grad_fn, theta, Xb, yb, m):
    if m is None:
        return grad_fn(theta, Xb, yb)
    return _combine(grad_fn, theta, _chunks(Xb, yb, m), len(Xb))


MISTAKES = (
    # batch_size_for
    family("batch_size_for", "batch and sgd swapped", "batch and SGD modes swapped",
           "batch gradient descent uses all d rows per update, SGD a single row",
           _batch_size, [{"swap": True}])
    + family("batch_size_for", "accepts b = 1", "b = 1 is accepted as a mini-batch",
             "a mini-batch has 1 < b < d rows: b = 1 is SGD", _batch_size,
             [{"lower": "<="}, {"lower": "<=", "upper": "<="}])
    + family("batch_size_for", "accepts b = d", "b = d is accepted as a mini-batch",
             "a mini-batch has 1 < b < d rows: b = d is the whole batch", _batch_size,
             [{"upper": "<="}, {"lower": "<=", "upper": "<="}])
    + family("batch_size_for", "b not validated", "b is not checked",
             "raise ValueError unless 1 < b < d", _batch_size, [{"lower": None, "upper": None}])
    + family("batch_size_for", "b not required", "a missing b is accepted",
             "mode 'minibatch' without b must raise ValueError", _batch_size,
             [{"require_b": False}])
    + family("batch_size_for", "off by one", "a batch size off by one",
             "batch -> d, sgd -> 1", _batch_size,
             [{"batch_offset": -1}, {"batch_offset": 1}, {"sgd_size": 0}, {"sgd_size": 2}])
    # accumulated_gradient
    + family("accumulated_gradient", "sum instead of mean", "gradient summed instead of averaged",
             "grad_fn returns a mean: weight each micro-batch's gradient by its size, "
             "then divide the total by the number of rows", _accumulate, [{"denominator": "none"}])
    + family("accumulated_gradient", "mean of means", "mean of the micro-batch means",
             "a short last micro-batch must count less: weight each micro-batch's mean by "
             "its number of rows and divide by the total number of rows",
             _accumulate, [{"weights": "equal", "denominator": "chunks"}])
    + family("accumulated_gradient", "sum of means", "the micro-batch means are added up",
             "weight each micro-batch's mean by its rows and divide by the number of rows",
             _accumulate, [{"weights": "equal", "denominator": "none"}])
    + family("accumulated_gradient", "wrong denominator", "divided by the wrong count",
             "divide the size-weighted sum by the number of rows, len(X)",
             _accumulate, [{"denominator": "chunks"}, {"denominator": "m"},
                           {"denominator": "m*chunks"}])
    + family("accumulated_gradient", "last micro-batch dropped", "the short last micro-batch is left out",
             "loop with range(0, len(X), micro_batch_size): the last slice may be shorter",
             _accumulate, [{"which": "full"}, {"which": "full", "denominator": "kept rows"}])
    + family("accumulated_gradient", "first micro-batch only", "only the first micro-batch is used",
             "accumulate over every micro-batch before returning",
             _accumulate, [{"which": "first", "denominator": "kept rows"}, {"which": "first"}])
    + family("accumulated_gradient", "rows repeated", "micro-batches overlap by a row",
             "slice X[i:i + micro_batch_size] for i in range(0, len(X), micro_batch_size)",
             _accumulate, [{"width": 1, "denominator": "kept rows"}, {"width": 1}])
    + family("accumulated_gradient", "rows skipped", "a row is skipped in each micro-batch",
             "slice X[i:i + micro_batch_size] for i in range(0, len(X), micro_batch_size)",
             _accumulate, [{"width": -1, "denominator": "kept rows"}, {"width": -1}])
    # train_epoch
    + family("train_epoch", "sum instead of mean", "the update uses the summed gradient of the batch",
             "step with the batch's MEAN gradient: theta - lr * g, where g averages over "
             "the batch's rows (with micro-batches: sum of size * mean, divided by the batch size)",
             _epoch, [{"gradient": "sum"}])
    + family("train_epoch", "mean of means", "micro-batches averaged as the mean of their means",
             "a short last micro-batch must count less: weight each micro-batch's mean by "
             "its number of rows and divide by the batch size", _epoch, [{"gradient": "mean of means"}])
    + family("train_epoch", "lr missing", "the learning rate is missing",
             "theta <- theta - lr * g", _epoch, [{"lr_power": 0}])
    + family("train_epoch", "lr applied twice", "the learning rate is applied twice",
             "theta <- theta - lr * g", _epoch, [{"lr_power": 2}])
    + family("train_epoch", "sign flipped", "gradient ascent: the sign is flipped",
             "step against the gradient: theta - lr * g", _epoch, [{"sign": -1}])
    + family("train_epoch", "gradient at the initial theta", "every gradient is taken at the initial theta",
             "compute each batch's gradient at the current theta, after the previous update",
             _epoch, [{"at": "initial"}])
    + family("train_epoch", "one update per epoch", "one update for the whole epoch",
             "update theta once per batch, not once per epoch",
             _epoch, [{"update": "once mean"}, {"update": "once sum"}])
    + family("train_epoch", "last batch dropped", "the last batch is left out",
             "update once for every batch in batches, the last one included",
             _epoch, [{"batches": "drop last"}])
    + family("train_epoch", "last batch duplicated", "the last batch is used twice",
             "update once for every batch in batches", _epoch, [{"batches": "last twice"}])
    + family("train_epoch", "first batch only", "only the first batch is used",
             "loop over every batch in batches", _epoch, [{"batches": "first"}])
    + family("train_epoch", "ignores batches", "every update uses all rows",
             "use the rows of each batch: X[idx], y[idx]", _epoch, [{"batches": "full data"}])
)
