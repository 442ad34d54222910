"""Run a check's program against a namespace of functions, returning plain data.

A program is plain data (see ``wire``) naming a function and its inputs. The
same program runs against the student's namespace (in the student's
process), the reference and each catalogued mistake (in the grader's
process) and, for public checks, the student's notebook (the self-check).
Only the outputs are compared, and never here: this module only runs.

Programs:
    {"op": "call", "fn": name, "args": [...], "kwargs": {...}, "repeat": 1,
     "report_args": False}
        calls fn; "out" is the return value (a list of them with repeat > 1,
        the arguments shared between the calls, e.g. one Generator);
        with report_args, "args_after" holds the array arguments after the call;
        with probe_rng, "rng_probe" holds the outputs for the same {"$rng"} seed
        twice under one global numpy state, once under another, and for the next seed.
    {"op": "trajectory", "fn": name, "theta0": array, "objective": {...},
     "state": {"v": array, ...}, "pass_grad_fn": bool, "with_t": bool,
     "hyper": {...}, "steps": n}
        runs fn as an optimiser for n steps, its own state passed back in;
        "out" is the path of theta, shape (n + 1, *theta0.shape).

Special argument values: {"$rng": seed} is a numpy Generator,
{"$objective": {...}} a gradient function (see ``objective``).
"""
from __future__ import annotations

import numpy as np


def run(program: dict, namespace: dict) -> dict:
    """Run one program; never raises for anything the called code does."""
    fn = namespace.get(program.get("fn"))
    if not callable(fn):
        return {"ok": False, "error": f"{program.get('fn')} is not defined (or not a function)",
                "exc_type": "Missing"}
    runner = {"call": _call, "trajectory": _trajectory}[program["op"]]
    try:
        return runner(fn, program)
    except Exception as exc:  # the student's code may raise anything
        return {"ok": False, "error": _describe(exc), "exc_type": type(exc).__name__}


def _call(fn, program):
    log: list = []
    args = [_materialise(a, log) for a in program.get("args", [])]
    kwargs = {k: _materialise(v, log) for k, v in program.get("kwargs", {}).items()}
    outs = [plain(fn(*args, **kwargs)) for _ in range(program.get("repeat", 1))]
    result = {"ok": True, "out": outs[0] if len(outs) == 1 else outs, "grad_rows": log}
    if program.get("report_args"):  # only checks of unmodified inputs need them back
        result["args_after"] = [plain(a) if isinstance(a, np.ndarray) else None for a in args]
    if program.get("probe_rng"):
        result["rng_probe"] = _rng_probe(fn, program)
    return result


def _rng_probe(fn, program):
    """The call again: twice with the same seed and global numpy state, then under another
    global state, then with the next seed. A function that honours its Generator returns
    the same result three times, then another."""
    saved = np.random.get_state()
    try:
        outs = []
        for shift, global_seed in ((0, 12345), (0, 12345), (0, 54321), (1, 12345)):
            np.random.seed(global_seed)
            again = dict(program, probe_rng=False, report_args=False, repeat=1,
                         args=_reseeded(program.get("args", []), shift),
                         kwargs=_reseeded(program.get("kwargs", {}), shift))
            outs.append(_call(fn, again)["out"])
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


def _trajectory(fn, program):
    grad = objective(program["objective"])
    theta = np.array(program["theta0"])
    state = [np.array(s) for s in program.get("state", {}).values()]
    hyper, shape = program.get("hyper", {}), theta.shape
    pass_grad_fn, with_t = program.get("pass_grad_fn"), program.get("with_t")
    path = [theta]
    for t in range(1, program["steps"] + 1):
        first = grad if pass_grad_fn else grad(theta)
        out = fn(theta, first, *state, t, **hyper) if with_t else fn(theta, first, *state, **hyper)
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


def objective(spec: dict):
    """A gradient function from plain data. Kinds (all means over rows):

    quadratic: grad(theta) = A @ theta - b, theta of any shape (flattened)
    linear:    grad(theta, X, y) = 2 X^T (X theta - y) / n
    logistic:  grad(theta, X, y) = X^T (sigmoid(X theta) - y) / n
    """
    kind = spec["kind"]
    if kind == "quadratic":
        A, b = np.asarray(spec["A"]), np.asarray(spec["b"])
        def grad(point):
            if type(point) is np.ndarray and point.ndim == 1 and point.dtype == A.dtype == np.float64:
                return A @ point - b  # the common case, in a trajectory's every step
            point = np.asarray(point)
            # In the point's dtype, as a float32 model's gradient would be.
            dtype = point.dtype if point.dtype.kind == "f" else np.float64
            return (A @ point.reshape(-1) - b).reshape(point.shape).astype(dtype, copy=False)
        return grad
    if kind == "linear":
        return lambda theta, X, y: 2.0 * X.T @ (X @ theta - y) / len(y)
    if kind == "logistic":
        return lambda theta, X, y: X.T @ (_sigmoid(X @ theta) - y) / len(y)
    raise ValueError(f"unknown objective {kind!r}")


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _materialise(value, log):
    """Turn special argument values into live objects; copy arrays."""
    if isinstance(value, dict) and "$rng" in value:
        return np.random.default_rng(value["$rng"])
    if isinstance(value, dict) and "$objective" in value:
        grad = objective(value["$objective"])

        def recorded(*args, **kwargs):
            # Rows seen per call (data objectives) or the point asked for (quadratic).
            X = args[1] if len(args) > 1 else kwargs.get("X")
            log.append(len(X) if X is not None else np.array(args[0], dtype=float))
            return grad(*args, **kwargs)
        return recorded
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_materialise(v, log) for v in value]
    return value


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
