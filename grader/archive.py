"""Open an untrusted .zip: bounded directory, names in any encoding, capped reads.

``zipfile`` parses the whole central directory up front and refuses the whole
archive when one entry flagged UTF-8 is not; here the directory's declared size
is checked first, and such entries are read as bytes (their flag masked), so
every entry keeps a name.
"""
from __future__ import annotations

import bisect
import io
import struct
import zipfile
from contextlib import contextmanager

from grader.errors import UsageError

UTF8_FLAG = 1 << 11
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # zipfile's structCentralDir
MAX_DIRECTORY_BYTES = 8 * 2**20  # ~180,000 entries at the least; a class needs far less


@contextmanager
def open_zip(path, max_entries: int):
    """Yields (ZipFile, offsets of entries whose name was flagged UTF-8 and is not)."""
    with open(path, "rb") as raw:
        end = zipfile._EndRecData(raw)  # the end record, as zipfile itself finds it
        if not end:
            raise zipfile.BadZipFile("File is not a zip file")
        entries, size = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
        if entries > max_entries or size > MAX_DIRECTORY_BYTES:
            raise UsageError(f"{path} lists {entries} entries in {size} bytes of directory, "
                             f"more than {max_entries} entries or {MAX_DIRECTORY_BYTES} bytes: "
                             "not a class download; unpack the part to grade")
        try:
            archive, bad = _open(raw, end)
        except (NotImplementedError, ValueError, OverflowError, struct.error, EOFError) as exc:
            raise zipfile.BadZipFile(f"{type(exc).__name__}: {exc}") from None  # a damaged directory
        with archive:
            yield archive, bad


def _open(raw, end) -> tuple:
    try:
        return zipfile.ZipFile(raw), set()
    except UnicodeDecodeError:
        raw.seek(0)
        patches, bad = _mask_bad_utf8(raw, end)
        return zipfile.ZipFile(_Patched(raw, patches)), bad


def entry_name(info: zipfile.ZipInfo, bad: set) -> str:
    """The entry's name as text: UTF-8 when flagged or when its bytes are UTF-8
    (many tools write UTF-8 without the flag), else the historical cp437;
    undecodable bytes of a flagged name become U+FFFD."""
    if info.flag_bits & UTF8_FLAG:
        return info.orig_filename
    raw = info.orig_filename.encode("cp437")  # zipfile decoded these bytes as cp437
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace") if info.header_offset in bad else info.orig_filename


def read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """At most cap + 1 bytes, decompressed as they are read (a longer result means too big)."""
    with archive.open(info) as f:
        return read_upto(f, cap)


def read_upto(f, cap: int, chunk: int = 2**16) -> bytes:
    """At most cap + 1 bytes of ``f``, in small reads: a decompressor asked for
    the whole cap at once may inflate that much whatever the entry declares."""
    out = bytearray()
    while len(out) <= cap:
        data = f.read(min(chunk, cap + 1 - len(out)))
        if not data:
            break
        out += data
    return bytes(out)


def _mask_bad_utf8(raw, end) -> tuple[dict, set]:
    """Patches clearing the UTF-8 flag, in the central and the local header, of
    each entry whose flagged name does not decode; and those entries' offsets."""
    size, offset = end[zipfile._ECD_SIZE], end[zipfile._ECD_OFFSET]
    concat = end[zipfile._ECD_LOCATION] - size - offset
    if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
        concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    start = offset + concat
    raw.seek(start)
    directory = raw.read(size)
    patches, bad, at = {}, set(), 0
    while at + _CENTRAL.size <= len(directory):
        fields = _CENTRAL.unpack_from(directory, at)
        flags, name_len = fields[5], fields[12]
        name = directory[at + _CENTRAL.size:at + _CENTRAL.size + name_len]
        if flags & UTF8_FLAG and not _is_utf8(name):
            local = fields[18] + concat
            patches[start + at + 8] = struct.pack("<H", flags & ~UTF8_FLAG)
            raw.seek(local + 6)
            local_flags = struct.unpack("<H", raw.read(2).ljust(2, b"\0"))[0]
            patches[local + 6] = struct.pack("<H", local_flags & ~UTF8_FLAG)
            bad.add(local)
        at += _CENTRAL.size + name_len + fields[13] + fields[14]
    raw.seek(0)
    return patches, bad


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


class _Patched(io.RawIOBase):
    """The archive's file with a few bytes replaced as they are read."""

    def __init__(self, raw, patches: dict):
        self.raw, self.patches = raw, patches
        self.offsets = sorted(patches)

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, pos, whence=0):
        return self.raw.seek(pos, whence)

    def tell(self):
        return self.raw.tell()

    def readinto(self, buffer):
        start = self.raw.tell()
        n = self.raw.readinto(buffer)
        first = bisect.bisect_left(self.offsets, start - 1)
        for offset in self.offsets[first:bisect.bisect_left(self.offsets, start + n)]:
            for i, byte in enumerate(self.patches[offset]):
                if start <= offset + i < start + n:
                    buffer[offset + i - start] = byte
        return n
