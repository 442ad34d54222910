"""What went wrong in a failed check, said about the student's code.

Shared by the grader and the students' self-check (shipped as ``explain``
beside ``compare``), so both give the same diagnosis. Its inputs are plain
data: the check's comparator and programs, the reference's outputs, the
student's outputs, and the outputs of the mistake families on the same
programs (computed by the grader; the self-check gets them precomputed, never
their code). The diagnosis is a list of entries ``{"id", "name", "hint",
"kind"}``, in this order:

1. the failure kind, said plainly (wrong dtype, shape, NaN, raised X, modified
   its input, not deterministic, ignores an argument), when it is not just
   "wrong values";
2. where: which returned value is wrong first (named as in the signature), or
   for a trajectory the step where the paths part and how the error evolves;
3. the families that reproduce the student's outputs on every case of the
   check. None is searched when the values are right and something simpler
   (dtype, a modified input, rows per call) failed the check; when several
   fit, all are named, unless ``verdict.agree`` finds, over all the function's
   failed checks, the ones every check names.

No entry quotes a value computed from the check's inputs, so the text is safe
for hidden checks.
"""
from __future__ import annotations

import builtins
import re

import numpy as np

try:  # in the students' selfcheck package
    from . import compare, extension
except ImportError:
    from grader.harness import compare, extension

_BUILTIN_ERRORS = frozenset(name for name, value in vars(builtins).items()
                            if isinstance(value, type) and issubclass(value, BaseException))
# (pattern in the comparator's message, id, name, hint): the failure kinds.
KINDS = (
    (r"modified its input", "kind: modified input", "modified its input in place",
     "work on new arrays (x = x - ..., not x -= ...): the caller's arrays must not change"),
    (r"contains NaN|differs in its NaNs", "kind: NaN", "NaN or infinity in the result",
     "look for a division by zero, a power of a wrong t, or a square root of a negative number"),
    (r"expected dtype|integer row indices", "kind: dtype", "wrong dtype",
     "keep the inputs' dtype: float32 in, float32 out (integer indices for batches)"),
    (r"expected shape|came back with shape", "kind: shape", "wrong shape",
     "return arrays of the same shape as theta"),
    (r"expected a numeric array|expected a tuple|expected a list|tuple of \d+ arrays",
     "kind: type", "wrong type of result",
     "return what the docstring says: an array, or a tuple with one array per returned value"),
)


def diagnose(compare_spec: dict, programs: list, expected: list, results: list,
             families: list, returns: tuple = (), own=None,
             verdicts: list | None = None) -> list:
    """The diagnosis of a failed check (see the module's docstring).

    ``families``: [{"id", "name", "hint", "outputs": [result per program]}];
    ``returns``: the names of the function's returned values, e.g. ("theta", "v");
    ``own``: the assignment's ``Extension`` (None: the installed one), whose
    DIAGNOSES may name the families of a comparator of its own;
    ``verdicts``: the comparator's verdict of each case, when already judged.
    """
    if verdicts is None:
        verdicts = [compare.judge(compare_spec, g, w, p, own)
                    for g, w, p in zip(results, expected, programs)]
    failed = [k for k, v in enumerate(verdicts) if not v.passed]
    if not failed:
        return []
    k = failed[0]
    own_failures = extension.current(own).failures.get(compare_spec["kind"], ())
    out = [entry for entry in [_kind(verdicts[k], results[k], own_failures)] if entry]
    if (structural := extension.current(own).diagnoses.get(compare_spec["kind"])):
        return out + structural(programs, results, verdicts)
    if _values_right(compare_spec, results, expected, programs, own):
        return out  # the values are right: the kind above is the whole story
    if (where := _where(results[k], expected[k], programs[k], compare_spec, returns)):
        out.append(where)
    named = _fitting(compare_spec, results, families, programs, own)
    if not named and (scaled := _scaled_step(results, expected, programs, compare_spec)):
        named = [scaled]
    return out + named


def named_message(message: str, returns: tuple, program: dict | None = None) -> str:
    """The comparator's message with ``result[i]`` named as the signature names it, and a
    whole result named as the function's one returned value or as a trajectory's path."""
    if program and program.get("op") == "trajectory":
        return re.sub(r"^result:", f"the path of {returns[0] if returns else 'theta'}:", message)
    if len(returns) == 1:
        return re.sub(r"^result:", f"{returns[0]}:", message)
    return re.sub(r"result\[(\d+)\]", lambda m: returns[int(m.group(1))]
                  if int(m.group(1)) < len(returns) else m.group(0), message)


# -- failure kinds ---------------------------------------------------------------

def _kind(verdict, got, own_failures=()):
    if isinstance(got, dict) and not got.get("ok", False):
        exc = got.get("exc_type", "an error")
        if exc == "Missing":
            return {"id": "kind: missing", "name": "function not defined", "kind": "failure",
                    "hint": "define the function with the name and signature of the template"}
        if exc == "ModifiedInput":  # a write into a sealed input (``programs.seal``)
            _, kind_id, name, hint = KINDS[0]
            return {"id": kind_id, "name": name, "hint": hint, "kind": "failure"}
        if exc == "Timeout":
            return {"id": "kind: timeout", "name": "timed out", "kind": "failure",
                    "hint": "look for a loop that does not end, or work that grows with the data"}
        # Only a built-in exception is named: a class the notebook made could be
        # named after anything, the graded inputs included.
        exc = exc if exc in _BUILTIN_ERRORS else "an exception"
        return {"id": f"kind: raised {exc}", "name": f"raised {exc}", "kind": "failure",
                "hint": "run the function on the public check's inputs and read the traceback"}
    for f in own_failures:  # the assignment's words for its own comparator
        if f.kind and f.start and verdict.message.startswith(f.start):
            return {"id": f.kind, "name": f.name, "hint": f.hint, "kind": "failure"}
    for pattern, kind_id, name, hint in KINDS:
        if re.search(pattern, verdict.message):
            return {"id": kind_id, "name": name, "hint": hint, "kind": "failure"}
    return None


def _values_right(compare_spec, results, expected, programs, own=None):
    """The student's values pass the check's tolerance once dtype, inputs and rows are set aside."""
    relaxed = _relaxed(compare_spec)
    return all(isinstance(g, dict) and g.get("ok") and compare.judge(relaxed, g, w, p, own).passed
               for g, w, p in zip(results, expected, programs))


def _relaxed(compare_spec):
    """A comparator with a tolerance, as plain allclose under that tolerance."""
    if "rtol" in compare_spec:
        return {"kind": "allclose", "rtol": compare_spec.get("rtol", compare.RTOL),
                "atol": compare_spec.get("atol", compare.ATOL)}
    return compare_spec


# -- families fitted by their outputs ---------------------------------------------

def reproduces(compare_spec, results, outputs, programs, own=None) -> bool:
    """True when the outputs equal the student's on every case: the same values within
    the check's tolerance (dtype and inputs aside), or the same exception type."""
    relaxed = _relaxed(compare_spec)
    for got, want, program in zip(results, outputs, programs):
        if not (isinstance(got, dict) and isinstance(want, dict)):
            return False
        if not got.get("ok") or not want.get("ok"):
            if got.get("ok") or want.get("ok") or got.get("exc_type") != want.get("exc_type"):
                return False
        elif relaxed["kind"] in ("raises", "equal"):
            if not compare.equal(got, want, program).passed:
                return False
        elif not compare.judge(relaxed, got, want, program, own).passed:
            return False
    return True


def _fitting(compare_spec, results, families, programs, own=None):
    named, seen = [], set()
    for family in families:
        fid = family.get("id") or family["name"]
        if fid in seen:
            continue
        if reproduces(compare_spec, results, family["outputs"], programs, own):
            seen.add(fid)
            named.append({"id": fid, "name": family["name"], "hint": family["hint"],
                          "kind": "family"})
    return named


def _scaled_step(results, expected, programs, compare_spec):
    """Single steps whose theta moves the right way by a constant wrong factor."""
    ratios = []
    for got, want, program in zip(results, expected, programs):
        if program.get("op") != "call" or not (got.get("ok") and want.get("ok")) \
                or not program.get("args"):
            return None
        theta0, g, w = program["args"][0], got["out"], want["out"]
        if isinstance(g, list) != isinstance(w, list) or (
                isinstance(w, list) and (len(g) != len(w) or not _states_right(got, want, compare_spec))):
            return None
        g, w = _first(g), _first(w)
        if not all(isinstance(x, np.ndarray) for x in (theta0, g, w)) or g.shape != w.shape:
            return None
        d_got = (g.astype(float) - theta0).ravel()
        d_want = (w.astype(float) - theta0).ravel()
        norm = float(d_want @ d_want)
        if norm == 0:
            continue
        c = float(d_got @ d_want) / norm
        if np.max(np.abs(d_got - c * d_want)) > 1e-6 * max(np.max(np.abs(d_want)), 1e-300):
            return None
        ratios.append(c)
    if not ratios or abs(ratios[0] - 1) < 1e-6 or any(
            abs(c - ratios[0]) > 1e-6 * abs(ratios[0]) for c in ratios):
        return None
    return {"id": "lr scaled", "kind": "family",
            "name": f"every step is {ratios[0]:.3g} times the right length",
            "hint": "the direction is right: look for a constant factor in the step "
                    "(a 0.5, a missing or extra lr, a wrong constant)"}


def _first(out):
    return out[0] if isinstance(out, list) and out else out


def _states_right(got, want, compare_spec):
    rel = _relaxed(compare_spec)
    return all(compare.numeric(g) and compare._close(g, w, "", rel["rtol"], rel["atol"], False).passed
               for g, w in zip(got["out"][1:], want["out"][1:]))


# -- where: which returned value, which step ------------------------------------

def _where(got, want, program, compare_spec, returns):
    if not (isinstance(got, dict) and got.get("ok") and want.get("ok")):
        return None
    rel = _relaxed(compare_spec)
    if program.get("op") == "trajectory":
        if not (isinstance(got["out"], np.ndarray) and got["out"].dtype.kind in "biufc"):
            return None  # the harness sends a path as one array of numbers
        return _where_path(got["out"], np.asarray(want["out"]), rel)
    g, w = got["out"], want["out"]
    if not (isinstance(g, list) and isinstance(w, list) and len(g) == len(w) > 1):
        return None
    names = list(returns) if len(returns) == len(w) else [f"result[{i}]" for i in range(len(w))]
    wrong = [n for n, a, b in zip(names, g, w)
             if not compare._close(a, b, n, rel["rtol"], rel["atol"], False).passed]
    if not wrong:
        return None
    states = [n for n in wrong if n != names[0]]
    if states and names[0] in wrong:
        text = (f"your {_and(states)} {'is' if len(states) == 1 else 'are'} wrong after one step; "
                f"{names[0]} follows from {'it' if len(states) == 1 else 'them'}")
        hint = f"fix the update of {_and(states)} first"
    elif states:
        text = f"{names[0]} is right but your {_and(states)} {'is' if len(states) == 1 else 'are'} wrong"
        hint = f"the step is right: look at how {_and(states)} is computed or returned"
    else:
        text = f"your {names[0]} is wrong while {_and(names[1:])} {'is' if len(names) == 2 else 'are'} right"
        hint = f"the state update is right: look at the step that computes {names[0]}"
    return {"id": "where", "name": text, "hint": hint, "kind": "where"}


def _where_path(g, w, rel):
    if g.shape != w.shape or g.ndim < 1 or len(w) < 2:
        return None
    scale = max(float(np.max(np.abs(w))), 1e-300)
    with np.errstate(invalid="ignore"):
        err = np.max(np.abs(g.astype(float) - w).reshape(len(w), -1), axis=1) / scale
    bad = np.flatnonzero(~(err <= rel["rtol"] + rel["atol"] / scale))
    if not len(bad):
        return None
    t = int(bad[0])
    first, last = err[t], err[-1]
    if not np.isfinite(last):
        trend = "it turns into NaN or infinity"
    elif last > 10 * first:
        trend = "the error grows with t"
    elif last < 0.1 * first:
        trend = "the error fades with t"
    else:
        trend = "the error stays about the same"
    text = f"the path parts from the right one at step {t}" + \
           (" (the first step)" if t == 1 else "") + f"; {trend}"
    hint = ("the first step is already wrong: make the single-step checks pass first" if t == 1
            else "the first steps are right: look at what changes with t or with the state "
                 "carried from step to step")
    return {"id": "where", "name": text, "hint": hint, "kind": "where"}


def _and(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
