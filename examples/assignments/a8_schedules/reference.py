"""The schedules, as the book writes them (Goodfellow et al., section 8.3)."""
import numpy as np


def linear_decay(lr0, lr_tau, tau, k):
    """eps_k = (1 - a) eps_0 + a eps_tau with a = k / tau, and eps_tau after iteration tau."""
    a = np.minimum(np.asarray(k, dtype=float) / tau, 1.0)
    return (1 - a) * lr0 + a * lr_tau


def step_decay(lr0, k, drop, every):
    """eps_k = eps_0 * drop ** floor(k / every): the rate falls by ``drop`` every ``every`` steps."""
    return lr0 * drop ** np.floor_divide(np.asarray(k), every).astype(float)
