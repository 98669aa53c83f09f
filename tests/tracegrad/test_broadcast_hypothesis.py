"""Property tests for broadcasting binary operations.

For random broadcast-compatible shape pairs: the forward result equals NumPy's, and the float64
gradients equal NumPy-computed analytic gradients summed over the broadcast axes (so the
"unbroadcast" step of every binary VJP is exercised on leading and size-1 axes).
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from tracegrad import autograd, nd

SHAPES = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)
SETTINGS = settings(max_examples=40, deadline=None)


def _data(rng, shape, kind):
    if kind == "positive":  # bases of power, denominators (with a random sign below)
        return rng.uniform(0.5, 2.0, size=shape)
    return rng.uniform(-2.0, 2.0, size=shape)


# name: (tracegrad op, numpy op, (d out/d x, d out/d y) as NumPy functions, x kind, y kind)
OPS = {
    "add": (lambda a, b: a + b, np.add,
            lambda x, y: (np.ones_like(x + y), np.ones_like(x + y)), "any", "any"),
    "sub": (lambda a, b: a - b, np.subtract,
            lambda x, y: (np.ones_like(x + y), -np.ones_like(x + y)), "any", "any"),
    "mul": (lambda a, b: a * b, np.multiply,
            lambda x, y: (y + 0 * x, x + 0 * y), "any", "any"),
    "div": (lambda a, b: a / b, np.divide,
            lambda x, y: (1 / y + 0 * x, -x / y ** 2), "any", "nonzero"),
    "maximum": (nd.maximum, np.maximum,
                lambda x, y: ((x >= y).astype(float), (x < y).astype(float)), "any", "any"),
    "minimum": (nd.minimum, np.minimum,
                lambda x, y: ((x <= y).astype(float), (x > y).astype(float)), "any", "any"),
    "power": (lambda a, b: a ** b, np.power,
              lambda x, y: (y * x ** (y - 1), x ** y * np.log(x)), "positive", "any"),
}
OP_NAMES = st.sampled_from(sorted(OPS))


def _unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched to reach its shape."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def _operands(seed, shapes, name):
    rng = np.random.default_rng(seed)
    _, _, _, kx, ky = OPS[name]
    sx, sy = shapes.input_shapes
    x = _data(rng, sx, "positive" if kx == "positive" else "any")
    y = _data(rng, sy, "positive" if ky in ("positive", "nonzero") else "any")
    if ky == "nonzero":
        y = y * rng.choice([-1.0, 1.0], size=sy)
    return rng, np.asarray(x), np.asarray(y)


@SETTINGS
@given(shapes=SHAPES, name=OP_NAMES, seed=st.integers(0, 2 ** 32 - 1))
def test_forward_matches_numpy(shapes, name, seed):
    op, ref, _, _, _ = OPS[name]
    _, x, y = _operands(seed, shapes, name)
    expected = ref(x, y)
    out64 = op(nd.array(x, dtype="float64"), nd.array(y, dtype="float64"))
    assert out64.shape == shapes.result_shape == expected.shape
    assert out64.dtype is np.float64
    np.testing.assert_allclose(out64.asnumpy(), expected, rtol=1e-12, atol=0)
    out32 = op(nd.array(x), nd.array(y))
    assert out32.dtype is np.float32
    np.testing.assert_allclose(out32.asnumpy(), ref(x.astype(np.float32), y.astype(np.float32)),
                               rtol=1e-6, atol=1e-7)


@SETTINGS
@given(shapes=SHAPES, name=OP_NAMES, seed=st.integers(0, 2 ** 32 - 1))
def test_gradients_are_unbroadcast(shapes, name, seed):
    op, _, grads, _, _ = OPS[name]
    rng, x, y = _operands(seed, shapes, name)
    head = rng.uniform(-1.0, 1.0, size=shapes.result_shape)
    dx, dy = grads(x, y)
    expected_x = _unbroadcast(np.broadcast_to(head * dx, head.shape), x.shape)
    expected_y = _unbroadcast(np.broadcast_to(head * dy, head.shape), y.shape)

    a, b = nd.array(x, dtype="float64"), nd.array(y, dtype="float64")
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        out = op(a, b)
    out.backward(nd.array(head, dtype="float64"))
    assert a.grad.shape == x.shape and b.grad.shape == y.shape
    np.testing.assert_allclose(a.grad.asnumpy(), expected_x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.asnumpy(), expected_y, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(shapes=SHAPES, seed=st.integers(0, 2 ** 32 - 1))
def test_same_array_on_both_sides_accumulates(shapes, seed):
    # x * broadcast(x) style reuse: one variable feeding both operands of a broadcast op.
    rng = np.random.default_rng(seed)
    sx, _ = shapes.input_shapes
    x = rng.uniform(-2.0, 2.0, size=sx)
    y = rng.uniform(-2.0, 2.0, size=shapes.result_shape)
    a = nd.array(x, dtype="float64")
    a.attach_grad()
    with autograd.record():
        out = (a * nd.array(y, dtype="float64")) * a
    out.backward()
    expected = _unbroadcast(2 * np.broadcast_to(x, y.shape) * y, x.shape)
    np.testing.assert_allclose(a.grad.asnumpy(), expected, rtol=1e-10, atol=1e-12)


def test_unbroadcast_helper():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(_unbroadcast(g, (3, 1)), g.sum(axis=0).sum(1, keepdims=True))
    np.testing.assert_array_equal(_unbroadcast(g, ()), g.sum())
    np.testing.assert_array_equal(_unbroadcast(g, (1, 3, 4)), g.sum(0, keepdims=True))
