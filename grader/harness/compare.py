"""Verdicts: a student's raw outputs against the expected ones, under a tolerance.

Each comparator takes (got, want, program, **params), where got and want
are results of ``programs.run``, and returns a ``Verdict``. Comparators are
named so a check can be stored as data (the students' self-check reads the
same names). Diagnosis uses the same comparators against the outputs of
catalogued mistakes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Verdict:
    passed: bool
    rel_err: float | None = None   # max |got - want| / max |want|, where numeric
    message: str = ""


def allclose(got, want, program, rtol=1e-6, atol=0.0, dtype=False, inputs_unchanged=False):
    """Numbers equal within rtol/atol, element by element, in the same structure.

    inputs_unchanged: the program passed its arrays sealed (see
    ``programs.seal``), so a write into one failed inside the call itself.
    """
    if (failed := _not_ok(got, want)) is not None:
        return failed
    return _close(got["out"], want["out"], "result", rtol, atol, dtype)


def _close(got, want, where, rtol, atol, dtype):
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return Verdict(False, None, f"{where}: expected a tuple of {len(want)} values, "
                                        f"got {_show_kind(got)}")
        worst = Verdict(True, 0.0)
        for i, (g, w) in enumerate(zip(got, want)):
            v = _close(g, w, f"{where}[{i}]", rtol, atol, dtype)
            if not v.passed:
                return v
            worst.rel_err = max(worst.rel_err, v.rel_err or 0.0)
        return worst
    if not _numeric(got):
        return Verdict(False, None, f"{where}: expected a numeric array, got {_show_kind(got)}")
    g, w = np.asarray(got), np.asarray(want)
    if g.shape != w.shape:
        return Verdict(False, None, f"{where}: expected shape {w.shape}, got shape {g.shape}")
    if dtype and g.dtype != w.dtype:
        return Verdict(False, None, f"{where}: expected dtype {w.dtype}, got dtype {g.dtype}")
    if g.dtype == w.dtype and g.tobytes() == w.tobytes():
        return Verdict(True, 0.0)  # the same numbers bit for bit: the common case, and cheap
    g, w = g.astype(np.float64, copy=False), w.astype(np.float64, copy=False)
    diff = np.abs(g - w)
    if not np.isfinite(diff).all():
        if np.isfinite(w).all():
            return Verdict(False, None, f"{where}: contains NaN or infinity")
        close = np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)  # NaN where expected
        return Verdict(bool(close), None, "" if close else f"{where}: differs in its NaNs or infinities")
    # np.allclose's rule, |got - want| <= atol + rtol * |want|, with the difference computed once.
    size = np.abs(w)
    scale = size.max() if w.size else 0.0
    worst = diff.max() if w.size else 0.0
    rel = float(worst / scale) if scale > 0 else float(worst)
    if (diff <= atol + rtol * size).all():
        return Verdict(True, rel)
    return Verdict(False, rel, f"{where}: relative error {rel:.2e} exceeds rtol {rtol:g}")


def equal(got, want, program):
    """Exactly the expected plain value (sizes, counts)."""
    if (failed := _not_ok(got, want)) is not None:
        return failed
    if _same(got["out"], want["out"]):
        return Verdict(True, 0.0)
    return Verdict(False, None, f"expected {_show(want['out'])}, got {_show(got['out'])}")


def raises(got, want, program, exc_type="ValueError"):
    """The call must raise exc_type (e.g. ValueError for an invalid batch size)."""
    if got.get("ok"):
        return Verdict(False, None, f"expected {exc_type} to be raised, but it returned "
                                    f"{_show(got['out'])}")
    if got.get("exc_type") != exc_type:
        return Verdict(False, None, f"expected {exc_type}, got {got.get('error')}")
    return Verdict(True)


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
    if not _same(probe[0], probe[1]):
        return ("not deterministic: the same rng and the same global random state gave "
                "other batches; draw from the Generator passed as rng, nothing else")
    if not _same(probe[0], probe[2]):
        return ("ignores its rng argument: the same rng gave other batches after numpy's "
                "global random state changed; draw from rng, not from np.random")
    if _same(probe[0], probe[3]):
        return ("ignores its rng argument: a different rng gave the same batches; "
                "shuffle with the Generator passed as rng")
    return None


def _partition_problem(batches, d, b, drop_last, shuffle):
    if not isinstance(batches, list) or not all(_numeric(x) for x in batches):
        return f"expected a list of index arrays, got {_show_kind(batches)}"
    arrays = [np.asarray(x) for x in batches]
    if any(a.ndim != 1 or not np.issubdtype(a.dtype, np.integer) for a in arrays):
        return "each batch must be a 1-d array of integer row indices"
    sizes = [len(a) for a in arrays]
    full, tail = divmod(d, b)
    want_sizes = [b] * full + ([tail] if tail and not drop_last else [])
    if sizes != want_sizes:
        return f"batch sizes {_show(sizes)}, expected {_show(want_sizes)} (d={d}, batch_size={b}, drop_last={drop_last})"
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


COMPARATORS = {"allclose": allclose, "equal": equal, "raises": raises,
               "partition": partition, "micro_batches": micro_batches}


def judge(compare: dict, got: dict, want: dict, program: dict) -> Verdict:
    """Apply the comparator named in ``compare`` ({"kind": ..., **params})."""
    params = {k: v for k, v in compare.items() if k != "kind"}
    return COMPARATORS[compare["kind"]](got, want, program, **params)


def same_as(compare: dict, results: list, outputs: list, programs: list) -> bool:
    """True when ``results`` match another implementation's ``outputs`` on every case.

    Used to name a mistake: the comparison ignores dtype,
    which says nothing about which formula was used.
    """
    if compare["kind"] == "allclose":
        compare = dict(compare, dtype=False)
    return all(isinstance(w, dict) and w.get("ok") and judge(compare, g, w, p).passed
               for g, w, p in zip(results, outputs, programs))


def _not_ok(got, want):
    if not isinstance(got, dict) or not got.get("ok"):
        error = got.get("error", "failed") if isinstance(got, dict) else "no result"
        return Verdict(False, None, error)
    if not want.get("ok"):
        return Verdict(False, None, "the reference itself failed on this input")
    return None


def _numeric(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind in "iufc"


def _same(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if _numeric(a) and _numeric(b):
        return np.shape(a) == np.shape(b) and bool(np.all(np.asarray(a) == np.asarray(b)))
    return type(a) is type(b) and a == b


def _show_kind(value) -> str:
    if isinstance(value, dict) and "$object" in value:
        return f"an object of type {value['$object']}"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, list):
        return f"a sequence of {len(value)} values"
    return f"{type(value).__name__} {_show(value)}"


def _show(value) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= 80 else text[:77] + "..."
