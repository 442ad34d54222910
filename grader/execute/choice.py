"""Which launcher a grading run gets: the strongest the machine offers, or the one asked for."""
from __future__ import annotations

import functools
import sys

from grader.errors import UsageError
from grader.execute.fork_server import ForkServerLauncher
from grader.execute.launcher import BwrapLauncher, Launcher, LocalLauncher, bwrap_works
from grader.execute.user import UserLauncher

#: What a run may ask for (``user``: containers where bubblewrap cannot make namespaces).
ISOLATIONS = ("auto", "bwrap", "process", "user")

def choose(isolation: str = "auto", hidden=(), slots: int = 1, warm: bool = True,
           kernel: bool = False) -> Launcher:
    """The strongest launcher the machine offers ("auto"), or the one asked for.

    ``kernel``: cells run in a Jupyter kernel (``harness.kernel_worker``), one
    sandbox per submission; ``warm``: forked from a warm server.
    """
    if isolation not in ISOLATIONS:  # a caller of grade() has no argparse choices
        raise UsageError(f"isolation {isolation!r} is none of {', '.join(ISOLATIONS)}")
    module = "harness.kernel_worker" if kernel else "harness.worker"
    if isolation == "process":
        return LocalLauncher(module)
    if isolation == "user":  # containers where bubblewrap cannot create namespaces
        return UserLauncher(hidden, slots, module=module)
    if bwrap_works():
        if kernel or not warm:
            return BwrapLauncher(hidden, slots, module=module)
        return ForkServerLauncher(hidden, slots)
    if isolation == "bwrap":
        raise UsageError("bubblewrap is not usable here (install the bubblewrap package; "
                           "as root, setpriv from util-linux is needed too)")
    _warn_unisolated()
    return LocalLauncher(module)


@functools.cache  # once per process
def _warn_unisolated() -> None:
    print("grader: warning: bubblewrap is not available, so notebooks run as plain "
          "processes without file, network or user isolation; each result records this",
          file=sys.stderr)
