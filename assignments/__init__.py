"""The course's assignments: each folder holds a master notebook, its grading
declaration (``grading.py``), its mistake catalogue (``mistakes.py``) and the
generated student bundle (``student/``)."""
import importlib
from pathlib import Path

NAMES = ("a6_batching", "a7_optimizers")


def load(name: str):
    """The ``Assignment`` declared in ``assignments/<name>/grading.py``."""
    if name not in NAMES:
        raise KeyError(name)
    return importlib.import_module(f"assignments.{name}.grading").ASSIGNMENT


def template_path(name: str) -> Path:
    """The student template of ``name``, as shipped in its bundle."""
    if name not in NAMES:
        raise KeyError(name)
    return Path(__file__).parent / name / "student" / f"{name}.ipynb"
