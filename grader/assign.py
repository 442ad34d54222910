"""``grader assign``: the student bundle generated from an assignment's master.

Masters use otter-grader's format (``# ASSIGNMENT CONFIG``, ``# BEGIN
QUESTION``, ``# BEGIN SOLUTION``, ``# BEGIN TESTS``, ``# SOLUTION``), so
the same file also builds with ``otter assign``. The bundle (``student/``):
the template notebook (solutions replaced by stubs, tests removed, outputs
cleared, assignment id and version in the metadata), the ``selfcheck``
package with the public checks' data, and ``requirements.txt``. Generation
is deterministic: regenerating reproduces the committed bundle byte for byte.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

import assignments
from grader.checks.expected import prepare
from grader.harness import wire

ROOT = Path(assignments.__file__).parent
HARNESS = Path(__file__).parent / "harness"
SHIPPED = ("programs.py", "compare.py", "wire.py")
REQUIREMENTS = "numpy>=1.24\nmatplotlib>=3.6\njupyter\n"
STUB = 'raise NotImplementedError("{name}: write your code here")'
ANSWER = "_Type your answer here._"
_SOLUTION_BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION[^\n]*\n.*?^[ \t]*# END SOLUTION[^\n]*(\n|$)",
                             re.S | re.M)
_MD_SOLUTION = re.compile(r"<!-- BEGIN SOLUTION -->.*?<!-- END SOLUTION -->", re.S)
_DEF = re.compile(r"^\s*def (\w+)\(", re.M)


def assign(name: str, root: Path = ROOT) -> Path:
    """Write ``<root>/<name>/student/`` from the master; returns the folder."""
    spec = assignments.load(name)
    folder = root / name
    master = nbformat.read(folder / "master.ipynb", as_version=4)
    student = folder / "student"
    if student.exists():
        shutil.rmtree(student)
    (student / "selfcheck").mkdir(parents=True)
    nbformat.write(student_notebook(master, spec), student / f"{name}.ipynb")
    for module in SHIPPED:
        shutil.copyfile(HARNESS / module, student / "selfcheck" / module)
    shutil.copyfile(HARNESS / "selfcheck.py", student / "selfcheck" / "__init__.py")
    (student / "selfcheck" / "public.bin").write_bytes(public_data(spec))
    (student / "requirements.txt").write_text(REQUIREMENTS)
    return student


def student_notebook(master, spec):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"},
                   "grader": {"assignment": spec.id, "version": spec.version}}
    in_tests = False
    for cell in master.cells:
        text = cell.source.strip()
        if cell.cell_type in ("markdown", "raw") and text.startswith("# BEGIN TESTS"):
            in_tests = True
        if in_tests:
            in_tests = not text.startswith("# END TESTS")
            continue
        if cell.cell_type == "raw" and text.startswith(("# ASSIGNMENT CONFIG", "# BEGIN QUESTION",
                                                        "# END QUESTION")):
            continue
        nb.cells.append(_student_cell(cell))
    return nb


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


def public_data(spec) -> bytes:
    """The public checks as data: inputs, expected outputs, mistakes' outputs."""
    checks = []
    for prep in prepare(spec):
        if not prep.check.public:
            continue
        checks.append({"name": prep.check.name, "function": prep.check.function,
                       "compare": prep.check.compare, "programs": prep.programs,
                       "expected": prep.expected,
                       "mistakes": [{"name": m.name, "hint": m.hint, "outputs": outs}
                                    for m, outs in prep.mistakes]})
    return wire.encode({"assignment": spec.id, "version": spec.version, "checks": checks})
