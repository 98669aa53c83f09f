"""Internal compiler errors never fail a user's call (issue 10): fusion's convexity (the cycle
that made the scheduler raise StopIteration), the interpreter fallback with a CompilerWarning,
strict mode, deep graphs (no recursion), and bounded caches (no silent growth)."""

import importlib
import warnings

import numpy as np
import pytest

import tracegrad
from tracegrad import autograd, config, loops, nd
from tracegrad._compiler import backends, executor
from tracegrad._compiler import prims as P
from tracegrad._compiler.core import ShapedArray
from tracegrad._compiler.frontend.autodiff import vjp_graph
from tracegrad._compiler.frontend.interpreter import eval_graph
from tracegrad._compiler.frontend.tracing import trace
from tracegrad._compiler.ir import Var
from tracegrad._compiler.opt import optimize
from tracegrad._compiler.schedule.fused_ir import fused_graph
from tracegrad._compiler.schedule.fusion import Kernel, fuse

jit_module = importlib.import_module("tracegrad.jit")  # the module (tracegrad.jit is the function)


def _linear_l2(x, w, b):
    return (nd.dot(x, w) + b).sum() + (w * w).sum()


def _linear_l2_data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((8, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3))


def _linear_l2_reference(x, w, b):
    value = (x @ w + b).sum() + (w * w).sum()
    return value, np.ones((8, 3)) @ w.T, x.T @ np.ones((8, 3)) + 2 * w, np.full(3, 8.0)


def _valid_schedule(plan) -> bool:
    known = {id(v) for v in plan.graph.invars + plan.graph.constvars}
    for s in plan.steps:
        ins = s.inputs if isinstance(s, Kernel) else [a for a in s.invars if isinstance(a, Var)]
        if not all(id(a) in known for a in ins):
            return False
        known.update(id(v) for v in (s.outputs if isinstance(s, Kernel) else s.outvars))
    return True


# -- fusion: the cycle ----------------------------------------------------------------------

def test_linear_layer_with_l2_penalty_value_and_grad(monkeypatch):
    monkeypatch.setattr(config, "tiers", "blocking")  # lower (and fuse) in this call
    x, w, b = _linear_l2_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", tracegrad.CompilerWarning)  # fusion itself must work
        v, (gx, gw, gb) = tracegrad.value_and_grad(_linear_l2, argnums=(0, 1, 2))(
            nd.array(x, dtype="float64"), nd.array(w, dtype="float64"),
            nd.array(b, dtype="float64"))
    ref = _linear_l2_reference(x, w, b)
    np.testing.assert_allclose(v.asnumpy(), [ref[0]], rtol=1e-12)
    for got, want in zip((gx, gw, gb), ref[1:]):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-12, atol=1e-12)


def _grad_graph(fun, shapes, dtype="float64"):
    graph = trace(lambda *xs: [fun(*xs)], [ShapedArray(s, np.dtype(dtype)) for s in shapes])
    return optimize(vjp_graph(graph, list(range(len(shapes))), seed="ones"))


def _fuse_and_check(graph, rng, shapes):
    plan = fuse(graph, backends.get("numba_cpu").can_fuse)
    assert _valid_schedule(plan)
    args = [rng.standard_normal(s) for s in shapes]
    want = eval_graph(graph, args)
    got = eval_graph(fused_graph(plan), args)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    return plan


def test_fusion_of_the_linear_l2_gradient_is_acyclic():
    g = _grad_graph(lambda x, w, b: P.add(
        P.reduce_sum(P.add(P.matmul(x, w), b), axes=(0, 1), keepdims=False),
        P.reduce_sum(P.mul(w, w), axes=(0, 1), keepdims=False)), [(8, 5), (5, 3), (3,)])
    _fuse_and_check(g, np.random.default_rng(0), [(8, 5), (5, 3), (3,)])


_UNARY = [P.exp, P.tanh, P.sigmoid, P.sin, P.neg, P.relu]
_BINARY = [P.add, P.mul, P.sub, P.maximum]


def _random_program(seed):
    """A random program over x (B, N), w (N, M), b (M,): elementwise ops with broadcasting,
    reductions, products; its loss is a sum of a few of its values."""
    rng = np.random.default_rng(seed)
    B, N, M = 4, 3, 5
    shapes = [(B, N), (N, M), (M,)]

    def fun(x, w, b):
        pool = [x, w, b]
        for _ in range(int(rng.integers(4, 14))):
            op = rng.integers(0, 5)
            a = pool[rng.integers(len(pool))]
            if op == 0:
                pool.append(_UNARY[rng.integers(len(_UNARY))](a))
            elif op == 1:
                partners = [c for c in pool if _broadcastable(a.shape, c.shape)]
                c = partners[rng.integers(len(partners))]
                pool.append(_BINARY[rng.integers(len(_BINARY))](a, c))
            elif op == 2 and len(a.shape) == 2:
                axis = int(rng.integers(2))
                pool.append(P.reduce_sum(a, axes=(axis,), keepdims=bool(rng.integers(2))))
            elif op == 3:
                lhs = [c for c in pool if len(c.shape) == 2 and c.shape[1] == a.shape[0]]
                if len(a.shape) == 2 and lhs:
                    pool.append(P.matmul(lhs[rng.integers(len(lhs))], a))
            elif op == 4 and a.shape == (M,):
                pool.append(P.broadcast_to(a, shape=(B, M)))
        picks = [pool[-1]] + [pool[i] for i in rng.integers(0, len(pool), 2)]
        total = None
        for p in picks:
            s = P.reduce_sum(P.tanh(p), axes=tuple(range(len(p.shape))), keepdims=False)
            total = s if total is None else P.add(total, s)
        return total

    return fun, shapes


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("seed", range(150))
def test_fusion_of_random_gradient_programs(seed):
    fun, shapes = _random_program(seed)
    _fuse_and_check(_grad_graph(fun, shapes), np.random.default_rng(seed), shapes)


# -- a compiler error falls back to the interpreter -----------------------------------------

def _broken_lower(graph):
    raise RuntimeError("injected codegen failure")


@pytest.fixture
def broken_numba(monkeypatch):
    if config.disable_jit:
        pytest.skip("the interpreter backend is forced: nothing is compiled")
    numba_cpu = backends.get("numba_cpu")
    monkeypatch.setattr(numba_cpu, "lower", _broken_lower)
    monkeypatch.setattr(numba_cpu, "prepare", lambda graph: None)
    monkeypatch.setattr(config, "tiers", "blocking")
    yield


def test_compiler_error_falls_back_to_the_interpreter(broken_numba):
    f = tracegrad.jit(lambda x, y: nd.tanh(x * y + 1.0).sum())
    x, y = np.linspace(-1, 1, 6).reshape(2, 3), np.arange(3.0)
    with pytest.warns(tracegrad.CompilerWarning) as record:
        out = f(nd.array(x), nd.array(y))
    record = [r for r in record if issubclass(r.category, tracegrad.CompilerWarning)]
    np.testing.assert_allclose(out.asnumpy(), [np.tanh(np.float32(x) * y + 1).sum()], rtol=1e-6)
    msg = str(record[0].message)
    assert "injected codegen failure" in msg and "python -m tracegrad info" in msg
    assert "tracegrad bug" in msg
    assert record[0].filename == __file__  # points at the user's call
    text = f.explain()
    assert "compiler error" in text and "injected codegen failure" in text
    assert "fell back to the interpreter" in text
    # the fallback is cached: later calls neither warn nor fail
    with warnings.catch_warnings():
        warnings.simplefilter("error", tracegrad.CompilerWarning)
        np.testing.assert_allclose(f(nd.array(x), nd.array(y)).asnumpy(), out.asnumpy())


def test_compiler_error_under_grad_and_recording(broken_numba):
    x = nd.array([0.5, -1.0, 2.0])
    with pytest.warns(tracegrad.CompilerWarning):
        g = tracegrad.grad(lambda a: (a * a).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), [1.0, -2.0, 4.0])
    f = tracegrad.jit(lambda a: (nd.exp(a) * 2.0).sum())
    x.attach_grad()
    with pytest.warns(tracegrad.CompilerWarning):
        with autograd.record():
            y = f(x)
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * np.exp([0.5, -1.0, 2.0]), rtol=1e-6)


def test_compiler_error_in_strict_mode_raises(broken_numba, monkeypatch):
    monkeypatch.setattr(config, "strict", True)
    with pytest.raises(tracegrad.CompilerError, match="injected codegen failure") as info:
        tracegrad.jit(lambda a: a * 3.0)(nd.ones(2))
    assert "python -m tracegrad info" in str(info.value)


def test_compiler_error_with_tiers(broken_numba, monkeypatch):
    monkeypatch.setattr(config, "tiers", "on")
    f = tracegrad.jit(lambda a: (a * 5.0).sum())
    with pytest.warns(tracegrad.CompilerWarning):
        np.testing.assert_allclose(f(nd.array([1.0, 2.0])).asnumpy(), [15.0])
        (entry,) = f.cache.values()
        executor.lowered(entry.optimized)  # waits for the tier's loader thread
    for _ in range(3):
        np.testing.assert_allclose(f(nd.array([1.0, 2.0])).asnumpy(), [15.0])
    assert "compiler error" in f.explain()


# -- deep graphs: every walk is iterative ---------------------------------------------------

def _chain(x, n):
    for i in range(n):
        x = nd.sin(x) * 0.5 + 0.25 if i % 2 else x * 0.999 + 0.001
    return x


def _check_chain(n_jit, n_grad):
    """jit and grad of long chains agree with eager code, and the numba backend's fusion and
    code generation handle their graphs. (numba's own compile of a kernel this long takes
    ~7 ms per equation, minutes here: the graphs run on the interpreter, and the numba
    kernels' source is generated without compiling it.)"""
    from tracegrad._compiler.backends.numba_cpu.jobs import kernel_jobs

    numba_cpu = backends.get("numba_cpu")
    x = nd.array([0.3, -0.2, 0.7])
    eager = _chain(x, n_jit).asnumpy()
    f = tracegrad.jit(lambda a: _chain(a, n_jit))
    np.testing.assert_allclose(f(x).asnumpy(), eager, rtol=1e-5)
    xv = nd.array([0.3, -0.2, 0.7])
    xv.attach_grad()
    with autograd.record():
        y = _chain(xv, n_grad).sum()
    y.backward()
    g = tracegrad.grad(lambda a: _chain(a, n_grad).sum())
    np.testing.assert_allclose(g(x).asnumpy(), xv.grad.asnumpy(), rtol=1e-4)
    for fn in (f, g):
        (entry,) = fn.cache.values()
        plan = numba_cpu.plan(entry.optimized)
        assert plan.kernels and _valid_schedule(plan)
        assert all(job["source"] for job in kernel_jobs(plan))


@pytest.fixture
def interpreted(monkeypatch):
    monkeypatch.setattr(config, "tiers", "off")  # the interpreter runs every graph


def test_deep_chains(interpreted):
    _check_chain(2000, 2000)


@pytest.mark.slow
def test_very_deep_chains(interpreted):
    _check_chain(10000, 5000)


def test_deep_recorded_graph_and_get_graph():
    x = nd.array([0.1, 0.2])
    x.attach_grad()
    with autograd.record():
        y = _chain(x, 3000).sum()
    assert len(autograd.get_graph(y).eqns) > 3000
    y.backward()
    assert np.all(np.isfinite(x.grad.asnumpy()))


# -- no silent growth -----------------------------------------------------------------------

def test_compiled_loop_keys_do_not_grow_with_float_values(monkeypatch):
    monkeypatch.setattr(loops, "_SEEN", type(loops._SEEN)())
    monkeypatch.setattr(loops, "_COMPILED", type(loops._COMPILED)())
    w = nd.array([1.0, 2.0, 3.0])
    w.attach_grad()
    for step in range(40):
        lr = 0.1 / (1 + step)
        with autograd.record():
            loss = (w * w * lr + w * (lr * 3)).sum()
        loss.backward()
        np.testing.assert_allclose(w.grad.asnumpy(), 2 * w.asnumpy() * lr + 3 * lr, rtol=1e-6)
    assert len(loops._SEEN) + len(loops._COMPILED) <= 2
    assert len(loops._COMPILED) == 1


def test_compiled_loop_tables_are_bounded(monkeypatch):
    monkeypatch.setattr(loops, "_SEEN", type(loops._SEEN)())
    monkeypatch.setattr(loops, "SEEN_LIMIT", 16)
    for n in range(1, 60):
        w = nd.ones(n)
        w.attach_grad()
        with autograd.record():
            y = (w * w).sum()
        y.backward()
    assert len(loops._SEEN) <= 16


def test_recompile_warning_and_bounded_cache(monkeypatch):
    monkeypatch.setattr(jit_module.Jitted, "recompile_warn_at", 10)
    monkeypatch.setattr(jit_module.Jitted, "cache_limit", 6)
    f = tracegrad.jit(lambda x, k: x * k)
    x = nd.ones(2)
    with pytest.warns(tracegrad.RecompileWarning) as record:
        for k in range(30):
            np.testing.assert_array_equal(f(x, k).asnumpy(), [k, k])
    record = [r for r in record if issubclass(r.category, tracegrad.RecompileWarning)]
    assert len(record) == 1  # once
    msg = str(record[0].message)
    assert "11 different signatures" in msg
    assert "the value of argument 1 (a Python int" in msg
    assert len(f.cache) <= 6 and f.traces == 30
    text = f.explain()
    assert "the value of argument 1 (a Python int, part of the signature by value): 29 " \
        "time(s)" in text
    assert "RECOMPILES" in text and "dropped from the cache" in text
    assert len(f.ledger) <= jit_module.Jitted.ledger_limit
    np.testing.assert_array_equal(f(x, 29).asnumpy(), [29, 29])  # still cached: a hit
    assert f.traces == 30
