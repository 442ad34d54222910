"""Where bubblewrap cannot create namespaces (a container without privileges):
each worker a plain process of an unprivileged user of its own, with every limit.

What that user cannot read is hidden by permissions instead of by an empty
file system: the packages of this project (the reference and the hidden checks'
data) and any folder the caller names (submissions, outputs) become readable
by root only, and the worker runs from a copy of ``grader/harness`` alone. The
user keeps the network and sees the rest of the machine; after each submission
every process of that user is killed and its files in the shared temporary
folders are removed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.errors import UsageError
from grader.execute.handle import Worker
from grader.execute.launcher import (HARNESS, PROJECT, THREADS_1, LocalLauncher, claim_uids,
                                     installed_packages)

SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


class UserLauncher(LocalLauncher):
    isolation = "unprivileged user (no namespaces)"
    own_user = True
    FIRST_UID = 62000

    def __init__(self, hidden=(), slots: int = 1, module: str = "harness.worker"):
        self.module = module
        self.hidden = [Path(p) for p in (PROJECT, *installed_packages(), *hidden) if p is not None]
        self.slots = max(1, slots)
        self.claims: list = []
        self.free: list = []
        self.root = None

    def __enter__(self):
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            raise UsageError("--isolation user needs root and setpriv (util-linux)")
        for path in self.hidden:
            if path.exists():
                os.chmod(path, 0o700)
        self.claims = claim_uids(self.FIRST_UID, self.slots)
        self.free = [uid for uid, _ in self.claims]
        _can_run_python(self.free[0])
        self.root = Path(tempfile.mkdtemp(prefix="grader-harness-"))
        shutil.copytree(HARNESS, self.root / "harness",
                        ignore=shutil.ignore_patterns("__pycache__", "selfcheck.py"))
        os.chmod(self.root, 0o755)
        return self

    def __exit__(self, *exc):
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        for _, fd in self.claims:
            os.close(fd)
        self.claims = []
        return False

    def start(self, programs: bytes = b"") -> Worker:
        uid = self.free.pop()
        workdir = tempfile.mkdtemp(prefix="grader-")
        os.chown(workdir, uid, uid)
        env = dict(THREADS_1, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", HOME=workdir,
                   PATH="/usr/local/bin:/usr/bin:/bin", LANG="C.UTF-8",
                   MPLCONFIGDIR=os.path.join(workdir, ".mpl"))
        boot = (f"import sys, runpy; sys.path.insert(0, {str(self.root)!r}); "
                f"runpy.run_module({self.module!r}, run_name='__main__')")
        try:
            proc = subprocess.Popen(_as_user(uid) + [sys.executable, "-I", "-c", boot],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, cwd=workdir, env=env,
                                    start_new_session=True)
        except BaseException:
            self.free.append(uid)
            raise
        return Worker.of_process(proc, workdir=workdir, uid=uid)

    def stop(self, worker, finished=True):
        super().stop(worker)
        _kill_all(worker.uid)  # also what left the session (setsid, double fork)
        _remove_files_of(worker.uid)
        self.free.append(worker.uid)


def _as_user(uid: int) -> list:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def _can_run_python(uid: int) -> None:
    """Refuse to start when the user cannot run this Python and numpy (a folder
    on the way readable by root only): else every notebook would fail as the
    student's error."""
    probe = subprocess.run(_as_user(uid) + [sys.executable, "-I", "-c", "import numpy"],
                           cwd="/", capture_output=True, text=True)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"an unprivileged user cannot run {sys.executable} with numpy ({last}): "
                         "install Python where every user may read it")


def _kill_all(uid: int) -> None:
    """kill(-1) as the user: every process of that user, until none is left."""
    for _ in range(10):
        done = subprocess.run(_as_user(uid) + [sys.executable, "-I", "-S", "-c",
                              "import os, signal\ntry: os.kill(-1, signal.SIGKILL)\n"
                              "except ProcessLookupError: raise SystemExit(3)"],
                              capture_output=True)
        if done.returncode == 3:
            return


def _remove_files_of(uid: int) -> None:
    for folder in SHARED_TMP:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
