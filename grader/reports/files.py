"""How every report file is written: UTF-8, with what UTF-8 cannot encode escaped.

Text from a student's process may hold lone surrogates (an exception message
with "\\ud800", say), which UTF-8 cannot encode: such characters are written
as backslash escapes, so that one odd message never aborts a class's reports.
"""
import hashlib
from pathlib import Path

TEXT = {"encoding": "utf-8", "errors": "backslashreplace"}  # open()'s arguments for a report


def save(path: Path, text: str) -> None:
    path.write_text(text, **TEXT)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's
# CSV injection list); "'" is there so that a cell that begins with it is told
# apart from one the prefix was put on.
_FORMULA = frozenset("=+-@\t\r\n'")


def csv_cell(value) -> str:
    """A text cell of a CSV file we write: prefixed with "'" when its first
    character that is not a space would start a formula."""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.lstrip(" ")[:1] in _FORMULA else text


def csv_value(cell: str) -> str:
    """The text ``csv_cell`` was given: the inverse, for our readers of our CSVs."""
    return cell[1:] if cell.startswith("'") else cell


def safe_name(student: str) -> str:
    """A file name for a student id, a different one for each id: "%", path
    separators, NUL and a leading dot are written as %XX, a lone surrogate (no
    file system takes one) as %UXXXX, and a name too long
    for a file system is cut and ended with a hash of the whole id."""
    name = "".join(_ESCAPED.get(c) or (f"%U{ord(c):04X}" if "\ud800" <= c <= "\udfff" else c)
                   for c in student)
    name = ("%2E" + name[1:]) if name.startswith(".") else (name or "%")
    if len(name.encode("utf-8", "surrogatepass")) > 200:
        digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        name = name.encode("utf-8", "surrogatepass")[:150].decode("utf-8", "ignore") + "~" + digest
    return name


_ESCAPED = {"%": "%25", "/": "%2F", "\\": "%5C", "\0": "%00"}
