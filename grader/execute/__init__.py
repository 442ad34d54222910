"""Run one submission in its own process and collect its raw outputs.

``run_submission`` speaks the worker protocol (``grader.harness.worker``)
with deadlines; a ``Launcher`` decides how the worker process is started
and confined, so stronger isolation or a warm fork server slot in there, and
hands the session a ``Worker`` (``handle``) to talk to.
"""
from grader.execute.choice import choose
from grader.execute.launcher import BwrapLauncher, Launcher, LocalLauncher
from grader.execute.session import Limits, RawRun, run_submission

__all__ = ["BwrapLauncher", "Launcher", "LocalLauncher", "choose", "Limits", "RawRun", "run_submission"]
