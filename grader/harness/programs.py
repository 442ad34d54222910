"""Run a check's program against a namespace of functions, returning plain data.

A program is plain data (see ``wire``) naming a function and its inputs. The
same program runs against the student's namespace (in the student's
process), the reference and each catalogued mistake (in the grader's
process) and, for public checks, the student's notebook (the self-check).
Only the outputs are compared, and never here: this module only runs.

Programs:
    {"op": "call", "fn": name, "args": [...], "kwargs": {...}, "repeat": 1,
     "sealed": False}
        calls fn; "out" is the return value (a list of them with repeat > 1,
        the arguments shared between the calls, e.g. one Generator); with
        sealed, the array arguments are read-only (in the grading sandbox,
        memory nobody can write, see ``seal``), so an in-place write raises
        inside the call and the error names the argument; with probe_rng,
        "rng_probe" holds the outputs for the same {"$rng"} seed twice under one
        global numpy state, once under another, and for the next seed.
    {"op": "trajectory", "fn": name, "theta0": array, "objective": {...},
     "rule": {"state": [names], "takes_t": bool, "takes_grad_fn": bool},
     "hyper": {...}, "steps": n}
        runs fn as an optimiser for n steps, called as the update rule's
        declaration says (``reference.optimizers.Rule``, sent as plain data):
        fn(theta, g or the gradient function, *state, [t], **hyper), its
        state starting at zeros and its own state passed back in; "out" is
        the path of theta, shape (n + 1, *theta0.shape).

Special argument values: {"$rng": seed} is a numpy Generator,
{"$objective": {"kind": name, **data}} a gradient function, made from data by
the assignment's objective ``name`` (see ``objective`` and ``extension``). An
objective marked "remote" is answered by the grader when ``run`` is given
``remote`` (a function of theta, X, y): its data never reach the student's
process.
"""
from __future__ import annotations

import inspect
import mmap
import os

import numpy as np

from . import extension


def run(program: dict, namespace: dict, remote=None, own=None) -> dict:
    """Run one program; never raises for anything the called code does. ``own``:
    the assignment's ``Extension`` (its objectives), None for the installed one."""
    fn = namespace.get(program.get("fn"))
    if not callable(fn):
        return {"ok": False, "error": f"{program.get('fn')} is not defined (or not a function)",
                "exc_type": "Missing"}
    runner = {"call": _call, "trajectory": _trajectory}[program["op"]]
    try:
        return runner(fn, program, remote, own=own)
    except Exception as exc:  # the student's code may raise anything
        if program.get("sealed") and _is_write_to_readonly(exc):
            return _modified(fn, program, exc, own)
        return {"ok": False, "error": _describe(exc), "exc_type": type(exc).__name__}


def _call(fn, program, remote=None, only=None, own=None):
    """``only``: the one argument kept read-only (others writable copies)."""
    log: list = []
    sealed = program.get("sealed", False)
    args = [_materialise(a, log, remote, sealed and only in (None, i), own)
            for i, a in enumerate(program.get("args", []))]
    kwargs = {k: _materialise(v, log, remote, sealed and only is None, own)
              for k, v in program.get("kwargs", {}).items()}
    outs = [plain(fn(*args, **kwargs)) for _ in range(program.get("repeat", 1))]
    result = {"ok": True, "out": outs[0] if len(outs) == 1 else outs, "grad_rows": log}
    if program.get("probe_rng"):
        result["rng_probe"] = _rng_probe(fn, program, own)
    return result


def _rng_probe(fn, program, own=None):
    """The call again: twice with the same seed and global numpy state, then under another
    global state, then with the next seed. A function that honours its Generator returns
    the same result three times, then another."""
    saved = np.random.get_state()
    try:
        outs = []
        for shift, global_seed in ((0, 12345), (0, 12345), (0, 54321), (1, 12345)):
            np.random.seed(global_seed)
            again = dict(program, probe_rng=False, repeat=1,
                         args=_reseeded(program.get("args", []), shift),
                         kwargs=_reseeded(program.get("kwargs", {}), shift))
            outs.append(_call(fn, again, own=own)["out"])
        return outs
    finally:
        np.random.set_state(saved)


def _reseeded(value, shift):
    if isinstance(value, dict) and "$rng" in value:
        return {"$rng": value["$rng"] + shift}
    if isinstance(value, dict):
        return {k: _reseeded(v, shift) for k, v in value.items()}
    if isinstance(value, list):
        return [_reseeded(v, shift) for v in value]
    return value


def _is_write_to_readonly(exc) -> bool:
    return isinstance(exc, ValueError) and "read-only" in str(exc)


def _modified(fn, program, exc, own=None) -> dict:
    """A write into a sealed argument: which one, found by running again with
    one array argument at a time read-only (this shapes the message only)."""
    names = _parameter_names(fn)
    arrays = [i for i, a in enumerate(program.get("args", [])) if isinstance(a, np.ndarray)]
    culprits = []
    for i in arrays:
        try:
            _call(fn, program, None, only=i, own=own)
        except Exception as again:
            if _is_write_to_readonly(again):
                culprits.append(i)
    shown = " and ".join(repr(names[i]) if i < len(names) else f"argument {i + 1}"
                      for i in culprits) or "an input argument"
    return {"ok": False, "exc_type": "ModifiedInput",
            "error": f"modified its input {shown} in place ({_describe(exc)}); "
                     "return a new array instead"}


def _parameter_names(fn) -> list:
    try:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _trajectory(fn, program, remote=None, own=None):
    grad, rule = objective(program["objective"], own), program["rule"]
    theta = np.array(program["theta0"])
    state = [np.zeros_like(theta) for _ in rule["state"]]
    hyper, shape = program.get("hyper", {}), theta.shape
    path = [theta]
    for t in range(1, program["steps"] + 1):
        first = grad if rule["takes_grad_fn"] else grad(theta)
        out = fn(theta, first, *state, *([t] if rule["takes_t"] else []), **hyper)
        if state:
            if not isinstance(out, (tuple, list)) or len(out) != 1 + len(state):
                raise TypeError(f"step {t}: expected a tuple of {1 + len(state)} arrays, "
                                f"got {_kind(out)}")
            theta, state = np.asarray(out[0]), [np.asarray(s) for s in out[1:]]
        else:
            theta = np.asarray(out)
        if theta.shape != shape:
            raise ValueError(f"step {t}: theta came back with shape {theta.shape}, "
                             f"expected {shape}")
        path.append(theta)
    return {"ok": True, "out": plain(np.array(path))}


def objective(spec: dict, own=None):
    """A gradient function from plain data {"kind": name, **data}: the assignment's
    objective ``name`` (``own``, an ``Extension``; None: the installed one) made
    from ``data``."""
    factory = extension.current(own).objectives.get(spec["kind"])
    if factory is None:
        raise ValueError(f"unknown objective {spec['kind']!r}: not in the assignment's harness.py")
    return factory(**{k: v for k, v in spec.items() if k not in ("kind", "remote")})


def _materialise(value, log, remote=None, sealed=False, own=None):
    """Turn special argument values into live objects; copy arrays (sealed:
    pass them read-only)."""
    if isinstance(value, dict) and "$rng" in value:
        return np.random.default_rng(value["$rng"])
    if isinstance(value, dict) and "$objective" in value:
        if value["$objective"].get("remote") and remote is not None:
            return _proxy(remote)
        grad = objective(value["$objective"], own)

        def recorded(*args, **kwargs):
            # Rows seen per call (data objectives) or the point asked for (of theta alone).
            X = args[1] if len(args) > 1 else kwargs.get("X")
            log.append(len(X) if X is not None else np.array(args[0], dtype=float))
            return grad(*args, **kwargs)
        return recorded
    if isinstance(value, np.ndarray):
        if sealed and not value.flags.writeable:
            return value  # sealed memory already (see ``seal``)
        copy = value.copy()
        copy.flags.writeable = not sealed
        return copy
    if isinstance(value, list):
        return [_materialise(v, log, remote, sealed, own) for v in value]
    return value


def _proxy(remote):
    """grad_fn whose every call the grader answers: it sees the rows itself."""
    def grad_fn(theta, X, y):
        return remote(np.asarray(theta, dtype=np.float64), np.asarray(X, dtype=np.float64),
                      np.asarray(y, dtype=np.float64))
    return grad_fn


def seal(plan: list) -> None:
    """Put the array arguments of sealed programs in memory nobody can write.

    One memfd holds them all, sealed against writing, growing and shrinking
    and then mapped read-only through a read-only descriptor: a write through
    numpy raises, one through native code faults, and no descriptor or
    mapping can be made writable. Done before any student code runs.
    (Without memfd, not Linux: read-only copies, which a notebook can unlock.)
    """
    packed = pack(plan)
    if packed is None:
        return
    fd, size, places = packed
    try:
        memory = attach(f"/proc/self/fd/{fd}", size)
    finally:
        os.close(fd)
    for args, i, offset, dtype, shape in places:
        args[i] = view(memory, offset, dtype, shape)


def pack(plan: list):
    """The sealed programs' arrays in one sealed memfd: (fd, size, [(args, i,
    offset, dtype, shape)]), or None when there are none."""
    arrays = [(program["args"], i, a) for _, program in plan if program.get("sealed")
              for i, a in enumerate(program.get("args", [])) if isinstance(a, np.ndarray)]
    if not arrays:
        return None
    if not hasattr(os, "memfd_create"):
        for args, i, a in arrays:
            args[i] = a.copy()
            args[i].flags.writeable = False
        return None
    places, size = [], 0
    for args, i, a in arrays:
        places.append((args, i, size, a.dtype.str, list(a.shape)))
        size += -(-max(a.nbytes, 1) // 64) * 64  # each array aligned
    fd = os.memfd_create("sealed-inputs", os.MFD_ALLOW_SEALING | os.MFD_CLOEXEC)
    for (_, _, a), (_, _, offset, _, _) in zip(arrays, places):
        os.pwrite(fd, np.ascontiguousarray(a).tobytes(), offset)
    os.ftruncate(fd, size)
    import fcntl  # here: the self-check ships this module to systems without it
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK
                | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    return fd, size, places


def attach(path: str, size: int) -> mmap.mmap:
    """A sealed memfd (by its /proc path), mapped shared and read-only."""
    reader = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return mmap.mmap(reader, size, access=mmap.ACCESS_READ)
    finally:
        os.close(reader)


def view(memory, offset: int, dtype: str, shape: list) -> np.ndarray:
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    return np.frombuffer(memory, dtype=dtype, count=count, offset=offset).reshape(shape)


def plain(value, depth: int = 0):
    """The student's return value as plain data; anything else is described, not sent."""
    if depth > 4:
        return {"$object": "nested too deeply"}
    if isinstance(value, np.ndarray) and type(value) is np.ndarray and value.dtype != object:
        return value.copy()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value) if abs(int(value)) < 2 ** 53 else float(value)
    if isinstance(value, (float, np.floating)):
        return np.asarray(value) if isinstance(value, np.floating) else float(value)
    if isinstance(value, (tuple, list)):
        return [plain(v, depth + 1) for v in value[:10_000]]
    if value is None or isinstance(value, str):
        return value if value is None else value[:200]
    return {"$object": _kind(value)}


def _kind(value) -> str:
    if isinstance(value, np.ndarray):
        return f"{type(value).__name__} of dtype {value.dtype}"
    return type(value).__name__


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."
