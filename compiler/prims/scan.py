"""Scans: the running sum along one axis, forward or reversed.

The VJP of a running sum is the running sum of the cotangent in the other direction, so one
primitive with a ``reverse`` flag is closed under differentiation (any order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, register
from ._util import rand


def _cumsum_impl(x: Any, *, axis: int, reverse: bool) -> np.ndarray:
    x = np.asarray(x)
    # float32 accumulates in float64 (as reduce_sum does), rounded once per element
    acc = np.float64 if x.dtype in (np.float16, np.float32) else x.dtype
    if reverse:
        out = np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=acc), axis)
    else:
        out = np.cumsum(x, axis=axis, dtype=acc)
    return out.astype(x.dtype, copy=False)


def _cumsum_abstract(x: Any, *, axis: int, reverse: bool) -> ShapedArray:
    if not 0 <= axis < len(x.shape):
        raise ValueError(f"cumsum: axis {axis} is out of range for shape {tuple(x.shape)}")
    return ShapedArray(tuple(x.shape), np.dtype(x.dtype))


cumsum: Primitive = register(Primitive(
    "cumsum", "other", _cumsum_impl, _cumsum_abstract,
    lambda g, out, x, *, axis, reverse: [cumsum(g, axis=axis, reverse=not reverse)],
    samples=lambda: [((rand(3, 4),), {"axis": 1, "reverse": False}),
                     ((rand(2, 3, 2),), {"axis": 0, "reverse": True})],
    doc="Running sum along an axis (from the end when reverse)."))
