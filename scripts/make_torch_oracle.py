"""Record torch.optim trajectories as an independent oracle for reference/optimizers.py.

torch is NOT a dependency of the package or its tests: run this once in a throwaway venv

    python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchvenv/bin/python scripts/make_torch_oracle.py

and commit the resulting tests/data/torch_trajectories.npz. tests/test_torch_equivalence.py
replays every trajectory with the numpy reference, using numpy only.

Gradients here come from torch autograd on the loss, so the test's hand-written numpy
gradients are checked against autograd as a side effect. Everything is float64, and every
optional torch argument is spelled out so a change of torch defaults cannot move the oracle.

npz layout (float64 unless noted):
    meta                    0-d str: JSON {"torch": version, "steps": N, "cases": {opt: course hyperparameters}}
    quad__A, quad__b        f(θ) = 0.5 θᵀAθ − bᵀθ on θ.ravel(); θ has shape (2, 3), A is 6x6 SPD
    logreg__X, logreg__y    mean binary cross-entropy of sigmoid(Xθ) vs y; θ has shape (3,)
    {obj}__theta0           initial θ
    {obj}__{opt}__theta     (N+1, *shape) params after 0..N steps (row 0 = theta0)
    {obj}__{opt}__{state}   (N+1, *shape) raw torch optimizer state (row 0 = zeros):
                            momentum_buffer, sum (Adagrad), square_avg, exp_avg, exp_avg_sq
"""
import json
from pathlib import Path

import numpy as np
import torch

STEPS = 60
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_trajectories.npz"

# Course hyperparameters per case. Names follow the course (lr, alpha, rho, rho1, rho2,
# delta, weight_decay); to_torch() below translates them to torch's arguments.
CASES = {
    "sgd": {"lr": 0.1},
    "momentum": {"lr": 0.05, "alpha": 0.9},
    "nesterov": {"lr": 0.05, "alpha": 0.9},
    "adagrad": {"lr": 0.5, "delta": 1e-7},
    "adagrad_delta": {"lr": 0.5, "delta": 0.3},  # large delta so its placement actually matters
    "rmsprop": {"lr": 0.01, "rho": 0.9, "delta": 1e-6},
    "adam": {"lr": 0.05, "rho1": 0.9, "rho2": 0.999, "delta": 1e-8},
    "adamw": {"lr": 0.05, "rho1": 0.9, "rho2": 0.999, "delta": 1e-8, "weight_decay": 0.1},
}


def to_torch(name, hp, params):
    """Build the torch optimizer for a case, with every optional argument explicit."""
    lr = hp["lr"]
    if name in ("sgd", "momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=hp.get("alpha", 0.0), dampening=0.0,
                               weight_decay=0.0, nesterov=name == "nesterov",
                               maximize=False, foreach=False, differentiable=False, fused=False)
    if name.startswith("adagrad"):
        return torch.optim.Adagrad(params, lr=lr, lr_decay=0.0, weight_decay=0.0,
                                   initial_accumulator_value=0.0, eps=hp["delta"],
                                   foreach=False, maximize=False, differentiable=False, fused=False)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=hp["rho"], eps=hp["delta"],
                                   weight_decay=0.0, momentum=0.0, centered=False,
                                   capturable=False, foreach=False, maximize=False,
                                   differentiable=False)
    cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return cls(params, lr=lr, betas=(hp["rho1"], hp["rho2"]), eps=hp["delta"],
               weight_decay=hp.get("weight_decay", 0.0), amsgrad=False, foreach=False,
               maximize=False, capturable=False, differentiable=False, fused=False)


STATE_KEYS = {"sgd": [], "momentum": ["momentum_buffer"], "nesterov": ["momentum_buffer"],
              "adagrad": ["sum"], "adagrad_delta": ["sum"], "rmsprop": ["square_avg"],
              "adam": ["exp_avg", "exp_avg_sq"], "adamw": ["exp_avg", "exp_avg_sq"]}


def make_objectives():
    """Seeded problem data; returns {obj: (data arrays, theta0, loss(theta tensor))}."""
    rng = np.random.default_rng(20240611)
    q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    A = q @ np.diag(np.logspace(-2, 1, 6)) @ q.T
    A = 0.5 * (A + A.T)  # exactly symmetric, so autograd's 0.5(A+Aᵀ)θ equals Aθ
    b = rng.standard_normal(6)
    X = rng.standard_normal((40, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) + 0.8 * rng.standard_normal(40) > 0).astype(np.float64)

    At, bt, Xt, yt = (torch.from_numpy(a) for a in (A, b, X, y))

    def quad(theta):
        t = theta.reshape(-1)
        return 0.5 * t @ At @ t - bt @ t

    def logreg(theta):
        return torch.nn.functional.binary_cross_entropy_with_logits(Xt @ theta, yt)

    return {
        "quad": ({"A": A, "b": b}, rng.standard_normal((2, 3)), quad),
        "logreg": ({"X": X, "y": y}, rng.standard_normal(3), logreg),
    }


def run(name, hp, theta0, loss):
    """Take STEPS optimizer steps; return the param trajectory and raw state trajectories."""
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = to_torch(name, hp, [p])
    thetas = [p.detach().clone()]
    states = {k: [torch.zeros_like(p)] for k in STATE_KEYS[name]}
    for _ in range(STEPS):
        opt.zero_grad()
        loss(p).backward()
        opt.step()
        thetas.append(p.detach().clone())
        for k in states:
            states[k].append(opt.state[p][k].detach().clone())
    out = {"theta": torch.stack(thetas)}
    out.update({k: torch.stack(v) for k, v in states.items()})
    return {k: v.numpy() for k, v in out.items()}


def check_well_conditioned(obj, name, hp, theta0, loss, theta):
    """A 1e-10 comparison only means something if rounding does not blow up along the way
    (RMSprop with lr=0.05 turns chaotic on the stiff quadratic: 1e-16 grew to 1e-6 in 60
    steps). Rerun from a start perturbed by 1e-13 relative; require growth below 1e3."""
    moved = run(name, hp, theta0 * (1 + 1e-13), loss)["theta"]
    growth = np.max(np.abs(moved - theta) / (np.abs(theta) + 1e-3)) / 1e-13
    assert growth < 1e3, f"{obj}/{name}: trajectory amplifies rounding ({growth:.1e}x)"


def main():
    torch.set_default_dtype(torch.float64)
    arrays = {}
    for obj, (data, theta0, loss) in make_objectives().items():
        arrays.update({f"{obj}__{k}": v for k, v in data.items()})
        arrays[f"{obj}__theta0"] = theta0
        for name, hp in CASES.items():
            traj = run(name, hp, theta0, loss)
            check_well_conditioned(obj, name, hp, theta0, loss, traj["theta"])
            for k, v in traj.items():
                assert v.dtype == np.float64 and np.all(np.isfinite(v)), (obj, name, k)
                arrays[f"{obj}__{name}__{k}"] = v
    arrays["meta"] = np.array(json.dumps(
        {"torch": torch.__version__, "steps": STEPS, "cases": CASES}, sort_keys=True))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(arrays)} arrays)")


if __name__ == "__main__":
    main()
