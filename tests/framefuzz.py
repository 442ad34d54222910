"""Worker conversations for fuzzing the protocol: a valid one, and mutations of it.

A frame is kept as its JSON tree (arrays as their {"$nd", "dtype", "shape"}
references) and its array blobs, so that a mutation can reach any key or
value, array references included, before the bytes are put together.
"""
import copy
import json
import random
import struct

from grader.harness import wire

DEEP = [1]
for _ in range(60):
    DEEP = [DEEP]
JUNK = [None, True, -1, 0, 2 ** 31, 10 ** 30, -10 ** 400, 1e308, float("nan"), float("inf"),
        "", "x" * 5_000, [], {}, DEEP, {"$nd": 0, "dtype": "O", "shape": [1]},
        {"$nd": 99, "dtype": "<f8", "shape": [1]}, {"$object": {"nested": [1, 2]}}, {"ok": True},
        {"index": "0"}, ["where", {"a": 1}]]
DTYPES = ["O", "<U4", "V8", "M8[s]", "m8[s]", "S3", "|b1", ">f8", "<c16", "float128", "f2",
          "[('a', '<f8')]", "(2,)f8", 7, None, ["<f8"]]
SHAPES = [[-1], [2 ** 40, 2 ** 40], [0, 2 ** 62], [1] * 65, "3", [1.5], None, [[2]], [3, 3]]
EVENTS = ["grad", "Done", "results ", "", "executed\x00", "limit", "cell"]


def conversation(cells: int, plan: list, expected: list) -> list:
    """The frames a worker sends for a run whose checks all return ``expected``."""
    frames = [{"event": "cell", "index": i} for i in range(cells)]
    frames.append({"event": "executed", "output": "",
                   "cells": [{"index": i, "error": None} for i in range(cells)]})
    k = 0
    while k < len(plan):
        name, results = plan[k][0], {}
        while k < len(plan) and plan[k][0] == name:
            results[str(k)] = expected[k]
            k += 1
        frames.append({"event": "results", "check": name, "results": results})
    frames.append({"event": "done"})
    return [parts(wire.encode(f)) for f in frames]


def parts(frame: bytes):
    """(JSON tree, blobs) of a frame encoded by ``wire``."""
    body, pos, chunks = frame[12:], 0, []
    while pos < len(body):
        (n,) = struct.unpack_from(">Q", body, pos)
        chunks.append(body[pos + 8:pos + 8 + n])
        pos += 8 + n
    return json.loads(chunks[0]), chunks[1:]


def assemble(tree, blobs) -> bytes:
    header = json.dumps(tree, separators=(",", ":")).encode()
    body = b"".join([struct.pack(">Q", len(header)), header] +
                    [struct.pack(">Q", len(b)) + b for b in blobs])
    return wire.MAGIC + struct.pack(">Q", len(body)) + body


def stream(frames) -> bytes:
    return b"".join(assemble(t, b) for t, b in frames)


# -- mutations: (frames, rnd) -> bytes ---------------------------------------------

def _paths(tree):
    """Every (container, key) in the tree, the root's keys included."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield tree, key
            yield from _paths(value)
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield tree, i
            yield from _paths(value)


def _pick(frames, rnd, where=lambda container, key: True):
    """A random (container, key) of a random frame, or None."""
    for _ in range(20):
        tree = rnd.choice(frames)[0]
        places = [p for p in _paths(tree) if where(*p)]
        if places:
            return rnd.choice(places)
    return None


def drop_key(frames, rnd):
    place = _pick(frames, rnd, lambda c, k: isinstance(c, dict))
    if place:
        del place[0][place[1]]
    return stream(frames)


def retype(frames, rnd):
    place = _pick(frames, rnd)
    if place:
        place[0][place[1]] = copy.deepcopy(rnd.choice(JUNK))
    return stream(frames)


def add_key(frames, rnd):
    place = _pick(frames, rnd, lambda c, k: isinstance(c[k], dict))
    if place:
        key = rnd.choice(["extra", "$nd", "index", "ok", "__class__"])
        place[0][place[1]][key] = copy.deepcopy(rnd.choice(JUNK))
    return stream(frames)


def bad_array(frames, rnd):
    place = _pick(frames, rnd, lambda c, k: isinstance(c[k], dict) and "$nd" in c[k])
    if place:
        ref = place[0][place[1]]
        field = rnd.choice(["dtype", "shape", "$nd"])
        choices = {"dtype": DTYPES, "shape": SHAPES, "$nd": [-1, 10 ** 6, "0", 0.0]}
        ref[field] = rnd.choice(choices[field])
    return stream(frames)


def unknown_event(frames, rnd):
    tree = rnd.choice(frames)[0]
    tree["event"] = rnd.choice(EVENTS + JUNK[:6])
    return stream(frames)


def reorder(frames, rnd):
    i, j = rnd.randrange(len(frames)), rnd.randrange(len(frames))
    frames[i], frames[j] = frames[j], frames[i]
    if rnd.random() < 0.5:
        frames.insert(rnd.randrange(len(frames)), rnd.choice(frames))  # a frame sent twice
    return stream(frames)


def truncate(frames, rnd):
    data = stream(frames)
    return data[:rnd.randrange(len(data))]


def flip_bytes(frames, rnd):
    data = bytearray(stream(frames))
    for _ in range(rnd.randint(1, 8)):
        data[rnd.randrange(len(data))] = rnd.randrange(256)
    return bytes(data)


def lying_length(frames, rnd):
    data = bytearray(stream(frames))
    data[4:12] = struct.pack(">Q", rnd.choice([0, 1, 2 ** 24, 2 ** 63, len(data) + 1]))
    return bytes(data)


MUTATIONS = [drop_key, retype, add_key, bad_array, unknown_event, reorder, truncate, flip_bytes,
             lying_length]


def mutated(frames, rnd: random.Random) -> bytes:
    """The conversation with one to three mutations (the last may be on the bytes)."""
    frames = [(copy.deepcopy(tree), blobs) for tree, blobs in frames]
    for _ in range(rnd.randint(0, 2)):
        rnd.choice(MUTATIONS[:6])(frames, rnd)
    return rnd.choice(MUTATIONS)(frames, rnd)
