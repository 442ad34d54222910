"""Run an assignment's checks in-process against a namespace (no notebook, no subprocess)."""
import assignments
from grader.checks.expected import prepare
from grader.harness import programs
from grader.scoring import judge_check

_PREPARED = {}


def prepared(name):
    if name not in _PREPARED:
        _PREPARED[name] = prepare(assignments.load(name))
    return _PREPARED[name]


def results_for(name, namespace, function=None):
    """CheckResults of every check (of ``function``) with ``namespace`` as the student."""
    return [judge_check(p, [programs.run(x, namespace, own=p.extension) for x in p.programs])
            for p in prepared(name) if function in (None, p.check.function)]


def master_solution_lines(path) -> set:
    """The longer lines of a master's solutions (code and written), to look for leaks."""
    import re

    import nbformat
    lines = set()
    for cell in nbformat.read(path, as_version=4).cells:
        for pattern in (r"# BEGIN SOLUTION[^\n]*\n(.*?)# END SOLUTION",
                        r"<!-- BEGIN SOLUTION -->(.*?)<!-- END SOLUTION -->"):
            for block in re.findall(pattern, cell.source, re.S):
                lines |= {line.strip() for line in block.splitlines() if len(line.strip()) > 12}
    return lines
