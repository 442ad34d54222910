"""Known mistakes in the update rules of Assignment 7.

Each entry is a wrong implementation with the rule's signature, a name a
student recognises and a hint towards the fix. When a student's outputs
match an entry on every case of a failed check, the feedback names it.
Add an entry to teach the grader a new misconception; nothing else changes.
"""
import numpy as np

from grader.checks import Mistake


def _adam(theta, g, s, r, t, lr, rho1, rho2, delta, correct_s=True, correct_r=True,
          t_offset=0, inside=False, swap=False, return_hat=False):
    if swap:
        rho1, rho2 = rho2, rho1
    t = t + t_offset
    s = rho1 * s + (1 - rho1) * g
    r = rho2 * r + (1 - rho2) * g * g
    s_hat = s / (1 - rho1 ** t) if correct_s else s
    r_hat = r / (1 - rho2 ** t) if correct_r else r
    denom = np.sqrt(r_hat + delta) if inside else delta + np.sqrt(r_hat)
    theta = theta - lr * s_hat / denom
    return (theta, s_hat, r_hat) if return_hat else (theta, s, r)


def adam_variant(**how):
    def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
        return _adam(theta, g, s, r, t, lr, rho1, rho2, delta, **how)
    return adam_update


def momentum_plus(theta, g, v, lr, alpha):
    v = alpha * v + lr * g
    return theta + v, v


def momentum_old_v(theta, g, v, lr, alpha):
    return theta + v, alpha * v - lr * g


def nesterov_at_theta(theta, grad_fn, v, lr, alpha):
    v = alpha * v - lr * grad_fn(theta)
    return theta + v, v


def adagrad_no_sum(theta, g, r, lr, delta=1e-7):
    r = g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r


def adagrad_old_r(theta, g, r, lr, delta=1e-7):
    return theta - lr / (delta + np.sqrt(r)) * g, r + g * g


def adagrad_delta_inside(theta, g, r, lr, delta=1e-7):
    r = r + g * g
    return theta - lr / np.sqrt(delta + r) * g, r


def rmsprop_no_one_minus_rho(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + g * g
    return theta - lr / (delta + np.sqrt(r)) * g, r


def rmsprop_delta_inside(theta, g, r, lr, rho=0.9, delta=1e-6):
    r = rho * r + (1 - rho) * g * g
    return theta - lr / np.sqrt(delta + r) * g, r


def sgd_ascent(theta, g, lr):
    return theta + lr * g


MISTAKES = (
    Mistake("sgd_update", "gradient ascent: the sign is flipped",
            "step against the gradient: theta - lr * g", sgd_ascent),
    Mistake("momentum_update", "the velocity adds the gradient (+ lr * g)",
            "v <- alpha * v - lr * g: the velocity points downhill", momentum_plus),
    Mistake("momentum_update", "theta moves with the old velocity",
            "update v first, then theta <- theta + v with the NEW v", momentum_old_v),
    Mistake("nesterov_update", "gradient taken at theta instead of the look-ahead point",
            "call grad_fn(theta + alpha * v): Nesterov looks ahead", nesterov_at_theta),
    Mistake("adagrad_update", "r is not accumulated",
            "r <- r + g * g: AdaGrad keeps the sum of ALL squared gradients", adagrad_no_sum),
    Mistake("adagrad_update", "the step divides by the old r",
            "update r first, then use the new r in the step", adagrad_old_r),
    Mistake("adagrad_update", "delta inside the square root",
            "the denominator is delta + sqrt(r), not sqrt(delta + r)", adagrad_delta_inside),
    Mistake("rmsprop_update", "RMSProp without (1 - rho)",
            "r <- rho * r + (1 - rho) * g * g: a weighted average, not a sum",
            rmsprop_no_one_minus_rho),
    Mistake("rmsprop_update", "delta inside the square root",
            "the denominator is delta + sqrt(r), not sqrt(delta + r)", rmsprop_delta_inside),
    Mistake("adam_update", "Adam without bias correction",
            "divide s by 1 - rho1**t and r by 1 - rho2**t before the step",
            adam_variant(correct_s=False, correct_r=False)),
    Mistake("adam_update", "bias correction only on s",
            "correct r too: r_hat = r / (1 - rho2**t)", adam_variant(correct_r=False)),
    Mistake("adam_update", "bias correction only on r",
            "correct s too: s_hat = s / (1 - rho1**t)", adam_variant(correct_s=False)),
    Mistake("adam_update", "t counted from 0",
            "t is 1 on the first step: use rho**t, not rho**(t + 1)", adam_variant(t_offset=1)),
    Mistake("adam_update", "delta inside the square root",
            "the denominator is delta + sqrt(r_hat), not sqrt(r_hat + delta)",
            adam_variant(inside=True)),
    Mistake("adam_update", "rho1 and rho2 swapped",
            "rho1 (0.9) decays the first moment s, rho2 (0.999) the second moment r",
            adam_variant(swap=True)),
    Mistake("adam_update", "returns s_hat and r_hat instead of s and r",
            "return the uncorrected moments s and r: the correction is recomputed each step",
            adam_variant(return_hat=True)),
)
