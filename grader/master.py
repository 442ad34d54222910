"""A master notebook in otter-grader's format, as ``otter assign`` reads it.

Delimiters are raw cells (``# ASSIGNMENT CONFIG``, ``# BEGIN/END QUESTION``,
``# BEGIN/END TESTS``, and ``# BEGIN/END SOLUTION`` around a written answer);
code solutions are marked inside code cells (``# BEGIN SOLUTION`` ... ``# END
SOLUTION``, ``... # SOLUTION``). This module reads a master: the student
notebook it gives (solutions replaced by stubs, written answers by a line to
replace, tests removed, outputs cleared, assignment id and version in the
metadata) and its otter tests, which must be the checks of ``grading.py``.
"""
from __future__ import annotations

import re

import nbformat

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
