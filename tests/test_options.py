"""``grader grade``'s arguments and ``GradeOptions`` are one declaration."""
from dataclasses import fields
from pathlib import Path

import pytest

from grader.cli import build_parser
from grader.options import GradeOptions

ROOT = Path(__file__).resolve().parent.parent
A8 = ROOT / "examples" / "assignments" / "a8_schedules"

#: A value other than the default for every option the command line offers.
GIVEN = {"assignment": ["--assignment", "a7_optimizers"], "jobs": ["--jobs", "3"],
         "isolation": ["--isolation", "process"], "warm": ["--cold"], "kernel": ["--kernel"],
         "run_all": ["--run-all"], "scheduler": ["--scheduler", "tcp://host:8786"],
         "resume": ["--resume"]}


def parsed(*argv: str) -> GradeOptions:
    return GradeOptions.from_arguments(build_parser().parse_args(["grade", "class", *argv]))


def test_the_command_lines_defaults_are_the_options_defaults():
    assert parsed() == GradeOptions()


def test_each_flag_sets_its_option_and_no_other():
    flagged = {f.name for f in fields(GradeOptions) if "flag" in f.metadata}
    assert flagged == GIVEN.keys()
    for name, argv in GIVEN.items():
        options = parsed(*argv)
        changed = {f.name for f in fields(GradeOptions)
                   if getattr(options, f.name) != getattr(GradeOptions(), f.name)}
        assert changed == {name}, argv


def test_every_flag_together():
    options = parsed(*[a for argv in GIVEN.values() for a in argv])
    assert options == GradeOptions(assignment="a7_optimizers", jobs=3, isolation="process",
                                   warm=False, kernel=True, run_all=True,
                                   scheduler="tcp://host:8786", resume=True)


def test_an_isolation_nobody_offers_is_refused_not_taken_as_auto(tmp_path):
    """grade() called from Python has no argparse choices: a misspelt isolation
    must not quietly become the default."""
    from grader.errors import UsageError
    from grader.grade import grade

    with pytest.raises(UsageError, match="'bwarp' is none of auto, bwrap, process, user"):
        grade(ROOT / "examples" / "submissions" / "a8_schedules", tmp_path / "out",
              GradeOptions(isolation="bwarp", assignment=str(A8)))
