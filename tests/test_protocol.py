"""The worker protocol is untrusted input: no frame from the student's process can
crash the grader, and one bad call fails one check.

In-process, a launcher replays byte streams to the real session (valid,
forged, and fuzzed by hypothesis), and the results go on through scoring,
the journal and the student's files. End to end, notebooks that forge
frames or run out of memory in a call are graded by ``grader grade`` beside
a correct one, on the warm and the cold path.
"""
import csv
import random
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import assignments
import framefuzz
from grader import reports
from grader.checks.expected import prepare
from grader.execute import Limits, LocalLauncher, run_submission
from grader.execute import frames
from grader.execute.handle import Worker
from grader.execute.launcher import Launcher, bwrap_works
from grader.grade import _flatten
from grader.harness import wire
from grader.journal import Journal
from grader.record import Record
from grader.scoring import score_run
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, forged_bytes, forged_frame, notebook, write

SPEC = assignments.load("a7_optimizers")
PREPARED = prepare(SPEC)
PLAN, CASE_INDEX = _flatten(PREPARED)
EXPECTED = [e for prep in PREPARED for e in prep.expected]
FULL = 35.0  # 30 and the AdamW bonus
SGD = sum(p.check.points for p in PREPARED if p.check.function == "sgd_update")
VALID = framefuzz.conversation(1, PLAN, EXPECTED)
SHORT = VALID[:3] + VALID[-1:]  # the first check only: a notebook of a few kB writes it
STATUSES = {"graded", "timeout", "error", "memory"}

# The two forged frames that made the grader die: a cell without its index,
# and an error whose message and location are not text.
NO_INDEX = {"event": "executed", "cells": [{"error": None}], "output": ""}
DICT_ERROR = {"event": "executed", "output": "", "cells": [
    {"index": 0, "error": {"type": "E", "message": {"a": 1}, "where": [{"b": 2}]}}]}


class Replay(Launcher):
    """Workers that send prepared bytes: one stream per start, then nothing."""

    isolation = "replay"

    def __init__(self, *streams):
        self.streams, self.started, self.players = list(streams), 0, {}

    def start(self, programs=b""):
        ours, theirs = socket.socketpair()
        data = self.streams[self.started] if self.started < len(self.streams) else b""
        self.started += 1
        thread = threading.Thread(target=_play, args=(theirs, data), daemon=True)
        thread.start()
        worker = Worker.of_socket(ours, preloaded=True)
        self.players[worker] = thread
        return worker

    def stop(self, worker, finished=True):
        worker.kill()
        self.players.pop(worker).join()


def _play(sock, data):
    """Send ``data``, end the stream, and read whatever the grader sends."""
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(2 ** 16):
            pass
    except OSError:
        pass
    finally:
        sock.close()


def grade_stream(*streams, out: Path):
    """One submission whose worker sends ``streams``, through scoring, the journal
    and the student's files, as ``grader grade`` takes it; returns (run, record)."""
    run = run_submission(["pass"], PLAN, Limits(timeout=5), Replay(*streams))
    record = Record(student="fuzzed", assignment=SPEC.id, max_score=SPEC.max_score,
                    **vars(score_run(PREPARED, run, CASE_INDEX)))
    stored = Journal(out, resume=False).append(record)
    reports.write_student(SPEC, stored, out)
    return run, stored


def test_a_valid_conversation_gets_full_marks(tmp_path):
    run, record = grade_stream(framefuzz.stream(VALID), out=tmp_path)
    assert (run.status, record.status, record.score) == ("ok", "graded", FULL), run.reason


@pytest.mark.parametrize("forged", [NO_INDEX, DICT_ERROR], ids=["no-index", "dict-error"])
def test_the_forged_frames_of_the_report_make_an_error_row(forged, tmp_path):
    data = framefuzz.stream([VALID[0], framefuzz.parts(wire.encode(forged))])
    run, record = grade_stream(data, out=tmp_path)
    assert run.status == "protocol" and record.status == "error" and record.score == 0
    assert "invalid message" in run.reason and "\n" not in run.reason
    assert (tmp_path / "feedback" / "fuzzed.md").is_file()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_fuzzed_conversations_always_give_a_row(tmp_path_factory, rnd):
    run, record = grade_stream(framefuzz.mutated(VALID, rnd), framefuzz.mutated(VALID, rnd),
                               out=tmp_path_factory.mktemp("fuzz"))
    assert record.status in STATUSES
    assert 0 <= record.score <= FULL
    assert "\n" not in run.reason and len(run.reason) < 1000
    if record.status == "error":
        assert run.reason


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(min_dims=0, max_side=3)),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["index", "error", "type", "message", "where", "ok", "out",
                                       "exc_type", "grad_rows", "args_after", "$object", "0",
                                       "1", "cells", "output", "results", "check", "x"]),
                      inner, max_size=5),
    max_leaves=20)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(sorted(frames.KINDS) + ["grad", "x"]),
       st.dictionaries(st.sampled_from(["index", "cells", "output", "check",
                                        "results", "kind", "where", "extra"]), JSONISH, max_size=4),
       st.sampled_from([frames.CELLS, frames.CHECKS]))
def test_validation_returns_a_clean_frame_or_a_reason(event, fields, phase):
    ctx = frames.Context(2, tuple(name for name, _ in PLAN[:4]), 100, phase, {})
    try:
        clean = frames.validate({"event": event, **fields}, ctx)
    except frames.FrameError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert event in frames.KINDS and phase in frames.KINDS[event].phases
    assert clean.keys() <= {"event", *fields}
    if event == "executed":
        assert all(0 <= c["index"] < 2 and (c["error"] is None or all(
            isinstance(w, str) for w in c["error"]["where"])) for c in clean["cells"])
    if event == "results":
        assert all(type(k) is int and 0 <= k < 4 and type(r["ok"]) is bool
                   for k, r in clean["results"].items())


def test_validation_caps_text_and_keeps_arrays():
    ctx = frames.Context(1, ("c",), 100, frames.CHECKS, {})
    array = np.arange(3.0)
    clean = frames.validate({"event": "results", "check": "c", "results": {"0": {
        "ok": False, "error": "e" * 10_000, "out": [array, {"$object": "Foo"}]}}}, ctx)
    result = clean["results"][0]
    assert len(result["error"]) < 600 and result["out"][0] is array
    with pytest.raises(frames.FrameError, match="not of check"):
        frames.validate({"event": "results", "check": "d", "results": {"0": {"ok": False}}}, ctx)
    with pytest.raises(frames.FrameError, match="answered twice"):
        frames.validate({"event": "results", "check": "c", "results": {"0": {"ok": False}}},
                        frames.Context(1, ("c",), 100, frames.CHECKS, {0: {}}))


# -- one bad call fails one check ----------------------------------------------------

SGD_EXITS = CORRECT_A7 + "\ndef sgd_update(theta, g, lr):\n    import os\n    os._exit(0)\n"
SGD_KILLED = CORRECT_A7 + ("\ndef sgd_update(theta, g, lr):\n    import os, signal\n"
                           "    os.kill(os.getpid(), signal.SIGKILL)\n")
SGD_TOO_LARGE = CORRECT_A7 + "\ndef sgd_update(theta, g, lr):\n    return np.ones(3 * 2**30 // 8)\n"
ALL_EXIT = CORRECT_A7 + "".join(
    f"\ndef {fn}(*args, **kwargs):\n    import os\n    os._exit(0)\n"
    for fn in sorted({p.check.function for p in PREPARED}))


class OverMemory(LocalLauncher):
    """A launcher whose memory cap ended every worker that died."""

    def over_memory(self, proc):
        return True


def checks_of(record):
    return {c.function: c for c in record.checks}


def run_a7(cells, launcher, limits=Limits(timeout=30, call_timeout=5)):
    run = run_submission(cells, PLAN, limits, launcher, code=SPEC.extension.source)
    return run, score_run(PREPARED, run, CASE_INDEX)


WORKERS = pytest.mark.parametrize("module", ["harness.worker", "harness.kernel_worker"],
                                  ids=["plain", "kernel"])


@WORKERS
def test_a_call_that_ends_the_worker_fails_its_function_only(module):
    with LocalLauncher(module) as launcher:
        run, scored = run_a7([SGD_EXITS], launcher)
    assert (run.status, scored.score) == ("ok", FULL - SGD), run.reason
    sgd = [c for c in scored.checks if c.function == "sgd_update"]
    assert all(not c.passed and "ended" in c.message for c in sgd)


def test_a_call_killed_by_the_memory_cap_fails_with_a_memory_message():
    with OverMemory() as launcher:
        run, scored = run_a7([SGD_KILLED], launcher)
    assert (run.status, scored.score) == ("ok", FULL - SGD), run.reason
    assert "ran out of memory" in checks_of(scored)["sgd_update"].message


def test_cells_killed_by_the_memory_cap_make_the_status_memory():
    with OverMemory() as launcher:
        killed = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
        run, scored = run_a7([CORRECT_A7, killed], launcher)
    assert (run.status, scored.status, scored.score) == ("memory", "memory", 0)
    assert "cell 2" in run.reason


def test_restarts_are_bounded_by_one_per_function():
    with Counting() as launcher:
        run, scored = run_a7([ALL_EXIT], launcher, Limits(timeout=300, call_timeout=5))
    functions = len({p.check.function for p in PREPARED})
    assert (run.status, scored.score) == ("ok", 0), run.reason
    assert launcher.started == functions  # the last death leaves no check to restart for


class Counting(LocalLauncher):
    started = 0

    def start(self, programs=b""):
        self.started += 1
        return super().start(programs)


@WORKERS
def test_an_oversized_result_fails_its_function_only(module):
    with LocalLauncher(module) as launcher:
        run, scored = run_a7([SGD_TOO_LARGE], launcher,
                             Limits(timeout=30, call_timeout=5, memory=2 ** 30))
    assert (run.status, scored.score) == ("ok", FULL - SGD), run.reason
    assert "memory" in checks_of(scored)["sgd_update"].message


# -- end to end ------------------------------------------------------------------

def class_folder(folder: Path) -> dict:
    """student -> (cells, status, score, text in the reason or sgd's message)."""
    rnd = random.Random(17)
    corpus = {
        "correct": ([CORRECT_A7], "graded", FULL, ""),
        "forged_no_index": ([CORRECT_A7, forged_frame(NO_INDEX)], "error", 0, "invalid message"),
        "forged_dict_error": ([CORRECT_A7, forged_frame(DICT_ERROR)], "error", 0,
                              "invalid message"),
        "sgd_too_large": ([SGD_TOO_LARGE], "graded", FULL - SGD, "memory"),
        "sgd_exits": ([SGD_EXITS], "graded", FULL - SGD, "ended"),
        "cell_memory": ([CORRECT_A7, "import numpy as np\nhog = np.ones(3 * 2**30 // 8)"],
                        "memory", 0, "cell 2"),
    }
    for i in range(4):
        corpus[f"fuzzed_{i}"] = ([CORRECT_A7, forged_bytes(framefuzz.mutated(SHORT, rnd))],
                                 None, None, None)
    for student, (cells, *_) in corpus.items():
        write(folder, student, notebook(*cells))
    return corpus


@pytest.mark.parametrize("path", ["warm", "cold"])
def test_grader_grade_gives_every_forger_a_row(tmp_path, path):
    assert bwrap_works(), "bubblewrap is needed for these tests"
    folder = tmp_path / "class"
    folder.mkdir()
    corpus = class_folder(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "grader.cli", "grade", str(folder), "--out", str(out),
            "--assignment", "a7_optimizers", "--jobs", "2", "--isolation", "bwrap",
            "--memory", "1", "--timeout", "30", "--call-timeout", "5", "--quiet",
            "--run-all"]  # the forging cells define nothing graded
    done = subprocess.run(argv + (["--cold"] if path == "cold" else []), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows.keys() == corpus.keys()
    records = {r.student: r for r in Journal(out, resume=True).latest()}
    for student, (_, status, score, text) in corpus.items():
        row = rows[student]
        assert row["status"] in STATUSES, row
        if status is not None:
            assert (row["status"], float(row["score"])) == (status, score), row
            message = checks_of(records[student])["sgd_update"].message + row["reason"]
            assert text in message, (student, message)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_student_whose_scoring_or_files_fail_still_gets_a_row(tmp_path, monkeypatch):
    import grader.grade as pipeline
    folder = tmp_path / "class"
    folder.mkdir()
    for student, extra in [("correct", ""), ("bad_score", "print('boom')"), ("bad_files", "")]:
        write(folder, student, notebook(CORRECT_A7, extra))
    real_score, real_write = pipeline.score_run, pipeline.reports.write_student

    def score(prepared, raw, case_index):
        if "boom" in raw.output:
            raise ValueError("scoring failed")
        return real_score(prepared, raw, case_index)

    def write_student(spec, record, out):
        if record.student == "bad_files" and record.status != "error":
            raise TypeError("rendering failed")
        return real_write(spec, record, out)
    monkeypatch.setattr(pipeline, "score_run", score)
    monkeypatch.setattr(pipeline.reports, "write_student", write_student)
    _, records, out = pipeline.grade(folder, tmp_path / "out",
                                     GradeOptions(assignment="a7_optimizers", jobs=2,
                                                  isolation="process", limits=Limits(timeout=30),
                                                  run_all=True))
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert (rows["correct"]["status"], float(rows["correct"]["score"])) == ("graded", FULL)
    for student, why in [("bad_score", "scoring failed"), ("bad_files", "rendering failed")]:
        assert rows[student]["status"] == "error" and float(rows[student]["score"]) == 0
        assert "internal grader error" in rows[student]["reason"] and why in rows[student]["reason"]
        assert (out / "feedback" / f"{student}.md").is_file()
