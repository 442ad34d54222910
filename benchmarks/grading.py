"""Grading speed: the warm fork server against a Jupyter kernel per notebook.

    .venv/bin/python benchmarks/grading.py [--size 200] [--sample 20] [--jobs 2]

Generates a class (benchmarks/make_class.py), grades it with full isolation
on the warm path (the default), grades a sample with one fresh sandbox per
submission (--cold), and executes a sample of the same notebooks the way
nbgrader and otter do, one Jupyter kernel per notebook through nbclient,
``jobs`` at a time. Prints seconds per submission, throughput and ratios,
and the students' self-check time per call.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from make_class import write_class  # noqa: E402

import assignments  # noqa: E402
from grader.execute import Limits  # noqa: E402
from grader.grade import grade  # noqa: E402


def time_grader(folder: Path, jobs: int, warm: bool) -> tuple[float, int, str]:
    out = folder.parent / f"{folder.name}-{'warm' if warm else 'cold'}-graded"
    start = time.perf_counter()
    _, records, _ = grade(folder, out, assignment="a7_optimizers", jobs=jobs, warm=warm,
                          limits=Limits(timeout=30, call_timeout=5))
    return time.perf_counter() - start, len(records), records[0]["isolation"]


def time_kernels(paths: list[Path], jobs: int) -> float:
    import nbformat
    from nbclient import NotebookClient

    def execute(path):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(execute, paths))
    return time.perf_counter() - start


def time_selfcheck(calls: int = 50) -> float:
    student = Path(assignments.__file__).parent / "a7_optimizers" / "student"
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
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--sample", type=int, default=20, help="notebooks for the slow baselines")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_class(Path(tmp) / "class", args.size)
        sample_dir = Path(tmp) / "sample"
        sample = write_class(sample_dir, args.sample)
        warm, n, isolation = time_grader(Path(tmp) / "class", args.jobs, warm=True)
        cold, m, _ = time_grader(sample_dir, args.jobs, warm=False)
        kernels = time_kernels(sample, args.jobs)
    per_warm, per_cold, per_kernel = warm / n, cold / m, kernels / len(sample)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"jobs={args.jobs}, isolation: {isolation}")
    print(f"{'path':<36}{'notebooks':>10}{'s/notebook':>12}{'notebooks/s':>13}{'vs kernel':>11}")
    rows = [("grader, warm fork server (default)", n, per_warm),
            ("grader, --cold (sandbox each)", m, per_cold),
            ("nbclient, kernel per notebook", len(sample), per_kernel)]
    for name, count, per in rows:
        print(f"{name:<36}{count:>10}{per:>12.4f}{1 / per:>13.1f}{per_kernel / per:>10.1f}x")
    print(f"1000 submissions on the warm path: {1000 * per_warm:.0f} s")
    print(f"self-check, check('adam_update'): {1000 * time_selfcheck():.1f} ms per call")


if __name__ == "__main__":
    main()
