"""What an assignment adds to the harness: comparators, objectives and diagnoses of its own.

An assignment folder may hold ``harness.py``, plain numpy code that defines
any of three dicts, each mapping a name to a function:

    COMPARATORS  name -> comparator (got, want, program, **params) -> Verdict
    OBJECTIVES   name -> factory (**data) -> gradient function
    DIAGNOSES    comparator name -> (programs, results, verdicts) -> [entry]

and ``FAILURES``, how its comparators' failures are said: comparator name ->
[``Failure``], each matching how the comparator's message starts. A failed
check never shows a message of the run (it may carry the graded inputs), only
these fixed words; a failure no entry matches is said in the generic words.

A check names them as data (``{"kind": name}``), so the module must be
present wherever checks run: the grader loads the folder's copy, and the
module's source travels with the programs into the student's sandbox and
into the self-check bundle. Everywhere it is executed as a module of this
package, so it reaches the generic comparators with ``from .compare import
Verdict, allclose``.

A process that serves one assignment (the sandbox, the self-check)
``install``s it; the grader, which may hold several, passes an assignment's
``Extension`` to whatever judges or runs.
"""
from __future__ import annotations

import hashlib
import sys
import types
from dataclasses import dataclass, field

NAMES = ("COMPARATORS", "OBJECTIVES", "DIAGNOSES")


class ExtensionError(Exception):
    """The module does not load, or declares something that is not a named function."""


@dataclass(frozen=True)
class Failure:
    """One way an assignment's comparator fails, in fixed words.

    start: how the comparator's message starts ("": any failure of it that no
        other entry and no generic pattern names);
    words: what the gradebook and feedback say;
    kind, name, hint: the diagnosis's failure kind (its id, what it is called,
        what to do), when the failure says enough to give one.
    """
    start: str
    words: str
    kind: str = ""
    name: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Extension:
    comparators: dict = field(default_factory=dict)
    objectives: dict = field(default_factory=dict)
    diagnoses: dict = field(default_factory=dict)
    source: str = ""  # what travels: the module's text
    failures: dict = field(default_factory=dict)  # comparator name -> (Failure, ...)

    @property
    def words(self) -> frozenset:
        """Every failure's words: what a report may say of this assignment's checks."""
        return frozenset(f.words for entries in self.failures.values() for f in entries)


NONE = Extension()
CURRENT = NONE  # the installed one, in a process that serves one assignment


_loaded: dict = {}  # module name -> Extension: one per text, so that callers may keep it


def load(source: str, origin: str = "harness.py") -> Extension:
    """The module in ``source`` executed as a module of this package (once per text)."""
    if not source:
        return NONE
    name = f"{__package__}.assignment_{hashlib.sha256(source.encode()).hexdigest()[:16]}"
    if name in _loaded:
        return _loaded[name]
    module = types.ModuleType(name)
    module.__file__, module.__package__ = origin, __package__
    sys.modules[name] = module  # before running: a dataclass in it looks its module up
    try:
        exec(compile(source, origin, "exec"), module.__dict__)
    except Exception as exc:
        del sys.modules[name]
        raise ExtensionError(f"{origin} does not load: {type(exc).__name__}: {exc}") from exc
    tables = [getattr(module, table, {}) for table in NAMES]
    for table, value in zip(NAMES, tables):
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and callable(v) for k, v in value.items()):
            del sys.modules[name]
            raise ExtensionError(f"{origin}: {table} must be a dict of names to functions")
    try:
        failures = _failures(getattr(module, "FAILURES", {}), origin)
    except ExtensionError:
        del sys.modules[name]
        raise
    _loaded[name] = extension = Extension(*tables, source=source, failures=failures)
    return extension


def _failures(table, origin: str) -> dict:
    """FAILURES checked: names to lists of ``Failure`` whose words are short fixed text."""
    if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, (list, tuple))
            and all(isinstance(f, Failure) for f in v) for k, v in table.items()):
        raise ExtensionError(f"{origin}: FAILURES must be a dict of comparator names to lists "
                             "of Failure")
    for entries in table.values():
        for f in entries:
            if not (isinstance(f.words, str) and 0 < len(f.words) <= 80
                    and f.words.isprintable() and not any(c.isdigit() for c in f.words)):
                raise ExtensionError(f"{origin}: the words of a Failure are fixed text of at "
                                     f"most 80 characters without digits, not {f.words!r:.100}")
    return {k: tuple(v) for k, v in table.items()}


def install(extension: Extension) -> None:
    """Make ``extension`` the one this process uses when none is passed."""
    global CURRENT
    CURRENT = extension


def current(extension: Extension | None) -> Extension:
    return CURRENT if extension is None else extension
