"""Nothing of one submission survives it, its memory is capped as a whole, and
no process of a run outlives the run.

Hostile notebooks are graded by the command line beside a correct control,
in one job slot (``--jobs 1``: writer and reader share the slot's user and,
on the warm path, its fork server), on the warm and the cold path; a second
run grades the readers again. After each run: exit 0, the submissions
byte-identical, no process of the run and none of its cgroups left.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.execute import Limits, cgroups, run_submission
from grader.execute.launcher import BwrapLauncher, Launcher, bwrap_works
from nbfactory import CORRECT_A7, notebook, write

FULL = 35.0
PROJECT = Path(__file__).parent.parent

LIBC = '''
import ctypes, ctypes.util, errno, os, platform, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.sem_open.restype = ctypes.c_void_p
libc.syscall.restype = ctypes.c_long
def err():
    return errno.errorcode.get(ctypes.get_errno(), "?")
'''

IPC_WRITER = CORRECT_A7 + LIBC + '''
made = []
shm = libc.shmget(0x0971, 4096, 0o1666)
if shm >= 0 and libc.shmat(shm, None, 0) not in (None, 2 ** 64 - 1):
    ctypes.memmove(libc.shmat(shm, None, 0), b"MARKER", 6); made.append("shm")
if libc.semget(0x0972, 1, 0o1666) >= 0: made.append("sem")
queue = libc.msgget(0x0973, 0o1666)
message = ctypes.create_string_buffer(struct.pack("l", 1) + b"MARKER")
if queue >= 0 and libc.msgsnd(queue, message, 6, 0) == 0: made.append("msg")
mq = libc.mq_open(b"/optigrade-q", os.O_CREAT | os.O_RDWR, 0o666, None)
if mq >= 0 and libc.mq_send(mq, b"MARKER", 6, 0) == 0: made.append("mqueue")
if libc.sem_open(b"/optigrade-s", os.O_CREAT, 0o666, 1): made.append("posix-sem")
for path in ("/dev/shm/optigrade-marker", "/tmp/optigrade-marker"):
    try:
        open(path, "w").write("MARKER"); made.append(path)
    except OSError:
        pass  # /dev/shm is not the student's to write in the sandbox
if os.fork() == 0:
    os.setsid()
    import time; time.sleep(600)
print("MADE", " ".join(made))
'''

IPC_READER = CORRECT_A7 + LIBC + '''
found = []
if libc.shmget(0x0971, 0, 0) >= 0: found.append("shm")
if libc.semget(0x0972, 0, 0) >= 0: found.append("sem")
if libc.msgget(0x0973, 0) >= 0: found.append("msg")
if libc.mq_open(b"/optigrade-q", os.O_RDONLY) >= 0: found.append("mqueue")
if libc.sem_open(b"/optigrade-s", 0): found.append("posix-sem")
for name in ("shm", "sem", "msg"):
    if open(f"/proc/sysvipc/{name}").read().splitlines()[1:]: found.append("sysvipc-" + name)
for top in ("/dev/shm", "/tmp"):
    found += [os.path.join(top, n) for n in os.listdir(top) if n.startswith("optigrade")]
found += ["process-" + p for p in os.listdir("/proc") if p.isdecimal()
          and int(p) != os.getpid() and os.stat(f"/proc/{p}").st_uid == os.getuid()]
print("FOUND", " ".join(found) or "nothing")
'''

KEYS = {"x86_64": (248, 250), "aarch64": (217, 219)}
KEY_WRITER = CORRECT_A7 + LIBC + f'''
add_key, keyctl = {KEYS}[platform.machine()]
made = libc.syscall(ctypes.c_long(add_key), b"user", b"optigrade", b"MARKER", ctypes.c_long(6),
                    ctypes.c_long(-4))
print("ADD_KEY", "ok" if made >= 0 else err())
'''
KEY_READER = CORRECT_A7 + LIBC + f'''
add_key, keyctl = {KEYS}[platform.machine()]
key = libc.syscall(ctypes.c_long(keyctl), ctypes.c_long(10), ctypes.c_long(-4), b"user",
                   b"optigrade", ctypes.c_long(0))
listed = "optigrade" in open("/proc/keys").read()
print("SEARCH", "found" if key >= 0 or listed else err())
'''

SYSCALLS = CORRECT_A7 + LIBC + '''
from harness import seccomp
table = seccomp.SYSCALLS[platform.machine()]
def call(name, *args):
    ctypes.set_errno(0)
    return "ok" if libc.syscall(ctypes.c_long(table[name]), *map(ctypes.c_long, args)) >= 0 else err()
print("PTRACE", call("ptrace", 0, 0, 0, 0), "BPF", call("bpf", 5, 0, 0), "UNSHARE",
      call("unshare", 0x10000000 | 0x08000000), "PERF", call("perf_event_open", 0, 0, -1, -1, 0),
      "MOUNT", call("mount", 0, 0, 0, 0, 0))
visible = []
for n in range(4):
    try:
        visible += os.listdir(f"/run/cgroup/{n}")
    except OSError:
        pass
print("CGROUP_FILES", visible)
'''

FORKS_700 = CORRECT_A7 + '''
import os, time, numpy as np
for _ in range(5):
    if os.fork() == 0:
        try:
            held = np.ones(700 * 2 ** 20 // 8)
            time.sleep(60)
        finally:
            os._exit(0)
time.sleep(60)
'''

SHM_1500 = CORRECT_A7 + LIBC + '''
import time
chunk = 512 * 2 ** 20
for key in (1, 2, 3):  # each attached alone: under the per-process address space limit
    shm = libc.shmget(0x7000 + key, ctypes.c_size_t(chunk), 0o1600)
    addr = libc.shmat(shm, None, 0)
    ctypes.memset(ctypes.c_void_p(addr), 1, chunk)
    libc.shmdt(ctypes.c_void_p(addr))
time.sleep(60)
'''

FIRST = {  # student: (cells, status, score)
    "a_control": ([CORRECT_A7], "graded", FULL),
    "b_ipc_writer": ([IPC_WRITER], "graded", FULL),
    "c_ipc_reader": ([IPC_READER], "graded", FULL),
    "d_key_writer": ([KEY_WRITER], "graded", FULL),
    "e_key_reader": ([KEY_READER], "graded", FULL),
    "f_syscalls": ([SYSCALLS], "graded", FULL),
    "g_forks_700mb": ([FORKS_700], "memory", 0.0),
    "h_shm_1500mb": ([SHM_1500], "memory", 0.0),
    "i_ipc_reader": ([IPC_READER], "graded", FULL),
    "j_control": ([CORRECT_A7], "graded", FULL),
}
SECOND = {name: FIRST[name] for name in ("a_control", "c_ipc_reader", "e_key_reader")}


def run_trees(pid: int) -> list[Path]:
    """The cgroup trees of the grading run of process ``pid`` (a child of ours)."""
    v2, v1 = cgroups._own_cgroups()
    return [own / f"{cgroups.PREFIX}{pid}" for own in (v2, v1)
            if own is not None and (own / f"{cgroups.PREFIX}{pid}").exists()]


def processes_naming(text: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if text in line]


def grade_cli(folder, out, tmp, *extra):
    env = dict(os.environ, PYTHONPATH=str(PROJECT), TMPDIR=str(tmp))
    args = [sys.executable, "-m", "grader.cli", "grade", str(folder), "--out", str(out),
            "--assignment", "a7_optimizers", "--jobs", "1", "--isolation", "bwrap",
            "--memory", "1", "--timeout", "40", "--call-timeout", "2", "--quiet", *extra]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def graded_run(tmp_path_factory, corpus, path):
    folder, tmp = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("tmp")
    for student, (cells, *_rest) in corpus.items():
        write(folder, student, notebook(*cells))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path_factory.mktemp("out") / "graded"
    grader = grade_cli(folder, out, tmp, *(["--cold"] if path == "cold" else []))
    _, stderr = grader.communicate(timeout=900)
    records = {}
    for line in (out / "journal.jsonl").read_text().splitlines():
        record = json.loads(line)
        records[record["student"]] = record
    return {"exit": grader.returncode, "stderr": stderr, "records": records,
            "same": before == {p.name: p.read_bytes() for p in folder.iterdir()},
            "left": processes_naming(str(tmp)), "trees": run_trees(grader.pid)}


@pytest.fixture(scope="module", params=["warm", "cold"])
def runs(tmp_path_factory, request):
    assert bwrap_works(), "bubblewrap is needed for these tests: make test installs it as root"
    return [graded_run(tmp_path_factory, corpus, request.param) for corpus in (FIRST, SECOND)]


def test_each_run_ends_clean(runs):
    for run in runs:
        assert run["exit"] == 0, run["stderr"][-2000:]
        assert run["same"], "the submissions folder changed"
        assert run["left"] == [], run["left"]
        assert run["trees"] == [], run["trees"]


@pytest.mark.parametrize("student", list(FIRST))
def test_status_score_and_cap(runs, student):
    _, status, score = FIRST[student]
    record = runs[0]["records"][student]
    assert (record["status"], record["score"]) == (status, score), record["reason"]
    if status == "memory":  # all its processes together, not one of them
        assert "together went over" in record["reason"], record["reason"]
    assert record["memory_cap"] == expected_cap()


def expected_cap():
    tree = cgroups.Tree.open()
    try:
        return tree.memory
    finally:
        tree.close()


def output(run, student):
    return run["records"][student]["output"]


def test_ipc_objects_files_and_processes_do_not_reach_the_next_submission(runs):
    made = output(runs[0], "b_ipc_writer").split("MADE ", 1)[1].split()
    assert {"shm", "sem", "msg", "mqueue", "/tmp/optigrade-marker"} <= set(made), made
    for run, reader in ((runs[0], "c_ipc_reader"), (runs[0], "i_ipc_reader"),
                        (runs[1], "c_ipc_reader")):
        assert "FOUND nothing" in output(run, reader), output(run, reader)


def test_key_rings_can_be_neither_written_nor_read(runs):
    assert "ADD_KEY EPERM" in output(runs[0], "d_key_writer")
    for run in runs:
        assert "SEARCH EPERM" in output(run, "e_key_reader")


def test_tracing_bpf_namespaces_perf_and_mounts_are_denied(runs):
    assert "PTRACE EPERM BPF EPERM UNSHARE EPERM PERF EPERM MOUNT EPERM" \
        in output(runs[0], "f_syscalls")
    assert "CGROUP_FILES []" in output(runs[0], "f_syscalls")  # the cgroup is not the student's


def test_a_killed_grader_leaves_no_process(tmp_path):
    """SIGKILL mid-run: every sandbox dies with it (the death signal of the
    thread that started it), and the next run removes its cgroups."""
    assert_nothing_left_after(tmp_path, signal.SIGKILL)


def test_an_interrupted_grader_leaves_nothing(tmp_path):
    assert_nothing_left_after(tmp_path, signal.SIGINT)


def test_a_usage_error_leaves_nothing(tmp_path):
    """The sandboxes start before the class is read: a run that then stops on a
    usage error (an unknown assignment) still ends them and their cgroups."""
    folder, tmp = tmp_path / "class", tmp_path / "tmp"
    folder.mkdir()
    tmp.mkdir()
    write(folder, "s0", notebook(CORRECT_A7))
    grader = grade_cli(folder, tmp_path / "out", tmp, "--assignment", "no_such_assignment")
    _, stderr = grader.communicate(timeout=300)
    assert grader.returncode == 2 and "unknown assignment" in stderr, stderr[-2000:]
    assert processes_naming(str(tmp)) == [] and run_trees(grader.pid) == []


SLEEPER = CORRECT_A7 + '''
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(600)
time.sleep(600)
'''


def assert_nothing_left_after(tmp_path, sig):
    folder, tmp, out = tmp_path / "class", tmp_path / "tmp", tmp_path / "out"
    folder.mkdir()
    tmp.mkdir()
    for n in range(3):
        write(folder, f"s{n}", notebook(SLEEPER))
    for path in ("warm", "cold"):
        grader = grade_cli(folder, out, tmp, "--timeout", "8",
                           *(["--cold"] if path == "cold" else []))
        trees = wait_for(lambda: run_trees(grader.pid), 60)
        assert wait_for(lambda: pids_in(trees, "run"), 60), "no submission started"
        os.kill(grader.pid, sig)
        grader.wait(timeout=120)
        gone = wait_for(lambda: not processes_naming(str(tmp)) and not pids_in(trees, "*"), 10)
        assert gone, (path, processes_naming(str(tmp)), pids_in(trees, "*"))
        if sig == signal.SIGKILL:
            cgroups.Tree.open().close()  # as the next run does
        assert not any(tree.exists() for tree in trees), (path, trees)


def pids_in(trees, pattern) -> set:
    return {pid for tree in trees if tree.exists() for p in tree.rglob(pattern) if p.is_dir()
            for pid in cgroups.Group([("v1", p)], "").pids()}


def wait_for(condition, seconds):
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if value := condition():
            return value
        time.sleep(0.1)
    return condition()


FOUR_FORKS = CORRECT_A7 + '''
import os, time, numpy as np
for _ in range(4):
    if os.fork() == 0:
        held = np.ones(200 * 2 ** 20 // 8)
        time.sleep(60)
time.sleep(60)
'''


@pytest.mark.parametrize("cap", ["cgroup", "watchdog"])
@pytest.mark.parametrize("path", ["warm", "cold", "process"])
def test_forked_processes_together_over_the_cap_end_as_memory(monkeypatch, path, cap):
    """Each process under the cap, together over it: ``memory``, then a control
    in the same slot is graded. ``watchdog`` is forced (as where no cgroup is
    writable): the resident memory of the submission's processes is summed."""
    sys.path.insert(0, str(Path(__file__).parent))
    from grader.execute import choose
    from test_fork_server import code, plan
    if cap == "watchdog":
        monkeypatch.setattr(Launcher, "caps", ())
    expected = expected_cap() if cap == "cgroup" else cgroups.WATCHDOG
    programs = plan("a7_optimizers")
    limits = Limits(timeout=40, memory=640 * 2 ** 20)
    with choose("process" if path == "process" else "bwrap", slots=1,
                warm=path == "warm") as launcher:
        hog = run_submission([FOUR_FORKS], programs, limits, launcher, code=code("a7_optimizers"))
        control = run_submission([CORRECT_A7], programs, limits, launcher,
                                 code=code("a7_optimizers"))
    assert (hog.status, hog.memory_cap) == ("memory", expected), hog
    assert (control.status, control.memory_cap) == ("ok", expected), control
    assert all(r["ok"] for r in control.results.values())


KEYS_OF_USER = '''
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
add_key, keyctl = {nrs}
if sys.argv[1] == "add":
    made = libc.syscall(ctypes.c_long(add_key), b"user", b"optigrade-test", b"MARKER",
                        ctypes.c_long(6), ctypes.c_long(-4))
    assert made >= 0, ctypes.get_errno()
found = libc.syscall(ctypes.c_long(keyctl), ctypes.c_long(10), ctypes.c_long(-4), b"user",
                     b"optigrade-test", ctypes.c_long(0))
print("found" if found >= 0 else "none")
'''


def test_a_slots_key_rings_are_cleared_when_a_run_claims_it():
    """Key rings outlive every process of their user: a run empties those of
    the users it claims (a key made without the filter, as by an older run)."""
    import platform
    from grader.execute.launcher import claim_uids, clear_keyrings
    [(uid, lock)] = claim_uids(62900, 1, span=50)
    try:
        code = KEYS_OF_USER.format(nrs=KEYS[platform.machine()])

        def as_user(*args):
            return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                                   sys.executable, "-I", "-c", code, *args],
                                  capture_output=True, text=True, timeout=60).stdout.strip()
        assert as_user("add") == "found"
        assert as_user("look") == "found"  # still there with no process of the user left
        clear_keyrings(uid)
        assert as_user("look") == "none"
    finally:
        os.close(lock)


def test_a_group_kill_ends_a_fork_storm_and_its_dir():
    tree = cgroups.Tree.open()
    try:
        group = tree.group("storm")
        group.create()
        proc = subprocess.Popen(group.join_argv(["/bin/sh", "-c", "while :; do sleep 30 & done"]))
        wait_for(lambda: len(group.pids()) > 20, 20)
        group.remove()
        proc.wait(timeout=10)
        assert group.pids() == set() and not any(path.exists() for _, path in group.dirs)
    finally:
        tree.close()
    assert not any(path.exists() for _, path in tree.bases)


def test_the_sandbox_is_a_launcher_with_a_cap():
    with BwrapLauncher(slots=1) as launcher:
        assert launcher.memory_cap in (cgroups.V2, cgroups.V1, cgroups.WATCHDOG)
        assert launcher.tree is not None and launcher.monitor is not None


def test_a_fork_server_that_died_between_submissions_is_replaced():
    """A slot's server dies with the thread that started it (its death signal
    follows that thread): the next submission of the slot gets a new one."""
    import threading
    sys.path.insert(0, str(Path(__file__).parent))
    from grader.execute import choose
    from test_fork_server import code, plan
    programs, limits = plan("a7_optimizers"), Limits(timeout=30)
    with choose("bwrap", slots=1) as launcher:
        runs = []
        worker = threading.Thread(target=lambda: runs.append(
            run_submission([CORRECT_A7], programs, limits, launcher, code=code("a7_optimizers"))))
        [uid] = list(launcher.servers)
        launcher._kill(uid)  # so that the thread below starts the slot's server
        worker.start()
        worker.join()
        server = launcher.servers[uid][0]
        assert wait_for(lambda: server.poll() is not None, 10), "it outlived its thread"
        runs.append(run_submission([CORRECT_A7], programs, limits, launcher,
                                   code=code("a7_optimizers")))
    assert [run.status for run in runs] == ["ok", "ok"], runs
