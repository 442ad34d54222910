"""The protocol's encoding: round trips, and refusal of anything but plain data."""
import io

import numpy as np
import pytest

from grader.harness import wire


def test_round_trip_keeps_values_dtypes_and_shapes():
    data = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": [1, 2.5, None, "x", True],
            "c": np.float64(3.0), "nested": {"z": np.zeros(0)}}
    back = wire.decode(wire.encode(data))
    assert back["a"].dtype == np.float32 and back["a"].shape == (2, 3)
    np.testing.assert_array_equal(back["a"], data["a"])
    assert back["b"] == [1, 2.5, None, "x", True]
    assert back["c"].shape == () and float(back["c"]) == 3.0


def test_encoding_is_deterministic():
    data = {"x": np.linspace(0, 1, 5), "y": [np.int64(3)]}
    assert wire.encode(data) == wire.encode(data)


@pytest.mark.parametrize("value", [object(), np.array([object()], dtype=object), {1, 2}])
def test_objects_are_refused(value):
    with pytest.raises(wire.WireError):
        wire.encode({"v": value})


def _frame(header: dict, *blobs: bytes) -> bytes:
    import json
    import struct
    parts = [json.dumps(header).encode(), *blobs]
    body = b"".join(struct.pack(">Q", len(p)) + p for p in parts)
    return wire.MAGIC + struct.pack(">Q", len(body)) + body


@pytest.mark.parametrize("dtype", ["|O", "|V8", "<U1", "[('a', '<f8')]", "nonsense"])
def test_only_numeric_arrays_are_accepted(dtype):
    import pickle
    payload = pickle.dumps({"evil": 1})[:8].ljust(8, b"\0")
    with pytest.raises(wire.WireError):
        wire.decode(_frame({"v": {"$nd": 0, "dtype": dtype, "shape": [1]}}, payload))


@pytest.mark.parametrize("ref", [{"$nd": 1, "dtype": "<f8", "shape": [1]},
                                 {"$nd": 0, "dtype": "<f8", "shape": [2]},
                                 {"$nd": 0, "dtype": "<f8", "shape": [-1]},
                                 {"$nd": "0", "dtype": "<f8", "shape": [1]}])
def test_bad_array_references_are_refused(ref):
    with pytest.raises(wire.WireError):
        wire.decode(_frame({"v": ref}, b"\0" * 8))


@pytest.mark.parametrize("junk", [b"", b"hello world", b"OGW1" + b"\xff" * 8, wire.MAGIC + b"\0" * 8])
def test_garbage_is_a_wire_error(junk):
    with pytest.raises(wire.WireError):
        wire.decode(junk)


def test_read_frame_enforces_the_size_limit():
    frame = wire.encode({"v": np.zeros(1000)})
    with pytest.raises(wire.WireError, match="exceeds the limit"):
        wire.read_frame(io.BytesIO(frame), limit=100)
    assert wire.read_frame(io.BytesIO(frame), limit=10 ** 6) == frame


def test_split_frame_takes_whole_frames_off_a_growing_buffer():
    one, two = wire.encode({"k": 1}), wire.encode({"v": np.arange(3.0)})
    data = one + two
    buffer = bytearray()
    frames = []
    for k in range(0, len(data), 7):  # as a pipe may deliver them: in pieces
        buffer += data[k:k + 7]
        while (frame := wire.split_frame(buffer, limit=10 ** 6)) is not None:
            frames.append(frame)
    assert frames == [one, two] and not buffer


@pytest.mark.parametrize("junk, match", [(b"OGW1" + b"\0" * 8, "not a frame"),
                                         (wire.encode({"v": np.zeros(1000)}), "exceeds the limit")])
def test_split_frame_refuses_foreign_or_oversized_frames(junk, match):
    with pytest.raises(wire.WireError, match=match):
        wire.split_frame(bytearray(junk), limit=100)


@pytest.mark.parametrize("dtype", [["<f8"], {"a": 1}, 8, None])
def test_a_dtype_that_is_not_a_name_is_refused(dtype):
    with pytest.raises(wire.WireError):
        wire.decode(_frame({"v": {"$nd": 0, "dtype": dtype, "shape": [1]}}, b"\0" * 8))


def test_decoded_arrays_are_writable_copies():
    back = wire.decode(wire.encode({"v": [np.arange(3.0)]}))["v"][0]
    back[0] = 7.0  # a student's function may write into its inputs
    assert back.flags.owndata and back[0] == 7.0


def test_a_shape_of_very_many_dimensions_is_refused_at_once():
    import time
    start = time.monotonic()
    with pytest.raises(wire.WireError, match="shape"):
        wire.decode(_frame({"v": {"$nd": 0, "dtype": "<f8", "shape": [3] * 2_000_000}}, b"\0" * 8))
    assert time.monotonic() - start < 5  # not a product of two million big integers
