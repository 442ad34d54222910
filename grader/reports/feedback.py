"""feedback/<student>.md: what passed, what failed, why, and what to fix.

Every text from a record (ids, messages, hints such as ``rho1**t``, cell
errors, comments) goes through ``plain``, and only ever inside a line that
this module starts: its line breaks are folded, spaces and tabs around it
dropped, and every ASCII punctuation
character is backslash-escaped (CommonMark lets any be), so it renders as
inline text, as written, within its own paragraph or list item: never a
heading, list, table, quote, code span, link, entity or HTML. Checks are read
through ``scoring.shown``, so a hidden check shows only the kind of its
failure. The HTML report renders this same Markdown.
"""
import functools
import re

from grader.reports import files
from grader.scoring import KINDS, shown, words

_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
_BREAKS = re.compile(r"\r\n|[\r\n]")
FOLDED = " \u23ce "   # where a line break was


def escape_markdown(value) -> str:
    """Inline Markdown that shows ``value`` as written, on one line."""
    return _escaped(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=4096)  # a class repeats its check names, messages and hints
def _escaped(text: str) -> str:
    # Spaces and tabs around it would indent or break lines; they go.
    return _PUNCTUATION.sub(r"\\\g<0>", _BREAKS.sub(FOLDED, text).strip(" \t"))


def write(spec, record, path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(spec, record)
    files.save(path, text)
    return text


def render(spec, record) -> str:
    out = [f"# {spec.title}: feedback for {escape_markdown(record.name or record.student)}", "",
           f"**Score: {record.score:g} / {record.max_score:g}** (status: {record.status})"]
    if record.reason:
        out += ["", f"> {escape_markdown(record.reason)}"]
    allowed = words(spec)
    by_question: dict = {}
    for c in (shown(c, allowed) for c in record.checks):
        by_question.setdefault(c.question, []).append(c)
    for q in spec.questions:
        checks = by_question.get(q.name, [])
        got = sum(c.points for c in checks)
        out += ["", f"## {q.title}: {got:g} / {q.points:g}" + (" (bonus)" if q.bonus else ""), ""]
        out += [line for c in checks for line in _check_lines(c, allowed)]
    if record.written:
        out += ["", "## Written answers", ""]
        out += [line for w in record.written.values() for line in _written_lines(w)]
    if record.cells:
        out += ["", "## Cells that raised an error", ""]
        out += [f"- {cell_error(c)}" for c in record.cells]
    if record.skipped_cells:
        out += ["", "Cells not run (the graded functions do not need them): " +
                ", ".join(str(i + 1) for i in record.skipped_cells) + "."]
    out += ["", "Every check was graded on inputs drawn for grading, which you have not seen. "
                "To see expected and returned values, run check(...) in your notebook: it runs "
                "the public checks on the published inputs.", ""]
    return "\n".join(out)


def _check_lines(c, allowed):
    mark = "passed" if c.passed else "FAILED"
    err = f", relative error {c.rel_err:.1e}" if c.rel_err is not None else ""
    lines = [f"- {mark}: {escape_markdown(c.name)} ({c.points:g}/{c.max_points:g}{err})"]
    return lines + [f"  - {note}" for note in check_notes(c, allowed)]


def check_notes(c, allowed: frozenset = KINDS) -> list:
    """What a failed check says, as Markdown lines: the kind of failure, then each
    diagnosis with its hint (read through ``scoring.shown``; ``allowed``: the
    assignment's ``scoring.words``). Every report that shows a check in Markdown
    uses these lines."""
    c = shown(c, allowed)
    lines = [escape_markdown(c.message)] if not c.passed and c.message else []
    for d in c.diagnosis:
        said = f"Looks like: {escape_markdown(d.name)}" if d.kind == "family" \
            else escape_markdown(d.name[:1].upper() + d.name[1:])
        lines.append(f"{said}. Hint: {escape_markdown(d.hint)}")
    return lines


def cell_error(cell) -> str:
    """One cell's error (a ``CellError``); its fields come from the student's process."""
    text = f"cell {cell.index + 1}" if cell.index is not None else "a cell"
    text += f": {escape_markdown(cell.message)}"
    if cell.where:
        text += f" ({escape_markdown('; '.join(cell.where))})"
    return text


def _written_lines(w):
    got = "not marked yet" if w.points is None else f"{w.points:g}/{w.max_points:g}"
    lines = [f"- {escape_markdown(w.title)}: {got}"]
    if w.comment:
        lines.append(f"  - {escape_markdown(w.comment)}")
    return lines
