"""feedback/<student>.md: what passed, what failed, why, and what to fix.

Text from records (ids, messages, hints such as ``rho1**t``) is escaped so that
Markdown shows it as written; the HTML report renders this same Markdown.
"""
import functools
import re

from grader.reports import files

_SPECIAL = re.compile(r"[\\`*\[\]<~]|(?<!\w)_|_(?!\w)")


def plain(value) -> str:
    """Text that Markdown shows as it is: no emphasis, links or code from it."""
    return _escaped(str(value))


@functools.lru_cache(maxsize=4096)  # a class repeats its check names, messages and hints
def _escaped(text: str) -> str:
    return _SPECIAL.sub(r"\\\g<0>", text)


def write(spec, record, path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(spec, record)
    files.save(path, text)
    return text


def render(spec, record) -> str:
    out = [f"# {spec.title}: feedback for {plain(record['student'])}", "",
           f"**Score: {record['score']:g} / {record['max_score']:g}** (status: {record['status']})"]
    if record["reason"]:
        out += ["", f"> {plain(record['reason'])}"]
    by_question: dict = {}
    for c in record["checks"]:
        by_question.setdefault(c["question"], []).append(c)
    for q in spec.questions:
        checks = by_question.get(q.name, [])
        got = sum(c["points"] for c in checks)
        out += ["", f"## {q.title}: {got:g} / {q.points:g}" + (" (bonus)" if q.bonus else ""), ""]
        out += [line for c in checks for line in _check_lines(c)]
    if record.get("written"):
        out += ["", "## Written answers", ""]
        out += [line for w in record["written"].values() for line in _written_lines(w)]
    errors = [c for c in record.get("cells", []) if c.get("error")]
    if errors:
        out += ["", "## Cells that raised an error", ""]
        for c in errors:
            e = c["error"]
            out.append(f"- cell {c['index'] + 1}: `{e['message']}`" +
                       (f" ({plain('; '.join(e['where']))})" if e.get("where") else ""))
    out += ["", "Hidden checks use inputs you have not seen; the self-check in the notebook "
                "runs only the public ones.", ""]
    return "\n".join(out)


def _check_lines(c):
    mark = "passed" if c["passed"] else "FAILED"
    err = f", relative error {c['rel_err']:.1e}" if c.get("rel_err") is not None else ""
    lines = [f"- {mark}: {plain(c['name'])} ({c['points']:g}/{c['max_points']:g}{err})"]
    if not c["passed"] and c["message"]:
        lines.append(f"  - {plain(c['message'])}")
    if c.get("detail"):
        lines.append(f"  - {plain(c['detail'])}")
    for d in c["diagnosis"]:
        said = f"Looks like **{plain(d['name'])}**" if d.get("kind", "family") == "family" \
            else plain(d["name"][:1].upper() + d["name"][1:])
        lines.append(f"  - {said}. Hint: {plain(d['hint'])}")
    return lines


def _written_lines(w):
    got = "not marked yet" if w["points"] is None else f"{w['points']:g}/{w['max_points']:g}"
    lines = [f"- {w['title']}: {got}"]
    if w["comment"]:
        lines.append(f"  - {w['comment']}")
    return lines
