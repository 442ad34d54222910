"""Assignment 7's own part of the harness: the objective its checks name.

Loaded wherever the checks run (the grader, the student's sandbox, the
self-check). Plain numpy: it runs in the student's process too.

``quadratic``: grad(theta) = A @ theta - b, theta of any shape (flattened),
the gradient of the ill-conditioned bowls the trajectories run on and the
grad_fn that Nesterov's single steps are given.
"""
import numpy as np


def quadratic(A, b):
    A, b = np.asarray(A), np.asarray(b)

    def grad(point):
        if type(point) is np.ndarray and point.ndim == 1 and point.dtype == A.dtype == np.float64:
            return A @ point - b  # the common case, in a trajectory's every step
        point = np.asarray(point)
        # In the point's dtype, as a float32 model's gradient would be.
        dtype = point.dtype if point.dtype.kind == "f" else np.float64
        return (A @ point.reshape(-1) - b).reshape(point.shape).astype(dtype, copy=False)
    return grad


OBJECTIVES = {"quadratic": quadratic}
