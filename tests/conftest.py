"""Fixtures shared by the test modules."""
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
