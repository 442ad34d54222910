"""A record survives the journal: what to_json writes from_json reads back
equal, and any other JSON value is a Record of typed fields or a BadRecord,
never another exception (a journal line may be cut, edited or forged)."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import assignments
from grader import bounds
from grader.diagnosis.verdict import Diagnosis
from grader.journal import NAME, Journal, load
from grader.record import BadRecord, CellError, CheckResult, Record, WrittenMark
from grader.reports import feedback, gradebook, gradescope, junit
from grader.status import Status

SPEC = assignments.load("a7_optimizers")
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

text = st.text(max_size=20)
number = st.one_of(st.integers(-10 ** 6, 10 ** 6), st.floats(-2.0 ** 49, 2.0 ** 49, width=32))
total = st.one_of(st.integers(0, 10 ** 6), st.floats(0, 2.0 ** 49, width=32))  # max_score
diagnoses = st.builds(Diagnosis, text, text, text, st.sampled_from(["failure", "where", "family"]))
checks = st.builds(CheckResult, text, text, text, number, number, st.booleans(), st.booleans(),
                   st.one_of(st.none(), number), text, st.lists(diagnoses, max_size=3))
cells = st.builds(CellError, st.one_of(st.none(), st.integers(0, 99)), text, text,
                  st.lists(text, max_size=3))
marks = st.builds(WrittenMark, text, st.one_of(st.none(), number), number, text)
records = st.builds(
    Record, student=text, assignment=text, max_score=total,
    status=st.sampled_from(list(Status)), reason=text, score=number,
    questions=st.dictionaries(text, number, max_size=3), checks=st.lists(checks, max_size=4),
    cells=st.lists(cells, max_size=3), output=text, seconds=number, isolation=text,
    memory_cap=text, skipped_cells=st.one_of(st.none(), st.lists(st.integers(0, 99), max_size=3)),
    sha256=text, grader_version=text, assignment_version=text, inputs=text,
    run_all=st.booleans(), assignment_folder=st.one_of(st.none(), text), origin=text, name=text,
    lms=st.one_of(st.none(), st.dictionaries(text, st.one_of(st.none(), text), max_size=3)),
    answers=st.dictionaries(text, text, max_size=2),
    own_code=st.lists(st.fixed_dictionaries({"cell": st.integers(0, 99), "source": text}),
                      max_size=2),
    written=st.one_of(st.none(), st.dictionaries(text, marks, max_size=2)))
json_values = st.recursive(st.none() | st.booleans() | number | text,
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(text, inner, max_size=3), max_leaves=10)


@SETTINGS
@given(records)
def test_what_to_json_writes_from_json_reads_back_equal(record):
    assert Record.from_json(json.loads(json.dumps(record.to_json()))) == record


def _paths(value, path=()):
    """Every place in a JSON value: (path to it, its value)."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def _typed(record: Record) -> bool:
    """Every field a report reads has its type."""
    def num(x):
        return type(x) in (int, float) and abs(x) <= 1e15
    return (isinstance(record.student, str) and num(record.score) and num(record.max_score)
            and isinstance(record.status, Status) and isinstance(record.reason, str)
            and all(isinstance(c, CheckResult) and isinstance(c.name, str) and num(c.points)
                    and type(c.passed) is bool and type(c.public) is bool
                    and isinstance(c.message, str)
                    and all(isinstance(d, Diagnosis) and isinstance(d.name, str)
                            and isinstance(d.hint, str) and isinstance(d.kind, str)
                            for d in c.diagnosis) for c in record.checks)
            and all(isinstance(c, CellError) and isinstance(c.message, str)
                    and all(isinstance(w, str) for w in c.where) for c in record.cells)
            and all(isinstance(k, str) and num(v) for k, v in record.questions.items())
            and (record.written is None or all(isinstance(w, WrittenMark) and
                                               (w.points is None or num(w.points))
                                               for w in record.written.values())))


@SETTINGS
@given(records, st.data())
def test_a_record_with_any_part_replaced_is_a_typed_record_or_refused(record, data):
    line = record.to_json()
    places = list(_paths(line))
    path, _ = data.draw(st.sampled_from(places))
    forged = _replaced(line, path, data.draw(json_values))
    try:
        read = Record.from_json(forged)
    except BadRecord:
        return
    assert _typed(read)


@SETTINGS
@given(json_values)
def test_any_json_value_is_a_record_or_refused(value):
    try:
        read = Record.from_json(value)
    except BadRecord:
        return
    assert _typed(read)


def _valid(student: str) -> Record:
    return Record(student=student, assignment=SPEC.id, max_score=SPEC.max_score,
                  status=Status.GRADED, reason="", score=1.5, questions={"sgd": 1.5},
                  checks=[CheckResult("c", "sgd", "sgd_update", 1.5, 2.0, False, True, 0.5,
                                      "wrong values", [Diagnosis("x", "y", "z")])],
                  cells=[CellError(2, "ValueError", "ValueError raised", ["line 3"])])


def test_the_journal_skips_lines_that_hold_no_record_and_reports_the_rest(tmp_path):
    good = json.dumps(_valid("ann").to_json())
    lines = [good, good[:len(good) // 2],                       # cut short by a kill
             json.dumps(dict(_valid("ben").to_json(), score="35")),  # edited by hand
             json.dumps(dict(_valid("cat").to_json(), checks=[{"name": 1}])),
             "[1, 2]", "null", '{"student": "dan"}', json.dumps(_valid("eve").to_json())]
    (tmp_path / NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    journal = Journal(tmp_path, resume=True)
    assert [r.student for r in journal.latest()] == ["ann", "eve"] and journal.skipped == 6
    records = load(tmp_path)
    gradebook.write(SPEC, records, tmp_path / "grades.csv")
    junit.write(records, tmp_path / "junit.xml")
    for r in records:
        gradescope.write(r, tmp_path / f"{r.student}.json")
        assert "cell 3: ValueError raised (line 3)" in feedback.render(SPEC, r)


def test_a_record_of_an_older_version_takes_the_defaults(tmp_path):
    """Fields added later (memory_cap, name, lms, own_code, ...) may be missing."""
    old = {k: v for k, v in _valid("ann").to_json().items()
           if k in ("student", "assignment", "max_score", "status", "reason", "score",
                    "questions", "checks")}
    record = Record.from_json(old)
    assert (record.memory_cap, record.name, record.lms, record.own_code, record.cells) == \
        ("", "", None, [], [])
    assert record.status is Status.GRADED and record.checks == _valid("ann").checks


def test_the_journal_line_of_a_record_is_within_the_caps(tmp_path):
    record = _valid("ann")
    record.reason = "x" * 10 * bounds.MESSAGE
    stored = Journal(tmp_path, resume=False).append(record)
    assert stored.reason == bounds.cut(record.reason, bounds.MESSAGE)
    assert load(tmp_path) == [stored]


def test_numbers_and_statuses_no_grader_writes_are_refused(tmp_path):
    # Every report divides, bins and plots these: a line edited to hold one is
    # skipped like any other that holds no record.
    from grader import course
    from grader.reports import summary, write_all
    valid = _valid("ann").to_json()
    forged = [dict(valid, score=float("inf")), dict(valid, score=float("nan")),
              dict(valid, score=1e308), dict(valid, max_score=-1.0),
              dict(valid, questions={"sgd": float("inf")}),
              dict(valid, checks=[dict(valid["checks"][0], points=float("-inf"))]),
              dict(valid, status="hacked\ud800")]
    for line in forged:
        try:
            Record.from_json(json.loads(json.dumps(line)))
        except BadRecord:
            continue
        raise AssertionError(f"read as a record: {line}")
    lines = [json.dumps(dict(line, student=f"s{i}")) for i, line in enumerate(forged)]
    (tmp_path / NAME).write_text("\n".join(lines + [json.dumps(valid)]) + "\n", encoding="utf-8")
    records = load(tmp_path)
    assert [r.student for r in records] == ["ann"]
    write_all(SPEC, course.template(SPEC), records, tmp_path)
    summary.show(SPEC, records, tmp_path)
