"""Scored properties are computed where the student's process cannot reach them.

Rows per grad_fn call are counted by the grader, which answers every call
(on an objective the notebook cannot compute without it), and inputs that
must stay unmodified are passed in sealed, read-only memory. Unit tests of
the row-membership check and of the sealed inputs.
"""
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assignments
from grader.checks.expected import prepare
from grader.execute import gradients
from grader.execute.launcher import Launcher
from grader.execute.session import programs_frame
from grader.harness import programs

A6 = assignments.load("a6_batching")
A7 = assignments.load("a7_optimizers")


def remote_case(kind="linear", n=9, p=3, seed=0):
    """A plan of one remote program, as prepare() makes them."""
    rng = np.random.default_rng(seed)
    M, _ = np.linalg.qr(rng.standard_normal((p, p)))
    X, y, theta = rng.standard_normal((n, p)), rng.standard_normal(n), rng.standard_normal(p)
    program = {"op": "call", "fn": "accumulated_gradient",
               "args": [{"$objective": {"kind": kind, "M": M, "remote": True}}, theta, X, y, 2]}
    return [["check", program]], M, X, y, theta


def ask(cases, rows, X, y, theta, case=0, finished=()):
    return gradients.answer(cases, {"event": "grad", "case": case, "theta": theta, "X": X, "y": y},
                            rows, set(finished))


# -- rows per call: answered and counted by the grader --------------------------------

@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_selection_of_genuine_rows_is_answered_and_counted(data):
    plan, M, X, y, theta = remote_case(kind=data.draw(st.sampled_from(["linear", "logistic"])))
    picks = data.draw(st.lists(st.integers(0, len(X) - 1), min_size=1, max_size=len(X)))
    cases, rows = gradients.Cases(plan, A6.extension), {}
    reply = ask(cases, rows, X[picks], y[picks], theta)
    want = programs.objective({"kind": plan[0][1]["args"][0]["$objective"]["kind"], "M": M},
                              A6.extension)
    np.testing.assert_allclose(reply["grad"], want(theta, X[picks], y[picks]))
    assert rows == {0: [len(picks)]}


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_row_that_is_not_genuine_is_refused_but_counted(data):
    plan, M, X, y, theta = remote_case()
    picks = data.draw(st.lists(st.integers(0, len(X) - 1), min_size=1, max_size=len(X)))
    Xs, ys = X[picks].copy(), y[picks].copy()
    i = data.draw(st.integers(0, len(picks) - 1))
    how = data.draw(st.sampled_from(["scale", "column", "pair", "mean"]))
    if how == "scale":
        Xs[i] *= data.draw(st.sampled_from([2.0, -1.0, 1.0 + 1e-15]))
    elif how == "column":
        Xs[i, data.draw(st.integers(0, X.shape[1] - 1))] += 1e-9
    elif how == "pair":  # a genuine X row with another row's y
        ys[i] = y[(picks[i] + 1) % len(y)]
    else:  # one row standing for all of them
        Xs[i], ys[i] = X.mean(axis=0), y.mean()
    rows = {}
    reply = ask(gradients.Cases(plan, A6.extension), rows, Xs, ys, theta)
    assert "grad" not in reply and "not rows of X and y" in reply["error"]
    assert rows == {0: [len(picks)]}


def test_malformed_or_misplaced_requests_are_refused_without_a_gradient():
    plan, M, X, y, theta = remote_case()
    cases = gradients.Cases(plan, A6.extension)
    bad = [dict(X=X.astype(np.float32)), dict(X=X[:, :2]), dict(y=y[:3]), dict(theta=theta[:2]),
           dict(X=X[:0], y=y[:0]), dict(theta=np.full(3, np.nan)), dict(X=X.tolist()),
           dict(X=np.vstack([X, X]), y=np.concatenate([y, y])),  # more rows than the data
           dict(case=1), dict(case="0"), dict(case=True), dict(finished=[0])]
    for change in bad:
        message = {"X": X, "y": y, "theta": theta, "case": 0, **change}
        reply = ask(cases, {}, message["X"], message["y"], message["theta"], message["case"],
                    change.get("finished", ()))
        assert set(reply) == {"error"}, change


def test_calls_per_case_are_capped(monkeypatch):
    plan, M, X, y, theta = remote_case()
    monkeypatch.setattr(gradients, "MAX_CALLS", 3)
    cases, rows = gradients.Cases(plan, A6.extension), {}
    replies = [ask(cases, rows, X[:1], y[:1], theta) for _ in range(4)]
    assert ["grad" in r for r in replies] == [True, True, True, False]
    assert rows == {0: [1, 1, 1]}


def test_the_secret_never_reaches_the_students_frame():
    prepared = prepare(A6)
    plan = [[prep.check.name, p] for prep in prepared for p in prep.programs]
    secrets = [gradients.remote_spec(p)["M"] for _, p in plan if gradients.remote_spec(p)]
    assert len(secrets) >= 20  # every accumulation check and the micro-batched epochs
    frame = programs_frame(plan)
    assert not any(M.tobytes() in frame for M in secrets)
    # ... while the grader's own plan keeps it, for the expected outputs and the answers.
    assert all("M" in gradients.remote_spec(p) for _, p in plan if gradients.remote_spec(p))


def test_a_launcher_encodes_a_classs_programs_once():
    """The frame is made once per class, not per submission; another list is
    encoded again (it may differ), with the same result when equal."""
    plan = [[prep.check.name, p] for prep in prepare(A6) for p in prep.programs]
    launcher, encoded = Launcher(), []

    def encode(programs, code):
        encoded.append(programs)
        return programs_frame(programs, code)
    first = launcher.programs_frame(plan, "", encode)
    assert launcher.programs_frame(plan, "", encode) is first and encoded == [plan]
    assert launcher.programs_frame(list(plan), "", encode) == first and len(encoded) == 2
    assert launcher.programs_frame(plan, "X = 1", encode) != first  # another assignment's code


def test_micro_batches_judges_only_the_rows_it_is_given():
    program = {"op": "call", "fn": "train_epoch", "args": [], "kwargs": {"micro_batch_size": 3}}
    want = {"ok": True, "out": np.ones(2)}
    micro_batches = A6.extension.comparators["micro_batches"]
    judge = lambda rows: micro_batches({"ok": True, "out": np.ones(2), "grad_rows": rows},
                                       want, program)
    assert judge([3, 3, 1]).passed
    assert not judge([4, 3]).passed and "4 rows" in judge([4, 3]).message
    assert not judge([]).passed and not judge(None).passed and not judge([1.0]).passed
    assert not micro_batches({"ok": True, "out": np.ones(2), "grad_rows": [2]}, want,
                             program, max_rows=1).passed


# -- inputs not modified: sealed, read-only memory -------------------------------------

def sealed_plan():
    a, b = np.arange(6.0), np.ones(6, dtype=np.float32)
    plan = [["c", {"op": "call", "fn": "f", "args": [a.copy(), b.copy(), 0.5], "sealed": True}],
            ["d", {"op": "call", "fn": "f", "args": [a.copy(), b.copy(), 0.5]}]]
    programs.seal(plan)
    return plan, a, b


def test_sealed_inputs_cannot_be_made_writable():
    plan, a, b = sealed_plan()
    theta, g = plan[0][1]["args"][:2]
    np.testing.assert_array_equal(theta, a)
    np.testing.assert_array_equal(g, b)
    assert g.dtype == np.float32 and not theta.flags.writeable
    with pytest.raises(ValueError):
        theta += 1
    with pytest.raises(ValueError):
        theta.view(np.int64)[0] = 7
    with pytest.raises(ValueError):
        theta.flags.writeable = True
    for base in (theta.base, theta.base.base):
        with pytest.raises(ValueError):
            np.frombuffer(base, dtype=np.float64)[0] = 1  # the mapping itself is read-only
    # Every descriptor of the memfd: no write, no writable shared mapping.
    import mmap
    memfds = [fd for fd in map(int, os.listdir("/proc/self/fd"))
              if "sealed-inputs" in _link(f"/proc/self/fd/{fd}")]
    assert memfds  # the mapping's own descriptor
    for fd in memfds:
        reopened = os.open(f"/proc/self/fd/{fd}", os.O_RDWR)  # (it may be opened: the seals hold)
        try:
            for target in (fd, reopened):
                with pytest.raises(OSError):
                    os.pwrite(target, b"x", 0)
                with pytest.raises(OSError):
                    mmap.mmap(target, 8)
                with pytest.raises(OSError):
                    os.ftruncate(target, 0)
        finally:
            os.close(reopened)
    with open("/proc/self/mem", "r+b", buffering=0) as memory:  # forced writes: refused too
        memory.seek(theta.__array_interface__["data"][0])
        with pytest.raises(OSError):
            memory.write(np.full(6, 9.0).tobytes())
    np.testing.assert_array_equal(theta, a)
    assert plan[1][1]["args"][0].flags.writeable  # programs not sealed are left alone


def _link(path):
    try:
        return os.readlink(path)
    except OSError:
        return ""


def test_an_in_place_write_fails_the_call_and_names_the_argument():
    plan, a, b = sealed_plan()

    def step(theta, g, lr):
        theta -= lr * g
        return theta

    def both(theta, g, lr):
        g *= 2
        theta[:] = 0
        return theta

    result = programs.run(plan[0][1], {"f": step})
    assert not result["ok"] and result["exc_type"] == "ModifiedInput"
    assert "'theta'" in result["error"] and "'g'" not in result["error"]
    assert "'theta' and 'g'" in programs.run(plan[0][1], {"f": both})["error"]
    pure = programs.run(plan[0][1], {"f": lambda theta, g, lr: theta - lr * g})
    assert pure["ok"] and np.allclose(pure["out"], a - 0.5)
    np.testing.assert_array_equal(plan[0][1]["args"][0], a)
    assert programs.run(plan[1][1], {"f": step})["ok"]  # unsealed: copies, as before


def test_prepare_seals_exactly_the_checks_of_unmodified_inputs():
    for prep in prepare(A7):
        sealed = {bool(p.get("sealed")) for p in prep.programs}
        assert sealed == {bool(prep.check.compare.get("inputs_unchanged"))}


# -- the session: rows are its own count, whatever the worker reports ----------------------

FORGE_RESULTS = '''
import os, sys
import numpy as np
wire = next(m for name, m in sys.modules.items() if name.endswith("harness.wire"))
results = {{str(k): {{"ok": True, "out": np.array(v), "grad_rows": [1]}}
           for k, v in {outs!r}.items()}}
# As the protocol wants it: the cells done, then the check's results.
frames = [wire.encode({{"event": "executed", "cells": [], "output": ""}}),
          wire.encode({{"event": "results", "check": {check!r}, "results": results}})]
for frame in frames:
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd > 2:
            try:
                os.write(fd, frame)
            except OSError:
                pass
os._exit(0)
'''


def test_rows_reported_by_the_worker_are_replaced_by_the_sessions_count():
    """A notebook that sends the right outputs with rows it made up, without
    ever calling grad_fn, gets no point: the session saw no call."""
    from grader.execute import Limits, run_submission
    from grader.execute.launcher import LocalLauncher
    from grader.grade import _flatten
    from grader.scoring import score_run

    prepared = prepare(A6)
    plan, index = _flatten(prepared)
    i = next(i for i, prep in enumerate(prepared)
             if prep.check.name == "accumulation: one row at a time")
    outs = {k: want["out"].tolist() for k, want in zip(index[i], prepared[i].expected)}
    with LocalLauncher() as launcher:
        run = run_submission([FORGE_RESULTS.format(outs=outs, check=prepared[i].check.name)], plan,
                             Limits(timeout=20), launcher, code=A6.extension.source)
    # (the worker then ends; a fresh one is started for the other checks)
    assert set(index[i]) <= set(run.results) and not any(run.grad_rows.get(k) for k in index[i])
    assert all(run.results[k]["grad_rows"] == [] for k in index[i])
    check = score_run(prepared, run, index).checks[i]
    assert not check.passed and check.message == "never called grad_fn"
