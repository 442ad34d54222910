"""Verdicts: a student's raw outputs against the expected ones, under a tolerance.

Each comparator takes (got, want, program, **params), where got and want
are results of ``programs.run``, and returns a ``Verdict``. Comparators are
named so a check can be stored as data (the students' self-check reads the
same names). Diagnosis uses the same comparators against the outputs of
catalogued mistakes. The generic ones are here; an assignment names its own
in its ``harness.py`` (see ``extension``), which may build on ``Verdict``, the
generic comparators and the helpers ``numeric``, ``same``, ``show`` and
``show_kind``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import extension


#: allclose's tolerances when a check names none: the declarations
#: (``grader.checks.spec``) and the diagnosis use these too.
RTOL, ATOL = 1e-6, 1e-12


@dataclass
class Verdict:
    passed: bool
    rel_err: float | None = None   # max |got - want| / max |want|, where numeric
    message: str = ""


def allclose(got, want, program, rtol=RTOL, atol=ATOL, dtype=False, inputs_unchanged=False):
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
                                        f"got {show_kind(got)}")
        worst = Verdict(True, 0.0)
        for i, (g, w) in enumerate(zip(got, want)):
            v = _close(g, w, f"{where}[{i}]", rtol, atol, dtype)
            if not v.passed:
                return v
            worst.rel_err = max(worst.rel_err, v.rel_err or 0.0)
        return worst
    if not numeric(got):
        return Verdict(False, None, f"{where}: expected a numeric array, got {show_kind(got)}")
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
    if same(got["out"], want["out"]):
        return Verdict(True, 0.0)
    return Verdict(False, None, f"expected {show(want['out'])}, got {show(got['out'])}")


def raises(got, want, program, exc_type="ValueError"):
    """The call must raise exc_type (e.g. ValueError for an invalid batch size)."""
    if got.get("ok"):
        return Verdict(False, None, f"expected {exc_type} to be raised, but it returned "
                                    f"{show(got['out'])}")
    if got.get("exc_type") != exc_type:
        return Verdict(False, None, f"expected {exc_type}, got {got.get('error')}")
    return Verdict(True)


COMPARATORS = {"allclose": allclose, "equal": equal, "raises": raises}


def judge(compare: dict, got: dict, want: dict, program: dict, own=None) -> Verdict:
    """Apply the comparator named in ``compare`` ({"kind": ..., **params}): a generic
    one, or one of the assignment's (``own``, an ``Extension``; None: the installed one)."""
    params = {k: v for k, v in compare.items() if k != "kind"}
    return comparator(compare["kind"], own)(got, want, program, **params)


def comparator(kind: str, own=None):
    found = COMPARATORS.get(kind) or extension.current(own).comparators.get(kind)
    if found is None:
        raise ValueError(f"unknown comparator {kind!r}: neither generic ({', '.join(COMPARATORS)}) "
                         "nor in the assignment's harness.py")
    return found


def same_as(compare: dict, results: list, outputs: list, programs: list, own=None) -> bool:
    """True when ``results`` match another implementation's ``outputs`` on every case.

    Used to name a mistake: the comparison ignores dtype,
    which says nothing about which formula was used.
    """
    if compare["kind"] == "allclose":
        compare = dict(compare, dtype=False)
    return all(isinstance(w, dict) and w.get("ok") and judge(compare, g, w, p, own).passed
               for g, w, p in zip(results, outputs, programs))


def _not_ok(got, want):
    if not isinstance(got, dict) or not got.get("ok"):
        error = got.get("error", "failed") if isinstance(got, dict) else "no result"
        return Verdict(False, None, error)
    if not want.get("ok"):
        return Verdict(False, None, "the reference itself failed on this input")
    return None


def numeric(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind in "iufc"


def same(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if numeric(a) and numeric(b):
        return np.shape(a) == np.shape(b) and bool(np.all(np.asarray(a) == np.asarray(b)))
    if isinstance(a, np.ndarray):  # e.g. booleans: == is element-wise, not one truth value
        return type(a) is type(b) and a.dtype == b.dtype and bool(np.array_equal(a, b))
    return type(a) is type(b) and a == b


def show_kind(value) -> str:
    if isinstance(value, dict) and "$object" in value:
        return f"an object of type {value['$object']}"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, list):
        return f"a sequence of {len(value)} values"
    return f"{type(value).__name__} {show(value)}"


def show(value) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= 80 else text[:77] + "..."
