"""Update rules of Assignment 7, one pure function per rule.

Notation of Goodfellow, Bengio and Courville, *Deep Learning* (2016), ch. 8:
``lr`` is the learning rate epsilon, ``alpha`` the momentum, ``rho``/``rho1``/
``rho2`` decay rates, ``delta`` the small stability constant and ``t`` the
1-based step count. ``g`` is the (mini-batch) gradient at ``theta``.

Every rule is pure: it returns new arrays and never modifies an input. Any
shape works (0-d, vector, matrix); theta, g and the state must share a shape.
Results have theta's floating dtype (float32 in, float32 out). State starts at
zeros (``np.zeros_like(theta)``). Bad hyperparameters raise ``ValueError`` (or
``TypeError``) naming the argument.

``RULES`` declares, once, how each rule is called (``Rule``): the training
loop, the grading of Assignment 7 and the harness's trajectories read it.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from reference._checks import (as_array, non_negative, positive, same_shape,
                               step_count, unit_interval)

__all__ = ["sgd_update", "momentum_update", "nesterov_update", "adagrad_update",
           "rmsprop_update", "adam_update", "adamw_update", "Rule", "RULES"]


def _like(theta: np.ndarray, *arrays: np.ndarray):
    """Cast results to theta's dtype; 0-d results stay arrays, not scalars."""
    out = tuple(np.asarray(a, dtype=theta.dtype) for a in arrays)
    return out[0] if len(out) == 1 else out


def sgd_update(theta, g, lr):
    """Stochastic gradient descent (Goodfellow et al., Algorithm 8.1).

        theta <- theta - lr * g

    Args:
        theta: parameters.
        g: gradient estimate at theta (mean over a mini-batch).
        lr: learning rate epsilon > 0.
    Returns:
        theta_new.
    """
    theta, g = as_array("theta", theta), as_array("g", g)
    same_shape(theta, g=g)
    lr = positive("lr", lr)
    return _like(theta, theta - lr * g)


def momentum_update(theta, g, v, lr, alpha):
    """SGD with momentum (Goodfellow et al., Algorithm 8.2; Polyak, 1964).

        v     <- alpha * v - lr * g
        theta <- theta + v

    Args:
        theta: parameters.
        g: gradient estimate at theta.
        v: velocity, an exponentially decaying sum of past steps (zeros at first).
        lr: learning rate epsilon > 0.
        alpha: momentum in [0, 1); how much of the previous velocity is kept.
    Returns:
        (theta_new, v_new).
    """
    theta, g, v = as_array("theta", theta), as_array("g", g), as_array("v", v)
    same_shape(theta, g=g, v=v)
    lr, alpha = positive("lr", lr), unit_interval("alpha", alpha)
    v_new = alpha * v - lr * g
    return _like(theta, theta + v_new, v_new)


def nesterov_update(theta, grad_fn: Callable, v, lr, alpha):
    """Nesterov momentum (Goodfellow et al., Algorithm 8.3; Sutskever et al., 2013).

    The gradient is taken at the look-ahead point, where momentum alone
    would carry theta, rather than at theta itself:

        g     <- grad_fn(theta + alpha * v)
        v     <- alpha * v - lr * g
        theta <- theta + v

    Args:
        theta: parameters.
        grad_fn: function of one argument, the point, returning the gradient
            there (a closure over the mini-batch: ``lambda p: grad(p, X, y)``).
        v: velocity (zeros at first).
        lr: learning rate epsilon > 0.
        alpha: momentum in [0, 1).
    Returns:
        (theta_new, v_new).
    """
    theta, v = as_array("theta", theta), as_array("v", v)
    same_shape(theta, v=v)
    lr, alpha = positive("lr", lr), unit_interval("alpha", alpha)
    if not callable(grad_fn):
        raise TypeError(f"grad_fn must be callable, got {type(grad_fn).__name__}")
    g = as_array("grad_fn(theta + alpha * v)", grad_fn(theta + alpha * v))
    same_shape(theta, **{"grad_fn(theta + alpha * v)": g})
    v_new = alpha * v - lr * g
    return _like(theta, theta + v_new, v_new)


def adagrad_update(theta, g, r, lr, delta=1e-7):
    """AdaGrad (Goodfellow et al., Algorithm 8.4; Duchi, Hazan and Singer, 2011).

    Each coordinate's step shrinks with the sum of its squared gradients, so
    steep directions slow down while flat ones keep a large step:

        r     <- r + g * g
        theta <- theta - lr / (delta + sqrt(r)) * g

    Args:
        theta: parameters.
        g: gradient estimate at theta.
        r: sum of squared gradients so far (zeros at first).
        lr: global learning rate epsilon > 0.
        delta: stability constant > 0 (book: 1e-7), keeps the division finite.
    Returns:
        (theta_new, r_new).
    """
    theta, g, r = as_array("theta", theta), as_array("g", g), as_array("r", r)
    same_shape(theta, g=g, r=r)
    lr, delta = positive("lr", lr), positive("delta", delta)
    r_new = r + g * g
    return _like(theta, theta - lr / (delta + np.sqrt(r_new)) * g, r_new)


def rmsprop_update(theta, g, r, lr, rho=0.9, delta=1e-6):
    """RMSProp (Goodfellow et al., Algorithm 8.5; Hinton, 2012, lecture 6e).

    AdaGrad with an exponentially decaying history, so old gradients are
    forgotten and the step does not shrink to zero:

        r     <- rho * r + (1 - rho) * g * g
        theta <- theta - lr / (delta + sqrt(r)) * g

    Args:
        theta: parameters.
        g: gradient estimate at theta.
        r: running mean of squared gradients (zeros at first).
        lr: global learning rate epsilon > 0.
        rho: decay rate in [0, 1) (book: 0.9).
        delta: stability constant > 0 (book: 1e-6), outside the square root as
            in the lecture and torch.optim.RMSprop (the book's Algorithm 8.5
            puts it under the root).
    Returns:
        (theta_new, r_new).
    """
    theta, g, r = as_array("theta", theta), as_array("g", g), as_array("r", r)
    same_shape(theta, g=g, r=r)
    lr, rho, delta = positive("lr", lr), unit_interval("rho", rho), positive("delta", delta)
    r_new = rho * r + (1 - rho) * g * g
    return _like(theta, theta - lr / (delta + np.sqrt(r_new)) * g, r_new)


def adam_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    """Adam (Goodfellow et al., Algorithm 8.7; Kingma and Ba, 2015).

    Momentum (first moment s) combined with RMSProp's per-coordinate scaling
    (second moment r). Both start at zero and are therefore biased towards
    zero early on; dividing by 1 - rho**t removes that bias:

        s     <- rho1 * s + (1 - rho1) * g
        r     <- rho2 * r + (1 - rho2) * g * g
        s_hat =  s / (1 - rho1**t)
        r_hat =  r / (1 - rho2**t)
        theta <- theta - lr * s_hat / (delta + sqrt(r_hat))

    Args:
        theta: parameters.
        g: gradient estimate at theta.
        s: biased first-moment estimate (zeros at first).
        r: biased second-moment estimate (zeros at first).
        t: step number, 1 on the first step.
        lr: step size epsilon > 0 (book: 0.001).
        rho1, rho2: decay rates of s and r in [0, 1) (book: 0.9 and 0.999).
        delta: stability constant > 0 (book: 1e-8), outside the square root.
    Returns:
        (theta_new, s_new, r_new): the moments are returned uncorrected.
    """
    theta, g = as_array("theta", theta), as_array("g", g)
    s, r = as_array("s", s), as_array("r", r)
    same_shape(theta, g=g, s=s, r=r)
    t = step_count("t", t)
    lr, delta = positive("lr", lr), positive("delta", delta)
    rho1, rho2 = unit_interval("rho1", rho1), unit_interval("rho2", rho2)
    s_new = rho1 * s + (1 - rho1) * g
    r_new = rho2 * r + (1 - rho2) * g * g
    s_hat = s_new / (1 - rho1 ** t)
    r_hat = r_new / (1 - rho2 ** t)
    return _like(theta, theta - lr * s_hat / (delta + np.sqrt(r_hat)), s_new, r_new)


def adamw_update(theta, g, s, r, t, lr=0.001, rho1=0.9, rho2=0.999, delta=1e-8,
                 weight_decay=0.01):
    """AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, ICLR 2019).

    The decay shrinks theta directly instead of being added to g, so it is
    not rescaled by the adaptive denominator (the semantics of
    ``torch.optim.AdamW``):

        theta <- theta - lr * weight_decay * theta
        then the Adam step of ``adam_update`` from the decayed theta.

    Args:
        as ``adam_update``, plus weight_decay >= 0.
    Returns:
        (theta_new, s_new, r_new).
    """
    theta = as_array("theta", theta)
    lr, weight_decay = positive("lr", lr), non_negative("weight_decay", weight_decay)
    decayed = _like(theta, theta - lr * weight_decay * theta)
    return adam_update(decayed, g, s, r, t, lr=lr, rho1=rho1, rho2=rho2, delta=delta)


_NOT_HYPER = frozenset({"theta", "g", "grad_fn", "t"})


@dataclass(frozen=True)
class Rule:
    """How an update rule is called: the one declaration every caller reads.

    A rule is called as ``fn(theta, g, *state, [t], **hyper)`` and returns
    ``theta_new`` alone when it has no state, else ``(theta_new, *state_new)``
    in the order of ``state``.

    fn: the update function; its ``__name__`` is the rule's name.
    state: names of the state arrays, as fn takes and returns them (each
        starts at zeros shaped like theta).
    takes_t: fn takes the 1-based step count after the state.
    takes_grad_fn: fn takes, in place of the gradient ``g``, a function
        returning the gradient at any point (Nesterov's look-ahead).

    ``hyper`` and ``defaults`` (the hyperparameters after those, and the
    defaults among them) are read from fn's signature, which must agree with
    the declaration: a rule that does not is refused when declared.
    """
    fn: Callable
    state: tuple[str, ...] = ()
    takes_t: bool = False
    takes_grad_fn: bool = False
    hyper: tuple[str, ...] = field(init=False)
    defaults: Mapping[str, float] = field(init=False, compare=False)

    def __post_init__(self):
        params = list(inspect.signature(self.fn).parameters.values())
        leading = ("theta", "grad_fn" if self.takes_grad_fn else "g", *self.state,
                   *(("t",) if self.takes_t else ()))
        names = tuple(p.name for p in params[:len(leading)])
        if names != leading or any(p.default is not p.empty for p in params[:len(leading)]):
            raise TypeError(f"{self.name} must take ({', '.join(leading)}, ...) "
                            f"without defaults, as declared; it takes ({', '.join(names)}, ...)")
        rest = params[len(leading):]
        if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in rest):
            raise TypeError(f"{self.name}: hyperparameters must be named parameters")
        if misplaced := [p.name for p in rest if p.name in _NOT_HYPER]:
            raise TypeError(f"{self.name} takes {', '.join(misplaced)} among its "
                            "hyperparameters: its state, takes_t or takes_grad_fn is undeclared")
        object.__setattr__(self, "hyper", tuple(p.name for p in rest))
        object.__setattr__(self, "defaults", MappingProxyType(
            {p.name: p.default for p in rest if p.default is not p.empty}))

    @property
    def name(self) -> str:
        return self.fn.__name__

    def shape(self) -> dict:
        """How to call the rule, as plain data for a process that cannot import
        this module (the sandboxed harness): {"state": (...), "takes_t": bool,
        "takes_grad_fn": bool}."""
        return {"state": self.state, "takes_t": self.takes_t,
                "takes_grad_fn": self.takes_grad_fn}


#: The rules by name, in course order.
RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule(sgd_update),
    Rule(momentum_update, state=("v",)),
    Rule(nesterov_update, state=("v",), takes_grad_fn=True),
    Rule(adagrad_update, state=("r",)),
    Rule(rmsprop_update, state=("r",)),
    Rule(adam_update, state=("s", "r"), takes_t=True),
    Rule(adamw_update, state=("s", "r"), takes_t=True),
)}
