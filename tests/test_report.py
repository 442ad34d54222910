"""The HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by
playwright): it loads offline without console errors, sorts, every link
resolves, hostile ids and notebook text stay text, and it prints.

``make test`` installs Chromium when /usr/bin/chromium is missing. The
screenshot is kept in the pytest tmp dir and in ``REPORT_ARTIFACTS``
(default ``test-artifacts/`` in the repository); its path is printed.
"""
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from grader.execute import Limits
from grader.grade import grade
from grader.rebuild import rebuild
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, notebook, write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions" / "a7_optimizers"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_ANSWER = """<script>alert(2)</script>

<img src=x onerror=alert(3)>

[click me](javascript:alert(5)) and ![a picture](http://example.invalid/x.png)

**Momentum**: `v = alpha * v - lr * g`"""


def _hostile_notebook(code):
    nb = notebook(code, "raise ValueError('<img src=x onerror=alert(4)>')")
    nb.cells.append(nbformat.v4.new_markdown_cell(HOSTILE_ANSWER,
                                                  metadata={"grader": {"answer": "pseudocode"}}))
    return nb


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A small class graded, with a hostile student id and a renamed copy of its
    code, and manual marks merged; returns the report folder."""
    folder = tmp_path_factory.mktemp("class")
    for student in ("correct_as_master", "correct_other_style", "half_finished",
                    "mistake_adam_t_from_zero", "never_finishes"):
        shutil.copy(EXAMPLES / f"{student}.ipynb", folder)
    write(folder, HOSTILE, _hostile_notebook(CORRECT_A7))
    renamed = CORRECT_A7.replace("s_hat", "first").replace("r_hat", "second")
    write(folder, "copycat", notebook(renamed))
    out = tmp_path_factory.mktemp("graded") / "out"
    # errors and a timeout
    grade(folder, out, GradeOptions(jobs=2, limits=Limits(timeout=10), run_all=True))
    sheet = out / "marks.csv"
    sheet.write_text("student,question,points,comment\n"
                     "correct_as_master,pseudocode,5,<b>complete</b>\n"
                     f'"{HOSTILE}",pseudocode,1,"<script>alert(6)</script>"\n')
    rebuild(out, sheet)
    return out / "report"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make test installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            args=ARGS, headless=True, viewport={"width": 1366, "height": 800})
        context.set_default_timeout(15_000)
        yield context
        context.close()


class Visit:
    """A page opened in the browser, with everything it complained about."""

    def __init__(self, browser, path: Path):
        self.errors, self.dialogs, self.requests = [], [], []
        self.page = browser.new_page()
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def close(self):
        self.page.close()


def pages(report):
    return sorted(report.rglob("*.html"))


def test_every_page_loads_offline_without_console_errors_or_dialogs(report, browser):
    assert len(pages(report)) >= 1 + 7 + 1 + 1  # index, students, a written question, a pair
    for path in pages(report):
        visit = Visit(browser, path)
        assert visit.errors == [], (path, visit.errors)
        assert visit.dialogs == [], (path, visit.dialogs)
        outside = [u for u in visit.requests if not u.startswith(("file://", "data:"))]
        assert outside == [], (path, outside)
        assert visit.page.locator("img").count() == 0, path
        visit.close()


def _scores(page):
    return [float(t) for t in page.locator("#student-table tbody tr td:nth-child(3)").all_inner_texts()]


def test_sorting_the_students_by_score(report, browser):
    visit = Visit(browser, report / "index.html")
    page = visit.page
    before = _scores(page)
    assert before != sorted(before), "the example rows start in id order, not by score"
    page.locator("#student-table thead th", has_text="score").locator("button").click()
    assert _scores(page) == sorted(before)
    page.locator("#student-table thead th", has_text="score").locator("button").click()
    assert _scores(page) == sorted(before, reverse=True)
    head = page.locator("#student-table thead th", has_text="score")
    assert head.get_attribute("aria-sort") == "descending"
    # the rows move whole: a name stays with its score
    first = page.locator("#student-table tbody tr").first
    assert first.locator("td").nth(2).inner_text() == f"{max(before):g}"
    assert visit.errors == []
    visit.close()


def _local_target(page_path: Path, href: str):
    url = urlparse(href)
    if url.scheme or not url.path:
        return None
    return (page_path.parent / unquote(url.path)).resolve()


def test_every_student_link_resolves_and_loads(report, browser):
    visit = Visit(browser, report / "index.html")
    links = visit.page.locator("#student-table tbody a")
    assert links.count() == 7
    targets = []
    for i in range(links.count()):
        link = links.nth(i)
        target = _local_target(report / "index.html", link.get_attribute("href"))
        assert target and target.is_file(), link.get_attribute("href")
        targets.append((link.inner_text(), target))
    visit.close()
    for student, target in targets:
        page = Visit(browser, target)
        assert page.errors == []
        assert student in page.page.locator("h1").inner_text()
        page.close()


def test_every_link_on_every_page_resolves(report):
    for path in pages(report):
        for href in re.findall(r'href="([^"]*)"', path.read_text()):
            target = _local_target(path, href.replace("&amp;", "&"))
            if target is not None:
                assert target.is_file(), (path, href)


def test_a_hostile_id_and_notebook_text_stay_text(report, browser):
    visit = Visit(browser, report / "index.html")
    link = visit.page.locator("#student-table tbody a", has_text=HOSTILE)
    assert link.count() == 1 and link.inner_text() == HOSTILE
    href = link.get_attribute("href")
    visit.close()
    student = Visit(browser, _local_target(report / "index.html", href))
    body = student.page.locator("main").inner_text()
    assert HOSTILE in body
    assert "onerror=alert(4)" not in body                   # a cell error's text: never shown
    assert "<script>alert(2)</script>" in body              # the written answer, as text
    assert student.page.locator("main script, main img, main iframe").count() == 0
    assert student.page.locator('a[href^="javascript:"]').count() == 0
    assert student.dialogs == [] and student.errors == []
    student.close()
    pair = next(p for p in sorted((report / "similar").glob("*.html"))
                if "copycat" in p.read_text())
    for path in (report / "written" / "pseudocode.html", pair):
        page = Visit(browser, path)
        assert HOSTILE in page.page.locator("main").inner_text(), path
        assert page.dialogs == [] and page.errors == []
        page.close()
    written = (report / "written" / "pseudocode.html").read_text()
    assert "&lt;script&gt;alert(6)&lt;/script&gt;" in written  # the tutor's comment too


def test_the_report_shows_marks_misconceptions_and_the_copied_pair(report, browser):
    visit = Visit(browser, report / "index.html")
    main = visit.page.locator("main").inner_text()
    assert "t counted from 0" in main                         # a misconception, ranked
    assert re.search(r"1\s*timeout", main)                   # status counts
    similar = visit.page.locator("#similar").inner_text()
    assert "copycat" in similar and HOSTILE in similar
    assert "correct_other_style" not in similar              # independent: not listed
    row = visit.page.locator("#student-table tbody tr", has_text="correct_as_master")
    assert row.locator("td").nth(2).inner_text() == "40"      # 35 automatic + 5 written
    visit.close()
    written = Visit(browser, report / "written" / "pseudocode.html")
    card = written.page.locator("article", has_text="correct_as_master")
    assert "5 / 5" in card.inner_text()
    hostile = written.page.locator("article", has_text=HOSTILE)
    assert hostile.locator("strong", has_text="Momentum").count() == 1  # Markdown, rendered
    assert "1 / 5" in hostile.inner_text()
    written.close()


def test_printing_hides_navigation_and_keeps_the_tables(report, browser, tmp_path):
    visit = Visit(browser, report / "index.html")
    visit.page.emulate_media(media="print")
    assert not visit.page.locator("header.top nav").is_visible()
    assert "Assignment 7" in visit.page.locator("header.top").inner_text()  # what is printed
    assert visit.page.locator("#student-table").is_visible()
    pdf = tmp_path / "report.pdf"
    visit.page.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    visit.close()


def test_screenshot_artefact(report, browser, tmp_path, capsys):
    visit = Visit(browser, report / "index.html")
    shot = tmp_path / "report-screenshot.png"
    visit.page.screenshot(path=str(shot), full_page=True)
    folder = Path(os.environ.get("REPORT_ARTIFACTS", ROOT / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / "report-screenshot.png"
    shutil.copyfile(shot, kept)
    for name in ("students", "written", "similar"):
        first = sorted((report / name).glob("*.html"))[0]
        page = Visit(browser, first)
        page.page.screenshot(path=str(folder / f"report-{name}.png"), full_page=True)
        page.close()
    visit.close()
    assert shot.stat().st_size > 20_000
    with capsys.disabled():
        print(f"\nreport screenshots: {kept} (and report-students, -written, -similar.png)")


def test_rebuilding_gives_the_same_pages(report):
    out = report.parent
    before = {p.relative_to(out): p.read_bytes() for p in sorted(report.rglob("*"))
              if p.is_file()}
    rebuild(out, out / "marks.csv")
    after = {p.relative_to(out): p.read_bytes() for p in sorted(report.rglob("*")) if p.is_file()}
    assert after == before


def test_feedback_rendered_by_sections_equals_the_whole(tmp_path):
    """The report renders feedback a section at a time (cached); same HTML as at once."""
    from grader.reports import feedback
    from grader.reports.layout import markdown, markdown_sections
    from nbfactory import CORRECT_A7, notebook, write
    from grader.grade import grade
    folder = tmp_path / "class"
    folder.mkdir()
    write(folder, "ok", notebook(CORRECT_A7, markdown=["# notes\n\n- a list\n\n## not a section"]))
    write(folder, "bad", notebook(CORRECT_A7.replace("theta - lr * g", "theta + lr * g"), "1/0"))
    spec, records, _ = grade(folder, tmp_path / "out",
                             GradeOptions(assignment="a7_optimizers", jobs=1))
    for record in records:
        text = feedback.render(spec, record)
        assert text.count("\n## ") >= 7
        assert markdown_sections(text) == markdown(text)
