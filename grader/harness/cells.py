"""Run a notebook's cells with IPython semantics, in the student's process.

What a kernel would do with each cell (magics work, ``!`` shell lines and
``input()`` are neutralised, matplotlib is non-interactive), an error not
stopping later cells, printed output kept up to a limit. The IPython shell is
built once (``warm``), in a fork server before any child exists where there is
one. The protocol around it is ``worker``'s.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import io
import os
import re
import shutil
import sys
import traceback
import types

os.environ.setdefault("MPLBACKEND", "Agg")


def _seed_font_cache() -> None:
    """Start from the grader's matplotlib font list, a read-only copy the
    sandbox launcher puts beside the harness: else each new sandbox scans the
    system's fonts again (about 0.2 s). A list that does not fit is rebuilt
    by matplotlib itself."""
    source = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mpl")
    target = os.environ.get("MPLCONFIGDIR")
    if target and os.path.isdir(source) and not os.path.exists(target):
        try:
            shutil.copytree(source, target)
        except OSError:
            pass


_seed_font_cache()

# Imported before any student code: warm, and measured outside the limits.
import matplotlib  # noqa: E402,F401
import numpy  # noqa: E402,F401
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

#: What a cell needs before IPython's token transforms can change it: "?"
#: help, "= %magic" or "= !command", or an escape (! ? % , ; /) at a line's
#: start (a superset: a match only means the full transformation runs).
MAY_TRANSFORM = re.compile(r"\?|=[ \t\f\\\r\n]*[%!]|^[ \t\f]*[!%,;/]", re.M)
WARM_UP = "import numpy as np\n\ndef _warm(x, y=1.0):\n    return np.sqrt(x * x) - y\n\n_warm(2.0)\n"


class CappedText(io.TextIOBase):
    """A text sink that keeps at most ``limit`` characters and counts the rest."""

    def __init__(self, limit: int):
        self.limit, self.kept, self.total = limit, [], 0

    def write(self, text):
        if self.total < self.limit:
            self.kept.append(text[: self.limit - self.total])
        self.total += len(text)
        return len(text)

    def getvalue(self) -> str:
        text = "".join(self.kept)
        return text + (f"\n[... output cut: {self.total} characters in all]"
                       if self.total > self.limit else "")


def out_of_memory(send, where: str) -> None:
    """Stop at a cell's MemoryError: the submission blew its memory limit."""
    try:
        send({"event": "limit", "kind": "memory", "where": where})
    finally:
        os._exit(3)


def warm():
    """Everything that costs time before the first cell: done once in a fork server."""
    import matplotlib.pyplot  # noqa: F401  builds the font cache
    from traitlets.config import Config

    if not InteractiveShell.initialized():
        config = Config()
        config.HistoryManager.enabled = False  # no history thread, no sqlite file
        shell = InteractiveShell.instance(config=config, colors="NoColor")
        neutralise(shell)
        _skip_needless_passes(shell)
        # One cell through every stage (transformers, compiler, display hook),
        # so that their lazy set-up is not paid again by each forked child.
        names = set(shell.user_ns)
        shell.run_cell(WARM_UP, store_history=False, silent=True)
        shell.logger  # built on first use by a cell kept in history: not in each child
        for name in set(shell.user_ns) - names:
            del shell.user_ns[name]
    return InteractiveShell.instance()


def execute_cells(sources, output, send):
    """Run each cell with IPython semantics; an error does not stop later cells.
    A cell given as None is one the grader chose not to run (its index is kept)."""
    shell = warm()
    if sys.path[:1] != [""]:
        sys.path.insert(0, "")  # as in a kernel: modules the notebook writes import
    sys.stdout = sys.stderr = output
    cells = []
    for index, source in enumerate(sources):
        if source is None:
            continue
        send({"event": "cell", "index": index})
        result = shell.run_cell(source, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if isinstance(error, MemoryError):
            out_of_memory(send, f"cell {index + 1}")
        cells.append({"index": index, "error": describe_error(error) if error else None})
        _close_figures()
    return shell.user_ns, cells


def _skip_needless_passes(shell) -> None:
    """Two passes of IPython's run_cell that most cells cannot need, replaced by
    one compile for those cells (same result, about half a cell's cost):
    tokenizing every line for magics and shell escapes, and compiling once
    more to see if the cell awaits at top level. A cell that may hold IPython
    syntax, or does not compile, takes IPython's own passes and errors."""
    manager = shell.input_transformer_manager
    token_transforms, should_run_async = manager.do_token_transforms, shell.should_run_async
    seen: dict = {}  # the last cell compiled here -> whether it is a coroutine

    def transforms(lines):
        cell = "".join(lines)
        if not MAY_TRANSFORM.search(cell):
            try:
                code = compile(cell, "<>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            except (SyntaxError, ValueError, MemoryError):
                return token_transforms(lines)
            seen.clear()
            seen[cell] = bool(code.co_flags & inspect.CO_COROUTINE)
            return lines
        return token_transforms(lines)

    def may_run_async(raw_cell, *, transformed_cell=None, preprocessing_exc_tuple=None):
        if shell.autoawait and preprocessing_exc_tuple is None and transformed_cell in seen:
            return seen[transformed_cell]
        return should_run_async(raw_cell, transformed_cell=transformed_cell,
                                preprocessing_exc_tuple=preprocessing_exc_tuple)
    manager.do_token_transforms, shell.should_run_async = transforms, may_run_async


def neutralise(shell) -> None:
    """No shell commands, no input(), no self-check output during grading."""
    def no_shell(cmd, *args, **kwargs):
        print(f"[grader] shell command not run during grading: {cmd}")

    def no_input(prompt=""):
        raise RuntimeError("input() is not available during grading: "
                           "the notebook must run without a person typing")

    shell.system = shell.system_raw = shell.system_piped = no_shell
    # The backend is Agg already; %matplotlib inline must not ask for a GUI.
    shell.register_magic_function(lambda line="": None, "line", "matplotlib")
    shell.getoutput = lambda cmd, *a, **k: no_shell(cmd) or []
    for name in ("bash", "sh", "script", "sx", "system", "perl", "ruby", "python2", "python3",
                 "pypy", "!"):
        shell.magics_manager.magics["cell"].pop(name, None)
    builtins.input = no_input
    shell.user_ns["input"] = no_input
    stub = types.ModuleType("selfcheck")
    stub.check = stub.check_all = lambda *a, **k: None
    stub.passes = lambda *a, **k: True
    sys.modules["selfcheck"] = stub


def _close_figures() -> None:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:
            pass


def describe_error(exc: BaseException) -> dict:
    """Type, message and the last user-code frames, as short text."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "IPython" not in f.filename and "/harness/" not in f.filename]
    where = [f"line {f.lineno} in {f.name}" + (f": {f.line}" if f.line else "") for f in frames[-3:]]
    if isinstance(exc, SyntaxError) and exc.lineno:
        where = [f"line {exc.lineno}: {(exc.text or '').strip()}"]
    message = f"{type(exc).__name__}: {exc}"
    return {"type": type(exc).__name__, "message": message[:500], "where": where}


