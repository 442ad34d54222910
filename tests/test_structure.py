"""The grader's modules import one another in one direction: no cycles.

An import of a name from a package counts as depending on the package's
``__init__``; an import of a submodule, on that submodule only.
"""
import ast
from pathlib import Path

GRADER = Path(__file__).resolve().parent.parent / "grader"


def modules() -> dict:
    found = {}
    for path in GRADER.rglob("*.py"):
        parts = path.relative_to(GRADER.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict) -> set:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    edges = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            subs = {f"{base}.{a.name}" for a in node.names} & known.keys()
            edges |= subs if len(subs) == len(node.names) else subs | {base}
        elif isinstance(node, ast.Import):
            edges |= {a.name for a in node.names}
    return (edges & known.keys()) - {name}


def cycles(graph: dict) -> list:
    """Every cycle's set of modules (Tarjan's strongly connected components)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_detector_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_grader():
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    assert "grader.course" in graph["grader.grade"]  # the graph is really read
    assert cycles(graph) == []


def test_every_end_of_a_run_is_a_submissions_status():
    """The run's own words (session) and the reports' words (Status) are two
    enums, one mapping between them: a run that ended in any way gets a status."""
    from grader.status import RunEnd, Status
    assert {end: end.status for end in RunEnd} == {
        RunEnd.OK: Status.GRADED, RunEnd.TIMEOUT: Status.TIMEOUT, RunEnd.CRASHED: Status.ERROR,
        RunEnd.PROTOCOL: Status.ERROR, RunEnd.MEMORY: Status.MEMORY}
