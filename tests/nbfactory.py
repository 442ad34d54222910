"""Build submission notebooks for tests."""
import json
import struct
from pathlib import Path

import nbformat

CORRECT_A7 = '''import numpy as np

def sgd_update(theta, g, lr):
    return theta - lr * g

def momentum_update(theta, g, v, lr, alpha):
    v = alpha * v - lr * g
    return theta + v, v

def nesterov_update(theta, grad_fn, v, lr, alpha):
    v = alpha * v - lr * grad_fn(theta + alpha * v)
    return theta + v, v

def adagrad_update(theta, g, r, lr, delta=1e-7):
    r = r + g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r

def rmsprop_update(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r

def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat, r_hat = s / (1 - rho1 ** t), r / (1 - rho2 ** t)
    return theta - lr * s_hat / (delta + np.sqrt(r_hat)), s, r

def adamw_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8, weight_decay=0.01):
    return adam_update(theta - lr * weight_decay * theta, g, s, r, t, lr, rho1, rho2, delta)
'''


def forged_bytes(data: bytes) -> str:
    """Code that writes ``data`` to every file descriptor above 2 it has open, as a
    notebook forging the harness's messages would."""
    return f'''
import os
data = {data!r}
for fd in map(int, os.listdir("/proc/self/fd")):
    if fd > 2:
        try:
            os.write(fd, data)
        except OSError:
            pass
'''


def forged_frame(message: dict) -> str:
    """Code that writes ``message`` as a protocol frame (JSON only) to every file
    descriptor above 2 it has open."""
    header = json.dumps(message).encode()
    body = struct.pack(">Q", len(header)) + header
    return forged_bytes(b"OGW2" + struct.pack(">Q", len(body)) + body)


def notebook(*cells, assignment="a7_optimizers", markdown=()):
    nb = nbformat.v4.new_notebook()
    nb.metadata["grader"] = {"assignment": assignment, "version": "1"}
    nb.cells = [nbformat.v4.new_markdown_cell(m) for m in markdown] + \
               [nbformat.v4.new_code_cell(c) for c in cells]
    return nb


def write(folder: Path, student: str, nb_or_bytes) -> Path:
    path = Path(folder) / f"{student}.ipynb"
    if isinstance(nb_or_bytes, bytes):
        path.write_bytes(nb_or_bytes)
    else:
        nbformat.write(nb_or_bytes, path)
    return path


def old_nbformat_v3(code: str) -> bytes:
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
                       "worksheets": [{"cells": [{"cell_type": "code", "input": code,
                                                  "language": "python", "outputs": [],
                                                  "metadata": {}}], "metadata": {}}]}).encode()
