"""Random sources. They take no array inputs and draw from NumPy's global generator when
they run, so a traced graph draws fresh numbers on every call instead of baking in one draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, register


def _abstract(*, shape: tuple[int, ...], dtype: str, **_: Any) -> ShapedArray:
    return ShapedArray(tuple(shape), np.dtype(dtype))


def _no_grad(*_: Any, **__: Any) -> list:
    return []


def _uniform(*, low: float, high: float, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return np.random.uniform(low, high, size=shape).astype(dtype)


def _normal(*, loc: float, scale: float, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return np.random.normal(loc, scale, size=shape).astype(dtype)


def _randint(*, low: int, high: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return np.random.randint(low, high, size=shape).astype(dtype)


random_uniform = register(Primitive(
    "random_uniform", "random", _uniform, _abstract, _no_grad,
    samples=lambda: [((), {"low": -1.0, "high": 2.0, "shape": (200, 3), "dtype": "float64"})],
    doc="Uniform samples in [low, high)."))
random_normal = register(Primitive(
    "random_normal", "random", _normal, _abstract, _no_grad,
    samples=lambda: [((), {"loc": 1.0, "scale": 2.0, "shape": (400, 2), "dtype": "float64"})],
    doc="Normal samples with mean loc and standard deviation scale."))
random_randint = register(Primitive(
    "random_randint", "random", _randint, _abstract, _no_grad,
    samples=lambda: [((), {"low": -3, "high": 5, "shape": (100,), "dtype": "int32"})],
    doc="Integer samples in [low, high), stored in `dtype`."))


def _full_impl(*, shape: tuple[int, ...], dtype: str, value: float) -> np.ndarray:
    return np.full(shape, value, dtype=dtype)


full = register(Primitive(
    "full", "other", _full_impl, _abstract, _no_grad,
    samples=lambda: [((), {"shape": (2, 3), "dtype": "float64", "value": 1.5})],
    doc="An array of one value; inside a trace it stays symbolic instead of a big constant."))
