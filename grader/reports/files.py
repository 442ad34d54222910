"""How every report file is written: UTF-8, with what UTF-8 cannot encode escaped.

Text from a student's process may hold lone surrogates (an exception message
with "\\ud800", say), which UTF-8 cannot encode: such characters are written
as backslash escapes, so that one odd message never aborts a class's reports.
"""
from pathlib import Path

TEXT = {"encoding": "utf-8", "errors": "backslashreplace"}  # open()'s arguments for a report


def save(path: Path, text: str) -> None:
    path.write_text(text, **TEXT)
