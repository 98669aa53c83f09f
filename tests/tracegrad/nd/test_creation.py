"""Creating NDArrays (array, arange, zeros/ones/full, eye, linspace, random); their properties."""

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import arr, check, rand
from tracegrad import autograd, nd

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
