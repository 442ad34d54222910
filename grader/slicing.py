"""Which cells of a notebook the checks need: a static slice of its code cells.

``plan(cells, wanted)`` keeps, in order, every cell that binds a name the
graded functions read (transitively, through every kept cell's global
names), and every cell that may change the state behind those names: one
that mentions a watched object (a needed name bound to data, or any name a
kept, state-touching cell binds, such as an alias or a function that could
mutate it), or that stores into or passes on an imported module. Everything
else (experiments, plots, prints) is skipped.

Safe, not clever: whatever the analysis cannot follow (``exec``/``eval``,
``globals()``, star imports, ``global`` statements, frame or ``__dict__``
access, a magic other than ``%matplotlib``, names bound nowhere, a cell that
does not parse, source too large or too deep) runs every cell. The analysis
is pure and bounded: it only parses, never runs the student's code.
"""
from __future__ import annotations

import ast
import builtins
import functools
import re
import symtable
from dataclasses import dataclass

from grader.status import RunEnd

MAX_SOURCE = 2 ** 20   # characters of code in a notebook
MAX_CELLS = 1000
MAX_PASSES = 50        # rounds of the fixed point before giving up
#: Names through which code reads or writes a namespace without naming what it binds.
DYNAMIC = frozenset({"exec", "eval", "globals", "locals", "vars", "__import__", "compile",
                     "get_ipython", "__builtins__", "breakpoint", "In", "Out", "_oh", "_ih",
                     "_dh", "_", "__", "___", "_i", "_ii", "_iii"})
DYNAMIC_ATTRIBUTES = frozenset({"__dict__", "__globals__", "__builtins__", "f_globals", "f_locals",
                                "f_back", "_getframe", "modules", "__code__", "__closure__"})
DYNAMIC_MODULES = frozenset({"__main__", "builtins", "importlib", "runpy", "inspect", "ctypes",
                             "gc", "IPython"})
HISTORY = re.compile(r"_i?\d+")
HISTORY_NAMES = frozenset({"_", "__", "___", "_i", "_ii", "_iii"})
#: Names a cell may read without binding them: Python's and IPython's builtins.
GIVEN = frozenset(dir(builtins)) | {"display", "__name__", "__doc__", "__file__", "__spec__",
                                    "__loader__", "__package__", "__IPYTHON__"}
#: What a cell needs before IPython can change it (as in the worker): a magic,
#: a shell escape or help.
MAY_TRANSFORM = re.compile(r"\?|=[ \t\f\\\r\n]*[%!]|^[ \t\f]*[!%,;/]", re.M)
#: IPython calls that bind nothing: shell escapes and %matplotlib.
HARMLESS = frozenset({"system", "getoutput"})


class Unsure(Exception):
    """The analysis cannot vouch for a slice; the message says why."""


@dataclass(frozen=True)
class Cell:
    binds: frozenset      # global names bound at the cell's top level
    reads: frozenset      # global names read anywhere in it
    mentions: frozenset   # reads and binds
    data: frozenset       # of binds, those bound to something else than a def or an import
    modules: frozenset    # names bound by an import
    stores: frozenset     # roots of attribute/subscript targets written or deleted
    passed: frozenset     # names handed to a call as arguments


@dataclass(frozen=True)
class Slice:
    run: list       # indices of the cells to run, in order
    skipped: list   # indices of the cells not run
    why: str = ""   # why every cell runs, when the analysis gave up


def plan(cells: list, wanted) -> Slice:
    """The cells needed to define ``wanted`` (function names) as a full run would."""
    try:
        kept = _keep([analyse(source) for source in _bounded(cells)], frozenset(wanted))
    except Unsure as exc:
        return Slice(list(range(len(cells))), [], str(exc))
    except Exception as exc:  # a fault of the analysis may cost time, never a grade
        return Slice(list(range(len(cells))), [], f"the analysis failed: {type(exc).__name__}")
    return Slice(kept, sorted(set(range(len(cells))) - set(kept)))


def _bounded(cells: list) -> list:
    if len(cells) > MAX_CELLS or sum(len(c) for c in cells) > MAX_SOURCE:
        raise Unsure("the notebook is too large to analyse")
    return cells


def _keep(analysed: list, wanted: frozenset) -> list:
    modules = frozenset().union(*(c.modules for c in analysed))
    data = frozenset().union(*(c.data for c in analysed))
    needed, watched, kept = set(wanted), set(), set()
    for _ in range(MAX_PASSES):
        before = (len(needed), len(watched), len(kept))
        for i in reversed(range(len(analysed))):  # dependencies mostly point backwards
            cell = analysed[i]
            touches = bool(cell.mentions & watched or cell.stores & (modules | needed)
                           or cell.passed & modules)
            if touches or cell.binds & needed:
                kept.add(i)
                needed |= cell.reads
            if touches:
                watched |= cell.binds  # aliases, and functions that can reach the state
            watched |= needed & data
        if (len(needed), len(watched), len(kept)) == before:
            break
    else:
        raise Unsure("the notebook's dependencies are too long to follow")
    bound = frozenset().union(*(c.binds for c in analysed))
    unbound = needed - bound - GIVEN
    if unbound:
        raise Unsure(f"names bound nowhere in the notebook: {', '.join(sorted(unbound)[:5])}")
    return sorted(kept)


@functools.lru_cache(maxsize=4096)  # a class shares its template's cells
def analyse(source: str) -> Cell:
    """One cell's names; Unsure when it holds something the analysis cannot follow."""
    try:
        source = _python(source)
        tree = ast.parse(source)
        table = symtable.symtable(source, "<cell>", "exec")
        return _cell(tree, table)
    except Unsure:
        raise
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        raise Unsure("a cell could not be analysed (syntax, or nested too deeply)") from None


def _python(source: str) -> str:
    """The cell as Python: IPython's own transformation, when it may apply."""
    if not MAY_TRANSFORM.search(source):
        return source
    from IPython.core.inputtransformer2 import TransformerManager
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython's transformers raise several kinds on odd input
        raise Unsure("a cell's IPython syntax could not be read") from None


def _cell(tree, table) -> Cell:
    binds, reads = set(), set()
    for symbol in table.get_symbols():
        if symbol.is_assigned() or symbol.is_imported():
            binds.add(symbol.get_name())
        if symbol.is_referenced():
            reads.add(symbol.get_name())
    for child in _scopes(table):
        for symbol in child.get_symbols():
            if symbol.is_declared_global():
                raise Unsure("a cell rebinds a global name from inside a function")
            if symbol.is_global():
                reads.add(symbol.get_name())
    modules, defined, stores, passed = _walk(tree)
    _refuse_dynamic((reads - binds) - {"get_ipython"}, reads & binds)
    return Cell(frozenset(binds), frozenset(reads), frozenset(reads | binds),
                frozenset(binds - modules - defined), frozenset(modules),
                frozenset(stores), frozenset(passed))


def _scopes(table):
    """Every nested scope of ``table``, without recursion (depth is untrusted)."""
    todo = list(table.get_children())
    while todo:
        child = todo.pop()
        todo += child.get_children()
        yield child


def _walk(tree):
    """Names bound by ``import``, names of defs, roots of written targets, names
    passed to calls; Unsure at a namespace reached dynamically or a magic that may
    bind names. One pass over the tree, iterative: deep trees do not recurse here."""
    modules, defined, stores, passed, ipython, harmless = set(), set(), set(), set(), 0, 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= _imported(node)
        elif isinstance(node, ast.ImportFrom):
            _imported(node)  # bound to data: what a module holds may be mutable
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined.add(node.name)  # (a def nested in a class binds no global: only keeps more)
        elif isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
            raise Unsure(f"a cell reaches a namespace through .{node.attr}")
        elif isinstance(node, (ast.Attribute, ast.Subscript)) \
                and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores.add(_root(node))
        elif isinstance(node, ast.Call):
            args = node.args + [k.value for k in node.keywords]
            passed |= {a.id for a in (a.value if isinstance(a, ast.Starred) else a for a in args)
                       if isinstance(a, ast.Name)}
            harmless += _harmless_ipython(node)
        elif isinstance(node, ast.Name) and node.id == "get_ipython":
            ipython += 1
    if ipython != harmless:
        raise Unsure("a cell uses a magic that may bind names or write files")
    return modules, defined, stores - {None}, passed


def _imported(node) -> set:
    names = set()
    for alias in node.names:
        if alias.name == "*":
            raise Unsure("a cell imports * (the names it binds are not known)")
        top = (node.module or "" if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        if top in DYNAMIC_MODULES or (isinstance(node, ast.ImportFrom) and node.level):
            raise Unsure(f"a cell imports {top or 'a relative module'}")
        names.add(alias.asname or alias.name.split(".")[0])
    return names


def _root(node):
    """The name an attribute/subscript chain starts from (``a`` of ``a.b[0].c``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _harmless_ipython(call) -> bool:
    """A neutralised shell escape or %matplotlib: binds nothing but what the
    cell assigns its result to."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
        return False
    args = call.args
    return func.attr in HARMLESS or (func.attr == "run_line_magic" and bool(args)
                                     and isinstance(args[0], ast.Constant)
                                     and args[0].value == "matplotlib")


def _refuse_dynamic(unbound, bound) -> None:
    """Unsure on a dynamic builtin, or an output-history name the cell reads
    without binding it (``_`` as a loop variable is the cell's own)."""
    found = sorted(n for n in unbound if n in DYNAMIC or HISTORY.fullmatch(n))
    found += sorted(n for n in bound if n in DYNAMIC - HISTORY_NAMES)
    if found:
        raise Unsure(f"a cell uses {found[0]} (names it binds or reads are not known)")


def graded_names(programs: list) -> frozenset:
    """The functions a class's programs ([check name, program] pairs) call."""
    return frozenset(p.get("fn") for _, p in programs if isinstance(p.get("fn"), str))


def run(execute, cells: list, programs: list, limits, wanted) -> tuple:
    """``execute`` on the cells ``wanted`` needs (every cell if ``wanted`` is
    None); again on every cell if the sliced run failed in a way a full one
    might not. Returns (raw run, indices of the cells not run)."""
    sliced = plan(cells, wanted) if wanted is not None else None
    if sliced is None or not sliced.skipped:
        return execute(cells, programs, limits), []
    skipped = set(sliced.skipped)
    raw = execute([None if i in skipped else c for i, c in enumerate(cells)], programs, limits)
    if needs_full_run(raw):
        return execute(cells, programs, limits), []
    return raw, sliced.skipped


#: How a graded call fails when something a skipped cell made is missing: a name
#: or module it bound or wrote, an attribute it set, a file it wrote. (Other
#: failures, e.g. the ValueError a check asks for, are the function's own.)
MISSED = frozenset({"Missing", "NameError", "UnboundLocalError", "ImportError",
                    "ModuleNotFoundError", "AttributeError", "OSError", "FileNotFoundError",
                    "PermissionError", "KeyError"})


def needs_full_run(raw) -> bool:
    """A run that was given a slice and may have missed something a skipped cell
    did: a cell that raised (a file or name it may have needed), a graded call
    that failed as a missing name, module, attribute or file would make it
    fail, or a process that ended early. A run that timed out would in full too."""
    if raw.status == RunEnd.CRASHED:
        return True
    if raw.status != "ok":
        return False
    return any(c.get("error") for c in raw.cells) or any(
        not r.get("ok") and r.get("exc_type") in MISSED for r in raw.results.values())
