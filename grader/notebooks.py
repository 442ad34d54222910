"""Read a submitted notebook: its code cells, its assignment and its written answers."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import nbformat


class Unreadable(Exception):
    """Not a notebook we can run; the message says why in one line."""


@dataclass
class Notebook:
    cells: list                       # source of each code cell, in order
    assignment: str | None = None     # from metadata["grader"]["assignment"]
    version: str | None = None
    answers: dict = field(default_factory=dict)  # written answer name -> markdown


def read_notebook(content: bytes) -> Notebook:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not a notebook: the file is not UTF-8 text") from None
    try:
        raw = json.loads(text)
    except ValueError:
        raise Unreadable("not a notebook: the file is not JSON") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise Unreadable("not a notebook: JSON without the notebook fields (nbformat, cells)")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several kinds for malformed files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unreadable(f"not a valid notebook (nbformat {raw.get('nbformat')}): {first[:160]}") from None
    meta = nb.metadata.get("grader", {}) if isinstance(nb.metadata.get("grader"), dict) else {}
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    answers = {}
    for cell in nb.cells:
        name = cell.get("metadata", {}).get("grader", {}).get("answer") \
            if isinstance(cell.get("metadata", {}).get("grader"), dict) else None
        if cell.cell_type == "markdown" and isinstance(name, str):
            answers[name] = cell.source
    return Notebook(cells, meta.get("assignment"), meta.get("version"), answers)


def own_code(cells: list, template_cells: list) -> list:
    """The code cells a student wrote or changed: ``[{"cell": i, "source": ...}]``.

    ``i`` counts code cells from 0; cells identical to one of the template's
    (trailing whitespace aside) are left out.
    """
    given = {_plain(source) for source in template_cells}
    return [{"cell": i, "source": source} for i, source in enumerate(cells)
            if _plain(source) not in given]


def _plain(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())
