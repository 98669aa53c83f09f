"""Reductions against NumPy: sum/mean/max/min/prod over axes, arg reductions, norm and softmax."""

import numpy as np
import pytest

from tests.tracegrad.nd.helpers import RNG, arr, check, rand
from tracegrad import nd
from tracegrad.testing import assert_allclose

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
