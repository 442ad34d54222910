"""The masters build with otter-grader 7.0.0, and its autograder scores like ours.

``otter assign --no-pdfs`` must accept each master and turn it into one otter
test per check of ``grading.py`` (same points, hidden exactly when the check
is), without putting a hidden check or a solution in otter's student
notebook. ``otter run`` with the autograder it builds must then give the same
per-question scores as ``grader grade`` on the example class's notebooks that
finish and do not attack the grader: the correct and the mistaken ones
(``otter run`` has no time limit and runs its checks inside the student's
process, which is why our grader exists).

otter-grader comes from the ``otter`` extra, which ``make test`` installs:
without it this module fails, it does not skip.
"""
import ast
import json
import os
import re
import subprocess
import sys
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

import assignments
from grader import course
from grader.assign import assign
from grader.checks.secret import Secret
from grader.execute import Limits
from grader.grade import grade
from grader.options import GradeOptions
from checks_helpers import master_solution_lines

try:
    with warnings.catch_warnings():  # traitlets' DeprecationWarning from otter's imports
        warnings.simplefilter("ignore", DeprecationWarning)
        import otter
except ImportError:
    otter = None

ROOT = Path(assignments.__file__).parent
EXAMPLES = ROOT.parent / "examples" / "submissions"
NAMES = assignments.NAMES
OTTER_TIMEOUT = 600  # seconds per otter process; otter run itself has no limit
# Several `otter run` command lines in one process, to pay otter's ~3 s import once.
BATCH = ("import json, sys\nfrom otter.cli import cli\n"
         "for args in json.loads(sys.argv[1]):\n    cli.main(args, standalone_mode=False)\n")
SECRET = Secret(b"otter tests")  # otter's support package and our grader draw the same inputs
PASSES = re.compile(r"""passes\(\s*["']([^"']+)["']\s*\)""")


@pytest.fixture(autouse=True)
def otter_installed():
    """Every test here fails, never skips, without otter: CI must exercise it."""
    if otter is None:
        pytest.fail("otter-grader is not installed: pip install -e '.[dev,otter]' (make test does)")


def _env():
    # Prefer this venv's "python3" kernel spec over any user-level one.
    env = dict(os.environ)
    share = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (share, env.get("JUPYTER_PATH")) if p)
    return env


def _python(*args, cwd):
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=OTTER_TIMEOUT)
    assert proc.returncode == 0, f"otter failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _gradable(name):
    """Example students that finish and do not attack the grader: every mistake and one
    correct style (otter assign has already scored the master's own solutions at 100%).
    The other correct examples differ only by cells that print or do scratch work, which
    ``correct_with_debug_print`` (made in the test) covers inside a function."""
    return sorted(p for p in (EXAMPLES / name).glob("*.ipynb")
                  if p.stem.startswith("mistake") or p.stem == "correct_other_style")


def _with_debug_print(nb):
    """A correct notebook whose first graded function prints when called."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("def "))
    first = ast.parse(cell.source).body[0].body[0]  # the function's first statement
    lines = cell.source.split("\n")
    lines.insert(first.lineno - 1, " " * first.col_offset + "print('debugging', flush=True)")
    cell.source = "\n".join(lines)
    return nb


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("otter")


@pytest.fixture(scope="module")
def built(work):
    """``otter assign`` in the folder ``grader assign --otter`` builds: the master
    beside its ``selfcheck/``."""
    def one(name):
        src = assign(course.load(name), work / "src" / name, otter_secret=SECRET) / "otter"
        dist = work / "dist" / name
        _python("-m", "otter", "assign", "--no-pdfs", "master.ipynb", str(dist), cwd=src)
        return dist
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(NAMES, pool.map(one, NAMES)))


@pytest.fixture(scope="module")
def scored(built, work):
    """Per-question scores of every gradable example: ``{name: {student: (otter, ours)}}``."""
    jobs = []
    for name in NAMES:
        folder = work / "subs" / name
        folder.mkdir(parents=True)
        notebooks = {p.stem: nbformat.read(p, as_version=4) for p in _gradable(name)}
        notebooks["correct_with_debug_print"] = _with_debug_print(
            nbformat.read(EXAMPLES / name / "correct_other_style.ipynb", as_version=4))
        for stem, nb in notebooks.items():
            # otter run rejects a notebook without its assignment name and runs the kernel the
            # notebook names: set both on a copy, never on the committed example.
            nb.metadata.setdefault("otter", {})["assignment_name"] = name
            nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                         "name": "python3"}
            nbformat.write(nb, folder / f"{stem}.ipynb")
            jobs.append((name, folder / f"{stem}.ipynb"))

    command_lines, outs = [], []
    for name, path in jobs:
        out = work / "results" / name / path.stem  # outside the folder that grader grades
        out.mkdir(parents=True)
        zips = list((built[name] / "autograder").glob("master-autograder_*.zip"))
        assert len(zips) == 1, zips
        command_lines.append(["run", "--no-logo", "-a", str(zips[0]), "-o", str(out), str(path)])
        outs.append(out)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two processes, each a share of the runs
        list(pool.map(lambda share: _python("-c", BATCH, json.dumps(share), cwd=work),
                      [command_lines[0::2], command_lines[1::2]]))
    theirs = []
    for out in outs:
        tests = json.loads((out / "results.json").read_text())["tests"]
        theirs.append({t["name"]: (t["score"], t["max_score"]) for t in tests if "score" in t})
    result = {name: {} for name in NAMES}
    for name in NAMES:
        _, records, _ = grade(work / "subs" / name, work / "ours" / name,
                              GradeOptions(assignment=name, jobs=2,
                                           limits=Limits(timeout=120, call_timeout=20),
                                           secret=SECRET))
        ours = {r.student: r for r in records}
        for (job_name, path), otter_scores in zip(jobs, theirs):
            if job_name == name:
                result[name][path.stem] = (otter_scores, ours[path.stem])
    return result


def test_otter_is_the_version_whose_format_we_write():
    assert otter.__version__ == "7.0.0"


def _built_tests(dist):
    """The test files inside the autograder zip: ``{question: (points, [(check, points, hidden)])}``."""
    zip_path, = (dist / "autograder").glob("master-autograder_*.zip")
    out = {}
    with zipfile.ZipFile(zip_path) as zf:
        for member in zf.namelist():
            if member.startswith("tests/") and member.endswith(".py"):
                scope = {}
                exec(zf.read(member).decode(), scope)  # OK format: assigns ``test``
                test = scope["test"]
                cases = [case for suite in test["suites"] for case in suite["cases"]]
                out[test["name"]] = (test["points"], [(PASSES.findall(c["code"]), c["points"], c["hidden"])
                                                      for c in cases])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_otter_builds_one_test_per_check(name, built):
    spec = assignments.load(name)
    want = {q.name: (q.points, [([c.name], c.points, not c.public) for c in q.checks])
            for q in spec.questions}
    assert _built_tests(built[name]) == want
    with zipfile.ZipFile(next((built[name] / "autograder").glob("*.zip"))) as zf:
        assert "files/selfcheck/all.bin" in zf.namelist()


@pytest.mark.parametrize("name", NAMES)
def test_otters_student_notebook_has_no_hidden_test_and_no_solution(name, built):
    spec = assignments.load(name)
    student = built[name] / "student"
    assert not list(student.rglob("*.bin"))  # all.bin goes to the autograder only
    text = (student / "master.ipynb").read_text()
    hidden = [c.name for _, c in spec.checks() if not c.public]
    assert [h for h in hidden if h in text] == []
    solution_lines = master_solution_lines(ROOT / name / "master.ipynb")
    nb = nbformat.read(student / "master.ipynb", as_version=4)
    sources = "\n".join(cell.source for cell in nb.cells)
    assert solution_lines and [l for l in solution_lines if l in sources] == []


STUDENTS = [(name, stem) for name in NAMES
            for stem in [p.stem for p in _gradable(name)] + ["correct_with_debug_print"]]


@pytest.mark.parametrize("name, student", STUDENTS)
def test_otter_run_scores_each_question_like_grader_grade(name, student, scored):
    spec = assignments.load(name)
    theirs, record = scored[name][student]
    assert record.status == "graded", record.reason
    assert {q: max_score for q, (_, max_score) in theirs.items()} == \
        {q.name: q.points for q in spec.questions}
    assert {q: score for q, (score, _) in theirs.items()} == pytest.approx(record.questions)
    full = all(score == q.points for q in spec.questions for score in [record.questions[q.name]])
    assert full == student.startswith("correct"), record.questions


def test_the_comparison_covers_a_correct_notebook_and_every_mistake():
    for name in NAMES:
        stems = [p.stem for p in _gradable(name)]
        assert "correct_other_style" in stems
        assert sorted(s for s in stems if s != "correct_other_style") == \
            sorted(p.stem for p in (EXAMPLES / name).glob("mistake*.ipynb"))
        assert len(stems) >= 5
