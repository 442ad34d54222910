"""The warm fork server: programs decoded once per server give what each child
would compute from the frame sent to it; a server takes new programs when a run
changes them."""
import pytest

import assignments
from grader.checks.expected import prepare
from grader.execute import Limits, choose, run_submission
from grader.execute.fork_server import ForkServerLauncher
from grader.execute.launcher import LocalLauncher
from grader.grade import _flatten
from grader import course
from nbfactory import CORRECT_A7, forged_frame

LIMITS = Limits(timeout=30)


def plan(name):
    return _flatten(prepare(assignments.load(name)))[0]


def code(name):
    """The assignment's own comparators and objectives, as they travel to the sandbox."""
    return assignments.load(name).extension.source


def outcome(run):
    return run.status, {k: {"ok": r["ok"], "error": r.get("error")} for k, r in run.results.items()}


@pytest.fixture(scope="module")
def cells():
    a7 = [CORRECT_A7]
    a6 = course.template(course.load("a6_batching")).cells  # unfinished: every check has an outcome to match
    return {"a7_optimizers": a7, "a6_batching": a6}


def test_preloaded_programs_match_programs_sent_to_a_fresh_process(cells):
    order = ["a7_optimizers", "a6_batching", "a7_optimizers"]  # the server reloads twice
    with choose("bwrap", slots=1) as warm, LocalLauncher() as cold:
        assert isinstance(warm, ForkServerLauncher)
        for name in order:
            programs = plan(name)
            forked = run_submission(cells[name], programs, LIMITS, warm, code=code(name))
            fresh = run_submission(cells[name], programs, LIMITS, cold, code=code(name))
            assert forked.status == "ok" and len(forked.results) == len(programs)
            assert outcome(forked) == outcome(fresh)
            assert warm.loaded and all(frame for frame in warm.loaded.values())


def test_a_notebook_larger_than_the_socket_buffers_goes_through(cells):
    big = ["# " + "x" * 4_000_000 + "\n", *cells["a7_optimizers"]]  # megabytes of code to send
    programs = plan("a7_optimizers")
    with choose("bwrap", slots=1) as warm:
        run = run_submission(big, programs, LIMITS, warm, code=code("a7_optimizers"))
    assert run.status == "ok" and all(r["ok"] for r in run.results.values())


def test_sandboxes_start_from_the_graders_font_list():
    """Else every sandbox scans the system's fonts again before its first plot."""
    import subprocess

    from grader.execute.launcher import matplotlib_font_cache
    ours = matplotlib_font_cache()
    assert ours is not None  # the grader's reports use matplotlib: it has one
    with choose("bwrap", slots=1, warm=False) as launcher:
        probe = launcher.root / "harness" / "probe.py"
        probe.write_text("import os\nfrom . import worker\n"
                         f"print(open('/tmp/.mpl/{ours.name}', 'rb').read().hex())\n")
        uid = launcher.uids.get()
        seen = subprocess.run(launcher.argv(uid, "harness.probe"), capture_output=True, text=True)
    assert bytes.fromhex(seen.stdout.strip()) == ours.read_bytes(), seen.stderr[-500:]


def test_a_notebook_that_forges_executed_and_stops_reading_times_out():
    """On a cold path the programs go down a pipe before any cell runs (the
    worker seals inputs first); a notebook that fakes "executed" and sleeps
    must not hold the grader."""
    import time

    forger = forged_frame({"event": "executed", "cells": [], "output": ""}) \
        + "import time\ntime.sleep(60)\n"
    programs = plan("a6_batching")  # a frame larger than a pipe's buffer
    start = time.monotonic()
    with LocalLauncher() as launcher:
        run = run_submission([forger], programs, Limits(timeout=4, call_timeout=1), launcher,
                             code=code("a6_batching"))
    assert run.status == "timeout" and "time limit" in run.reason, run
    assert time.monotonic() - start < 15
