"""A warm fork server: one per job slot, inside that slot's sandbox (the
grader's side is ``grader.execute.fork_server``).

It imports numpy, IPython and matplotlib and builds the IPython shell once,
then forks one child per submission; the child runs ``worker.main`` over a
socket the grader passed in, with the programs the server holds. Each child
gets an IPC namespace of its own (SysV shared memory, semaphores, message
queues, POSIX message queues: gone with it) and moves itself into the submission's cgroup, which the grader
made under /run/cgroup/<n>/run, then unmounts /run/cgroup in a mount
namespace of its own, so that student code never sees the cgroup files. Between submissions the server kills every
process the child left behind (all of the slot's user, which only this
sandbox runs) and empties /tmp and /dev/shm, so nothing of one submission
survives into the next. Started as root inside the sandbox, it drops each
child to the slot's unprivileged user (second argument) with no_new_privs
set, so a child can neither signal nor ptrace the server; it is also made
non-dumpable. The child's seccomp filter comes with the worker's limits.

Control socket (fd given as the first argument): the server writes b"R"
when ready; the grader sends b"G" with the submission's socket attached,
and b"P" followed by the programs' frame to have them decoded here once,
with the inputs of sealed programs in read-only memory and the assignment's
own code loaded, for every child to inherit.
"""
from __future__ import annotations

import ctypes
import gc
import os
import shutil
import signal
import socket
import sys
import tempfile

from . import cells, programs, wire, worker

PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWNS = 0x08000000, 0x10000000, 0x00020000
MS_REC, MS_PRIVATE, MNT_DETACH = 0x4000, 0x40000, 2
CGROUPS = "/run/cgroup"


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    user = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None
    _silence()
    cells.warm()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    # Keep the collector off the warm objects, so that children do not copy
    # the pages it would touch (copy-on-write): much cheaper forks.
    gc.collect()
    gc.freeze()
    control.sendall(b"R")
    preloaded = None  # the class's programs, once the grader sent them
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1, 1)
        except OSError:
            os._exit(0)
        if message == b"P":
            preloaded = _preload(control)
            continue
        if not message or not fds:
            os._exit(0)  # the grader has gone
        pid = os.fork()
        if pid == 0:
            _child(control, fds[0], user, libc, preloaded)
        os.close(fds[0])
        os.waitpid(pid, 0)
        _sweep()
        control.sendall(b"R")


def _preload(control) -> list:
    """The programs' frame from the control socket, decoded and sealed."""
    stream = control.makefile("rb", buffering=0)  # reads no further than the frame
    plan = worker.load_programs(wire.decode(wire.read_frame(stream, worker.FRAME_LIMIT)))
    stream.close()
    programs.seal(plan)  # read-only for every child, before any exists
    return plan


def _child(control, fd, user, libc, preloaded) -> None:
    try:
        control.close()
        _fresh_ipc(libc, strict=user is not None)
        if user is not None:
            _join_cgroup(libc)
            if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                raise OSError("no_new_privs could not be set")
            os.setgroups([])
            os.setresgid(user, user, user)
            os.setresuid(user, user, user)
        os.dup2(fd, 0)
        os.dup2(fd, 1)
        os.close(fd)
        workdir = tempfile.mkdtemp(prefix="work-", dir="/tmp")  # after the drop: the user's own
        os.chdir(workdir)
        os.environ["HOME"] = workdir
        worker.main(preloaded)
    finally:
        os._exit(1)


def _fresh_ipc(libc, strict: bool) -> None:
    """An IPC namespace of the child's own: as root, or in a user namespace of
    its own where the machine allows one (``strict``: root must get one)."""
    if libc.unshare(CLONE_NEWIPC) == 0:
        return
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0 and strict:
        raise OSError(ctypes.get_errno(), "no IPC namespace of its own")


def _join_cgroup(libc) -> None:
    """Into the submission's cgroup in each hierarchy (there when the grader made
    one), then out of sight: the cgroup mounts go in a mount namespace of its own."""
    if not os.path.isdir(CGROUPS):
        return
    names = os.listdir(CGROUPS)
    for name in names:
        with open(os.path.join(CGROUPS, name, "run", "cgroup.procs"), "w") as f:
            f.write("0")
    if libc.unshare(CLONE_NEWNS) != 0 or libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None):
        raise OSError(ctypes.get_errno(), "no mount namespace of its own")
    for name in names:
        if libc.umount2(os.path.join(CGROUPS, name).encode(), MNT_DETACH) != 0:
            raise OSError(ctypes.get_errno(), "the cgroup could not be unmounted")


def _sweep() -> None:
    """Kill whatever the submission left running, then empty /tmp and /dev/shm."""
    for _ in range(100):
        try:
            os.kill(-1, signal.SIGKILL)  # every process we may signal but ourselves and init
        except ProcessLookupError:
            break
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    for top in ("/tmp", "/dev/shm"):
        for name in os.listdir(top) if os.path.isdir(top) else ():
            path = os.path.join(top, name)
            try:
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) \
                    else os.remove(path)
            except OSError:
                pass


def _silence() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


if __name__ == "__main__":
    main()
