"""Assignments are folders: found by name among the built-in ones, or by path.

An assignment folder holds ``master.ipynb`` (the master notebook in otter's
format), ``grading.py`` (which declares ``ASSIGNMENT``: questions, checks,
points, tolerances), usually ``mistakes.py`` (the catalogue) and anything else
its checks import, through relative imports (``from .mistakes import
MISTAKES``), and, when its checks need comparators or objectives beyond the
generic ones, ``harness.py`` (see ``grader.harness.extension``), which the
grader loads here and sends to every sandbox and self-check. The grader
imports no assignment by name: it loads a folder and passes the
``Assignment`` along. The built-in assignments are the folders of
the ``assignments`` package, located without importing it.

A notebook's metadata names its assignment only by id; an id maps to a
built-in folder, or to the folder the tutor gives with ``--assignment``.
A student's notebook therefore never chooses which code the grader imports.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np

from grader.errors import UsageError
from grader.harness import compare, extension

#: The file of an assignment folder that holds its own comparators and objectives.
HARNESS = "harness.py"


def builtin_root() -> Path:
    """The folder of the built-in assignments (the ``assignments`` package)."""
    spec = importlib.util.find_spec("assignments")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("the built-in assignments are not installed: pass --assignment FOLDER")
    return Path(list(spec.submodule_search_locations)[0])


def builtin_names() -> tuple:
    root = builtin_root()
    return tuple(sorted(p.parent.name for p in root.glob("*/grading.py")))


def locate(ref: str | Path) -> Path:
    """The folder of ``ref``: a path to an assignment folder, or a built-in name."""
    path = Path(ref).expanduser()
    if path.is_dir():
        if not (path / "grading.py").is_file():
            raise UsageError(f"{path} is not an assignment folder: it has no grading.py")
        return path.resolve()
    if str(ref) in builtin_names():
        return builtin_root() / str(ref)
    raise UsageError(f"unknown assignment {str(ref)!r}: give an assignment folder or one of "
                     f"{', '.join(builtin_names())}")


def load(ref: str | Path):
    """The ``Assignment`` declared in the folder's ``grading.py``, with ``folder`` set."""
    return _load(locate(ref))


@functools.lru_cache(maxsize=None)
def _load(folder: Path):
    package = _package(folder)
    try:
        module = importlib.import_module(f"{package}.grading")
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(f"{folder / 'grading.py'} does not load: {type(exc).__name__}: {exc}") \
            from exc
    spec = getattr(module, "ASSIGNMENT", None)
    if spec is None:
        raise UsageError(f"{folder / 'grading.py'} declares no ASSIGNMENT")
    spec = dataclasses.replace(spec, folder=folder, extension=_extension(folder))
    _check_names(spec)
    return spec


def _extension(folder: Path):
    """The folder's ``harness.py`` (its own comparators, objectives, diagnoses), loaded."""
    path = folder / HARNESS
    try:
        return extension.load(path.read_text() if path.is_file() else "", str(path))
    except extension.ExtensionError as exc:
        raise UsageError(str(exc)) from None


def _check_names(spec) -> None:
    """Every comparator, diagnosis and objective the checks name exists: said when the
    assignment loads, not in the middle of grading. Objectives are read from one draw
    of each check's inputs (the preview's)."""
    own, where = spec.extension, spec.folder / "grading.py"
    clash = sorted(set(own.comparators) & set(compare.COMPARATORS))
    if clash:
        raise UsageError(f"{spec.folder / HARNESS}: {', '.join(clash)} would hide the generic "
                         "comparator of that name: choose another name")
    for table, names in (("DIAGNOSES", own.diagnoses), ("FAILURES", own.failures)):
        for name in names:
            if name not in own.comparators:
                raise UsageError(f"{spec.folder / HARNESS}: {table} names {name!r}, which is "
                                 "not one of its COMPARATORS")
    for _, check in spec.checks():
        kind = check.compare.get("kind")
        if kind not in compare.COMPARATORS and kind not in own.comparators:
            raise UsageError(f"{where}: check {check.name!r} names the comparator {kind!r}, "
                             f"which is neither generic ({', '.join(compare.COMPARATORS)}) nor "
                             f"in {HARNESS}'s COMPARATORS")
        for name in _objectives(check.cases(np.random.default_rng(spec.seed_for(check)))):
            if name not in own.objectives:
                raise UsageError(f"{where}: check {check.name!r} names the objective {name!r}, "
                                 f"which is not in {HARNESS}'s OBJECTIVES")


def _objectives(value) -> set:
    """The kinds of the objectives anywhere in a check's programs."""
    if isinstance(value, dict):
        found = {value["$objective"].get("kind")} if isinstance(value.get("$objective"), dict) \
            else set()
        if value.get("op") == "trajectory" and isinstance(value.get("objective"), dict):
            found.add(value["objective"].get("kind"))
        return found.union(*(_objectives(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(_objectives(v) for v in value))
    return set()



def _package(folder: Path) -> str:
    """A package of its own for the folder, so that its modules import each other
    relatively and two folders never share a module name."""
    name = "optigrade_assignment_" + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    if name not in sys.modules:
        init = folder / "__init__.py"
        if init.is_file():
            spec = importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[str(folder)])
            package = importlib.util.module_from_spec(spec)
            sys.modules[name] = package
            spec.loader.exec_module(package)
        else:
            package = types.ModuleType(name)
            package.__path__ = [str(folder)]
            sys.modules[name] = package
    return name


def source(spec) -> str | None:
    """What a record keeps of where its assignment came from: nothing for a
    built-in one, else its folder."""
    if spec.id in builtin_names() and spec.folder == builtin_root() / spec.id:
        return None
    return str(spec.folder)


def of_records(records: list, chosen: str | None = None):
    """The assignment a journal's records were graded as (``chosen`` wins)."""
    if chosen:
        return load(chosen)
    kinds = {(r.assignment, r.assignment_folder) for r in records}
    if len(kinds) != 1:
        raise UsageError("the journal holds no results of one assignment: grade again")
    (name, folder), = kinds
    if folder:
        if not Path(folder).is_dir():
            raise UsageError(f"the assignment folder {folder} is gone: pass --assignment FOLDER")
        return load(folder)
    return load(name)


#: What an assignment may ship in all: it travels in every submission's first frame.
FILES_LIMIT = 32 * 2 ** 20


def files(spec) -> dict:
    """{relative path: bytes} of the files ``spec`` ships (``Assignment.files``):
    copied into the student bundle and placed in each notebook's working directory."""
    return _files(spec.folder, tuple(spec.files))


@functools.lru_cache(maxsize=None)
def _files(folder: Path, names: tuple) -> dict:
    shipped, total = {}, 0
    for name in names:
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or ".." in parts or name.startswith("."):
            raise UsageError(f"{folder / 'grading.py'}: shipped file {name!r} must be a path "
                             "inside the assignment's folder")
        path = folder / name
        if not path.is_file():
            raise UsageError(f"{folder}: the shipped file {name} does not exist")
        shipped[Path(name).as_posix()] = data = path.read_bytes()
        total += len(data)
    if total > FILES_LIMIT:
        raise UsageError(f"{folder}: the shipped files hold {total} bytes, over the limit of "
                         f"{FILES_LIMIT}")
    return shipped


def master(spec) -> Path:
    path = spec.folder / "master.ipynb"
    if not path.is_file():
        raise UsageError(f"{spec.folder} has no master.ipynb")
    return path


def template(spec):
    """The student template of ``spec`` as a ``Notebook``, made from its master."""
    return _template(spec.folder)


@functools.lru_cache(maxsize=None)
def _template(folder: Path):
    import nbformat

    from grader.master import student_notebook
    from grader.notebooks import read_notebook
    spec = _load(folder)
    nb = student_notebook(nbformat.read(master(spec), as_version=4), spec)
    return read_notebook(nbformat.writes(nb).encode())
