"""Legitimate but unusual notebooks grade alike on the warm, cold and kernel paths,
sliced or not: the worker gives them what a Jupyter kernel gives them."""
import csv

import pytest

from grader.checks.secret import Secret
from grader.execute import Limits
from grader.grade import grade
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, notebook, write

FULL = "35"
SGD = "def sgd_update(theta, g, lr):\n    return theta - lr * g\n"
WITHOUT_SGD = CORRECT_A7.replace(SGD, "")
assert WITHOUT_SGD != CORRECT_A7

CORPUS = {
    # a helper module written with a magic, then imported with *
    "writefile_module": ["%%writefile _helpers.py\n" + SGD, "from _helpers import *", WITHOUT_SGD],
    # a module written by plain Python, imported in another cell
    "open_write_module": ["with open('mymod.py', 'w') as f:\n    f.write(" + repr(SGD) + ")",
                          "import mymod\nsgd_update = mymod.sgd_update", WITHOUT_SGD],
    # a file written, then read back at a relative path by the graded code's cell
    "file_read_back": ["import os\nos.makedirs('data', exist_ok=True)\n"
                       "open(os.path.join('data', 'scale.txt'), 'w').write('1.0')",
                       "SCALE = float(open('data/scale.txt').read())\n"
                       "def sgd_update(theta, g, lr):\n    return theta - SCALE * lr * g\n",
                       WITHOUT_SGD],
    "dunder_name": [CORRECT_A7, "if __name__ == '__main__':\n    print('run as a script')\n"
                                "else:\n    def sgd_update(*a):\n        return 0"],
    "sys_argv": ["import sys, argparse\nparser = argparse.ArgumentParser()\n"
                 "parser.add_argument('--lr', type=float, default=0.1)\n"
                 "args, _unknown = parser.parse_known_args()\nLR = args.lr\nNAME = sys.argv[0]\n"
                 "SIGN = 1.0 if LR == 0.1 and isinstance(NAME, str) else -1.0",
                 CORRECT_A7 + "\ndef sgd_update(theta, g, lr):\n    return theta - SIGN * lr * g\n",
                 "print('experiments')"],
    "display": [CORRECT_A7 + "\ndisplay(np.arange(3))\nfrom IPython.display import Markdown\n"
                             "display(Markdown('**done**'))", "display({'a': 1})"],
    "time_magics": [CORRECT_A7, "%time x = sgd_update(np.ones(2), np.ones(2), 0.1)",
                    "%timeit -n 1 -r 1 sgd_update(np.ones(2), np.ones(2), 0.1)"],
    "guarded_input": ["try:\n    name = input('your name? ')\nexcept Exception:\n    name = 'student'",
                      CORRECT_A7, "print('hello', name)"],
    "matplotlib_inline": ["%matplotlib inline\nimport matplotlib.pyplot as plt", CORRECT_A7,
                          "plt.plot([sgd_update(1.0, 1.0, 0.1)])\nplt.show()"],
}


def _grades(out):
    with open(out / "grades.csv", newline="") as f:
        return {r["student"]: (r["status"], r["score"], r["reason"]) for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for student, cells in CORPUS.items():
        write(folder, student, notebook(*cells))
    limits = Limits(timeout=30)  # a kernel's start on a busy machine
    runs = {}
    for path, options in {"warm": {}, "cold": {"warm": False}, "kernel": {"kernel": True},
                          "warm, every cell": {"run_all": True}}.items():
        _, records, out = grade(folder, tmp_path_factory.mktemp("out") / "graded",
                                GradeOptions(jobs=2, limits=limits,
                                             secret=Secret(b"one draw for every path"), **options))
        runs[path] = (_grades(out), {r.student: r for r in records})
    return runs


def test_every_path_gives_identical_grades(graded):
    warm = graded["warm"][0]
    for path, (grades, _) in graded.items():
        assert grades == warm, path


@pytest.mark.parametrize("student", list(CORPUS))
def test_each_notebook_gets_full_marks(graded, student):
    assert graded["warm"][0][student] == ("graded", FULL, "")


def test_the_warm_path_slices_where_it_can(graded):
    records = graded["warm"][1]
    assert records["matplotlib_inline"].skipped_cells == [0, 2]  # plt is not graded
    assert records["sys_argv"].skipped_cells == [2]
    assert records["time_magics"].skipped_cells == []  # %time may bind names
    assert records["open_write_module"].skipped_cells == []  # the slice failed: run in full
