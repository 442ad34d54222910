"""grader grade --scheduler: the same grades on a Dask cluster as locally, and
no row lost or doubled when a worker dies mid-run."""
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import assignments
from grader import errors
from grader.checks.secret import Secret
from grader.errors import UsageError
from grader.execute import cluster as dask_cluster
from grader.grade import grade
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, notebook, write

import distributed  # the dask extra, which make test installs: missing, these tests fail

EXAMPLES = Path(assignments.__file__).parent.parent / "examples" / "submissions"
SECRET = "dask tests"  # one draw of the inputs for every run here, so --resume reuses
GRADER = [sys.executable, "-m", "grader.cli", "grade", "--quiet", "--secret", SECRET]


def run(*args):
    return subprocess.run(GRADER + [str(a) for a in args], capture_output=True, text=True)


def start(*args):
    return subprocess.Popen(GRADER + [str(a) for a in args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local, \
            distributed.Client(local) as client:
        yield local.scheduler_address, client


@pytest.mark.parametrize("name", assignments.NAMES)
def test_example_class_on_the_cluster_gives_the_local_grades(name, cluster, tmp_path):
    address, _ = cluster
    folder = EXAMPLES / name
    # Both at once: the endless notebook's timeout is waited for once, not twice.
    local = start(folder, "--out", tmp_path / "local", "--jobs", 2, "--timeout", 8, "--run-all")
    remote = start(folder, "--out", tmp_path / "dask", "--timeout", 8, "--scheduler", address,
                   "--run-all")
    for proc in (local, remote):
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert (tmp_path / "dask" / "grades.csv").read_bytes() == (tmp_path / "local" / "grades.csv").read_bytes()
    for out in ("local", "dask"):
        records = [json.loads(line) for line in (tmp_path / out / "journal.jsonl").read_text().splitlines()]
        assert {r["isolation"] for r in records} == {"bubblewrap, warm fork server"}
        assert {r["status"] for r in records} == {"graded", "timeout"}
    for sub in ("feedback", "results"):
        assert sorted(p.name for p in (tmp_path / "dask" / sub).iterdir()) == \
            sorted(p.name for p in (tmp_path / "local" / sub).iterdir())
    for md in (tmp_path / "local" / "feedback").iterdir():
        assert (tmp_path / "dask" / "feedback" / md.name).read_text() == md.read_text()


def test_a_worker_killed_mid_run_costs_a_retry_not_a_row(cluster, tmp_path):
    address, client = cluster
    folder = tmp_path / "subs"
    folder.mkdir()
    expected = {}
    for i in range(6):
        right = i % 2 == 0
        code = CORRECT_A7 if right else CORRECT_A7.replace("1 - rho1 ** t", "1")
        write(folder, f"s{i}", notebook("import time\ntime.sleep(1.5)", code))
        expected[f"s{i}"] = 35.0 if right else 25.0  # no bias correction: adam and adamw fail
    out = tmp_path / "out"
    proc = subprocess.Popen(GRADER + [str(folder), "--out", str(out), "--scheduler", address],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids = client.run(os.getpid)
    deadline, victim = time.monotonic() + 60, None
    while victim is None and time.monotonic() < deadline and proc.poll() is None:
        busy = client.run(lambda dask_worker: dask_worker.state.executing_count)
        victim = next((w for w, n in busy.items() if n), None)
        time.sleep(0.2)
    assert victim is not None, "no worker ever ran a task"
    time.sleep(0.5)  # into the notebook's sleep
    os.kill(pids[victim], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr

    lines = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert sorted(r["student"] for r in lines) == sorted(expected)
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["student"] for r in rows) == sorted(expected)
    assert {r["student"]: (r["status"], float(r["score"])) for r in rows} == \
        {s: ("graded", score) for s, score in expected.items()}

    # --resume through the cluster reuses every result: nothing is graded twice.
    grades = (out / "grades.csv").read_bytes()
    resumed = run(folder, "--out", out, "--scheduler", address, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert len((out / "journal.jsonl").read_text().splitlines()) == len(expected)
    assert (out / "grades.csv").read_bytes() == grades
    # Each run removes its sandboxes from the workers when it ends.
    left = client.run(lambda dask_worker: [n for n in dask_worker.plugins if n.startswith("optigrade")])
    assert left == {w: [] for w in left}


def test_a_worker_with_other_grader_code_is_refused(cluster, tmp_path, monkeypatch):
    write(tmp_path, "ann", notebook(CORRECT_A7))
    monkeypatch.setattr(dask_cluster, "fingerprint", lambda: "0123456789abcdef")  # the tutor's
    with pytest.raises(UsageError, match="runs another version of the grader"):
        grade(tmp_path / "ann.ipynb", tmp_path / "out", GradeOptions(scheduler=cluster[0]))
    left = cluster[1].run(lambda dask_worker: [n for n in dask_worker.plugins if n.startswith("optigrade")])
    assert left == {w: [] for w in left}


def test_unreachable_scheduler_is_a_usage_error(tmp_path, monkeypatch):
    write(tmp_path, "ann", notebook(CORRECT_A7))
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT", 1.0)
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        grade(tmp_path / "ann.ipynb", tmp_path / "out",
              GradeOptions(scheduler="tcp://127.0.0.1:9"))


def test_scheduler_without_the_dask_extra_says_what_to_install(tmp_path, monkeypatch):
    write(tmp_path, "ann", notebook(CORRECT_A7))
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(UsageError, match=r'pip install .*\[dask\]'):
        grade(tmp_path / "ann.ipynb", tmp_path / "out",
              GradeOptions(scheduler="tcp://127.0.0.1:9"))


def test_a_lost_scheduler_stops_the_run_and_resume_finishes_it(cluster, tmp_path, monkeypatch):
    """No row for what the dead scheduler held (an 'error' row would be reused by --resume)."""
    folder = tmp_path / "subs"
    folder.mkdir()
    for i in range(4):
        write(folder, f"s{i}", notebook("import time\ntime.sleep(1.5)", CORRECT_A7))
    info = tmp_path / "scheduler.json"
    dask = [str(Path(sys.executable).parent / "dask")]
    scheduler = subprocess.Popen(dask + ["scheduler", "--port", "0", "--no-dashboard",
                                         "--scheduler-file", str(info)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(dask + ["worker", "--scheduler-file", str(info), "--nthreads", "1",
                                      "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT", 2.0)  # also how long it retries
        out, outcome = tmp_path / "out", {}

        def run_in_background():
            try:
                grade(folder, out, GradeOptions(scheduler=address, secret=Secret(SECRET.encode())))
            except errors.ClusterLost as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=run_in_background)
        thread.start()
        journal = out / "journal.jsonl"
        while thread.is_alive() and not (journal.exists() and journal.read_text()):
            time.sleep(0.05)
        scheduler.kill()
        thread.join(timeout=60)
    finally:
        for proc in (scheduler, worker):
            proc.kill()
            proc.wait()
    assert "lost the Dask scheduler" in str(outcome.get("error")) and "--resume" in str(outcome["error"])
    assert not (out / "grades.csv").exists()
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert 1 <= len(lines) < 4 and {r["status"] for r in lines} == {"graded"}

    resumed = run(folder, "--out", out, "--scheduler", cluster[0], "--resume")
    assert resumed.returncode == 0, resumed.stderr
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(r["student"] for r in lines) == [f"s{i}" for i in range(4)]
    with open(out / "grades.csv", newline="") as f:
        assert {(r["student"], r["score"]) for r in csv.DictReader(f)} == {(f"s{i}", "35") for i in range(4)}
