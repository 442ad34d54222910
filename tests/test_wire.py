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


def test_pickled_arrays_are_never_loaded():
    frame = bytearray(wire.encode({"v": np.zeros(2)}))
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    good = io.BytesIO()
    np.save(good, np.zeros(2))
    evil = bytes(frame).replace(good.getvalue(), buf.getvalue())
    import struct
    body = evil[12:]
    evil = wire.MAGIC + struct.pack(">Q", len(body)) + body
    with pytest.raises(wire.WireError):
        wire.decode(evil)


@pytest.mark.parametrize("junk", [b"", b"hello world", b"OGW1" + b"\xff" * 8, wire.MAGIC + b"\0" * 8])
def test_garbage_is_a_wire_error(junk):
    with pytest.raises(wire.WireError):
        wire.decode(junk)


def test_read_frame_enforces_the_size_limit():
    frame = wire.encode({"v": np.zeros(1000)})
    with pytest.raises(wire.WireError, match="exceeds the limit"):
        wire.read_frame(io.BytesIO(frame), limit=100)
    assert wire.read_frame(io.BytesIO(frame), limit=10 ** 6) == frame
