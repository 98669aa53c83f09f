"""``nd.contrib``: MXNet's contrib operators that tracegrad has (``isinf``, ``isfinite``,
``isnan``). Each returns 0/1 in the input's dtype and has a zero gradient, as in MXNet."""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad.ndarray import NDArray
from tracegrad.ops import _nd


def _float_test(data: Any, test: Any, on_ints: float) -> NDArray:
    x = _nd(data)
    if np.dtype(x.dtype).kind != "f":  # integers are always finite and never NaN
        return NDArray(np.full(x.shape, on_ints, dtype=np.dtype(x.dtype)))
    return ops.stop_gradient(test(x))


def isinf(data: Any) -> NDArray:
    """1 where the element is +inf or -inf, else 0.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.contrib.isinf(nd.array([1, float("inf"), float("nan")])).asnumpy().tolist()
    [0.0, 1.0, 0.0]
    """
    return _float_test(data, lambda x: ops.abs(x) == float("inf"), 0.0)


def isnan(data: Any) -> NDArray:
    """1 where the element is NaN, else 0.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.contrib.isnan(nd.array([1, float("inf"), float("nan")])).asnumpy().tolist()
    [0.0, 0.0, 1.0]
    """
    return _float_test(data, lambda x: x != x, 0.0)


def isfinite(data: Any) -> NDArray:
    """1 where the element is neither infinite nor NaN, else 0.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.contrib.isfinite(nd.array([1, float("inf"), float("nan")])).asnumpy().tolist()
    [1.0, 0.0, 0.0]
    """
    return _float_test(data, lambda x: ops.abs(x) < float("inf"), 1.0)  # false for NaN too


__all__ = ["isinf", "isnan", "isfinite"]
