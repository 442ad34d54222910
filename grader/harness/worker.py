"""The student's process: run the notebook's cells (``cells``), then answer the programs.

Started by the grader with the protocol on stdin/stdout; run as
``python -m <package>.worker``. It never computes a verdict: it sends back
raw outputs (``wire`` frames) and the grader judges them in its own process.

Frames in: {"cells": [source or None, ...], "call_timeout": s, "output_limit": chars,
"memory": bytes, "processes": n, "file_size": bytes, "cpu_seconds": s}, then
{"programs": [[check_name, program], ...], "assignment": the source of the
assignment's harness.py, if it has one} (not sent when the job says
"preloaded": a fork server decoded them once and hands them to ``main``); both before
any cell runs, so that sealed inputs exist first (``programs.seal``). While a
program runs, {"grad": array} or {"error": text} answers each request
{"event": "grad", "case": k, "theta", "X", "y"} of a remote grad_fn. A job that
continues a run whose worker died says "resume": {"from": case, "skip":
[fn, ...]}: run the checks from that case on, leaving out (unsent) every
case of a function in "skip".
Frames out: {"event": "cell", "index": i} before each cell,
{"event": "executed", "cells": [{"index", "error"}...], "output": text},
{"event": "results", "check": name, "results": {k: {...}}} per check,
{"event": "done"}; or {"event": "limit", "where": ...} when a cell ran out of
memory. A graded call that runs out of memory fails its case only.
"""
from __future__ import annotations

import os
import platform
import resource
import signal

import numpy

from . import extension, programs, seccomp, wire
from .cells import CappedText, execute_cells

FRAME_LIMIT = 64 * 2 ** 20


class CallTimeout(BaseException):
    """Raised inside a graded call that runs too long (BaseException: harder to swallow)."""


def protocol():
    """The protocol's ends, taken from fds 0 and 1, which then point at /dev/null."""
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    _silence_standard_fds()

    def send(message):
        proto_out.write(message if isinstance(message, bytes) else wire.encode(message))
        proto_out.flush()
    return proto_in, send


def main(preloaded: list | None = None) -> None:
    """Run one job. ``preloaded``: the programs a fork server decoded and sealed
    before it forked this process (None in a process of its own)."""
    proto_in, send = protocol()
    job = wire.decode(wire.read_frame(proto_in, FRAME_LIMIT))
    plan = programs_of(job, proto_in, preloaded)
    if not job.get("preloaded"):
        programs.seal(plan)  # (a fork server sealed its own before any child existed)
    apply_limits(job)
    place_files(job.get("files") or {})
    output = CappedText(job.get("output_limit", 2 ** 20))
    namespace, cells = execute_cells(job["cells"], output, send)
    send({"event": "executed", "cells": cells, "output": output.getvalue()})
    install_alarm()
    failed: dict = {}
    limit = job.get("result_limit", FRAME_LIMIT)
    for check, cases in by_check(plan, job.get("resume")):
        results = {k: run_case(program, namespace, job, failed, _asker(k, proto_in, send))
                   for k, program in cases}
        send(results_frame(check, results, limit))
    send({"event": "done"})
    os._exit(0)  # skip interpreter teardown: nothing of the student's may run after


def results_frame(check: str, results: dict, limit: int) -> bytes:
    """One check's results as a frame; if they cannot be sent (too large, not
    plain data), an error for each case instead, so later checks still count."""
    try:
        if (size := _array_bytes(results)) > limit:  # before a copy of it is made
            raise wire.WireError(f"{size} bytes of arrays, over the limit of {limit}")
        frame = wire.encode({"event": "results", "check": check, "results": results})
        if len(frame) > limit:
            raise wire.WireError(f"{len(frame)} bytes, over the limit of {limit}")
    except (wire.WireError, MemoryError) as exc:
        why = exc if isinstance(exc, wire.WireError) else "out of memory while encoding it"
        error = {"ok": False, "exc_type": "TooLarge",
                 "error": f"the result could not be sent: {why}"}
        frame = wire.encode({"event": "results", "check": check,
                             "results": {k: error for k in results}})
    return frame


def _array_bytes(value) -> int:
    if isinstance(value, numpy.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_array_bytes(v) for v in value.values())
    if isinstance(value, list):
        return sum(_array_bytes(v) for v in value)
    return 0


def programs_of(job, proto_in, preloaded: list | None = None) -> list:
    """The job's programs: ``preloaded`` when the job says so, else the next frame."""
    if job.get("preloaded"):
        if preloaded is None:
            raise RuntimeError("the job says the programs are preloaded, but none are")
        return preloaded
    return load_programs(wire.decode(wire.read_frame(proto_in, FRAME_LIMIT)))


def load_programs(frame: dict) -> list:
    """The programs of a frame, with the assignment's own code (its harness.py)
    installed first, before any student code runs."""
    extension.install(extension.load(frame.get("assignment", ""), "assignment harness.py"))
    return frame["programs"]


def by_check(plan, resume=None):
    """Consecutive programs of one check, with their positions: one frame per check.
    ``resume`` ({"from": case, "skip": [fn, ...]}): only the cases still to run."""
    first, skip = (resume["from"], set(resume["skip"])) if resume else (0, set())
    group, name = [], None
    for k, (check, program) in enumerate(plan):
        if k < first or program.get("fn") in skip:
            continue
        if group and check != name:
            yield name, group
            group = []
        group.append((k, program))
        name = check
    if group:
        yield name, group


def run_case(program, namespace, job, failed: dict, remote=None):
    """One case; ``failed`` maps a function that timed out or ran out of memory
    to the result each of its later cases gets without running."""
    fn = program.get("fn")
    if fn in failed:
        return dict(failed[fn])
    result = _timed_run(program, namespace, job.get("call_timeout", 10.0), remote)
    if result.get("exc_type") == "Timeout":
        failed[fn] = {"ok": False, "exc_type": "Timeout",
                      "error": "not run: this function timed out on an earlier check"}
    elif result.get("exc_type") == "MemoryError":
        memory = job.get("memory")
        limit = f" (limit {memory / 2 ** 30:g} GiB)" if memory else ""
        result["error"] = f"ran out of memory{limit}: the call or its result is too large"
        failed[fn] = {"ok": False, "exc_type": "MemoryError", "error":
                      f"not run: this function ran out of memory{limit} on an earlier check"}
    return result


def place_files(files: dict) -> None:
    """The files the assignment ships, read-only in the working directory (their
    paths were checked by the grader when it loaded the assignment)."""
    for name, data in files.items():
        folder = os.path.dirname(name)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(name, "wb") as f:
            f.write(data.tobytes())
        os.chmod(name, 0o444)


def _asker(k, proto_in, send):
    """A remote grad_fn's round trip to the grader, for case ``k``."""
    def ask(theta, X, y):
        return round_trip(lambda: send({"event": "grad", "case": k, "theta": theta, "X": X,
                                        "y": y}),
                          lambda: wire.decode(wire.read_frame(proto_in, FRAME_LIMIT)))
    return ask


def round_trip(request, reply):
    """Send a request, read its answer; the call's alarm waits until both are
    done, so that a frame is never cut in half."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        request()
        answer = reply()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    if isinstance(answer, dict) and isinstance(answer.get("grad"), numpy.ndarray):
        return answer["grad"]
    raise ValueError(str(answer.get("error") if isinstance(answer, dict) else answer)[:300])


def apply_limits(job: dict) -> None:
    """Hard limits on this process and its children, before any student code runs:
    rlimits (the address space one a per-process backstop behind the
    submission's cgroup), and the seccomp filter."""
    limits = {resource.RLIMIT_AS: job.get("memory"), resource.RLIMIT_CPU: job.get("cpu_seconds"),
              resource.RLIMIT_NPROC: job.get("processes"), resource.RLIMIT_FSIZE: job.get("file_size"),
              resource.RLIMIT_CORE: 0}
    for which, value in limits.items():
        if value is not None:
            try:
                resource.setrlimit(which, (int(value), int(value)))
            except (ValueError, OSError):
                pass  # already lower than asked
    if platform.machine() in seccomp.SYSCALLS:
        seccomp.install()  # OSError ends the worker before any student code runs


def _silence_standard_fds() -> None:
    """Point fds 0-2 at /dev/null so that stray writes cannot corrupt the protocol."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def install_alarm() -> None:
    """SIGALRM raises ``CallTimeout``: the alarm of each graded call (``run_case``)."""
    def on_alarm(signum, frame):
        raise CallTimeout()
    signal.signal(signal.SIGALRM, on_alarm)


def _timed_run(program, namespace, seconds, remote=None):
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return programs.run(program, namespace, remote)
    except CallTimeout:
        return {"ok": False, "exc_type": "Timeout",
                "error": f"did not return within {seconds:g} s (an endless loop?)"}
    except (SystemExit, KeyboardInterrupt) as exc:
        return {"ok": False, "exc_type": type(exc).__name__,
                "error": f"{type(exc).__name__} raised inside the function"}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


if __name__ == "__main__":
    main()
