"""Held-out wrong update rules of Assignment 7 (written before the mechanism)."""
import numpy as np


def sgd_no_lr(theta, g, lr):
    return theta - g


def sgd_lr_squared(theta, g, lr):
    return theta - lr * lr * g


def sgd_float64(theta, g, lr):
    return np.asarray(theta, dtype=np.float64) - lr * np.asarray(g, dtype=np.float64)


def sgd_in_place(theta, g, lr):
    theta -= lr * g
    return theta


def momentum_v_negated(theta, g, v, lr, alpha):
    v = alpha * v + lr * g
    return theta - v, v


def momentum_torch(theta, g, v, lr, alpha):
    v = alpha * v + g
    return theta - lr * v, v


def momentum_lr_on_theta(theta, g, v, lr, alpha):
    v = alpha * v - g
    return theta + lr * v, v


def momentum_swapped(theta, g, v, lr, alpha):
    v = lr * v - alpha * g
    return theta + v, v


def momentum_average(theta, g, v, lr, alpha):
    v = alpha * v + (1 - alpha) * g
    return theta - lr * v, v


def momentum_reset(theta, g, v, lr, alpha):
    v = -lr * g
    return theta + v, v


def nesterov_look_behind(theta, grad_fn, v, lr, alpha):
    v = alpha * v - lr * grad_fn(theta - alpha * v)
    return theta + v, v


def nesterov_torch(theta, grad_fn, v, lr, alpha):
    g = grad_fn(theta)
    v = alpha * v + g
    return theta - lr * (g + alpha * v), v


def nesterov_no_alpha(theta, grad_fn, v, lr, alpha):
    v = alpha * v - lr * grad_fn(theta + v)
    return theta + v, v


def nesterov_bengio(theta, grad_fn, v, lr, alpha):
    g = grad_fn(theta)
    v_new = alpha * v - lr * g
    return theta + alpha * v_new - lr * g, v_new


def adagrad_unsquared(theta, g, r, lr, delta=1e-7):
    r = r + g
    return theta - lr / (delta + np.sqrt(r)) * g, r


def adagrad_no_sqrt(theta, g, r, lr, delta=1e-7):
    r = r + g * g
    return theta - lr / (delta + r) * g, r


def adagrad_returns_old_r(theta, g, r, lr, delta=1e-7):
    r_new = r + g * g
    return theta - lr / (delta + np.sqrt(r_new)) * g, r


def adagrad_abs(theta, g, r, lr, delta=1e-7):
    r = r + np.abs(g)
    return theta - lr / (delta + np.sqrt(r)) * g, r


def rmsprop_float64(theta, g, r, lr, rho=0.9, delta=1e-6):
    theta = np.asarray(theta, dtype=np.float64)
    r = rho * r + (1 - rho) * g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r.astype(np.float64)


def rmsprop_rho_swapped(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = (1 - rho) * r + rho * g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r


def rmsprop_delta_inside(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * g ** 2
    return theta - lr * g / np.sqrt(r + delta), r


def rmsprop_step_with_old_r(theta, g, r, lr, rho=0.9, delta=1e-6):
    r_new = rho * r + (1 - rho) * g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r_new


def rmsprop_reset(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = (1 - rho) * g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r


def adam_t_minus_one(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat, r_hat = s / (1 - rho1 ** (t - 1)), r / (1 - rho2 ** (t - 1))
    return theta - lr * s_hat / (delta + np.sqrt(r_hat)), s, r


def adam_unsquared(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g
    s_hat, r_hat = s / (1 - rho1 ** t), r / (1 - rho2 ** t)
    return theta - lr * s_hat / (delta + np.sqrt(r_hat)), s, r


def adam_no_sqrt(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat, r_hat = s / (1 - rho1 ** t), r / (1 - rho2 ** t)
    return theta - lr * s_hat / (delta + r_hat), s, r


def adam_step_before_moments(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s_hat, r_hat = s / (1 - rho1 ** t), r / (1 - rho2 ** t)
    theta = theta - lr * s_hat / (delta + np.sqrt(r_hat))
    return theta, rho1 * s + (1 - rho1) * g, rho2 * r + (1 - rho2) * g * g


def adam_power_outside(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat, r_hat = s / (1 - rho1) ** t, r / (1 - rho2) ** t
    return theta - lr * s_hat / (delta + np.sqrt(r_hat)), s, r


def _adam(theta, g, s, r, t, lr, rho1, rho2, delta):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat, r_hat = s / (1 - rho1 ** t), r / (1 - rho2 ** t)
    return theta - lr * s_hat / (delta + np.sqrt(r_hat)), s, r


def adamw_coupled(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                  weight_decay=0.01):
    return _adam(theta, g + weight_decay * theta, s, r, t, lr, rho1, rho2, delta)


def adamw_decay_after(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                      weight_decay=0.01):
    theta, s, r = _adam(theta, g, s, r, t, lr, rho1, rho2, delta)
    return theta - lr * weight_decay * theta, s, r


def adamw_decay_no_lr(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                      weight_decay=0.01):
    return _adam(theta - weight_decay * theta, g, s, r, t, lr, rho1, rho2, delta)


def adamw_in_place(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                   weight_decay=0.01):
    s *= rho1
    s += (1 - rho1) * g
    r *= rho2
    r += (1 - rho2) * g * g
    theta = theta * (1 - lr * weight_decay)
    return theta - lr * (s / (1 - rho1 ** t)) / (delta + np.sqrt(r / (1 - rho2 ** t))), s, r


WRONG = [
    ("sgd_update", {"lr missing"}, sgd_no_lr),
    ("sgd_update", {"lr applied twice"}, sgd_lr_squared),
    ("sgd_update", {"kind: dtype"}, sgd_float64),
    ("sgd_update", {"kind: modified input"}, sgd_in_place),
    ("momentum_update", {"sign flipped"}, momentum_v_negated),
    ("momentum_update", {"torch momentum"}, momentum_torch),
    ("momentum_update", {"torch momentum"}, momentum_lr_on_theta),
    ("momentum_update", {"hyperparameters swapped"}, momentum_swapped),
    ("momentum_update", {"momentum as an average"}, momentum_average),
    ("momentum_update", {"state reset"}, momentum_reset),
    ("nesterov_update", {"look-ahead sign flipped"}, nesterov_look_behind),
    ("nesterov_update", {"torch nesterov"}, nesterov_torch),
    ("nesterov_update", {"alpha missing"}, nesterov_no_alpha),
    ("nesterov_update", {"torch nesterov"}, nesterov_bengio),
    ("adagrad_update", {"g instead of g^2"}, adagrad_unsquared),
    ("adagrad_update", {"sqrt missing"}, adagrad_no_sqrt),
    ("adagrad_update", {"state before update"}, adagrad_returns_old_r),
    ("adagrad_update", {"|g| instead of g^2"}, adagrad_abs),
    ("rmsprop_update", {"kind: dtype"}, rmsprop_float64),
    ("rmsprop_update", {"rho and 1 - rho swapped"}, rmsprop_rho_swapped),
    ("rmsprop_update", {"delta inside sqrt"}, rmsprop_delta_inside),
    ("rmsprop_update", {"state before update"}, rmsprop_step_with_old_r),
    ("rmsprop_update", {"state reset"}, rmsprop_reset),
    ("adam_update", {"t offset", "kind: NaN"}, adam_t_minus_one),
    ("adam_update", {"g instead of g^2"}, adam_unsquared),
    ("adam_update", {"sqrt missing"}, adam_no_sqrt),
    ("adam_update", {"state before update"}, adam_step_before_moments),
    ("adam_update", {"bias correction wrong"}, adam_power_outside),
    ("adamw_update", {"coupled weight decay"}, adamw_coupled),
    ("adamw_update", {"weight decay after the step"}, adamw_decay_after),
    ("adamw_update", {"lr missing"}, adamw_decay_no_lr),
    ("adamw_update", {"kind: modified input"}, adamw_in_place),
]
