"""The grader's side of the worker protocol, with deadlines.

The session reads the worker's frames with a deadline for each, so an
endless loop, a dead process or garbage on the pipe each end in a precise
status instead of a hung or crashed grader.
"""
from __future__ import annotations

import os
import select
import time
from collections import Counter
from dataclasses import dataclass, field

from grader.execute import gradients
from grader.harness import wire

STATUS_OK, STATUS_TIMEOUT, STATUS_CRASHED, STATUS_PROTOCOL = "ok", "timeout", "crashed", "protocol"
STATUS_MEMORY = "memory"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission; all on by default."""
    timeout: float = 60.0          # wall-clock seconds for the whole submission
    call_timeout: float = 10.0     # seconds for one program (a graded call)
    memory: int = 2 * 2 ** 30      # bytes of address space
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
    status: str = STATUS_OK
    reason: str = ""
    cells: list = field(default_factory=list)       # [{"index", "error"}]
    results: dict = field(default_factory=dict)     # case number -> result
    output: str = ""
    seconds: float = 0.0
    isolation: str = ""
    grad_rows: dict = field(default_factory=dict)  # case -> rows per grad_fn call, counted here


def run_submission(cells: list, programs: list, limits: Limits, launcher) -> RawRun:
    """Execute ``cells``, then run ``programs`` ([check name, program] pairs)."""
    start = time.monotonic()
    run = RawRun(isolation=launcher.isolation)
    programs_frame = _programs_frame(programs)
    proc = launcher.start(programs_frame)
    try:
        frames = Frames(proc.stdout, limits.result_limit)
        _converse(proc, launcher, frames, cells, programs, limits, run, start, programs_frame)
    finally:
        launcher.stop(proc, finished=run.status in (STATUS_OK, STATUS_CRASHED, STATUS_MEMORY))
    run.seconds = time.monotonic() - start
    return run


_last_frame: tuple = (None, b"")


def _programs_frame(programs: list) -> bytes:
    """The programs' frame, encoded once for the many submissions of a class.

    Kept by identity: the list held here cannot be freed and its id reused.
    """
    global _last_frame
    held, frame = _last_frame
    if held is not programs:
        frame = wire.encode({"programs": gradients.student_view(programs)})
        _last_frame = (programs, frame)
    return frame


def _converse(proc, launcher, frames, cells, programs, limits, run, start, programs_frame):
    deadline = start + limits.timeout
    preloaded = getattr(proc, "preloaded", False)
    job = {"cells": cells, "preloaded": preloaded, **limits.for_worker()}
    if not launcher.own_user:
        job["processes"] = None  # would count every process of the tutor's own user
    if not _send(proc, job, run, deadline):
        return
    # Before the cells run: the worker seals the inputs of its programs first.
    if not preloaded and not _send(proc, programs_frame, run, deadline):
        return
    remote = gradients.cases_of(programs)
    current = None
    most_cases = max(Counter(name for name, _ in programs).values(), default=1)
    per_check = limits.call_timeout * most_cases + 2  # each case has its own alarm inside

    def next_check():
        return min(start + limits.timeout, time.monotonic() + per_check)
    while True:
        message = _next(frames, deadline, run, current)
        if message is None:
            return
        event = message.get("event")
        if event == "cell":
            index = message.get("index")
            current = f"cell {index + 1}" if isinstance(index, int) else "a cell"
        elif event == "executed":
            cells, output = message.get("cells"), message.get("output")
            if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells) \
                    or not isinstance(output, str):
                return _fail(run, STATUS_PROTOCOL, "the notebook's process sent an invalid message")
            run.cells, run.output = cells, output
            deadline = next_check()
            current = _call_label(programs, 0)
        elif event == "results":
            cases = _cases(message.get("results"), len(programs))
            if not cases:
                return _fail(run, STATUS_PROTOCOL, "the notebook's process sent an invalid result")
            for k, result in cases.items():  # rows per call: only as counted here
                result["grad_rows"] = run.grad_rows.get(k, [])
            run.results.update(cases)
            frames.eager = False
            current = _call_label(programs, max(cases) + 1)
            deadline = next_check()
        elif event == "grad":
            reply = gradients.answer(remote, message, run.grad_rows, run.results)
            if time.monotonic() >= deadline:
                return _fail(run, STATUS_TIMEOUT, f"still running at {current} "
                                                  "when the time limit ran out")
            if not _send(proc, reply, run, deadline):
                return
            frames.eager = True  # its next request follows at once
        elif event == "done":
            return
        elif event == "limit":
            return _fail(run, STATUS_MEMORY, f"{message.get('where', 'the notebook')} ran out of "
                                             f"memory (limit {limits.memory / 2 ** 30:g} GiB)")
        else:
            return _fail(run, STATUS_PROTOCOL, "the notebook's process sent an unknown message")


def _cases(results, count: int) -> dict:
    """Case number -> result, from a frame's {"k": result}; {} if any key is off.

    (The student's process can write frames itself: nothing in one is trusted.)
    """
    if not isinstance(results, dict):
        return {}
    cases = {}
    for key, value in results.items():
        if not (key.isdecimal() and len(key) <= 9 and str(int(key)) == key and int(key) < count
                and isinstance(value, dict)):
            return {}
        cases[int(key)] = value
    return cases


def _call_label(programs, k):
    return f"check {programs[k][0]!r}" if k < len(programs) else "the end of the run"


def _next(frames, deadline, run, current):
    try:
        item = frames.next(deadline)
    except TimeoutError:
        return _fail(run, STATUS_TIMEOUT, f"still running at {current or 'start-up'} "
                                          "when the time limit ran out")
    except EOFError:
        return _fail(run, STATUS_CRASHED, f"the notebook's process ended during {current or 'start-up'}"
                                          " (os._exit, a crash or a kill)")
    except Exception as exc:  # undecodable or oversized data from the student's side
        return _fail(run, STATUS_PROTOCOL, f"the notebook's process sent unreadable data: {exc}")
    if not isinstance(item, dict):
        return _fail(run, STATUS_PROTOCOL, "the notebook's process sent an invalid message")
    return item


def _fail(run, status, reason):
    run.status, run.reason = status, reason
    return None


def _send(proc, message, run, deadline: float) -> bool:
    """Write a frame to the worker by ``deadline``: its code may have stopped
    reading (a notebook can forge "executed" and sleep, with the programs'
    frame larger than a pipe's buffer)."""
    data = message if isinstance(message, bytes) else wire.encode(message)
    try:
        if _write_by(proc.stdin.fileno(), data, deadline):
            return True
        _fail(run, STATUS_TIMEOUT, "the notebook's process stopped reading its input")
    except (BrokenPipeError, OSError):
        _fail(run, STATUS_CRASHED, "the notebook's process ended before it could be given work")
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
                raise TimeoutError
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
