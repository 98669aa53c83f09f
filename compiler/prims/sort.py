"""Sorting: the stable permutation that sorts along an axis.

Samples are tie-free (at a tie the indices jump, so finite differences see a jump); the
front end's tests check the tie order.

Values are never sorted by a primitive of their own: the front end gathers them with ``take``
at these indices, so sort, topk and their gradients (any order) are composites.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, register
from ._util import away_from_ties


def _argsort_impl(x: np.ndarray, *, axis: int, descending: bool) -> np.ndarray:
    # Stable in both directions (ties keep their order, as MXNet's topk/sort/argsort do): a
    # descending order is the reversed ascending order of the reversed array.
    x = np.asarray(x)
    if not descending:
        return np.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
    n = x.shape[axis]
    rev = np.flip(x, axis=axis)
    idx = np.flip(np.argsort(rev, axis=axis, kind="stable"), axis=axis)
    return (n - 1 - idx).astype(np.int64, copy=False)


def _argsort_abstract(x: Any, *, axis: int, descending: bool) -> ShapedArray:
    if not 0 <= axis < max(len(x.shape), 1):
        raise ValueError(f"argsort: axis {axis} is out of range for shape {tuple(x.shape)}")
    return ShapedArray(tuple(x.shape), np.dtype(np.int64))


argsort: Primitive = register(Primitive(
    "argsort", "other", _argsort_impl, _argsort_abstract, lambda g, out, x, **_: [None],
    samples=lambda: [((away_from_ties(3, 4),), {"axis": 1, "descending": False}),
                     ((away_from_ties(3, 4),), {"axis": 0, "descending": True})],
    doc="The stable permutation (int64 indices) that sorts along an axis, ascending or "
        "descending."))
