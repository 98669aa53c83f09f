"""MXNet 1.9's nd names added for issue 13, layer part: the CamelCase aliases (Reshape,
Concat, SliceChannel, Crop, UpSampling, Sequence*, SoftmaxActivation, Pooling_v1, ...), the
output layers (SoftmaxOutput, the regression outputs, SVMOutput, MakeLoss, make_loss),
gather_nd/scatter_nd/batch_take and the index helpers, nd.random.* and load_frombuffer.

With ``.venv-mxnet`` present, ``test_same_as_mxnet`` evaluates ``EXPRESSIONS`` (values and,
through ``grad_of``, gradients) in real MXNet too; the other tests use numbers recorded from
MXNet 1.9.1, NumPy and float64 central differences.
"""

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import check, grad_check
from tests.tracegrad.nd.mxnet_run import GRAD_OF, assert_same, evaluate, in_mxnet, needs_mxnet
from tracegrad import autograd, nd

PRELUDE = GRAD_OF + """

S = nd.arange(24).reshape((4, 2, 3))
LEN = nd.array([2, 3])
Z = nd.arange(32).reshape((1, 2, 4, 4))
Y = nd.arange(8).reshape((1, 2, 2, 2))
X = nd.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
LAB = nd.array([2, 0])
PROB = nd.array([[0.5, 1, 2], [1, 1, 1]])
X3 = nd.array(np.arange(24).reshape(2, 3, 4) % 5 * 0.3)
LAB3 = nd.array([[0, 1, 2, 1], [2, 2, 0, 1]])
D = nd.arange(12).reshape((3, 4))
"""

EXPRESSIONS = [
    # aliases and small composites
    "nd.Reshape(Z, shape=(0, -1))", "nd.Flatten(Z)", "nd.Concat(Z, Z, dim=0)",
    "nd.Concat(Z, Z, num_args=2)", "nd.Cast(Z, dtype='int32')", "nd.SwapAxis(Z, dim1=0, dim2=2)",
    "nd.SliceChannel(Z, num_outputs=2, axis=1, squeeze_axis=True)", "nd.identity(Z)",
    "nd.reverse(S, axis=(0, 2))", "nd.reverse(S, axis=1)", "nd.reverse(S)",
    "nd.Crop(Z, h_w=(2, 3), offset=(1, 1))", "nd.Crop(Z, h_w=(2, 2), center_crop=True)",
    "nd.Crop(Z, nd.zeros((1, 1, 3, 2)), num_args=2, center_crop=True)",
    "nd.Crop(Z, h_w=(5, 3))",
    "nd.UpSampling(Y, scale=2, sample_type='nearest')",
    "nd.UpSampling(Y, nd.ones((1, 1, 1, 1)), scale=2, sample_type='nearest', num_args=2)",
    "nd.UpSampling(Y, nd.ones((1, 2, 1, 1)), scale=2, sample_type='nearest', num_args=2, "
    "multi_input_mode='sum')",
    "nd.UpSampling(Y, nd.arange(18).reshape((2, 1, 3, 3)), scale=3, sample_type='bilinear', "
    "num_filter=2, num_args=2)",
    "nd.SequenceMask(S, LEN, use_sequence_length=True, value=-1.0)",
    "nd.SequenceMask(S.transpose((1, 0, 2)), LEN, use_sequence_length=True, axis=1)",
    "nd.SequenceMask(S, nd.array([1.7, 0.0]), use_sequence_length=True)",
    "nd.SequenceMask(S, LEN)", "nd.SequenceLast(S)",
    "nd.SequenceLast(S, LEN, use_sequence_length=True)",
    "nd.SequenceLast(S.transpose((1, 0, 2)), LEN, use_sequence_length=True, axis=1)",
    "nd.SequenceReverse(S)", "nd.SequenceReverse(S, LEN, use_sequence_length=True)",
    "nd.SequenceReverse(S, LEN, use_sequence_length=True, axis=1)",
    "nd.SoftmaxActivation(Z / 10)", "nd.SoftmaxActivation(Z / 10, mode='channel')",
    "nd.Pooling_v1(Z, kernel=(3, 3), pool_type='avg', pooling_convention='full', stride=(2, 2))",
    "nd.Pooling_v1(Z, kernel=(3, 3), pool_type='max', pad=(1, 1), stride=(2, 2))",
    "nd.Convolution_v1(Z, nd.ones((3, 2, 2, 2)), nd.zeros(3), kernel=(2, 2), num_filter=3)",
    "grad_of(lambda v: nd.SequenceMask(v, LEN, use_sequence_length=True) * 2, S)",
    "grad_of(lambda v: nd.SequenceLast(v, LEN, use_sequence_length=True), S)",
    "grad_of(lambda v: nd.SequenceReverse(v, LEN, use_sequence_length=True) * S, S)",
    "grad_of(lambda v: nd.UpSampling(v, scale=2, sample_type='nearest') * Z, Y)",
    "grad_of(lambda v: nd.Crop(v, h_w=(2, 3), offset=(1, 1)), Z)",
    # output layers: the gradient is the loss gradient, whatever the head gradient
    "grad_of(lambda v: nd.SoftmaxOutput(v, LAB) * 3, X)",
    "grad_of(lambda v: nd.SoftmaxOutput(v, LAB, grad_scale=2.0, normalization='batch'), X)",
    "grad_of(lambda v: nd.SoftmaxOutput(v, LAB, use_ignore=True, ignore_label=0, "
    "normalization='valid'), X)",
    "grad_of(lambda v: nd.SoftmaxOutput(v, LAB, smooth_alpha=0.1), X)",
    "grad_of(lambda v: nd.Softmax(v, PROB), X)",
    "grad_of(lambda v: nd.SoftmaxOutput(v, LAB3, multi_output=True), X3)",
    "grad_of(lambda v: nd.SoftmaxOutput(v, LAB3, multi_output=True, normalization='valid', "
    "use_ignore=True, ignore_label=1), X3)",
    "grad_of(lambda v: nd.SoftmaxOutput(v, nd.array([[1, 3, 0], [0, 0, 0]]), "
    "preserve_shape=True, normalization='batch'), X3)",
    "grad_of(lambda v: nd.SoftmaxOutput(v.reshape((2, 12)), nd.array([-1, 30])), X3)",
    "grad_of(lambda v: nd.LinearRegressionOutput(v, PROB, grad_scale=3.0), X)",
    "grad_of(lambda v: nd.LogisticRegressionOutput(v, PROB), X)",
    "grad_of(lambda v: nd.MAERegressionOutput(v, PROB), X)",
    "grad_of(lambda v: nd.LinearRegressionOutput(v.reshape((6, 1)), PROB.reshape((6,))), X)",
    "nd.LinearRegressionOutput(X, PROB.reshape((6,)))",
    "grad_of(lambda v: nd.SVMOutput(v, LAB), X)",
    "grad_of(lambda v: nd.SVMOutput(v, LAB, margin=2.0, regularization_coefficient=0.5, "
    "use_linear=True), X)",
    "grad_of(lambda v: nd.MakeLoss(v * 2, grad_scale=0.5), X)",
    "grad_of(lambda v: nd.MakeLoss(v, normalization='valid', valid_thresh=0.7), X)",
    "grad_of(lambda v: nd.make_loss(v * 2) * 5, X)",
    "grad_of(lambda v: nd.softmax_cross_entropy(v, LAB) * 2, X)",
    # gathers and scatters
    "nd.gather_nd(D, nd.array([[1, 0], [2, 1]]))", "nd.gather_nd(D, nd.array([[1, 0]]))",
    "nd.gather_nd(D, nd.array([[-1, 0], [2, 1]]))", "nd.gather_nd(D, nd.array([[3, 0], [2, 1]]))",
    "nd.gather_nd(D, nd.array([1, 2], dtype='int32'))",
    "nd.gather_nd(D, nd.array([[[1, 0], [2, 1]], [[0, 0], [1, 1]]]))",
    "nd.scatter_nd(nd.array([5.0, 6.0]), nd.array([[1, 0], [2, 1]]), shape=(3, 4))",
    "nd.scatter_nd(nd.array([[5.0, 6, 7, 8]]), nd.array([[1]]), shape=(3, 4))",
    "grad_of(lambda v: nd.gather_nd(v, nd.array([[1, 0, 1], [2, 1, 2]])), D)",
    "grad_of(lambda v: nd.scatter_nd(v, nd.array([[1, 0], [2, 1]]), shape=(3, 4)) * D, "
    "nd.array([5.0, 6.0]))",
    "nd.batch_take(D, nd.array([5, -1, 1], dtype='int32'))",
    "nd.batch_take(D, nd.array([2, 0, 1]))",
    "nd.ravel_multi_index(nd.array([[3, 9], [4, 5]]), shape=(7, 6))",
    "nd.unravel_index(nd.array([22, 45], dtype='int64'), shape=(7, 6))",
    "nd.histogram(nd.array([1, 2, 2, 3, 10, 0]), bins=nd.array([0, 2, 5, 10]))",
    "nd.histogram(nd.array([1, 2, 2, 3, 7]), bins=3)",
    "nd.histogram(nd.array([1, 2, 2, 3, 10, 0, -1, 11]), bins=2, range=(0, 10))",
]


@needs_mxnet
def test_same_as_mxnet():
    want = in_mxnet(PRELUDE, EXPRESSIONS)
    got = evaluate(nd, PRELUDE, EXPRESSIONS)
    for expr, g, w in zip(EXPRESSIONS, got, want):
        assert_same(expr, g, w, rtol=2e-6, atol=1e-6)




def test_sequence_operators():
    x = np.arange(24.0).reshape(4, 2, 3)
    lens = nd.array([2, 3])
    expected = x.copy()
    expected[2:, 0] = 0
    expected[3:, 1] = 0
    check(nd.SequenceMask(nd.array(x), lens, use_sequence_length=True), expected)
    check(nd.SequenceLast(nd.array(x), lens, use_sequence_length=True), [x[1, 0], x[2, 1]])
    rev = x.copy()
    rev[:2, 0] = x[1::-1, 0]
    rev[:3, 1] = x[2::-1, 1]
    check(nd.SequenceReverse(nd.array(x), lens, use_sequence_length=True), rev)
    for op in ("SequenceMask", "SequenceLast", "SequenceReverse"):
        grad_check(lambda v, op=op: getattr(nd, op)(v, lens, use_sequence_length=True), x)
    with pytest.raises(ValueError, match="use_sequence_length"):
        nd.SequenceMask(nd.array(x), lens)
    f = tracegrad.jit(lambda v, n: nd.SequenceMask(v, n, use_sequence_length=True) * 2.0)
    check(f(nd.array(x), lens), expected * 2)


def test_crop_upsampling_and_aliases():
    z = np.arange(32.0).reshape(1, 2, 4, 4)
    check(nd.Crop(nd.array(z), h_w=(2, 3), offset=(1, 1)), z[:, :, 1:3, 1:4])
    up = nd.UpSampling(nd.array(z), scale=2, sample_type="nearest")
    check(up, z.repeat(2, axis=2).repeat(2, axis=3))
    grad_check(lambda v: nd.UpSampling(v, scale=3, sample_type="nearest"), z)
    grad_check(lambda v: nd.Crop(v, h_w=(3, 2), center_crop=True), z)
    check(nd.reverse(nd.array(z), axis=(1, 3)), z[:, ::-1, :, ::-1])
    parts = nd.SliceChannel(nd.array(z), num_outputs=2, axis=1)
    check(parts[1], z[:, 1:])
    check(nd.Reshape(nd.array(z), shape=(0, -1)), z.reshape(1, -1))
    check(nd.Concat(nd.array(z), nd.array(z), dim=1), np.concatenate([z, z], axis=1))
    check(nd.SoftmaxActivation(nd.array(z / 10), mode="channel"),
          np.exp(z / 10) / np.exp(z / 10).sum(axis=1, keepdims=True), rtol=1e-5)
    with pytest.raises(NotImplementedError, match="target_shape"):
        nd.Reshape(nd.array(z), target_shape=(2, 16))


def test_output_layers_send_the_loss_gradient():
    x = nd.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    p = np.exp(x.asnumpy()) / np.exp(x.asnumpy()).sum(axis=1, keepdims=True)
    for head in (None, nd.array([[1, 2, 3], [4, 5, 6]])):
        v = x.copy()
        v.attach_grad()
        with autograd.record():
            y = nd.SoftmaxOutput(v, nd.array([2, 0]))
        y.backward(head)
        check(y, p)
        check(v.grad, p - np.eye(3)[[2, 0]])  # the head gradient is not used (MXNet)
    v = x.copy()
    v.attach_grad()
    with autograd.record():
        y = nd.SoftmaxOutput(v, nd.array([2, 0]), out_grad=True)
    y.backward(nd.array([[1, 2, 3], [4, 5, 6]]))
    check(v.grad, (p - np.eye(3)[[2, 0]]) * np.array([[1, 2, 3], [4, 5, 6]]))
    label = np.array([[0.5, 1, 2], [1, 1, 1]])
    for op, fwd, grad in (
            ("LinearRegressionOutput", x.asnumpy(), (x.asnumpy() - label) / 3),
            ("LogisticRegressionOutput", 1 / (1 + np.exp(-x.asnumpy())),
             (1 / (1 + np.exp(-x.asnumpy())) - label) / 3),
            ("MAERegressionOutput", x.asnumpy(), np.sign(x.asnumpy() - label) / 3)):
        v = x.copy()
        v.attach_grad()
        with autograd.record():
            y = getattr(nd, op)(v, nd.array(label)) * 7.0
        y.backward()
        check(y, fwd * 7, rtol=1e-6)
        check(v.grad, grad, rtol=1e-6)
    # recorded from MXNet 1.9.1: one-vs-all squared hinge
    v = x.copy()
    v.attach_grad()
    with autograd.record():
        nd.SVMOutput(v, nd.array([2, 0])).backward()
    check(v.grad, [[4.0, 6.0, -1.0], [-1.8, 0.0, 8.0]])
    g = tracegrad.grad(lambda u: (nd.MakeLoss(u, grad_scale=0.5) * 3.0).sum())(x)
    check(g, np.full((2, 3), 0.5))
    g = tracegrad.grad(lambda u: nd.SoftmaxOutput(u, nd.array([2, 0])).sum())(x)
    check(g, p - np.eye(3)[[2, 0]], rtol=1e-5)
    grad_check(lambda u: nd.softmax_cross_entropy(u, nd.array([2, 0])), x.asnumpy())


def test_gather_and_scatter_are_adjoint():
    rng = np.random.default_rng(0)
    d = rng.uniform(size=(3, 4, 2))
    idx = nd.array([[2, 0, 2], [1, 3, 1]])
    check(nd.gather_nd(nd.array(d), idx), d[[2, 0, 2], [1, 3, 1]])
    grad_check(lambda v: nd.gather_nd(v, idx), d)
    vals = rng.uniform(size=(3, 2))
    out = nd.scatter_nd(nd.array(vals), idx, shape=(3, 4, 2)).asnumpy()
    expected = np.zeros((3, 4, 2))
    np.add.at(expected, ([2, 0, 2], [1, 3, 1]), vals)  # duplicates add up
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    grad_check(lambda v: nd.scatter_nd(v, idx, shape=(3, 4, 2)), vals)
    # <scatter(v), g> == <v, gather(g)>
    g = rng.uniform(size=(3, 4, 2))
    lhs = (out * g).sum()
    rhs = (vals * nd.gather_nd(nd.array(g), idx).asnumpy()).sum()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-5)
    check(nd.scatter_nd(nd.array([5.0, 6.0]), nd.array([[-1, 5], [0, 1]]), shape=(3, 4)),
          np.zeros((3, 4)))
    with pytest.raises(IndexError):
        nd.gather_nd(nd.array(d), nd.array([[3], [0]]))
    dm = np.arange(12.0).reshape(3, 4)
    check(nd.batch_take(nd.array(dm), nd.array([2, 0, 9], dtype="int32")), [2, 4, 11])
    grad_check(lambda v: nd.batch_take(v, nd.array([2, 0, 1], dtype="int32")), dm)
    multi = np.array([[3, 6, 6], [4, 5, 1]])
    flat = nd.ravel_multi_index(nd.array(multi), shape=(7, 6))
    check(flat, np.ravel_multi_index(multi, (7, 6)))
    check(nd.unravel_index(flat, shape=(7, 6)), multi)


def test_random_namespace():
    nd.random.seed(3)
    e = nd.random.exponential(2.0, shape=(20000,))
    assert e.dtype is np.float32 and abs(float(e.mean().asscalar()) - 2.0) < 0.1
    g = nd.random.gamma(3.0, 2.0, shape=(20000,), dtype="float64")
    assert g.dtype is np.float64 and abs(float(g.mean().asscalar()) - 6.0) < 0.2
    assert nd.random.poisson(nd.array([1.0, 2.0]), shape=3).shape == (2, 3)
    like = nd.zeros((2, 3), dtype="float64")
    for name in ("uniform_like", "normal_like", "exponential_like", "gamma_like", "poisson_like",
                 "negative_binomial_like", "generalized_negative_binomial_like"):
        r = getattr(nd.random, name)(like)
        assert r.shape == (2, 3) and r.dtype is np.float64, name
    assert nd.random.randn(2, 3).shape == (2, 3)
    with pytest.raises(TypeError, match="float"):
        nd.random.randn(2, dtype="int32")
    draws, logp = nd.random.multinomial(nd.array([0.2, 0.8]), shape=(2, 3), get_prob=True)
    assert draws.dtype is np.int32 and logp.shape == (2, 3)
    assert str(nd.random.current_context()) == "cpu(0)"
    with pytest.raises(TypeError, match="unexpected keyword"):
        nd.random.uniform_like(like, lam=2.0)


def test_load_frombuffer(tmp_path):
    path = tmp_path / "x.params"
    nd.save(str(path), {"w": nd.arange(3)})
    loaded = nd.load_frombuffer(path.read_bytes())
    check(loaded["w"], [0.0, 1.0, 2.0])
