"""A class's archive or folder is untrusted input: any entry name, any size, any
bytes. Every notebook found gets exactly one row under its own readable id, and
reading never holds more than the per-notebook cap."""
import os
import tracemalloc
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.submissions import Budget, Entry, Submission, _Reader, discover, distinct, readable
from rawzip import write_bomb, write_raw_zip

NB = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def fold(student):
    return unicodedata.normalize("NFC", student).casefold()


def assert_good_ids(subs):
    ids = [s.student for s in subs]
    assert len({fold(i) for i in ids}) == len(ids), ids  # distinct, also ignoring case
    for student in ids:
        assert student and student not in (".", "..") and not student.startswith(".")
        assert "/" not in student and "\\" not in student
        assert all(unicodedata.category(c)[0] != "C" for c in student), repr(student)


def rows_of(subs):
    """Each submission's origin and, for a folder of several, the files it lists."""
    return " | ".join(f"{s.origin} {s.problem}" for s in subs)


# -- names ----------------------------------------------------------------------------

@pytest.mark.parametrize("names,expected", [
    (["../evil.ipynb", "/abs.ipynb", "ok.ipynb"], ["abs", "evil", "ok"]),
    (["a.ipynb", "a/x.ipynb"], ["a", "a (2)"]),               # a file and a folder of one id
    (["A.ipynb", "a.ipynb"], ["A", "a (2)"]),                   # case-insensitive file systems
    (["b\x01.ipynb", "b\x02.ipynb"], ["b_", "b_ (2)"]),         # same id after cleaning
    (["C:\\Users\\x\\y.ipynb", "D:z.ipynb"], ["Users", "z"]),   # drive letters, backslashes
    (["..ipynb", ".ipynb", "...ipynb"], ["unnamed", "unnamed (2)", "unnamed (3)"]),
    (["a (2).ipynb", "a.ipynb", "a/b.ipynb"], ["a", "a (2)", "a (3)"]),  # a real "a (2)" wins
    (["x/\x00.ipynb"], ["x"]),                                  # zipfile cuts names at NUL
    (["\u202egnp.ipynb", "line\u2028break.ipynb"], ["_gnp", "line_break"]),
])
def test_odd_zip_names_get_safe_distinct_ids(tmp_path, names, expected):
    write_raw_zip(tmp_path / "c.zip", [(n.encode(), NB, True) for n in names])
    subs = discover(tmp_path / "c.zip")
    assert sorted(s.student for s in subs) == sorted(expected)
    assert_good_ids(subs)
    assert all(s.content == NB for s in subs)


def test_ids_are_stable_whatever_the_order_in_the_archive(tmp_path):
    names = ["a.ipynb", "a/x.ipynb", "A.ipynb", "b\x01.ipynb", "b\x02.ipynb", "../a.ipynb"]
    entries = [(n.encode(), n.encode(), False) for n in names]
    write_raw_zip(tmp_path / "one.zip", entries)
    write_raw_zip(tmp_path / "two.zip", entries[::-1])
    ids = [{s.content: s.student for s in discover(tmp_path / f"{z}.zip")} for z in ("one", "two")]
    assert ids[0] == ids[1] and len(ids[0]) == len(names)


def test_names_in_any_encoding(tmp_path):
    write_raw_zip(tmp_path / "c.zip", [
        (b"flagged\xff\xfe.ipynb", NB, True),     # flagged UTF-8, but is not: zipfile refuses the zip
        (b"caf\xc3\xa9.ipynb", NB, False),        # UTF-8 without the flag
        (b"M\x81ller.ipynb", NB, False),          # the historical cp437
    ])
    assert sorted(s.student for s in discover(tmp_path / "c.zip")) == \
        ["Müller", "café", "flagged\ufffd\ufffd"]


def test_folder_names_that_are_not_utf8(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for raw in (b"caf\xe9.ipynb", b"caf\xe8.ipynb", b"caf\xc3\xa9.ipynb"):
        Path(os.path.join(os.fsencode(folder), raw).decode("utf-8", "surrogateescape")).write_bytes(NB)
    subs = discover(folder)
    assert sorted(s.student for s in subs) == ["café", "caf\ufffd", "caf\ufffd (2)"]
    assert_good_ids(subs)


@pytest.mark.parametrize("student", ["", ".", "..", "/", "\x00", " . ", "\u200b", "x" * 500])
def test_readable_is_never_empty_or_a_path(student):
    got = readable(student)
    assert got and got not in (".", "..", "/") and len(got) <= 120 and "/" not in got


raw_names = st.lists(
    st.tuples(st.binary(min_size=0, max_size=40).map(lambda b: b + b".ipynb"), st.booleans()),
    min_size=1, max_size=12)


def visible(name: bytes) -> bool:
    """Not an editor's or archiver's copy (those are skipped by design)."""
    parts = [p for p in name.replace(b"\\", b"/").split(b"/") if p not in (b"", b".", b"..")]
    return (not name.endswith(b"/") and parts and not parts[-1].startswith(b"._")
            and not any(p == b"__MACOSX" or p.startswith(b".") for p in parts[:-1]))


@FAST
@given(raw_names)
def test_any_zip_entry_names(tmp_path, names):
    path = tmp_path / "c.zip"
    write_raw_zip(path, [(name, b"%d" % i, utf8) for i, (name, utf8) in enumerate(names)])
    wanted = [i for i, (name, _) in enumerate(names) if visible(name)]
    try:
        subs = discover(path)
    except Exception as exc:  # only "no notebooks" may stop the run, never a traceback
        assert not wanted and "no notebooks" in str(exc), exc
        return
    assert_good_ids(subs)
    read = {s.content for s in subs if s.content is not None}
    several = sum(s.problem.count(".ipynb") for s in subs if s.content is None)
    for i in wanted:  # each visible notebook was read into its own row, or is listed in one
        assert b"%d" % i in read or several, (names[i], rows_of(subs))
    assert len(read) + several >= len(wanted)


folder_names = st.lists(st.binary(min_size=1, max_size=30).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..")), min_size=1, max_size=3)


@FAST
@given(st.lists(folder_names, min_size=1, max_size=8))
def test_any_file_names_in_a_folder(tmp_path_factory, paths):
    root = tmp_path_factory.mktemp("class")
    made = set()
    for i, parts in enumerate(paths):
        parts = parts[:-1] + [parts[-1][:200] + b".ipynb"]
        full = os.path.join(os.fsencode(root), *parts)
        try:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "xb") as f:
                f.write(b"%d" % i)
            made.add(i)
        except OSError:  # the name clashes with one made before (a file where a folder goes)
            continue
    subs = discover(root)
    assert_good_ids(subs)
    read = {s.content for s in subs if s.content is not None}
    listed = rows_of(subs)
    for i in made:
        if visible(b"/".join(paths[i])):
            assert b"%d" % i in read or "several" in listed


# -- sizes -----------------------------------------------------------------------------

def test_a_zip_bomb_is_refused_by_its_declared_size_without_reading(tmp_path):
    path = tmp_path / "bomb.zip"
    write_bomb(path, "big.ipynb", 2 * 2**30, extra=[("ok.ipynb", NB)])
    assert path.stat().st_size < 20 * 2**20
    tracemalloc.start()
    try:
        subs = {s.student: s for s in discover(path)}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20, peak
    assert subs["big"].content is None and "too large: declared 2048.0 MB" in subs["big"].problem
    assert subs["ok"].content == NB


def test_a_lying_declared_size_reads_no_more_than_declared(tmp_path):
    """An entry that inflates past its declared size is cut there and fails its
    checksum: a row of its own, and the memory of the declared size only."""
    import struct
    import zlib
    data = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = data.compress(bytes(64 * 2**20)) + data.flush()
    name = b"liar.ipynb"
    header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(body), 100,
                         len(name), 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, len(body), 100,
                          len(name), 0, 0, 0, 0, 0, 0)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name),
                      len(header) + len(name) + len(body), 0)
    (tmp_path / "c.zip").write_bytes(header + name + body + central + name + end)
    tracemalloc.start()
    try:
        [sub] = discover(tmp_path / "c.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sub.content is None and "cannot read it" in sub.problem and "CRC" in sub.problem
    assert peak < 2**20, peak


def test_a_huge_file_in_a_folder_is_never_read_whole(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    with open(folder / "huge.ipynb", "wb") as f:
        f.truncate(3 * 2**30)  # sparse: costs no disk
    (folder / "ok.ipynb").write_bytes(NB)
    tracemalloc.start()
    try:
        subs = {s.student: s for s in discover(folder)}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20 and "too large" in subs["huge"].problem and subs["ok"].content == NB


def test_the_bytes_read_are_capped_even_when_the_size_lies():
    """A file that grows after it was listed: the read stops one byte past the cap."""
    asked = []

    def read(cap):
        asked.append(cap)
        return bytes(cap + 1)

    sub = _Reader(Budget(notebook=1000)).read(Submission("s", "o", None), Entry(("s.ipynb",), "s", 10, read))
    assert asked == [1000] and sub.content is None and "at least" in sub.problem


def test_class_budget_gives_every_refused_notebook_its_row(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(7):
        (folder / f"s{i}.ipynb").write_bytes(NB)
    subs = discover(folder, Budget(notebooks=3))
    assert len(subs) == 7
    assert sum(s.content is not None for s in subs) == 3
    assert all("budget" in s.problem for s in subs if s.content is None)
    subs = discover(folder, Budget(total=len(NB) * 2))
    assert len(subs) == 7 and sum(s.content is not None for s in subs) == 2


def test_an_archive_listing_too_many_entries_is_a_usage_error(tmp_path):
    from grader.errors import UsageError
    write_raw_zip(tmp_path / "c.zip", [(b"%d.ipynb" % i, NB, False) for i in range(30)])
    with pytest.raises(UsageError, match="entries"):
        discover(tmp_path / "c.zip", Budget(entries=20))
    assert len(discover(tmp_path / "c.zip", Budget(entries=30))) == 30


def test_links_fifos_and_unreadable_files_get_rows_and_are_not_followed(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("tutor's file")
    (folder / "link.ipynb").symlink_to(secret)
    os.mkfifo(folder / "pipe.ipynb")  # reading it would block the grader forever
    (folder / "ok.ipynb").write_bytes(NB)
    subs = {s.student: s for s in discover(folder)}
    assert subs["link"].content is None and "symbolic link" in subs["link"].problem
    assert subs["pipe"].content is None and "not a regular file" in subs["pipe"].problem
    assert subs["ok"].content == NB


def test_a_damaged_entry_is_its_own_row(tmp_path):
    path = tmp_path / "c.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bad.ipynb", NB * 100)
        zf.writestr("ok.ipynb", NB)
    data = bytearray(path.read_bytes())
    at = data.index(b"bad.ipynb") + len("bad.ipynb") + 4
    data[at:at + 8] = b"\xff" * 8  # corrupt the deflated stream
    path.write_bytes(bytes(data))
    subs = {s.student: s for s in discover(path)}
    assert subs["bad"].content is None and "cannot read it" in subs["bad"].problem
    assert subs["ok"].content == NB


def test_distinct_never_merges_and_never_renames_a_unique_id():
    subs = [Submission(i, o, b"") for i, o in
            [("a", "1"), ("a", "2"), ("a (2)", "3"), ("A", "4"), ("b", "5")]]
    got = {s.origin: s.student for s in distinct(subs)}
    assert got["3"] == "a (2)" and got["5"] == "b"
    assert len({fold(s) for s in got.values()}) == 5


@pytest.fixture(scope="module")
def valid_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("zip") / "c.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("a.ipynb", "b/c.ipynb", "d\u00e9.ipynb"):
            zf.writestr(name, NB * 3)
    return path.read_bytes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=0), st.integers(0, 255)),
                min_size=1, max_size=8))
def test_damaged_archives_give_rows_or_one_usage_error(tmp_path, valid_zip, changes):
    """Bytes changed anywhere, mostly in the headers and directory at the end."""
    from grader.errors import UsageError
    data = bytearray(valid_zip)
    for in_directory, at, byte in changes:
        data[-1 - at % 260 if in_directory else at % len(data)] = byte
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(data))
    try:
        subs = discover(path)
    except UsageError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert_good_ids(subs)
