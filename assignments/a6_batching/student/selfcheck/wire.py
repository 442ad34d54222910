"""Plain data with numpy arrays, to bytes and back, without pickle.

A frame is ``MAGIC, 8-byte length, JSON header, array blobs``. Arrays in
the data are replaced by ``{"$nd": i, "dtype": ..., "shape": ...}`` in the
JSON and their raw bytes stored as blobs; only plain numeric dtypes are
accepted back, so decoding untrusted bytes can only give dicts, lists,
strings, numbers, booleans, None and numeric arrays (never pickle).
"""
from __future__ import annotations

import functools
import json
import math
import struct

import numpy as np

MAGIC = b"OGW2"
NUMERIC_KINDS = "biufc"  # bool, int, unsigned, float, complex
MAX_DIMS = 64  # numpy's own limit; also keeps the size check below cheap
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
        chunks.append(view[pos + 8:pos + 8 + n])
        if len(chunks[-1]) != n:
            raise WireError("truncated frame")
        pos += 8 + n
    if not chunks:
        raise WireError("empty frame")
    blobs = chunks[1:]
    try:
        # The hook turns array references into arrays as the parser meets them.
        return json.loads(bytes(chunks[0]), object_hook=lambda d: _restore(d, blobs))
    except ValueError as exc:
        if isinstance(exc, WireError):
            raise
        raise WireError(f"undecodable frame: {exc}") from None


def read_frame(stream, limit: int) -> bytes:
    """Read one frame from a binary stream; EOFError at end, WireError past ``limit`` bytes."""
    head = _read_exactly(stream, _HEAD.size)
    return head + _read_exactly(stream, _body_size(head, limit))


def split_frame(buffer: bytearray, limit: int) -> bytes | None:
    """Take the first whole frame off the front of ``buffer``; None while it is incomplete."""
    if len(buffer) < _HEAD.size:
        return None
    end = _HEAD.size + _body_size(buffer, limit)
    if len(buffer) < end:
        return None
    frame = bytes(buffer[:end])
    del buffer[:end]
    return frame


def _body_size(head, limit: int) -> int:
    magic, size = _HEAD.unpack_from(head)
    if magic != MAGIC:
        raise WireError("not a frame of this protocol")
    if size > limit:
        raise WireError(f"returned data of {size} bytes exceeds the limit of {limit} bytes")
    return size


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
        if arr.dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"arrays of dtype {arr.dtype} cannot be sent")
        blobs.append(np.ascontiguousarray(arr).tobytes())
        return {"$nd": len(blobs) - 1, "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if isinstance(value, dict):
        return {str(k): _flatten(v, blobs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, blobs) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise WireError(f"cannot send a value of type {type(value).__name__}")


def _restore(tree: dict, blobs):
    if len(tree) == 3 and tree.keys() == {"$nd", "dtype", "shape"}:
        return _array(tree, blobs)
    return tree


def _array(ref, blobs) -> np.ndarray:
    index, shape = ref["$nd"], ref["shape"]
    if type(index) is not int or not 0 <= index < len(blobs):
        raise WireError("bad array reference")
    if not isinstance(shape, list) or len(shape) > MAX_DIMS \
            or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("bad array shape")
    if not isinstance(ref["dtype"], str):
        raise WireError("bad array dtype")
    dtype = _dtype(ref["dtype"])
    blob = blobs[index]
    if len(blob) != dtype.itemsize * math.prod(shape):
        raise WireError("array data does not match its shape")
    return np.frombuffer(blob, dtype=dtype).reshape(shape).copy()


@functools.lru_cache(maxsize=64)
def _dtype(name) -> np.dtype:
    """A plain numeric dtype from its name; WireError for anything else."""
    try:
        dtype = np.dtype(name)
    except (TypeError, ValueError):
        raise WireError("bad array dtype") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"arrays of dtype {dtype} are not accepted")
    return dtype
