"""An append-only journal of finished submissions (JSON lines in OUT/journal.jsonl).

Each record is written to the file as soon as its submission is done, so a
crash, Ctrl-C or kill -9 of the grader loses nothing finished (the data is
with the operating system; only a power cut could lose the last lines, which
``--resume`` then grades again); ``--resume``
reuses records whose content hash and versions still match. Reports are
always built from the journal, so a resumed run writes the same files.
Every record is cut to the caps of ``grader.bounds`` when written and when
read, so no line grows with what a notebook prints or sends. A line is JSON
(``Record.to_json``); one that is not a record (cut short by a kill, or edited)
is skipped, and its student graded again by ``--resume``.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from grader.bounds import bounded
from grader.record import BadRecord, Record

NAME = "journal.jsonl"
INTERNAL = "internal grader error"


class Journal:
    def __init__(self, out: Path, resume: bool):
        self.path = Path(out) / NAME
        self.records: dict = {}   # student -> Record
        self.skipped = 0          # lines that held no record
        if resume and self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    record = Record.from_json(bounded(json.loads(line)))
                except (BadRecord, ValueError, AttributeError, RecursionError):
                    self.skipped += 1  # e.g. a line cut short by a kill
                    continue
                self.records[record.student] = record
        elif self.path.exists():
            self.path.unlink()
        self._lock = threading.Lock()

    def reusable(self, student: str, key: dict) -> Record | None:
        """The student's record if its fields equal ``key``'s (and it is no fault of ours)."""
        record = self.records.get(student)
        if record and all(getattr(record, k) == v for k, v in key.items()) \
                and not record.reason.startswith(INTERNAL):
            return record
        return None  # a fault of ours is graded again, never reused

    def append(self, record: Record) -> Record:
        """Write ``record``; returns it as the journal holds it (as read back later)."""
        line = json.dumps(bounded(record.to_json()), sort_keys=True, default=_json_default) + "\n"
        stored = Record.from_json(json.loads(line))
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
            self.records[record.student] = stored
        return stored

    def latest(self) -> list:
        """The latest record of every student, sorted by student id."""
        return sorted(self.records.values(), key=lambda r: r.student)


def load(out: Path) -> list:
    """The latest record of every student in OUT's journal, sorted by student id."""
    return Journal(out, resume=True).latest()


def _json_default(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
