"""The ``nd`` namespace: array creation, the operations of :mod:`tracegrad.ops`, save/load.

``nd.array`` defaults to float32 even for integer input, as MXNet does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import (
    ops,
    random,  # noqa: F401  (nd.random.normal, ...)
)
from tracegrad.ndarray import CPU, Context, NDArray, cpu
from tracegrad.ops import *  # noqa: F401,F403
from tracegrad.ops import _nd

_DEFAULT = np.float32


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype(_DEFAULT if dtype is None else dtype)


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def array(source_array: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An NDArray from a list, NumPy array or NDArray; float32 unless ``dtype`` is given
    (also for integer input, as in MXNet; only an NDArray source keeps its dtype).

    >>> from tracegrad import nd
    >>> nd.array([1, 2]).dtype, nd.array([1, 2], dtype="float64").dtype
    (<class 'numpy.float32'>, <class 'numpy.float64'>)
    """
    if isinstance(source_array, NDArray):
        src = source_array.asnumpy()
        return NDArray(src if dtype is None else src.astype(dtype))
    return NDArray(np.array(source_array, dtype=_dtype(dtype)))


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
           ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """Evenly spaced values in [start, stop), float32 by default.

    >>> from tracegrad import nd
    >>> nd.arange(3).asnumpy().tolist(), nd.arange(1, 2, 0.5).asnumpy().tolist()
    ([0.0, 1.0, 2.0], [1.0, 1.5])
    """
    out = np.arange(start, stop, step, dtype=_dtype(dtype)) if stop is not None else \
        np.arange(start, dtype=_dtype(dtype))
    return NDArray(np.repeat(out, repeat) if repeat != 1 else out)


def zeros(shape: Any, ctx: Context | None = None, dtype: Any = None, **_: Any) -> NDArray:
    """An array of zeros, float32 by default.

    >>> from tracegrad import nd
    >>> nd.zeros((2, 3)).shape, nd.zeros(4).dtype
    ((2, 3), <class 'numpy.float32'>)
    """
    return NDArray(np.zeros(_shape(shape), dtype=_dtype(dtype)))


def ones(shape: Any, ctx: Context | None = None, dtype: Any = None, **_: Any) -> NDArray:
    """An array of ones, float32 by default.

    >>> from tracegrad import nd
    >>> nd.ones(2).asnumpy().tolist()
    [1.0, 1.0]
    """
    return NDArray(np.ones(_shape(shape), dtype=_dtype(dtype)))


def full(shape: Any, val: float, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An array filled with ``val``.

    >>> from tracegrad import nd
    >>> nd.full((1, 2), 7).asnumpy().tolist()
    [[7.0, 7.0]]
    """
    return NDArray(np.full(_shape(shape), val, dtype=_dtype(dtype)))


def empty(shape: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An uninitialised array (here: zeros, so nothing is ever read from garbage)."""
    return zeros(shape, ctx, dtype)


def eye(N: int, M: int = 0, k: int = 0, ctx: Context | None = None,
        dtype: Any = None) -> NDArray:
    """An N x M identity-like matrix with ones on diagonal ``k``.

    >>> from tracegrad import nd
    >>> nd.eye(2).asnumpy().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return NDArray(np.eye(N, M or None, k, dtype=_dtype(dtype)))


def linspace(start: float, stop: float, num: int, endpoint: bool = True,
             ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """``num`` evenly spaced values from ``start`` to ``stop``.

    >>> from tracegrad import nd
    >>> nd.linspace(0, 1, 3).asnumpy().tolist()
    [0.0, 0.5, 1.0]
    """
    return NDArray(np.linspace(start, stop, num, endpoint=endpoint, dtype=_dtype(dtype)))


def zeros_like(data: Any) -> NDArray:
    """Zeros with the shape and dtype of ``data``.

    >>> from tracegrad import nd
    >>> nd.zeros_like(nd.ones((2, 2))).asnumpy().tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    return NDArray(np.zeros(_nd(data).shape, dtype=np.dtype(_nd(data).dtype)))


def ones_like(data: Any) -> NDArray:
    """Ones with the shape and dtype of ``data``.

    >>> from tracegrad import nd
    >>> nd.ones_like(nd.zeros(2)).asnumpy().tolist()
    [1.0, 1.0]
    """
    return NDArray(np.ones(_nd(data).shape, dtype=np.dtype(_nd(data).dtype)))


def waitall() -> None:
    """Operations run synchronously; kept for MXNet compatibility."""


def save(fname: str, data: Any) -> None:
    """Save an NDArray, a list of them or a dict of name -> NDArray to ``fname``."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        payload = {f"d:{k}": v.asnumpy() for k, v in data.items()}
    elif isinstance(data, (list, tuple)):
        payload = {f"l:{i:06d}": v.asnumpy() for i, v in enumerate(data)}
    else:
        raise TypeError(f"nd.save takes an NDArray, a list or a dict, not {type(data).__name__}")
    with open(fname, "wb") as f:
        np.savez(f, **payload)


def load(fname: str) -> Any:
    """Load what :func:`save` wrote: a list, or a dict if a dict was saved."""
    with np.load(fname, allow_pickle=False) as z:
        keys = sorted(z.files)
        if keys and keys[0].startswith("d:"):
            return {k[2:]: NDArray(z[k]) for k in keys}
        return [NDArray(z[k]) for k in keys]


_METHODS = ("reshape", "transpose", "swapaxes", "expand_dims", "flatten", "squeeze",
            "broadcast_to", "broadcast_like", "sum", "mean", "max", "min", "prod", "argmax",
            "argmin", "norm", "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "sign",
            "relu", "sigmoid", "tanh", "sin", "cos", "floor", "ceil", "round", "reciprocal",
            "clip", "softmax", "log_softmax", "tile", "repeat", "flip", "one_hot", "take",
            "pick", "split")
for _name in _METHODS:
    setattr(NDArray, _name, getattr(ops, _name))
NDArray.zeros_like = zeros_like  # type: ignore[attr-defined]
NDArray.ones_like = ones_like  # type: ignore[attr-defined]

__all__ = ["NDArray", "Context", "cpu", "CPU", "array", "arange", "zeros", "ones", "full",
           "empty", "eye", "linspace", "zeros_like", "ones_like", "waitall", "save", "load"]
