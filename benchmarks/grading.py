"""Grading speed: the warm fork server against a Jupyter kernel per notebook.

    .venv/bin/python benchmarks/grading.py [--size 1000] [--sample 30] [--jobs N] [--kernels 2]
        [--workers 1,2] [--whole 1000] [--whole-all 200]

Two classes (benchmarks/make_class.py): code-only notebooks, and whole ones
shaped like the template (experiments and plots included). Grades each with full isolation
on the warm path (the default), grades a sample with one fresh sandbox per
submission (--cold), and executes a sample of the same notebooks the way
nbgrader and otter do, one Jupyter kernel per notebook through nbclient,
``kernels`` at a time (one per core), each notebook followed by every check
in the same kernel (the ratio's baseline: the same work as the grader's) and,
for comparison, without them. Half of the sample runs before the class is
graded and half after, so that a machine whose speed drifts during the run (a
shared or virtual one) weighs on both sides alike. Prints seconds per
submission, throughput and ratios, and the students' self-check time per call.
Another ``whole-all`` whole notebooks are also graded with --run-all (every
cell), to show what running only the cells the checks need saves.

With the dask extra installed, the code-only class is also graded through
``--scheduler`` on a local Dask cluster of 1 and 2 single-threaded worker
processes (``--workers``), beside the local pool with as many jobs. The
cluster is started before the clock starts, as a running one would be.
"""
from __future__ import annotations

import argparse
import functools
import importlib
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from make_class import write_class, write_whole_class  # noqa: E402

import assignments  # noqa: E402
from grader import course  # noqa: E402
from grader.assign import assign  # noqa: E402
from grader.checks.secret import Secret  # noqa: E402
from grader.execute import Limits  # noqa: E402
from grader.grade import default_jobs, grade  # noqa: E402
from grader.options import GradeOptions  # noqa: E402


def time_grader(folder: Path, jobs: int | None, warm: bool, scheduler: str | None = None,
                label: str = "", run_all: bool = False) -> tuple[float, int, str]:
    out = folder.parent / f"{folder.name}-{label or ('warm' if warm else 'cold')}-graded"
    start = time.perf_counter()
    _, records, _ = grade(folder, out,
                          GradeOptions(assignment="a7_optimizers", jobs=jobs, warm=warm,
                                       limits=Limits(timeout=30, call_timeout=5),
                                       scheduler=scheduler, run_all=run_all))
    return time.perf_counter() - start, len(records), records[0].isolation


def time_dask(folder: Path, workers: int) -> tuple[float, int]:
    """The class through --scheduler on a LocalCluster of ``workers`` processes, 1 thread each."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
        seconds, n, _ = time_grader(folder, None, True, cluster.scheduler_address,
                                    label=f"dask{workers}")
    return seconds, n


#: Put before each notebook of the baselines: the assignment's otter support
#: package is its ``selfcheck`` (every check, hidden ones included, against the
#: same stored expectations as the grader), as in otter's autograder.
PATH_CELL = """import sys
sys.path.insert(0, {folder!r})"""
#: Appended to each notebook of the graded baseline: every check, which otter's
#: autograder runs after the notebook in the same kernel, as nbgrader runs its
#: test cells.
GRADE_CELL = """import selfcheck
print(selfcheck.check_all())"""


def run_in_kernel(path: Path, graded: bool):
    """Execute one notebook in a kernel of its own, then, if ``graded``, grade it
    there; returns the executed notebook. A grading cell that fails raises: the
    baseline would then do less than the grader."""
    import subprocess

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    support = otter_support(nb.metadata["grader"]["assignment"])
    nb.cells.insert(0, nbformat.v4.new_code_cell(PATH_CELL.format(folder=str(support))))
    if graded:
        nb.cells.append(nbformat.v4.new_code_cell(GRADE_CELL))
    client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True)
    client.execute(stderr=subprocess.DEVNULL)  # the kernels' start-up warnings
    errors = [o for o in nb.cells[-1].outputs if o.output_type == "error"] if graded else []
    if errors:
        raise RuntimeError(f"{path.name}: the grading cell failed: {errors[0].ename}: {errors[0].evalue}")
    return nb


@functools.lru_cache(maxsize=None)
def otter_support(name: str) -> Path:
    """The folder holding the assignment's otter support package (``grader assign
    --otter``, never committed), built once into a temporary folder."""
    out = Path(tempfile.mkdtemp(prefix="otter-support-"))
    return assign(course.load(name), out, otter_secret=Secret(os.urandom(16).hex().encode())) / "otter"


def time_kernels(paths: list[Path], jobs: int, graded: bool) -> float:
    """``paths`` through ``run_in_kernel``, ``jobs`` kernels at a time."""
    if graded:
        otter_support("a7_optimizers")  # built before the clock starts
    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda path: run_in_kernel(path, graded), paths))
    return time.perf_counter() - start


def time_selfcheck(calls: int = 50) -> float:
    student = assign(course.load("a7_optimizers"), Path(tempfile.mkdtemp(prefix="bundle-"))) / "student"
    sys.path.insert(0, str(student))
    selfcheck = importlib.import_module("selfcheck")
    namespace = dict(assignments.load("a7_optimizers").reference)
    devnull = open(os.devnull, "w")
    stdout, sys.stdout = sys.stdout, devnull
    try:
        selfcheck.check("adam_update", namespace)  # loads the data once
        start = time.perf_counter()
        for _ in range(calls):
            selfcheck.check("adam_update", namespace)
        return (time.perf_counter() - start) / calls
    finally:
        sys.stdout = stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="code-only submissions in the class")
    parser.add_argument("--whole", type=int, default=1000, help="whole submissions in the class")
    parser.add_argument("--whole-all", type=int, default=200,
                        help="whole submissions also graded with --run-all")
    parser.add_argument("--sample", type=int, default=30, help="notebooks for the slow baselines")
    parser.add_argument("--jobs", type=int, help="the grader's --jobs (default: its own default)")
    parser.add_argument("--kernels", type=int, default=os.cpu_count(), help="kernels at once")
    parser.add_argument("--workers", default="1,2", help="Dask worker counts to measure ('' for none)")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    try:
        import distributed  # noqa: F401
    except ImportError:
        print('note: no Dask column: pip install ".[dask]"', file=sys.stderr)
        counts = []
    pool, dask, tables = {}, {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, write, size in (("code-only", write_class, args.size),
                                  ("whole", write_whole_class, args.whole)):
            folder = Path(tmp) / kind
            write(folder / "class", size)
            sample = write(folder / "sample", args.sample)
            extra = []
            if kind == "whole" and args.whole_all:
                write(folder / "all", args.whole_all)
                seconds, k, _ = time_grader(folder / "all", args.jobs, True, label="run-all",
                                            run_all=True)
                extra = [("grader, warm, --run-all (every cell)", k, seconds / k)]
            table, n, isolation = measure(folder, sample, args)
            tables.append((kind, table[:1] + extra + table[1:], n))
        for w in counts:
            class_folder = Path(tmp) / "code-only" / "class"
            seconds, k, _ = time_grader(class_folder, w, True, label=f"pool{w}")
            pool[w] = (seconds, k)
            dask[w] = time_dask(class_folder, w)
    jobs = args.jobs or default_jobs(args.size)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"grader jobs={jobs}, kernels at once={args.kernels}, isolation: {isolation}")
    for kind, table, n in tables:
        print(f"\n{kind} notebooks")
        print(f"{'path':<44}{'notebooks':>10}{'s/notebook':>12}{'notebooks/s':>13}{'vs kernel':>11}")
        baseline = next(per for name, _, per in table if name.endswith("graded"))
        for name, count, per in table:
            print(f"{name:<44}{count:>10}{per:>12.4f}{1 / per:>13.1f}{baseline / per:>10.1f}x")
        print(f"{n} {kind} submissions on the warm path: {table[0][2] * n:.1f} s, reports included")
    if dask:
        print(f"\n{'same class, notebooks/s':<28}{'local pool':>12}{'Dask':>12}{'Dask/pool':>11}")
        for w in counts:
            local, remote = pool[w][1] / pool[w][0], dask[w][1] / dask[w][0]
            print(f"{f'{w} job(s) / {w} worker(s)':<28}{local:>12.1f}{remote:>12.1f}{remote / local:>10.2f}x")
    print(f"self-check, check('adam_update'): {1000 * time_selfcheck():.1f} ms per call")


def measure(folder: Path, sample: list, args):
    """One class on the warm path, a sample with --cold and in kernels (half of
    the kernels before the class, half after); rows of (path, notebooks, s each)."""
    half = len(sample) // 2
    before = {c: time_kernels(sample[:half], args.kernels, c) for c in (True, False)}
    warm, n, isolation = time_grader(folder / "class", args.jobs, warm=True)
    after = {c: time_kernels(sample[half:], args.kernels, c) for c in (True, False)}
    cold, m, _ = time_grader(folder / "sample", args.jobs, warm=False)
    per_kernel = {c: (before[c] + after[c]) / len(sample) for c in (True, False)}
    if half:
        print(f"{folder.name}: graded kernel per notebook {before[True] / half:.3f} s before the "
              f"class, {after[True] / (len(sample) - half):.3f} s after (the machine's drift)",
              flush=True)
    return [("grader, warm fork server (default)", n, warm / n),
            ("grader, --cold (sandbox each)", m, cold / m),
            ("nbclient, kernel per notebook, graded", len(sample), per_kernel[True]),
            ("nbclient, kernel per notebook, run only", len(sample), per_kernel[False])], n, isolation


if __name__ == "__main__":
    main()
