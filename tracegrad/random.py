"""Random arrays (``nd.random``) drawn from NumPy's global generator.

Inside ``jit`` these stay operations of the graph, so every call draws new numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _wrap


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the generator used by ``nd.random`` and Dropout."""
    np.random.seed(seed_state)


def _shape(shape: Any) -> tuple[int, ...]:
    if shape is None:
        return (1,)
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)


def uniform(low: float = 0.0, high: float = 1.0, shape: Any = None, dtype: Any = None,
            ctx: Any = None, **_: Any) -> NDArray:
    """Samples from U[low, high)."""
    return _wrap(P.random_uniform(low=float(low), high=float(high), shape=_shape(shape),
                                  dtype=np.dtype(dtype or np.float32).name))


def normal(loc: float = 0.0, scale: float = 1.0, shape: Any = None, dtype: Any = None,
           ctx: Any = None, **_: Any) -> NDArray:
    """Samples from N(loc, scale**2)."""
    if scale < 0:
        raise ValueError(f"normal: scale must be non-negative, got {scale}")
    return _wrap(P.random_normal(loc=float(loc), scale=float(scale), shape=_shape(shape),
                                 dtype=np.dtype(dtype or np.float32).name))


def randint(low: int, high: int, shape: Any = None, dtype: Any = None, ctx: Any = None,
            **_: Any) -> NDArray:
    """Integers in [low, high), int32 by default as in MXNet."""
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    return _wrap(P.random_randint(low=int(low), high=int(high), shape=_shape(shape),
                                  dtype=np.dtype(dtype or np.int32).name))


def shuffle(data: NDArray, **_: Any) -> NDArray:
    """A copy of ``data`` with its first axis randomly permuted."""
    arr = data.asnumpy()
    np.random.shuffle(arr)
    return NDArray(arr)
