"""The grader's handle on one running worker (the student's process, ``harness.worker``).

A launcher's ``start`` returns a ``Worker`` and its ``stop`` ends it; the
session talks to it through ``stdin`` (where the grader writes) and ``stdout``
(where it reads), each anything with a ``fileno``.
"""
from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass

from grader.execute import cgroups


@dataclass(eq=False)  # a key of the memory monitor: by identity
class Worker:
    """One worker: its process (None for a child of a fork server, which the
    server owns), its protocol streams, and what the launcher must undo when
    it ends: its working directory, its sandbox user, its cgroup."""
    stdin: object
    stdout: object
    process: subprocess.Popen | None = None
    workdir: str | None = None  # a folder of the grader's to remove, if any
    uid: int | None = None  # the job slot's sandbox user, if it has one
    group: cgroups.Group | None = None  # the submission's cgroup, if any
    preloaded: bool = False  # its fork server holds the programs: they are not sent
    over: bool = False  # ended for going over its memory cap (known once it is stopped)

    @classmethod
    def of_process(cls, process: subprocess.Popen, **kwargs) -> "Worker":
        """A worker speaking the protocol on the process's stdin and stdout."""
        return cls(process.stdin, process.stdout, process, **kwargs)

    @classmethod
    def of_socket(cls, sock, **kwargs) -> "Worker":
        """A worker speaking the protocol on one socket, both ways."""
        return cls(sock, sock, **kwargs)

    def kill(self) -> None:
        """Kill the worker's whole process group and reap it; a child of a fork
        server only loses its socket (the server reaps it)."""
        if self.process is not None:
            kill_session(self.process)
        else:
            self.stdin.close()


def kill_session(process: subprocess.Popen) -> None:
    """Kill ``process``, the leader of its own session, with its process group, then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
