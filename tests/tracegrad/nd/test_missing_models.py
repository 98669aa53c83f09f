"""MXNet 1.9's model-level nd operators added for issue 13: ``RNN``, ``ctc_loss``/``CTCLoss``,
``GridGenerator``/``BilinearSampler``/``SpatialTransformer``, ``ROIPooling`` and
``Correlation``.

With ``.venv-mxnet`` present, ``test_same_as_mxnet`` evaluates ``EXPRESSIONS`` (values and,
through ``grad_of``, gradients) in real MXNet too; the other tests check against NumPy
references and float64 central differences.
"""

import functools

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import check, grad_check
from tests.tracegrad.nd.mxnet_run import GRAD_OF, assert_same, evaluate, in_mxnet, needs_mxnet
from tracegrad import nd

PRELUDE = GRAD_OF + """

T, N, I, H = 4, 2, 3, 5
X = nd.array(np.cos(np.arange(T * N * I).reshape(T, N, I) * 0.37))


def par(G, L, D):
    n = sum(G * H * ((I if l == 0 else H * D) + H + 2) * D for l in range(L))
    return nd.array(np.sin(np.arange(n) * 0.61) * 0.4)


def st(L, D):
    return nd.array(np.sin(np.arange(L * D * N * H).reshape(L * D, N, H) * 0.9) * 0.5)


A = nd.array(np.sin(np.arange(4 * 2 * 5).reshape(4, 2, 5) * 0.7))
LAB = nd.array([[1, 2], [3, 0]])
TH = nd.array([[1.0, 0.2, 0.1, -0.1, 0.9, 0.05], [0.5, -0.3, 0.2, 0.4, 1.1, -0.2]])
IMG = nd.array(np.arange(48).reshape(2, 2, 3, 4) % 7 * 0.5)
F = nd.array(np.sin(np.arange(2 * 2 * 6 * 7).reshape(2, 2, 6, 7) * 0.37))
ROIS = nd.array([[0, 0, 0, 4, 3], [1, 1, 2, 6, 5], [0, 2.5, 1.2, 5.6, 4.9]])
C1 = nd.array(np.sin(np.arange(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) * 0.29))
C2 = nd.array(np.cos(np.arange(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) * 0.13))
"""

EXPRESSIONS = [
    "nd.RNN(X, par(1, 2, 1), st(2, 1), state_size=H, num_layers=2, mode='rnn_relu', "
    "state_outputs=True)",
    "nd.RNN(X, par(4, 2, 2), st(2, 2), st(2, 2) * 0.3, state_size=H, num_layers=2, "
    "bidirectional=True, mode='lstm', state_outputs=True)",
    "nd.RNN(X, par(3, 2, 2), st(2, 2), state_size=H, num_layers=2, bidirectional=True, "
    "mode='gru', state_outputs=True)",
    "nd.RNN(X, par(1, 1, 1), st(1, 1), state_size=H, mode='rnn_tanh')",
    "grad_of(lambda v: nd.RNN(v, par(4, 1, 2), st(1, 2), st(1, 2) * 0.3, state_size=H, "
    "num_layers=1, bidirectional=True, mode='lstm') * "
    "nd.arange(T * N * 2 * H).reshape((T, N, 2 * H)), X)",
    "grad_of(lambda v: nd.RNN(X, v, st(1, 1), state_size=H, num_layers=1, mode='gru') * "
    "nd.arange(T * N * H).reshape((T, N, H)), par(3, 1, 1))",
    "nd.ctc_loss(A, LAB)", "nd.CTCLoss(A, nd.array([[1, 2], [3, -1]]), blank_label='last')",
    "nd.ctc_loss(A, LAB, nd.array([3, 4]), nd.array([1, 1]), use_data_lengths=True, "
    "use_label_lengths=True)",
    "nd.ctc_loss(A, nd.array([[1, 1, 1], [3, 3, 0]]))",
    "grad_of(lambda v: nd.ctc_loss(v, LAB, nd.array([3, 4]), use_data_lengths=True) * "
    "nd.array([1, 2]), A)",
    "nd.GridGenerator(TH, transform_type='affine', target_shape=(2, 3))",
    "nd.GridGenerator(nd.ones((1, 2, 2, 3)) * 0.5, transform_type='warp')",
    "nd.BilinearSampler(IMG[:1], nd.array([[[[-1.0, 1.0, 1.2, 0.3]], [[-1.0, 1.0, 0.0, -1.1]]]]))",
    "nd.SpatialTransformer(IMG, TH, target_shape=(4, 5), transform_type='affine', "
    "sampler_type='bilinear')",
    "grad_of(lambda v: nd.SpatialTransformer(IMG, v, target_shape=(4, 5), "
    "transform_type='affine', sampler_type='bilinear') * nd.arange(80).reshape((2, 2, 4, 5)), "
    "TH)",
    "grad_of(lambda v: nd.BilinearSampler(v, nd.GridGenerator(TH, transform_type='affine', "
    "target_shape=(2, 3))) * nd.arange(24).reshape((2, 2, 2, 3)), IMG)",
    "nd.ROIPooling(F, ROIS, pooled_size=(3, 2), spatial_scale=0.5)",
    "nd.ROIPooling(F, nd.array([[0, 10, 10, 20, 20]]), pooled_size=(2, 2), spatial_scale=1.0)",
    "grad_of(lambda v: nd.ROIPooling(v, ROIS, pooled_size=(2, 2), spatial_scale=1.0) * "
    "nd.arange(24).reshape((3, 2, 2, 2)), F)",
    "nd.Correlation(C1, C2, kernel_size=3, max_displacement=2, stride1=2, stride2=1, "
    "pad_size=1)",
    "nd.Correlation(C1, C2, kernel_size=1, max_displacement=3, stride1=1, stride2=2, "
    "pad_size=3, is_multiply=False)",
    "nd.Correlation(C1, C2)",
    "grad_of(lambda v: nd.Correlation(C1, v, kernel_size=3, max_displacement=2, stride1=2, "
    "stride2=1, pad_size=1) * nd.arange(100 * 3).reshape((2, 25, 2, 3)), C2)",
]


@needs_mxnet
def test_same_as_mxnet():
    want = in_mxnet(PRELUDE, EXPRESSIONS)
    got = evaluate(nd, PRELUDE, EXPRESSIONS)
    for expr, g, w in zip(EXPRESSIONS, got, want):
        assert_same(expr, g, w, rtol=2e-5, atol=2e-5)


_grad_check = functools.partial(grad_check, rtol=1e-5)


RNG = np.random.default_rng(3)


def _lstm_reference(x, w_i, w_h, b_i, b_h, h, c):
    def sig(v):
        return 1 / (1 + np.exp(-v))

    outs = []
    for t in range(x.shape[0]):
        z = x[t] @ w_i.T + b_i + h @ w_h.T + b_h
        i, f, g, o = np.split(z, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs), h, c


def test_rnn_against_numpy_and_gradients():
    t, n, i, hid = 3, 2, 4, 3
    x = RNG.normal(size=(t, n, i))
    w_i, w_h = RNG.normal(size=(4 * hid, i)) * 0.5, RNG.normal(size=(4 * hid, hid)) * 0.5
    b_i, b_h = RNG.normal(size=4 * hid) * 0.1, RNG.normal(size=4 * hid) * 0.1
    h0, c0 = RNG.normal(size=(1, n, hid)), RNG.normal(size=(1, n, hid))
    params = np.concatenate([w_i.ravel(), w_h.ravel(), b_i, b_h])
    y, hy, cy = nd.RNN(nd.array(x, dtype="float64"), nd.array(params, dtype="float64"),
                       nd.array(h0, dtype="float64"), nd.array(c0, dtype="float64"),
                       state_size=hid, num_layers=1, mode="lstm", state_outputs=True)
    ref = _lstm_reference(x, w_i, w_h, b_i, b_h, h0[0], c0[0])
    check(y, ref[0], rtol=1e-12)
    check(hy, ref[1][None], rtol=1e-12)
    check(cy, ref[2][None], rtol=1e-12)
    s0 = nd.array(h0, dtype="float64")
    gru = RNG.normal(size=3 * hid * (i + hid + 2)) * 0.4
    _grad_check(lambda v: nd.RNN(v, nd.array(gru, dtype="float64"), s0, state_size=hid,
                                 num_layers=1, mode="gru"), x)
    _grad_check(lambda v: nd.RNN(nd.array(x, dtype="float64"), v, s0, state_size=hid,
                                 num_layers=1, mode="gru"), gru)
    with pytest.raises(ValueError, match="parameters"):
        nd.RNN(nd.array(x), nd.ones(5), nd.array(h0), state_size=hid, num_layers=1, mode="gru")
    # per-sequence lengths: the final state is the one at each sequence's last step
    lens = nd.array([2, 3])
    y, hy = nd.RNN(nd.array(x, dtype="float64"), nd.array(gru, dtype="float64"), s0,
                   None, lens, state_size=hid, num_layers=1, mode="gru", state_outputs=True,
                   use_sequence_length=True)
    short = nd.RNN(nd.array(x[:2], dtype="float64"), nd.array(gru, dtype="float64"), s0,
                   state_size=hid, num_layers=1, mode="gru")
    check(hy[0, 0], short.asnumpy()[1, 0], rtol=1e-12)
    check(y[2, 0], np.zeros(hid))
    # the cell state clipped at every step (MXNet 1.9.1's CPU code ignores the clip)
    _, _, cy = nd.RNN(nd.array(x), nd.array(params), nd.array(h0), nd.array(c0 * 5),
                      state_size=hid, num_layers=1, mode="lstm", state_outputs=True,
                      lstm_state_clip_min=-0.2, lstm_state_clip_max=0.2)
    assert float(nd.abs(cy).max().asscalar()) <= 0.2 + 1e-7


def test_ctc_loss_against_brute_force():
    steps, classes = 3, 3
    x = RNG.normal(size=(steps, 1, classes))
    p = np.exp(x[:, 0]) / np.exp(x[:, 0]).sum(axis=1, keepdims=True)
    total = 0.0  # every path that collapses to [1, 2] (blank 0)
    for path in np.ndindex(*(classes,) * steps):
        collapsed = [k for j, k in enumerate(path) if k and (j == 0 or path[j - 1] != k)]
        if collapsed == [1, 2]:
            total += np.prod([p[t, k] for t, k in enumerate(path)])
    check(nd.ctc_loss(nd.array(x, dtype="float64"), nd.array([[1, 2]])), [-np.log(total)],
          rtol=1e-10)
    _grad_check(lambda v: nd.ctc_loss(v, nd.array([[1, 2]])), x)
    f = tracegrad.jit(lambda v, lab: nd.ctc_loss(v, lab))
    check(f(nd.array(x), nd.array([[1, 2]])), [-np.log(total)], rtol=1e-5)


def test_spatial_transformer_identity_and_gradients():
    img = RNG.normal(size=(1, 2, 4, 5))
    identity = nd.array([[1.0, 0, 0, 0, 1.0, 0]], dtype="float64")
    out = nd.SpatialTransformer(nd.array(img, dtype="float64"), identity, target_shape=(4, 5))
    check(out, img, rtol=1e-12, atol=1e-12)
    grid = RNG.uniform(-0.9, 0.9, size=(1, 2, 3, 3))
    _grad_check(lambda v: nd.BilinearSampler(v, nd.array(grid, dtype="float64")), img)
    _grad_check(lambda v: nd.BilinearSampler(nd.array(img, dtype="float64"), v), grid)
    _grad_check(lambda v: nd.GridGenerator(v, transform_type="warp"), grid)


def test_roi_pooling_and_correlation():
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    out = nd.ROIPooling(nd.array(x), nd.array([[0, 0, 0, 3, 3], [0, 1, 1, 2, 2]]),
                        pooled_size=(2, 2))
    check(out[0, 0], [[5, 7], [13, 15]])
    check(out[1, 1], [[21, 22], [25, 26]])
    feats = RNG.normal(size=(1, 2, 5, 6))
    _grad_check(lambda v: nd.ROIPooling(v, nd.array([[0, 0.5, 1, 4.2, 3.7]]),
                                        pooled_size=(2, 3)), feats)
    a, b = RNG.normal(size=(1, 3, 5, 5)), RNG.normal(size=(1, 3, 5, 5))
    corr = nd.Correlation(nd.array(a, dtype="float64"), nd.array(b, dtype="float64"),
                          max_displacement=1, pad_size=1).asnumpy()
    bp = np.pad(b, ((0, 0), (0, 0), (1, 1), (1, 1)))
    check(nd.array(corr[0, 0]), (a[0] * bp[0, :, :5, :5]).mean(axis=0), rtol=1e-12)
    check(nd.array(corr[0, 4]), (a[0] * b[0]).mean(axis=0), rtol=1e-12)
    _grad_check(lambda v: nd.Correlation(v, nd.array(b, dtype="float64"), kernel_size=3,
                                         max_displacement=1, pad_size=2), a)
