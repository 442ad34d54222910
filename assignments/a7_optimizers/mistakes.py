"""Families of mistakes in the update rules of Assignment 7.

Each rule is written once with switches (``_sgd``, ``_momentum``, ...): at
their defaults it is the correct rule. A family sets one switch, over a small
grid where it has several forms, and gets a name and a hint a student
recognises; the grader names it when its outputs reproduce the student's on
every case of a failed check. To teach the grader a new misconception, add a
switch (or reuse one) and a ``family(...)`` line; nothing else changes.
"""
import numpy as np

from grader.diagnosis import family

# The same factor in every rule: lr as given, missing, or applied twice.
LR = {1: lambda lr: lr, 0: lambda lr: 1.0, 2: lambda lr: lr * lr}
# What is accumulated in a second moment.
SQUARE = {"g^2": lambda g: g * g, "|g|": np.abs, "g": lambda g: g}


def _denominator(r, delta, form):
    if form == "inside":
        return np.sqrt(r + delta)
    if form == "no sqrt":
        return delta + r
    return delta + np.sqrt(r)


def _sgd(lr_power=1, sign=1):
    def sgd_update(theta, g, lr):
        return theta - sign * LR[lr_power](lr) * g
    return sgd_update


def _momentum(lr_power=1, alpha_on=True, swap=False, g_sign=1, step_sign=1, step_old=False,
              return_old=False, reset=False):
    def momentum_update(theta, g, v, lr, alpha):
        if swap:
            lr, alpha = alpha, lr
        v_in = 0 * v if reset else v
        v_new = (alpha if alpha_on else 1.0) * v_in - g_sign * LR[lr_power](lr) * g
        theta_new = theta + step_sign * (v_in if step_old else v_new)
        return theta_new, v_in if return_old else v_new
    return momentum_update


def _torch_momentum(dampening=False, stored_sign=1):
    """torch.optim.SGD: buf <- alpha * buf + (1 - dampening) * g; theta <- theta - lr * buf."""
    def momentum_update(theta, g, v, lr, alpha):
        buf = alpha * stored_sign * v + ((1 - alpha) if dampening else 1.0) * g
        return theta - lr * buf, stored_sign * buf
    return momentum_update


def _nesterov(look="theta + alpha v", lr_power=1, g_sign=1, step_sign=1, step_old=False,
              return_old=False, reset=False, alpha_on=True):
    def nesterov_update(theta, grad_fn, v, lr, alpha):
        v_in = 0 * v if reset else v
        point = {"theta + alpha v": lambda: theta + alpha * v_in, "theta": lambda: theta,
                 "theta - alpha v": lambda: theta - alpha * v_in,
                 "theta + v": lambda: theta + v_in}[look]()
        v_new = (alpha if alpha_on else 1.0) * v_in - g_sign * LR[lr_power](lr) * grad_fn(point)
        return theta + step_sign * (v_in if step_old else v_new), v_in if return_old else v_new
    return nesterov_update


def _torch_nesterov(stored="buf"):
    """torch.optim.SGD(nesterov=True): g at theta; buf <- alpha buf + g;
    theta <- theta - lr (g + alpha buf). Stored as buf, or as v = -lr buf (Bengio's form)."""
    def nesterov_update(theta, grad_fn, v, lr, alpha):
        g = grad_fn(theta)
        buf_in = v if stored == "buf" else -v / lr
        buf = alpha * buf_in + g
        return theta - lr * (g + alpha * buf), buf if stored == "buf" else -lr * buf
    return nesterov_update


def _adagrad(lr_power=1, sign=1, square="g^2", denominator="outside", step_old=False,
             return_old=False, reset=False):
    def adagrad_update(theta, g, r, lr, delta=1e-7):
        r_in = 0 * r if reset else r
        r_new = r_in + SQUARE[square](g)
        used = r_in if step_old else r_new
        theta_new = theta - sign * LR[lr_power](lr) / _denominator(used, delta, denominator) * g
        return theta_new, r_in if return_old else r_new
    return adagrad_update


def _rmsprop(lr_power=1, sign=1, square="g^2", denominator="outside", step_old=False,
             return_old=False, reset=False, decay="rho", gain="1 - rho"):
    def rmsprop_update(theta, g, r, lr, rho=0.9, delta=1e-6):
        factor = {"rho": rho, "1 - rho": 1 - rho, "1": 1.0}
        r_in = 0 * r if reset else r
        r_new = factor[decay] * r_in + factor[gain] * SQUARE[square](g)
        used = r_in if step_old else r_new
        theta_new = theta - sign * LR[lr_power](lr) / _denominator(used, delta, denominator) * g
        return theta_new, r_in if return_old else r_new
    return rmsprop_update


def _adam_step(theta, g, s, r, t, lr, rho1, rho2, delta, lr_power=1, sign=1, square="g^2",
               denominator="outside", correct=(True, True), correction="1 - rho**t", t_offset=0,
               swap=False, gain1=True, gain2=True, step_old=False, return_old=False,
               return_hat=False, reset=False):
    if swap:
        rho1, rho2 = rho2, rho1
    s_in, r_in = (0 * s, 0 * r) if reset else (s, r)
    s_new = rho1 * s_in + ((1 - rho1) if gain1 else 1.0) * g
    r_new = rho2 * r_in + ((1 - rho2) if gain2 else 1.0) * SQUARE[square](g)
    tt = t + t_offset
    bias = {"1 - rho**t": lambda rho: 1 - rho ** tt, "(1 - rho)**t": lambda rho: (1 - rho) ** tt}
    s_use, r_use = (s_in, r_in) if step_old else (s_new, r_new)
    s_hat = s_use / bias[correction](rho1) if correct[0] else s_use
    r_hat = r_use / bias[correction](rho2) if correct[1] else r_use
    theta_new = theta - sign * LR[lr_power](lr) * s_hat / _denominator(r_hat, delta, denominator)
    if return_hat:
        return theta_new, s_hat, r_hat
    return (theta_new, s_in, r_in) if return_old else (theta_new, s_new, r_new)


def _adam(**how):
    def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
        return _adam_step(theta, g, s, r, t, lr, rho1, rho2, delta, **how)
    return adam_update


def _adamw(decay="decoupled", **how):
    def adamw_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                     weight_decay=0.01):
        if decay == "coupled":
            return _adam_step(theta, g + weight_decay * theta, s, r, t, lr, rho1, rho2, delta, **how)
        if decay == "after":
            out = _adam_step(theta, g, s, r, t, lr, rho1, rho2, delta, **how)
            return (out[0] - lr * weight_decay * out[0],) + out[1:]
        shrink = {"decoupled": lr * weight_decay, "none": 0.0, "no lr": weight_decay,
                  "sign": -lr * weight_decay}[decay]
        return _adam_step(theta - shrink * theta, g, s, r, t, lr, rho1, rho2, delta, **how)
    return adamw_update


SIGN = [{"sign": -1}]
VELOCITY_SIGNS = [{"g_sign": -1}, {"step_sign": -1}, {"g_sign": -1, "step_sign": -1}]


def _common(function, make, state, signs=SIGN, lr_grid=({"lr_power": 0}, {"lr_power": 2})):
    """The families every rule shares: a factor lr, a sign, a state used or returned before
    its update, a state reset on every call."""
    out = (family(function, "lr missing", "the learning rate is missing",
                  "multiply the step by lr", make, [lr_grid[0]]) +
           family(function, "lr applied twice", "the learning rate is applied twice",
                  "lr multiplies the step once", make, [lr_grid[1]]) +
           family(function, "sign flipped", "a sign is flipped" if signs is VELOCITY_SIGNS
                  else "gradient ascent: the sign is flipped",
                  "step against the gradient: theta moves by - lr * (...)",
                  make, signs))
    if state:
        out += (family(function, "state before update", f"the old {state} is used or returned",
                       f"compute the new {state} first, use it in the step and return it",
                       make, [{"step_old": True}, {"return_old": True}]) +
                family(function, "state reset", f"{state} starts from zero on every call",
                       f"update the {state} you were given: it carries the history between steps",
                       make, [{"reset": True}]))
    return out


def _second_moment(function, make, state="r"):
    return (family(function, "delta inside sqrt", "delta inside the square root",
                   "the denominator is delta + sqrt(r), not sqrt(r + delta)",
                   make, [{"denominator": "inside"}]) +
            family(function, "sqrt missing", "the square root is missing",
                   "divide by delta + sqrt(r), not by delta + r", make, [{"denominator": "no sqrt"}]) +
            family(function, "|g| instead of g^2", f"{state} accumulates |g| instead of g * g",
                   "accumulate the squared gradient g * g", make, [{"square": "|g|"}]) +
            family(function, "g instead of g^2", f"{state} accumulates g instead of g * g",
                   "accumulate the squared gradient g * g", make, [{"square": "g"}]))


_STEP_OLD = [{"step_old": True}, {"return_old": True}]

MISTAKES = (
    _common("sgd_update", _sgd, None)
    # momentum
    + _common("momentum_update", _momentum, "v", VELOCITY_SIGNS)
    + family("momentum_update", "alpha missing", "the velocity is not decayed by alpha",
             "v <- alpha * v - lr * g", _momentum, [{"alpha_on": False}])
    + family("momentum_update", "hyperparameters swapped", "lr and alpha swapped",
             "alpha multiplies the old velocity, lr the gradient", _momentum, [{"swap": True}])
    + family("momentum_update", "torch momentum", "torch's momentum convention",
             "this course's v already holds the step: v <- alpha * v - lr * g; theta <- theta + v",
             _torch_momentum, [{}, {"stored_sign": -1}])
    + family("momentum_update", "momentum as an average", "the velocity is an average of gradients",
             "no (1 - alpha) here: v <- alpha * v - lr * g", _torch_momentum,
             [{"dampening": True}, {"dampening": True, "stored_sign": -1}])
    # nesterov
    + _common("nesterov_update", _nesterov, "v", VELOCITY_SIGNS)
    + family("nesterov_update", "gradient at theta",
             "gradient taken at theta instead of the look-ahead point",
             "call grad_fn(theta + alpha * v): Nesterov looks ahead", _nesterov, [{"look": "theta"}])
    + family("nesterov_update", "look-ahead sign flipped", "the look-ahead point is theta - alpha * v",
             "look ahead along the velocity: grad_fn(theta + alpha * v)", _nesterov,
             [{"look": "theta - alpha v"}])
    + family("nesterov_update", "alpha missing", "alpha is missing",
             "the look-ahead point and the new velocity both use alpha * v", _nesterov,
             [{"look": "theta + v"}, {"alpha_on": False}])
    + family("nesterov_update", "torch nesterov", "torch's Nesterov convention",
             "this course's form: g at theta + alpha * v; v <- alpha * v - lr * g; theta <- theta + v",
             _torch_nesterov, [{}, {"stored": "-lr buf"}])
    # adagrad
    + _common("adagrad_update", _adagrad, "r")
    + _second_moment("adagrad_update", _adagrad)
    # rmsprop
    + _common("rmsprop_update", _rmsprop, "r")
    + _second_moment("rmsprop_update", _rmsprop)
    + family("rmsprop_update", "(1 - rho) missing", "RMSProp without (1 - rho)",
             "r <- rho * r + (1 - rho) * g * g: a weighted average, not a sum", _rmsprop,
             [{"gain": "1"}])
    + family("rmsprop_update", "rho and 1 - rho swapped", "rho and 1 - rho swapped",
             "rho keeps the old r, (1 - rho) weighs the new g * g", _rmsprop,
             [{"decay": "1 - rho", "gain": "rho"}])
    # adam
    + _common("adam_update", _adam, "s and r")
    + _second_moment("adam_update", _adam)
    + family("adam_update", "no bias correction", "Adam without bias correction",
             "divide s by 1 - rho1**t and r by 1 - rho2**t before the step",
             _adam, [{"correct": (False, False)}])
    + family("adam_update", "bias correction only on s", "bias correction only on s",
             "correct r too: r_hat = r / (1 - rho2**t)", _adam, [{"correct": (True, False)}])
    + family("adam_update", "bias correction only on r", "bias correction only on r",
             "correct s too: s_hat = s / (1 - rho1**t)", _adam, [{"correct": (False, True)}])
    + family("adam_update", "bias correction wrong", "the bias correction has the wrong form",
             "divide by 1 - rho**t (rho to the power t), not by (1 - rho)**t", _adam,
             [{"correction": "(1 - rho)**t"}])
    + family("adam_update", "t offset", "t counted from 0",
             "t is 1 on the first step: use rho**t, not rho**(t + 1)", _adam, [{"t_offset": 1}])
    + family("adam_update", "t offset", "t is one behind",
             "t is 1 on the first step: use rho**t, not rho**(t - 1)", _adam, [{"t_offset": -1}])
    + family("adam_update", "hyperparameters swapped", "rho1 and rho2 swapped",
             "rho1 (0.9) decays the first moment s, rho2 (0.999) the second moment r",
             _adam, [{"swap": True}])
    + family("adam_update", "returns corrected moments", "returns s_hat and r_hat instead of s and r",
             "return the uncorrected moments s and r: the correction is recomputed each step",
             _adam, [{"return_hat": True}])
    + family("adam_update", "(1 - rho1) missing", "s without (1 - rho1)",
             "s <- rho1 * s + (1 - rho1) * g", _adam, [{"gain1": False}])
    + family("adam_update", "(1 - rho2) missing", "r without (1 - rho2)",
             "r <- rho2 * r + (1 - rho2) * g * g", _adam, [{"gain2": False}])
    # adamw
    + family("adamw_update", "weight decay missing", "no weight decay",
             "shrink theta first: theta <- theta - lr * weight_decay * theta", _adamw,
             [{"decay": "none"}])
    + family("adamw_update", "coupled weight decay", "weight decay added to the gradient (L2)",
             "AdamW decouples the decay: shrink theta directly, do not add it to g",
             _adamw, [{"decay": "coupled"}])
    + family("adamw_update", "weight decay after the step", "theta decayed after the Adam step",
             "decay theta first, then take the Adam step from the decayed theta",
             _adamw, [{"decay": "after"}])
    + family("adamw_update", "lr missing", "the decay is not scaled by lr",
             "theta <- theta - lr * weight_decay * theta", _adamw, [{"decay": "no lr"}])
    + family("adamw_update", "sign flipped", "the decay grows theta",
             "theta <- theta - lr * weight_decay * theta", _adamw, [{"decay": "sign"}])
    + family("adamw_update", "no bias correction", "Adam without bias correction",
             "divide s by 1 - rho1**t and r by 1 - rho2**t before the step",
             _adamw, [{"correct": (False, False)}])
    + family("adamw_update", "state before update", "the old s and r are used or returned",
             "compute the new s and r first, use them in the step and return them",
             _adamw, _STEP_OLD)
)
