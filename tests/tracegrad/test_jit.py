"""jit, grad, value_and_grad, make_ir: against eager execution and finite differences."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracegrad
from tests import functions as F
from tracegrad import autograd, nd
from tracegrad._compiler.core import REGISTRY, is_array
from tracegrad._compiler.executor import call  # noqa: F401
from tracegrad.errors import FallbackWarning, StrictModeError, TracerLeakError
from tracegrad.ndarray import NDArray, apply
from tracegrad.testing import numerical_grad


def _np(x):
    return x.asnumpy() if isinstance(x, NDArray) else np.asarray(x)


def _flat(tree):
    leaves, _ = tracegrad.tree.flatten(tree, is_leaf=lambda x: isinstance(x, NDArray))
    return leaves


# -- jit against eager on every registry op --------------------------------------------------

OPS = sorted((p for p in REGISTRY.values() if p.kind != "random" and p.name != "call"),
             key=lambda p: p.name)


@pytest.mark.parametrize("prim", OPS, ids=lambda p: p.name)
def test_jit_of_every_primitive_matches_eager(prim):
    for args, params in prim.samples():
        pos = [i for i, a in enumerate(args) if is_array(a)]

        def f(*arrays, args=args, params=params, pos=pos):
            full = list(args)
            for i, a in zip(pos, arrays):
                full[i] = a
            return apply(prim, tuple(full), params)

        arrays = [NDArray(args[i]) for i in pos]
        expected = f(*arrays)
        got = tracegrad.jit(f)(*arrays)
        for e, g in zip(_flat(expected), _flat(got)):
            # compiled kernels use their own vectorised math: equal within a few ulps
            np.testing.assert_allclose(g.asnumpy(), e.asnumpy(), rtol=1e-13, atol=1e-300,
                                       err_msg=prim.name)


# -- real functions ---------------------------------------------------------------------------

CASES = F.cases()


@pytest.mark.parametrize("name,fun,args,argnums", CASES, ids=[c[0] for c in CASES])
def test_jit_matches_eager_on_real_functions(name, fun, args, argnums):
    expected = fun(*args)
    got = tracegrad.jit(fun)(*args)
    np.testing.assert_allclose(got.asnumpy(), expected.asnumpy(), rtol=1e-12)


@pytest.mark.parametrize("name,fun,args,argnums", CASES, ids=[c[0] for c in CASES])
def test_grad_matches_central_differences(name, fun, args, argnums):
    value, grads = tracegrad.value_and_grad(fun, argnums=argnums)(*args)
    np.testing.assert_allclose(value.asnumpy(), fun(*args).asnumpy(), rtol=1e-12)
    nums = (argnums,) if isinstance(argnums, int) else argnums
    grads = (grads,) if isinstance(argnums, int) else grads
    for k, g in zip(nums, grads):
        leaves = _flat(args[k])
        for j, (leaf, gl) in enumerate(zip(leaves, _flat(g))):
            def scalar(x, k=k, j=j):
                new_args = list(args)
                new_leaves = list(leaves)
                new_leaves[j] = nd.array(x, dtype="float64")
                new_args[k] = new_leaves if isinstance(args[k], list) else new_leaves[0]
                return fun(*new_args).asscalar()

            expected = numerical_grad(scalar, [leaf.asnumpy()], 0)
            np.testing.assert_allclose(gl.asnumpy(), expected, rtol=1e-5, atol=1e-7,
                                       err_msg=f"{name} arg {k} leaf {j}")


def test_grad_of_grad_matches_the_analytic_second_derivative():
    f = lambda x: (x ** 3 + nd.sin(x)).sum()  # noqa: E731
    x = nd.array([0.7, -1.3], dtype="float64")
    d2 = tracegrad.grad(lambda x: tracegrad.grad(f)(x).sum())
    np.testing.assert_allclose(d2(x).asnumpy(), 6 * x.asnumpy() - np.sin(x.asnumpy()))
    # every composition order gives the same
    np.testing.assert_allclose(tracegrad.jit(tracegrad.grad(f))(x).asnumpy(),
                               3 * x.asnumpy() ** 2 + np.cos(x.asnumpy()))
    np.testing.assert_allclose(tracegrad.grad(tracegrad.jit(f))(x).asnumpy(),
                               3 * x.asnumpy() ** 2 + np.cos(x.asnumpy()))
    third = tracegrad.grad(lambda x: d2(x).sum())(x)
    np.testing.assert_allclose(third.asnumpy(), 6 - np.cos(x.asnumpy()))


def test_pytrees_in_and_out():
    f = tracegrad.jit(lambda d: {"s": d["a"] + d["b"][0], "p": (d["a"] * 2, d["b"][1])})
    out = f({"a": nd.ones(2), "b": [nd.ones(2), nd.zeros(1)]})
    assert sorted(out) == ["p", "s"]
    assert out["s"].asnumpy().tolist() == [2.0, 2.0]
    assert out["p"][0].asnumpy().tolist() == [2.0, 2.0] and out["p"][1].shape == (1,)


def test_numpy_and_python_scalar_inputs():
    f = tracegrad.jit(lambda x, s: x * s)
    out = f(np.arange(3, dtype=np.float32), 2.5)
    assert out.dtype == np.float32 and out.asnumpy().tolist() == [0.0, 2.5, 5.0]
    assert f(np.arange(3, dtype=np.float32), 3.0).asnumpy().tolist() == [0.0, 3.0, 6.0]
    assert len(f.cache) == 1  # the float is traced, not baked in


def test_static_argnums_are_hashed_by_value():
    f = tracegrad.jit(lambda x, n: x * n, static_argnums=1)
    x = nd.ones(2)
    assert f(x, 3).asnumpy().tolist() == [3.0, 3.0]
    assert f(x, 3).asnumpy().tolist() == [3.0, 3.0]
    assert f(x, 4).asnumpy().tolist() == [4.0, 4.0]
    assert len(f.cache) == 2 and f.hits == 1
    with pytest.raises(TypeError, match="hashable"):
        tracegrad.jit(lambda x, n: x, static_argnums=1)(x, [1, 2])


def test_cached_call_does_not_retrace_and_new_shape_is_explained():
    f = tracegrad.jit(lambda x: nd.exp(x).sum())
    before = tracegrad.cache_info()["traces"]
    f(nd.ones(3))
    f(nd.ones(3))
    assert tracegrad.cache_info()["traces"] == before + 1
    f(nd.ones(5))
    assert tracegrad.cache_info()["traces"] == before + 2
    report = f.explain()
    assert "float32[3] -> float32[5]" in report and "1 cache hit" in report


def test_random_draws_differ_between_calls_and_training_mode_is_part_of_the_signature():
    f = tracegrad.jit(lambda x: x + nd.random.uniform(shape=x.shape))
    x = nd.zeros(4)
    assert not np.array_equal(f(x).asnumpy(), f(x).asnumpy())
    g = tracegrad.jit(lambda x: nd.Dropout(x, p=0.5))
    x = nd.ones(1000)
    assert np.array_equal(g(x).asnumpy(), x.asnumpy())  # predict mode: identity
    with autograd.train_mode():
        y = g(x).asnumpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert len(g.cache) == 2


def test_make_ir_and_dot():
    ir = tracegrad.make_ir(lambda x: 2 * nd.dot(x.T, x))(nd.ones((4, 1)))
    assert str(ir) == (
        "{ lambda ; a:f32[4,1]. let\n"
        "    b:f32[1,4] = transpose[axes=(1, 0)] a\n"
        "    c:f32[1,1] = matmul b a\n"
        "    d:f32[1,1] = mul 2.0:f32[] c\n"
        "  in (d) }")
    dot = ir.to_dot()
    assert dot.startswith("digraph") and "matmul" in dot and "a -> eqn0" in dot


def test_the_seed_gradient_graph_reads_like_a_hand_written_one():
    g = tracegrad.grad(lambda x: 2 * nd.dot(x.T, x))
    low = g.lower(nd.arange(4).reshape((4, 1)))
    assert "reduce_sum" not in str(low.ir)  # (1,1) output: size 1, no reduction needed
    assert str(low.optimized_ir) == (
        "{ lambda ; a:f32[4,1]. let\n"
        "    b:f32[4,1] = mul a 4.0:f32[]\n"
        "  in (b) }")
    assert g(nd.arange(4).reshape((4, 1))).asnumpy().ravel().tolist() == [0, 4, 8, 12]
    if not low.source.startswith("# interpreter"):  # TRACEGRAD_DISABLE_JIT runs skip this
        assert "(v0 * C0)" in low.source and "K0_C0 = 4.0 (float32)" in low.source


# -- eager fallback ---------------------------------------------------------------------------

def seed_f(a):
    b = a * 2
    while b.norm().asscalar() < 1000:  # needs a concrete value: this line is named
        b = b * 2
    if b.sum().asscalar() > 0:
        c = b
    else:
        c = 100 * b
    return c


def test_seed_function_falls_back_with_the_same_result_and_names_the_line():
    jf = tracegrad.jit(seed_f)
    a = nd.array([0.29956347])
    with pytest.warns(FallbackWarning, match="asscalar"):
        out = jf(a)
    np.testing.assert_array_equal(out.asnumpy(), seed_f(a).asnumpy())
    traces = tracegrad.cache_info()["traces"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per call site: not again
        jf(a)
    assert tracegrad.cache_info()["traces"] == traces  # remembered: no re-trace
    report = jf.explain()
    assert "test_jit.py:" in report and "asscalar()" in report and "2 eager" in report


def test_fallback_under_record_gives_eager_gradients():
    jf = tracegrad.jit(seed_f)
    a = nd.array([0.29956347])
    a.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        with autograd.record():
            c = jf(a)
    c.backward()
    assert a.grad.asnumpy().tolist() == [4096.0]


def test_grad_falls_back_to_the_tape():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        g = tracegrad.grad(lambda a: seed_f(a).sum())(nd.array([0.29956347]))
    assert g.asnumpy().tolist() == [4096.0]


def test_strict_mode_raises_naming_the_line(monkeypatch):
    with pytest.raises(StrictModeError, match=r"asscalar\(\) at test_jit.py:\d+"):
        tracegrad.jit(seed_f, strict=True)(nd.array([0.3]))
    monkeypatch.setattr(tracegrad.config, "strict", True)
    with pytest.raises(StrictModeError):
        tracegrad.jit(seed_f)(nd.array([0.3]))


@pytest.mark.parametrize("force", [bool, float, int, lambda x: x.asnumpy(), print])
def test_every_kind_of_forcing_falls_back(force):
    def f(x):
        force(x.sum())
        return x * 2

    with pytest.warns(FallbackWarning):
        out = tracegrad.jit(f)(nd.ones(1))
    assert out.asnumpy().tolist() == [2.0]


# -- jit under autograd.record ----------------------------------------------------------------

def test_jit_under_record_is_one_node_with_the_same_gradients():
    params, X, y = F.mlp_data()
    jloss = tracegrad.jit(F.mlp_loss)
    for p in params:
        p.attach_grad()
    with autograd.record():
        loss = F.mlp_loss(params, X, y)
    loss.backward()
    eager = [p.grad.asnumpy() for p in params]
    with autograd.record():
        loss2 = jloss(params, X, y)
    assert [e.prim.name for e in autograd.get_graph(loss2).eqns] == ["call"]
    loss2.backward()
    for p, e in zip(params, eager):
        np.testing.assert_allclose(p.grad.asnumpy(), e, rtol=1e-12)


def test_jit_under_record_with_grad_req_add_and_head_gradients():
    f = tracegrad.jit(lambda x: nd.tanh(x) * 3)
    x = nd.array([0.1, 0.5], dtype="float64")
    x.attach_grad(grad_req="add")
    head = nd.array([2.0, -1.0], dtype="float64")
    for _ in range(2):
        with autograd.record():
            y = f(x)
        y.backward(head)
    expected = 2 * head.asnumpy() * 3 * (1 - np.tanh(x.asnumpy()) ** 2)
    np.testing.assert_allclose(x.grad.asnumpy(), expected)


def test_jit_under_record_supports_create_graph():
    f = tracegrad.jit(lambda x: x ** 3)
    x = nd.array([2.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(f(x), [x], create_graph=True)
    g.backward()
    assert x.grad.asnumpy().tolist() == [12.0]


# -- misuse -----------------------------------------------------------------------------------

def test_misuse_gets_clear_errors():
    with pytest.raises(ValueError, match="size 1"):
        tracegrad.grad(lambda x: x * 2)(nd.ones(3))
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        tracegrad.grad(lambda x, y: (x * y).sum(), argnums=2)(nd.ones(1), nd.ones(1))
    leaked = []

    def leak(x):
        leaked.append(x * 2)
        return x

    tracegrad.jit(leak)(nd.ones(2))
    with pytest.raises(TracerLeakError, match="escaped"):
        leaked[0] + 1


def test_cache_info_has_the_documented_counters():
    info = tracegrad.cache_info()
    assert set(info) >= {"traces", "compiles", "hits", "disk_hits", "fallbacks"}
    assert all(isinstance(v, int) for v in info.values())


# -- random small graphs ----------------------------------------------------------------------

UNARY = [nd.exp, nd.tanh, nd.sigmoid, nd.sin, lambda x: x * x, lambda x: -x]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
          lambda a, b: nd.maximum(a, b), lambda a, b: a / (1.5 + nd.sigmoid(b))]


@st.composite
def programs(draw):
    steps = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 10 ** 6)), min_size=1,
                          max_size=6))
    return steps


def run_program(steps, x, y):
    vals = [x, y]
    for is_unary, k in steps:
        if is_unary:
            vals.append(UNARY[k % len(UNARY)](vals[k % len(vals)]))
        else:
            vals.append(BINARY[k % len(BINARY)](vals[k % len(vals)], vals[(k // 7) % len(vals)]))
    return (vals[-1] * vals[-1]).sum() + vals[-1].sum()


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_graphs_jit_eager_and_finite_differences_agree(steps):
    rng = np.random.default_rng(len(steps))
    x = nd.array(rng.uniform(-1, 1, (2, 3)), dtype="float64")
    y = nd.array(rng.uniform(-1, 1, (3,)), dtype="float64")
    f = lambda a, b: run_program(steps, a, b)  # noqa: E731
    np.testing.assert_allclose(tracegrad.jit(f)(x, y).asnumpy(), f(x, y).asnumpy(), rtol=1e-12)
    gx = tracegrad.grad(f)(x, y)
    expected = numerical_grad(lambda a: f(nd.array(a, dtype="float64"), y).asscalar(),
                              [x.asnumpy()], 0)
    np.testing.assert_allclose(gx.asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_cache_info_hits_count_fast_calls_and_never_go_down():
    import gc

    f = tracegrad.jit(lambda x: x + 1.0)
    g = tracegrad.jit(lambda x: x * 2.0)
    before = tracegrad.cache_info()["hits"]
    for fn in (f, g):
        for _ in range(3):
            fn(nd.ones(2))
    assert tracegrad.cache_info()["hits"] - before == 4  # 2 cached calls each
    del f
    gc.collect()
    g(nd.ones(2))
    assert tracegrad.cache_info()["hits"] - before == 5


def test_traced_equations_name_the_users_line():
    def f(x):
        return nd.exp(x) * 2.0  # the line every equation points at

    graph = tracegrad.make_ir(f)(nd.ones(3))
    line = f.__code__.co_firstlineno + 1
    assert [e.source for e in graph.eqns] == [f"test_jit.py:{line}"] * 2


def test_a_recorded_call_differentiates_only_the_inputs_that_need_it():
    f = tracegrad.jit(lambda x, w: nd.dot(x, w).sum())
    x, w = nd.ones((4, 3)), nd.ones((3, 2))
    w.attach_grad()
    with autograd.record():
        y = f(x, w)
    y.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), np.full((3, 2), 4.0))
    graph = next(iter(f.cache.values())).optimized
    assert [k for k in graph.cache if k.startswith("vjp")] == ["vjp(1,)"]  # not x's gradient
