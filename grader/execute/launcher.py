"""How the student's process is started, confined and stopped.

A launcher is a context manager for one grading run: ``start`` returns a
running ``handle.Worker`` whose streams carry the protocol, ``stop`` ends it
together with every process it started. ``isolation`` names what is in
force, and each result records it.

``BwrapLauncher`` (Linux with bubblewrap): own PID, network, IPC and mount
namespaces; a read-only file system built from an empty root with only the
system's programs, libraries and settings and the Python that runs the
worker (no home, project, submission or output folder); a fresh private
/tmp as working directory; an unprivileged user per job slot, so that
process limits hold; the worker's code is a copy of ``grader/harness`` only.
``LocalLauncher`` is the fallback: a plain child process in its own session.
``fork_server.ForkServerLauncher`` forks each worker from a warm process in
the sandbox instead of starting one.
In both, the worker applies the resource limits and the seccomp filter
(``harness.seccomp``) to itself before any student code runs.

Each submission runs in a cgroup of its own where one can be made
(``cgroups``): its memory is capped as a whole and everything it started is
killed when it ends; else a watchdog sums its processes' resident memory.
``memory_cap`` names which, and each result records it.
"""
from __future__ import annotations

import fcntl
import itertools
import os
import queue
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import grader
from grader.execute import cgroups
from grader.execute.handle import Worker

HARNESS = Path(grader.__file__).parent / "harness"
#: A source checkout holding grader/ (an editable install); None when installed from a wheel,
#: where grader's parent is site-packages, which the worker's Python needs.
PROJECT = Path(grader.__file__).resolve().parent.parent
PROJECT = PROJECT if (PROJECT / "pyproject.toml").is_file() else None
#: What a notebook sees of the machine (read-only): the system, none of its data.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
THREADS_1 = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Launcher:
    isolation = "none"
    own_user = False  # True when the worker runs as a user of its own (process limits hold)
    memory_cap = ""  # what caps a submission's memory as a whole: see ``confine``
    #: The cgroup memory caps to use where the machine allows; () forces the watchdog.
    caps = (cgroups.V2, cgroups.V1)
    tree = monitor = None
    _frame: tuple = (None, "", b"")  # (programs, code, their frame): see ``programs_frame``
    _remote: tuple = (None, None, None)  # (programs, extension, their cases): ``remote_cases``

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _open_cgroups(self) -> None:
        self.tree, self.monitor = cgroups.Tree.open(self.caps), cgroups.Monitor()
        self.memory_cap = self.tree.memory

    def _close_cgroups(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
        if self.tree is not None:
            self.tree.close()  # kills whatever is left in any of the run's groups
        self.tree = self.monitor = None

    def _group(self, name: str) -> cgroups.Group:
        group = self.tree.group(name) if self.tree is not None else cgroups.Group([], "")
        group.create()
        return group

    def confine(self, worker: Worker, memory: int) -> str:
        """Cap the memory of everything the submission ``worker`` runs at ``memory``
        bytes, before it is given any work; which cap is in force:
        "cgroup v2", "cgroup v1", "watchdog" (resident memory summed), or ""."""
        group = worker.group
        if self.monitor is None or group is None:
            return ""
        if self.memory_cap in (cgroups.V1, cgroups.V2) and group.limit(memory):
            self.monitor.watch(worker, group, memory)
            return self.memory_cap
        self.monitor.watch(worker, group, memory, self._members(worker))
        return cgroups.WATCHDOG

    def _members(self, worker: Worker):
        """For the watchdog: a function giving the pids of ``worker``'s submission."""
        return lambda: cgroups.process_tree(worker.process.pid)

    def over_memory(self, worker: Worker) -> bool:
        """Whether the submission ``worker`` ran was ended for going over its memory cap."""
        if worker.over:
            return True
        return bool(self.monitor and self.monitor.over(worker)) or \
            bool(worker.group is not None and worker.group.oom_killed())

    def _end(self, worker: Worker) -> None:
        """Kill everything of the submission, note whether it went over, drop its group."""
        group = worker.group
        if group is None:
            return
        group.kill()
        over = self.monitor.forget(worker) if self.monitor is not None else False
        worker.over = over or group.oom_killed()
        group.remove()

    def programs_frame(self, programs: list, code: str, encode) -> bytes:
        """``encode(programs, code)``, the frame this launcher's workers are given,
        made once for the many submissions of a class. The programs are kept by
        identity: the list held here cannot be freed and its id reused."""
        held, held_code, frame = self._frame
        if held is not programs or held_code != code:
            frame = encode(programs, code)
            self._frame = (programs, code, frame)
        return frame

    def remote_cases(self, programs: list, own, build):
        """``build(programs, own)``, the remote grad_fn calls of the programs answered
        here, made once for the many submissions of a class; kept as ``programs_frame``
        keeps its frame."""
        held, held_own, cases = self._remote
        if held is not programs or held_own is not own:
            cases = build(programs, own)
            self._remote = (programs, own, cases)
        return cases

    def start(self, programs: bytes = b"") -> Worker:
        """A running worker. ``programs``: the class's programs frame, which a
        launcher may hand over ahead of time (the worker is then preloaded)."""
        raise NotImplementedError

    def stop(self, worker: Worker, finished: bool = True) -> None:
        """End the worker with its whole process group.

        ``finished``: the worker ended its conversation (no timeout, no garbage).
        """
        worker.kill()


class LocalLauncher(Launcher):
    """A child process in its own session with a private temporary cwd."""

    isolation = "process"

    def __init__(self, module: str = "harness.worker"):
        self.module = f"grader.{module}"
        self.count = itertools.count()

    def __enter__(self):
        self._open_cgroups()
        return self

    def __exit__(self, *exc):
        self._close_cgroups()
        return False

    def start(self, programs: bytes = b"") -> Worker:
        workdir = tempfile.mkdtemp(prefix="grader-")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY", "JUPYTER"))}
        env.update(THREADS_1, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", HOME=workdir)
        group = self._group(f"run-{next(self.count)}")
        try:
            proc = subprocess.Popen(group.join_argv([sys.executable, "-m", self.module]),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, cwd=workdir, env=env,
                                    start_new_session=True)
        except BaseException:
            group.remove()
            raise
        return Worker.of_process(proc, workdir=workdir, group=group)

    def stop(self, worker, finished=True):
        super().stop(worker)
        self._end(worker)
        shutil.rmtree(worker.workdir, ignore_errors=True)


class BwrapLauncher(Launcher):
    """The worker inside bubblewrap, as an unprivileged user (see module doc)."""

    isolation = "bubblewrap"
    FIRST_UID = 61000

    def __init__(self, hidden=(), slots: int = 1, tmp_size: int = 256 * 2 ** 20,
                 module: str = "harness.worker"):
        self.module = module
        # Data that must stay unseen even where it lies inside a visible folder:
        # the project, and its packages wherever installed (a non-editable
        # install puts them in site-packages, which the worker's Python needs).
        self.hidden = [Path(p).resolve() for p in (PROJECT, *installed_packages(), *hidden)
                       if p is not None and Path(p).exists()]
        self.tmp_size = tmp_size
        self.slots = max(1, slots)
        self.uids: queue.Queue = queue.Queue()
        self.claims: list = []
        self.root = None
        self.own_user = os.geteuid() == 0

    def __enter__(self):
        try:
            return self._enter()
        except BaseException:
            self.__exit__()  # releases the users claimed so far
            raise

    def _enter(self):
        self.claims = claim_uids(self.FIRST_UID, self.slots)
        for uid, _ in self.claims:
            clear_keyrings(uid)
            self.uids.put(uid)
        # The worker's code, copied where the sandbox can see it: the harness
        # only, never grader/, reference/ or assignments/.
        self.root = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
        shutil.copytree(HARNESS, self.root / "harness",
                        ignore=shutil.ignore_patterns("__pycache__", "selfcheck.py"))
        if (fonts := matplotlib_font_cache()) is not None:  # see harness.cells._seed_font_cache
            (self.root / "mpl").mkdir()
            shutil.copy(fonts, self.root / "mpl" / fonts.name)
        os.chmod(self.root, 0o755)
        self._open_cgroups()
        return self

    def __exit__(self, *exc):
        self._close_cgroups()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        for _, fd in self.claims:
            os.close(fd)  # releases the lock
        self.claims = []
        return False

    def argv(self, uid: int, module: str | None = None, *extra: str,
             drop: bool = True, cgroups_in: list = ()) -> list[str]:
        """``cgroups_in``: cgroup dirs bound writable at /run/cgroup/<n>, for a
        fork server to place each child in (then no cgroup namespace: v2 lets no
        process move another to a cgroup outside its namespace)."""
        module = module or self.module
        # The private /tmp first: a project (and its .venv) kept under /tmp is
        # then bound on top of it instead of being covered by it.
        args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                *([] if cgroups_in else ["--unshare-cgroup-try"]), "--die-with-parent",
                "--new-session", "--perms", "1777", "--size", str(self.tmp_size), "--tmpfs", "/tmp",
                *self.view(), "--dev", "/dev", "--proc", "/proc", "--perms", "0755", "--dir", "/run",
                "--ro-bind", str(self.root), "/run/grader", "--chdir", "/tmp", "--clearenv"]
        for n, path in enumerate(cgroups_in):
            args += ["--bind", str(path), f"/run/cgroup/{n}"]
        env = dict(THREADS_1, HOME="/tmp", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
                   PATH="/usr/local/bin:/usr/bin:/bin", LANG="C.UTF-8", MPLCONFIGDIR="/tmp/.mpl")
        for key, value in env.items():
            args += ["--setenv", key, value]
        python = sys.executable
        boot = ("import sys, runpy; sys.path.insert(0, '/run/grader'); "
                f"runpy.run_module({module!r}, run_name='__main__')")
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--"] if drop and os.geteuid() == 0 else []
        return args + ["--", *drop, python, "-I", "-c", boot, *extra]

    def view(self) -> list[str]:
        """The file system a notebook sees, read-only, from an empty root: the
        system's programs, libraries and settings, and the Python that runs
        the worker; no home, project, submission or output folder."""
        args, shown = [], []
        for name in SYSTEM:
            path = Path(name)
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), name]
            elif path.is_dir():
                args += ["--ro-bind", name, name]
                shown.append(path)
        for path in sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
                            *site_folders()}):
            if any(path == s or s in path.parents for s in shown):
                continue
            for parent in reversed(path.parents[:-1]):  # readable: bwrap would make them 0700
                args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", str(path), str(path)]
            shown.append(path)
        for path in self.hidden:  # e.g. submissions kept inside a virtual environment
            if any(path == s or s in path.parents for s in shown):
                args += ["--tmpfs", str(path)]
        return args

    def start(self, programs: bytes = b"") -> Worker:
        uid, group = self.uids.get(), None
        try:
            group = self._group(f"slot-{uid}/run")
            proc = subprocess.Popen(group.join_argv(self.argv(uid)), stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
        except BaseException:
            if group is not None:
                group.remove()
            self.uids.put(uid)  # else the slot is lost and later submissions wait forever
            raise
        return Worker.of_process(proc, uid=uid, group=group)

    def stop(self, worker, finished=True):
        super().stop(worker)  # bwrap's death ends its PID namespace, detached children included
        self._end(worker)
        self.uids.put(worker.uid)

    def _members(self, worker):
        if self.own_user:  # the slot's user runs this submission only
            return lambda: cgroups.processes_of_user(worker.uid)
        return super()._members(worker)


def matplotlib_font_cache() -> Path | None:
    """This process's matplotlib font list file, if matplotlib has one."""
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    name = f"fontlist-v{font_manager.FontManager.__version__}.json"
    path = Path(matplotlib.get_cachedir(), name)
    return path if path.is_file() else None


def claim_uids(first: int, count: int, span: int = 1000) -> list:
    """``count`` sandbox users that no other grading run on this host holds.

    Each is an exclusive ``flock`` on a file in the temporary folder, kept as
    [(uid, fd)] while the launcher is open; the kernel releases it when the
    process ends, so a killed run never keeps its users. Two runs sharing a
    user would share its process limit (and could signal each other's work).
    """
    claimed = []
    for uid in range(first, first + span):
        if len(claimed) == count:
            break
        try:
            fd = os.open(os.path.join(tempfile.gettempdir(), f"optigrade-uid-{uid}.lock"),
                         os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError:
            continue  # another user's file: not ours to take
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        claimed.append((uid, fd))
    if len(claimed) < count:
        for _, fd in claimed:
            os.close(fd)
        raise OSError(f"no {count} free sandbox users from {first} to {first + span - 1}")
    return claimed


def site_folders() -> list[Path]:
    """The site-packages folders this Python imports from, also those outside its
    prefix (a ``.pth`` line naming another environment's), which the worker needs."""
    return [Path(p).resolve() for p in sys.path
            if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]


def clear_keyrings(uid: int) -> None:
    """Empty the kernel key rings of ``uid``, a sandbox user: per-user state that no
    namespace isolates. (Under the seccomp filter no student adds a key; this
    clears what an older run, or any other program of that user, left.)"""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return
    from grader.harness.seccomp import SYSCALLS
    import platform
    keyctl = SYSCALLS.get(platform.machine(), {}).get("keyctl")
    if keyctl is None:
        return
    clear = ("import ctypes\nlibc = ctypes.CDLL(None)\n"
             "for ring in (-4, -5):  # the user's key ring and its session key ring\n"
             f"    libc.syscall(ctypes.c_long({keyctl}), ctypes.c_long(7), ctypes.c_long(ring))\n")
    subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                    sys.executable, "-I", "-S", "-c", clear],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


def installed_packages() -> list[Path]:
    """Where grader, reference and the built-in assignments are installed."""
    import reference

    from grader.course import builtin_root
    return [Path(m.__file__).resolve().parent for m in (grader, reference)] + [builtin_root()]


def bwrap_works() -> bool:
    if sys.platform != "linux" or not shutil.which("bwrap"):
        return False
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        return False
    try:
        probe = subprocess.run(["bwrap", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/",
                                "--proc", "/proc", "--dev", "/dev", "true"],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0
