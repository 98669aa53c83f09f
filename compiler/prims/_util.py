"""Helpers shared by the primitive declarations: shape rules and sample inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import ShapedArray, is_array


def result_dtype(*args: Any) -> np.dtype:
    """NumPy's promotion with Python scalars kept weak (NEP 50): float32 * 2.0 is float32."""
    return np.result_type(*[a.dtype if is_array(a) else a for a in args])


def broadcast_abstract(*args: Any, **_: Any) -> ShapedArray:
    shapes = [tuple(a.shape) for a in args if is_array(a)]
    return ShapedArray(np.broadcast_shapes(*shapes), result_dtype(*args))


def same_abstract(x: Any, **_: Any) -> ShapedArray:
    return ShapedArray(tuple(x.shape), np.dtype(x.dtype))


def normalize_axes(axes: Any, ndim: int) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints; ``None`` means all axes."""
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for an array with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


_rng = np.random.default_rng(0)


def rand(*shape: int, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    """A float64 sample input (finite differences need float64)."""
    return _rng.uniform(low, high, size=shape)


def positive(*shape: int) -> np.ndarray:
    return rand(*shape, low=0.3, high=2.0)


def away_from_ties(*shape: int) -> np.ndarray:
    """Distinct values at least 0.1 apart, so max/min/abs are differentiable at every sample."""
    n = int(np.prod(shape))
    vals = (_rng.permutation(n) - n / 2 + 0.37) * 0.3
    return vals.reshape(shape)
