"""Every writer of a report, given hostile text, checked with a parser of its format:
student text stays text in Markdown, HTML, CSV, XML and JSON, ids round-trip
through manual.csv, every file and journal line is bounded, and a hidden
check's feedback carries nothing from the run."""
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import assignments
from grader import bounds, course, scoring
from grader.journal import Journal, load
from grader.record import Record
from grader.reports import feedback, files, gradebook, gradescope, html, junit, manual, write_all
from grader.reports.layout import markdown

SPEC = assignments.load("a7_optimizers")
GIVEN = course.template(SPEC)
FRAGMENTS = ["`", "``", "```", "\n", "\r\n", "\r", "# ", "\n# h", "\n## h", "|", "| a | b |\n|---|---|",
             "[x](y)", "[x](javascript:alert(1))", "<http://e.invalid>", "https://e.invalid",
             "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0",
             "+1", "-1", "@SUM(1)", "'", '"', "\t", "\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x7f",
             "\ud800", "\udfff", "\ufffe", "&amp;", "&#60;", "*x*", "_x_", "~~x~~", "> q", "- item",
             "1. item", "    code", "---", "===", "\\", "  ", "]]>", "<!--", "-->", "\u2028", "\x85",
             "![i](http://e.invalid/x.png)", "<!DOCTYPE x>", "{{x}}", "$x$"]
hostile = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), min_size=1,
                   max_size=10).map("".join)
shown_hostile = hostile.filter(lambda s: s.strip())  # an empty text leaves its line out
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def record(student, text, public=True, passed=False, **fields):
    """A record of SPEC whose every text a notebook controls is ``text``."""
    return Record.from_json(bounds.bounded(dict(record_json(student, text, public, passed),
                                                **fields)))


def record_json(student, text, public=True, passed=False):
    """``record``'s fields as a journal line holds them."""
    checks = [{"name": c.name, "question": q.name, "function": c.function, "points": 0.0,
               "max_points": float(c.points), "passed": passed, "public": public,
               "rel_err": 0.123456 if public else None, "message": text, "detail": text,
               "diagnosis": [{"name": text, "hint": text}]}
              for q, c in SPEC.checks()]
    return {"student": student, "assignment": SPEC.id, "status": "graded", "reason": text,
            "score": 0.0, "max_score": SPEC.max_score, "questions": {q.name: 0.0 for q in SPEC.questions},
            "checks": checks, "seconds": 1.0, "output": text, "isolation": "",
            "cells": [{"index": 0, "error": {"type": "ValueError", "message": text,
                                             "where": [text, text]}}],
            "answers": {w.name: text for w in SPEC.written}, "own_code": [],
            "written": {w.name: {"title": w.title, "points": 1.0, "max_points": w.points,
                                 "comment": text} for w in SPEC.written},
            "name": text, "lms": {"id": text}}


# -- Markdown feedback ---------------------------------------------------------

_MD = MarkdownIt("commonmark").enable("table")


def _shape(text):
    """The token stream with every text content dropped and runs of text tokens as one."""
    out = []
    for token in _MD.parse(text):
        kids = []
        for kid in token.children or []:
            if not (kid.type == "text" and kids and kids[-1] == "text"):
                kids.append(kid.type)
        out.append((token.type, token.tag, token.nesting, token.level, tuple(kids)))
    return out


def _inline_text(text):
    return "".join(kid.content for t in _MD.parse(text) for kid in t.children or []
                   if kid.type == "text")


@SETTINGS
@given(text=shown_hostile, public=st.booleans())
def test_student_text_is_inline_text_in_its_own_line_of_feedback(text, public):
    got = feedback.render(SPEC, record(text, text, public))
    assert _shape(got) == _shape(feedback.render(SPEC, record("x", "x", public)))
    if public:  # shown as written, its line breaks folded
        folded = re.sub(r"\r\n|[\r\n]", feedback.FOLDED, text).replace("\0", "\ufffd").strip()
        assert folded in _inline_text(got)


# -- HTML pages ----------------------------------------------------------------

class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))


def _tags(path):
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def _pages(folder):
    """The tags of every page, in an order that does not depend on file names."""
    return sorted((p.relative_to(folder).parent.as_posix(), _tags(p)) for p in folder.rglob("*.html"))


@settings(SETTINGS, max_examples=25)
@given(text=shown_hostile)
def test_no_element_of_any_page_comes_from_student_text(text, tmp_path_factory):
    pages = {}
    for kind, value in (("hostile", text), ("benign", "x")):
        out = tmp_path_factory.mktemp(kind)
        records = [record(student, value, answers={"pseudocode": "an answer"})
                   for student in (value, value + "2")]
        pages[kind] = _pages(html.write(SPEC, GIVEN, records, out / "report").parent)
    assert pages["hostile"] == pages["benign"]


ANSWER_TAGS = {"p", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "br",
               "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}


@SETTINGS
@given(text=hostile)
def test_a_written_answer_renders_as_markdown_without_html_links_or_images(text):
    parser = Tags()
    parser.feed(markdown(text))
    assert {tag for tag, _ in parser.tags} <= ANSWER_TAGS
    assert {a for _, attrs in parser.tags for a in attrs} <= {"class", "style", "start"}


@SETTINGS
@given(text=hostile)
def test_similar_code_with_hostile_comments_and_ids_shows_as_code(text, tmp_path_factory):
    from nbfactory import CORRECT_A7
    from grader.reports import similarity
    line = text.replace("\r", " ").replace("\n", " ")
    code = "\n".join(f"{source}  # {line}" if source.strip() and not source.rstrip().endswith("\\")
                     else source for source in CORRECT_A7.splitlines())
    pages = []
    for a, b in ((text + "a", text + "b"), ("a", "b")):
        records = [record(s, "x", own_code=[{"cell": 0, "source": code}]) for s in (a, b)]
        pair, = similarity.find(records, [])
        page = html.pair_page(SPEC, pair, {a: "a.html", b: "b.html"})
        parser = Tags()
        parser.feed(page)
        pages.append(parser.tags)
    assert pages[0] == pages[1]


# -- CSV -------------------------------------------------------------------------

ids = st.lists(hostile.filter(lambda s: not re.search("[\ud800-\udfff]", s)), min_size=1,
               max_size=5, unique=True)
FORMULA = tuple("=+-@\t\r\n")


@SETTINGS
@given(students=ids, reason=hostile)
def test_grades_csv_has_no_formula_cell_and_keeps_every_id(students, reason, tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "grades.csv"
    gradebook.write(SPEC, [record(s, reason) for s in students], path)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows:
        assert not any(cell.lstrip(" ").startswith(FORMULA) for cell in row)
    assert [files.csv_value(row[0]) for row in rows[1:]] == students


@SETTINGS
@given(students=ids)
def test_ids_round_trip_through_a_filled_manual_sheet(students, tmp_path_factory):
    folder = tmp_path_factory.mktemp("manual")
    manual.write_template(SPEC, [record(s, "x") for s in students], folder / manual.NAME)
    with open(folder / manual.NAME, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows:
        assert not any(cell.lstrip(" ").startswith(FORMULA) for cell in row)
    filled = io.StringIO()
    writer = csv.writer(filled)  # as a spreadsheet saves it: every cell as shown, marks added
    writer.writerow(rows[0])
    for n, row in enumerate(rows[1:]):
        writer.writerow(row[:2] + [str(n % 5), f"=comment {n}"])
    (folder / "filled.csv").write_text(filled.getvalue(), encoding="utf-8", newline="")
    marks = manual.read(folder / "filled.csv", SPEC, students)
    assert sorted(marks) == sorted((s, "pseudocode") for s in students)
    assert [marks[s, "pseudocode"][0] for s in students] == [float(n % 5) for n in range(len(students))]


# -- JSON, XML, journal ----------------------------------------------------------

def _strict_json(text):
    def refuse(value):
        raise ValueError(f"not JSON: {value}")
    data = json.loads(text, parse_constant=refuse)

    def walk(value):
        if isinstance(value, str):
            assert not re.search("[\ud800-\udfff]", value), "a lone surrogate"
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k), walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(data)
    return data


@SETTINGS
@given(text=hostile, public=st.booleans())
def test_gradescope_json_and_junit_xml_parse(text, public, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    r = record(text, text, public)
    gradescope.write(r, folder / "r.json")
    data = _strict_json((folder / "r.json").read_text(encoding="utf-8"))
    assert len(data["tests"]) == len(r.checks) + len(SPEC.written)
    junit.write([r, record("other", text)], folder / "j.xml")
    root = ET.parse(folder / "j.xml").getroot()  # expat refuses what XML 1.0 forbids
    assert len(root.findall("testsuite/testcase")) == 2 * len(r.checks)


HUGE = 1_000_000


def _sizes(size, folder):
    """Bytes of the journal line and of every file written for one submission
    whose every text is ``size`` characters long."""
    text = ("=x\n`<b>" * size)[:size]
    r = dict(record_json("s", text), own_code=[{"cell": i, "source": text} for i in range(3)],
             answers={f"a{i}": text for i in range(50)}, cells=[{"index": i, "error": {
                 "message": text, "where": [text] * 50}} for i in range(100)] + [{"index": 0}] * 10 ** 4)
    folder.mkdir()
    Journal(folder, resume=False).append(Record.from_json(r))
    records = load(folder)
    write_all(SPEC, GIVEN, records, folder)
    junit.write(records, folder / "junit.xml")
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def test_no_file_or_journal_line_grows_with_what_a_notebook_sends(tmp_path):
    small = _sizes(HUGE, tmp_path / "small")
    assert max(small.values()) < 1_000_000, small
    assert _sizes(2 * HUGE, tmp_path / "large") == small, "twice the text, not a byte more"


@SETTINGS
@given(text=hostile)
def test_the_journal_gives_back_what_it_wrote_within_the_caps(text, tmp_path_factory):
    folder = tmp_path_factory.mktemp("journal")
    r = record(text, text)
    stored = Journal(folder, resume=False).append(r)
    assert load(folder) == [stored]
    assert stored.student == text and stored.reason == bounds.cut(text, bounds.MESSAGE)


# -- hidden checks ---------------------------------------------------------------

CANARY = "hidden-input-7.3194"


@pytest.fixture(scope="module")
def hidden_prep():
    from grader.checks.expected import prepare
    return next(p for p in prepare(SPEC) if not p.check.public
                and p.check.compare["kind"] == "allclose")


def _wrong(result, how):
    import numpy as np
    if how == "raise":
        return {"ok": False, "error": f"ValueError: {CANARY}", "exc_type": "ValueError"}
    if how == "raise-own":
        return {"ok": False, "error": CANARY, "exc_type": f"Leak_{CANARY}"}
    if how == "missing":
        return {"ok": False, "error": CANARY, "exc_type": "Missing"}
    if how == "shape":
        return dict(result, out=np.zeros(3 + np.size(result["out"])))
    if how == "values":
        out = result["out"]
        return dict(result, out=[np.asarray(o) + 7.3194 for o in out] if isinstance(out, list)
                    else np.asarray(out) + 7.3194)
    return {"ok": True, "out": CANARY}


@pytest.mark.parametrize("how", ["raise", "raise-own", "missing", "shape", "values", "text"])
def test_a_failed_hidden_check_says_only_the_kind_of_failure(hidden_prep, how, tmp_path):
    results = [_wrong(r, how) for r in hidden_prep.expected]
    check = scoring.judge_check(hidden_prep, results).to_json()
    assert not check["passed"] and check["message"] in scoring.KINDS
    assert check.get("detail", "") == "" and check["rel_err"] is None
    assert CANARY not in json.dumps(check) and "7.3" not in json.dumps(check)
    expected = {"raise": "raised an exception (ValueError)", "raise-own": "raised an exception",
                "missing": scoring.NOT_DEFINED, "shape": "wrong shape"}
    assert check["message"] == expected.get(how, check["message"])


@SETTINGS
@given(text=hostile)
def test_no_renderer_shows_what_a_hidden_check_holds(text, tmp_path_factory):
    """Even a record that holds run text for a hidden check (a journal of an
    older version, say) shows only fixed words."""
    folder = tmp_path_factory.mktemp("hidden")
    r = record_json("s", "x", public=False)
    for c in r["checks"]:
        c.update(message=CANARY + text, detail=CANARY, rel_err=7.3194e-3, diagnosis=[])
    r = Record.from_json(bounds.bounded(r))
    md = feedback.render(SPEC, r)
    gradescope.write(r, folder / "r.json")
    junit.write([r], folder / "j.xml")
    html.write(SPEC, GIVEN, [r], folder / "report")
    written = [md, (folder / "r.json").read_text(), (folder / "j.xml").read_text()]
    written += [p.read_text() for p in (folder / "report").rglob("*.html")]
    for content in written:
        assert CANARY not in content and "7.3" not in content


@SETTINGS
@given(text=hostile)
def test_the_place_a_memory_frame_names_is_one_of_the_graders(text):
    from grader.execute.session import _where
    programs = [["sgd_update: hidden steps", {}]]
    assert _where({"where": CANARY + text}, programs) == "the notebook"
    assert _where({"where": "cell 3"}, programs) == "cell 3"
    assert _where({"where": "check 'sgd_update: hidden steps'"}, programs) == \
        "check 'sgd_update: hidden steps'"
