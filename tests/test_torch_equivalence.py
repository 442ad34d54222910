"""The numpy reference replays trajectories recorded from torch.optim, step for step.

torch is an independent implementation of the same rules, so agreement to ~1e-10 over 60
steps of two objectives (an ill-conditioned quadratic with a (2, 3) parameter, and logistic
regression) catches wrong bias corrections, misplaced deltas, swapped decay rates and the
like. The reference runs through ``reference.training.step``, so each rule's declaration
(its state, t, grad_fn) is checked with it. The recording comes from
scripts/make_torch_oracle.py (run in a throwaway venv); this test needs numpy only and loads
tests/data/torch_trajectories.npz with allow_pickle=False.

How torch's conventions map onto the course's (Goodfellow et al., ch. 8):
  * SGD momentum: torch keeps a buffer b <- alpha*b + g and steps theta -= lr*b, the course
    a velocity v <- alpha*v - lr*g and steps theta += v. With v0 = b0 = 0, v = -lr*b always.
  * Nesterov: torch's param is the course's look-ahead point. torch steps
    p -= lr*(g(p) + alpha*b_new); substituting v = -lr*b shows p_t = theta_t + alpha*v_t,
    where the course takes its gradient. So torch's params are compared with theta + alpha*v.
  * Adagrad: torch's state "sum" is r; eps = delta, added after the square root.
  * RMSprop: torch's alpha is rho and "square_avg" is r; eps = delta, added after the sqrt.
  * Adam/AdamW: betas = (rho1, rho2), "exp_avg" is s and "exp_avg_sq" is r (uncorrected);
    torch's step count starts at 1 like t. AdamW decays theta by lr*weight_decay*theta first.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from reference.training import init_state, step

DATA = Path(__file__).parent / "data" / "torch_trajectories.npz"
OBJECTIVES = ("quad", "logreg")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adagrad_delta", "rmsprop",
              "adam", "adamw")
RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(scope="module")
def oracle():
    with np.load(DATA, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("meta")))
    return arrays, meta


def gradient(obj, arrays):
    """Plain-numpy gradient of the recorded objective (torch used autograd on the loss)."""
    if obj == "quad":
        A, b = arrays["quad__A"], arrays["quad__b"]
        return lambda theta: (A @ theta.ravel() - b).reshape(theta.shape)
    X, y = arrays["logreg__X"], arrays["logreg__y"]
    return lambda theta: X.T @ (1.0 / (1.0 + np.exp(-(X @ theta))) - y) / len(y)


def replay(name, hp, theta0, grad, steps):
    """Run the reference's ``step`` from theta0; return each quantity's trajectory,
    (steps+1, *shape), zeros for a state the rule does not keep."""
    rule = "adagrad_update" if name.startswith("adagrad") else f"{name}_update"
    theta, state, zeros = theta0.copy(), init_state(rule, theta0), np.zeros_like(theta0)
    rows = [(theta, *(state.get(n, zeros) for n in "vsr"))]
    for _ in range(steps):
        theta, state = step(rule, theta, grad, state, **hp)
        rows.append((theta, *(state.get(n, zeros) for n in "vsr")))
    return dict(zip(("theta", "v", "s", "r"), (np.stack(c) for c in zip(*rows))))


def comparisons(name, hp, ref, tr):
    """(what, reference trajectory, torch trajectory) triples: the mapping of the docstring."""
    if name == "nesterov":
        out = [("theta + alpha*v", ref["theta"] + hp["alpha"] * ref["v"], tr["theta"])]
    else:
        out = [("theta", ref["theta"], tr["theta"])]
    if name in ("momentum", "nesterov"):
        out.append(("v = -lr*momentum_buffer", ref["v"], -hp["lr"] * tr["momentum_buffer"]))
    elif name.startswith("adagrad"):
        out.append(("r = sum", ref["r"], tr["sum"]))
    elif name == "rmsprop":
        out.append(("r = square_avg", ref["r"], tr["square_avg"]))
    elif name in ("adam", "adamw"):
        out += [("s = exp_avg", ref["s"], tr["exp_avg"]),
                ("r = exp_avg_sq", ref["r"], tr["exp_avg_sq"])]
    return out


def test_oracle_holds_exactly_the_expected_cases(oracle):
    arrays, meta = oracle
    assert sorted(meta["cases"]) == sorted(OPTIMIZERS)
    assert meta["steps"] >= 60
    for obj in OBJECTIVES:
        for name in OPTIMIZERS:
            traj = arrays[f"{obj}__{name}__theta"]
            assert traj.dtype == np.float64 and traj.shape[0] == meta["steps"] + 1
            np.testing.assert_array_equal(traj[0], arrays[f"{obj}__theta0"])
            assert np.abs(traj[-1] - traj[0]).max() > 0.1, "trajectory barely moves"


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("obj", OBJECTIVES)
def test_reference_matches_torch_at_every_step(oracle, obj, name):
    arrays, meta = oracle
    hp = meta["cases"][name]
    prefix = f"{obj}__{name}__"
    tr = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    ref = replay(name, hp, arrays[f"{obj}__theta0"], gradient(obj, arrays), meta["steps"])
    for what, mine, theirs in comparisons(name, hp, ref, tr):
        assert mine.shape == theirs.shape, what
        for t in range(meta["steps"] + 1):  # first diverging step is the useful one
            np.testing.assert_allclose(mine[t], theirs[t], rtol=RTOL, atol=ATOL,
                                       err_msg=f"{obj}/{name} {what} at step {t} {hp}")
