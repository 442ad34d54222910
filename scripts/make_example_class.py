"""Write the bundled example class, examples/submissions/<assignment>/, from the templates.

Each example student is the student template with some stubs filled in:
with the master's solutions, with correct solutions in another style, with
one known mistake, half-finished, never finishing, or with a syntax error.
Run:  python scripts/make_example_class.py
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

import assignments
from grader.assign import student_notebook

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "submissions"
_DEF = re.compile(r"^def (\w+)\(", re.M)
_MARKER = re.compile(r"^[ \t]*# (BEGIN|END) SOLUTION[^\n]*\n", re.M)

A7_STYLE = {
    "sgd_update": "def sgd_update(theta, g, lr):\n    step = lr * g\n    return theta - step\n",
    "adam_update": '''def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s_new = rho1 * s + (1 - rho1) * g
    r_new = rho2 * r + (1 - rho2) * g**2
    s_hat = s_new / (1 - rho1**t)
    r_hat = r_new / (1 - rho2**t)
    return theta - (lr / (np.sqrt(r_hat) + delta)) * s_hat, s_new, r_new
''',
    "adagrad_update": '''def adagrad_update(theta, g, r, lr, delta=1e-7):
    r = r + np.square(g)
    return theta - lr * g / (delta + np.sqrt(r)), r
''',
    "momentum_update": '''def momentum_update(theta, g, v, lr, alpha):
    velocity = np.multiply(alpha, v) - np.multiply(lr, g)
    return np.add(theta, velocity), velocity
''',
    "nesterov_update": '''def nesterov_update(theta, grad_fn, v, lr, alpha):
    ahead = theta + alpha * v
    velocity = alpha * v - lr * np.asarray(grad_fn(ahead), dtype=theta.dtype)
    return theta + velocity, velocity
''',
    "rmsprop_update": '''def rmsprop_update(theta, g, r, lr, rho=0.9, delta=1e-6):
    mean_square = rho * r + (1 - rho) * np.square(g)
    scale = lr / (np.sqrt(mean_square) + delta)
    return theta - scale * g, mean_square
''',
    "adamw_update": '''def adamw_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                 weight_decay=0.01):
    shrunk = theta * (1 - lr * weight_decay)
    return adam_update(shrunk, g, s, r, t, lr, rho1, rho2, delta)
''',
}
A7_MISTAKES = {
    "mistake_adam_no_bias_correction": {"adam_update": '''def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    return theta - lr * s / (delta + np.sqrt(r)), s, r
'''},
    "mistake_momentum_old_velocity": {"momentum_update": '''def momentum_update(theta, g, v, lr, alpha):
    theta_new = theta + v
    v_new = alpha * v - lr * g
    return theta_new, v_new
'''},
    "mistake_nesterov_no_look_ahead": {"nesterov_update": '''def nesterov_update(theta, grad_fn, v, lr, alpha):
    v = alpha * v - lr * grad_fn(theta)
    return theta + v, v
'''},
    "mistake_rmsprop_no_one_minus_rho": {"rmsprop_update": '''def rmsprop_update(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r
'''},
    "mistake_adam_t_from_zero": {"adam_update": '''def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat = s / (1 - rho1 ** (t + 1))
    r_hat = r / (1 - rho2 ** (t + 1))
    return theta - lr * s_hat / (delta + np.sqrt(r_hat)), s, r
'''},
}
A6_STYLE = {
    "batch_size_for": '''def batch_size_for(mode, d, b=None):
    sizes = {"batch": d, "sgd": 1}
    if mode in sizes:
        return sizes[mode]
    if mode != "minibatch" or b is None or not 1 < b < d:
        raise ValueError("mini-batch size must satisfy 1 < b < d")
    return b
''',
    "minibatch_indices": '''def minibatch_indices(d, batch_size, rng=None, shuffle=True, drop_last=False):
    order = (rng or np.random.default_rng()).permutation(d) if shuffle else np.arange(d)
    batches = [order[i:i + batch_size] for i in range(0, d, batch_size)]
    if drop_last and len(batches[-1]) < batch_size:
        batches.pop()
    return batches
''',
    "accumulated_gradient": '''def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    chunks = range(0, len(X), micro_batch_size)
    sums = [len(X[i:i + micro_batch_size]) * grad_fn(theta, X[i:i + micro_batch_size], y[i:i + micro_batch_size])
            for i in chunks]
    return np.sum(sums, axis=0) / len(X)
''',
    "train_epoch": '''def train_epoch(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    theta = np.asarray(theta) + 0.0          # a float copy; float32 stays float32
    for idx in batches:
        if micro_batch_size:
            step = accumulated_gradient(grad_fn, theta, X[idx], y[idx], micro_batch_size)
        else:
            step = grad_fn(theta, X[idx], y[idx])
        theta -= lr * step
    return theta
''',
}
A6_MISTAKES = {
    "mistake_summed_gradient": {"accumulated_gradient": '''def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    total = 0
    for i in range(0, len(X), micro_batch_size):
        total = total + len(X[i:i + micro_batch_size]) * grad_fn(theta, X[i:i + micro_batch_size], y[i:i + micro_batch_size])
    return total
'''},
    "mistake_mean_of_chunk_means": {"accumulated_gradient": '''def accumulated_gradient(grad_fn, theta, X, y, micro_batch_size):
    means = [grad_fn(theta, X[i:i + micro_batch_size], y[i:i + micro_batch_size])
             for i in range(0, len(X), micro_batch_size)]
    return np.mean(means, axis=0)
'''},
    "mistake_epoch_summed_gradient": {"train_epoch": '''def train_epoch(grad_fn, theta, X, y, batches, lr, micro_batch_size=None):
    for idx in batches:
        g = len(idx) * grad_fn(theta, X[idx], y[idx])
        theta = theta - lr * g
    return theta
'''},
    "mistake_modes_swapped": {"batch_size_for": '''def batch_size_for(mode, d, b=None):
    if mode == "batch":
        return 1
    if mode == "sgd":
        return d
    if b is None or not 1 < b < d:
        raise ValueError("need 1 < b < d")
    return b
'''},
}

# Written answers of some example students (the others keep the template's placeholder).
ANSWERS = {
    "a7_optimizers": {
        "correct_as_master": """**Training loop.** For each epoch: shuffle the row indices, cut them into mini-batches
of `b` rows; for each batch compute the mean gradient `g` of the loss on those rows at the
current `theta`, then take one step of the rule. `t` counts steps, not epochs.

```
state = zeros like theta (v, r, s), t = 0
for epoch in 1..E:
    for batch in minibatches(shuffle(range(d)), b):
        t = t + 1
        g = mean gradient on batch at theta     # Nesterov: at theta + alpha * v
        theta, state = rule(theta, g, state, t)
```

* **SGD** (lr = 0.01): `theta -= lr * g`.
* **Momentum** (lr, alpha = 0.9; v = 0): `v = alpha * v - lr * g`, then `theta += v`.
* **Nesterov**: as momentum, but `g` is taken at `theta + alpha * v`.
* **AdaGrad** (lr, delta = 1e-7; r = 0): `r += g * g`; `theta -= lr / (delta + sqrt(r)) * g`.
* **RMSProp** (lr, rho = 0.9, delta = 1e-6): `r = rho * r + (1 - rho) * g * g`, same step.
* **Adam** (lr = 0.001, rho1 = 0.9, rho2 = 0.999, delta = 1e-8; s = r = 0):
  update `s` and `r`, divide by `1 - rho1**t` and `1 - rho2**t`, then
  `theta -= lr * s_hat / (delta + sqrt(r_hat))`. `t` starts at 1.
""",
        "correct_other_style": """Loop: epochs -> shuffle -> batches -> gradient -> update.

| rule | state | step |
|---|---|---|
| SGD | none | theta - lr g |
| momentum | v = 0 | v = a v - lr g; theta + v |
| Nesterov | v = 0 | gradient at theta + a v, then as momentum |
| AdaGrad | r = 0 | r + g^2; theta - lr g / (delta + sqrt r) |
| RMSProp | r = 0 | rho r + (1 - rho) g^2; same step |
| Adam | s = r = 0, t = 1 | moments, bias correction, step |
""",
        "correct_with_notes": """SGD: theta = theta - lr * g. Momentum keeps a velocity v (starts at 0) and adds it.
AdaGrad and RMSProp divide by the root of the squared gradients. Adam does both and
corrects the bias. I am not sure where t is incremented.""",
        "mistake_adam_no_bias_correction": """Adam: s = rho1 s + (1 - rho1) g, r = rho2 r + (1 - rho2) g*g,
theta = theta - lr * s / (sqrt(r) + delta). Momentum and the others as in the lecture.""",
        "half_finished": "Did not get to this yet.",
    },
    "a6_batching": {
        "correct_as_master": """Mini-batch gradient descent with **b = 256** and gradient accumulation over
micro-batches of 64 rows: only 64 rows are on the GPU at once, yet every update uses the
gradient of 256 rows, the same as without accumulation (section 6 showed equal parameters).
Full-batch GD would make one update per million rows; SGD's single-row gradients were
off by several times the gradient itself (section 5.1) and cost a call per row.""",
        "correct_other_style": """Mini-batches of 64 (the most that fits), no accumulation needed.
The estimate at b = 64 is already close to the full gradient (error falls like 1/b), and
an epoch costs the same computation in every mode, so more updates per epoch win.""",
        "mistake_summed_gradient": """Batch gradient descent, because its gradient is exact.
To fit it in memory, sum the gradients of chunks of 64 rows.""",
        "half_finished": "SGD",
    },
}


def solutions(master) -> dict:
    """Function name -> the master's solution cell without its markers."""
    found = {}
    for cell in master.cells:
        if cell.cell_type == "code" and "# BEGIN SOLUTION" in cell.source:
            for name in _DEF.findall(cell.source):
                found[name] = _MARKER.sub("", cell.source)
    return found


def fill(template, sources: dict, extra_cells=(), answers=None):
    nb = nbformat.from_dict(template)
    for cell in nb.cells:
        answer = cell.metadata.get("grader", {}).get("answer")
        if cell.cell_type == "markdown" and answer in (answers or {}):
            cell.source = answers[answer]
        names = _DEF.findall(cell.source) if cell.cell_type == "code" else []
        if names and names[0] in sources:
            cell.source = sources[names[0]]
    for index, source in extra_cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f"example-{index}"  # fixed, so regenerating gives the same files
        nb.cells.insert(index, cell)
    return nb


def students(name, master, template):
    full = solutions(master)
    style, mistakes = (A7_STYLE, A7_MISTAKES) if name == "a7_optimizers" else (A6_STYLE, A6_MISTAKES)
    first_def = next(i for i, c in enumerate(template.cells) if _DEF.search(c.source))
    half = dict(list(full.items())[: len(full) // 2])
    yield "correct_as_master", full, ()
    yield "correct_other_style", {**full, **style}, ()
    yield "correct_with_notes", full, [(first_def, "# my scratch work\nx = np.arange(3)\nprint(x @ x)")]
    yield "correct_with_extra_output", full, [(first_def, "for i in range(3):\n    print('epoch', i)")]
    for student, wrong in mistakes.items():
        yield student, {**full, **wrong}, ()
    yield "half_finished", half, ()
    yield "never_finishes", full, [(first_def, "while True:\n    pass")]
    yield "syntax_error", {**full, next(iter(full)): "def oops(:\n    return\n"}, ()


def main():
    for name in ("a6_batching", "a7_optimizers"):
        folder = OUT / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        master = nbformat.read(ROOT / "assignments" / name / "master.ipynb", as_version=4)
        spec = assignments.load(name)  # one written question per assignment
        template = student_notebook(master, spec)
        for student, sources, extra in students(name, master, template):
            written = {spec.written[0].name: ANSWERS[name][student]} if student in ANSWERS[name] else {}
            nbformat.write(fill(template, sources, extra, written), folder / f"{student}.ipynb")
        print(f"wrote {len(list(folder.iterdir()))} notebooks to {folder}")


if __name__ == "__main__":
    main()
