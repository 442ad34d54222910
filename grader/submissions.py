"""Find the submissions under PATH: a folder, a single notebook or a .zip of either.

Every name and byte here is untrusted. Each notebook found becomes exactly one
submission with a distinct, readable student id: the notebook's file stem
(notebooks directly inside), the name of its sub-folder, or the LMS's name and
number for Canvas and Moodle downloads (``grader.lms``). Nothing is extracted
or written: contents are read into memory, each notebook with a size cap and
the class within a total budget; what cannot be read becomes a submission with
``content=None`` and the reason in ``problem``.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from grader import archive, lms as lms_names
from grader.errors import UsageError

MAX_ID = 120  # characters of a student id; longer names are cut (ids stay distinct)


@dataclass(frozen=True)
class Budget:
    """What the grader reads of a class, at most."""
    notebook: int = 16 * 2**20   # bytes of one notebook
    total: int = 1 * 2**30       # bytes of all notebooks together
    notebooks: int = 5000        # notebooks read; the rest get a row each, unread
    entries: int = 50_000        # entries listed in a .zip


@dataclass(frozen=True)
class Submission:
    student: str
    origin: str            # where it came from, for messages
    content: bytes | None  # None when ``problem`` says why there is nothing to read
    problem: str = ""
    name: str = ""         # the student's readable name, where the LMS gives one
    lms: dict | None = None  # the LMS's identity (grader.lms.identity), for its gradebook

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content or self.problem.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """A file found: its path's parts (cleaned), its name as found, and how to read it."""
    parts: tuple
    shown: str
    size: int
    read: Callable[[int], bytes] | None  # read(cap) -> at most cap + 1 bytes
    problem: str = ""                    # why it is not read at all


def discover(path: str | Path, budget: Budget = Budget()) -> list[Submission]:
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist: give a folder of notebooks, a notebook or a .zip")
    try:
        if path.is_file() and path.suffix.lower() == ".zip":
            with archive.open_zip(path, budget.entries) as (zf, bad):
                found = _submissions(_strip_common_folder(_zip_entries(zf, bad)), str(path), budget)
        elif path.is_file():
            found = _submissions([_file_entry(path, _text(os.fsencode(path.name)))],
                                 str(path.parent), budget)
        else:
            found = _submissions(_folder_entries(path), str(path), budget)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not found:
        raise UsageError(f"no notebooks (*.ipynb) found in {path}: put one notebook per student "
                         "directly inside, or one sub-folder per student")
    return sorted(found, key=lambda s: s.student)


# -- finding entries -------------------------------------------------------------

def _zip_entries(zf: zipfile.ZipFile, bad: set) -> list[Entry]:
    out = []
    for info in zf.infolist():
        name = archive.entry_name(info, bad)  # whole: zipfile cuts ``filename`` at a NUL
        if name.endswith("/"):
            continue
        out.append(Entry(_parts(name), _shown(name), info.file_size,
                         lambda cap, info=info: archive.read_capped(zf, info, cap)))
    return out


def _folder_entries(root: Path) -> list[Entry]:
    """Every file under root, symbolic links not followed, names kept as bytes until decoded."""
    out = []
    for folder, _dirs, files in os.walk(os.fsencode(root)):
        for name in files:
            full = os.path.join(folder, name)
            out.append(_file_entry(full, _text(os.path.relpath(full, os.fsencode(root)))))
    return sorted(out, key=lambda e: e.shown)  # the same order on every file system


def _file_entry(path, relative: str) -> Entry:
    parts, shown = _parts(relative), _shown(relative)
    try:
        info = os.lstat(path)
    except OSError as exc:
        return Entry(parts, shown, 0, None, f"cannot read it: {exc.strerror}")
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        return Entry(parts, shown, 0, None, f"{kind}: not read")
    return Entry(parts, shown, info.st_size, lambda cap: _read_file(path, cap))


def _read_file(path, cap: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since it was listed
            raise OSError("not a regular file")
        return archive.read_upto(f, cap)


def _strip_common_folder(entries: list) -> list:
    """Downloads are often wrapped in one folder; look inside it when it holds
    folders only, or files an LMS named."""
    tops = {e.parts[0] for e in entries if e.parts}
    if len(tops) == 1 and all(len(e.parts) > 1 for e in entries) and (
            all(len(e.parts) > 2 for e in entries)
            or any(len(e.parts) == 2 and _identify(e.parts[1:], ())[3] for e in entries)):
        return [replace(e, parts=e.parts[1:]) for e in entries]
    return entries


# -- names --------------------------------------------------------------------------

def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _shown(name: str) -> str:
    """A name for messages: control characters escaped, so one line stays one line."""
    return "".join(c if unicodedata.category(c)[0] != "C" else f"\\x{ord(c):02x}" if ord(c) < 256
                   else f"\\u{ord(c):04x}" for c in name)


def _parts(name: str) -> tuple:
    """The path's components: both slashes separate, and empty, ".", ".." and a
    drive letter are dropped, so nothing points outside or to the root."""
    parts = []
    for part in re.split(r"[/\\]", name):
        if not parts:
            part = re.sub(r"^[A-Za-z]:", "", part)
        if part not in ("", ".", ".."):
            parts.append(part)
    return tuple(parts)


def _notebook(parts: tuple) -> bool:
    if not parts or not parts[-1].lower().endswith(".ipynb"):
        return False
    # editors' and archivers' copies, never a student's submission
    return not (parts[-1].startswith("._") or any(p == "__MACOSX" or p.startswith(".")
                                                    for p in parts[:-1]))


def readable(text: str) -> str:
    """A student id from a name: one line of printable text without a path
    separator, never empty, "." or ".."."""
    text = unicodedata.normalize("NFC", text)
    text = "".join("_" if c in "/\\" or unicodedata.category(c)[0] == "C"
                   or unicodedata.category(c) in ("Zl", "Zp") else c for c in text)
    text = text.strip().lstrip(".").strip()[:MAX_ID].rstrip()
    return text or "unnamed"


def _identify(parts: tuple, place: tuple) -> tuple:
    """(group key, student id, readable name, LMS identity) of a notebook's path."""
    if len(parts) == 1:
        found = lms_names.canvas(parts[0]) or lms_names.moodle(parts[0], in_folder=False)
        if not found:
            stem = parts[0][:-len(".ipynb")]
            return ("file", *place), readable(stem), "", None  # a file is never grouped
    else:
        found = lms_names.moodle(parts[0], in_folder=True)
        if not found:
            return ("folder", parts[0]), readable(parts[0]), "", None
    return lms_names.key(found), readable(lms_names.student_id(found)), found["name"], found


# -- submissions ------------------------------------------------------------------

def _submissions(entries: list, root: str, budget: Budget) -> list[Submission]:
    groups = defaultdict(list)
    for index, entry in enumerate(entries):
        if _notebook(entry.parts):
            key, *who = _identify(entry.parts, (entry.shown, index))
            groups[key].append((entry, who))
    reader = _Reader(budget)
    out = []
    for key in sorted(groups, key=repr):
        items = sorted(groups[key], key=lambda item: item[0].shown)
        entry, (student, name, found) = items[0]
        if found:  # one submission, however many files: late if any file is
            found = {**found, "late": any(who[2]["late"] for _, who in items)}
        sub = Submission(student, f"{root}/{entry.shown}", None, "", name, found)
        if len(items) > 1:
            listed = ", ".join(e.shown for e, _ in items)
            where = "submission" if found else "student's folder"
            out.append(replace(sub, problem=f"several notebooks in one {where} ({listed})"))
        else:
            out.append(reader.read(sub, entry))
    return distinct(out)


class _Reader:
    """Reads notebooks within the budget: the declared size first, then the bytes read."""

    def __init__(self, budget: Budget):
        self.budget, self.used, self.count = budget, 0, 0

    def read(self, sub: Submission, entry: Entry) -> Submission:
        b = self.budget
        if entry.problem:
            return replace(sub, problem=entry.problem)
        if entry.size > b.notebook:
            return replace(sub, problem=_too_big(entry.size, b.notebook, "declared "))
        if self.count >= b.notebooks or self.used + entry.size > b.total:
            return replace(sub, problem=f"not read: the class is over the grader's budget of "
                                        f"{b.notebooks} notebooks or {_mb(b.total)} in all")
        try:
            content = entry.read(b.notebook)
        except Exception as exc:  # any fault of a damaged archive entry is this entry's own
            return replace(sub, problem=f"cannot read it: {type(exc).__name__}: {exc}"[:300])
        self.count += 1
        self.used += len(content)
        if len(content) > b.notebook:
            return replace(sub, problem=_too_big(len(content), b.notebook, "at least "))
        return replace(sub, content=content)


def _too_big(size: int, cap: int, how: str) -> str:
    return f"too large: {how}{_mb(size)}, over the limit of {_mb(cap)} per notebook"


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def distinct(subs: list) -> list:
    """Each submission its own id: a later one of two that would share an id (also
    when they differ only in case, as on a case-insensitive file system) gets
    " (2)", " (3)"...; which one keeps the id depends only on where they came from."""
    taken = {_fold(s.student) for s in subs}
    seen, out = set(), []
    for sub in sorted(subs, key=lambda s: (_fold(s.student), s.origin)):
        if _fold(sub.student) in seen:
            number = 2
            while _fold(f"{sub.student} ({number})") in taken:
                number += 1
            sub = replace(sub, student=f"{sub.student} ({number})")
            taken.add(_fold(sub.student))
        seen.add(_fold(sub.student))
        out.append(sub)
    return out


def _fold(student: str) -> str:
    return unicodedata.normalize("NFC", student).casefold()

