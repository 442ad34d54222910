"""How the student's process is started.

A launcher returns a started process whose stdin/stdout carry the protocol
and which ``stop`` ends together with every process it started.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile


class Launcher:
    """Interface: start a worker in a fresh working directory; stop it for good."""

    isolation = "none"

    def start(self, workdir: str) -> subprocess.Popen:
        raise NotImplementedError

    def stop(self, proc: subprocess.Popen) -> None:
        """Kill the worker's whole process group, then reap it."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()

    def workdir(self):
        return tempfile.TemporaryDirectory(prefix="grader-")


class LocalLauncher(Launcher):
    """A plain child process in its own session, with a private temporary cwd."""

    isolation = "process"

    def start(self, workdir: str) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY", "JUPYTER"))}
        env.update(MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", HOME=workdir)
        return subprocess.Popen([sys.executable, "-m", "grader.harness.worker"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd=workdir, env=env,
                                start_new_session=True)
