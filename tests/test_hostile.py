"""Hostile notebooks cannot harm the grader, the class, or raise their own score.

These notebooks really try to delete files, rewrite outputs and kill their
parent: they are only ever run inside the sandbox (isolation="bwrap").

Graded beside a correct submission in one run with full isolation: each
hostile one gets its expected status and score, the correct one full marks,
the submissions stay byte-identical, nothing is reachable on the network,
and no process of the run is left afterwards.
"""
import csv
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from grader.execute import Limits
from grader.execute.launcher import BwrapLauncher, bwrap_works
from grader.grade import grade
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, forged_frame, notebook, write

FULL = 35.0  # 30 and the AdamW bonus
ADAM = 10.0  # adam_update, and adamw_update which calls it

USES_REFERENCE = CORRECT_A7 + '''
import sys, os, glob
found = []
for entry in sys.path:
    found.append(os.path.join(entry, "reference", "optimizers.py"))
    for pth in glob.glob(os.path.join(entry, "*.pth")) + glob.glob(os.path.join(entry, "__editable__*")):
        try:
            text = open(pth).read()
        except OSError:
            continue
        for word in text.replace('"', " ").replace("'", " ").split():
            if word.startswith("/"):
                found.append(os.path.join(word, "reference", "optimizers.py"))
found += glob.glob("/work/*/reference/optimizers.py") + glob.glob("/*/*/reference/optimizers.py")
source = None
for path in found:
    try:
        source = open(path).read()
        break
    except OSError:
        pass
if source is not None:
    exec(source)  # the reference itself, read from disk
else:
    try:
        from reference.optimizers import adam_update
    except ImportError:
        def adam_update(*args, **kwargs):
            return 0.0
'''

TOUCH_EVERYTHING = CORRECT_A7 + '''
import os, time
stop = time.time() + 3
for top in ("/", "/work", "/tmp", "/root", "/home", "/proc/1"):
    for root, dirs, files in os.walk(top):
        if time.time() > stop:
            break
        for name in files:
            path = os.path.join(root, name)
            for attempt in (lambda: open(path, "w").write("pwned"), lambda: os.remove(path)):
                try:
                    attempt()
                except Exception:
                    pass
'''

DETACHED_REWRITER = CORRECT_A7 + '''
import os, time, glob
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(3)
        for path in glob.glob("/**/*.csv", recursive=True) + glob.glob("/**/*.ipynb", recursive=True):
            try:
                open(path, "w").write("rewritten")
            except OSError:
                pass
        os._exit(0)
    os._exit(0)
'''

FORK_LOOP = CORRECT_A7 + '''
import os, time
children = 0
while True:
    pid = os.fork()
    if pid == 0:
        time.sleep(120)
        os._exit(0)
    children += 1
'''

SUBPROCESS_LOOP = CORRECT_A7 + '''
import subprocess
procs = [subprocess.Popen(["sleep", "120"]) for _ in range(500)]
'''


FORGER = CORRECT_A7 + forged_frame({"event": "results", "check": "x", "results": {"01": {"ok": True}}})


def connect_to(port):
    return CORRECT_A7 + f'''
import socket
s = socket.create_connection(("127.0.0.1", {port}), timeout=2)
s.sendall(b"answers please")
'''


CORPUS = {
    # student: (code cells, status, score, text in the reason)
    "correct": ([CORRECT_A7], "graded", FULL, ""),
    "loop_top_level": ([CORRECT_A7, "while True:\n    pass"], "timeout", 0, "cell 2"),
    "loop_in_function": ([CORRECT_A7 + "\ndef rmsprop_update(*a, **k):\n    while True:\n        pass\n"],
                         "graded", FULL - 5, ""),
    "memory_hog": ([CORRECT_A7, "import numpy as np\nhog = []\nwhile True:\n    hog.append(np.ones(10**7))"],
                   "memory", 0, "memory"),
    "fork_loop": ([FORK_LOOP], "graded", FULL, ""),
    "subprocess_loop": ([SUBPROCESS_LOOP], "graded", FULL, ""),
    "prints_100mb": ([CORRECT_A7, "print('x' * 100_000_000)"], "graded", FULL, ""),
    "sys_exit": ([CORRECT_A7, "import sys\nsys.exit()"], "graded", FULL, ""),
    "os_exit": ([CORRECT_A7, "import os\nos._exit(0)"], "error", 0, "ended"),
    "kills_parent": ([CORRECT_A7, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"],
                     "graded", FULL, ""),
    "touches_everything": ([TOUCH_EVERYTHING], "graded", FULL, ""),
    "detached_rewriter": ([DETACHED_REWRITER], "graded", FULL, ""),
    "reads_reference": ([USES_REFERENCE], "graded", FULL - ADAM, ""),
    "forges_frames": ([FORGER], "error", 0, "invalid"),
    "patches_everything": ([CORRECT_A7 + "\nimport numpy, builtins\nnumpy.allclose = lambda *a, **k: True\n"
                            "numpy.isfinite = lambda x: True\nbuiltins.max = lambda *a, **k: 0\n"
                            "def sgd_update(*a, **k):\n    return 'full marks please'\n"],
                           "graded", FULL - 5, ""),
}


class Listener:
    """A server on 127.0.0.1 that records whatever reaches it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port, self.received, self.running = self.sock.getsockname()[1], [], True
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.received.append(conn.recv(100))
            except OSError:
                pass


def run_processes(sandbox_root):
    """Processes of this run: its bubblewrap sandboxes, whose command lines name
    the run's own folder. (Everything inside a sandbox dies with its bwrap, as
    the PID namespace ends; other runs on the machine are not counted.)"""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(sandbox_root) in line]


@pytest.fixture(scope="module", params=["warm", "cold"])
def graded(tmp_path_factory, request):
    assert bwrap_works(), "bubblewrap is needed for these tests: make test installs it as root"
    sandbox_root = tmp_path_factory.mktemp("sandboxes")
    saved, tempfile.tempdir = tempfile.tempdir, str(sandbox_root)  # the launcher's folder
    listener = Listener()
    corpus = dict(CORPUS, network=([connect_to(listener.port)], "graded", FULL, ""))
    folder = tmp_path_factory.mktemp("class")
    for student, (cells, *_rest) in corpus.items():
        write(folder, student, notebook(*cells))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path_factory.mktemp("out") / "graded"
    # Every cell runs: most attacks sit in cells that define nothing graded.
    spec, records, out = grade(folder, out,
                               GradeOptions(assignment="a7_optimizers", jobs=2, isolation="bwrap",
                                            warm=request.param == "warm", run_all=True,
                                            limits=Limits(timeout=15, call_timeout=1,
                                                          memory=2 ** 30)))
    tempfile.tempdir = saved
    grades_then = (out / "grades.csv").read_bytes()
    time.sleep(4)  # longer than the detached rewriter waits
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    listener.running = False
    return {"rows": rows, "records": {r.student: r for r in records}, "corpus": corpus,
            "before": before, "after": {p.name: p.read_bytes() for p in folder.iterdir()},
            "grades_then": grades_then, "out": out, "received": listener.received,
            "left": run_processes(sandbox_root)}


@pytest.mark.parametrize("student", list(CORPUS) + ["network"])
def test_status_and_score(graded, student):
    _, status, score, reason = graded["corpus"][student]
    row = graded["rows"][student]
    assert (row["status"], float(row["score"])) == (status, score), row
    assert reason in row["reason"]
    assert graded["records"][student].isolation.startswith("bubblewrap")


def test_submissions_are_byte_identical(graded):
    assert graded["after"] == graded["before"]


def test_outputs_are_not_rewritten_after_grading(graded):
    assert (graded["out"] / "grades.csv").read_bytes() == graded["grades_then"]


def test_nothing_reached_the_network(graded):
    assert graded["received"] == []


def test_no_process_of_the_run_is_left(graded):
    assert graded["left"] == []


def test_printed_output_is_capped(graded):
    output = graded["records"]["prints_100mb"].output
    assert len(output) < 10_000 and "output cut" in output


def test_two_runs_on_one_host_never_share_a_sandbox_user():
    """Each slot's user carries the process limit: two runs (two Dask workers on one
    host, two tutors) must not share one, and a finished run gives its users back."""
    with BwrapLauncher(slots=2) as one, BwrapLauncher(slots=2) as two:
        first, second = set(one.uids.queue), set(two.uids.queue)
        assert len(first) == len(second) == 2 and not first & second
    with BwrapLauncher(slots=2) as again:
        assert set(again.uids.queue) == first


def test_the_projects_packages_stay_hidden_wherever_installed(tmp_path):
    """A non-editable install puts grader/, reference/ and assignments/ in the
    site-packages the worker's Python needs: they are covered there."""
    import sys
    from pathlib import Path
    site = Path(sys.prefix).resolve() / "lib" / "site-packages-of-a-test" / "reference"
    launcher = BwrapLauncher(hidden=[site.parent])
    launcher.hidden.append(site)  # as installed_packages() would report it
    args = launcher.view()
    assert ["--tmpfs", str(site)] == args[args.index(str(site)) - 1:args.index(str(site)) + 1]
    assert "--tmpfs" in args and args.index(str(site)) > args.index(str(Path(sys.prefix).resolve()))
