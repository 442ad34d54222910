"""The grader's side of the worker protocol, with deadlines.

The session reads the worker's frames with a deadline for each, and checks
each against its schema (``frames``) before anything uses it, so an endless
loop, a dead process, garbage on the pipe or a forged frame each end in a
precise status instead of a hung or crashed grader. A worker that dies during
a check costs that function its checks, not the submission its run.
"""
from __future__ import annotations

import os
import re
import select
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from grader.execute import frames as frames_
from grader.execute import gradients
from grader.execute.handle import Worker
from grader.harness import extension, wire
from grader.status import RunEnd

if TYPE_CHECKING:
    from grader.execute.launcher import Launcher



@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission; all on by default."""
    timeout: float = 60.0          # wall-clock seconds for the whole submission
    call_timeout: float = 10.0     # seconds for one program (a graded call)
    memory: int = 2 * 2 ** 30      # bytes: all of a submission's processes, shared memory and /tmp
    processes: int = 64            # processes and threads of the student's user
    file_size: int = 64 * 2 ** 20  # bytes of any one file written
    output_limit: int = 2 ** 20    # characters of printed output kept
    result_limit: int = 16 * 2 ** 20  # bytes of one returned frame

    @property
    def cpu_seconds(self) -> int:
        """CPU time: a backstop behind the wall clock."""
        return int(self.timeout) + 5

    def for_worker(self) -> dict:
        return {"call_timeout": self.call_timeout, "output_limit": self.output_limit,
                "result_limit": self.result_limit,
                "memory": self.memory, "processes": self.processes,
                "file_size": self.file_size, "cpu_seconds": self.cpu_seconds}


@dataclass
class RawRun:
    """What came back from the student's process, before any judgement."""
    status: RunEnd = RunEnd.OK
    reason: str = ""
    cells: list = field(default_factory=list)       # [{"index", "error"}]
    results: dict = field(default_factory=dict)     # case number -> result
    output: str = ""
    seconds: float = 0.0
    isolation: str = ""
    memory_cap: str = ""  # what capped the submission's memory as a whole (launcher.confine)
    grad_rows: dict = field(default_factory=dict)  # case -> rows per grad_fn call, counted here


def run_submission(cells: list, programs: list, limits: Limits, launcher,
                   files: dict | None = None, code: str = "") -> RawRun:
    """Execute ``cells``, then run ``programs`` ([check name, program] pairs).

    A worker that dies during a check fails that check and every later one
    of the same function; a fresh worker runs the cells again and goes on
    with the other checks (so at most one restart per function, all within
    the submission's time limit). ``files``: {relative path: bytes} the
    assignment ships, placed read-only in the notebook's working directory
    before its first cell. ``code``: the assignment's ``harness.py`` (its
    comparators and objectives), sent with the programs and loaded by the
    worker before any cell; here it answers remote grad_fn calls.
    """
    start = time.monotonic()
    talk = Conversation(cells=cells, programs=programs, limits=limits, files=files or {},
                        extension=extension.load(code), launcher=launcher, start=start,
                        frame=launcher.programs_frame(programs, code, programs_frame),
                        run=RawRun(isolation=launcher.isolation))
    run, resume = talk.run, None
    while True:
        worker = _start(launcher, talk.frame, again=resume is not None)
        try:
            run.memory_cap = launcher.confine(worker, limits.memory)
            death = _converse(talk, worker, resume)
        finally:
            launcher.stop(worker, finished=run.status in (RunEnd.OK, RunEnd.CRASHED, RunEnd.MEMORY))
        if run.status == RunEnd.CRASHED and launcher.over_memory(worker):
            _fail(run, RunEnd.MEMORY, f"the notebook's processes together went over the memory "
                                      f"limit ({_gib(limits.memory)}) and were ended")
        if death is None or (resume := _after_death(death, talk, resume)) is None:
            break
    run.seconds = time.monotonic() - start
    return run


@dataclass(kw_only=True)
class Conversation:
    """One submission's run, across the workers it takes: what each is given,
    and the raw outputs gathered so far."""
    cells: list
    programs: list  # [check name, program]
    limits: Limits
    files: dict  # {relative path: bytes}
    extension: extension.Extension  # the assignment's harness.py, loaded here too
    launcher: Launcher
    start: float  # time.monotonic() when the submission started: its time limit counts from here
    frame: bytes  # the programs' frame (``programs_frame``)
    run: RawRun


def _start(launcher, programs_frame, again: bool):
    """A worker; on a restart, a second try if the first fails (a fork server that
    died with its child is started afresh)."""
    try:
        return launcher.start(programs_frame)
    except OSError:
        if not again:
            raise
        return launcher.start(programs_frame)


def programs_frame(programs: list, code: str = "") -> bytes:
    """The frame that gives a worker its programs, as the student's side may see
    them, with the assignment's ``code``."""
    return wire.encode({"programs": gradients.student_view(programs),
                        **({"assignment": code} if code else {})})


@dataclass(frozen=True)
class Death:
    """A worker that ended during case ``case`` (a check's first unanswered case)."""
    case: int
    memory: bool  # the launcher saw it go over its memory limit


def _converse(talk: Conversation, worker: Worker, resume):
    """Talk with one worker until it is done or fails; returns a ``Death`` if it
    ended during a check (the run may go on in a fresh worker), else None."""
    cells, programs, limits, run = talk.cells, talk.programs, talk.limits, talk.run
    deadline = talk.start + limits.timeout
    job = {"cells": cells, "preloaded": worker.preloaded, **limits.for_worker(),
           "files": {name: np.frombuffer(data, np.uint8) for name, data in talk.files.items()}}
    if resume is not None:
        job["resume"] = resume
    if not talk.launcher.own_user:
        job["processes"] = None  # would count every process of the tutor's own user
    if not _send(worker, job, run, deadline):
        return None
    # Before the cells run: the worker seals the inputs of its programs first.
    if not worker.preloaded and not _send(worker, talk.frame, run, deadline):
        return None
    remote = talk.launcher.remote_cases(programs, talk.extension, gradients.Cases)
    frames = Frames(worker.stdout, limits.result_limit)
    ctx = frames_.Context(len(cells), tuple(name for name, _ in programs), limits.output_limit,
                          frames_.CELLS, run.results)
    current = None
    most_cases = max(Counter(name for name, _ in programs).values(), default=1)
    per_check = limits.call_timeout * most_cases + 2  # each case has its own alarm inside

    def next_check():
        return min(talk.start + limits.timeout, time.monotonic() + per_check)
    while True:
        try:
            message = _next(frames, deadline, run, current, ctx)
        except EOFError:
            return _ended(talk, worker, ctx, current)
        if message is None:
            return None
        event = message["event"]
        if event == "cell":
            current = f"cell {message['index'] + 1}"
        elif event == "executed":
            if resume is None:  # a restart runs the same cells again: the first run's are kept
                run.cells, run.output = message["cells"], message["output"]
            ctx = replace(ctx, phase=frames_.CHECKS)
            deadline = next_check()
            current = _call_label(programs, _unanswered(run, len(programs)))
        elif event == "results":
            for k, result in message["results"].items():  # rows per call: only as counted here
                result["grad_rows"] = run.grad_rows.get(k, [])
            run.results.update(message["results"])
            frames.eager = False
            current = _call_label(programs, max(message["results"]) + 1)
            deadline = next_check()
        elif event == "grad":
            reply = gradients.answer(remote, message, run.grad_rows, run.results)
            if time.monotonic() >= deadline:
                return _fail(run, RunEnd.TIMEOUT, f"still running at {current} "
                                                  "when the time limit ran out")
            if not _send(worker, reply, run, deadline):
                return None
            frames.eager = True  # its next request follows at once
        elif event == "done":
            return None
        elif event == "limit":
            return _fail(run, RunEnd.MEMORY, f"{_where(message, programs)} ran out of memory "
                                             f"(limit {_gib(limits.memory)})")


def _ended(talk: Conversation, worker: Worker, ctx, current):
    """The worker's output ended: during the cells, the submission's status;
    during the checks, a ``Death`` at the first case not answered."""
    run, memory = talk.run, talk.launcher.over_memory(worker)
    if ctx.phase == frames_.CHECKS:
        case = _unanswered(run, len(ctx.checks))
        return None if case is None else Death(case, memory)
    if memory:
        return _fail(run, RunEnd.MEMORY, f"{current or 'start-up'} ran out of memory: the "
                                         "notebook's processes together went over the limit "
                                         f"({_gib(talk.limits.memory)})")
    return _fail(run, RunEnd.CRASHED, f"the notebook's process ended during {current or 'start-up'}"
                                      " (os._exit, a crash or a kill)")


def _after_death(death, talk: Conversation, resume):
    """Fail the check the worker died in and every later case of its function;
    the resume point of a fresh worker, or None when no case is left to run."""
    programs, run = talk.programs, talk.run
    name, fn = programs[death.case][0], programs[death.case][1].get("fn")
    skip = set(resume["skip"]) if resume else set()
    if death.memory:
        exc_type, why = "MemoryError", f"ran out of memory (limit {_gib(talk.limits.memory)})"
    else:
        exc_type, why = "Crashed", "the notebook's process ended (os._exit, a crash or a kill)"
    if fn in skip:  # its function never ran here: something else ends the worker
        return _fail(run, RunEnd.CRASHED, f"{why} at check {name!r}")
    end = death.case
    while end < len(programs) and programs[end][0] == name:
        run.results[end] = {"ok": False, "exc_type": exc_type, "error": f"{why} during this check"}
        end += 1
    for k in range(end, len(programs)):
        if programs[k][1].get("fn") == fn:
            run.results[k] = {"ok": False, "exc_type": exc_type,
                              "error": f"not run: {why} during an earlier check of {fn}"}
    rest = _unanswered(run, len(programs))
    return None if rest is None else {"from": rest, "skip": sorted(skip | {fn}, key=str)}


def _unanswered(run, count: int):
    """The first case number without a result, or None."""
    return next((k for k in range(count) if k not in run.results), None)


def _gib(size: int) -> str:
    return f"{size / 2 ** 30:g} GiB"


def _where(message, programs) -> str:
    """The place a "limit" frame names, if it is one of ours: the frame comes
    from the student's process, and free text in it could carry hidden inputs
    into the reason a student reads."""
    where = message.get("where")
    ours = isinstance(where, str) and (re.fullmatch(r"cell [1-9]\d{0,5}", where)
                                       or where in {f"check {name!r}" for name, _ in programs})
    return where if ours else "the notebook"


def _call_label(programs, k):
    return f"check {programs[k][0]!r}" if k is not None and k < len(programs) \
        else "the end of the run"


def _next(frames, deadline, run, current, ctx):
    """The next frame, validated: the only place a frame from the worker is read.
    None (with the run's status set) on a timeout or anything off; EOFError at
    the end of the worker's output."""
    try:
        return frames_.validate(frames.next(deadline), ctx)
    except TimeoutError:
        return _fail(run, RunEnd.TIMEOUT, f"still running at {current or 'start-up'} "
                                          "when the time limit ran out")
    except EOFError:
        raise
    except frames_.FrameError as exc:
        return _fail(run, RunEnd.PROTOCOL, f"the notebook's process sent an invalid message: {exc}")
    except Exception as exc:  # undecodable or oversized data from the student's side
        return _fail(run, RunEnd.PROTOCOL, f"the notebook's process sent unreadable data: {exc}")


def _fail(run, status, reason):
    run.status, run.reason = status, reason
    return None


def _send(worker: Worker, message, run, deadline: float) -> bool:
    """Write a frame to the worker by ``deadline``: its code may have stopped
    reading (a notebook can forge "executed" and sleep, with the programs'
    frame larger than a pipe's buffer)."""
    data = message if isinstance(message, bytes) else wire.encode(message)
    try:
        if _write_by(worker.stdin.fileno(), data, deadline):
            return True
        _fail(run, RunEnd.TIMEOUT, "the notebook's process stopped reading its input")
    except (BrokenPipeError, OSError):
        _fail(run, RunEnd.CRASHED, "the notebook's process ended before it could be given work")
    return False


def _write_by(fd: int, data: bytes, deadline: float) -> bool:
    """Write all of ``data`` unless ``deadline`` passes first; a pipe or socket that
    polls writable takes PIPE_BUF bytes without blocking."""
    poll, view = select.poll(), memoryview(data)
    poll.register(fd, select.POLLOUT)
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poll.poll(min(remaining, 3600.0) * 1000):
            return False
        view = view[os.write(fd, view[:select.PIPE_BUF]):]
    return True


#: After a wake-up, a moment for the frames a worker writes in quick succession
#: to arrive, so that one wake-up reads many: a grader thread woken once per
#: check costs the busy machine more than this wait (measured: 1,000
#: submissions 17.5 -> 16.1 s on 2 cores).
COALESCE = 0.002


class Frames:
    """The worker's frames, read from its output as they come, each with a deadline.

    At a deadline, whatever has come is read before the time is declared up.
    """

    def __init__(self, stream, limit: int):
        self.fd, self.limit, self.buffer = stream.fileno(), limit, bytearray()
        self.eager = False  # no coalescing wait: the worker is waiting for an answer
        self.poll = select.poll()
        self.poll.register(self.fd, select.POLLIN)

    def next(self, deadline: float):
        """The next frame's data; TimeoutError, EOFError or wire.WireError."""
        while (frame := wire.split_frame(self.buffer, self.limit)) is None:
            if self._fill():
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from the worker by its deadline")
            if self.poll.poll(min(remaining, 3600.0) * 1000) and not self.eager:  # (int of ms)
                time.sleep(COALESCE)
        return wire.decode(frame)

    def _fill(self) -> bool:
        """Read what has come, without waiting; EOFError at the end of the stream."""
        got = False
        while self.poll.poll(0):  # (the stream stays blocking: the same socket is written to)
            try:
                chunk = os.read(self.fd, 2 ** 20)
            except OSError:  # e.g. reset by a peer that died
                chunk = b""
            if not chunk:
                if got:
                    return True  # the end is seen again at the next read
                raise EOFError("the stream ended")
            self.buffer += chunk
            got = True
        return got
