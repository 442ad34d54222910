"""Correct update rules of Assignment 7, written otherwise than the reference. The
checks must give each full marks (tests/test_a7_checks.py), and so must the
diagnosis benchmark."""
import numpy as np


def sgd_update(theta, g, lr):
    out = np.array(theta, copy=True)
    out -= g * lr
    return out


def momentum_update(theta, g, v, lr, alpha):
    v = v * alpha
    v -= lr * g
    return theta + v, v


def nesterov_update(theta, grad_fn, v, lr, alpha):
    look_ahead = theta + alpha * v
    v_new = alpha * v - lr * grad_fn(look_ahead)
    return theta + v_new, v_new


def adagrad_update(theta, g, r, lr, delta=1e-7):
    r = r + g ** 2
    return theta - lr * g / (delta + np.sqrt(r)), r


def rmsprop_update(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * g ** 2
    return theta - (lr / (np.sqrt(r) + delta)) * g, r


def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * (g * g)
    s_hat = s / (1 - rho1 ** t)
    r_hat = r / (1 - rho2 ** t)
    return theta - (lr / (delta + np.sqrt(r_hat))) * s_hat, s, r


def adamw_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8, weight_decay=0.01):
    return adam_update(theta * (1 - lr * weight_decay), g, s, r, t, lr, rho1, rho2, delta)


STYLE = {f.__name__: f for f in (sgd_update, momentum_update, nesterov_update, adagrad_update,
                                 rmsprop_update, adam_update, adamw_update)}
