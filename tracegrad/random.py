"""Random arrays (``nd.random``) drawn from NumPy's global generator.

Inside ``jit`` these stay operations of the graph, so every call draws new numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _wrap
from tracegrad.opargs import reject_unknown, write_out


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the generator used by ``nd.random`` and Dropout."""
    np.random.seed(seed_state)


def _shape(shape: Any) -> tuple[int, ...]:
    if shape is None:
        return (1,)
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)


def uniform(low: Any = 0.0, high: Any = 1.0, shape: Any = None, dtype: Any = None,
            ctx: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from U[low, high); NDArray ``low`` and ``high`` draw one distribution per
    element (shape low.shape + shape), as ``nd.sample_uniform``."""
    reject_unknown("nd.random.uniform", kwargs)
    if isinstance(low, NDArray) or isinstance(high, NDArray):
        from tracegrad.random_nd import sample_uniform

        return sample_uniform(low, high, shape, dtype, out)
    return write_out("nd.random.uniform", _wrap(P.random_uniform(
        low=float(low), high=float(high), shape=_shape(shape),
        dtype=np.dtype(dtype or np.float32).name)), out)


def normal(loc: Any = 0.0, scale: Any = 1.0, shape: Any = None, dtype: Any = None,
           ctx: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from N(loc, scale**2); NDArray ``loc`` and ``scale`` draw one distribution per
    element, as ``nd.sample_normal``."""
    reject_unknown("nd.random.normal", kwargs)
    if isinstance(loc, NDArray) or isinstance(scale, NDArray):
        from tracegrad.random_nd import sample_normal

        return sample_normal(loc, scale, shape, dtype, out)
    if scale < 0:
        raise ValueError(f"normal: scale must be non-negative, got {scale}")
    return write_out("nd.random.normal", _wrap(P.random_normal(
        loc=float(loc), scale=float(scale), shape=_shape(shape),
        dtype=np.dtype(dtype or np.float32).name)), out)


def randint(low: int, high: int, shape: Any = None, dtype: Any = None, ctx: Any = None,
            out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Integers in [low, high), int32 by default as in MXNet."""
    reject_unknown("nd.random.randint", kwargs)
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    return write_out("nd.random.randint", _wrap(P.random_randint(
        low=int(low), high=int(high), shape=_shape(shape),
        dtype=np.dtype(dtype or np.int32).name)), out)


def shuffle(data: NDArray, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """A copy of ``data`` with its first axis randomly permuted."""
    reject_unknown("nd.random.shuffle", kwargs)
    arr = data.asnumpy()
    np.random.shuffle(arr)
    return write_out("nd.random.shuffle", NDArray(arr), out)
