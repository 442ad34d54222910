"""``grader assign``: what students get, built from an assignment's master.

The bundle, written into ``OUT/student/`` (default ``OUT``: ``dist/`` in the
assignment's folder): the template notebook (``grader.master``), the
``selfcheck`` package with the public checks' preview data (and the
assignment's own comparators and objectives, its ``harness.py``), the files the
assignment ships, and ``requirements.txt``. Generation is deterministic:
regenerating reproduces the bundle byte for byte.

Only on request (``--otter``), ``OUT/otter/`` holds the master beside
``selfcheck/``, the same package with every check, public and hidden, drawn
from a secret (``all.bin``): otter's autograder ships it (the master's
``autograder_files``) so that the master's test cells, ``assert
passes("<check name>")``, run there. Otter runs those tests inside the
student's own kernel, where a notebook can read this file: it holds the
expected outputs of the inputs it grades, so it is never committed, never
goes to students, and is not tamper-proof.
"""
from __future__ import annotations

import contextlib
import itertools
import shutil
from pathlib import Path

import nbformat
import numpy as np

from grader import course
from grader.master import check_tests, student_notebook
from grader.checks.expected import prepare
from grader.harness import wire

HARNESS = Path(__file__).parent / "harness"
SHIPPED = ("programs.py", "compare.py", "extension.py", "wire.py")
OWN = "assignment.py"  # the assignment's harness.py, in the package
DIAGNOSIS = Path(__file__).parent / "diagnosis"
SHARED = ("explain.py", "verdict.py")  # judging a check and its diagnosis, as the grader does
REQUIREMENTS = "numpy>=1.24\nmatplotlib>=3.6\njupyter\n"


def assign(spec, out: Path | None = None, otter_secret=None) -> Path:
    """Build ``spec``'s bundles into ``out`` (default: ``dist/`` in its folder); returns ``out``.

    ``out/student/``: what students get. With ``otter_secret`` (a ``Secret``), also
    ``out/otter/``: the master beside otter's support package ``selfcheck/``, where
    ``otter assign`` is run.
    """
    out = Path(out) if out is not None else spec.folder / "dist"
    master = nbformat.read(spec.folder / "master.ipynb", as_version=4)
    check_tests(master, spec)
    template = student_notebook(master, spec)
    student = out / "student"
    _fresh(student)
    nbformat.write(template, student / f"{spec.id}.ipynb")
    write_selfcheck(student / "selfcheck", "public.bin", checks_data(spec),
                    spec.extension.source)
    (student / "requirements.txt").write_text(REQUIREMENTS)
    _ship(spec, student)
    if otter_secret is not None:
        otter = out / "otter"
        _fresh(otter)
        shutil.copyfile(spec.folder / "master.ipynb", otter / "master.ipynb")
        _ship(spec, otter)
        write_selfcheck(otter / "selfcheck", "all.bin", checks_data(spec, otter_secret),
                        spec.extension.source)
    return out


def _ship(spec, folder: Path) -> None:
    """The files the assignment's notebook reads, at the same relative paths."""
    for name, data in course.files(spec).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def write_selfcheck(folder: Path, data_name: str, data: bytes, code: str = "") -> None:
    """The ``selfcheck`` package: the harness modules, the assignment's own (``code``,
    its harness.py) and one data file."""
    _fresh(folder)
    for module in SHIPPED:
        shutil.copyfile(HARNESS / module, folder / module)
    if code:
        (folder / OWN).write_text(code)
    for module in SHARED:
        shutil.copyfile(DIAGNOSIS / module, folder / module)
    shutil.copyfile(HARNESS / "selfcheck.py", folder / "__init__.py")
    (folder / data_name).write_bytes(data)


def checks_data(spec, secret=None) -> bytes:
    """The checks as data: inputs, expected outputs, the mistake families' outputs (never
    their code), the names of the returned values. Without ``secret``, the public checks'
    preview; with it, every check drawn from it."""
    checks = []
    with _seeded_fresh_generators():
        prepared = prepare(spec, secret)
    for prep in prepared:
        if not (prep.check.public or secret is not None):
            continue
        checks.append({"name": prep.check.name, "function": prep.check.function,
                       "compare": prep.check.compare, "programs": prep.programs,
                       "expected": prep.expected,
                       "returns": list(prep.returns),
                       "mistakes": [{"id": m.id, "name": m.name, "hint": m.hint, "outputs": outs}
                                    for m, outs in prep.mistakes]})
    return wire.encode({"assignment": spec.id, "version": spec.version, "checks": checks})



@contextlib.contextmanager
def _seeded_fresh_generators():
    """Seed ``np.random.default_rng()`` while the data is made, so that it regenerates byte for byte.

    A check may call a function without its ``rng``, so that the reference makes a fresh
    Generator from the OS's entropy. Its output stored in the data is then only an example:
    such a check's comparator judges properties and never compares with it.
    """
    original = np.random.default_rng
    seeds = itertools.count()

    def default_rng(seed=None):
        return original(next(seeds) if seed is None else seed)

    np.random.default_rng = default_rng
    try:
        yield
    finally:
        np.random.default_rng = original
