"""The students' self-check: run the public checks on the notebook's own functions.

Shipped in each student bundle as the package ``selfcheck`` together with
``programs``, ``compare`` and ``wire`` and the data file ``public.bin``: the
public checks' inputs, the reference's outputs and the outputs of known
mistakes, all generated from the reference by ``grader assign``. It needs
only numpy; neither the reference nor the hidden checks ship.

Otter's autograder gets the same package with ``all.bin`` instead: every
check, hidden ones included, in the same format. It reads ``all.bin`` when
present, else ``public.bin``.

    check("adam_update")   # the public checks of one function
    check_all()            # every function
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import time

from . import compare, programs, wire

_HERE = os.path.dirname(os.path.abspath(__file__))
_DATA = next((path for path in (os.path.join(_HERE, "all.bin"), os.path.join(_HERE, "public.bin"))
              if os.path.exists(path)), os.path.join(_HERE, "public.bin"))
_checks = None


def _load():
    global _checks
    if _checks is None:
        with open(_DATA, "rb") as f:
            _checks = wire.decode(f.read())["checks"]
    return _checks


def _results(entry, namespace):
    return [programs.run(p, namespace) for p in entry["programs"]]


def _verdicts(entry, results):
    return [compare.judge(entry["compare"], got, want, program)
            for got, want, program in zip(results, entry["expected"], entry["programs"])]


def _diagnose(entry, results):
    return [m for m in entry["mistakes"]
            if compare.same_as(entry["compare"], results, m["outputs"], entry["programs"])]


def check(function: str, namespace: dict | None = None) -> bool:
    """Run the public checks of ``function``; print one line per check. True if all pass."""
    namespace = namespace if namespace is not None else sys._getframe(1).f_globals
    entries = [e for e in _load() if e["function"] == function]
    if not entries:
        print(f"no public checks for {function!r}")
        return False
    start, ok = time.perf_counter(), True
    for entry in entries:
        results = _results(entry, namespace)
        if any(r.get("exc_type") == "NotImplementedError" for r in results):
            print(f"{function}: not implemented yet")
            return False
        verdicts = _verdicts(entry, results)
        failed = [v for v in verdicts if not v.passed]
        rels = [v.rel_err for v in verdicts if v.rel_err is not None]
        rel = f" (relative error {max(rels):.1e})" if rels else ""
        print(f"{'passed' if not failed else 'FAILED'}: {entry['name']}{rel}")
        if failed:
            ok = False
            print(f"    {failed[0].message}")
            for m in _diagnose(entry, results):
                print(f"    looks like: {m['name']}. Hint: {m['hint']}")
    ms = 1000 * (time.perf_counter() - start)
    if _DATA.endswith("all.bin"):
        print(f"({ms:.0f} ms) Public and hidden checks.")
    else:
        print(f"({ms:.0f} ms) Public checks only: hidden checks at grading use other inputs "
              "and may still fail.")
    return ok


def check_all(namespace: dict | None = None) -> bool:
    namespace = namespace if namespace is not None else sys._getframe(1).f_globals
    functions = list(dict.fromkeys(e["function"] for e in _load()))
    return all([check(f, namespace) for f in functions])


def passes(name: str, namespace: dict | None = None) -> bool:
    """True when the check called ``name`` passes (used by otter-format test cells).

    What the student's functions print is discarded: otter's tests are doctests, which
    would fail a correct function for a debug ``print``; our grader ignores it too.
    """
    namespace = namespace if namespace is not None else sys._getframe(1).f_globals
    entry = next(e for e in _load() if e["name"] == name)
    with contextlib.redirect_stdout(io.StringIO()):
        results = _results(entry, namespace)
    return all(v.passed for v in _verdicts(entry, results))
