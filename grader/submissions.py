"""Find the submissions under PATH: a folder, a single notebook or a .zip of either.

Student ids are the notebook's file stem (notebooks directly inside the
folder) or the name of the student's sub-folder, exactly as given. Nothing
is extracted or written: zip members are read into memory.
"""
from __future__ import annotations

import hashlib
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import UsageError


@dataclass(frozen=True)
class Submission:
    student: str
    origin: str            # where it came from, for messages
    content: bytes | None  # None when ``problem`` says why there is nothing to read
    problem: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content or self.problem.encode()).hexdigest()


def discover(path: str | Path) -> list[Submission]:
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist: give a folder of notebooks, a notebook or a .zip")
    try:
        if path.is_file() and path.suffix == ".zip":
            found = _from_zip(path)
        elif path.is_file():
            found = [Submission(path.stem, str(path), path.read_bytes())]
        else:
            found = _from_entries({p.relative_to(path).as_posix(): p for p in path.rglob("*")
                                   if p.is_file()}, lambda p: p.read_bytes(), str(path))
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not found:
        raise UsageError(f"no notebooks (*.ipynb) found in {path}: put one notebook per student "
                         "directly inside, or one sub-folder per student")
    return sorted(found, key=lambda s: s.student)


def _from_zip(path: Path) -> list[Submission]:
    with zipfile.ZipFile(path) as archive:
        names = {i.filename: i for i in archive.infolist() if not i.is_dir()}
        names = _strip_common_folder(names)
        return _from_entries(names, archive.read, str(path))


def _strip_common_folder(entries: dict) -> dict:
    """LMS downloads often wrap everything in one folder; look inside it."""
    tops = {PurePosixPath(name).parts[0] for name in entries}
    if len(tops) == 1 and all(len(PurePosixPath(n).parts) > 2 for n in entries):
        return {PurePosixPath(*PurePosixPath(n).parts[1:]).as_posix(): v for n, v in entries.items()}
    return entries


def _from_entries(entries: dict, read, root: str) -> list[Submission]:
    notebooks = {name: v for name, v in entries.items()
                 if name.endswith(".ipynb") and not _hidden(name)}
    out, folders = [], defaultdict(list)
    for name, handle in notebooks.items():
        parts = PurePosixPath(name).parts
        if len(parts) == 1:
            out.append(Submission(PurePosixPath(name).stem, f"{root}/{name}", read(handle)))
        else:
            folders[parts[0]].append((name, handle))
    for student, items in folders.items():
        if len(items) == 1:
            name, handle = items[0]
            out.append(Submission(student, f"{root}/{name}", read(handle)))
        else:
            listed = ", ".join(sorted(n for n, _ in items))
            out.append(Submission(student, f"{root}/{student}", None,
                                  f"several notebooks in one student's folder ({listed})"))
    return out


def _hidden(name: str) -> bool:
    return any(part.startswith((".", "__MACOSX")) for part in PurePosixPath(name).parts)
