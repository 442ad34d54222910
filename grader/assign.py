"""``grader assign``: the student bundle generated from an assignment's master.

Masters use otter-grader's notebook format (``# ASSIGNMENT CONFIG``, ``#
BEGIN QUESTION``, ``# BEGIN TESTS``, ``# BEGIN SOLUTION``, ``# SOLUTION``),
so the same file also builds with ``otter assign``. As in otter, the
delimiters are raw cells; code solutions are marked inside code cells, and
written answers are Markdown cells between raw ``# BEGIN SOLUTION`` and ``#
END SOLUTION`` cells. The bundle (``student/``): the template notebook
(solutions replaced by stubs, written answers by a line to replace, tests
removed, outputs cleared, assignment id and version in the metadata), the
``selfcheck`` package with the public checks' preview data, and
``requirements.txt``. It is written into ``OUT/student/`` (default ``OUT``:
``dist/`` in the assignment's folder). Generation is deterministic:
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
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np

from grader import course
from grader.checks.expected import prepare
from grader.harness import wire

HARNESS = Path(__file__).parent / "harness"
SHIPPED = ("programs.py", "compare.py", "wire.py")
EXPLAIN = Path(__file__).parent / "diagnosis" / "explain.py"  # the diagnosis, shared
REQUIREMENTS = "numpy>=1.24\nmatplotlib>=3.6\njupyter\n"
STUB = 'raise NotImplementedError("{name}: write your code here")'
ANSWER = "_Type your answer here._"
_SOLUTION_BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION[^\n]*\n.*?^[ \t]*# END SOLUTION[^\n]*(\n|$)",
                             re.S | re.M)
_MD_SOLUTION = re.compile(r"<!-- BEGIN SOLUTION -->.*?<!-- END SOLUTION -->", re.S)
_DEF = re.compile(r"^\s*def (\w+)\(", re.M)
# otter 7 (otter/assign/blocks.py) reads a delimiter from the first line of a raw cell.
_DELIMITER = re.compile(r"#\s+(assignment\s+config|(begin|end)\s+(question|prompt|solution|tests))\b",
                        re.I)
_PASSES = re.compile(r"""\bpasses\(\s*["']([^"']+)["']\s*\)""")
_TEST_CONFIG = re.compile(r'"""\s*#\s*BEGIN\s*TEST\s*CONFIG(.*?)"""\s*#\s*END\s*TEST\s*CONFIG', re.S | re.I)


class MasterError(ValueError):
    """A master that otter would read differently from ``grader assign``."""


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
    write_selfcheck(student / "selfcheck", "public.bin", checks_data(spec))
    (student / "requirements.txt").write_text(REQUIREMENTS)
    _ship(spec, student)
    if otter_secret is not None:
        otter = out / "otter"
        _fresh(otter)
        shutil.copyfile(spec.folder / "master.ipynb", otter / "master.ipynb")
        _ship(spec, otter)
        write_selfcheck(otter / "selfcheck", "all.bin", checks_data(spec, otter_secret))
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


def write_selfcheck(folder: Path, data_name: str, data: bytes) -> None:
    """The ``selfcheck`` package: the harness modules and one data file."""
    _fresh(folder)
    for module in SHIPPED:
        shutil.copyfile(HARNESS / module, folder / module)
    shutil.copyfile(EXPLAIN, folder / "explain.py")
    shutil.copyfile(HARNESS / "selfcheck.py", folder / "__init__.py")
    (folder / data_name).write_bytes(data)


def _delimiter(cell) -> str | None:
    """``"begin tests"``, ``"assignment config"``, ... for a delimiter cell, else None."""
    first = cell.source.lstrip().split("\n", 1)[0]
    match = _DELIMITER.match(first)
    return " ".join(match.group(1).lower().split()) if match else None


def _check_delimiters(master) -> None:
    for i, cell in enumerate(master.cells):
        kind = _delimiter(cell)
        if cell.cell_type == "markdown" and (kind or cell.source.lstrip().startswith("```otter")):
            # otter takes a Markdown "# BEGIN TESTS" for a heading and keeps the tests in its
            # student notebook; fenced ```otter cells we do not read: use raw cells.
            raise MasterError(f"cell {i}: {cell.source.strip().splitlines()[0]!r} is a Markdown cell; "
                              "delimiters must be raw cells")


def student_notebook(master, spec):
    _check_delimiters(master)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"},
                   "grader": {"assignment": spec.id, "version": spec.version}}
    block = None  # "tests" or "solution" inside a raw-delimited block
    for cell in master.cells:
        kind = _delimiter(cell) if cell.cell_type == "raw" else None
        if kind in ("begin tests", "begin solution"):
            block = kind.split()[1]
        elif kind in ("end tests", "end solution"):
            block = None
        elif kind is None and block != "tests":
            new = _student_cell(cell)
            if block == "solution" and cell.cell_type == "markdown":
                new.source = ANSWER  # a written answer: otter drops the cell, we leave a space
            nb.cells.append(new)
    return nb


def otter_tests(master) -> dict:
    """``{question: {"points": total, "tests": [(check name, points, hidden), ...]}}``.

    Read as otter 7 reads them: each code cell between raw ``# BEGIN TESTS``
    and ``# END TESTS`` is one test case, its options in a ``BEGIN TEST
    CONFIG`` docstring; cases without ``points`` share what the question's
    ``points`` leaves.
    """
    questions, question, in_tests = {}, None, False
    for i, cell in enumerate(master.cells):
        kind = _delimiter(cell) if cell.cell_type == "raw" else None
        if kind == "begin question":
            config = dict(re.findall(r"^(\w+):[ \t]*(.*?)[ \t]*$", cell.source, re.M))
            question = questions[config["name"]] = {
                "points": float(config["points"]) if "points" in config else None, "tests": []}
        elif kind == "begin tests":
            in_tests = True
        elif kind == "end tests":
            in_tests = False
        elif in_tests and cell.cell_type == "code" and cell.source.strip():
            names = _PASSES.findall(cell.source)
            if question is None or len(names) != 1:
                raise MasterError(f"cell {i}: a test cell calls passes(\"<check name>\") once, "
                                  "inside a question")
            block = _TEST_CONFIG.search(cell.source)
            config = dict(re.findall(r"^\s*(\w+):[ \t]*(\S+)[ \t]*$", block.group(1), re.M)) if block else {}
            first = cell.source.lstrip().split("\n", 1)[0]
            hidden = (config["hidden"].lower() == "true" if "hidden" in config
                      else first.startswith("#") and bool(re.search(r"\bhidden\b", first, re.I)))
            question["tests"].append([names[0], float(config["points"]) if "points" in config else None,
                                      hidden])
    for q in questions.values():
        unset = [t for t in q["tests"] if t[1] is None]
        if unset:
            left = (q["points"] if q["points"] is not None else 1.0) - sum(t[1] or 0 for t in q["tests"])
            for t in unset:
                t[1] = left / len(unset)
        q["tests"] = [tuple(t) for t in q["tests"]]
    return questions


def check_tests(master, spec) -> None:
    """The master's otter tests are the checks of ``grading.py``: one test per check, in
    order, with its points, hidden exactly when the check is not public."""
    _check_delimiters(master)
    found = {name: q for name, q in otter_tests(master).items() if q["tests"]}
    want = {q.name: {"points": q.points, "tests": [(c.name, float(c.points), not c.public)
                                                  for c in q.checks]}
            for q in spec.questions}
    problems = [f"question {name!r}: in grading.py but has no tests in the master"
                for name in want.keys() - found.keys()]
    problems += [f"question {name!r}: has tests in the master but is not in grading.py"
                 for name in found.keys() - want.keys()]
    for name in want.keys() & found.keys():
        if found[name]["tests"] != want[name]["tests"]:
            problems.append(f"question {name!r}: master tests {found[name]['tests']} "
                            f"!= grading.py checks {want[name]['tests']}")
        if found[name]["points"] not in (None, want[name]["points"]):
            problems.append(f"question {name!r}: points {found[name]['points']} in the master, "
                            f"{want[name]['points']} in grading.py")
    if problems:
        raise MasterError(f"{spec.id}: the master's tests do not match grading.py:\n  "
                          + "\n  ".join(problems))


def _student_cell(cell):
    new = nbformat.from_dict({k: v for k, v in cell.items() if k not in ("outputs", "execution_count")})
    new.metadata = {k: v for k, v in cell.get("metadata", {}).items() if k == "grader"}
    if cell.cell_type == "code":
        new.source = strip_solutions(cell.source)
        new.outputs, new.execution_count = [], None
    elif cell.cell_type == "markdown":
        new.source = _MD_SOLUTION.sub(ANSWER, cell.source)
    return new


def strip_solutions(source: str) -> str:
    """Solution blocks become a stub that raises; ``# SOLUTION`` lines become ``...``."""
    def stub(match):
        before = source[:match.start()]
        defs = _DEF.findall(before)
        name = defs[-1] if defs else "this cell"
        return f"{match.group(1)}{STUB.format(name=name)}{match.group(2)}"
    source = _SOLUTION_BLOCK.sub(stub, source)
    lines = []
    for line in source.split("\n"):
        if line.rstrip().endswith("# SOLUTION"):
            code = line.rstrip()[: -len("# SOLUTION")].rstrip()
            head, eq, _ = code.partition(" = ")
            line = f"{head} = ..." if eq else re.sub(r"\S.*", "...", code)
        lines.append(line)
    return "\n".join(lines)


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

    A hidden check calls ``minibatch_indices`` without ``rng``, so the reference makes a fresh
    Generator from the OS's entropy. Its output stored in the data is only an example: the
    ``partition`` comparator judges properties and never compares with it.
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
