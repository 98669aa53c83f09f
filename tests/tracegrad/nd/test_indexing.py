"""Getting and setting items of NDArray against NumPy, and the in-place operators."""

import numpy as np
import pytest

from tests.tracegrad.nd.helpers import arr, check, rand
from tracegrad import nd

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
