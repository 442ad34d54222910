"""Notebooks that try to fake a scored property earn no more than its honest mistake.

Rows per grad_fn call (A6) and unmodified inputs (A7) were once reported by
the student's own process. Each attack that beat them is graded here beside
a correct control and the honest mistake it hides (grad_fn given every row
at once; an in-place update), in one run, on the warm and the cold path, and
one of each on --kernel.
"""
import pytest

from grader.execute.launcher import bwrap_works
from grader.grade import grade
from grader.options import GradeOptions
from nbfactory import CORRECT_A7, notebook, write

pytestmark = pytest.mark.skipif(not bwrap_works(), reason="needs bubblewrap")

CORRECT_A6 = '''import numpy as np

def batch_size_for(mode, d, b=None):
    if mode == "batch":
        return d
    if mode == "sgd":
        return 1
    if b is None or not 1 < b < d:
        raise ValueError("need 1 < b < d")
    return b

def minibatch_indices(d, batch_size, rng=None, shuffle=True, drop_last=False):
    rng = rng if rng is not None else np.random.default_rng()
    order = rng.permutation(d) if shuffle else np.arange(d)
    stop = d - d % batch_size if drop_last else d
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]

def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    total = 0
    for i in range(0, len(X), micro_batch_size):
        Xc, yc = X[i:i + micro_batch_size], y[i:i + micro_batch_size]
        total = total + len(Xc) * grad_fn(theta, Xc, yc)
    return total / len(X)

def train_epoch(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        if micro_batch_size is None:
            g = grad_fn(theta, X[idx], y[idx])
        else:
            g = accumulated_gradient(grad_fn, theta, X[idx], y[idx], micro_batch_size)
        theta = theta - lr * g
    return theta
'''

# -- rows per grad_fn call (A6) --------------------------------------------------------

OVERSIZED = '''
def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    return grad_fn(theta, X, y)  # every row at once
'''

UNWRAP_CLOSURE = '''
def _inner(f, found, depth=0):
    for cell in getattr(f, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if callable(value) and depth < 6:
            found.append(value)
            _inner(value, found, depth + 1)
    return found

def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    for f in reversed(_inner(grad_fn, [])):  # the innermost first: the unrecorded gradient
        try:
            g = f(theta, X, y)
        except Exception:
            continue
        if np.shape(g) == np.shape(theta):
            return g
    return grad_fn(theta, X, y)
'''

LYING_LEN = '''
class _Short(np.ndarray):
    def __len__(self):
        return 1

def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    return grad_fn(theta, X.view(_Short), y.view(_Short))
'''

CLEAR_LOG = '''
import sys

def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    g = grad_fn(theta, X, y)
    frame = sys._getframe(1)
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            if name in ("log", "grad_rows") and isinstance(value, list):
                value.clear()
            if isinstance(value, dict) and isinstance(value.get("grad_rows"), list):
                value["grad_rows"].clear()
        frame = frame.f_back
    return g
'''

PATCH_MATERIALISE = '''
import sys

for _name, _module in list(sys.modules.items()):
    if _name.endswith("harness.programs"):
        def _materialise(value, *args, _original=_module._materialise, _module=_module, **kwargs):
            if isinstance(value, dict) and "$objective" in value:
                return _module.objective(value["$objective"])  # no proxy, nothing counted
            return _original(value, *args, **kwargs)
        _module._materialise = _materialise
'''

OWN_GRADIENT = '''
def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    z = X @ theta
    if set(np.unique(y)) <= {0.0, 1.0}:
        return X.T @ (1 / (1 + np.exp(-z)) - y) / len(y)
    return 2 * X.T @ (z - y) / len(y)
'''

GRAD_ATTACKS = {"unwrap-closure": UNWRAP_CLOSURE, "lying-len": LYING_LEN, "clear-log": CLEAR_LOG,
                "patch-materialise": PATCH_MATERIALISE, "own-gradient": OWN_GRADIENT}

# -- unmodified inputs (A7) ------------------------------------------------------------

IN_PLACE = '''
def sgd_update(theta, g, lr):
    theta -= lr * g
    return theta
'''

PATCH_CALL = IN_PLACE + '''
import sys

for _name, _module in list(sys.modules.items()):
    if _name.endswith("harness.programs"):
        def _call(fn, program, *args, _original=_module._call, **kwargs):
            before = [a.copy() if isinstance(a, np.ndarray) else None
                      for a in program.get("args", [])]
            result = _original(fn, program, *args, **kwargs)
            result["args_after"] = before  # the inputs as they were
            return result
        _module._call = _call
'''

FRAME_RESTORE = '''
import sys

def sgd_update(theta, g, lr):
    saved = theta.copy()
    theta -= lr * g
    out = theta.copy()
    frame = sys._getframe(1)
    while frame is not None:  # put the untouched input back where the harness keeps it
        args = frame.f_locals.get("args")
        if isinstance(args, list) and args and args[0] is theta:
            args[0] = saved
        frame = frame.f_back
    return out
'''

VIEW_DTYPE = '''
def sgd_update(theta, g, lr):
    new = (theta - lr * g).astype(theta.dtype)
    try:
        theta.flags.writeable = True
    except ValueError:
        pass
    theta.view(np.uint8)[...] = new.view(np.uint8)  # the input, reinterpreted, overwritten
    return theta.view(theta.dtype)
'''

INPUT_ATTACKS = {"patch-call": PATCH_CALL, "frame-restore": FRAME_RESTORE,
                 "view-dtype": VIEW_DTYPE}


def graded(tmp_path, assignment, control, notebooks, **options):
    folder = tmp_path / "subs"
    folder.mkdir()
    for student, code in {"control": control, **notebooks}.items():
        write(folder, student, notebook(code, assignment=assignment))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    _, records, _ = grade(folder, tmp_path / "out", GradeOptions(isolation="bwrap", **options))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    by_student = {r.student: r for r in records}
    assert by_student.keys() == {"control", *notebooks}
    return by_student


def failed(record):
    return {c.name: c.message for c in record.checks if not c.passed}


@pytest.mark.parametrize("path", [{}, {"warm": False}], ids=["warm", "cold"])
def test_no_attack_on_rows_per_call_beats_the_honest_oversized_call(tmp_path, path):
    attacks = {name: CORRECT_A6 + code for name, code in GRAD_ATTACKS.items()}
    records = graded(tmp_path, "a6_batching", CORRECT_A6,
                     {"oversized": CORRECT_A6 + OVERSIZED, **attacks}, **path)
    assert records["control"].status == "graded" and records["control"].score == 22.0
    honest = records["oversized"]
    # Lost: 5 accumulation checks (not the two whose micro-batch is every row) and 2 epochs.
    assert honest.score == 15.0
    assert all("rows at once" in m for m in failed(honest).values()), failed(honest)
    for name in GRAD_ATTACKS:
        record = records[name]
        assert record.status == "graded", (name, record.reason)
        assert record.score <= honest.score, (name, failed(record))
        assert set(failed(record)) >= set(failed(honest)), name


@pytest.mark.parametrize("path", [{}, {"warm": False}], ids=["warm", "cold"])
def test_no_attack_on_unmodified_inputs_beats_the_honest_in_place_update(tmp_path, path):
    attacks = {name: CORRECT_A7 + code for name, code in INPUT_ATTACKS.items()}
    records = graded(tmp_path, "a7_optimizers", CORRECT_A7,
                     {"in-place": CORRECT_A7 + IN_PLACE, **attacks}, **path)
    assert records["control"].score == 35.0
    honest = records["in-place"]
    # Lost: the purity check, and both trajectories (each step overwrites the path's last point).
    assert honest.score == 32.0
    assert "modified its inputs in place" in failed(honest)["sgd_update: float32 and pure"]
    for name in INPUT_ATTACKS:
        record = records[name]
        assert record.score <= honest.score, (name, failed(record))
        # A forged result the frame validation refuses ends the run as an error.
        assert record.status == "error" or "sgd_update: float32 and pure" in failed(record), \
            (name, record.reason)


def test_on_kernel_the_grader_counts_the_rows_and_inputs_stay_sealed(tmp_path):
    (tmp_path / "a6").mkdir()
    (tmp_path / "a7").mkdir()
    a6 = graded(tmp_path / "a6", "a6_batching", CORRECT_A6,
                {"oversized": CORRECT_A6 + OVERSIZED,
                 "unwrap-closure": CORRECT_A6 + UNWRAP_CLOSURE},
                kernel=True)
    assert a6["control"].score == 22.0 and a6["oversized"].score == 15.0
    assert a6["unwrap-closure"].score <= 15.0, failed(a6["unwrap-closure"])
    a7 = graded(tmp_path / "a7", "a7_optimizers", CORRECT_A7,
                {"in-place": CORRECT_A7 + IN_PLACE, "patch-call": CORRECT_A7 + PATCH_CALL},
                kernel=True)
    assert a7["control"].score == 35.0 and a7["in-place"].score == 32.0
    assert a7["patch-call"].score <= 32.0, failed(a7["patch-call"])
    assert "modified its inputs in place" in failed(a7["in-place"])["sgd_update: float32 and pure"]
