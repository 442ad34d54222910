"""Read a submitted notebook: its code cells, its assignment and its written answers."""
from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field

import nbformat


MAX_CONTAINERS = 100_000  # JSON objects and lists of one notebook; a 5,000-cell notebook has ~40,000
MAX_VALUES = 1_000_000    # all its values (strings, numbers, ...), e.g. lines of printed output
_STRINGS = re.compile(rb'"[^"]*"')  # once escapes are gone: linear, whatever the input


class Unreadable(Exception):
    """Not a notebook we can run; the message says why in one line."""


@dataclass
class Notebook:
    cells: list                       # source of each code cell, in order
    assignment: str | None = None     # from metadata["grader"]["assignment"]
    answers: dict = field(default_factory=dict)  # written answer name -> markdown


def read_notebook(content: bytes) -> Notebook:
    """The notebook in ``content``, or Unreadable saying why; never another error,
    whatever the bytes (any depth, any value of any type anywhere)."""
    try:
        return _read(content)
    except Unreadable:
        raise
    except RecursionError:
        raise Unreadable("not a notebook we can read: its JSON is nested too deeply") from None
    except Exception as exc:  # a shape nbformat did not foresee is this notebook's fault
        raise Unreadable(f"not a notebook we can read: {type(exc).__name__}") from None


def _read(content: bytes) -> Notebook:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not a notebook: the file is not UTF-8 text") from None
    _check_shape(content)
    try:
        raw = json.loads(text)
    except ValueError:
        raise Unreadable("not a notebook: the file is not JSON") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise Unreadable("not a notebook: JSON without the notebook fields (nbformat, cells)")
    try:
        with warnings.catch_warnings():  # one per cell, e.g. duplicate ids: not the tutor's concern
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except RecursionError:
        raise
    except Exception as exc:  # nbformat raises several kinds for malformed files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unreadable(f"not a valid notebook (nbformat {_short(raw.get('nbformat'))}): "
                         f"{first[:160]}") from None
    meta = _dict(_dict(nb.get("metadata")).get("grader"))
    cells = [_text(c.get("source")) for c in nb.cells if c.get("cell_type") == "code"]
    answers = {}
    for cell in nb.cells:
        name = _dict(_dict(cell.get("metadata")).get("grader")).get("answer")
        if cell.get("cell_type") == "markdown" and isinstance(name, str):
            answers[name] = _text(cell.get("source"))
    return Notebook(cells, _str(meta.get("assignment")), answers)


def _check_shape(content: bytes) -> None:
    """Refuse, before parsing, JSON of more values than a notebook holds: parsing
    and validating cost ~200 times the bytes of a file of tiny objects (16 MB of
    ``{},`` took 3 GB and a minute), and the cost follows the count of values."""
    if _within(*_counts(content)):  # counted inside strings too: an upper bound
        return
    containers, values = structure(content)
    if not _within(containers, values):
        raise Unreadable(f"too large: {containers} JSON objects and lists and {values} values, over "
                         f"the limit of {MAX_CONTAINERS} and {MAX_VALUES}; clear the outputs "
                         "(Kernel > Restart & Clear Output) and submit again")


def structure(content: bytes) -> tuple:
    """(objects and lists, values) of JSON text, outside its strings, in linear time."""
    # Escaped backslashes first, then escaped quotes: every quote left opens or closes a string.
    return _counts(_STRINGS.sub(b"", content.replace(b"\\\\", b"").replace(b'\\"', b"")))


def _within(containers: int, values: int) -> bool:
    return containers <= MAX_CONTAINERS and values <= MAX_VALUES


def _counts(data: bytes) -> tuple:
    containers = data.count(b"{") + data.count(b"[")
    return containers, containers + data.count(b",")


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value) -> str | None:
    return value if isinstance(value, str) else None


def _text(source) -> str:
    """A cell's source: a string, or nbformat's list of lines; anything else is no code."""
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return source if isinstance(source, str) else ""


def _short(value) -> str:
    return repr(value)[:20]


def own_code(cells: list, template_cells: list) -> list:
    """The code cells a student wrote or changed: ``[{"cell": i, "source": ...}]``.

    ``i`` counts code cells from 0; cells identical to one of the template's
    (trailing whitespace aside) are left out.
    """
    given = {_normalised(source) for source in template_cells}
    return [{"cell": i, "source": source} for i, source in enumerate(cells)
            if _normalised(source) not in given]


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())
