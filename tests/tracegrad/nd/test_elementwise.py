"""Elementwise functions of nd (unary math, clip, where, maximum/minimum, cast) against NumPy."""

import numpy as np
import pytest

from tests.tracegrad.nd.helpers import arr, check, rand
from tracegrad import nd

UNARY = [
    ("exp", nd.exp, np.exp, (-2, 2)),
    ("log", nd.log, np.log, (0.1, 3)),
    ("log1p", nd.log1p, np.log1p, (-0.5, 3)),
    ("expm1", nd.expm1, np.expm1, (-2, 2)),
    ("sqrt", nd.sqrt, np.sqrt, (0.0, 4)),
    ("square", nd.square, np.square, (-2, 2)),
    ("abs", nd.abs, np.abs, (-2, 2)),
    ("sign", nd.sign, np.sign, (-2, 2)),
    ("relu", nd.relu, lambda a: np.maximum(a, 0), (-2, 2)),
    ("sigmoid", nd.sigmoid, lambda a: 1 / (1 + np.exp(-a)), (-5, 5)),
    ("tanh", nd.tanh, np.tanh, (-3, 3)),
    ("sin", nd.sin, np.sin, (-3, 3)),
    ("cos", nd.cos, np.cos, (-3, 3)),
    ("floor", nd.floor, np.floor, (-3, 3)),
    ("ceil", nd.ceil, np.ceil, (-3, 3)),
    ("reciprocal", nd.reciprocal, np.reciprocal, (0.2, 3)),
]


class TestElementwise:
    @pytest.mark.parametrize("name, func, ref, dom", UNARY, ids=[u[0] for u in UNARY])
    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    def test_unary_vs_numpy(self, name, func, ref, dom, dtype):
        a = rand(3, 4, low=dom[0], high=dom[1], dtype=dtype)
        out = func(arr(a))
        check(out, ref(a), rtol=1e-5 if dtype == "float32" else 1e-12, dtype=dtype)

    @pytest.mark.parametrize("name, func, ref, dom", UNARY, ids=[u[0] for u in UNARY])
    def test_unary_method(self, name, func, ref, dom):
        a = rand(5, low=dom[0], high=dom[1])
        check(getattr(arr(a), name)(), ref(a), rtol=1e-5)

    def test_unary_accepts_python_lists(self):
        check(nd.exp([0.0, 1.0]), np.exp([0.0, 1.0]).astype(np.float32), dtype=np.float32)

    def test_sigmoid_extreme_values(self):
        check(nd.sigmoid(nd.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])

    def test_round_away_from_halves(self):
        a = np.array([-1.7, -1.2, 0.2, 1.4, 1.9, 2.1], np.float32)
        check(nd.round(arr(a)), np.round(a))

    def test_round_halves_like_mxnet(self):
        check(nd.round(nd.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])),
              [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])

    def test_clip(self):
        a = rand(3, 4)
        check(nd.clip(arr(a), -0.5, 0.7), np.clip(a, -0.5, 0.7))
        check(arr(a).clip(-1, 1), np.clip(a, -1, 1))

    def test_clip_with_inverted_bounds_as_mxnet(self):
        # MXNet: a_max above it, a_min below it (tests/tracegrad/nd/test_mxnet_semantics.py)
        check(nd.clip(nd.array([-2.5, 0.5, 1.5, 3.0]), 2.0, 1.0), [2.0, 2.0, 1.0, 1.0])

    def test_where(self):
        c = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], np.float32)
        a, b = rand(2, 3), rand(2, 3)
        check(nd.where(arr(c), arr(a), arr(b)), np.where(c, a, b))

    def test_maximum_minimum_broadcast(self):
        a, b = rand(3, 1), rand(1, 4)
        check(nd.maximum(arr(a), arr(b)), np.maximum(a, b))
        check(nd.minimum(arr(a), 0.0), np.minimum(a, 0.0))

    def test_power_with_array_exponent(self):
        a, b = rand(4, low=0.5, high=2), rand(4)
        check(nd.power(arr(a), arr(b)), np.power(a, b))
        check(2 ** arr(b), np.power(np.float32(2), b))

    def test_cast_and_astype(self):
        a = np.array([1.7, -2.2, 3.0], np.float32)
        check(arr(a).astype("int32"), a.astype(np.int32), dtype=np.int32)
        check(nd.cast(arr(a), "float64"), a.astype(np.float64), dtype=np.float64)
