"""The ``nd`` namespace against NumPy and MXNet 1.9.1 semantics.

Creation, properties, arithmetic, elementwise ops, shape ops, reductions, indexing, in-place
updates, conversion, save/load, Dropout, printing, and the gradients of composite operations
against central differences in float64.
"""

import numpy as np
import pytest

import tracegrad
from tracegrad import autograd, nd
from tracegrad.ndarray import NDArray
from tracegrad.testing import assert_allclose, numerical_grad

RNG = np.random.default_rng(1234)


def rand(*shape, low=-2.0, high=2.0, dtype=np.float32):
    return RNG.uniform(low, high, size=shape).astype(dtype)


def arr(a, dtype=None):
    a = np.asarray(a)
    return nd.array(a, dtype=dtype or a.dtype)


def check(x, expected, rtol=1e-5, atol=1e-6, dtype=None):
    """``x`` is an NDArray with the shape, dtype and values of ``expected``."""
    expected = np.asarray(expected)
    assert isinstance(x, NDArray), type(x)
    assert x.shape == expected.shape, (x.shape, expected.shape)
    if dtype is not None:
        assert x.dtype is np.dtype(dtype).type, (x.dtype, dtype)
    assert_allclose(x, expected, rtol=rtol, atol=atol)


# ============================================================================================
# creation
# ============================================================================================

class TestCreation:
    def test_array_from_int_list_is_float32(self):
        x = nd.array([1, 2, 3])
        check(x, [1.0, 2.0, 3.0], dtype=np.float32)

    def test_array_from_nested_list(self):
        x = nd.array([[1, 2], [3, 4.5]])
        check(x, [[1, 2], [3, 4.5]], dtype=np.float32)

    def test_array_from_float64_numpy_is_float32(self):
        x = nd.array(np.arange(6.0).reshape(2, 3))
        check(x, np.arange(6.0).reshape(2, 3), dtype=np.float32)

    def test_array_from_int_numpy_is_float32(self):
        x = nd.array(np.array([1, 2, 3], dtype=np.int64))
        assert x.dtype is np.float32

    @pytest.mark.parametrize("dtype", ["float64", np.float64, "int32", np.int64, "float16"])
    def test_array_explicit_dtype(self, dtype):
        x = nd.array([1, 2, 3], dtype=dtype)
        check(x, [1, 2, 3], dtype=dtype)

    def test_array_from_ndarray_keeps_dtype_and_copies(self):
        src = nd.array([1, 2, 3], dtype="int32")
        x = nd.array(src)
        assert x.dtype is np.int32
        x[0] = 7
        assert src.asnumpy().tolist() == [1, 2, 3]

    def test_array_does_not_alias_numpy_source(self):
        src = np.array([1.0, 2.0], dtype=np.float32)
        x = nd.array(src)
        src[0] = 100
        assert x.asnumpy().tolist() == [1.0, 2.0]

    def test_array_with_ctx(self):
        x = nd.array([1, 2], ctx=tracegrad.cpu())
        assert str(x.context) == "cpu(0)"

    @pytest.mark.parametrize("args, kwargs, expected", [
        ((5,), {}, np.arange(5)),
        ((2, 8, 2), {}, [2, 4, 6]),
        ((0, 1, 0.25), {}, [0, 0.25, 0.5, 0.75]),
        ((3,), {"repeat": 2}, [0, 0, 1, 1, 2, 2]),
        ((5, 0, -2), {}, [5, 3, 1]),
    ])
    def test_arange(self, args, kwargs, expected):
        check(nd.arange(*args, **kwargs), np.asarray(expected, np.float32), dtype=np.float32)

    def test_arange_dtype(self):
        check(nd.arange(4, dtype="int32"), [0, 1, 2, 3], dtype=np.int32)

    @pytest.mark.parametrize("make, fill", [(nd.zeros, 0.0), (nd.ones, 1.0)])
    @pytest.mark.parametrize("shape, np_shape", [(3, (3,)), ((2, 3), (2, 3)), ((0, 2), (0, 2))])
    def test_zeros_ones(self, make, fill, shape, np_shape):
        check(make(shape), np.full(np_shape, fill, np.float32), dtype=np.float32)
        assert make(shape, dtype="float64").dtype is np.float64

    def test_full(self):
        check(nd.full((2, 3), 7.5), np.full((2, 3), 7.5), dtype=np.float32)
        check(nd.full(4, 2, dtype="int32"), [2, 2, 2, 2], dtype=np.int32)

    def test_empty_has_shape_and_dtype(self):
        e = nd.empty((2, 5))
        assert e.shape == (2, 5) and e.dtype is np.float32
        assert nd.empty(3, dtype="float64").dtype is np.float64

    @pytest.mark.parametrize("args, kwargs", [((3,), {}), ((3, 4), {}), ((3, 4), {"k": 1}),
                                              ((4,), {"k": -1})])
    def test_eye(self, args, kwargs):
        check(nd.eye(*args, **kwargs), np.eye(*args, **kwargs), dtype=np.float32)

    @pytest.mark.parametrize("kwargs", [{}, {"endpoint": False}])
    def test_linspace(self, kwargs):
        check(nd.linspace(0, 1, 5, **kwargs), np.linspace(0, 1, 5, **kwargs), dtype=np.float32)

    @pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
    def test_zeros_like_ones_like(self, dtype):
        x = nd.array([[1, 2, 3], [4, 5, 6]], dtype=dtype)
        check(nd.zeros_like(x), np.zeros((2, 3)), dtype=dtype)
        check(nd.ones_like(x), np.ones((2, 3)), dtype=dtype)
        check(x.zeros_like(), np.zeros((2, 3)), dtype=dtype)
        check(x.ones_like(), np.ones((2, 3)), dtype=dtype)


def _dropout_in_training(x, p):
    with autograd.train_mode():
        return nd.Dropout(x, p=p)


class TestRandom:
    def test_normal_shape_dtype_and_moments(self):
        x = nd.random.normal(1.0, 2.0, shape=(200, 100))
        assert x.shape == (200, 100) and x.dtype is np.float32
        a = x.asnumpy()
        assert abs(a.mean() - 1.0) < 0.05
        assert abs(a.std() - 2.0) < 0.05

    def test_normal_default_shape_is_1(self):
        assert nd.random.normal().shape == (1,)
        assert nd.random.normal(shape=3).shape == (3,)

    def test_normal_dtype(self):
        assert nd.random.normal(shape=(2,), dtype="float64").dtype is np.float64

    def test_uniform_range(self):
        x = nd.random.uniform(-3, 5, shape=(100, 100))
        a = x.asnumpy()
        assert x.dtype is np.float32 and x.shape == (100, 100)
        assert a.min() >= -3 and a.max() < 5
        assert abs(a.mean() - 1.0) < 0.1

    def test_uniform_default(self):
        a = nd.random.uniform(shape=(1000,)).asnumpy()
        assert a.min() >= 0 and a.max() < 1

    def test_randint(self):
        x = nd.random.randint(-2, 3, shape=(500,))
        assert x.dtype is np.int32 and x.shape == (500,)
        assert set(x.asnumpy().tolist()) == {-2, -1, 0, 1, 2}

    def test_shuffle_permutes_rows(self):
        x = nd.arange(20).reshape((10, 2))
        y = nd.random.shuffle(x)
        assert y.shape == (10, 2)
        rows = sorted(map(tuple, y.asnumpy().tolist()))
        assert rows == sorted(map(tuple, x.asnumpy().tolist()))
        assert x.asnumpy().tolist() == np.arange(20.0).reshape(10, 2).tolist()  # unchanged
        assert y.asnumpy().tolist() != x.asnumpy().tolist()  # 1/10! chance of a false failure

    @pytest.mark.parametrize("draw", [
        lambda: nd.random.normal(shape=(3, 4)),
        lambda: nd.random.uniform(shape=(5,)),
        lambda: nd.random.randint(0, 100, shape=(6,)),
        lambda: nd.random.shuffle(nd.arange(10)),
        lambda: _dropout_in_training(nd.ones((50,)), 0.5),
    ], ids=["normal", "uniform", "randint", "shuffle", "dropout"])
    def test_seed_reproducibility(self, draw):
        tracegrad.random.seed(42)
        a = draw().asnumpy()
        b = draw().asnumpy()
        tracegrad.random.seed(42)
        c = draw().asnumpy()
        np.testing.assert_array_equal(a, c)
        assert not np.array_equal(a, b)
        tracegrad.random.seed(43)
        assert not np.array_equal(draw().asnumpy(), a)

    def test_nd_random_is_tracegrad_random(self):
        assert nd.random.seed is tracegrad.random.seed


# ============================================================================================
# properties
# ============================================================================================

class TestProperties:
    def test_shape_size_ndim(self):
        x = nd.zeros((2, 3, 4))
        assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple)
        assert x.size == 24 and x.ndim == 3
        assert len(x) == 2

    def test_dtype_is_numpy_type(self):
        x = nd.array([1.0])
        assert x.dtype is np.float32
        assert nd.array([1], dtype="float64").dtype is np.float64
        assert nd.array([1], dtype="int32").dtype is np.int32

    def test_context(self):
        x = nd.array([1.0])
        assert str(x.context) == "cpu(0)" and repr(x.ctx) == "cpu(0)"
        assert x.context == tracegrad.cpu() == tracegrad.cpu(0)
        assert x.stype == "default"

    def test_gpu_context_is_rejected(self):
        from tracegrad.ndarray import Context

        with pytest.raises(ValueError, match="CPU"):
            Context("gpu", 0)

    @pytest.mark.parametrize("shape", [(4,), (1,)])
    def test_T_is_self_below_2d(self, shape):
        x = nd.ones(shape)
        assert x.T is x

    def test_T_2d_and_3d(self):
        a = rand(2, 3)
        check(arr(a).T, a.T)
        b = rand(2, 3, 4)
        check(arr(b).T, b.T)

    def test_grad_is_none_without_attach(self):
        assert nd.ones(3).grad is None


# ============================================================================================
# arithmetic
# ============================================================================================

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


# ============================================================================================
# elementwise
# ============================================================================================

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

    def test_clip_rejects_inverted_bounds(self):
        with pytest.raises(ValueError, match="a_min"):
            nd.clip(nd.ones(2), 2.0, 1.0)

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


# ============================================================================================
# shape operations
# ============================================================================================

class TestDot:
    def test_vector_dot_vector_has_shape_1(self):
        a, b = rand(4), rand(4)
        out = nd.dot(arr(a), arr(b))
        check(out, [np.dot(a, b)], rtol=1e-5)

    def test_matrix_products(self):
        a, b = rand(3, 4), rand(4, 2)
        check(nd.dot(arr(a), arr(b)), a @ b, rtol=1e-5)
        check(nd.dot(arr(a), arr(b[:, 0])), a @ b[:, 0], rtol=1e-5)
        check(nd.dot(arr(a[0]), arr(b)), a[0] @ b, rtol=1e-5)

    def test_transpose_flags(self):
        a, b = rand(4, 3), rand(2, 4)
        check(nd.dot(arr(a), arr(b), transpose_a=True, transpose_b=True), a.T @ b.T, rtol=1e-5)
        check(nd.dot(arr(a), arr(b.T), transpose_a=True), a.T @ b.T, rtol=1e-5)

    def test_nd_dot_contracts_last_with_first_axis(self):
        a, b = rand(2, 3, 4), rand(4, 5, 2)
        check(nd.dot(arr(a), arr(b)), np.tensordot(a, b, axes=1), rtol=1e-5)

    def test_mismatch_names_both_shapes(self):
        with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
            nd.dot(nd.ones((2, 3)), nd.ones((4, 5)))


class TestBatchDot:
    @pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True),
                                        (True, True)])
    def test_transpose_flags(self, ta, tb):
        a = rand(2, 4, 3) if ta else rand(2, 3, 4)
        b = rand(2, 5, 4) if tb else rand(2, 4, 5)
        ea = np.swapaxes(a, 1, 2) if ta else a
        eb = np.swapaxes(b, 1, 2) if tb else b
        out = nd.batch_dot(arr(a), arr(b), transpose_a=ta, transpose_b=tb)
        check(out, np.matmul(ea, eb), rtol=1e-5)

    def test_needs_3d(self):
        with pytest.raises(ValueError, match="3-D"):
            nd.batch_dot(nd.ones((2, 3)), nd.ones((3, 2)))


class TestReshapeAndFriends:
    X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)

    @pytest.mark.parametrize("spec, expected", [
        ((4, 6), (4, 6)),
        ((-1,), (24,)),
        ((0, -1), (2, 12)),
        ((4, 0, 2), (4, 3, 2)),
        ((-1, 4), (6, 4)),
        ((0, 0, 2, 2), (2, 3, 2, 2)),
        ((-2,), (2, 3, 4)),
        ((-3, 4), (6, 4)),
        ((2, -3), (2, 12)),
    ])
    def test_reshape_codes(self, spec, expected):
        out = arr(self.X).reshape(spec)
        check(out, self.X.reshape(expected))
        check(nd.reshape(arr(self.X), spec), self.X.reshape(expected))

    def test_reshape_args_form(self):
        check(arr(self.X).reshape(6, 4), self.X.reshape(6, 4))
        check(arr(self.X).reshape(0, -1), self.X.reshape(2, 12))
        check(arr(self.X).reshape(shape=(3, 8)), self.X.reshape(3, 8))

    @pytest.mark.parametrize("spec", [(5, 5), (7, -1)])
    def test_reshape_invalid(self, spec):
        with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
            arr(self.X).reshape(spec)

    def test_reshape_two_inferred_axes(self):
        with pytest.raises(ValueError, match="only one -1"):
            arr(self.X).reshape((-1, -1))

    def test_transpose(self):
        check(nd.transpose(arr(self.X)), self.X.transpose())
        check(nd.transpose(arr(self.X), axes=(1, 0, 2)), self.X.transpose(1, 0, 2))
        check(arr(self.X).transpose((2, 0, 1)), self.X.transpose(2, 0, 1))

    def test_swapaxes(self):
        check(nd.swapaxes(arr(self.X), 0, 2), np.swapaxes(self.X, 0, 2))

    @pytest.mark.parametrize("axis", [0, 1, 3, -1])
    def test_expand_dims(self, axis):
        check(nd.expand_dims(arr(self.X), axis), np.expand_dims(self.X, axis))

    def test_flatten(self):
        check(nd.flatten(arr(self.X)), self.X.reshape(2, 12))
        check(arr(self.X[0]).flatten(), self.X[0])  # already 2-D: unchanged

    def test_squeeze(self):
        a = np.arange(6, dtype=np.float32).reshape(1, 3, 1, 2)
        check(nd.squeeze(arr(a)), a.reshape(3, 2))
        check(nd.squeeze(arr(a), axis=2), a.reshape(1, 3, 2))
        check(nd.squeeze(nd.ones((1, 1))), [1.0])  # MXNet keeps one axis

    def test_squeeze_non_unit_axis(self):
        with pytest.raises(ValueError, match="size 3"):
            nd.squeeze(nd.ones((1, 3)), axis=1)

    def test_broadcast_to(self):
        a = rand(1, 3)
        check(nd.broadcast_to(arr(a), (4, 3)), np.broadcast_to(a, (4, 3)))
        check(nd.broadcast_to(arr(a), (4, 0)), np.broadcast_to(a, (4, 3)))  # 0 keeps
        check(arr(a).broadcast_to((2, 2, 3)), np.broadcast_to(a, (2, 2, 3)))
        check(nd.broadcast_like(arr(a), nd.zeros((5, 3))), np.broadcast_to(a, (5, 3)))

    def test_broadcast_to_invalid(self):
        with pytest.raises(ValueError):
            nd.broadcast_to(nd.ones((2, 3)), (4, 3))


class TestJoinAndSplit:
    def test_concat_default_dim_is_1(self):
        a, b = rand(2, 3), rand(2, 2)
        check(nd.concat(arr(a), arr(b)), np.concatenate([a, b], axis=1))

    def test_concat_dim0_and_three_inputs(self):
        a, b, c = rand(1, 3), rand(2, 3), rand(3, 3)
        check(nd.concat(arr(a), arr(b), arr(c), dim=0), np.concatenate([a, b, c], 0))

    def test_concat_mismatch(self):
        with pytest.raises(ValueError):
            nd.concat(nd.ones((2, 3)), nd.ones((3, 3)))

    @pytest.mark.parametrize("axis", [0, 1, 2, -1])
    def test_stack(self, axis):
        a, b = rand(2, 3), rand(2, 3)
        check(nd.stack(arr(a), arr(b), axis=axis), np.stack([a, b], axis=axis))

    def test_stack_default_axis_0(self):
        a, b = rand(3), rand(3)
        check(nd.stack(arr(a), arr(b)), np.stack([a, b]))

    def test_stack_shape_mismatch(self):
        with pytest.raises(ValueError, match="one shape"):
            nd.stack(nd.ones(2), nd.ones(3))

    def test_split_returns_list_along_axis_1(self):
        a = rand(2, 6)
        parts = nd.split(arr(a), num_outputs=3)
        assert isinstance(parts, list) and len(parts) == 3
        for p, e in zip(parts, np.split(a, 3, axis=1)):
            check(p, e)

    def test_split_axis0_and_squeeze(self):
        a = rand(3, 2)
        parts = nd.split(arr(a), 3, axis=0, squeeze_axis=True)
        for p, e in zip(parts, a):
            check(p, e)
        parts = arr(a).split(num_outputs=3, axis=0)
        for p, e in zip(parts, a):
            check(p, e[None, :])

    def test_split_one_output_is_an_array(self):
        out = nd.split(nd.ones((2, 4)), 1)
        assert isinstance(out, NDArray) and out.shape == (2, 4)

    def test_split_uneven(self):
        with pytest.raises(ValueError, match="equal parts"):
            nd.split(nd.ones((2, 5)), 2)


class TestRearrange:
    @pytest.mark.parametrize("reps", [(2,), (2, 1), (1, 3), (2, 2, 2), 3])
    def test_tile(self, reps):
        a = rand(2, 3)
        check(nd.tile(arr(a), reps), np.tile(a, reps))

    @pytest.mark.parametrize("axis", [None, 0, 1, -1])
    def test_repeat(self, axis):
        a = rand(2, 3)
        check(nd.repeat(arr(a), 3, axis=axis), np.repeat(a, 3, axis=axis))
        check(arr(a).repeat(2, axis=axis), np.repeat(a, 2, axis=axis))

    @pytest.mark.parametrize("axis", [0, 1, 2, -1])
    def test_flip(self, axis):
        a = rand(2, 3, 4)
        check(nd.flip(arr(a), axis), np.flip(a, axis))

    @pytest.mark.parametrize("idx, axis", [([2, 0, 1], 0), ([[0, 1], [1, 0]], 0), ([3, 0], 1),
                                           ([1], -1)])
    def test_take(self, idx, axis):
        a = rand(3, 4)
        check(nd.take(arr(a), nd.array(idx), axis=axis), np.take(a, idx, axis=axis))

    def test_take_clips_out_of_range(self):
        a = rand(3, 4)
        check(nd.take(arr(a), nd.array([-1, 5])), a[[0, 2]])
        check(arr(a).take(nd.array([7]), axis=1), a[:, [3]])

    @pytest.mark.parametrize("axis, idx", [(1, [0, 3, 2]), (-1, [1, 1, 0]), (0, [2, 0, 1, 1])])
    def test_pick(self, axis, idx):
        a = rand(3, 4)
        expected = np.take_along_axis(a, np.expand_dims(np.array(idx), axis), axis)
        check(nd.pick(arr(a), nd.array(idx), axis=axis), expected.squeeze(axis))
        check(nd.pick(arr(a), nd.array(idx), axis=axis, keepdims=True), expected)

    def test_pick_default_axis_is_last(self):
        a = rand(2, 3)
        check(nd.pick(arr(a), nd.array([2, 0])), [a[0, 2], a[1, 0]])
        check(arr(a).pick(nd.array([1, 1])), [a[0, 1], a[1, 1]])

    def test_pick_clips_out_of_range(self):
        a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
        check(nd.pick(arr(a), nd.array([5, -1])), [3.0, 4.0])

    def test_one_hot(self):
        out = nd.one_hot(nd.array([1, 0, 3]), 4)
        check(out, np.eye(4, dtype=np.float32)[[1, 0, 3]], dtype=np.float32)

    def test_one_hot_values_and_dtype(self):
        out = nd.one_hot(nd.array([2, 0]), 3, on_value=5.0, off_value=-1.0, dtype="float64")
        check(out, [[-1, -1, 5], [5, -1, -1]], dtype=np.float64)

    def test_one_hot_out_of_range_is_all_off(self):
        check(nd.one_hot(nd.array([7]), 3), [[0, 0, 0]])


# ============================================================================================
# reductions
# ============================================================================================

REDUCERS = [("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min),
            ("prod", np.prod)]
AXES = [None, 0, 1, 2, -1, (0, 2), (0, 1, 2)]


class TestReductions:
    X = RNG.uniform(0.5, 1.5, size=(2, 3, 4)).astype(np.float32)

    @pytest.mark.parametrize("name, ref", REDUCERS, ids=[r[0] for r in REDUCERS])
    @pytest.mark.parametrize("axis", AXES, ids=str)
    @pytest.mark.parametrize("keepdims", [False, True])
    def test_vs_numpy(self, name, ref, axis, keepdims):
        out = getattr(nd, name)(arr(self.X), axis=axis, keepdims=keepdims)
        expected = ref(self.X, axis=axis, keepdims=keepdims)
        if expected.ndim == 0:
            expected = expected.reshape(1)  # MXNet: a full reduction has shape (1,)
        check(out, expected, rtol=1e-5, dtype=np.float32)

    @pytest.mark.parametrize("name", [r[0] for r in REDUCERS])
    def test_full_reduction_shape_1_and_method(self, name):
        out = getattr(arr(self.X), name)()
        assert out.shape == (1,)
        assert_allclose(out, [getattr(np, name)(self.X)], rtol=1e-5)

    def test_exclude(self):
        out = nd.sum(arr(self.X), axis=1, exclude=True)
        check(out, self.X.sum(axis=(0, 2)), rtol=1e-5)
        check(nd.mean(arr(self.X), axis=(0, 2), exclude=True), self.X.mean(axis=1), rtol=1e-5)

    def test_sum_accumulates_accurately(self):
        assert nd.ones((10 ** 6,)).sum().asscalar() == 1e6

    @pytest.mark.parametrize("name, ref", [("argmax", np.argmax), ("argmin", np.argmin)])
    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_arg_reductions_are_float(self, name, ref, axis):
        a = rand(3, 5)
        out = getattr(nd, name)(arr(a), axis=axis)
        check(out, ref(a, axis=axis).astype(np.float32), dtype=np.float32)
        kept = getattr(arr(a), name)(axis=axis, keepdims=True)
        check(kept, np.expand_dims(ref(a, axis=axis), axis).astype(np.float32))

    def test_argmax_without_axis_flattens(self):
        a = rand(3, 5)
        out = nd.argmax(arr(a))
        check(out, [np.argmax(a)], dtype=np.float32)

    def test_norm(self):
        a = rand(3, 4)
        check(nd.norm(arr(a)), [np.linalg.norm(a)], rtol=1e-5)
        check(arr(a).norm(), [np.linalg.norm(a)], rtol=1e-5)
        check(nd.norm(arr(a), axis=1), np.linalg.norm(a, axis=1), rtol=1e-5)
        check(nd.norm(arr(a), ord=1), [np.abs(a).sum()], rtol=1e-5)
        check(nd.norm(arr(a), axis=0, keepdims=True),
              np.linalg.norm(a, axis=0, keepdims=True), rtol=1e-5)

    def test_norm_unsupported_ord(self):
        with pytest.raises(ValueError, match="ord"):
            nd.norm(nd.ones(3), ord=3)

    @staticmethod
    def _softmax(a, axis):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    @pytest.mark.parametrize("axis", [-1, 0, 1])
    def test_softmax_and_log_softmax(self, axis):
        a = rand(3, 4, low=-3, high=3)
        s = self._softmax(a.astype(np.float64), axis)
        check(nd.softmax(arr(a), axis=axis), s, rtol=1e-5)
        check(nd.log_softmax(arr(a), axis=axis), np.log(s), rtol=1e-5, atol=1e-5)
        assert_allclose(nd.softmax(arr(a), axis=axis).sum(axis=axis),
                        np.ones(a.sum(axis=axis).shape))

    def test_softmax_default_axis_and_temperature(self):
        a = rand(2, 5)
        check(arr(a).softmax(), self._softmax(a, -1), rtol=1e-5)
        check(nd.softmax(arr(a), temperature=2.0), self._softmax(a / 2, -1), rtol=1e-5)

    def test_softmax_is_stable(self):
        out = nd.softmax(nd.array([[1000.0, 1000.0], [-1000.0, 0.0]]))
        check(out, [[0.5, 0.5], [0.0, 1.0]])
        out = nd.log_softmax(nd.array([1000.0, 0.0]))
        check(out, [0.0, -1000.0])

    @pytest.mark.parametrize("name", ["max", "min", "prod", "mean", "argmax"])
    def test_empty_reduction_without_identity(self, name):
        with pytest.raises(ValueError, match="empty"):
            getattr(nd, name)(nd.zeros((0, 3)))


# ============================================================================================
# indexing
# ============================================================================================

BASIC_KEYS = [
    ((5,), 1), ((5,), -1), ((5,), slice(1, 4)), ((5,), slice(None, None, 2)),
    ((5,), slice(None, None, -1)), ((5,), slice(3, 0, -2)),
    ((3, 4), 1), ((3, 4), (1, 2)), ((3, 4), (slice(None), 1)), ((3, 4), (1, slice(1, 3))),
    ((3, 4), (slice(0, 2), slice(1, None))), ((3, 4), -2),
    ((2, 3, 4), (Ellipsis, 1)), ((2, 3, 4), (0, Ellipsis)), ((2, 3, 4), (None, 1)),
    ((2, 3, 4), (1, 2, 3)), ((2, 3, 4), slice(None)), ((2, 3, 4), (slice(None, None, -1), 0)),
]


class TestGetitem:
    @pytest.mark.parametrize("shape, key", BASIC_KEYS, ids=[f"{s}-{k}" for s, k in BASIC_KEYS])
    def test_basic_keys_vs_numpy(self, shape, key):
        a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        expected = a[key]
        expected = np.reshape(expected, (1,)) if np.ndim(expected) == 0 else expected
        check(arr(a)[key], expected)

    def test_int_on_1d_has_shape_1(self):
        x = nd.arange(4)
        assert x[1].shape == (1,)
        assert x[1].asscalar() == 1.0

    @pytest.mark.parametrize("idx", [nd.array([0, 2, 2]), [0, 2, 2], np.array([0, 2, 2])],
                             ids=["NDArray", "list", "numpy"])
    def test_index_arrays(self, idx):
        a = np.arange(12, dtype=np.float32).reshape(3, 4)
        check(arr(a)[idx], a[[0, 2, 2]])

    def test_2d_index_array(self):
        a = np.arange(12, dtype=np.float32).reshape(3, 4)
        check(arr(a)[nd.array([[0, 1], [2, 0]])], a[np.array([[0, 1], [2, 0]])])

    def test_out_of_bounds(self):
        with pytest.raises(IndexError, match="out of bounds"):
            nd.ones((3, 4))[3]
        with pytest.raises(IndexError, match="too many"):
            nd.ones((3,))[0, 0]

    def test_iteration_yields_rows(self):
        a = np.arange(6, dtype=np.float32).reshape(3, 2)
        rows = list(arr(a))
        assert len(rows) == 3
        for r, e in zip(rows, a):
            check(r, e)


SETITEM = [
    (1, 5.0), (slice(None), 0.0), ((slice(None), 1), np.array([7.0, 8.0, 9.0])),
    ((0, 2), -1.0), (slice(0, 2), np.array([1.0, 2.0, 3.0, 4.0])),
    ((slice(None), slice(1, 3)), np.array([[1.0, 2.0]] * 3)), ((Ellipsis, 0), 3.0),
]


class TestSetitemAndInplace:
    @pytest.mark.parametrize("key, value", SETITEM, ids=[str(k) for k, _ in SETITEM])
    @pytest.mark.parametrize("wrap", [False, True], ids=["raw", "NDArray"])
    def test_setitem_vs_numpy(self, key, value, wrap):
        a = np.arange(12, dtype=np.float32).reshape(3, 4)
        x = arr(a)
        x[key] = nd.array(value) if wrap else value
        a[key] = value
        check(x, a)

    def test_setitem_with_index_array(self):
        a = np.zeros((4, 2), np.float32)
        x = arr(a)
        x[nd.array([0, 3])] = 1.0
        a[[0, 3]] = 1.0
        check(x, a)

    @pytest.mark.parametrize("op, ref", [
        ("__iadd__", np.add), ("__isub__", np.subtract), ("__imul__", np.multiply),
        ("__itruediv__", np.divide)])
    @pytest.mark.parametrize("other", [2.0, "array", "row"])
    def test_inplace_operators(self, op, ref, other):
        a = rand(3, 4, low=0.5, high=2.0)
        o = {"array": rand(3, 4, low=0.5, high=2.0), "row": rand(4, low=0.5, high=2.0)}.get(
            other, other)
        x = arr(a)
        before = id(x)
        x = getattr(x, op)(nd.array(o) if isinstance(o, np.ndarray) else o)
        assert id(x) == before
        check(x, ref(a, o), rtol=1e-6)

    def test_augmented_assignment_keeps_identity(self):
        x = nd.ones((2, 2))
        alias = x
        x += 1
        x *= nd.array([1.0, 3.0])
        assert x is alias
        check(alias, [[2.0, 6.0], [2.0, 6.0]])

    def test_inplace_broadcast_cannot_grow(self):
        x = nd.ones(3)
        with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
            x += nd.ones((2, 3))

    def test_inplace_keeps_dtype(self):
        x = nd.array([1, 2], dtype="int32")
        x += 1.7
        check(x, [2, 3], dtype=np.int32)


# ============================================================================================
# conversion, copies, save/load
# ============================================================================================

class TestConversion:
    def test_asnumpy_is_a_copy(self):
        x = nd.array([1.0, 2.0])
        a = x.asnumpy()
        assert isinstance(a, np.ndarray) and a.dtype == np.float32
        a[0] = 100
        assert x.asnumpy()[0] == 1.0

    def test_asscalar(self):
        s = nd.array([2.5]).asscalar()
        assert s == 2.5 and isinstance(s, np.float32)
        assert nd.array([[3]], dtype="int32").asscalar() == 3
        assert nd.ones((1, 1, 1)).asscalar() == 1.0

    @pytest.mark.parametrize("shape", [(2,), (0,), (2, 3)])
    def test_asscalar_not_a_scalar(self, shape):
        with pytest.raises(ValueError, match="The current array is not a scalar"):
            nd.zeros(shape).asscalar()

    def test_python_conversions(self):
        x = nd.array([3.0])
        assert float(x) == 3.0 and int(x) == 3 and bool(x) is True
        assert bool(nd.array([0.0])) is False
        assert np.asarray(nd.array([1, 2])).tolist() == [1.0, 2.0]
        with pytest.raises(ValueError, match="ambiguous"):
            bool(nd.ones(2))

    @pytest.mark.parametrize("dtype", ["float64", "int32", np.float16, "uint8"])
    def test_astype(self, dtype):
        a = np.array([1.5, 2.0, 250.0], np.float32)
        check(arr(a).astype(dtype), a.astype(dtype), dtype=dtype)

    def test_astype_copy_false_same_dtype_is_self(self):
        x = nd.ones(2)
        assert x.astype("float32", copy=False) is x
        y = x.astype("float32")
        assert y is not x
        y[0] = 5
        assert x.asnumpy()[0] == 1

    def test_copy_is_independent(self):
        x = nd.array([1.0, 2.0])
        y = x.copy()
        y[0] = 9
        assert x.asnumpy().tolist() == [1.0, 2.0] and y.asnumpy().tolist() == [9.0, 2.0]

    def test_copyto_array(self):
        x, y = nd.array([1.0, 2.0]), nd.zeros(2)
        out = x.copyto(y)
        assert out is y
        check(y, [1.0, 2.0])
        x[0] = 7
        check(y, [1.0, 2.0])

    def test_copyto_casts_into_destination_dtype(self):
        y = nd.zeros(2, dtype="int32")
        nd.array([1.7, 2.2]).copyto(y)
        check(y, [1, 2], dtype=np.int32)

    def test_copyto_context(self):
        x = nd.array([1.0, 2.0])
        y = x.copyto(tracegrad.cpu())
        assert y is not x
        check(y, [1.0, 2.0])
        assert x.as_in_context(tracegrad.cpu()) is x

    def test_copyto_shape_mismatch(self):
        with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
            nd.zeros(2).copyto(nd.zeros(3))

    def test_wait_to_read_and_waitall(self):
        x = nd.ones(2) * 3
        assert x.wait_to_read() is None
        assert nd.waitall() is None
        check(x, [3.0, 3.0])


class TestSaveLoad:
    def test_single_array_loads_as_list(self, tmp_path):
        f = str(tmp_path / "x.params")
        x = nd.array([[1, 2], [3, 4]])
        nd.save(f, x)
        out = nd.load(f)
        assert isinstance(out, list) and len(out) == 1
        check(out[0], [[1, 2], [3, 4]], dtype=np.float32)

    def test_list(self, tmp_path):
        f = str(tmp_path / "list.params")
        items = [nd.arange(3), nd.ones((2, 2), dtype="float64"), nd.array([5], dtype="int32")]
        items += [nd.full(1, float(i)) for i in range(10)]  # order survives > 10 entries
        nd.save(f, items)
        out = nd.load(f)
        assert isinstance(out, list) and len(out) == len(items)
        for a, b in zip(out, items):
            check(a, b.asnumpy(), dtype=b.dtype)

    def test_dict(self, tmp_path):
        f = str(tmp_path / "dict.params")
        d = {"weight": nd.array([[1.0, 2.0]]), "bias": nd.zeros(3, dtype="float64")}
        nd.save(f, d)
        out = nd.load(f)
        assert isinstance(out, dict) and set(out) == {"weight", "bias"}
        check(out["weight"], [[1.0, 2.0]], dtype=np.float32)
        check(out["bias"], [0, 0, 0], dtype=np.float64)

    def test_save_rejects_other_types(self, tmp_path):
        with pytest.raises(TypeError, match="NDArray"):
            nd.save(str(tmp_path / "bad"), 3.0)


# ============================================================================================
# Dropout
# ============================================================================================

class TestDropout:
    X = np.arange(1, 20001, dtype=np.float32).reshape(100, 200)

    def test_identity_outside_training(self):
        out = nd.Dropout(arr(self.X), p=0.5)
        check(out, self.X)
        with autograd.record(train_mode=False):
            check(nd.Dropout(arr(self.X), p=0.5), self.X)
        with autograd.record(), autograd.predict_mode():
            check(nd.Dropout(arr(self.X), p=0.5), self.X)

    @pytest.mark.parametrize("scope", ["train_mode", "record"])
    @pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
    def test_training_zeroes_and_scales(self, scope, p):
        ctx = autograd.train_mode() if scope == "train_mode" else autograd.record()
        with ctx:
            out = nd.Dropout(arr(self.X), p=p).asnumpy()
        dropped = out == 0
        assert abs(dropped.mean() - p) < 0.02
        np.testing.assert_allclose(out[~dropped], self.X[~dropped] / (1 - p), rtol=1e-6)

    def test_p_zero_is_identity_in_training(self):
        with autograd.train_mode():
            check(nd.Dropout(arr(self.X), p=0.0), self.X)

    def test_new_mask_each_call(self):
        with autograd.train_mode():
            a = nd.Dropout(nd.ones(1000), p=0.5).asnumpy()
            b = nd.Dropout(nd.ones(1000), p=0.5).asnumpy()
        assert not np.array_equal(a, b)

    def test_gradient_is_the_scaled_mask(self):
        x = nd.ones((50, 40))
        x.attach_grad()
        with autograd.record():
            y = nd.Dropout(x, p=0.25)
        y.backward()
        mask = y.asnumpy() != 0
        check(x.grad, mask / 0.75)

    def test_invalid_p(self):
        with pytest.raises(ValueError, match="Dropout"):
            nd.Dropout(nd.ones(2), p=1.0)


# ============================================================================================
# printing
# ============================================================================================

class TestPrinting:
    @pytest.mark.parametrize("x, shape_text", [
        (nd.arange(4).reshape((4, 1)), "4x1"),
        (nd.array([1.5, -2.25, 3.0]), "3"),
        (nd.arange(24).reshape((2, 3, 4)), "2x3x4"),
        (nd.array([7.0]), "1"),
        (nd.arange(3000), "3000"),  # NumPy's summarisation with '...'
        (nd.array([[1, 2]], dtype="int32"), "1x2"),
        (nd.array([0.1, 1e-8], dtype="float64"), "2"),
        (nd.zeros((0, 3)), "0x3"),
    ], ids=["4x1", "3", "2x3x4", "1", "3000", "int32", "float64", "empty"])
    def test_repr_like_mxnet(self, x, shape_text):
        expected = "\n" + str(x.asnumpy()) + f"\n<NDArray {shape_text} @cpu(0)>"
        assert repr(x) == expected
        assert str(x) == repr(x)

    def test_literal_4x1(self):
        assert repr(nd.arange(4).reshape((4, 1))) == (
            "\n[[0.]\n [1.]\n [2.]\n [3.]]\n<NDArray 4x1 @cpu(0)>")

    def test_summarised_output_has_ellipsis(self):
        assert "..." in repr(nd.arange(3000))

    def test_zero_dim_has_two_spaces(self):
        x = NDArray(np.array(2.5, dtype=np.float32))
        assert x.shape == ()
        assert repr(x) == "\n2.5\n<NDArray  @cpu(0)>"

    def test_print(self, capsys):
        print(nd.array([[1, 2], [3, 4]]))
        assert capsys.readouterr().out == "\n[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu(0)>\n"


# ============================================================================================
# gradients of composite operations against central differences (float64)
# ============================================================================================

def _rand64(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape)


def _away_from(*shape, points=(0.0,), margin=0.1):
    """Values in [-2, 2] at least ``margin`` from each point in ``points``."""
    out = _rand64(*shape)
    for p in points:
        close = np.abs(out - p) < margin
        out[close] = p + np.where(out[close] >= p, margin, -margin) * 2
    return out


GRAD_CASES = [
    ("softmax", lambda x: nd.softmax(x), [(3, 4)]),
    ("softmax_axis0", lambda x: nd.softmax(x, axis=0), [(3, 4)]),
    ("softmax_temperature", lambda x: nd.softmax(x, temperature=0.5), [(2, 5)]),
    ("log_softmax", lambda x: nd.log_softmax(x), [(3, 4)]),
    ("log_softmax_axis0", lambda x: nd.log_softmax(x, axis=0), [(3, 4)]),
    ("norm", lambda x: nd.norm(x), [(3, 4)]),
    ("norm_axis", lambda x: nd.norm(x, axis=1, keepdims=True), [(3, 4)]),
    ("norm_l1", lambda x: nd.norm(x, ord=1), [(3, 4)]),
    ("pick", lambda x: nd.pick(x, nd.array([0, 3, 1], dtype="float64"), axis=1), [(3, 4)]),
    ("pick_axis0", lambda x: nd.pick(x, nd.array([2, 0, 1, 2]), axis=0, keepdims=True),
     [(3, 4)]),
    ("tile", lambda x: nd.tile(x, (2, 3)), [(2, 3)]),
    ("tile_new_axis", lambda x: nd.tile(x, (2, 1, 2)), [(2, 3)]),
    ("repeat", lambda x: nd.repeat(x, 3, axis=1), [(2, 3)]),
    ("repeat_flat", lambda x: nd.repeat(x, 2), [(2, 3)]),
    ("flip0", lambda x: nd.flip(x, 0), [(3, 4)]),
    ("flip1", lambda x: nd.flip(x, 1) * nd.flip(x, 0), [(3, 3)]),
    ("clip", lambda x: nd.clip(x, -0.5, 0.5), [(4, 5)]),
    ("concat", lambda a, b: nd.concat(a, b), [(2, 3), (2, 2)]),
    ("concat_dim0_same_input", lambda a: nd.concat(a, a * a, dim=0), [(2, 3)]),
    ("stack", lambda a, b: nd.stack(a, b, axis=1), [(2, 3), (2, 3)]),
    ("dot", lambda a, b: nd.dot(a, b), [(3, 4), (4, 2)]),
    ("dot_vectors", lambda a, b: nd.dot(a, b), [(4,), (4,)]),
    ("dot_transposed", lambda a, b: nd.dot(a, b, transpose_a=True, transpose_b=True),
     [(4, 3), (2, 4)]),
    ("dot_3d", lambda a, b: nd.dot(a, b), [(2, 3, 4), (4, 2)]),
    ("dot_xTx", lambda a: 2 * nd.dot(a.T, a), [(4, 1)]),
    ("batch_dot", lambda a, b: nd.batch_dot(a, b), [(2, 3, 4), (2, 4, 5)]),
    ("batch_dot_ta_tb", lambda a, b: nd.batch_dot(a, b, transpose_a=True, transpose_b=True),
     [(2, 4, 3), (2, 5, 4)]),
    ("mean", lambda x: nd.mean(x), [(3, 4)]),
    ("mean_axis", lambda x: nd.mean(x, axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    ("sum_exclude", lambda x: nd.sum(x * x, axis=1, exclude=True), [(2, 3, 4)]),
    ("max_axis", lambda x: nd.max(x, axis=1), [(3, 4)]),
    ("prod", lambda x: nd.prod(x, axis=0), [(3, 4)]),
    ("index_int", lambda x: x[1] * 3, [(3, 4)]),
    ("index_slices", lambda x: x[:, 1:3] ** 2, [(3, 4)]),
    ("index_negative_step", lambda x: x[::-1] * x, [(4,)]),
    ("index_tuple", lambda x: x[1, 2:] + x[0, :2], [(3, 4)]),
    ("index_array_repeated", lambda x: x[nd.array([0, 2, 0])], [(3, 4)]),
    ("take_axis1", lambda x: nd.take(x, nd.array([3, 3, 0]), axis=1), [(2, 4)]),
    ("where", lambda a, b: nd.where(a > 0, a * b, b), [(3, 4), (3, 4)]),
    ("maximum_minimum", lambda a, b: nd.maximum(a, b) * nd.minimum(a, 0.3), [(3, 4), (3, 4)]),
    ("broadcast_to", lambda x: nd.broadcast_to(x, (3, 4)) * nd.arange(4, dtype="float64"),
     [(1, 4)]),
    ("transpose_reshape", lambda x: nd.transpose(x, (1, 0, 2)).reshape((3, -1)), [(2, 3, 4)]),
    ("expand_squeeze", lambda x: nd.squeeze(nd.expand_dims(x, 1) * 2), [(3, 4)]),
    ("sigmoid_tanh_chain", lambda x: nd.sigmoid(nd.tanh(x) * 2), [(3, 4)]),
    ("rsub_rdiv_pow", lambda x: (2 - x) / (1 + x * x) + 2 ** x, [(3, 4)]),
]


def _make_inputs(name, shapes):
    if name == "clip":
        return [_away_from(*shapes[0], points=(-0.5, 0.5))]
    if name == "norm_l1":
        return [_away_from(*shapes[0])]
    if name in ("where", "maximum_minimum"):
        a = _away_from(*shapes[0], points=(0.0, 0.3))
        return [a, a + np.sign(_rand64(*shapes[1])) * RNG.uniform(0.2, 1, shapes[1])]
    if name == "prod":
        return [_rand64(*shapes[0], low=0.5, high=1.5)]
    if name == "max_axis":
        cols = np.arange(12.0).reshape(3, 4)[:, RNG.permutation(4)]
        return [np.ascontiguousarray(cols) * 0.3]
    return [_rand64(*s) for s in shapes]


@pytest.mark.parametrize("name, fn, shapes", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_composite_gradient_vs_central_differences(name, fn, shapes):
    inputs = _make_inputs(name, shapes)
    out0 = fn(*[nd.array(a, dtype="float64") for a in inputs])
    assert out0.dtype is np.float64
    weights = _rand64(*out0.shape)

    def scalar(*args):
        y = fn(*[nd.array(a, dtype="float64") for a in args])
        return float((y.asnumpy() * weights).sum())

    xs = [nd.array(a, dtype="float64") for a in inputs]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = fn(*xs)
    y.backward(nd.array(weights, dtype="float64"))
    for i, x in enumerate(xs):
        expected = numerical_grad(scalar, inputs, i)
        assert x.grad.dtype is np.float64
        assert_allclose(x.grad, expected, rtol=1e-5, atol=1e-7,
                        err_msg=f"{name}: gradient of input {i}")


def test_split_gradient_with_per_output_head_grads():
    a = _rand64(2, 6)
    x = nd.array(a, dtype="float64")
    x.attach_grad()
    with autograd.record():
        parts = nd.split(x * x, num_outputs=3, axis=1)
    heads = [_rand64(2, 2) for _ in range(3)]
    autograd.backward(parts, [nd.array(h, dtype="float64") for h in heads])
    check(x.grad, 2 * a * np.concatenate(heads, axis=1), rtol=1e-12)


def test_split_gradient_with_some_heads_unused_and_default_ones():
    a = _rand64(3, 4)
    x = nd.array(a, dtype="float64")
    x.attach_grad()
    with autograd.record():
        p0, p1, p2 = nd.split(x, 3, axis=0, squeeze_axis=True)
    g0 = _rand64(4)
    autograd.backward([p0, p2], [nd.array(g0, dtype="float64"), None])
    check(x.grad, np.stack([g0, np.zeros(4), np.ones(4)]), rtol=1e-12)


def test_split_gradient_vs_central_differences():
    a = _rand64(2, 6)
    w = [_rand64(2, 2) for _ in range(3)]

    def scalar(v):
        parts = nd.split(nd.array(v, dtype="float64"), 3)
        return sum(float((p.asnumpy() * wi).sum()) * (i + 1)
                   for i, (p, wi) in enumerate(zip(parts, w)))

    x = nd.array(a, dtype="float64")
    x.attach_grad()
    with autograd.record():
        parts = nd.split(nd.sin(x), 3)
        y = sum(((p * nd.array(wi, dtype="float64")) * (i + 1)).sum()
                for i, (p, wi) in enumerate(zip(parts, w)))
    y.backward()
    expected = numerical_grad(lambda v: scalar(np.sin(v)), [a], 0)
    assert_allclose(x.grad, expected, rtol=1e-5, atol=1e-7)


def test_maximum_ties_send_the_gradient_to_the_first_argument():
    # MXNet's _backward_maximum: lhs gets g where a >= b, rhs where a < b.
    a, b = nd.array([1.0, 2.0, 3.0]), nd.array([1.0, 5.0, 3.0])
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = nd.maximum(a, b)
    y.backward()
    check(a.grad, [1.0, 0.0, 1.0])
    check(b.grad, [0.0, 1.0, 0.0])


def test_relu_and_abs_gradient_at_zero():
    x = nd.array([-1.0, 0.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = nd.relu(x) + nd.abs(x)
    y.backward()
    check(x.grad, [-1.0, 0.0, 2.0])


def test_max_gradient_at_ties_is_shared_equally():
    # A documented difference from MXNet 1.9.1, whose _backward_max gives g to every tied
    # element: sharing keeps the gradient of a symmetric function symmetric and sums to g.
    x = nd.array([[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]])
    x.attach_grad()
    with autograd.record():
        y = nd.max(x, axis=1)
    y.backward()
    check(x.grad, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_astype_gradient_casts_back():
    x = nd.array([1.0, 2.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = x.astype("float32") * 3
    assert y.dtype is np.float32
    y.backward()
    check(x.grad, [3.0, 3.0], dtype=np.float64)


def test_numerical_grad_handles_non_contiguous_input():
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    g = numerical_grad(lambda v: float((v ** 2).sum()), [a], 0)
    np.testing.assert_allclose(g, 2 * a, rtol=1e-6)
