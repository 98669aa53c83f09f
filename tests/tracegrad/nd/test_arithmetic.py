"""Arithmetic and comparison operators and named binary functions against NumPy, broadcasting."""

import numpy as np
import pytest

from tests.tracegrad.nd.helpers import arr, check, rand
from tracegrad import nd
from tracegrad.ndarray import NDArray

BINARY = [
    ("add", lambda a, b: a + b, np.add, False),
    ("sub", lambda a, b: a - b, np.subtract, False),
    ("mul", lambda a, b: a * b, np.multiply, False),
    ("div", lambda a, b: a / b, np.divide, True),
    ("pow", lambda a, b: a ** b, np.power, True),
    ("mod", lambda a, b: a % b, np.mod, True),
]


def _operands(positive_rhs, shape_a, shape_b):
    a = rand(*shape_a, low=0.5, high=3.0) if positive_rhs else rand(*shape_a)
    b = rand(*shape_b, low=0.5, high=2.0)
    if not positive_rhs:
        b = b * np.sign(rand(*shape_b))
    return a, b


class TestArithmetic:
    @pytest.mark.parametrize("name, op, ref, pos", BINARY, ids=[b[0] for b in BINARY])
    @pytest.mark.parametrize("sa, sb", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)),
                                        ((4,), (2, 1, 4))])
    def test_array_array_broadcasting(self, name, op, ref, pos, sa, sb):
        a, b = _operands(pos, sa, sb)
        check(op(arr(a), arr(b)), ref(a, b), rtol=1e-5, dtype=np.float32)

    @pytest.mark.parametrize("name, op, ref, pos", BINARY, ids=[b[0] for b in BINARY])
    def test_array_scalar(self, name, op, ref, pos):
        a, _ = _operands(pos, (3, 4), (1,))
        check(op(arr(a), 1.5), ref(a, np.float32(1.5)), dtype=np.float32)
        check(op(arr(a), 2), ref(a, np.float32(2)), dtype=np.float32)

    @pytest.mark.parametrize("name, op, ref, pos", BINARY, ids=[b[0] for b in BINARY])
    def test_reflected_scalar(self, name, op, ref, pos):
        b = rand(3, 4, low=0.5, high=2.0)
        check(op(1.5, arr(b)), ref(np.float32(1.5), b), dtype=np.float32)
        check(op(3, arr(b)), ref(np.float32(3), b), dtype=np.float32)

    def test_reflected_with_numpy_array_on_the_left(self):
        a, b = rand(3), rand(3)
        out = a + arr(b)  # NumPy defers to NDArray.__radd__
        assert isinstance(out, NDArray)
        check(out, a + b)

    def test_mod_follows_the_divisor_sign(self):
        a = np.array([5.0, -5.0, 5.0, -5.0, 7.5], np.float32)
        b = np.array([3.0, 3.0, -3.0, -3.0, 2.0], np.float32)
        check(arr(a) % arr(b), [2.0, 1.0, -1.0, -2.0, 1.5])

    def test_unary_minus_plus_abs(self):
        a = rand(3, 4)
        check(-arr(a), -a)
        check(+arr(a), a)
        check(abs(arr(a)), np.abs(a))
        check(nd.negative(arr(a)), -a)

    def test_int_arithmetic_keeps_dtype(self):
        x = nd.array([1, 2, 3], dtype="int32")
        check(x + x, [2, 4, 6], dtype=np.int32)
        check(x * 2, [2, 4, 6], dtype=np.int32)

    def test_python_float_scalar_keeps_float32(self):
        check(nd.ones(2) * 2.5, [2.5, 2.5], dtype=np.float32)
        check(2.5 - nd.ones(2), [1.5, 1.5], dtype=np.float32)

    @pytest.mark.parametrize("op", [lambda x, s: x * s, lambda x, s: s + x,
                                    lambda x, s: x > s, lambda x, s: nd.maximum(x, s)],
                             ids=["mul", "radd", "gt", "maximum"])
    def test_numpy_scalar_keeps_float32(self, op):
        out = op(nd.ones(2), np.float64(2.5))
        assert out.dtype is np.float32

    @pytest.mark.parametrize("func, ref", [
        (nd.add, np.add), (nd.subtract, np.subtract), (nd.multiply, np.multiply),
        (nd.divide, np.divide), (nd.maximum, np.maximum), (nd.minimum, np.minimum),
        (nd.power, np.power), (nd.modulo, np.mod),
    ], ids=lambda f: getattr(f, "__name__", "ref"))
    def test_named_binary_functions(self, func, ref):
        a, b = rand(3, 1, low=0.5, high=2.0), rand(4, low=0.5, high=2.0)
        check(func(arr(a), arr(b)), ref(a, b), dtype=np.float32)
        check(func(arr(a), 1.5), ref(a, np.float32(1.5)))
        check(func(1.5, arr(b)), ref(np.float32(1.5), b))


COMPARISONS = [
    ("eq", lambda a, b: a == b, np.equal, nd.equal),
    ("ne", lambda a, b: a != b, np.not_equal, nd.not_equal),
    ("lt", lambda a, b: a < b, np.less, nd.lesser),
    ("le", lambda a, b: a <= b, np.less_equal, nd.lesser_equal),
    ("gt", lambda a, b: a > b, np.greater, nd.greater),
    ("ge", lambda a, b: a >= b, np.greater_equal, nd.greater_equal),
]


class TestComparisons:
    A = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], np.float32)
    B = np.array([2.0, 2.0, 2.0], np.float32)

    @pytest.mark.parametrize("name, op, ref, func", COMPARISONS, ids=[c[0] for c in COMPARISONS])
    def test_operator_returns_zero_one_in_input_dtype(self, name, op, ref, func):
        out = op(arr(self.A), arr(self.B))
        check(out, ref(self.A, self.B).astype(np.float32), dtype=np.float32)
        assert set(np.unique(out.asnumpy())) <= {0.0, 1.0}
        check(func(arr(self.A), arr(self.B)), ref(self.A, self.B).astype(np.float32))

    @pytest.mark.parametrize("name, op, ref, func", COMPARISONS, ids=[c[0] for c in COMPARISONS])
    def test_with_scalar(self, name, op, ref, func):
        check(op(arr(self.A), 2), ref(self.A, 2).astype(np.float32), dtype=np.float32)

    @pytest.mark.parametrize("dtype", ["float64", "int32"])
    def test_dtype_follows_input(self, dtype):
        x = nd.array([1, 2, 3], dtype=dtype)
        check(x > 1, [0, 1, 1], dtype=dtype)
        check(x == x, [1, 1, 1], dtype=dtype)
