"""Plain data with numpy arrays, to bytes and back, without pickle.

A frame is ``MAGIC, 8-byte length, JSON header, npy blobs``. Arrays in the
data are replaced by ``{"$nd": i}`` in the JSON and stored as ``.npy`` blobs
read back with ``allow_pickle=False``, so decoding untrusted bytes can only
give dicts, lists, strings, numbers, booleans, None and numeric arrays.
"""
from __future__ import annotations

import io
import json
import struct

import numpy as np

MAGIC = b"OGW1"
_HEAD = struct.Struct(">4sQ")


class WireError(ValueError):
    """Bytes that are not a valid frame, or data that cannot be framed."""


def encode(data) -> bytes:
    blobs: list[bytes] = []
    header = json.dumps(_flatten(data, blobs), allow_nan=True, separators=(",", ":")).encode()
    parts = [struct.pack(">Q", len(header)), header]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    body = b"".join(parts)
    return _HEAD.pack(MAGIC, len(body)) + body


def decode(frame: bytes):
    if len(frame) < _HEAD.size:
        raise WireError("frame too short")
    magic, size = _HEAD.unpack_from(frame)
    if magic != MAGIC or size != len(frame) - _HEAD.size:
        raise WireError("not a frame of this protocol")
    view, pos, chunks = memoryview(frame)[_HEAD.size:], 0, []
    while pos < len(view):
        if pos + 8 > len(view):
            raise WireError("truncated frame")
        (n,) = struct.unpack_from(">Q", view, pos)
        chunks.append(bytes(view[pos + 8:pos + 8 + n]))
        if len(chunks[-1]) != n:
            raise WireError("truncated frame")
        pos += 8 + n
    if not chunks:
        raise WireError("empty frame")
    try:
        tree = json.loads(chunks[0])
        arrays = [np.load(io.BytesIO(b), allow_pickle=False) for b in chunks[1:]]
    except (ValueError, OSError, EOFError) as exc:
        raise WireError(f"undecodable frame: {exc}") from None
    return _restore(tree, arrays)


def read_frame(stream, limit: int) -> bytes:
    """Read one frame from a binary stream; EOFError at end, WireError past ``limit`` bytes."""
    head = _read_exactly(stream, _HEAD.size)
    magic, size = _HEAD.unpack(head)
    if magic != MAGIC:
        raise WireError("not a frame of this protocol")
    if size > limit:
        raise WireError(f"returned data of {size} bytes exceeds the limit of {limit} bytes")
    return head + _read_exactly(stream, size)


def _read_exactly(stream, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise EOFError("stream ended")
        buf += chunk
    return bytes(buf)


def _flatten(value, blobs):
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype == object:
            raise WireError("object arrays cannot be sent")
        out = io.BytesIO()
        np.save(out, arr, allow_pickle=False)
        blobs.append(out.getvalue())
        return {"$nd": len(blobs) - 1}
    if isinstance(value, dict):
        return {str(k): _flatten(v, blobs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, blobs) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise WireError(f"cannot send a value of type {type(value).__name__}")


def _restore(tree, arrays):
    if isinstance(tree, dict):
        if set(tree) == {"$nd"}:
            index = tree["$nd"]
            if not isinstance(index, int) or not 0 <= index < len(arrays):
                raise WireError("bad array reference")
            return arrays[index]
        return {k: _restore(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_restore(v, arrays) for v in tree]
    return tree
