"""Development wrong update rules of Assignment 7, and correct ones in other styles."""
import numpy as np

from .a7_correct import STYLE


def _adam(theta, g, s, r, t, lr, rho1, rho2, delta, one_minus1=True, t_shift=0, reset=False,
          correct=(True, True), hats=False, swap=False, lr_power=1, sign=1):
    if swap:
        rho1, rho2 = rho2, rho1
    if reset:
        s, r = 0 * s, 0 * r
    s = rho1 * s + ((1 - rho1) if one_minus1 else 1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat = s / (1 - rho1 ** (t + t_shift)) if correct[0] else s
    r_hat = r / (1 - rho2 ** (t + t_shift)) if correct[1] else r
    theta = theta - sign * lr ** lr_power * s_hat / (delta + np.sqrt(r_hat))
    return (theta, s_hat, r_hat) if hats else (theta, s, r)


def adam(**how):
    def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
        return _adam(theta, g, s, r, t, lr, rho1, rho2, delta, **how)
    return adam_update


def sgd_ascent(theta, g, lr):
    return theta + lr * g


def sgd_tuple(theta, g, lr):
    return (theta - lr * g,)


def sgd_half(theta, g, lr):
    return theta - 0.5 * lr * g


def momentum_old_v(theta, g, v, lr, alpha):
    return theta + v, alpha * v - lr * g


def momentum_no_lr(theta, g, v, lr, alpha):
    v = alpha * v - g
    return theta + v, v


def momentum_no_alpha(theta, g, v, lr, alpha):
    v = v - lr * g
    return theta + v, v


def momentum_returns_old_v(theta, g, v, lr, alpha):
    v_new = alpha * v - lr * g
    return theta + v_new, v


def momentum_float64(theta, g, v, lr, alpha):
    v = np.asarray(alpha * v - lr * g, dtype=np.float64)
    return np.asarray(theta, dtype=np.float64) + v, v


def momentum_in_place(theta, g, v, lr, alpha):
    v *= alpha
    v -= lr * g
    return theta + v, v


def momentum_theta_minus(theta, g, v, lr, alpha):
    v = alpha * v - lr * g
    return theta - v, v


def momentum_plus(theta, g, v, lr, alpha):
    v = alpha * v + lr * g
    return theta + v, v


def nesterov_at_theta(theta, grad_fn, v, lr, alpha):
    v = alpha * v - lr * grad_fn(theta)
    return theta + v, v


def nesterov_no_lr(theta, grad_fn, v, lr, alpha):
    v = alpha * v - grad_fn(theta + alpha * v)
    return theta + v, v


def nesterov_returns_old_v(theta, grad_fn, v, lr, alpha):
    v_new = alpha * v - lr * grad_fn(theta + alpha * v)
    return theta + v_new, v


def nesterov_reset(theta, grad_fn, v, lr, alpha):
    v = -lr * grad_fn(theta)
    return theta + v, v


def nesterov_torch_like(theta, grad_fn, v, lr, alpha):
    g = grad_fn(theta)
    buf = alpha * v + g
    return theta - lr * (g + alpha * buf), buf


def adagrad_delta_inside(theta, g, r, lr, delta=1e-7):
    r = r + g * g
    return theta - lr * g / np.sqrt(r + delta), r


def adagrad_no_sum(theta, g, r, lr, delta=1e-7):
    r = g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r


def adagrad_old_r(theta, g, r, lr, delta=1e-7):
    return theta - lr / (delta + np.sqrt(r)) * g, r + g * g


def adagrad_lr_twice(theta, g, r, lr, delta=1e-7):
    r = r + g * g
    return theta - lr * lr / (delta + np.sqrt(r)) * g, r


def adagrad_ascent(theta, g, r, lr, delta=1e-7):
    r = r + g * g
    return theta + lr / (delta + np.sqrt(r)) * g, r


def rmsprop_no_one_minus(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r


def rmsprop_no_lr(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * g * g
    return theta - g / (delta + np.sqrt(r)), r


def rmsprop_no_sqrt(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * g * g
    return theta - lr / (delta + r) * g, r


def rmsprop_abs(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * np.abs(g)
    return theta - lr / (delta + np.sqrt(r)) * g, r


def rmsprop_in_place(theta, g, r, lr, rho=0.9, delta=1e-6):
    r *= rho
    r += (1 - rho) * g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r


def adamw_plain_adam(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                     weight_decay=0.01):
    return _adam(theta, g, s, r, t, lr, rho1, rho2, delta)


def adamw_decay_plus(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                     weight_decay=0.01):
    return _adam(theta + lr * weight_decay * theta, g, s, r, t, lr, rho1, rho2, delta)


WRONG = [
    ("sgd_update", {"sign flipped"}, sgd_ascent),
    ("sgd_update", {"kind: type"}, sgd_tuple),
    ("sgd_update", {"lr scaled"}, sgd_half),
    ("momentum_update", {"state before update"}, momentum_old_v),
    ("momentum_update", {"lr missing"}, momentum_no_lr),
    ("momentum_update", {"alpha missing"}, momentum_no_alpha),
    ("momentum_update", {"state before update"}, momentum_returns_old_v),
    ("momentum_update", {"kind: dtype"}, momentum_float64),
    ("momentum_update", {"kind: modified input"}, momentum_in_place),
    ("momentum_update", {"sign flipped"}, momentum_theta_minus),
    ("momentum_update", {"sign flipped"}, momentum_plus),
    ("nesterov_update", {"gradient at theta"}, nesterov_at_theta),
    ("nesterov_update", {"lr missing"}, nesterov_no_lr),
    ("nesterov_update", {"state before update"}, nesterov_returns_old_v),
    ("nesterov_update", {"state reset"}, nesterov_reset),
    ("nesterov_update", {"torch nesterov"}, nesterov_torch_like),
    ("adagrad_update", {"delta inside sqrt"}, adagrad_delta_inside),
    ("adagrad_update", {"state reset"}, adagrad_no_sum),
    ("adagrad_update", {"state before update"}, adagrad_old_r),
    ("adagrad_update", {"lr applied twice"}, adagrad_lr_twice),
    ("adagrad_update", {"sign flipped"}, adagrad_ascent),
    ("rmsprop_update", {"(1 - rho) missing"}, rmsprop_no_one_minus),
    ("rmsprop_update", {"lr missing"}, rmsprop_no_lr),
    ("rmsprop_update", {"sqrt missing"}, rmsprop_no_sqrt),
    ("rmsprop_update", {"|g| instead of g^2"}, rmsprop_abs),
    ("rmsprop_update", {"kind: modified input"}, rmsprop_in_place),
    ("adam_update", {"no bias correction"}, adam(correct=(False, False))),
    ("adam_update", {"bias correction only on s"}, adam(correct=(True, False))),
    ("adam_update", {"bias correction only on r"}, adam(correct=(False, True))),
    ("adam_update", {"t offset"}, adam(t_shift=1)),
    ("adam_update", {"hyperparameters swapped"}, adam(swap=True)),
    ("adam_update", {"returns corrected moments"}, adam(hats=True)),
    ("adam_update", {"(1 - rho1) missing"}, adam(one_minus1=False)),
    ("adam_update", {"state reset"}, adam(reset=True)),
    ("adam_update", {"lr applied twice"}, adam(lr_power=2)),
    ("adamw_update", {"weight decay missing"}, adamw_plain_adam),
    ("adamw_update", {"sign flipped"}, adamw_decay_plus),
]


CORRECT = list(STYLE.items())
