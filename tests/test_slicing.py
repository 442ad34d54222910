"""The static slice: which cells the graded functions need, and when it runs every cell."""
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assignments
from grader.notebooks import read_notebook
from grader.slicing import plan

EXAMPLES = Path(assignments.__file__).parent.parent / "examples" / "submissions"
A7 = {"sgd_update", "momentum_update", "nesterov_update", "adagrad_update", "rmsprop_update",
      "adam_update", "adamw_update"}


def test_the_a7_template_runs_its_functions_and_skips_its_experiments():
    cells = read_notebook((EXAMPLES / "a7_optimizers" / "correct_as_master.ipynb").read_bytes()).cells
    kept = plan(cells, A7)
    assert kept.run == [0, 2, 5, 7, 9, 11, 13, 16]  # the imports and the seven functions
    assert {19, 21} <= set(kept.skipped)  # the contour plots and the training runs
    assert sorted(kept.run + kept.skipped) == list(range(len(cells)))


UNSURE = {
    "exec": "exec('def f(): return 1')",
    "eval": "f = eval('lambda: 1')",
    "globals": "globals()['f'] = lambda: 1",
    "vars": "vars()['f'] = lambda: 1",
    "star import": "from math import *",
    "writefile": "%%writefile helpers.py\ndef f():\n    return 1",
    "run magic": "%run helpers.py",
    "time magic": "%time f = lambda: 1",
    "global statement": "def g():\n    global f\n    f = lambda: 1\ng()",
    "dict": "import sys\nsys.modules[__name__].__dict__['f'] = 1",
    "sys modules": "import sys\nm = sys.modules['__main__']",
    "main": "import __main__\n__main__.f = lambda: 1",
    "frame": "import sys\nsys._getframe().f_globals['f'] = 1",
    "syntax error": "def f(:\n    return 1",
    "output history": "f = _",
    "history number": "f = _3",
    "relative import": "from . import helpers",
}


@pytest.mark.parametrize("case", list(UNSURE))
def test_what_cannot_be_followed_runs_every_cell(case):
    cells = ["import numpy as np", "def f():\n    return np.pi", "print('experiment')",
             UNSURE[case]]
    kept = plan(cells, {"f"})
    assert kept.skipped == [] and kept.run == [0, 1, 2, 3] and kept.why


def test_a_name_bound_nowhere_runs_every_cell():
    kept = plan(["def f():\n    return SECRET", "print(1)"], {"f"})
    assert kept.skipped == [] and "SECRET" in kept.why


@pytest.mark.parametrize("cell", ["%matplotlib inline", "!pip install numpy",
                                  "files = !ls", "for _ in range(3):\n    print(_)"])
def test_harmless_ipython_lines_and_loop_variables_still_slice(cell):
    kept = plan(["import numpy as np", cell, "def f():\n    return np.pi", "print(f())"], {"f"})
    assert kept.run == [0, 2] and kept.skipped == [1, 3]


@pytest.mark.parametrize("changer", ["H[0] = 9", "H.append(3)", "y = H\ny.append(7)",
                                     "def g():\n    H.append(1)\n", "H += [1]",
                                     "import numpy as np\nnp.pi = 3"])
def test_cells_that_may_change_what_a_function_reads_are_kept(changer):
    cells = ["import numpy as np\nH = [1, 2]", "def f():\n    return sum(H) * np.pi",
             changer, "print('plot')"]
    kept = plan(cells, {"f"})
    assert 2 in kept.run and kept.skipped == [3]


def test_a_call_of_a_function_that_can_reach_the_state_is_kept():
    cells = ["H = [1]", "def f():\n    return len(H)", "def grow():\n    H.append(1)",
             "for _ in range(3):\n    grow()", "print('done')"]
    assert plan(cells, {"f"}).run == [0, 1, 2, 3]


@pytest.mark.parametrize("source", [
    "(" * 100_000 + ")" * 100_000,
    "x = " + "[" * 5000 + "]" * 5000,
    "".join(" " * i + f"def f{i}():\n" for i in range(0, 400)) + " " * 400 + "pass\n",
    "x = 1\n" * 400_000,
    "x = " + "-" * 200_000 + "1",
])
def test_deep_or_huge_source_neither_crashes_nor_stalls(source):
    start = time.monotonic()
    kept = plan(["def f():\n    return 1", source], {"f"})
    assert time.monotonic() - start < 10
    assert kept.run == [0, 1] or kept.run == [0]  # a slice or every cell, never an exception


# -- a slice defines the graded function as the whole notebook does ------------

#: Binds every name the snippets read, so that slices are not given up on.
PRELUDE = ["H = [1, 2]", "K = 1", "y = H", "import math", "def g2():\n    return K * 2",
           "class C:\n    v = 1", "def m():\n    return y", "def h(a):\n    a.append(2)",
           "def g():\n    H.append(1)", "lam = lambda: H.pop()", "w = {'a': [0]}"]
FUNCTIONS = ["def f():\n    return sum(H) + K", "def f():\n    return g2() + len(y)",
             "def f():\n    return math.floor(K * 1.5) + len(H)", "def f():\n    return w['a']",
             "def f():\n    return C.v"]
SNIPPETS = [
    "H.append(3)", "H[0] = 9", "y = H", "y.append(7)", "K = 1", "K += 2", "g()", "print(K)",
    "z = [K]", "z.append(K)", "for K in range(3):\n    pass", "L = H", "L[:] = [4]", "h(H)",
    "h(y)", "K = len(H)", "class C:\n    v = K", "K = C.v + 1", "H = H + [K]", "m().append(5)",
    "del K", "y = list(H)", "w['a'] = H", "w['a'].append(1)", "q = w['a']", "q.append(3)",
    "raise ValueError('an experiment fails')", "K = [v for v in H if (t := v)][0]", "lam()",
    "C.v = 5", "def g2():\n    return 7", "print(f())", "r = f", "print('a plot')",
]


def _run(cells):
    """Cells as a notebook runs them (an error does not stop later cells), then f()."""
    namespace = {}
    for source in cells:
        try:
            exec(compile(source, "<cell>", "exec"), namespace)
        except Exception:
            pass
    try:
        return repr(namespace["f"]())
    except Exception as exc:
        return type(exc).__name__


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS), max_size=10), st.sampled_from(FUNCTIONS),
       st.integers(0, 10))
def test_a_slice_computes_what_the_whole_notebook_computes(snippets, function, at):
    cells = PRELUDE + snippets[:at] + [function] + snippets[at:]
    kept = plan(cells, {"f"})
    assert sorted(kept.run + kept.skipped) == list(range(len(cells)))
    assert _run([cells[i] for i in kept.run]) == _run(cells)


def test_the_property_test_slices_at_all():
    """The snippets leave cells out of a slice (else the property above says little)."""
    cells = PRELUDE + [FUNCTIONS[0], "print('a plot')", "r = f"]
    # math, C, h, w and the print; f reads H and K, so a cell naming f may change them
    assert plan(cells, {"f"}).skipped == [3, 5, 7, 10, 12]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=200) | st.sampled_from(SNIPPETS + list(UNSURE.values())),
                max_size=8))
def test_any_text_gives_a_slice_or_every_cell(cells):
    kept = plan(cells, {"f"})
    assert sorted(kept.run + kept.skipped) == list(range(len(cells)))
    assert kept.skipped == [] or not kept.why
