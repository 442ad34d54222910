"""A cgroup per submission: one memory cap on all it runs, and one kill for all of it.

A grading run makes ``optigrade-<its pid>`` under its own cgroup in each
hierarchy it can write (as root, or in a delegated subtree): cgroup v2, and
v1's memory controller when v2 has no memory controller to offer. Each
submission gets a group below it; its processes, its SysV/POSIX shared
memory and its tmpfs pages are all charged there (swap 0). Where no memory
controller is writable, a ``Monitor`` (watchdog) sums the resident memory of
the submission's processes instead. The monitor also ends a submission whose
cgroup saw an OOM kill, so that a submission is never left half-killed.

Killing: v2's ``cgroup.kill``; else every pid listed, again until none is
left. A run's tree is removed when it ends; the tree of a run that was
killed (its pid gone) is removed, with any process in it, by the next run.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

PREFIX = "optigrade-"
V2, V1 = "cgroup v2", "cgroup v1"
WATCHDOG = "watchdog"


def _own_cgroups() -> tuple[Path | None, Path | None]:
    """(this process's v2 cgroup dir, its v1 memory cgroup dir), where mounted."""
    mounts = {}
    try:
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, right = line.split(" - ")
            fields, (fstype, _, options) = left.split(), right.split()[:3]
            root, point = fields[3], fields[4]
            if fstype == "cgroup2":
                mounts.setdefault("v2", (root, point))
            elif fstype == "cgroup" and "memory" in options.split(","):
                mounts.setdefault("memory", (root, point))
        own = dict(line.split(":", 2)[1:] for line in
                   Path("/proc/self/cgroup").read_text().splitlines())
    except (OSError, ValueError):
        return None, None

    def place(key, name):
        if key not in mounts or name not in own:
            return None
        root, point = mounts[key]
        path = own[name]
        if root != "/" and not (path == root or path.startswith(root + "/")):
            return None
        return Path(point, os.path.relpath(path, root) if root != "/" else path.lstrip("/"))
    return place("v2", ""), place("memory", "memory")


def _write(path: Path, value) -> bool:
    try:
        path.write_text(str(value))
        return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


class Tree:
    """The cgroups of one grading run (``optigrade-<pid>`` in each hierarchy used)."""

    def __init__(self):
        self.bases: list[tuple[str, Path]] = []  # (kind, dir): kind "v2" or "v1"
        self.memory = WATCHDOG

    @classmethod
    def open(cls, allow=(V2, V1)) -> "Tree":
        tree = cls()
        v2, v1 = _own_cgroups()
        for kind, own in (("v2", v2), ("v1", v1)):
            if own is None or (kind == "v1" and tree.memory == V2):
                continue
            _remove_stale(own)
            base = own / f"{PREFIX}{os.getpid()}"
            try:
                base.mkdir(exist_ok=True)
            except OSError:
                continue
            tree.bases.append((kind, base))
            if kind == "v2" and V2 in allow and _enable_memory(own, base):
                tree.memory = V2
            elif kind == "v1" and V1 in allow:
                tree.memory = V1
        return tree

    def group(self, name: str) -> "Group":
        return Group([(kind, base / name) for kind, base in self.bases], self.memory)

    def close(self) -> None:
        for _, base in self.bases:
            _remove_tree(base)
        self.bases = []


def _enable_memory(own: Path, base: Path) -> bool:
    try:
        if "memory" not in (own / "cgroup.controllers").read_text().split():
            return False
    except OSError:
        return False
    return _write(own / "cgroup.subtree_control", "+memory") and \
        _write(base / "cgroup.subtree_control", "+memory")


def _remove_stale(own: Path) -> None:
    """Trees of runs whose grader is gone (killed): their processes, then the dirs."""
    try:
        names = [p for p in own.iterdir() if p.name.startswith(PREFIX)]
    except OSError:
        return
    for path in names:
        pid = path.name[len(PREFIX):]
        if pid.isdecimal() and int(pid) != os.getpid() and not _alive(int(pid)):
            _remove_tree(path)


def _remove_tree(path: Path) -> None:
    for sub in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        Group([("v1", sub)], "").remove()
    Group([("v1", path)], "").remove()


class Group:
    """One cgroup (a dir in each hierarchy): a submission, or a fork server."""

    def __init__(self, dirs: list, memory: str):
        self.dirs, self.memory = dirs, memory
        self.oom_seen = False

    def create(self) -> None:
        for kind, path in self.dirs:
            path.mkdir(parents=True, exist_ok=True)
            if kind == "v2" and self.memory == V2:
                _write(path.parent / "cgroup.subtree_control", "+memory")

    def join_argv(self, argv: list) -> list:
        """``argv`` started inside this group (a shell joins it, then execs)."""
        if not self.dirs:
            return argv
        script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", script, "sh",
                *(str(path / "cgroup.procs") for _, path in self.dirs), "--", *argv]

    def limit(self, memory: int) -> bool:
        """Cap the group's memory, swap 0; False if the cap could not be set."""
        for kind, path in self.dirs:
            if kind == "v2" and self.memory == V2:
                _write(path / "memory.swap.max", 0)
                _write(path / "memory.oom.group", 1)
                return _write(path / "memory.max", memory)
            if kind == "v1" and self.memory == V1:
                ok = _write(path / "memory.limit_in_bytes", memory)
                _write(path / "memory.memsw.limit_in_bytes", memory)
                _write(path / "memory.swappiness", 0)
                return ok
        return False

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the group for its memory."""
        for kind, path in self.dirs:
            name = "memory.events" if kind == "v2" else "memory.oom_control"
            try:
                text = (path / name).read_text()
            except OSError:
                continue
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip() not in ("", "0"):
                    self.oom_seen = True
        return self.oom_seen

    def pids(self) -> set[int]:
        found = set()
        for _, path in self.dirs:
            for procs in [path / "cgroup.procs", *path.glob("*/cgroup.procs")]:
                try:
                    found.update(int(p) for p in procs.read_text().split())
                except (OSError, ValueError):
                    pass
        return found

    def kill(self, within: float = 5.0) -> None:
        """Every process of the group, dead and gone (by ``within`` seconds)."""
        for _, path in self.dirs:
            if (path / "cgroup.kill").exists():
                _write(path / "cgroup.kill", 1)
        stop = time.monotonic() + within
        while (pids := self.pids()) and time.monotonic() < stop:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.005)

    def remove(self) -> None:
        self.kill()
        for _, path in self.dirs:
            stop = time.monotonic() + 5.0
            while path.exists():
                try:
                    path.rmdir()
                except OSError:
                    if time.monotonic() > stop:
                        break
                    time.sleep(0.01)


def resident(pids) -> int:
    """Bytes of resident memory of ``pids`` (those still there)."""
    page, total = os.sysconf("SC_PAGE_SIZE"), 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            pass
    return total


def processes_of_user(uid: int) -> set[int]:
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdecimal():
            try:
                if entry.stat().st_uid == uid:
                    found.add(int(entry.name))
            except OSError:
                pass
    return found


def process_tree(root: int) -> set[int]:
    """``root``, its descendants, and every process of its session."""
    parents, sessions = {}, {}
    for entry in os.scandir("/proc"):
        if entry.name.isdecimal():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
                sessions[int(entry.name)] = int(fields[3])
            except (OSError, ValueError, IndexError):
                pass
    tree, grew = {root}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return (tree | {p for p, s in sessions.items() if s == root}) & set(parents)


class Monitor:
    """A thread that ends submissions over their memory: those whose cgroup saw
    an OOM kill (the rest of the submission goes too), or, as a watchdog, those
    whose processes' resident memory sums to more than their cap."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.watched, self.lock = interval, {}, threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True, name="memory-monitor")
        self.thread.start()

    def watch(self, key, group: Group, cap: int, members=None) -> None:
        """``members``: a function giving the pids to sum (watchdog), else the cgroup's."""
        with self.lock:
            self.watched[key] = (group, cap, members, [False])

    def over(self, key) -> bool:
        with self.lock:
            entry = self.watched.get(key)
        return bool(entry and entry[3][0])

    def forget(self, key) -> bool:
        """Stop watching; whether the submission went over."""
        with self.lock:
            entry = self.watched.pop(key, None)
        return bool(entry and entry[3][0])

    def close(self) -> None:
        self.running = False

    def _run(self) -> None:
        while self.running:
            with self.lock:
                entries = list(self.watched.values())
            for group, cap, members, over in entries:
                if over[0]:
                    continue
                if members is None:
                    if group.oom_killed():
                        over[0] = True
                        group.kill()
                elif resident(pids := members()) > cap:
                    over[0] = True
                    for _ in range(3):
                        for pid in pids | members():
                            try:
                                os.kill(pid, signal.SIGKILL)
                            except OSError:
                                pass
            time.sleep(self.interval if any(e[2] is None for e in entries) else 2 * self.interval)
