"""The similarity finder: copies with renamed variables are listed, independent
solutions are not, and code that the template gives or most of a class writes
does not count."""
import random
import re
from pathlib import Path

import pytest

from grader import course
from grader.notebooks import own_code, read_notebook
from grader.record import Record
from grader.reports import similarity as sim

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "submissions"


def template(name):
    return course.template(course.load(name))


def record(student, cells, given, status="graded"):
    return Record(student=student, assignment="", max_score=0.0, status=status, reason="",
                  score=0.0, questions={}, checks=[], own_code=own_code(cells, given))


def example(name, student):
    return read_notebook((EXAMPLES / name / f"{student}.ipynb").read_bytes()).cells


def renamed(cells):
    """Every assigned name gets another one, as a copier hiding a copy would do."""
    out = []
    for source in cells:
        names = set(re.findall(r"^\s*([A-Za-z_]\w*)\s*(?:,\s*\w+\s*)*=[^=]", source, re.M))
        for name in names:
            source = re.sub(rf"(?<![.\w]){name}\b", f"my_{name}_x", source)
        out.append(source)
    return out


@pytest.mark.parametrize("name", ["a6_batching", "a7_optimizers"])
def test_a_copy_with_renamed_variables_is_listed_and_independent_solutions_are_not(name):
    given = course.template(course.load(name)).cells
    master, other = example(name, "correct_as_master"), example(name, "correct_other_style")
    copy = renamed(other)
    assert copy != other
    records = [record("ann", master, given), record("ben", other, given),
               record("cat", copy, given)]
    pairs = sim.find(records, given)
    assert [(p.a.student, p.b.student) for p in pairs] == [("ben", "cat")]
    assert pairs[0].similarity == 1.0
    assert pairs[0].regions, "the similar parts are there to look at"
    # two independently written correct solutions stay far below the threshold
    ann, ben = sim.code_of(records[0]), sim.code_of(records[1])
    for code in (ann, ben):
        code.fingerprints = sim.fingerprints(code.tokens)
    assert sim.compare(ann, ben).similarity < sim.THRESHOLD / 2


def test_the_nbfactory_solution_is_not_flagged_against_the_examples():
    from nbfactory import CORRECT_A7
    given = course.template(course.load("a7_optimizers")).cells
    records = [record("ann", example("a7_optimizers", "correct_as_master"), given),
               record("ben", example("a7_optimizers", "correct_other_style"), given),
               record("dan", [CORRECT_A7], given)]
    assert sim.find(records, given) == []


def test_the_side_by_side_view_marks_the_renamed_names():
    given = course.template(course.load("a7_optimizers")).cells
    other = example("a7_optimizers", "correct_other_style")
    pair, = sim.find([record("ben", other, given), record("cat", renamed(other), given)], given)
    assert all(a.cell == b.cell for a, b in pair.regions)  # the copy keeps the cells in order
    parts = [(sim.text(pair.a, a), sim.text(pair.b, b)) for a, b in pair.regions]
    left, right = max(parts, key=lambda p: sum("my_" in line for line in p[1].splitlines()))
    seg_a, seg_b = sim.diff_segments(left, right)
    assert "".join(p for p, _ in seg_a) == left and "".join(p for p, _ in seg_b) == right
    changed = {p for p, differs in seg_b if differs}
    assert any("my_" in p for p in changed)
    assert not any(differs for p, differs in seg_b if p == "np")


def test_nothing_written_is_never_similar():
    given = course.template(course.load("a7_optimizers")).cells
    records = [record(s, given, given) for s in ("ann", "ben", "cat")]
    assert all(not r.own_code for r in records)
    assert sim.find(records, given) == []


def test_unreadable_and_other_assignments_are_not_compared():
    given = course.template(course.load("a7_optimizers")).cells
    master = example("a7_optimizers", "correct_as_master")
    records = [record("ann", master, given), record("ben", master, given, "wrong-assignment"),
               record("cat", master, given, "unreadable")]
    assert sim.find(records, given) == []


def _unique_function(seed):
    rnd = random.Random(seed)
    ops = ["+", "-", "*", "/", "@", "**"]
    calls = ["np.sum", "np.mean", "np.max", "np.abs", "np.sqrt", "np.exp", "len", "sorted"]
    lines = [f"def helper_{seed}(a, b):"]
    for i in range(12):
        lines.append(f"    a = {rnd.choice(calls)}(a {rnd.choice(ops)} b) {rnd.choice(ops)} "
                     f"{rnd.choice(calls)}(b)[{rnd.randint(0, 3)}]")
    return "\n".join(lines + ["    return a"])


COMMON = '''def shared(theta, g, lr):
    step = lr * g
    theta_next = theta - step
    norm = np.sqrt(np.sum(theta_next ** 2))
    return theta_next / max(norm, 1.0), step
'''


def test_code_that_most_of_a_big_class_writes_does_not_count():
    students = [f"s{i:02d}" for i in range(sim.COMMON_MIN_CLASS)]
    records = [record(s, [COMMON, _unique_function(i)], []) for i, s in enumerate(students)]
    assert sim.find(records, []) == []
    # in a small class the same shared code is a listed pair
    pairs = sim.find(records[:2], [], min_shared=5, threshold=0.3)
    assert [(p.a.student, p.b.student) for p in pairs] == [("s00", "s01")]


def test_names_and_literals_are_normalised_but_keywords_builtins_and_attributes_stay():
    a = sim.normalise("total = np.sum(xs) + 3  # note\nfor i in range(len(xs)):\n    pass\n")
    b = sim.normalise("acc = np.sum(values) + 7\nfor k in range(len(values)):\n    pass\n")
    assert [t.norm for t in a] == [t.norm for t in b]
    norms = [t.norm for t in a]
    assert {"sum", "range", "len", "for", "in", "N"} <= set(norms) and "np" not in norms
    assert "note" not in " ".join(norms)


def test_broken_cells_and_magics_do_not_stop_the_finder():
    assert sim.normalise("%timeit f(x)\n!ls\nx = 1\n")[0].norm == "V"
    assert sim.normalise('def oops(:\n    s = """never closed\n')  # what tokenised is kept
    assert sim.normalise("\tif x:\n        y = 1\n\tz = 2\n") is not None


def _repeated(m, name):
    """A block of 40 lines, m times over, names renamed."""
    block = "".join(f"{name} = np.dot(a, {name}) + c * d - {i} / f\n" if i % 2
                    else f"y = foo({name}, {i})[z]\n" for i in range(40))
    return block * m


def _renamed(m, name):
    """m distinct lines, each name renamed."""
    return "".join(f"{name}{i} = {name}{i - 1} * 2 + np.sum({name}{i - 1}) - {i}\n" for i in range(m))


def _work(a, b):
    """Steps to find the pair of a and b and to write its side-by-side page."""
    from grader.reports import html
    sim.WORK.steps = 0
    records = [Record(student=s, assignment="", max_score=0.0, status="graded", reason="",
                      score=0.0, questions={}, checks=[], own_code=[{"cell": 0, "source": c}])
               for s, c in (("ann", a), ("ben", b))]
    pair, = sim.find(records, [])
    html.pair_page(type("Spec", (), {"title": "t"}), pair, {"ann": "a.html", "ben": "b.html"})
    assert pair.regions and len(pair.regions) <= sim.REGIONS
    return sim.WORK.steps


@pytest.mark.parametrize("make, sizes", [(_repeated, [4, 8, 16, 32]), (_renamed, [100, 200, 400, 800])],
                         ids=["repeated-blocks", "long-renamed-copy"])
def test_the_work_on_a_colluding_pair_grows_linearly_with_its_code(make, sizes):
    steps = [_work(make(m, "u"), make(m, "w")) for m in sizes]
    for small, large in zip(steps, steps[1:]):
        assert large <= 2.2 * small, steps  # twice the code, at most about twice the work
