"""The warm execution path: one fork server per job slot, inside that slot's sandbox.

The server (``harness.zygote``) has numpy, IPython and matplotlib loaded and
the class's programs decoded; each submission is a fork of it. Control
socket: the server says b"R" when ready; the grader sends b"P" and the
programs' frame, and b"G" with the submission's socket attached.
"""
from __future__ import annotations

import socket
import subprocess

from grader.execute.launcher import BwrapLauncher, Launcher


class ForkServerLauncher(BwrapLauncher):
    """BwrapLauncher with one warm fork server per job slot (``harness.zygote``).

    Each submission is a fork of a process that has numpy, IPython and
    matplotlib loaded, in the same sandbox as before. The server also holds
    the class's programs, decoded once (the data the grader would otherwise
    send each child). A submission that has to be stopped (timeout, garbage)
    takes its slot's server with it, and a fresh one starts for the next
    submission.
    """

    isolation = "bubblewrap, warm fork server"
    READY_TIMEOUT = 30.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.servers: dict = {}
        self.starting: set = set()  # uids whose server has not said it is ready yet
        self.loaded: dict = {}  # uid -> the programs frame its server holds

    def _enter(self):
        super()._enter()
        for uid, _ in self.claims:  # they warm up while the grader reads the class
            try:
                self._spawn(uid)
            except OSError:
                pass  # tried again, and reported, by the first start() of the slot
        return self

    def __exit__(self, *exc):
        for uid in list(self.servers):
            self._kill(uid)
        return super().__exit__(*exc)

    def start(self, programs: bytes = b""):
        uid = self.uids.get()
        try:
            control = self._server(uid)
            if programs and self.loaded.get(uid) != programs:
                control.sendall(b"P" + programs)
                self.loaded[uid] = programs
            ours, theirs = socket.socketpair()
            socket.send_fds(control, [b"G"], [theirs.fileno()])
            theirs.close()
        except OSError:
            self._kill(uid)
            self.uids.put(uid)
            raise
        return _Forked(uid, ours, preloaded=bool(programs))

    def stop(self, proc, finished=True):
        if not finished:
            self._kill(proc.uid)  # the child may still be running: its sandbox goes with it
        proc.close()
        if finished and not self._ready(proc.uid, timeout=5.0):
            self._kill(proc.uid)
        self.uids.put(proc.uid)

    def _server(self, uid):
        if uid not in self.servers:
            self._spawn(uid)
        if uid in self.starting:
            self.starting.discard(uid)
            if not self._ready(uid, self.READY_TIMEOUT):
                self._kill(uid)
                raise OSError("the fork server did not start")
        return self.servers[uid][1]

    def _spawn(self, uid):
        ours, theirs = socket.socketpair()
        # The server keeps root inside the sandbox (it only runs our code) and
        # each child drops to the slot's user: students cannot signal it.
        user = str(uid) if self.own_user else ""
        try:
            server = subprocess.Popen(
                self.argv(uid, "harness.zygote", str(theirs.fileno()), user,
                          drop=not self.own_user),
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.servers[uid] = (server, ours)
        self.starting.add(uid)

    def _ready(self, uid, timeout) -> bool:
        _, control = self.servers[uid]
        control.settimeout(timeout)
        try:
            return control.recv(1) == b"R"
        except OSError:
            return False

    def _kill(self, uid):
        self.loaded.pop(uid, None)
        self.starting.discard(uid)
        server, control = self.servers.pop(uid, (None, None))
        if server is not None:
            control.close()
            Launcher.stop(self, server)


class _Forked:
    """The grader's end of one forked worker: one socket as its stdin and stdout
    (the session reads and writes the file descriptor itself)."""

    def __init__(self, uid, sock, preloaded=False):
        self.uid, self.sock, self.preloaded = uid, sock, preloaded
        self.stdin = self.stdout = sock

    def close(self):
        self.sock.close()
