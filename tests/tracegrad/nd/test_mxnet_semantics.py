"""nd behaviours checked against real MXNet 1.9.1 (issue 13): every expected value here is
what MXNet gave for the same code (the differential harness, tests/mxnet, runs it live)."""

import numpy as np
import pytest

from tracegrad import nd

# -- reshape codes ----------------------------------------------------------------------------

# (input shape, codes, reverse, MXNet's result shape)
RESHAPES = [
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (-4, -1, 1, -2), False, (2, 1, 3, 4)),
    ((2, 3, 4), (0, -4, 3, -1, -2), False, (2, 3, 1, 4)),
    ((2, 3, 4), (-4, 2, -1, -2), False, (2, 1, 3, 4)),
    ((2, 3, 4), (0, 0, -4, 2, 2), False, (2, 3, 2, 2)),
    ((2, 3, 4), (1, -1, -4, 2, 2), False, (1, 6, 2, 2)),
    ((2, 3, 4), (-3, -1), False, (6, 4)),
    ((2, 3, 4), (0, -3), False, (2, 12)),
    ((2, 3, 4), (-1, 0), False, (8, 3)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    ((2, 3, 4), (0, -1), True, (3, 8)),
    ((2, 3, 4), (-1, -3), True, (2, 12)),
    ((2, 3, 4), (1, -1, 0), True, (1, 6, 4)),
    ((2, 3, 4), (2, -2), False, (2, 3, 4)),
    ((2, 3, 4), (-2, 1), False, (2, 3, 4, 1)),
    ((2, 3, 4), (4, 0, -1), False, (4, 3, 2)),
    ((2, 3, 4), (2, 3, 4, -1), False, (2, 3, 4, 1)),
    ((4, 3), (0, 0, 1), False, (4, 3, 1)),
    ((6,), (-4, 2, 3), False, (2, 3)),
    # MXNet writes the inferred size at the -1's index among the codes
    ((2, 3, 4), (-4, 2, 1, -1, 1, 1), False, (2, 1, 1, 12, 1)),
]
# codes MXNet rejects (or, for nd.reshape, crashes on)
BAD_RESHAPES = [
    ((2, 3, 4), (-2, -1), False), ((2, 3, 4), (-4, 2, 2, -2), False),
    ((2, 3, 4), (-4, -1, -1, -2), False), ((2, 3, 4), (-1, -1), False),
    ((2, 3, 4), (0, 0, 0, 0), False), ((2, 3, 4), (-3, -3), False), ((2, 3, 4), (5, -1), False),
    ((2, 3, 4), (-5,), False), ((2, 3, 4), (-4, 1), False), ((2, 3, 4), (-4, 1, 2, -1), False),
    ((2, 3, 4), (-4, 1, 2, -2), True), ((2, 3, 4), (0, -4, 3, -1, -2), True),
]


@pytest.mark.parametrize("old, codes, reverse, expected", RESHAPES,
                         ids=[f"{o}-{c}-{r}" for o, c, r, _ in RESHAPES])
def test_reshape_codes(old, codes, reverse, expected):
    x = nd.arange(int(np.prod(old))).reshape(old)
    for y in (x.reshape(codes, reverse=reverse), nd.reshape(x, shape=codes, reverse=reverse)):
        assert y.shape == expected
        np.testing.assert_array_equal(y.asnumpy().ravel(), np.arange(x.size))
    if not reverse:
        assert x.reshape(*codes).shape == expected


@pytest.mark.parametrize("old, codes, reverse", BAD_RESHAPES,
                         ids=[f"{o}-{c}-{r}" for o, c, r in BAD_RESHAPES])
def test_reshape_codes_mxnet_rejects(old, codes, reverse):
    with pytest.raises(ValueError, match="reshape"):
        nd.zeros(old).reshape(codes, reverse=reverse)


def test_reshape_like_uses_the_same_rule():
    y = nd.reshape_like(nd.ones((30, 7)), nd.ones((15, 2, 4)), lhs_begin=0, lhs_end=1,
                        rhs_begin=0, rhs_end=2)
    assert y.shape == (15, 2, 7)
    with pytest.raises(ValueError):
        nd.reshape_like(nd.ones((30, 7)), nd.ones((4, 4)))


# -- advanced indexing ------------------------------------------------------------------------

# (shape, key, MXNet's result shape, MXNet's values)
GETITEMS = [
    ((3, 4), ([0, 1], [1, 2]), (2,), [1, 6]),
    ((3, 4), (slice(1, None), [0, 2]), (2, 2), [4, 6, 8, 10]),
    ((3, 4), ([2, 0], slice(1, 3)), (2, 2), [9, 10, 1, 2]),
    ((2, 3, 4), (slice(None), [0, 2], 1), (2, 2), [1, 9, 13, 21]),
    ((2, 3, 4), ([0, 1], slice(None), [1, 3]), (2, 3), [1, 5, 9, 15, 19, 23]),
    ((3, 4), [-1, 0], (2, 4), [8, 9, 10, 11, 0, 1, 2, 3]),
    ((3, 4), [[-3]], (1, 1, 4), [0, 1, 2, 3]),
    ((2, 3, 4), (1, [0, 2]), (2, 4), [12, 13, 14, 15, 20, 21, 22, 23]),
    ((2, 3, 4), ([0, 1], [1, 2], [2, 3]), (2,), [6, 23]),
    ((2, 3, 4), (0, slice(None), [1, 2]), (2, 3), [1, 5, 9, 2, 6, 10]),
    ((2, 3, 4), ([1, 0], Ellipsis, slice(1, 3)), (2, 3, 2),
     [13, 14, 17, 18, 21, 22, 1, 2, 5, 6, 9, 10]),
    ((2, 3, 4), ([0, 1], slice(None, None, -1), [2]), (2, 3), [10, 6, 2, 22, 18, 14]),
    ((3, 4), ([0, -1], [-1, 0]), (2,), [3, 8]),
    ((3, 4), [True, False, True], (3, 4), [4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]),  # 0/1
    ((3, 4), [1.7, 0], (2, 4), [4, 5, 6, 7, 0, 1, 2, 3]),  # truncated
    ((3, 4), (range(2), 1), (2,), [1, 5]),
    ((2, 3, 4), ([0, 1], None), (1, 2, 3, 4), list(range(24))),  # MXNet's None placement
    ((2, 3, 4), (None, [0, 1]), (1, 2, 3, 4), list(range(24))),
]


@pytest.mark.parametrize("shape, key, shape_out, values", GETITEMS,
                         ids=[str(k) for _, k, _, _ in GETITEMS])
def test_advanced_getitem(shape, key, shape_out, values):
    x = nd.arange(int(np.prod(shape))).reshape(shape)
    y = x[key]
    assert y.shape == shape_out
    np.testing.assert_array_equal(y.asnumpy().ravel(), values)


@pytest.mark.parametrize("key", [[0, 7], [[-4]], ([[0, 3]], [1]), (slice(None), [4])])
def test_index_array_out_of_range_is_an_index_error(key):
    with pytest.raises(IndexError, match="out of bounds"):
        nd.arange(12).reshape((3, 4))[key]


def test_nd_index_arrays_and_float_keys():
    x = nd.arange(12).reshape((3, 4))
    np.testing.assert_array_equal(x[nd.array([0, 2]), 1].asnumpy(), [1, 9])
    np.testing.assert_array_equal(x[nd.array([1.7])].asnumpy(), [[4, 5, 6, 7]])
    with pytest.raises(ValueError, match="does not support slicing with key 1.5"):
        x[1.5]
    with pytest.raises(IndexError):  # NumPy's exception type works too
        x[1.5]


def test_advanced_index_gradient():
    from tracegrad import autograd
    x = nd.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
    x.attach_grad()
    with autograd.record():
        y = x[[0, 1, 1], [2, 0, 0]]
        loss = nd.sum(y * nd.array([1.0, 2.0, 3.0]))
    loss.backward()
    np.testing.assert_array_equal(y.asnumpy(), [3.0, 0.5, 0.5])
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 0, 1], [5, 0, 0]])  # MXNet's


def test_advanced_index_under_jit_with_a_traced_index():
    import tracegrad
    f = tracegrad.jit(lambda a, i: a[i, 1:3])
    y = f(nd.arange(12).reshape((3, 4)), nd.array([-1, 0]))
    np.testing.assert_array_equal(y.asnumpy(), [[9, 10], [1, 2]])
    g = tracegrad.grad(lambda a: (a[[0, 0, 2], 1:3] ** 2).sum())
    np.testing.assert_array_equal(g(nd.arange(12).reshape((3, 4))).asnumpy(),
                                  [[0, 4, 8, 0], [0, 0, 0, 0], [0, 18, 20, 0]])


# (shape, key, value, MXNet's array afterwards)
SETITEMS = [
    ((2, 2, 2, 2), (1, 1, 1, 1), [7.0], list(range(15)) + [7]),
    ((3, 4), ([0, 1], [1, 2]), [5.0, 6.0], [0, 5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    ((3, 4), ([0], [1, 2]), 5, [0, 5, 5, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    ((3, 4), ([0, 0], [1, 1]), [5.0, 6.0], [0, 6, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    ((3, 4), (slice(None, None, -1), slice(0, 2, 2)), [6.0],
     [6, 1, 2, 3, 6, 5, 6, 7, 6, 9, 10, 11]),
    ((3, 4), 1, np.ones((1, 1, 4)), [0, 1, 2, 3, 1, 1, 1, 1, 8, 9, 10, 11]),
    ((3, 4), [True, False, True], 0, [0, 0, 0, 0, 0, 0, 0, 0, 8, 9, 10, 11]),  # rows 1, 0
    ((2, 3, 4), (slice(None), [0, 2], 1), [1.0, 2.0],
     [0, 1, 2, 3, 4, 5, 6, 7, 8, 2, 10, 11, 12, 1, 14, 15, 16, 17, 18, 19, 20, 2, 22, 23]),
]


@pytest.mark.parametrize("shape, key, value, after", SETITEMS,
                         ids=[str(k) for _, k, _, _ in SETITEMS])
def test_setitem_forms(shape, key, value, after):
    x = nd.arange(int(np.prod(shape))).reshape(shape)
    x[key] = nd.array(value) if isinstance(value, list) else value
    np.testing.assert_array_equal(x.asnumpy().ravel(), after)


def test_setitem_negative_and_out_of_range_index_arrays():
    # MXNet 1.9.1 ignores a negative index here and silently skips an out-of-range one
    # (docs/from_mxnet.md): tracegrad counts from the end and raises, as getitem does
    x = nd.arange(12).reshape((3, 4))
    x[[-1, 0]] = nd.array([[1.0], [2.0]])
    np.testing.assert_array_equal(x.asnumpy()[:, 0], [2, 4, 1])
    with pytest.raises(IndexError, match="out of bounds"):
        x[[0, 7]] = 1
    with pytest.raises(ValueError, match="does not support slicing"):
        x[1.5] = 0


# -- NaN, signed zeros and mod ----------------------------------------------------------------


def test_sign_of_nan_is_zero():
    x = nd.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
    np.testing.assert_array_equal(nd.sign(x).asnumpy(), [1, -1, 0, 0, 0])
    assert nd.sign(nd.array([-2, 0, 3], dtype="int32")).asnumpy().tolist() == [-1, 0, 1]


def test_mod_follows_mxnet_sign_rule():
    a = nd.array([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]])
    b = nd.array([[2.0, 2.0, -1.5], [0.5, 4.0, 3.0]])
    for out in (a % b, nd.modulo(a, b)):
        r = out.asnumpy()
        np.testing.assert_array_equal(r, [[1.5, 0, 0], [0, 0.5, 0]])
        assert not np.signbit(r).any()  # MXNet prints 0., NumPy's mod gives -0.
    r = (3.0 % b).asnumpy()
    np.testing.assert_array_equal(r, [[1, 1, 0], [0, 3, 0]])
    assert not np.signbit(r).any()
    # a zero divisor gives 0 (NumPy: NaN), -0 % 2 stays -0 (MXNet's)
    r = (nd.array([3.0, np.nan, -0.0]) % nd.array([0.0, 0.0, 2.0])).asnumpy()
    np.testing.assert_array_equal(r, [0, 0, 0])
    assert np.signbit(r).tolist() == [False, False, True]
    assert (a % 2.0).dtype == np.float32


# -- sharing: x[:] is x, other slices and reshapes are copy on write -------------------------


def test_full_slice_is_the_array_itself():
    x = nd.arange(6).reshape((2, 3))
    assert x[:] is x  # MXNet returns self
    y = x[:]
    y[0, 0] = 100
    assert x[0, 0].asscalar() == 100


@pytest.mark.parametrize("view", [lambda x: x[...], lambda x: x[:, :], lambda x: x[0:2],
                                  lambda x: x.reshape((2, 3)), lambda x: x.reshape((6,)),
                                  lambda x: x[1:], lambda x: x.detach()])
def test_other_slices_and_reshapes_never_share_writes(view):
    x = nd.arange(6).reshape((2, 3))
    y = view(x)
    assert y is not x
    y[:] = -1
    np.testing.assert_array_equal(x.asnumpy().ravel(), np.arange(6))  # docs/from_mxnet.md
    x[:] = 7
    assert (y.asnumpy() == -1).all()


def test_detach_and_fresh_grad():
    from tracegrad import autograd
    x = nd.array([1.0, 2.0])
    assert x._fresh_grad == 0
    x.attach_grad()
    assert x._fresh_grad == 0
    with autograd.record():
        y = x * 2
        d = y.detach()
    y.backward()
    assert x._fresh_grad == 1 and type(x._fresh_grad) is int  # MXNet's int flag
    assert x.grad._fresh_grad == 0 and d._fresh_grad == 0 and d.grad is None
    assert x.detach().grad is None and x.detach()._fresh_grad == 0
    x._fresh_grad = False
    assert x._fresh_grad == 0
    x._fresh_grad = True
    assert x._fresh_grad == 1
    x.attach_grad()  # a new buffer is not fresh
    assert x._fresh_grad == 0
    with pytest.raises(RuntimeError, match="not been marked as a variable"):
        nd.array([1.0])._fresh_grad = 1


# -- integer dtypes ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "int8"])
def test_integer_division_keeps_the_dtype_and_truncates(dtype):
    a = nd.array([7, 2, 5], dtype=dtype)
    b = nd.array([2, 3, 2], dtype=dtype)
    for out in (a / b, nd.divide(a, b)):
        assert out.dtype == np.dtype(dtype).type
        assert out.asnumpy().tolist() == [3, 0, 2]  # MXNet's
    assert (a / 2).asnumpy().tolist() == [3, 1, 2]
    assert (7 / a).asnumpy().tolist() == [1, 3, 1]
    assert (a / 2).dtype == np.dtype(dtype).type


def test_integer_division_truncates_toward_zero():
    a = nd.array([-7, 7, 5, -5], dtype="int32")
    b = nd.array([2, -2, 3, 3], dtype="int32")
    assert (a / b).asnumpy().tolist() == [-3, -3, 1, -1]  # MXNet's (C's), not floor
    assert (a / 2).asnumpy().tolist() == [-3, 3, 2, -2]
    assert (7 / a).asnumpy().tolist() == [-1, 1, 1, -1]
    zero = nd.array([5, 0], dtype="int32") / nd.array([0, 0], dtype="int32")
    assert zero.asnumpy().tolist() == [0, 0]  # MXNet: undefined (docs/from_mxnet.md)


def test_reciprocal_and_clip_keep_integer_dtypes():
    r = nd.reciprocal(nd.array([-1, 1, 2, -2], dtype="int32"))
    assert r.dtype == np.int32 and r.asnumpy().tolist() == [-1, 1, 0, 0]
    c = nd.clip(nd.array([-3, 0, 5], dtype="int32"), -1.5, 2.7)
    assert c.dtype == np.int32 and c.asnumpy().tolist() == [-1, 0, 2]  # bounds truncated
    c = nd.clip(nd.array([3, 0, 5], dtype="uint8"), 1, 4)
    assert c.dtype == np.uint8 and c.asnumpy().tolist() == [3, 1, 4]


def test_clip_as_mxnet():
    from tracegrad import autograd
    x = nd.array([-2.5, 0.5, 1.0, 2.0, 3.0, np.nan])
    x.attach_grad()
    with autograd.record():
        y = nd.clip(x, 0.5, 2)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), [0.5, 0.5, 1, 2, 2, np.nan])
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 1, 1, 1, 0, 1])  # MXNet's
    x = nd.array([-2.5, 0.5, 1.5, 3.0])
    x.attach_grad()
    with autograd.record():
        y = nd.clip(x, 2, 1)  # a_min > a_max: MXNet's order of comparisons decides
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), [2, 2, 1, 1])
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 0, 0, 0])


def test_integer_division_under_jit_matches_eager():
    import tracegrad
    a = nd.array([-7, 7, 5, -5], dtype="int32")
    b = nd.array([2, -2, 3, 3], dtype="int32")
    y = tracegrad.jit(lambda p, q: p / q + 1)(a, b)
    assert y.dtype == np.int32 and y.asnumpy().tolist() == [-2, -2, 2, 0]


# -- where, pick, take, softmax(length), flip, axis=() ---------------------------------------

A = [[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]]
B = [[2.0, 2.0, -1.5], [0.5, 4.0, 3.0]]
X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_where_with_a_1d_condition_selects_rows():
    out = nd.where(nd.array([1, 0]), nd.array(A), nd.array(B))
    np.testing.assert_array_equal(out.asnumpy(), [A[0], B[1]])
    out = nd.where(nd.array([1, 0, 1]), nd.ones((3, 3)), nd.zeros((3, 3)))  # rows, not columns
    np.testing.assert_array_equal(out.asnumpy(), [[1] * 3, [0] * 3, [1] * 3])
    out = nd.where(nd.array([np.nan, 0]), nd.array(A), nd.array(B))  # NaN is nonzero
    np.testing.assert_array_equal(out.asnumpy(), [A[0], B[1]])
    with pytest.raises(ValueError, match="1-D condition"):
        nd.where(nd.array([1, 0, 1]), nd.array(A), nd.array(B))  # MXNet: shape error


@pytest.mark.parametrize("index, mode, expected", [
    ([-1, 4], "wrap", [3, 5]), ([0.7, 1.2], "clip", [1, 5]), ([-0.7, 2.9], "clip", [1, 6]),
    ([-0.7, -1.5], "wrap", [1, 6]), ([-3, 7], "clip", [1, 6]),
])
def test_pick_truncates_and_wraps(index, mode, expected):
    np.testing.assert_array_equal(nd.pick(nd.array(X), nd.array(index), mode=mode).asnumpy(),
                                  expected)


def test_pick_keeps_the_dtype_and_takes_keepdims_shaped_indices():
    out = nd.pick(nd.array(X, dtype="int32"), nd.array([1, 0]))
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [2, 4]
    assert nd.pick(nd.array(X), nd.array([[1], [0]])).asnumpy().tolist() == [2, 4]
    assert nd.pick(nd.array(X), nd.array([1, 0]), keepdims=True).shape == (2, 1)


@pytest.mark.parametrize("index, mode, axis, rows", [
    ([-1, 3], "wrap", 0, [1, 1]), ([-4, 5], "wrap", 0, [0, 1]), ([0, 1], "raise", 0, [0, 1]),
    ([-1, 7], "clip", 0, [0, 1]), ([1.7, -0.5], "clip", 0, [1, 0]),
    ([-1.5, 2.5], "wrap", 0, [1, 0]), ([-1, 4], "wrap", 1, [2, 1]),
])
def test_take_modes(index, mode, axis, rows):
    out = nd.take(nd.array(X), nd.array(index), axis=axis, mode=mode)
    np.testing.assert_array_equal(out.asnumpy(), np.take(np.array(X), rows, axis=axis))


@pytest.mark.parametrize("index", [[0, 5], [-1]])
def test_take_raise_mode_raises(index):
    with pytest.raises(IndexError, match="out of bounds"):
        nd.take(nd.array(X), nd.array(index), mode="raise")


def test_take_and_pick_gradients():
    from tracegrad import autograd
    x = nd.array(X)
    x.attach_grad()
    with autograd.record():
        y = nd.take(x, nd.array([-1, 3, 1]), mode="wrap")
        loss = (y * nd.arange(9).reshape((3, 3))).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 0, 0], [9, 12, 15]])  # MXNet's
    with autograd.record():
        y = nd.pick(x, nd.array([-1, 4]), mode="wrap")
        loss = (y * nd.arange(2)).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 0, 0], [0, 1, 0]])


def test_softmax_with_length():
    x = nd.array(X)
    out = nd.softmax(x, length=nd.array([2, 3], dtype="int32"), use_length=True)
    np.testing.assert_allclose(out.asnumpy(), [[0.268941, 0.731059, 0],
                                               [0.090031, 0.244728, 0.665241]], rtol=1e-5)
    out = nd.softmax(x, length=nd.array([0, 3], dtype="int32"), use_length=True)
    np.testing.assert_allclose(out.asnumpy()[0], [0, 0, 0])
    out = nd.softmax(x, length=nd.array([1, 2, 1], dtype="int32"), use_length=True, axis=0)
    np.testing.assert_allclose(out.asnumpy(), [[1, 0.047426, 1], [0, 0.952574, 0]], rtol=1e-5)
    with pytest.raises(TypeError, match="integer"):
        nd.softmax(x, length=nd.array([2, 3]), use_length=True)
    with pytest.raises(ValueError, match="use_length"):
        nd.softmax(x, length=nd.array([2, 3], dtype="int32"))
    from tracegrad import autograd
    x.attach_grad()
    with autograd.record():
        y = nd.softmax(x, length=nd.array([2, 3], dtype="int32"), use_length=True)
        loss = (y * nd.arange(6).reshape((2, 3))).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[-0.19661, 0.19661, 0],
                                                  [-0.14182, -0.14077, 0.28259]], atol=1e-5)


def test_flip_axis_tuple():
    assert nd.flip(nd.array(X), axis=(0, 1)).asnumpy().tolist() == [[6, 5, 4], [3, 2, 1]]


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "prod", "nansum", "nanprod",
                                "norm"])
def test_reducing_over_axis_empty_tuple_reduces_everything(op):
    x = nd.array(X)
    out = getattr(nd, op)(x, axis=())
    assert out.shape == (1,)
    np.testing.assert_allclose(out.asnumpy(), getattr(nd, op)(x).asnumpy())
    assert nd.sum(x, axis=(), keepdims=True).shape == (1, 1)
    assert nd.sum(x, axis=(), exclude=True).asnumpy().tolist() == [21]


# -- NumPy functions, contexts, dtypes MXNet rejects ------------------------------------------


def test_numpy_functions_that_call_methods_return_ndarrays():
    from tracegrad.ndarray import NDArray
    a = nd.array([1, 0])
    for f, expected in ((np.all, [0]), (np.any, [1]), (np.sum, [1]), (np.max, [1]),
                        (np.mean, [0.5]), (np.prod, [0])):
        out = f(a)
        assert isinstance(out, NDArray) and out.asnumpy().tolist() == expected  # as MXNet
    assert np.sum(nd.array([[1, 2], [3, 4]]), axis=0).asnumpy().tolist() == [4, 6]
    assert not np.all(a) and np.any(a)
    np.testing.assert_array_equal(np.asarray(a), [1, 0])
    with pytest.raises(TypeError, match="ufunc"):
        np.exp(a)


def test_cpu_shared_and_pinned_contexts_are_the_cpu():
    import tracegrad
    for ctx in (tracegrad.cpu_shared(0), tracegrad.Context("cpu_shared", 0),
                tracegrad.cpu_pinned(0)):
        x = nd.zeros((2,), ctx=ctx)
        assert x.context == tracegrad.cpu(0)
        assert nd.array([1.0], ctx=ctx).as_in_context(ctx).asnumpy().tolist() == [1.0]
    assert repr(tracegrad.cpu_shared(0)) == "cpu_shared(0)"
    with pytest.raises(ValueError, match="CPU only"):
        tracegrad.Context("gpu", 0)


def test_astype_to_a_dtype_mxnet_lacks_is_a_type_error():
    with pytest.raises(TypeError, match="not an MXNet dtype"):
        nd.ones(2).astype("complex64")
    for dt in ("float16", "float64", "uint8", "int8", "int32", "int64", "bool"):
        assert nd.ones(2).astype(dt).dtype == np.dtype(dt).type


def test_asscalar_formats_where_numpy2_rejects_a_1_element_array():
    loss = nd.sum(nd.array([1.0, 2.0]))
    assert "%.1f" % loss.asscalar() == "3.0"
    with pytest.raises(TypeError):  # NumPy 2 (docs/from_mxnet.md)
        "%f" % loss.asnumpy()
