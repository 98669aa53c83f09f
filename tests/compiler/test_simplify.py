"""Each simplification rule alone: the graph text after ``simplify`` with only that rule, and
the same results as the original graph, NaN and ±Inf included."""

import textwrap

import numpy as np
import pytest

from tracegrad._compiler import prims as P
from tracegrad._compiler.core import REGISTRY, ShapedArray
from tracegrad._compiler.frontend.tracing import trace
from tracegrad._compiler.opt import check_graph, optimize, same_results
from tracegrad._compiler.opt.check import eval_graph
from tracegrad._compiler.opt.simplify import RULES, RULES_BY_NAME, simplify

F32, F64 = np.dtype("float32"), np.dtype("float64")
SPECIALS = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5, -3.25]


def traced(fun, *shapes, dtype=F64):
    return trace(lambda *xs: [fun(*xs)], [ShapedArray(s, dtype) for s in shapes])


def sample(shape, dtype=F64, seed=0):
    """Random values with NaN, ±Inf and ±0 among them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    flat = x.reshape(-1)
    flat[:len(SPECIALS)] = SPECIALS[:flat.size]
    return rng.permutation(flat).reshape(shape).astype(dtype)


def text(s):
    return textwrap.dedent(s).strip()


def check_rule(name, fun, shapes, after, dtype=F64):
    """``simplify`` with only rule ``name`` prints ``after`` and computes the same values."""
    g = traced(fun, *shapes, dtype=dtype)
    out = simplify(g, [RULES_BY_NAME[name]])
    assert str(out) == text(after)
    args = [sample(s, dtype, seed=k) for k, s in enumerate(shapes)]
    assert same_results(g, out, args)
    return g, out


# -- arithmetic --------------------------------------------------------------------------------

@pytest.mark.parametrize("fun", [lambda x: P.mul(x, 1.0), lambda x: P.mul(1.0, x)])
def test_mul_by_one(fun):
    check_rule("mul_by_one", fun, [(7,)], """
        { lambda ; a:f64[7]. let
          in (a) }""")


def test_mul_by_one_keeps_a_product_of_another_dtype_and_stops_the_chain():
    g = trace(lambda x: [P.mul(np.float64(1.0), x)], [ShapedArray((3,), np.dtype("int32"))])
    # matched but not removable (f64 result of an i32 input): later rules skip the equation
    out = simplify(g, [RULES_BY_NAME["mul_by_one"], RULES_BY_NAME["literal_last"]])
    assert str(out) == str(g)
    assert "mul a 1.0" in str(simplify(g, [RULES_BY_NAME["literal_last"]]))


def test_div_by_one():
    check_rule("div_by_one", lambda x: P.div(x, 1.0), [(7,)], """
        { lambda ; a:f64[7]. let
          in (a) }""")


@pytest.mark.parametrize("fun", [lambda x: P.add(x, 0.0), lambda x: P.add(0.0, x),
                                 lambda x: P.sub(x, 0.0)])
def test_add_zero(fun):
    check_rule("add_zero", fun, [(7,)], """
        { lambda ; a:f64[7]. let
          in (a) }""")


def test_zero_minus_x_is_not_x():
    check_rule("add_zero", lambda x: P.sub(0.0, x), [(7,)], """
        { lambda ; a:f64[7]. let
            b:f64[7] = sub 0.0:f64[] a
          in (b) }""")


def test_x_times_zero_is_kept():
    g = traced(lambda x: P.mul(x, 0.0), (7,))
    assert str(simplify(g)) == str(g)  # NaN for x = NaN or ±Inf, not 0


def test_pow_one():
    check_rule("pow_one", lambda x: P.power(x, 1.0), [(7,)], """
        { lambda ; a:f64[7]. let
          in (a) }""")


def test_square_as_mul():
    check_rule("square_as_mul", lambda x: P.power(x, 2.0), [(7,)], """
        { lambda ; a:f64[7]. let
            b:f64[7] = mul a a
          in (b) }""")


@pytest.mark.parametrize("dtype", [F32, F64])
def test_cube_as_mul(dtype):
    g = traced(lambda x: P.power(x, 3.0), (7,), dtype=dtype)
    out = simplify(g, [RULES_BY_NAME["cube_as_mul"]])
    name = {F32: "f32", F64: "f64"}[dtype]
    assert str(out) == text(f"""
        {{ lambda ; a:{name}[7]. let
            b:{name}[7] = mul a a
            c:{name}[7] = mul b a
          in (c) }}""")
    # two roundings instead of one: within 2 ulp of NumPy's power, specials exact
    rng = np.random.default_rng(0)
    x = np.concatenate([SPECIALS, rng.normal(size=10000) * 100, [3e12, -3e12, 1e103]])
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    with np.errstate(all="ignore"):
        want = np.power(x, dtype.type(3))
        (got,) = eval_graph(out, [x])
    finite = np.isfinite(want)
    assert np.array_equal(got[~finite], want[~finite], equal_nan=True)
    assert np.all(np.abs(got[finite] - want[finite]) <= 2 * np.spacing(np.abs(want[finite])))
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_neg_neg():
    check_rule("neg_neg", lambda x: P.neg(P.neg(x)), [(7,)], """
        { lambda ; a:f64[7]. let
            b:f64[7] = neg a
          in (a) }""")


@pytest.mark.parametrize("fun", [
    lambda x: P.matmul(x, np.full((1, 1), 2.5)),
    lambda x: P.matmul(np.full((1, 1), 2.5), P.reshape(x, shape=(1, 7))),
])
def test_matmul_by_scalar(fun):
    g = traced(fun, (7, 1))
    out = simplify(g, [RULES_BY_NAME["matmul_by_scalar"]])
    assert "matmul" not in str(out) and str(out).count("mul") == 1
    assert "2.5:f64[]" in str(out)
    assert same_results(g, out, [sample((7, 1))])


def test_add_self():
    check_rule("add_self", lambda x: P.add(x, x), [(7,)], """
        { lambda ; a:f64[7]. let
            b:f64[7] = mul a 2.0:f64[]
          in (b) }""")


def test_merge_exact_scales():
    check_rule("merge_exact_scales", lambda x: P.mul(P.mul(x, 2.0), -4.0), [(7,)], """
        { lambda ; a:f64[7]. let
            b:f64[7] = mul a 2.0:f64[]
            c:f64[7] = mul a -8.0:f64[]
          in (c) }""")


def test_merge_exact_scales_overflows_like_the_two_products():
    g = traced(lambda x: P.mul(P.mul(x, 4.0), 8.0), (4,), dtype=F32)
    out = simplify(g, [RULES_BY_NAME["merge_exact_scales"]])
    assert "mul a 32.0:f32[]" in str(out)
    big = np.array([3e38, 1e37, -2e37, np.inf], F32)  # x*4 or x*32 overflows
    with np.errstate(over="ignore"):
        assert same_results(g, out, [big])


@pytest.mark.parametrize("scale", [3.0, 0.5])
def test_inexact_scales_are_not_merged(scale):
    g = traced(lambda x: P.mul(P.mul(x, scale), 2.0), (7,))
    assert str(simplify(g, [RULES_BY_NAME["merge_exact_scales"]])) == str(g)


def test_literal_last():
    check_rule("literal_last", lambda x: P.mul(2.0, x), [(7,)], """
        { lambda ; a:f64[7]. let
            b:f64[7] = mul a 2.0:f64[]
          in (b) }""")


# -- layout ------------------------------------------------------------------------------------

def test_scalars_inline_a_size_one_constant():
    check_rule("scalars_inline", lambda x: P.mul(x, np.full((1,), 2.5)), [(7,)], """
        { lambda a:f64[1]; b:f64[7]. let
            c:f64[7] = mul b 2.5:f64[]
          in (c) }""")


def test_scalars_inline_a_broadcast_the_op_does_anyway():
    check_rule("scalars_inline", lambda x, y: P.add(x, P.broadcast_to(y, shape=(7,))),
               [(7,), (1,)], """
        { lambda ; a:f64[7] b:f64[1]. let
            c:f64[7] = broadcast_to[shape=(7,)] b
            d:f64[7] = add a b
          in (d) }""")


def test_hoist_broadcast():
    check_rule("hoist_broadcast", lambda x: P.exp(P.broadcast_to(x, shape=(4, 3))), [(1, 3)], """
        { lambda ; a:f64[1,3]. let
            b:f64[4,3] = broadcast_to[shape=(4, 3)] a
            c:f64[1,3] = exp a
            d:f64[4,3] = broadcast_to[shape=(4, 3)] c
          in (d) }""")


@pytest.mark.parametrize("fun", [lambda x: P.reshape(x, shape=(2, 4)),
                                 lambda x: P.broadcast_to(x, shape=(2, 4))])
def test_same_shape(fun):
    check_rule("same_shape", fun, [(2, 4)], """
        { lambda ; a:f64[2,4]. let
          in (a) }""")


def test_reshape_of_broadcast():
    check_rule("reshape_of_broadcast",
               lambda x: P.reshape(P.broadcast_to(x, shape=(2, 3)), shape=(3, 2)), [(1,)], """
        { lambda ; a:f64[1]. let
            b:f64[2,3] = broadcast_to[shape=(2, 3)] a
            c:f64[3,2] = broadcast_to[shape=(3, 2)] a
          in (c) }""")


def test_sink_transpose():
    check_rule("sink_transpose", lambda x: P.transpose(P.mul(P.transpose(x, axes=(1, 0)), 3.0),
                                                       axes=(1, 0)), [(2, 3)], """
        { lambda ; a:f64[2,3]. let
            b:f64[3,2] = transpose[axes=(1, 0)] a
            c:f64[3,2] = mul b 3.0:f64[]
            d:f64[2,3] = mul a 3.0:f64[]
          in (d) }""")


def test_transpose_of_transpose_composes():
    check_rule("transpose_of_transpose",
               lambda x: P.transpose(P.transpose(x, axes=(1, 2, 0)), axes=(1, 2, 0)),
               [(2, 3, 4)], """
        { lambda ; a:f64[2,3,4]. let
            b:f64[3,4,2] = transpose[axes=(1, 2, 0)] a
            c:f64[4,2,3] = transpose[axes=(2, 0, 1)] a
          in (c) }""")


def test_transpose_of_transpose_cancels():
    check_rule("transpose_of_transpose",
               lambda x: P.transpose(P.transpose(x, axes=(1, 2, 0)), axes=(2, 0, 1)),
               [(2, 3, 4)], """
        { lambda ; a:f64[2,3,4]. let
            b:f64[3,4,2] = transpose[axes=(1, 2, 0)] a
          in (a) }""")


def test_sum_of_broadcast():
    g, out = check_rule(
        "sum_of_broadcast",
        lambda x: P.reduce_sum(P.broadcast_to(x, shape=(4, 3)), axes=(0,), keepdims=False),
        [(3,)], """
        { lambda ; a:f64[3]. let
            b:f64[4,3] = broadcast_to[shape=(4, 3)] a
            c:f64[3] = mul a 4.0:f64[]
          in (c) }""")


def test_sum_of_broadcast_with_keepdims():
    check_rule(
        "sum_of_broadcast",
        lambda x: P.reduce_sum(P.broadcast_to(x, shape=(4, 3)), axes=(0,), keepdims=True),
        [(1, 3)], """
        { lambda ; a:f64[1,3]. let
            b:f64[4,3] = broadcast_to[shape=(4, 3)] a
            c:f64[1,3] = mul a 4.0:f64[]
          in (c) }""")


def test_a_sum_across_the_copies_is_not_a_scaling():
    # (3,) broadcast to (3, 3) repeats x along axis 0; summing axis 1 adds x's elements
    g = traced(lambda x: P.reduce_sum(P.broadcast_to(x, shape=(3, 3)), axes=(1,),
                                      keepdims=False), (3,))
    out = simplify(g, [RULES_BY_NAME["sum_of_broadcast"]])
    assert str(out) == str(g)
    assert same_results(g, optimize(g), [np.array([1.0, 2.0, 4.0])])


def test_reshape_of_broadcast_never_drops_axes():
    g = traced(lambda x: P.reshape(P.broadcast_to(x, shape=(1, 1, 8)), shape=(2, 4)),
               (1, 1, 1))
    assert str(simplify(g, [RULES_BY_NAME["reshape_of_broadcast"]])) == str(g)
    out = optimize(g)
    check_graph(out)
    assert same_results(g, out, [np.full((1, 1, 1), np.inf)])


def test_unbroadcast_sum_reshape():
    check_rule("unbroadcast_sum_reshape",
               lambda x: P.reshape(P.reduce_sum(x, axes=(1,), keepdims=False), shape=(2, 1)),
               [(2, 3)], """
        { lambda ; a:f64[2,3]. let
            b:f64[2] = reduce_sum[axes=(1,), keepdims=False] a
            c:f64[2,1] = reduce_sum[axes=(1,), keepdims=True] a
          in (c) }""")


def test_reshape_of_reshape_merges():
    check_rule("reshape_of_reshape",
               lambda x: P.reshape(P.reshape(x, shape=(1, 6)), shape=(3, 2)), [(6,)], """
        { lambda ; a:f64[6]. let
            b:f64[1,6] = reshape[shape=(1, 6)] a
            c:f64[3,2] = reshape[shape=(3, 2)] a
          in (c) }""")


def test_reshape_of_reshape_cancels():
    check_rule("reshape_of_reshape",
               lambda x: P.reshape(P.reshape(x, shape=(1, 6)), shape=(6,)), [(6,)], """
        { lambda ; a:f64[6]. let
            b:f64[1,6] = reshape[shape=(1, 6)] a
          in (a) }""")


# -- the table ---------------------------------------------------------------------------------

def test_the_table_names_real_primitives_and_every_rule_says_why():
    assert len(RULES_BY_NAME) == len(RULES)
    for r in RULES:
        assert r.elementwise != bool(r.prims), r.name
        assert r.prims <= set(REGISTRY), r.name
        assert r.fn.__doc__ and len(r.fn.__doc__.split()) > 8, r.name


def test_a_rule_that_changes_the_primitive_hands_on_to_that_primitives_rules():
    g = traced(lambda x: P.mul(P.reduce_sum(P.broadcast_to(x, shape=(2, 7)), axes=(0,),
                                            keepdims=False), 4.0), (7,))
    out = simplify(g)  # sum_of_broadcast: x*2, then merge_exact_scales: (x*2)*4 is x*8
    assert str(out).splitlines()[-2].strip() == "d:f64[7] = mul a 8.0:f64[]"
    assert same_results(g, out, [sample((7,))])
    g = traced(lambda x: P.matmul(P.mul(x, 2.0), np.full((1, 1), 4.0)), (7, 1))
    out = simplify(g)  # matmul_by_scalar, then merge_exact_scales
    assert str(out).splitlines()[-2].strip() == "d:f64[7,1] = mul b 8.0:f64[]"
    assert same_results(g, out, [sample((7, 1))])
