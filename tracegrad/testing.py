"""Helpers for checking gradients: central differences in float64 against autograd."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np


def numerical_grad(fun: Callable[..., float], args: Sequence[np.ndarray], argnum: int,
                   eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``fun(*args)`` with respect to one argument.

    ``args`` must be float64 NumPy arrays; each element is perturbed by ``±eps`` in turn.
    """
    args = [np.array(a, dtype=np.float64, copy=True, order="C") for a in args]
    x = args[argnum]
    if x.dtype != np.float64:
        raise TypeError("numerical_grad needs float64 inputs for accurate differences")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = float(fun(*args))
        flat[i] = old - eps
        lo = float(fun(*args))
        flat[i] = old
        gflat[i] = (hi - lo) / (2 * eps)
    return grad


def assert_allclose(actual: Any, desired: Any, rtol: float = 1e-5, atol: float = 1e-6,
                    err_msg: str = "") -> None:
    """``np.testing.assert_allclose`` that also accepts NDArrays."""
    from tracegrad.ndarray import NDArray

    a = actual.asnumpy() if isinstance(actual, NDArray) else np.asarray(actual)
    d = desired.asnumpy() if isinstance(desired, NDArray) else np.asarray(desired)
    np.testing.assert_allclose(a, d, rtol=rtol, atol=atol, err_msg=err_msg)
