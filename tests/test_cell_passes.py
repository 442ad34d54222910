"""The worker skips two passes of IPython's run_cell for cells that cannot need
them; for every cell it must give exactly what IPython gives."""
import random
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from IPython.core.async_helpers import _should_be_async
from IPython.core.inputtransformer2 import TransformerManager

from grader.harness import cells as cell_runner

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted([*ROOT.glob("examples/submissions/*/*.ipynb"), *ROOT.glob("tutorials/*.ipynb"),
                    *ROOT.glob("assignments/*/master.ipynb")])
IPYTHON_SYNTAX = [
    "%matplotlib inline\nimport numpy as np\n", "%%time\nx = 1\n", "!pip install numpy\n",
    "files = !ls\n", "t = %timeit -o sum(range(9))\n", "x = \\\n    %time f()\n", "np.sum?\n",
    "np.sum??\n", "%timeit?\n", ",print a b\n", ";print a b\n", "/print 1 2\n",
    ">>> x = 1\n... y = 2\n", "In [1]: x = 1\n", "    x = 1\n    y = 2\n", "\n\n\nx = 1\n",
    "await asyncio.sleep(0)\n", "async with lock:\n    pass\n", "[x async for x in y]\n",
    "s = 'why?'\nt = '100%'\nu = '!'\n", "if a != b:\n    c = a % b\n", "x = (1\n     , 2)\n",
    'f"{x!r} {x=!r}"\n', "def f():\n    return 1\nf()\n", "x = [\n  1,\n  2,\n]\n",
    "y := 3\n", "class A:\n    '''Doc: >>> A()?'''\n", "x = 1  # comment?\n", "",
]


def cells():
    found = list(IPYTHON_SYNTAX)
    for path in NOTEBOOKS:
        found += [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    lines = [line for cell in found for line in cell.splitlines(keepends=True)]
    rng = random.Random(7)  # and cells made of lines of all of them
    found += ["".join(rng.sample(lines, rng.randint(1, 6))) for _ in range(300)]
    return found


@pytest.fixture(scope="module")
def shell():
    fake = SimpleNamespace(
        autoawait=True, input_transformer_manager=TransformerManager(),
        should_run_async=lambda raw, *, transformed_cell=None, preprocessing_exc_tuple=None:
            _should_be_async(transformed_cell))
    cell_runner._skip_needless_passes(fake)
    return fake


def test_every_cell_is_transformed_as_ipython_does(shell):
    ipython = TransformerManager()
    corpus = cells()
    assert len(NOTEBOOKS) >= 20 and len(corpus) > 500
    errors = 0
    for cell in corpus:
        try:
            expected = ipython.transform_cell(cell)
        except SyntaxError as exc:
            with pytest.raises(SyntaxError) as raised:
                shell.input_transformer_manager.transform_cell(cell)
            assert str(raised.value) == str(exc)
            errors += 1
            continue
        assert shell.input_transformer_manager.transform_cell(cell) == expected, cell
        assert shell.should_run_async(cell, transformed_cell=expected) == _should_be_async(expected)
    assert errors > 10  # broken cells are in the corpus, and raise as IPython raises


def test_the_passes_are_skipped_for_plain_python():
    plain = [c for c in cells() if not cell_runner.MAY_TRANSFORM.search(c)]
    assert len(plain) > 100  # most cells take the short path
    assert not any(cell_runner.MAY_TRANSFORM.search(c) for c in
                   ["import numpy as np\n", "def f(x):\n    return x % 2 != 0\n"])
