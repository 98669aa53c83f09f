"""MXNet's common arguments and interfaces (issue 13): ``out=``, the rejection of unknown
keywords, ``inplace=``, ``broadcast_like``'s axes, the complete list of fluent methods, the
nd-level random operators, NumPy/DLPack exchange and the non-operator NDArray methods."""

import subprocess

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import check
from tests.tracegrad.nd.mxnet_run import MXNET_PY, needs_mxnet
from tracegrad import autograd, nd

# dir(mxnet.nd.NDArray) in MXNet 1.9.1, public names; tracegrad has all but ``handle`` (a
# pointer into MXNet's C library).
MXNET_NDARRAY_ATTRIBUTES = (
    "T abs arccos arccosh arcsin arcsinh arctan arctanh argmax argmax_channel argmin argsort "
    "as_in_context as_nd_ndarray as_np_ndarray asnumpy asscalar astype attach_grad backward "
    "broadcast_axes broadcast_like broadcast_to cbrt ceil clip context copy copyto cos cosh ctx "
    "degrees depth_to_space detach diag dtype exp expand_dims expm1 fix flatten flip floor grad "
    "handle log log10 log1p log2 log_softmax max mean min nanprod nansum ndim norm one_hot "
    "ones_like pad pick prod radians rcbrt reciprocal relu repeat reshape reshape_like rint "
    "round rsqrt shape shape_array sigmoid sign sin sinh size size_array slice slice_assign "
    "slice_assign_scalar slice_axis slice_like softmax softmin sort space_to_depth split "
    "split_v2 sqrt square squeeze stype sum swapaxes take tan tanh tile to_dlpack_for_read "
    "to_dlpack_for_write topk tostype transpose trunc wait_to_read writable zeros_like").split()

ND_NAMES = (
    "uniform normal random_uniform random_normal random_randint random_exponential "
    "random_gamma random_poisson random_negative_binomial random_generalized_negative_binomial "
    "sample_uniform sample_normal sample_exponential sample_gamma sample_poisson "
    "sample_negative_binomial sample_generalized_negative_binomial sample_multinomial shuffle "
    "elemwise_add elemwise_sub elemwise_mul elemwise_div ElementWiseSum add_n FullyConnected "
    "choose_element_0index fill_element_0index onehot_encode crop concatenate moveaxis topk "
    "sort argsort from_numpy from_dlpack to_dlpack_for_read to_dlpack_for_write sgd_update "
    "sgd_mom_update mp_sgd_update mp_sgd_mom_update nag_mom_update mp_nag_mom_update "
    "adam_update rmsprop_update rmspropalex_update ftrl_update ftml_update signsgd_update "
    "signum_update lamb_update_phase1 lamb_update_phase2 mp_lamb_update_phase1 "
    "mp_lamb_update_phase2 multi_sgd_update multi_sgd_mom_update multi_mp_sgd_update "
    "multi_mp_sgd_mom_update preloaded_multi_sgd_update preloaded_multi_sgd_mom_update "
    "preloaded_multi_mp_sgd_update preloaded_multi_mp_sgd_mom_update all_finite "
    "multi_all_finite multi_sum_sq reset_arrays multi_lars Pad pad broadcast_axis").split()


def test_every_mxnet_ndarray_attribute_exists():
    missing = [m for m in MXNET_NDARRAY_ATTRIBUTES if not hasattr(nd.NDArray, m)]
    assert missing == ["handle"]


def test_the_nd_names_exist():
    assert [n for n in ND_NAMES if not hasattr(nd, n)] == []
    assert callable(nd.contrib.isinf)


@needs_mxnet
def test_the_lists_are_mxnets():
    out = subprocess.run([str(MXNET_PY), "-c", "import mxnet as mx; print(' '.join(m for m in "
                          "dir(mx.nd.NDArray) if not m.startswith('_'))); print(' '.join(m "
                          "for m in dir(mx.nd) if not m.startswith('_')))"],
                         capture_output=True, text=True, timeout=300)
    methods, names = out.stdout.strip().splitlines()[-2:]
    assert set(MXNET_NDARRAY_ATTRIBUTES) == set(methods.split())
    assert set(ND_NAMES) <= set(names.split())


# -- out= -------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda out: nd.ones((2, 2), out=out), lambda out: nd.zeros((2, 2), out=out),
    lambda out: nd.full((2, 2), 3.0, out=out), lambda out: nd.eye(2, out=out),
    lambda out: nd.ones_like(nd.zeros((2, 2)), out=out),
    lambda out: nd.exp(nd.zeros((2, 2)), out=out), lambda out: nd.tan(nd.ones((2, 2)), out=out),
    lambda out: nd.square(nd.ones((2, 2)), out=out),
    lambda out: nd.slice(nd.ones((3, 3)), begin=(0, 0), end=(2, 2), out=out),
    lambda out: nd.sort(nd.ones((2, 2)), out=out),
    lambda out: nd.elemwise_add(nd.ones((2, 2)), nd.ones((2, 2)), out=out),
], ids=["ones", "zeros", "full", "eye", "ones_like", "exp", "tan", "square", "slice", "sort",
        "elemwise_add"])
def test_out_writes_into_the_given_array(make):
    out = nd.array(np.full((2, 2), -7.0))
    assert make(out) is out
    check(out, make(None).asnumpy())


def test_out_of_random_draws():
    out = nd.array(np.full((2, 2), -7.0))
    assert nd.uniform(shape=(2, 2), out=out) is out
    assert ((out.asnumpy() >= 0) & (out.asnumpy() < 1)).all()


def test_out_checks_shape_and_dtype():
    with pytest.raises(ValueError, match="nd.ones: out has shape"):
        nd.ones((3,), out=nd.zeros((2, 2)))
    with pytest.raises(TypeError, match="dtype float64"):
        nd.ones((2,), out=nd.zeros(2, dtype="float64"))
    a = nd.zeros(2, dtype="float64")
    nd.full((2,), 5, out=a)  # full fills out in its dtype, as MXNet
    check(a, [5.0, 5.0], dtype="float64")


def test_out_under_record_is_the_recorded_result():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    y = nd.zeros(2)
    with autograd.record():
        nd.exp(x, out=y)
        z = (y * 2).sum()
    z.backward()
    check(x.grad, 2 * np.exp([1.0, 2.0]))
    with autograd.record():
        with pytest.raises(tracegrad.errors.InPlaceError):
            nd.exp(x, out=x)


# -- keywords ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda: nd.ones((2,), foo=1), lambda: nd.zeros((2,), foo=1),
    lambda: nd.eye(2, foo=1), lambda: nd.exp(nd.ones(2), foo=1),
    lambda: nd.tan(nd.ones(2), foo=1), lambda: nd.slice(nd.ones(2), (0,), (1,), foo=1),
    lambda: nd.topk(nd.ones(2), foo=1), lambda: nd.ones(2).reshape((2,), foo=1),
    lambda: nd.Dropout(nd.ones(2), foo=1), lambda: nd.random.uniform(foo=1),
    lambda: nd.random.normal(foo=1), lambda: nd.random.randint(0, 2, foo=1),
    lambda: nd.uniform(foo=1), lambda: nd.sgd_update(nd.ones(2), nd.ones(2), lr=1, foo=1),
    lambda: nd.FullyConnected(nd.ones((1, 2)), nd.ones((1, 2)), nd.ones(1), num_hidden=1,
                              foo=1),
], ids=lambda c: "")
def test_unknown_keywords_are_rejected(call):
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        call()


def test_name_is_accepted_as_in_mxnet():
    check(nd.exp(nd.zeros(1), name="e"), [1.0])
    check(nd.ones((1,), name="o"), [1.0])


def test_inplace_and_broadcast_like_axes():
    x = nd.arange(6).reshape((2, 3, 1))
    assert x.flatten(inplace=True).shape == (2, 3)
    assert x.squeeze(inplace=True).shape == (2, 3)
    assert x.expand_dims(0, inplace=True).shape == (1, 2, 3, 1)
    y = nd.broadcast_like(x, nd.zeros((5, 7)), lhs_axes=(2,), rhs_axes=(1,))
    check(y, np.broadcast_to(x.asnumpy(), (2, 3, 7)))
    check(nd.broadcast_like(x, nd.zeros((5, 7)), lhs_axes=(-1,), rhs_axes=(-1,)), y.asnumpy())
    with pytest.raises(ValueError, match="cannot be broadcast"):
        nd.broadcast_like(x, nd.zeros((5, 7)), lhs_axes=(1,), rhs_axes=(1,))
    with pytest.raises(ValueError, match="same length"):
        nd.broadcast_like(x, nd.zeros((5, 7)), lhs_axes=(2, 0), rhs_axes=(1,))
    v = nd.ones((2, 1))
    v.attach_grad()
    with autograd.record():
        nd.broadcast_like(v, nd.zeros((3, 4)), lhs_axes=1, rhs_axes=1).sum().backward()
    check(v.grad, [[4.0], [4.0]])


def test_reshape_reverse_and_dropout_modes():
    assert nd.reshape(nd.ones((2, 3, 4)), (-1, 0), reverse=True).shape == (6, 4)  # MXNet's
    y = nd.Dropout(nd.ones((50, 40)), p=0.5, mode="always")
    assert set(np.unique(y.asnumpy())) <= {0.0, 2.0}
    with autograd.train_mode():
        z = nd.Dropout(nd.ones((50, 40)), p=0.5, axes=(1,)).asnumpy()
    assert (z == z[:, :1]).all()  # one mask value per row
    check(nd.Dropout(nd.ones(3), p=0.5), [1, 1, 1])  # predict mode


# -- random -----------------------------------------------------------------------------------

def test_nd_level_random_operators():
    np.random.seed(3)
    assert nd.uniform(0, 1, (2, 3)).shape == (2, 3)
    assert nd.random_uniform(0, 1, (2,), None, "float64").dtype is np.float64  # ctx, dtype
    assert nd.normal(shape=(2,)).dtype is np.float32
    assert nd.random_randint(0, 5, (3,)).dtype is np.int32
    big = (20000,)
    assert abs(nd.random_exponential(4.0, big).asnumpy().mean() - 0.25) < 0.01
    assert abs(nd.random_gamma(2.0, 3.0, big).asnumpy().mean() - 6.0) < 0.15
    assert abs(nd.random_poisson(3.0, big).asnumpy().mean() - 3.0) < 0.05
    assert abs(nd.random_negative_binomial(3, 0.4, big).asnumpy().mean() - 4.5) < 0.1
    gnb = nd.random_generalized_negative_binomial(3.0, 0.5, big).asnumpy()
    assert abs(gnb.mean() - 3.0) < 0.1 and abs(gnb.var() - (3.0 + 0.5 * 9.0)) < 0.5
    s = nd.sample_uniform(nd.array([0.0, 10.0]), nd.array([1.0, 11.0]), shape=(1000,))
    assert s.shape == (2, 1000) and (s[0].asnumpy() < 1).all() and (s[1].asnumpy() >= 10).all()
    n = nd.sample_normal(nd.array([0.0, 10.0]), nd.array([1.0, 0.1]), shape=(4000,))
    np.testing.assert_allclose(n.asnumpy().mean(axis=1), [0.0, 10.0], atol=0.05)
    assert nd.sample_poisson(nd.array([1.0, 100.0]), shape=(2,)).shape == (2, 2)
    draws = nd.sample_multinomial(nd.array([[0.0, 1.0], [1.0, 0.0]]), shape=(3,))
    check(draws, [[1, 1, 1], [0, 0, 0]], dtype="int32")
    idx, logp = nd.sample_multinomial(nd.array([[0.5, 0.5]]), get_prob=True)
    check(logp, [np.log(0.5)])
    assert nd.sample_multinomial(nd.array([0.1, 0.9])).shape == (1,)


def test_random_operators_inside_jit_draw_fresh_numbers():
    f = tracegrad.jit(lambda x: x + nd.uniform(0, 1, (3,)) + nd.random_exponential(2.0, (3,)))
    a, b = f(nd.zeros(3)).asnumpy(), f(nd.zeros(3)).asnumpy()
    assert not np.array_equal(a, b)
    g = tracegrad.jit(lambda x: x + nd.random_gamma(2.0, 1.0, (3,)))
    with pytest.warns(tracegrad.errors.FallbackWarning):
        c = g(nd.zeros(3)).asnumpy()
    assert not np.array_equal(c, g(nd.zeros(3)).asnumpy())


# -- NumPy and DLPack -------------------------------------------------------------------------

def test_from_numpy():
    a = np.arange(6.0).reshape(2, 3)
    x = nd.from_numpy(a)
    assert x.dtype is np.float64 and x.shape == (2, 3)
    assert np.shares_memory(x._data, a) and not a.flags.writeable  # zero-copy, as MXNet
    x[0, 0] = 5.0  # copy on write: the NumPy array keeps its values
    assert a[0, 0] == 0.0 and x.asnumpy()[0, 0] == 5.0
    with pytest.raises(ValueError, match="C-contiguous"):
        nd.from_numpy(np.arange(6.0).reshape(2, 3).T)
    b = np.ones(3, dtype=np.int32)
    y = nd.from_numpy(b, zero_copy=False)
    b[0] = 7
    check(y, [1, 1, 1], dtype="int32")
    assert nd.from_numpy(np.array(3.0)).shape == ()


def test_dlpack_round_trips():
    x = nd.array([1.0, 2.0, 3.0])
    capsule = nd.to_dlpack_for_read(x)
    y = nd.from_dlpack(capsule)
    check(y, [1.0, 2.0, 3.0])
    assert np.shares_memory(y._data, x._data)
    with pytest.raises(ValueError, match="consumed only once"):
        nd.from_dlpack(capsule)
    z = np.from_dlpack(x)  # NDArray speaks the DLPack protocol
    assert np.shares_memory(z, x._data)
    assert x.__dlpack_device__() == (1, 0)
    check(nd.from_dlpack(np.arange(3.0)), [0.0, 1.0, 2.0], dtype="float64")
    view = nd.broadcast_to(nd.ones((1,)), (3,))  # read-only data is exported as a copy
    assert np.from_dlpack(view).tolist() == [1.0, 1.0, 1.0]
    w = nd.array([1.0, 2.0])
    shared = w._data
    nd.to_dlpack_for_write(w)
    assert w._data is not shared or shared.base is None


# -- methods that are not operators -----------------------------------------------------------

def test_slice_assign_and_friends():
    x = nd.zeros((3, 4))
    assert x.slice_assign(nd.ones((2, 2)), (0, 1), (2, 3), (None, None)) is x
    assert x.slice_assign_scalar(5, (1,), (3,), ()) is x
    # recorded from MXNet 1.9.1
    check(x, [[0, 1, 1, 0], [5, 5, 5, 5], [5, 5, 5, 5]])
    assert x.writable and x.as_nd_ndarray() is x
    y = x.tostype("default")
    assert y is not x and np.array_equal(y.asnumpy(), x.asnumpy())
    with pytest.raises(NotImplementedError):
        x.tostype("csr")
