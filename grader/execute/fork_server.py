"""The warm execution path: one fork server per job slot, inside that slot's sandbox.

The server (``harness.fork_server``) has numpy, IPython and matplotlib loaded and
the class's programs decoded; each submission is a fork of it. Control
socket: the server says b"R" when ready; the grader sends b"P" and the
programs' frame, and b"G" with the submission's socket attached.
"""
from __future__ import annotations

import socket
import subprocess

from grader.execute import cgroups
from grader.execute.handle import Worker, kill_session
from grader.execute.launcher import BwrapLauncher


class ForkServerLauncher(BwrapLauncher):
    """BwrapLauncher with one warm fork server per job slot (``harness.fork_server``).

    Each submission is a fork of a process that has numpy, IPython and
    matplotlib loaded, in the same sandbox as before. The server also holds
    the class's programs, decoded once (the data the grader would otherwise
    send each child). A submission that has to be stopped (timeout, garbage)
    takes its slot's server with it, and a fresh one starts for the next
    submission.

    Cgroups: the server runs in ``slot-<uid>/server`` (its warm memory is not
    the student's); each child moves itself into ``slot-<uid>/run``, made
    fresh for each submission, before it drops to the slot's user.
    """

    isolation = "bubblewrap, warm fork server"
    READY_TIMEOUT = 30.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.servers: dict = {}
        self.starting: set = set()  # uids whose server has not said it is ready yet
        self.loaded: dict = {}  # uid -> the programs frame its server holds
        self.server_pids: dict = {}  # uid -> the pids of its ready server (not a submission's)

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

    def start(self, programs: bytes = b"") -> Worker:
        uid = self.uids.get()
        group = None
        try:
            control = self._server(uid)
            # The child joins it (as root in the sandbox, hence only when we are root).
            group = self._group(f"slot-{uid}/run") if self.own_user else cgroups.Group([], "")
            if programs and self.loaded.get(uid) != programs:
                control.sendall(b"P" + programs)
                self.loaded[uid] = programs
            ours, theirs = socket.socketpair()
            socket.send_fds(control, [b"G"], [theirs.fileno()])
            theirs.close()
        except OSError:
            self._kill(uid)
            if group is not None:
                group.remove()
            self.uids.put(uid)
            raise
        return Worker.of_socket(ours, uid=uid, group=group, preloaded=bool(programs))

    def stop(self, worker, finished=True):
        if not finished:
            self._kill(worker.uid)  # the child may still be running: its sandbox goes with it
        worker.kill()  # closes its socket: the server reaps the child
        if finished and not self._ready(worker.uid, timeout=5.0):
            self._kill(worker.uid)
        self._end(worker)
        self.uids.put(worker.uid)

    def _members(self, worker):
        if self.own_user:  # the server is root: the slot's user runs the submission only
            return lambda: cgroups.processes_of_user(worker.uid)
        server, _ = self.servers.get(worker.uid, (None, None))
        warm = self.server_pids.get(worker.uid, set())
        return lambda: (cgroups.process_tree(server.pid) - warm) if server else set()

    def _server(self, uid):
        if uid in self.servers and self.servers[uid][0].poll() is not None:
            # Dead: e.g. the thread that started it ended (bubblewrap's
            # --die-with-parent follows that thread, not the grader).
            self._kill(uid)
        if uid not in self.servers:
            self._spawn(uid)
        if uid in self.starting:
            self.starting.discard(uid)
            if not self._ready(uid, self.READY_TIMEOUT):
                self._kill(uid)
                raise OSError(f"the fork server of sandbox user {uid} was not ready within "
                              f"{self.READY_TIMEOUT:g} s")
            self.server_pids[uid] = cgroups.process_tree(self.servers[uid][0].pid)
        return self.servers[uid][1]

    def _spawn(self, uid):
        ours, theirs = socket.socketpair()
        # The server keeps root inside the sandbox (it only runs our code) and
        # each child drops to the slot's user: students cannot signal it.
        user = str(uid) if self.own_user else ""
        group = self._group(f"slot-{uid}/server")
        slots = [path.parent for _, path in group.dirs] if self.own_user else []
        try:
            server = subprocess.Popen(
                group.join_argv(self.argv(uid, "harness.fork_server", str(theirs.fileno()), user,
                                          drop=not self.own_user, cgroups_in=slots)),
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
        self.server_pids.pop(uid, None)
        server, control = self.servers.pop(uid, (None, None))
        if server is not None:
            control.close()
            kill_session(server)
        if self.tree is not None:
            self.tree.group(f"slot-{uid}/server").kill()

