"""The names that LMS bulk downloads give submissions, and the identity they carry.

Canvas ("Download Submissions" of an assignment; Instructure's guide "How do I
download all student submissions for an assignment?") names each file
``lastfirst_USERID_ATTACHMENTID_original.ext``: the student's sort name
lower-cased without spaces or punctuation, ``_LATE`` after it when the
submission was late (``doejane_LATE_12345_67890_a7.ipynb``), the Canvas user id,
the id of the submitted file, then the student's own file name, to which Canvas
adds ``-1``, ``-2``... before the extension when a file of that name was
uploaded before. The ids come first, so a file name of any shape parses.

Moodle (mod/assign, ``download_submissions`` in ``mod/assign/locallib.php``)
builds ``str_replace('_', ' ', fullname) . '_' . uniqueid`` (so the name holds no
underscore), then ``_assignsubmission_file_``: one folder per submission with
the files inside when "download submissions in folders" is on (the default
since Moodle 3.1; newer versions drop the trailing underscore), else that
prefix glued to each file's name. The number is the participant id of the
offline grading worksheet's ``Participant N`` identifier, not the user id.
"""
from __future__ import annotations

import re

_CANVAS = re.compile(r"(?P<name>[^_]+)(?P<late>_LATE)?_(?P<user>\d+)_(?P<file>\d+)_(?P<original>.+)",
                     re.S)
_MOODLE_FOLDER = re.compile(r"(?P<name>[^_]+)_(?P<participant>\d+)_assignsubmission_file_?", re.S)
_MOODLE_FILE = re.compile(r"(?P<name>[^_]+)_(?P<participant>\d+)_assignsubmission_file_(?P<original>.+)",
                          re.S)


def canvas(file_name: str) -> dict | None:
    m = _CANVAS.fullmatch(file_name)
    if not m:
        return None
    return identity("canvas", m["name"], user_id=m["user"], submission_id=m["file"],
                    late=bool(m["late"]))


def moodle(folder_or_file: str, in_folder: bool) -> dict | None:
    m = (_MOODLE_FOLDER if in_folder else _MOODLE_FILE).fullmatch(folder_or_file)
    if not m:
        return None
    return identity("moodle", m["name"].strip(), participant=m["participant"])


def identity(system, name, user_id=None, submission_id=None, participant=None, late=False) -> dict:
    """``Record.lms``: the same keys for every system, None where it has no such id."""
    return {"system": system, "user_id": user_id, "submission_id": submission_id,
            "participant": participant, "name": name, "late": late}


def key(lms: dict) -> tuple:
    """What makes two files one submission: the same person in the same LMS."""
    return (lms["system"], lms["user_id"] or lms["participant"])


def student_id(lms: dict) -> str:
    """Readable and stable across downloads: the name and the LMS's own number
    (never the file id, which changes with each upload)."""
    return f"{lms['name']}_{lms['user_id'] or lms['participant']}"

