"""Each graph pass on a small graph: the IR text before and after, and equal results."""

from pathlib import Path

import numpy as np
import pytest

import tracegrad
from tests import functions as F
from tracegrad._compiler import prims as P
from tracegrad._compiler.core import ShapedArray
from tracegrad._compiler.errors import GraphCheckError
from tracegrad._compiler.frontend.tracing import trace
from tracegrad._compiler.ir import Eqn, Graph, Var
from tracegrad._compiler.opt import check_graph, cse, dce, fold_constants, optimize, same_results

F32 = np.dtype("float32")


def traced(fun, *shapes):
    return trace(lambda *xs: [fun(*xs)], [ShapedArray(s, F32) for s in shapes])


def body(graph):
    """The equation lines only (names are deterministic)."""
    return [line.strip() for line in str(graph).splitlines()[1:-1]]


def test_dce_drops_unused_equations():
    g = traced(lambda x: (P.exp(x), P.tanh(x))[1], (3,))
    assert body(g) == ["b:f32[3] = exp a", "c:f32[3] = tanh a"]
    assert body(dce(g)) == ["b:f32[3] = tanh a"]


def test_cse_merges_equal_equations_but_not_random_draws():
    g = traced(lambda x: P.add(P.exp(x), P.exp(x)), (3,))
    assert body(cse(g)) == ["b:f32[3] = exp a", "c:f32[3] = add b b"]
    r = traced(lambda x: P.add(P.random_uniform(low=0.0, high=1.0, shape=(3,), dtype="float32"),
                               P.random_uniform(low=0.0, high=1.0, shape=(3,), dtype="float32")),
               (3,))
    assert len(cse(r).eqns) == 3


def test_constant_folding_turns_scalar_results_into_literals():
    g = traced(lambda x: P.mul(x, P.exp(P.full(shape=(), dtype="float32", value=0.0))), (3,))
    assert body(fold_constants(g)) == ["b:f32[3] = mul a 1.0:f32[]"]


@pytest.mark.parametrize("fun,before,after", [
    (lambda x: P.mul(x, 1.0), ["b:f32[3] = mul a 1.0:f32[]"], []),
    (lambda x: P.add(0.0, x), ["b:f32[3] = add 0.0:f32[] a"], []),
    (lambda x: P.div(x, 1.0), ["b:f32[3] = div a 1.0:f32[]"], []),
    (lambda x: P.neg(P.neg(x)), ["b:f32[3] = neg a", "c:f32[3] = neg b"], []),
    (lambda x: P.mul(x, 0.0), ["b:f32[3] = mul a 0.0:f32[]"], ["b:f32[3] = mul a 0.0:f32[]"]),
    (lambda x: P.reshape(P.reshape(x, shape=(1, 3)), shape=(3, 1)),
     ["b:f32[1,3] = reshape[shape=(1, 3)] a", "c:f32[3,1] = reshape[shape=(3, 1)] b"],
     ["b:f32[3,1] = reshape[shape=(3, 1)] a"]),
    (lambda x: P.transpose(P.transpose(x, axes=(1, 0)), axes=(1, 0)),
     ["b:f32[3,2] = transpose[axes=(1, 0)] a", "c:f32[2,3] = transpose[axes=(1, 0)] b"], []),
    (lambda x: P.reduce_sum(P.broadcast_to(x, shape=(4, 3)), axes=(0,), keepdims=False),
     ["b:f32[4,3] = broadcast_to[shape=(4, 3)] a",
      "c:f32[3] = reduce_sum[axes=(0,), keepdims=False] b"],
     ["b:f32[3] = mul a 4.0:f32[]"]),
    (lambda x: P.reshape(P.reduce_sum(x, axes=(1,), keepdims=False), shape=(2, 1)),
     ["b:f32[2] = reduce_sum[axes=(1,), keepdims=False] a",
      "c:f32[2,1] = reshape[shape=(2, 1)] b"],
     ["b:f32[2,1] = reduce_sum[axes=(1,), keepdims=True] a"]),
    (lambda x: P.add(x, x), ["b:f32[3] = add a a"], ["b:f32[3] = mul a 2.0:f32[]"]),
])
def test_simplify_rules(fun, before, after):
    shape = (2, 3) if "transpose" in str(before) or "reduce_sum[axes=(1,)" in str(before) \
        else (3,)
    g = traced(fun, shape)
    assert body(g) == before
    out = optimize(g)
    assert body(out) == after
    x = np.random.default_rng(0).normal(size=shape).astype(F32)
    assert same_results(g, out, [x])


def test_x_times_zero_keeps_nan_and_inf():
    g = optimize(traced(lambda x: P.mul(x, 0.0), (3,)))
    from tracegrad._compiler.frontend.interpreter import eval_graph

    (out,) = eval_graph(g, [np.array([np.nan, np.inf, 1.0], F32)])
    assert np.isnan(out[0]) and np.isnan(out[1]) and out[2] == 0


@pytest.mark.parametrize("name,fun,args,argnums", F.cases(), ids=[c[0] for c in F.cases()])
def test_optimised_gradient_graphs_compute_the_same_values(name, fun, args, argnums):
    low = tracegrad.value_and_grad(fun, argnums=argnums).lower(*args)
    check_graph(low.ir)
    check_graph(low.optimized_ir)
    assert len(low.optimized_ir.eqns) <= len(low.ir.eqns)
    leaves, _ = tracegrad.tree.flatten(list(args), is_leaf=lambda x: hasattr(x, "_data"))
    raw = [x._data for x in leaves]
    from tracegrad._compiler.frontend.interpreter import eval_graph

    for a, b in zip(eval_graph(low.ir, raw), eval_graph(low.optimized_ir, raw)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_check_graph_finds_malformed_graphs():
    a, b = Var(ShapedArray((3,), F32)), Var(ShapedArray((3,), F32))
    use_before_def = Graph([], [a], [Eqn(P.add, {}, [a, b], [Var(ShapedArray((3,), F32))])],
                           [a])
    with pytest.raises(GraphCheckError, match="used before it is defined"):
        check_graph(use_before_def)
    wrong_shape = Graph([], [a], [Eqn(P.exp, {}, [a], [Var(ShapedArray((4,), F32))])], [a])
    with pytest.raises(GraphCheckError, match="disagrees with the rule"):
        check_graph(wrong_shape)
    twice = Graph([], [a, b], [Eqn(P.exp, {}, [b], [a])], [a])
    with pytest.raises(GraphCheckError, match="defined twice"):
        check_graph(twice)


def test_compiler_never_imports_tracegrad():
    root = Path(__file__).resolve().parents[2]
    offenders = [str(p) for p in (root / "compiler").rglob("*.py")
                 if "import tracegrad" in p.read_text() or "from tracegrad" in p.read_text()]
    assert offenders == []
