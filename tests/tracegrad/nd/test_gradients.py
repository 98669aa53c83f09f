"""Gradients of composite nd operations against central differences in float64."""

import numpy as np
import pytest

from tests.tracegrad.nd.helpers import RNG, check
from tracegrad import autograd, nd
from tracegrad.testing import assert_allclose, numerical_grad


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
