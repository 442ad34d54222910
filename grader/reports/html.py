"""report/: the class at a glance, as static pages that open from the file system.

``index.html`` (distribution, questions, checks, misconceptions, statuses,
written answers to mark, similar submissions, students), one page per
student (their feedback, rendered), one per written question (every answer
side by side) and one per similar pair (the similar parts side by side).
Built only from the journal's records, the assignment and its template, as
the pipeline gives them.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from grader.reports import feedback, figures, similarity, stats
from grader.reports.files import safe_name, save
from grader.reports.layout import bar, esc, href, markdown, markdown_sections, page, percent
from grader.status import Status

FOLDER = "report"
#: Pairs shown side by side, most similar first: a large class of short
#: solutions can have thousands of similar pairs, and a tutor reads the top.
MAX_PAIRS = 100


def write(spec, given, records, folder: Path, feedback_of: dict | None = None) -> Path:
    """Write every page into ``folder`` (emptied first); returns the index page.

    ``given``: the student template (a ``Notebook``: its cells and written answers'
    placeholders); ``feedback_of``: student -> feedback Markdown already rendered,
    if at hand.
    """
    feedback_of = feedback_of or {}
    shutil.rmtree(folder, ignore_errors=True)
    for sub in ("students", "written", "similar"):
        (folder / sub).mkdir(parents=True)
    found = similarity.find(records, given.cells, regions_for=MAX_PAIRS)
    pairs = found[:MAX_PAIRS]
    files = {r.student: page_name(r.student) for r in records}
    save(folder / "index.html", index_page(spec, records, pairs, given.answers, files, len(found)))
    for r in records:
        text = feedback_of.get(r.student) or feedback.render(spec, r)
        save(folder / "students" / files[r.student], student_page(spec, r, pairs, files, text))
    for w in spec.written:
        save(folder / "written" / page_name(w.name),
              written_page(spec, w, records, given.answers.get(w.name, ""), files))
    given_lines = {line.strip() for cell in given.cells for line in cell.splitlines() if line.strip()}
    for number, pair in enumerate(pairs, 1):
        save(folder / "similar" / pair_name(number), pair_page(spec, pair, files, given_lines))
    return folder / "index.html"


def page_name(name: str) -> str:
    return safe_name(name) + ".html"


def pair_name(number: int) -> str:
    return f"pair-{number:03d}.html"


def student_link(student: str, files: dict, up: str = "") -> str:
    return f'<a href="{up}{href("students", files[student])}">{esc(student)}</a>'


def _num(value, text=None) -> str:
    shown = text if text is not None else ("–" if value is None else f"{value:g}")
    sort = "" if value is None else f' data-sort="{value:g}"'
    return f'<td class="num"{sort}>{esc(shown)}</td>'


def _head(names, sortable=True, numeric=()) -> str:
    cells = []
    for i, name in enumerate(names):
        cls = ' class="num"' if i in numeric else ""
        label = f'<button type="button">{esc(name)}</button>' if sortable else esc(name)
        cells.append(f"<th{cls} scope=\"col\">{label}</th>")
    return f"<thead><tr>{''.join(cells)}</tr></thead>"


# -- index ----------------------------------------------------------------------

def index_page(spec, records, pairs, placeholders, files, found=None) -> str:
    sections = [
        "<h1>The class at a glance</h1>",
        f'<p class="lead">{len(records)} submissions. Built from the journal; rebuild with '
        "<code>grader report OUT</code>.</p>",
        '<nav class="no-print jump"><a href="#questions">Questions</a>'
        '<a href="#misconceptions">Misconceptions</a><a href="#written">Written answers</a>'
        '<a href="#students">Students</a><a href="#checks">Checks</a>'
        '<a href="#similar">Similar submissions</a></nav>',
        overview_section(spec, records, files),
        questions_section(spec, records),
        misconceptions_section(records, files),
        written_section(spec, records, placeholders, files),
        students_section(spec, records, pairs, files),
        checks_section(spec, records),
        similar_section(pairs, files, found),
    ]
    return page(f"{spec.title}: class report", "\n".join(sections),
                heading=f"{spec.title}: class report", script=True)


def overview_section(spec, records, files) -> str:
    statuses = "".join(
        f'<li class="{"" if s == Status.GRADED else "alarm"}"><b>{n}</b>{esc(s)}</li>'
        for s, n in stats.statuses(records))
    graded = stats.graded(records)
    top = stats.full_marks(spec, records)
    svg = figures.histogram_svg([r.score for r in graded],
                                [r.score for r in records if r.status != Status.GRADED], top)
    mean = sum(r.score for r in graded) / len(graded) if graded else None
    help_items = "".join(f"<li>{student_link(r.student, files)}: {esc(why)}</li>"
                         for r, why in stats.needs_help(records))
    helped = (f"<ul>{help_items}</ul>" if help_items
              else '<p class="muted">Everyone graded scored at least half the points.</p>')
    return (
        '<section id="overview" class="overview"><div>'
        "<h2>Score distribution</h2>"
        f"<figure>{svg}<figcaption>All {len(records)} submissions; mean of the graded: "
        f"{'–' if mean is None else f'{mean:.1f}'} of {records[0].max_score if records else 0:g}"
        f"{' (bonus on top)' if any(q.bonus for q in spec.questions) else ''}.</figcaption></figure>"
        f'</div><div><h2>Status</h2><ul class="cards">{statuses}</ul>'
        f'<h2 id="help">Who needs help</h2><p class="muted">Not graded, or below '
        f"{percent(stats.HELP_BELOW)} of the points.</p>{helped}</div></section>")


def questions_section(spec, records) -> str:
    rows = "".join(
        f"<tr><td>{esc(q.title)}{' <span class=tag>bonus</span>' if q.bonus else ''}</td>"
        f"{_num(q.max_points)}{_num(None if q.mean is None else round(q.mean, 2))}"
        f'<td data-sort="{-1 if q.pass_rate is None else q.pass_rate}">{bar(q.pass_rate)}</td></tr>'
        for q in stats.questions(spec, records))
    return ('<section id="questions"><h2>Questions</h2>'
            '<p class="muted">Mean points and the share of graded submissions with every point.</p>'
            '<div class="scroll"><table class="sortable">'
            f"{_head(['question', 'points', 'mean', 'full marks'], numeric=(1, 2))}"
            f"<tbody>{rows}</tbody></table></div></section>")


def checks_section(spec, records) -> str:
    rows = "".join(
        f"<tr><td>{esc(c.name)}</td><td>{esc(c.question)}</td>"
        f"<td>{'public' if c.public else 'hidden'}</td>"
        f'{_num(c.passed, f"{c.passed} of {c.total}")}'
        f'<td data-sort="{-1 if c.pass_rate is None else c.pass_rate}">{bar(c.pass_rate)}</td></tr>'
        for c in stats.checks(spec, records))
    return ('<section id="checks"><h2>Checks</h2>'
            '<p class="muted">Each check\'s pass rate among graded submissions. '
            "Sort by pass rate to see what went worst.</p>"
            '<div class="scroll"><table class="sortable">'
            f"{_head(['check', 'question', 'kind', 'passed', 'pass rate'], numeric=(3,))}"
            f"<tbody>{rows}</tbody></table></div></section>")


def misconceptions_section(records, files) -> str:
    found = stats.misconceptions(records)
    if not found:
        items = '<p class="muted">No catalogued mistake was recognised.</p>'
    else:
        items = "<ol class=\"ranked\">" + "".join(
            f"<li><strong>{esc(m.name)}</strong> in <code>{esc(', '.join(m.functions))}</code>: "
            f"{len(m.students)} student{'s' if len(m.students) != 1 else ''}"
            f'<br><span class="muted">Hint: {esc(m.hint)}</span>'
            f'<br><span class="students">{" ".join(student_link(s, files) for s in m.students)}'
            "</span></li>" for m in found) + "</ol>"
    return ('<section id="misconceptions"><h2>Misconceptions</h2>'
            '<p class="muted">Failed checks whose outputs match a known mistake, ranked by how '
            f"many students they hit: worth a word in the next lecture.</p>{items}</section>")


def written_section(spec, records, placeholders, files) -> str:
    if not spec.written:
        return ""
    merged = any(r.written is not None for r in records)
    found = stats.written(spec, records, placeholders)
    rows = "".join(
        f'<tr><td><a href="{href("written", page_name(w.name))}">{esc(w.title)}</a></td>'
        f"{_num(w.points)}{_num(w.answered)}{_num(w.marked)}{_num(len(w.to_mark))}</tr>"
        for w in found)
    left = "".join(f"<p>{esc(w.title)}, still to mark: "
                   f"{', '.join(student_link(s, files) for s in w.to_mark)}</p>"
                   for w in found if w.to_mark)
    hint = ("" if merged else
            '<p class="note">No marks merged yet. Fill in <code>manual.csv</code> '
            "(student, question, points, comment) and run "
            "<code>grader report OUT --manual manual.csv</code>.</p>")
    return ('<section id="written"><h2>Written answers</h2>'
            '<p class="muted">Marked by hand. Each question\'s page shows every answer side by '
            f"side.</p>{hint}"
            f"<table>{_head(['question', 'points', 'answered', 'marked', 'still to mark'], False, (1, 2, 3, 4))}"
            f"<tbody>{rows}</tbody></table>{left}</section>")


def similar_section(pairs, files, found=None) -> str:
    intro = ('<p class="muted">Pairs whose own code (the template\'s removed, names and '
             "constants normalised) is unusually similar: a reason to look at both notebooks, "
             "never a verdict and never a penalty. Similarity is the share of the smaller "
             "submission's code found in the other.</p>")
    if not pairs:
        return f'<section id="similar"><h2>Similar submissions</h2>{intro}<p>No pair.</p></section>'
    groups = "".join(f"<li>{len(g)} students: {', '.join(student_link(s, files) for s in g)}</li>"
                     for g in similarity.groups(pairs))
    rows = "".join(
        f"<tr><td>{student_link(p.a.student, files)}</td><td>{student_link(p.b.student, files)}</td>"
        f"{_num(round(100 * p.similarity), percent(p.similarity))}"
        f"{_num(round(100 * p.share_a), percent(p.share_a))}"
        f"{_num(round(100 * p.share_b), percent(p.share_b))}"
        f'<td><a href="{href("similar", pair_name(i))}">side by side</a></td></tr>'
        for i, p in enumerate(pairs, 1))
    more = (f'<p class="muted">The {len(pairs)} most similar of {found} pairs.</p>'
            if found and found > len(pairs) else "")
    return (f'<section id="similar"><h2>Similar submissions</h2>{intro}'
            f"<h3>Groups</h3><ul>{groups}</ul><h3>Pairs</h3>{more}"
            '<div class="scroll"><table class="sortable">'
            f"{_head(['student', 'student', 'similarity', 'of the first', 'of the second', ''], numeric=(2, 3, 4))}"
            f"<tbody>{rows}</tbody></table></div></section>")


def students_section(spec, records, pairs, files) -> str:
    similar_to: dict = {}
    for p in pairs:
        similar_to[p.a.student] = similar_to.get(p.a.student, 0) + 1
        similar_to[p.b.student] = similar_to.get(p.b.student, 0) + 1
    written = [w for w in spec.written]
    names = (["student", "status", "score"] + [q.name for q in spec.questions]
             + [w.name for w in written] + ["similar to"])
    numeric = tuple(range(2, 4 + len(spec.questions) + len(written)))
    rows = []
    for r in records:
        mistakes = sorted({d.name for c in r.checks for d in c.diagnosis})
        marks = [stats.written_points(r, w.name) for w in written]
        rows.append(
            f'<tr><td data-sort="{esc(r.student)}">{student_link(r.student, files)}'
            + (f'<div class="small">{esc(r.name)}</div>'
               if r.name and r.name != r.student else "")
            + (f'<div class="small muted">{esc("; ".join(mistakes))}</div>' if mistakes else "")
            + "</td>"
            f'<td class="status-{esc(r.status)}">{esc(r.status)}</td>'
            f"{_num(r.score)}"
            + "".join(_num(r.questions.get(q.name, 0.0)) for q in spec.questions)
            + "".join(_num(m) for m in marks)
            + f"{_num(similar_to.get(r.student, 0))}</tr>")
    legend = ", ".join(f"{q.name}: {q.title}" for q in spec.questions)
    legend += "".join(f", {w.name}: {w.title} (written)" for w in written)
    return ('<section id="students"><h2>Students</h2>'
            '<p class="muted">Click a column heading to sort; click a name for the feedback. '
            "Under a name: the misconceptions diagnosed. "
            f"Columns: {esc(legend)}.</p>"
            f'<div class="scroll"><table class="sortable" id="student-table">{_head(names, numeric=numeric)}'
            f"<tbody>{''.join(rows)}</tbody></table></div></section>")


# -- one student ----------------------------------------------------------------

def student_page(spec, record, pairs, files, text: str) -> str:
    """``text``: the student's feedback Markdown."""
    body = [markdown_sections(text)]
    answers = record.answers
    for w in spec.written:
        if w.name in answers:
            body.append(f"<h2>Written answer: {esc(w.title)}</h2>"
                        f'<div class="card">{markdown(answers[w.name])}</div>')
    mine = [(i, p) for i, p in enumerate(pairs, 1) if record.student in (p.a.student, p.b.student)]
    if mine:
        items = "".join(
            f'<li><a href="../{href("similar", pair_name(i))}">'
            f"{esc(p.b.student if p.a.student == record.student else p.a.student)}</a>: "
            f"{percent(p.similarity)}</li>" for i, p in mine)
        body.append(f"<h2>Similar submissions</h2><p class=\"muted\">For the tutor to look at; "
                    f"not a verdict.</p><ul>{items}</ul>")
    return page(f"{record.student}: {spec.title}", "\n".join(body), depth=1,
                heading=f"{spec.title}: {record.student}")


# -- one written question -------------------------------------------------------

def written_page(spec, w, records, placeholder, files) -> str:
    cards = []
    for r in records:
        mark = (r.written or {}).get(w.name)
        if mark and mark.points is not None:
            status = f'<span class="tag">{mark.points:g} / {w.points:g}</span>'
        else:
            status = '<span class="tag">not marked</span>'
        comment = (f'<p class="muted">Comment: {esc(mark.comment)}</p>'
                   if mark and mark.comment else "")
        if stats.answered(r, w.name, placeholder):
            answer, cls = markdown(r.answers[w.name]), "card"
        else:
            answer, cls = "<p>No answer.</p>", "card empty"
        cards.append(f'<article class="{cls}"><h3>{student_link(r.student, files, "../")}'
                     f"{status}</h3>{answer}{comment}</article>")
    body = (f"<h1>{esc(w.title)}</h1>"
            f'<p class="lead">Written question <code>{esc(w.name)}</code>, {w.points:g} points, '
            "marked by hand: enter points and a comment per student in manual.csv, then "
            "<code>grader report OUT --manual manual.csv</code>.</p>"
            f'<div class="grid">{"".join(cards)}</div>')
    return page(f"{w.title}: {spec.title}", body, depth=1, heading=f"{spec.title}: written answers")


# -- one similar pair -----------------------------------------------------------

def pair_page(spec, pair, files, given_lines=frozenset()) -> str:
    a, b = pair.a.student, pair.b.student
    parts = []
    for span_a, span_b in pair.regions:
        left = _fold(similarity.text(pair.a, span_a), given_lines)
        right = _fold(similarity.text(pair.b, span_b), given_lines)
        seg_a, seg_b = similarity.diff_segments(left, right)
        parts.append(f'<div class="pair"><div>{_where(span_a)}{_code(seg_a)}</div>'
                     f"<div>{_where(span_b)}{_code(seg_b)}</div></div>")
    body = (f"<h1>{esc(a)} and {esc(b)}: {percent(pair.similarity)} similar</h1>"
            f'<p class="lead">{percent(pair.share_a)} of {esc(a)}\'s own code is found in '
            f"{esc(b)}'s, and {percent(pair.share_b)} of {esc(b)}'s in {esc(a)}'s "
            f"({pair.shared} fingerprints of {similarity.K} tokens in common). Below, the "
            "similar parts side by side; <mark>marked</mark> text differs between the two "
            "(often only renamed names or other constants), and runs of lines as in the "
            "template are folded. A reason to look, not a verdict.</p>"
            f'<div class="pair"><h2>{student_link(a, files, "../")}</h2>'
            f'<h2>{student_link(b, files, "../")}</h2></div>'
            + ("".join(parts) or '<p class="muted">The shared code is in many short pieces.</p>'))
    return page(f"{a} and {b}: {spec.title}", body, depth=1, heading=f"{spec.title}: similar pair")


FOLD_AT = 3
_FOLDED = "\u22ef as in the template \u22ef"


def _fold(text: str, given_lines) -> str:
    """Runs of lines that the template has too (blank lines within them aside),
    at least FOLD_AT of them, become one line."""
    out, run = [], []

    def close():
        kept = [line for line in run if line.strip()]
        if len(kept) >= FOLD_AT:
            indent = kept[0][:len(kept[0]) - len(kept[0].lstrip())]
            out.append(indent + _FOLDED)
        else:
            out.extend(run)
        run.clear()
    for line in text.split("\n"):
        if not line.strip() or line.strip() in given_lines:
            run.append(line)
        else:
            close()
            out.append(line)
    close()
    return "\n".join(out)


def _where(span) -> str:
    return f'<div class="muted">code cell {span.cell + 1}, lines {span.first}–{span.last}</div>'


def _code(segments) -> str:
    body = "".join(f"<mark>{esc(t)}</mark>" if differs else esc(t) for t, differs in segments)
    body = body.replace(_FOLDED, f'<span class="given">{_FOLDED}</span>')
    return f"<pre><code>{body}</code></pre>"
