"""Assignment 6's own part of the harness: what its checks name beyond the generic ones.

Loaded wherever the checks run (the grader, the student's sandbox, the
self-check) as a module of the harness package, hence the relative import of
the generic comparators. Plain numpy: it runs in the student's process too.

Comparators: ``partition`` judges index batches by their properties (their
order is random), ``micro_batches`` values and rows per call of grad_fn.
Objectives, all means over rows: ``linear`` (2 X^T (X theta - y) / n) and
``logistic`` (X^T (sigmoid(X theta) - y) / n); with a matrix ``M`` they are
taken at M theta (the gradient is M^T times the above), the objective of a
remote check, which the student's code cannot compute without calling
grad_fn. Diagnosis of ``partition``: the batch families, found from the
batches' structure.
"""
import numpy as np

from .compare import Verdict, allclose, numeric, same, show, show_kind
from .extension import Failure


def partition(got, want, program):
    """Index batches that split range(d) as minibatch_indices must.

    args: d, batch_size; kwargs may set shuffle and drop_last. With repeat
    > 1 (one Generator shared by consecutive epochs), shuffled epochs must
    also differ from one another.
    """
    if not got.get("ok"):
        return Verdict(False, None, got.get("error", "failed"))
    d, b = program["args"][:2]
    kw = program.get("kwargs", {})
    epochs = got["out"] if program.get("repeat", 1) > 1 else [got["out"]]
    if not isinstance(epochs, list):  # one result per epoch, unless the frames were forged
        return Verdict(False, None, f"expected a list of index arrays, got {show_kind(epochs)}")
    for epoch in epochs:
        if (problem := _partition_problem(epoch, d, b, kw.get("drop_last", False),
                                          kw.get("shuffle", True))):
            return Verdict(False, None, problem)
    if len(epochs) > 1 and kw.get("shuffle", True) and d >= 8:
        flat = [np.concatenate([np.asarray(x) for x in e]).tolist() for e in epochs]
        if all(f == flat[0] for f in flat[1:]):
            return Verdict(False, None, "consecutive epochs gave the same order: "
                                        "shuffle with the Generator passed as rng")
    if (problem := _rng_problem(got)):
        return Verdict(False, None, problem)
    return Verdict(True)


def _rng_problem(got):
    """An rng argument must decide the order alone: the same seed gives the same batches
    whatever numpy's global state, another seed other batches."""
    probe = got.get("rng_probe")
    if not probe or len(probe) != 4:
        return None
    if not same(probe[0], probe[1]):
        return ("not deterministic: the same rng and the same global random state gave "
                "other batches; draw from the Generator passed as rng, nothing else")
    if not same(probe[0], probe[2]):
        return ("ignores its rng argument: the same rng gave other batches after numpy's "
                "global random state changed; draw from rng, not from np.random")
    if same(probe[0], probe[3]):
        return ("ignores its rng argument: a different rng gave the same batches; "
                "shuffle with the Generator passed as rng")
    return None


def _partition_problem(batches, d, b, drop_last, shuffle):
    if not isinstance(batches, list) or not all(numeric(x) for x in batches):
        return f"expected a list of index arrays, got {show_kind(batches)}"
    arrays = [np.asarray(x) for x in batches]
    if any(a.ndim != 1 or not np.issubdtype(a.dtype, np.integer) for a in arrays):
        return "each batch must be a 1-d array of integer row indices"
    sizes = [len(a) for a in arrays]
    full, tail = divmod(d, b)
    want_sizes = [b] * full + ([tail] if tail and not drop_last else [])
    if sizes != want_sizes:
        return f"batch sizes {show(sizes)}, expected {show(want_sizes)} (d={d}, batch_size={b}, drop_last={drop_last})"
    flat = np.concatenate(arrays) if arrays else np.array([], dtype=int)
    if len(np.unique(flat)) != len(flat) or (len(flat) and (flat.min() < 0 or flat.max() >= d)):
        return "the batches must hold distinct row indices from range(d)"
    if not drop_last and len(flat) != d:
        return "the batches must cover every row exactly once"
    if not shuffle and flat.tolist() != list(range(len(flat))):
        return "with shuffle=False the rows must come in order 0, 1, 2, ..."
    if shuffle and d >= 8 and flat.tolist() == list(range(len(flat))):
        return "with shuffle=True the rows came in order: permute them with rng"
    return None


def micro_batches(got, want, program, rtol=1e-10, atol=1e-12, max_rows=None,
                  inputs_unchanged=False):
    """allclose, and no call of grad_fn saw more than ``max_rows`` rows (None:
    the program's micro_batch_size). The rows per call are the grader's own
    count (``grad_rows``, set by the session that answered the calls);
    ``inputs_unchanged`` is kept by the sealed inputs (see ``allclose``)."""
    verdict = allclose(got, want, program, rtol=rtol, atol=atol)
    if not verdict.passed:
        return verdict
    limit = max_rows if max_rows is not None else program.get("kwargs", {}).get("micro_batch_size")
    rows = got.get("grad_rows")
    if not isinstance(rows, list) or not rows or not all(type(r) is int for r in rows):
        return Verdict(False, verdict.rel_err, "no call of grad_fn was seen")
    if limit is not None and max(rows) > limit:
        return Verdict(False, verdict.rel_err,
                       f"grad_fn was given {max(rows)} rows at once; at most {limit} "
                       "(the micro-batch size) may be in memory")
    return verdict


# -- objectives ---------------------------------------------------------------------

def linear(M=None):
    return _rotated(lambda theta, X, y: 2.0 * X.T @ (X @ theta - y) / len(y), M)


def logistic(M=None):
    return _rotated(lambda theta, X, y: X.T @ (_sigmoid(X @ theta) - y) / len(y), M)


def _rotated(grad, M):
    if M is None:
        return grad
    M = np.asarray(M)
    return lambda theta, X, y: M.T @ grad(M @ theta, X, y)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# Families found from the batches' structure (their order is random, so no outputs to match).
BATCH_FAMILIES = {
    "ignores drop_last": ("the last short batch is kept with drop_last=True",
                          "with drop_last=True leave out the last batch when it is short"),
    "always drops the last batch": ("the last short batch is left out although drop_last=False",
                                    "keep the short last batch unless drop_last is True"),
    "last batch padded": ("the last batch is filled up to batch_size with rows already used",
                          "the last batch may be shorter: do not pad it"),
    "last batch merged": ("the short last batch is merged into the one before",
                          "keep the short last batch as a batch of its own"),
    "off by one": ("one batch too few: the loop stops a batch early",
                   "loop with range(0, d, batch_size) (or stop at d - d % batch_size with drop_last)"),
    "rows repeated": ("some rows appear twice in one epoch",
                      "permute the rows once per epoch (rng.permutation(d)), then cut; "
                      "do not draw with replacement"),
    "not shuffled": ("the rows are not shuffled across batches",
                     "permute all d rows with rng before cutting them into batches"),
    "ignores shuffle": ("rows shuffled although shuffle=False",
                        "with shuffle=False keep the order 0, 1, 2, ..."),
}


# -- families of batches, from their structure -----------------------------------

def _sizes(d, b, drop_last, variant=None):
    full, tail = divmod(d, b)
    if variant == "ignores drop_last":
        drop_last = False
    elif variant == "always drops the last batch":
        drop_last = True
    elif variant == "last batch padded" and tail and not drop_last:
        return [b] * (full + 1)
    elif variant == "last batch merged" and tail and not drop_last and full:
        return [b] * (full - 1) + [b + tail]
    elif variant == "off by one":
        return [b] * len(range(0, d - b, b))
    return [b] * full + ([tail] if tail and not drop_last else [])


def _batch_facts(program, got):
    """(sizes, repeated, in_order, sorted_equal_in_order) of the first epoch, or None."""
    out = got.get("out") if isinstance(got, dict) and got.get("ok") else None
    if program.get("repeat", 1) > 1 and isinstance(out, list) and out:
        out = out[0]
    if not isinstance(out, list) or not all(isinstance(a, np.ndarray) and a.ndim == 1 for a in out):
        return None
    flat = np.concatenate(out) if out else np.array([], dtype=int)
    in_order = flat.tolist() == list(range(len(flat)))
    starts = np.cumsum([0] + [len(a) for a in out])
    sorted_in_order = [np.sort(a).tolist() for a in out] == \
                      [list(range(i, i + len(a))) for i, a in zip(starts, out)]
    return [len(a) for a in out], len(np.unique(flat)) != len(flat), in_order, sorted_in_order


def batch_families(programs, results, verdicts):
    """The families whose symptom every failed case shows (the diagnosis of ``partition``)."""
    facts = []
    for program, got in zip(programs, results):
        f = _batch_facts(program, got)
        if f is None:
            return []
        d, b = program["args"][:2]
        kw = program.get("kwargs", {})
        facts.append((f, d, b, kw.get("drop_last", False), kw.get("shuffle", True)))
    symptoms = {
        "rows repeated": lambda f, d, b, drop, shuffle: f[1],
        "not shuffled": lambda f, d, b, drop, shuffle: shuffle and d >= 8 and not f[1] and f[3],
        "ignores shuffle": lambda f, d, b, drop, shuffle: not shuffle and not f[1] and not f[2],
    }
    for variant in ("ignores drop_last", "always drops the last batch", "last batch padded",
                    "last batch merged", "off by one"):
        symptoms[variant] = (lambda v: lambda f, d, b, drop, shuffle:
                             f[0] == _sizes(d, b, drop, v) != _sizes(d, b, drop))(variant)
    named = []
    for fid, symptom in symptoms.items():
        hits = [symptom(*x) for x, v in zip(facts, verdicts) if not v.passed]
        if hits and all(hits):
            name, hint = BATCH_FAMILIES[fid]
            named.append({"id": fid, "name": name, "hint": hint, "kind": "family"})
    return named


COMPARATORS = {"partition": partition, "micro_batches": micro_batches}
OBJECTIVES = {"linear": linear, "logistic": logistic}
DIAGNOSES = {"partition": batch_families}

_RNG = ("draw every random number from the Generator passed as rng (rng.permutation), "
        "never from np.random or a Generator of your own")
#: How the comparators above fail, in the gradebook's fixed words (and the
#: diagnosis's failure kind where one fits), by how their messages start.
FAILURES = {
    "partition": [
        Failure("not deterministic", "not deterministic", "kind: not deterministic",
                "not deterministic", "the same inputs must give the same result: draw only "
                "from the Generator passed as rng"),
        Failure("ignores its rng", "ignores its rng argument", "kind: ignores rng",
                "ignores its rng argument", _RNG),
        Failure("consecutive epochs gave the same order", "the same order every epoch",
                "kind: ignores rng", "ignores its rng argument",
                "draw from the Generator passed as rng, so that each epoch continues its stream"),
        Failure("batch sizes ", "wrong batch sizes"),
        Failure("the batches must", "the batches do not split the rows as asked"),
        Failure("with shuffle=False", "rows out of order with shuffle=False"),
        Failure("with shuffle=True", "rows not shuffled"),
        Failure("expected a list of index arrays", "wrong type of result"),
        Failure("each batch must be", "wrong type of result"),
        Failure("", "wrong batches"),
    ],
    "micro_batches": [
        Failure("grad_fn was given", "gave grad_fn too many rows at once",
                "kind: ignores micro_batch_size", "ignores micro_batch_size",
                "pass grad_fn at most micro_batch_size rows per call and combine the results"),
        Failure("no call of grad_fn", "never called grad_fn"),
    ],
}
