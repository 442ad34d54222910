"""Write .zip archives with entry names as raw bytes and any flags, as a hostile
or old archiver would (zipfile itself always writes valid names)."""
import struct
import zlib
import zipfile


def write_raw_zip(path, entries) -> None:
    """``entries``: (name bytes, data bytes, UTF-8 flag) each, stored uncompressed."""
    local, central = bytearray(), bytearray()
    for name, data, utf8 in entries:
        flags, crc = (1 << 11) if utf8 else 0, zlib.crc32(data)
        offset = len(local)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 0, 0, 0, crc, len(data),
                             len(data), len(name), 0) + name + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 0, 0, 0, crc,
                               len(data), len(data), len(name), 0, 0, 0, 0, 0, offset) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central),
                      len(local), 0)
    with open(path, "wb") as f:
        f.write(bytes(local) + bytes(central) + end)


def write_bomb(path, name: str, size: int, extra=()) -> None:
    """One entry of ``size`` zero bytes, deflated as it is written (the archive is
    about size / 1000 bytes and never held in memory), then ``extra`` (name, bytes)."""
    chunk = bytes(2**20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(name, "w", force_zip64=True) as f:
            for _ in range(size // len(chunk)):
                f.write(chunk)
        for extra_name, data in extra:
            zf.writestr(extra_name, data)
