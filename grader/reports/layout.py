"""The frame of every report page: escaping, links, Markdown, style and the one script.

Pages work from the file system: no server, no external fonts, scripts or
images (a Content-Security-Policy says so to the browser, and lets only the
table-sorting script below run: inline event handlers never do). Everything
taken from records (student ids, notebook text, messages) goes through
``esc`` or through ``markdown``, which renders without raw HTML.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
from urllib.parse import quote

from markdown_it import MarkdownIt

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, column) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[column]), y = key(b.cells[column]);
        var order = (typeof x === "number" && typeof y === "number")
          ? x - y : String(x).localeCompare(String(y));
        return up ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
function key(cell) {
  var text = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  return text !== "" && isFinite(text) ? parseFloat(text) : text.toLowerCase();
}
""".strip()

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'")

CSS = """
:root { --ink: #1d232a; --muted: #5b6670; --line: #d9dee3; --soft: #f4f6f8;
        --accent: #2f6f9f; --good: #2e7d32; --bad: #b3261e; --warn: #c9a227; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
             "Liberation Sans", Arial, sans-serif; }
header.top { background: var(--soft); border-bottom: 1px solid var(--line); }
header.top div, main { max-width: 78rem; margin: 0 auto; padding: 0 1.25rem; }
header.top div { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; align-items: baseline;
                 padding-top: .6rem; padding-bottom: .6rem; }
header.top strong { font-size: 1.05rem; }
nav a { margin-right: .9rem; }
main { padding-bottom: 3rem; }
h1 { font-size: 1.55rem; margin: 1.2rem 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .2rem;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 1.02rem; margin: 1.1rem 0 .4rem; }
a { color: var(--accent); }
p.lead, .muted { color: var(--muted); }
.small { font-size: .8rem; }
p.lead { margin-top: 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas,
            monospace; font-size: .88em; }
pre { background: var(--soft); padding: .6rem .75rem; border-radius: 4px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-word; }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: .4rem 0 1rem; padding: 0;
         list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 6px; padding: .35rem .8rem;
            min-width: 7.5rem; }
.cards b { display: block; font-size: 1.35rem; }
.cards li.alarm b { color: var(--bad); }
.overview { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.5rem;
            align-items: start; }
figure { margin: 0; }
figure svg { width: 100%; max-width: 44rem; height: auto; }
figcaption { color: var(--muted); font-size: .85rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line);
         vertical-align: top; }
thead th { background: var(--soft); white-space: nowrap; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover { background: #fafbfc; }
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0;
            padding: 0; cursor: pointer; text-align: inherit;
            text-decoration: underline dotted var(--muted); text-underline-offset: 3px; }
th[aria-sort=ascending] button::after { content: " \\25B2"; color: var(--ink); }
th[aria-sort=descending] button::after { content: " \\25BC"; color: var(--ink); }
.bar { display: inline-block; vertical-align: middle; width: 6rem; height: .55rem;
       background: #e7ebef; border-radius: 3px; margin-right: .45rem; overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--good); }
.bar.low span { background: var(--bad); }
.bar.mid span { background: var(--warn); }
.tag { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: 3px;
       border: 1px solid var(--line); color: var(--muted); white-space: nowrap; }
.status-graded { color: var(--good); }
.status-timeout, .status-error, .status-memory, .status-unreadable,
.status-wrong-assignment { color: var(--bad); font-weight: 600; }
ol.ranked { padding-left: 1.4rem; }
ol.ranked li { margin-bottom: .7rem; }
.students a { margin-right: .5rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .2rem .9rem .6rem;
        overflow-wrap: anywhere; }
.card h3 { display: flex; justify-content: space-between; align-items: flex-start; gap: .5rem; }
.card h3 .tag { flex: none; margin-top: .15rem; }
.card.empty { color: var(--muted); background: var(--soft); }
.card table { overflow-wrap: normal; }
.card .table-scroll, .card { overflow-x: auto; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: .8rem; }
.pair pre { margin: .2rem 0 .8rem; }
pre .given { color: var(--muted); font-style: italic; }
mark { background: #ffe08a; color: inherit; padding: 0 1px; border-radius: 2px; }
.note { border-left: 3px solid var(--accent); padding: .3rem .8rem; background: var(--soft); }
@media (max-width: 800px) { .overview, .pair { grid-template-columns: minmax(0, 1fr); } }
@media print {
  body { font-size: 10pt; }
  nav, .no-print { display: none; }
  header.top { background: none; border: 0; }
  header.top div { padding: 0; max-width: none; }
  th button { text-decoration: none; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  tr, .card, li, figure, pre { break-inside: avoid; }
  thead th { position: static; }
  th button::after { content: ""; }
  .scroll { overflow: visible; }
  .grid { grid-template-columns: 1fr 1fr; }
  .bar, .bar span, mark, thead th { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
""".strip()

# No raw HTML, images or links: a notebook's Markdown shows its text, never a
# request or a place to click.
_MD = (MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
       .disable(["image", "link", "autolink"]))


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def href(*parts: str) -> str:
    """A relative link to a file whose name parts may hold any character."""
    return esc("/".join(quote(p, safe="", errors="surrogatepass") for p in parts))


def markdown(text: str) -> str:
    """Markdown as HTML; raw HTML, images and links in the text are shown as text."""
    return _MD.render(text or "")


def markdown_sections(text: str) -> str:
    """``markdown`` of a document of "## " sections, each rendered once per run.

    Feedback pages share most of their sections (a question fully passed
    reads the same for every student); a section is a block of its own, so
    rendering them apart gives the same HTML.
    """
    sections = re.split(r"(?m)^(?=## )", text or "")
    return "".join(_markdown_cached(section) for section in sections)


@functools.lru_cache(maxsize=4096)
def _markdown_cached(section: str) -> str:
    return _MD.render(section)


def percent(share) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def bar(share) -> str:
    """A pass-rate bar with its number; green, amber below 70%, red below 40%."""
    if share is None:
        return '<span class="muted">no graded submission</span>'
    level = "low" if share < 0.4 else "mid" if share < 0.7 else ""
    return (f'<span class="bar {level}" aria-hidden="true"><span style="width:{100 * share:.0f}%">'
            f"</span></span>{percent(share)}")


def page(title: str, body: str, depth: int = 0, heading: str = "", script: bool = False) -> str:
    """A whole page; ``depth`` is how many folders below the report's index it lives."""
    up = "../" * depth
    nav = (f'<nav><a href="{up}index.html">Class overview</a>'
           f'<a href="{up}index.html#students">Students</a></nav>')
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f'<header class="top"><div><strong>{esc(heading)}</strong>{nav}</div></header>',
        f"<main>\n{body}\n</main>",
        f"<script>{SORT_SCRIPT}</script>" if script else "",
        "</body>",
        "</html>",
        ""])
