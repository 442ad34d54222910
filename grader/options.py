"""What a grading run is asked to do, as one value: ``grade(path, out, GradeOptions(...))``.

Each option the command line offers carries its flag and help text here, and
``grader grade`` builds its arguments from them, so the two cannot drift apart.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.checks.secret import Secret
    from grader.execute.session import Limits


def _option(default, flag: str, help: str, **argparse_kwargs):
    """A field that ``grader grade`` offers as ``flag``, with its help text."""
    return field(default=default, metadata={"flag": flag, "help": help, **argparse_kwargs})


def _default_limits():
    from grader.execute.session import Limits  # (not on the command line's start-up path)
    return Limits()


@dataclass(frozen=True)
class GradeOptions:
    assignment: str | None = _option(
        None, "--assignment", metavar="ASSIGNMENT",
        help="grade as this assignment: a built-in name or an assignment folder "
             "(default: the built-in assignment the notebooks' metadata names)")
    jobs: int | None = _option(
        None, "--jobs", type=int,
        help="submissions graded at once (default: CPU count + 1; with --scheduler, "
             "twice the cluster's threads)")
    isolation: str = _option(
        "auto", "--isolation", choices=("auto", "bwrap", "process"),
        help="bwrap: bubblewrap sandbox (required); process: a plain process; "
             "auto (default): bubblewrap where available, else a warning")
    warm: bool = _option(
        True, "--cold", action="store_false",
        help="start a fresh sandbox per submission instead of forking a warm one")
    kernel: bool = _option(
        False, "--kernel", action="store_true",
        help="run each notebook in a real Jupyter kernel (nbclient); same checks, slower")
    run_all: bool = _option(
        False, "--run-all", action="store_true",
        help="run every cell of each notebook (default: only the cells that define "
             "the graded functions and what they depend on)")
    scheduler: str | None = _option(
        None, "--scheduler", metavar="ADDRESS",
        help="run the notebooks on the workers of this Dask scheduler (tcp://HOST:8786) "
             "with the same isolation and limits; scores and reports stay here. "
             'Needs pip install ".[dask]"')
    resume: bool = _option(
        False, "--resume", action="store_true",
        help="keep results already in --out for unchanged submissions")
    #: On the command line: --timeout, --call-timeout, --memory, --processes.
    limits: Limits = field(default_factory=_default_limits)
    #: What the checks' inputs are drawn from (default: OUT/inputs.secret, made on
    #: the first run). On the command line: --secret-file or --secret.
    secret: Secret | None = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """The options that have a flag, as arguments of ``parser``."""
        for f in fields(cls):
            if "flag" in f.metadata:
                kwargs = {k: v for k, v in f.metadata.items() if k != "flag"}
                parser.add_argument(f.metadata["flag"], dest=f.name, default=f.default, **kwargs)

    @classmethod
    def from_arguments(cls, args: argparse.Namespace, **others) -> "GradeOptions":
        """The options ``add_arguments`` parsed into ``args``, with ``others`` (limits, secret)."""
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls) if "flag" in f.metadata},
                   **others)
