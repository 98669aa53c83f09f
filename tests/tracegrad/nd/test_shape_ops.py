"""Shape operations against NumPy: dot, reshape, transpose, concat/stack/split, tile, take, pick."""

import numpy as np
import pytest

from tests.tracegrad.nd.helpers import arr, check, rand
from tracegrad import nd
from tracegrad.ndarray import NDArray


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
