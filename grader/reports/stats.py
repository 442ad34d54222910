"""The class at a glance, as numbers: computed from the journal's records only.

Question and check statistics count graded submissions (a submission that
timed out or crashed ran no check; the status counts show those).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from grader.status import ORDER, Status

STATUS_ORDER = ORDER
HELP_BELOW = 0.5   # a graded score below this share of max_score asks for help


@dataclass
class QuestionStat:
    name: str
    title: str
    max_points: float
    bonus: bool
    mean: float | None        # over graded submissions; None when none is graded
    pass_rate: float | None   # share of graded submissions with every point


@dataclass
class CheckStat:
    name: str
    question: str
    public: bool
    passed: int
    total: int

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None


@dataclass
class Misconception:
    name: str
    hint: str
    functions: list
    students: list            # sorted ids of the students it was diagnosed in


@dataclass
class WrittenStat:
    name: str
    title: str
    points: float
    answered: int
    marked: int
    to_mark: list = field(default_factory=list)   # answered but not marked yet


def graded(records: list) -> list:
    return [r for r in records if r.status == Status.GRADED]


def statuses(records: list) -> list:
    """(status, count), the usual statuses first, then any other."""
    counts = Counter(r.status for r in records)
    order = [s for s in STATUS_ORDER if s in counts] + sorted(set(counts) - set(STATUS_ORDER))
    return [(s, counts[s]) for s in order]


def questions(spec, records: list) -> list:
    done = graded(records)
    out = []
    for q in spec.questions:
        got = [r.questions.get(q.name, 0.0) for r in done]
        out.append(QuestionStat(q.name, q.title, q.points, q.bonus,
                                sum(got) / len(got) if got else None,
                                sum(g >= q.points for g in got) / len(got) if got else None))
    return out


def checks(spec, records: list) -> list:
    passed: dict = {}  # check name -> [passed, of]
    for r in graded(records):
        for c in r.checks:
            tally = passed.setdefault(c.name, [0, 0])
            tally[0] += bool(c.passed)
            tally[1] += 1
    return [CheckStat(check.name, question.title, check.public, *passed.get(check.name, (0, 0)))
            for question, check in spec.checks()]


def misconceptions(records: list) -> list:
    """Every diagnosed mistake with the students it hit, the most common first."""
    found: dict = {}
    for r in records:
        for c in r.checks:
            for d in c.diagnosis:
                if d.kind == "where":  # where it went wrong is not a misconception
                    continue
                m = found.setdefault(d.name, Misconception(d.name, d.hint, [], []))
                if c.function not in m.functions:
                    m.functions.append(c.function)
                if r.student not in m.students:
                    m.students.append(r.student)
    for m in found.values():
        m.students.sort()
    return sorted(found.values(), key=lambda m: (-len(m.students), m.name))


def answered(record, name: str, placeholder: str) -> bool:
    """Whether the written answer ``name`` holds more than the template's placeholder."""
    text = record.answers.get(name, "")
    return bool(text.strip()) and text.strip() != placeholder.strip()


def written(spec, records: list, placeholders: dict) -> list:
    """Per written question: how many answered, how many are marked, who is left."""
    out = []
    for w in spec.written:
        have = [r for r in records if answered(r, w.name, placeholders.get(w.name, ""))]
        marked = [r for r in records if written_points(r, w.name) is not None]
        out.append(WrittenStat(w.name, w.title, w.points, len(have), len(marked),
                               [r.student for r in have if written_points(r, w.name) is None]))
    return out


def written_points(record, name: str):
    """The points of the written answer ``name``; None while not marked."""
    mark = (record.written or {}).get(name)
    return None if mark is None else mark.points


def needs_help(records: list) -> list:
    """(record, why) for submissions that were not graded or scored below HELP_BELOW."""
    out = []
    for r in sorted(records, key=lambda r: (r.score, r.student)):
        if r.status != Status.GRADED:
            out.append((r, f"{r.status}: {r.reason}" if r.reason else r.status))
        elif r.max_score and r.score < HELP_BELOW * r.max_score:
            out.append((r, f"{r.score:g} of {r.max_score:g} points"))
    return out


def full_marks(spec, records: list) -> float:
    """The top of the score scale: max_score (written points included once merged) plus bonus."""
    top = max((r.max_score for r in records), default=spec.max_score)
    return top + sum(q.points for q in spec.questions if q.bonus)
