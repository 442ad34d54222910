"""Argument validation shared by the reference rules.

Every rule validates before it computes, so a bad call fails with a message
that names the argument instead of silently producing NaNs.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def as_array(name: str, value) -> np.ndarray:
    """Return ``value`` as a floating-point array, rejecting non-numeric input."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numeric array or number, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def same_shape(theta: np.ndarray, **others: np.ndarray) -> None:
    for name, arr in others.items():
        if arr.shape != theta.shape:
            raise ValueError(f"{name} must have theta's shape {theta.shape}, got {arr.shape}")


def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if not (isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number)):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def positive(name: str, value) -> float:
    value = _real(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def non_negative(name: str, value) -> float:
    value = _real(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def unit_interval(name: str, value) -> float:
    """A decay or momentum rate: 0 <= value < 1."""
    value = _real(name, value)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def step_count(name: str, value) -> int:
    """A 1-based step counter."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer >= 1, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1 (t = 1 on the first step), got {value}")
    return int(value)
