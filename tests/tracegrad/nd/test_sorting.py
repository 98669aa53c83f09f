"""topk, sort and argsort: MXNet 1.9's tie order (stable, ascending and descending), output
dtypes (float32 indices by default), axis=None, k <= 0, the mask, errors, and the gradient of
the selected values (MXNet routes it to the positions they came from)."""

import numpy as np
import pytest

import tracegrad
from tests.tracegrad.nd.helpers import check
from tests.tracegrad.nd.mxnet_run import assert_same, evaluate, in_mxnet, needs_mxnet
from tracegrad import autograd, nd
from tracegrad.testing import numerical_grad

S = [[3, 1, 2, 1, 3, 0], [5, 5, 5, 1, 2, 2]]
PRELUDE = f"S = nd.array({S})\nZ = nd.array([2, 1, float('inf'), 0, -float('inf'), 1])\n"

EXPRESSIONS = [
    "nd.topk(S)", "nd.topk(S, k=2)", "nd.topk(S, k=3, ret_typ='value')",
    "nd.topk(S, k=3, ret_typ='value', is_ascend=True)", "nd.topk(S, k=3, is_ascend=True)",
    "nd.topk(S, k=3, ret_typ='both')", "nd.topk(S, k=3, ret_typ='mask')",
    "nd.topk(S, k=1, axis=0)", "nd.topk(S, k=3, axis=None)",
    "nd.topk(S, k=3, axis=None, ret_typ='both')", "nd.topk(S, k=3, axis=None, ret_typ='mask')",
    "nd.topk(S, k=0)", "nd.topk(S, k=0, ret_typ='value')", "nd.topk(S, k=-1)", "nd.topk(S, k=7)",
    *[f"nd.topk(S, k=2, dtype='{d}')" for d in ("int32", "int64", "float64", "uint8", "float16")],
    "nd.topk(S, k=2, ret_typ='both', dtype='int32')",
    "nd.topk(S, k=2, ret_typ='mask', dtype='int32')",
    "nd.topk(S.astype('float64'), k=2, ret_typ='both')",
    "nd.topk(S.astype('int32'), k=2, ret_typ='both')", "nd.topk(S, ret_typ='foo')",
    "nd.topk(S, axis=2)", "nd.topk(S, k=2, is_ascend=1)", "nd.topk(Z, k=4, ret_typ='both')",
    "nd.sort(S)", "nd.sort(S, is_ascend=False)", "nd.sort(S, axis=0)", "nd.sort(S, axis=None)",
    "nd.sort(S.astype('int32'))", "nd.sort(Z)", "nd.sort(nd.array([5]))",
    "nd.argsort(S)", "nd.argsort(S, is_ascend=False)", "nd.argsort(S, axis=None)",
    "nd.argsort(S, dtype='int32')", "nd.argsort(S, axis=0, is_ascend=False)",
    "nd.argsort(S.astype('int32'))", "nd.argsort(S.astype('float64'))",
    "nd.argsort(S, dtype='float16')", "nd.argsort(S, dtype='uint8')", "nd.argsort(S, dtype='int8')",
    "nd.argsort(Z)", "nd.argsort(Z, is_ascend=False)", "nd.argsort(nd.array([0.0, -0.0, 0.0]))",
    "S.topk(k=2)", "S.sort(is_ascend=False)", "S.argsort(axis=0)",
]


@needs_mxnet
def test_same_as_mxnet():
    want = in_mxnet(PRELUDE, EXPRESSIONS)
    got = evaluate(nd, PRELUDE, EXPRESSIONS)
    for expr, g, w in zip(EXPRESSIONS, got, want):
        assert_same(expr, g, w, rtol=0, atol=0)


def test_values_recorded_from_mxnet():
    x = nd.array(S)
    check(nd.topk(x, k=3), [[0, 4, 2], [0, 1, 2]], dtype="float32")
    check(nd.topk(x, k=3, is_ascend=True), [[5, 1, 3], [3, 4, 5]])
    values, indices = nd.topk(x, k=3, ret_typ="both")
    check(values, [[3, 3, 2], [5, 5, 5]])
    check(indices, [[0, 4, 2], [0, 1, 2]])
    check(nd.topk(x, k=3, ret_typ="mask"), [[1, 0, 1, 0, 1, 0], [1, 1, 1, 0, 0, 0]])
    check(nd.topk(x, k=3, axis=None), [6, 7, 8])
    check(nd.topk(x, k=3, axis=None, ret_typ="mask"), [[0] * 6, [1, 1, 1, 0, 0, 0]])
    check(nd.topk(x, k=0), [[0, 4, 2, 1, 3, 5], [0, 1, 2, 4, 5, 3]])
    check(nd.topk(x, k=2, ret_typ="both", dtype="int32")[1], [[0, 4], [0, 1]], dtype="int32")
    check(nd.topk(x, k=2, ret_typ="mask", dtype="int32"), [[1, 0, 0, 0, 1, 0],
                                                            [1, 1, 0, 0, 0, 0]], dtype="float32")
    check(nd.sort(x, axis=None), [0, 1, 1, 1, 2, 2, 2, 3, 3, 5, 5, 5])
    check(nd.argsort(x), [[5, 1, 3, 2, 0, 4], [3, 4, 5, 0, 1, 2]], dtype="float32")
    check(nd.argsort(x, is_ascend=False), [[0, 4, 2, 1, 3, 5], [0, 1, 2, 4, 5, 3]])
    check(nd.argsort(x, axis=None), [5, 1, 3, 9, 2, 10, 11, 0, 4, 6, 7, 8])
    check(nd.argsort(x.astype("float64"), dtype="int64"), [[5, 1, 3, 2, 0, 4],
                                                            [3, 4, 5, 0, 1, 2]], dtype="int64")
    check(nd.sort(x.astype("int32")), np.sort(np.array(S), axis=-1), dtype="int32")


def test_against_numpy_on_random_data():
    a = np.random.default_rng(0).normal(size=(4, 5, 6)).astype(np.float32)
    for axis in (0, 1, -1):
        check(nd.sort(nd.array(a), axis=axis), np.sort(a, axis=axis))
        check(nd.argsort(nd.array(a), axis=axis, dtype="int64"),
              np.argsort(a, axis=axis, kind="stable"))
        idx = np.argsort(-a, axis=axis, kind="stable")
        top = np.take(idx, np.arange(3), axis=axis)
        check(nd.topk(nd.array(a), axis=axis, k=3, dtype="int64"), top)
        check(nd.topk(nd.array(a), axis=axis, k=3, ret_typ="value"),
              np.take_along_axis(a, top, axis=axis))


def test_errors():
    x = nd.array(S)
    with pytest.raises(ValueError, match="k=7"):
        nd.topk(x, k=7)
    with pytest.raises(ValueError, match="ret_typ"):
        nd.topk(x, ret_typ="foo")
    with pytest.raises(ValueError, match="dtype"):
        nd.argsort(x, dtype="int8")
    with pytest.raises(ValueError, match="axis"):
        nd.topk(x, axis=2)
    with pytest.raises(TypeError, match="nd.sort.*foo"):
        nd.sort(x, foo=1)


def _weighted_grad(fun, x, w):
    v = nd.array(x, dtype="float64")
    v.attach_grad()
    with autograd.record():
        out = fun(v)
        out = out[0] if isinstance(out, list) else out
        (out * nd.array(w, dtype="float64")).sum().backward()
    return v.grad.asnumpy()


@pytest.mark.parametrize("fun", [
    lambda v: nd.topk(v, k=3, ret_typ="value"),
    lambda v: nd.topk(v, k=2, ret_typ="both", axis=0, is_ascend=True),
    lambda v: nd.topk(v, k=4, ret_typ="value", axis=None),
    lambda v: nd.sort(v, axis=0, is_ascend=False),
    lambda v: nd.sort(v, axis=None),
], ids=["topk_value", "topk_both_axis0", "topk_flat", "sort_desc", "sort_flat"])
def test_value_gradients_against_central_differences(fun):
    x = np.random.default_rng(1).permutation(24).reshape(4, 6) * 0.37 - 3.0  # tie-free
    out = fun(nd.array(x, dtype="float64"))
    out = out[0] if isinstance(out, list) else out
    w = np.random.default_rng(2).uniform(0.5, 1.5, size=out.shape)

    def loss(a):
        y = fun(nd.array(a, dtype="float64"))
        y = y[0] if isinstance(y, list) else y
        return float((y.asnumpy() * w).sum())

    np.testing.assert_allclose(_weighted_grad(fun, x, w), numerical_grad(loss, [x], 0),
                               rtol=1e-6, atol=1e-8)


def test_gradients_with_ties_as_mxnet():
    w = np.arange(1, 7, dtype=np.float64).reshape(2, 3)
    # recorded from MXNet 1.9.1
    same = np.testing.assert_array_equal
    same(_weighted_grad(lambda v: nd.topk(v, k=3, ret_typ="value"), np.array(S, float), w),
         [[1, 0, 3, 0, 2, 0], [4, 5, 6, 0, 0, 0]])
    same(_weighted_grad(lambda v: nd.topk(v, k=3, ret_typ="value", axis=None),
                        np.array(S, float), np.array([1.0, 2.0, 3.0])),
         [[0, 0, 0, 0, 0, 0], [1, 2, 3, 0, 0, 0]])
    zero = _weighted_grad(lambda v: nd.topk(v, k=3, ret_typ="indices").astype("float64"),
                          np.array(S, float), w)
    same(zero, np.zeros((2, 6)))


def test_second_order_and_jit():
    x = nd.array([[0.3, -1.0, 2.0, 0.7]], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = nd.sort(x * x, is_ascend=False)
        (g,) = autograd.grad((y * nd.array([[4, 3, 2, 1]], dtype="float64")).sum(), [x],
                             create_graph=True)
        g.sum().backward()
    # x^2 sorted descending is [4, 1, 0.49, 0.09] (from x[2], x[1], x[3], x[0]), weighted
    # [4, 3, 2, 1]; the gradient is 2 w x and its derivative 2 w, per source position
    check(x.grad, [[2 * 1, 2 * 3, 2 * 4, 2 * 2]])

    def f(v):
        return nd.topk(v, k=2, ret_typ="value") * 2.0 + nd.argsort(v)[:, :2]

    a = nd.array(np.random.default_rng(4).normal(size=(3, 7)))
    check(tracegrad.jit(f)(a), f(a).asnumpy())
    grad = tracegrad.grad(lambda v: nd.sort(v, axis=None)[-2:].sum())
    check(grad(a), (a.asnumpy() >= np.sort(a.asnumpy(), axis=None)[-2]).astype(np.float32))
