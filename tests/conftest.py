"""Fixtures shared by the test modules."""
import importlib
import sys

import pytest

import assignments
from grader import course
from grader.assign import assign


@pytest.fixture(scope="session")
def bundles(tmp_path_factory):
    """Each built-in assignment's student bundle (``grader assign``; never committed):
    ``{name: .../student}``."""
    root = tmp_path_factory.mktemp("bundles")
    return {name: assign(course.load(name), root / name) / "student" for name in assignments.NAMES}


@pytest.fixture
def selfcheck(monkeypatch, bundles):
    """``load(name)``: the ``selfcheck`` package of that assignment's bundle, imported
    as a student's notebook imports it."""
    def load(name):
        monkeypatch.syspath_prepend(str(bundles[name]))
        sys.modules.pop("selfcheck", None)
        return importlib.import_module("selfcheck")
    yield load
    sys.modules.pop("selfcheck", None)
