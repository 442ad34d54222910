"""Grading declaration of Assignment 6: questions, checks, points, tolerances.

One question per function, every check one point. Every input is drawn from
the check's ``rng``: students get a preview of the public checks (kept small)
with their expected outputs, and grading draws all checks afresh. Batching is
checked by properties, never by one shuffle order: the index batches must
partition range(d) as asked (``partition``) and a given rng must decide the
order alone (the same rng under another global numpy state gives the same
batches, another rng other ones); accumulated gradients must equal the full
mean while no call of grad_fn sees more rows than a micro-batch
(``micro_batches``), and an epoch over explicitly given batches must land on
the reference's parameters, with micro_batch_size honoured the same way. No
function may modify its inputs.
Where rows per call are scored, the objective is taken through a secret
rotation M of the parameters: the grader answers each call of grad_fn and
counts its rows, and the student's code cannot compute a gradient without it.
The comparators ``partition`` and ``micro_batches`` and the objectives
``linear`` and ``logistic`` are this assignment's own, in ``harness.py``.
"""
import numpy as np

from .mistakes import MISTAKES
from grader.checks import (Assignment, Check, Question, Written, allclose, call, comparator,
                           equal, objective, raises, rng)
from reference import batching as ref

FUNCTIONS = ("batch_size_for", "minibatch_indices", "accumulated_gradient", "train_epoch")


def partition():
    """Index batches judged by their properties (harness.py)."""
    return comparator("partition")


def micro_batches(max_rows=None, rtol=1e-10, atol=1e-12, inputs_unchanged=False):
    """allclose, and no call of grad_fn given more than max_rows rows (None: the
    program's micro_batch_size keyword, no limit without one); harness.py."""
    return comparator("micro_batches", max_rows=max_rows, rtol=rtol, atol=atol,
                      inputs_unchanged=inputs_unchanged)

# Epochs: no input modified; with micro_batch_size, no grad_fn call sees more rows.
EPOCH = allclose(rtol=1e-10, atol=1e-12, inputs_unchanged=True)
EPOCH_MICRO = micro_batches(max_rows=None, rtol=1e-10, atol=1e-12, inputs_unchanged=True)


# -- batch_size_for ---------------------------------------------------------------

def _sizes(mode_d_b):
    return [call("batch_size_for", mode, d, *([] if b is None else [b])) for mode, d, b in mode_d_b]


def public_sizes(rng_):
    d, e = (int(x) for x in rng_.integers(5, 16, size=2))
    return _sizes([("batch", d, None), ("sgd", d, None), ("minibatch", d, int(rng_.integers(2, d))),
                   ("minibatch", e, 2), ("minibatch", e, e - 1)])


def hidden_sizes(rng_):
    d = [int(x) for x in rng_.integers(3, 1000, size=3)]
    cases = [("batch", d[0], None), ("sgd", d[0], None), ("batch", 1, None), ("sgd", 1, None),
             ("batch", d[1], None), ("minibatch", 3, 2), ("minibatch", d[1], d[1] - 1),
             ("minibatch", d[1], 2)]
    cases += [("minibatch", n, int(rng_.integers(2, n))) for n in d]
    return _sizes(cases)


def public_invalid(rng_):
    """b = 1, b = d, b > d and no b at all: one program per case."""
    d = int(rng_.integers(5, 16))
    return [call("batch_size_for", "minibatch", d, 1), call("batch_size_for", "minibatch", d, d),
            call("batch_size_for", "minibatch", d, d + int(rng_.integers(1, 5))),
            call("batch_size_for", "minibatch", d)]


def hidden_invalid(rng_):
    d = int(rng_.integers(5, 500))
    return [call("batch_size_for", "minibatch", d, 1), call("batch_size_for", "minibatch", d, d),
            call("batch_size_for", "minibatch", d, d + int(rng_.integers(1, 50))),
            call("batch_size_for", "minibatch", d, None), call("batch_size_for", "minibatch", d, 0),
            call("batch_size_for", "minibatch", 2, 2), call("batch_size_for", "minibatch", 3, 1)]


# -- minibatch_indices ------------------------------------------------------------
# Shuffled cases use d >= 8, so that a correct shuffle comes out in order (which
# ``partition`` rejects) or repeats an epoch with probability at most 1/8!.

def _seed(rng_):
    return rng(int(rng_.integers(2 ** 31)))


def _probed(program):
    """Also run with the same rng twice, under another global numpy state, with another rng."""
    return dict(program, probe_rng=True)


def _d_and_b(rng_, low=8, high=16):
    d = int(rng_.integers(low, high))
    return d, int(rng_.integers(2, d))


def public_shuffled(rng_):
    """A short last batch, drop_last, and one batch of all rows."""
    (d1, b1), (d2, b2), d3 = _d_and_b(rng_), _d_and_b(rng_), int(rng_.integers(8, 16))
    d1 += d1 % b1 == 0
    return [_probed(call("minibatch_indices", d1, b1, _seed(rng_))),
            call("minibatch_indices", d2, b2, _seed(rng_), drop_last=True),
            call("minibatch_indices", d3, d3, _seed(rng_))]


def public_in_order(rng_):
    (d1, b1), (d2, b2) = _d_and_b(rng_, 5, 12), _d_and_b(rng_, 5, 12)
    return [call("minibatch_indices", d1, b1, shuffle=False),
            call("minibatch_indices", d1, b1, shuffle=False, drop_last=True),
            call("minibatch_indices", d2, b2, _seed(rng_), shuffle=False),
            call("minibatch_indices", int(rng_.integers(3, 8)), 1, shuffle=False)]


def public_epochs(rng_):
    d, b = _d_and_b(rng_)
    return [call("minibatch_indices", d, b, _seed(rng_), repeat=2)]


def hidden_shuffled(rng_):
    cases = []
    for drop_last in (False, True):
        d = int(rng_.integers(20, 200))
        for b in (1, int(rng_.integers(2, d)), d):
            cases.append(_probed(call("minibatch_indices", d, b, _seed(rng_),
                                      drop_last=drop_last)))
    d = int(rng_.integers(4, 20)) * 6
    cases += [call("minibatch_indices", d, 6, _seed(rng_), shuffle=True, drop_last=True),  # divides
              _probed(call("minibatch_indices", 23, 5, rng=_seed(rng_), shuffle=True)),
              call("minibatch_indices", 50, 7)]  # no rng: a fresh Generator
    return cases


def hidden_in_order(rng_):
    cases = []
    for drop_last in (False, True):
        d = int(rng_.integers(20, 200))
        for b in (1, int(rng_.integers(2, d)), d):
            cases.append(call("minibatch_indices", d, b, _seed(rng_), shuffle=False,
                              drop_last=drop_last))
    cases.append(call("minibatch_indices", 3, 2, shuffle=False, drop_last=True))
    return cases


def hidden_epochs(rng_):
    d = int(rng_.integers(20, 100))
    return [call("minibatch_indices", d, int(rng_.integers(2, d)), _seed(rng_), repeat=3),
            call("minibatch_indices", d, d, _seed(rng_), repeat=2),
            call("minibatch_indices", 23, 5, _seed(rng_), drop_last=True, repeat=2)]


# -- accumulated_gradient and train_epoch -----------------------------------------

def _problem(rng_, kind, n, p):
    """theta, X, y for a linear (real targets) or logistic (0/1 labels) objective."""
    X = rng_.standard_normal((n, p))
    theta = rng_.standard_normal(p)
    if kind == "linear":
        y = X @ rng_.standard_normal(p) + 0.1 * rng_.standard_normal(n)
    else:
        y = (rng_.random(n) < 0.5).astype(float)
    return theta, X, y


def _secret(rng_, p):
    """A random rotation of the parameters: the same conditioning, unknown to the student."""
    q, _ = np.linalg.qr(rng_.standard_normal((p, p)))
    return q


def _accumulate(rng_, kind, n, p, m):
    theta, X, y = _problem(rng_, kind, n, p)
    return call("accumulated_gradient", objective(kind, M=_secret(rng_, p), remote=True),
                theta, X, y, m)


def accumulation_check(name, n_values, m, p, public, description):
    """n rows (each of n_values), m at a time: grad_fn may see at most m rows per call."""
    def cases(rng_):
        return [_accumulate(rng_, kind, n, p, m) for n in n_values
                for kind in ("linear", "logistic")]
    return Check(name, "accumulated_gradient", 1, cases,
                 micro_batches(max_rows=m, inputs_unchanged=True),
                 public=public, description=description)


def _split(order, sizes):
    """Consecutive pieces of ``order`` with the given sizes, as int index arrays."""
    cuts = np.cumsum(sizes)[:-1]
    return [np.asarray(piece, dtype=np.int64) for piece in np.split(order, cuts)]


def _epoch(rng_, kind, n, p, sizes, lr, micro=None, shuffle=True):
    theta, X, y = _problem(rng_, kind, n, p)
    order = rng_.permutation(n) if shuffle else np.arange(n)
    batches = _split(order[:sum(sizes)], sizes)
    if micro is None:
        return call("train_epoch", objective(kind), theta, X, y, batches, lr)
    return call("train_epoch", objective(kind, M=_secret(rng_, p), remote=True), theta, X, y,
                batches, lr, micro_batch_size=micro)


def public_epoch(rng_):
    """Batch (one batch of all rows), mini-batch and SGD (single rows) epochs."""
    return [_epoch(rng_, "linear", 6, 2, [6], 0.1, shuffle=False),
            _epoch(rng_, "linear", 6, 2, [2, 2, 2], 0.1),
            _epoch(rng_, "logistic", 5, 2, [1] * 5, 0.5),
            _epoch(rng_, "logistic", 6, 2, [4, 2], 0.5)]


def public_epoch_micro(rng_):
    """Batches of 4 and 3 rows, 3 (then 1 or 0) rows at a time."""
    return [_epoch(rng_, "linear", 7, 2, [4, 3], 0.1, micro=3),
            _epoch(rng_, "logistic", 7, 2, [4, 3], 0.5, micro=3),
            _epoch(rng_, "linear", 4, 2, [4], 0.1, micro=1)]


def hidden_epoch(kind, lr):
    def cases(rng_):
        n = int(rng_.integers(30, 60))
        b = int(rng_.integers(2, 9))
        full, tail = divmod(n, b)
        return [_epoch(rng_, kind, n, 3, [n], lr),                                 # batch
                _epoch(rng_, kind, 12, 3, [1] * 12, lr),                           # SGD
                _epoch(rng_, kind, n, 3, [b] * full + ([tail] if tail else []), lr),  # mini-batch
                _epoch(rng_, kind, n, 3, [b] * full, lr),                          # drop_last
                _epoch(rng_, kind, 20, 3, [7, 1, 5, 3], lr)]                       # uneven, subset
    return cases


def hidden_epoch_micro(rng_):
    cases = []
    for kind, lr in (("linear", 0.05), ("logistic", 0.5)):
        n = int(rng_.integers(30, 60))
        b = int(rng_.integers(5, 12))
        m = int(rng_.integers(2, b))
        full, tail = divmod(n, b)
        sizes = [b] * full + ([tail] if tail else [])
        cases += [_epoch(rng_, kind, n, 3, sizes, lr, micro=m),
                  _epoch(rng_, kind, 12, 3, [5, 4, 3], lr, micro=1),  # (each row a round trip)
                  _epoch(rng_, kind, n, 3, sizes, lr, micro=b),
                  _epoch(rng_, kind, 20, 3, [7, 1, 5, 3], lr, micro=3)]
    return cases


# -- questions ---------------------------------------------------------------------

QUESTIONS = (
    Question("batch_size", "Batch size per mode", (
        Check("batch_size: sizes per mode", "batch_size_for", 1, public_sizes, equal(), public=True,
              description="batch -> d, sgd -> 1, minibatch -> b"),
        Check("batch_size: invalid b raises ValueError", "batch_size_for", 1, public_invalid,
              raises("ValueError"), public=True,
              description="minibatch with b = 1, b = d, b > d or no b"),
        Check("batch_size: hidden sizes", "batch_size_for", 1, hidden_sizes, equal(),
              description="fresh d and b, d = 1 for batch and sgd, b = 2 and b = d - 1"),
        Check("batch_size: hidden invalid b", "batch_size_for", 1, hidden_invalid,
              raises("ValueError"),
              description="fresh d with b = 1, d, > d, None, 0; d = 2 (no valid b)"),
    )),
    Question("indices", "Mini-batch indices", (
        Check("indices: shuffled batches", "minibatch_indices", 1, public_shuffled, partition(),
              public=True, description="batches partition range(d) in shuffled order; "
                                       "short last batch, drop_last, one batch of all rows"),
        Check("indices: in order without shuffle", "minibatch_indices", 1, public_in_order,
              partition(), public=True, description="shuffle=False: rows 0, 1, 2, ... in order"),
        Check("indices: a new order each epoch", "minibatch_indices", 1, public_epochs, partition(),
              public=True, description="two epochs from one Generator differ"),
        Check("indices: hidden shuffled batches", "minibatch_indices", 1, hidden_shuffled,
              partition(), description="fresh d; batch_size 1, d and in between; drop_last; no rng"),
        Check("indices: hidden in order", "minibatch_indices", 1, hidden_in_order, partition(),
              description="fresh d, shuffle=False, with and without drop_last"),
        Check("indices: hidden epochs differ", "minibatch_indices", 1, hidden_epochs, partition(),
              description="two or three consecutive epochs from one Generator"),
    )),
    Question("accumulation", "Gradient accumulation", (
        accumulation_check("accumulation: one row at a time", (5,), 1, 2, True,
                           "micro_batch_size = 1: each row alone"),
        accumulation_check("accumulation: short last micro-batch", (7,), 3, 2, True,
                           "7 rows, 3 at a time: the last micro-batch has 1 row"),
        accumulation_check("accumulation: one micro-batch of all rows", (6,), 6, 2, True,
                           "micro_batch_size = the row count"),
        accumulation_check("accumulation: hidden micro-batches", (9, 12, 13, 4), 4, 3, False,
                           "4 rows at a time on 9, 12, 13 and 4 rows"),
        accumulation_check("accumulation: hidden larger data", (50, 49, 56), 7, 5, False,
                           "7 rows at a time on up to 56 rows; short last micro-batches"),
        accumulation_check("accumulation: hidden single rows", (17,), 1, 4, False,
                           "micro_batch_size = 1 on fresh data"),
        accumulation_check("accumulation: hidden one micro-batch", (23,), 23, 4, False,
                           "micro_batch_size = the row count, fresh data"),
    )),
    Question("epoch", "One training epoch", (
        Check("epoch: batch, mini-batch and SGD", "train_epoch", 1, public_epoch, EPOCH,
              public=True, description="one update per given batch, in the given order"),
        Check("epoch: with micro-batches", "train_epoch", 1, public_epoch_micro, EPOCH_MICRO,
              public=True, description="micro_batch_size gives the same parameters as without"),
        Check("epoch: hidden linear", "train_epoch", 1, hidden_epoch("linear", 0.05), EPOCH,
              description="fresh data: batch, SGD, mini-batch, drop_last, uneven batches"),
        Check("epoch: hidden logistic", "train_epoch", 1, hidden_epoch("logistic", 0.5), EPOCH,
              description="fresh data: batch, SGD, mini-batch, drop_last, uneven batches"),
        Check("epoch: hidden micro-batches", "train_epoch", 1, hidden_epoch_micro, EPOCH_MICRO,
              description="fresh data, micro-batches of 1, of a whole batch and in between"),
    )),
)

ASSIGNMENT = Assignment(
    id="a6_batching",
    version="1",
    title="Assignment 6: Batching",
    questions=QUESTIONS,
    reference={name: getattr(ref, name) for name in FUNCTIONS},
    mistakes=MISTAKES,
    written=(Written("reflection", "Reflection: which mode for a million rows", 2),),
    functions=FUNCTIONS,
    returns={"accumulated_gradient": ("the gradient",), "train_epoch": ("theta",)},
)
