"""Run submissions as tasks on a Dask cluster (``grader grade --scheduler``).

Only execution moves: the tutor's process still reads the submissions,
prepares the expected outputs, scores, journals and reports (``grader.grade``).
A task receives the cells and the programs as data (with the assignment's
shipped files and its ``harness.py`` as text), never a path on the tutor's disk, runs them with ``run_submission`` in a launcher of the worker's
own, and returns the ``RawRun``: the same plain data a local run produces.

The launcher is made by ``choose`` with the run's isolation, warm/cold and
kernel settings, once per worker process and grading run, by a worker plugin
(``Sandbox``) that the run registers when it starts and removes when it ends;
workers that join or restart mid-run get it too. Its slots are the worker's
threads. It hides the worker's own project folder, home folders, and the
tutor's submissions and output folders when the worker shares the tutor's disk.

A worker killed mid-task loses nothing: the scheduler runs the task again on
another worker, and only the result that arrives is journaled, once. A lost
scheduler stops the run (``ClusterLost``) instead of giving the students
still waiting a row: what finished is in the journal for ``--resume``.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
import time
import uuid

import grader
from grader.errors import ClusterLost, UsageError
from grader.execute.choice import choose
from grader.execute.launcher import HARNESS
from grader.execute.session import Limits, RawRun, run_submission

try:
    from distributed import WorkerPlugin
except ImportError:  # the dask extra is not installed: only --scheduler needs it
    WorkerPlugin = object

CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler, and to wait for a first worker
RETRIES = 2             # a task that raises (e.g. a sandbox that did not start) runs again


def fingerprint() -> str:
    """The grader's version and the code of the student's side of the protocol."""
    digest = hashlib.sha256(grader.__version__.encode())
    for path in sorted(HARNESS.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class Sandbox(WorkerPlugin):
    """One open launcher per worker process for one grading run."""

    def __init__(self, isolation: str, warm: bool, kernel: bool, hidden: list, expected: str):
        self.isolation, self.warm, self.kernel = isolation, warm, kernel
        self.hidden, self.expected = hidden, expected
        self.launcher, self.error = None, None

    def setup(self, worker):
        try:
            if fingerprint() != self.expected:
                raise UsageError(f"the Dask worker {worker.address} runs another version of the "
                                 f"grader ({grader.__version__}, code {fingerprint()}; this run needs "
                                 f"code {self.expected}): install the same optigrade on every worker")
            try:
                launcher = choose(self.isolation, hidden=self.hidden, slots=worker.state.nthreads,
                                  warm=self.warm, kernel=self.kernel)
            except UsageError as exc:
                raise UsageError(f"on the Dask worker {worker.address}: {exc}") from None
            self.launcher = launcher.__enter__()
        except Exception as exc:
            self.error = exc  # named by every task given to this worker
            raise

    def teardown(self, worker):
        if self.launcher is not None:
            self.launcher.__exit__(None, None, None)
            self.launcher = None


def run_on_worker(plugin: str, cells: list, programs: list, limits: Limits,
                  files: dict | None = None, code: str = "") -> RawRun:
    """The task: one submission, on whichever worker the scheduler chose."""
    from distributed import get_worker

    sandbox = get_worker().plugins.get(plugin)
    if sandbox is None or sandbox.launcher is None:
        raise RuntimeError(f"this worker has no sandbox for the run: {getattr(sandbox, 'error', None)}")
    return run_submission(cells, programs, limits, sandbox.launcher, files, code)


def _isolation(dask_worker, plugin: str) -> str:
    launcher = getattr(dask_worker.plugins.get(plugin), "launcher", None)
    return launcher.isolation if launcher is not None else ""


class _NoCancelledTracebacks(logging.Filter):
    """Drops the tracebacks of cancelled tasks that Dask's client logs while it
    closes itself after losing the scheduler; ``ClusterLost`` says it in one line."""

    def filter(self, record):
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


def _quiet_client_shutdown():
    log = logging.getLogger("distributed.client")
    if not any(isinstance(f, _NoCancelledTracebacks) for f in log.filters):
        log.addFilter(_NoCancelledTracebacks())


class Cluster:
    """The tutor's connection to a running Dask cluster for one grading run.

    ``run`` has ``run_submission``'s signature without the launcher and blocks
    until the result is back; ``slots`` is how many submissions to keep in
    flight: twice the cluster's threads, so that no worker waits for the
    tutor between two tasks.
    """

    def __init__(self, address: str, isolation: str = "auto", hidden=(), warm: bool = True,
                 kernel: bool = False):
        self.address, self.isolation, self.warm, self.kernel = address, isolation, warm, kernel
        self.hidden = [str(p.resolve()) if hasattr(p, "resolve") else str(p) for p in hidden]
        self.client, self.plugin = None, f"optigrade-sandbox-{uuid.uuid4().hex}"
        self.lost = False

    def __enter__(self):
        try:
            from distributed import Client
        except ImportError:
            raise UsageError('--scheduler needs Dask: pip install "optigrade[dask]" '
                             '(or pip install ".[dask]" in the project)') from None
        _quiet_client_shutdown()
        try:
            self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {self.address} ({exc}); "
                             "start one with `dask scheduler`") from None
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self):
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            raise UsageError(f"the Dask scheduler at {self.address} has no workers: start some "
                             f"with `dask worker {self.address}`") from None
        except OSError as exc:
            raise ClusterLost(f"lost the Dask scheduler at {self.address} ({exc})") from None
        sandbox = Sandbox(self.isolation, self.warm, self.kernel, self.hidden, fingerprint())
        try:
            self.client.register_plugin(sandbox, name=self.plugin)
        except UsageError:
            raise
        except Exception as exc:
            raise UsageError(f"the Dask workers could not set up the grader ({type(exc).__name__}: "
                             f"{exc}); every worker needs optigrade installed") from None
        plain = sorted(w for w, i in self.client.run(_isolation, plugin=self.plugin).items()
                       if i == "process")
        if plain:
            print(f"grader: warning: bubblewrap is not available on {', '.join(plain)}, so "
                  "notebooks run there as plain processes; each result records this",
                  file=sys.stderr)

    def __exit__(self, *exc):
        if self.lost or self.client.status in ("closing", "closed"):
            # It gave up on a lost scheduler and closes itself: let it finish.
            deadline = time.monotonic() + 5
            while self.client.status != "closed" and time.monotonic() < deadline:
                time.sleep(0.05)
            return False
        try:
            self.client.unregister_worker_plugin(self.plugin)  # closes every worker's launcher
        except Exception:
            pass  # a cluster going away takes its sandboxes with it
        finally:
            self.client.close()
        return False

    @property
    def slots(self) -> int:
        return max(2, 2 * sum(self.client.nthreads().values()))

    def run(self, cells: list, programs: list, limits: Limits, files: dict | None = None,
            code: str = "") -> RawRun:
        from distributed import CancelledError

        if not self.lost and self.client.status == "running":
            future = self.client.submit(run_on_worker, self.plugin, cells, programs, limits, files,
                                        code, pure=False, retries=RETRIES)
            try:
                return future.result()
            except CancelledError:
                pass  # our futures are only cancelled when the client loses the scheduler
        self.lost = True
        raise ClusterLost(f"lost the Dask scheduler at {self.address}: the results finished so "
                          "far are in the journal; rerun with --resume when it is back")
