"""The course's built-in assignments, one folder each: ``master.ipynb``, its
grading declaration (``grading.py``) and its mistake catalogue
(``mistakes.py``). The grader loads them as folders (``grader.course``), like
any assignment a tutor writes elsewhere; this package only lists them."""
from pathlib import Path

NAMES = tuple(sorted(p.parent.name for p in Path(__file__).parent.glob("*/grading.py")))


def load(name: str):
    """The ``Assignment`` declared in ``assignments/<name>/grading.py``."""
    if name not in NAMES:
        raise KeyError(name)
    from grader.course import load
    return load(name)
