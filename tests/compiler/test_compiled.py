"""Fused numba kernels: compiled against eager, in float32 and float64, on awkward inputs;
kernel counts; vectorised loops; NaN/Inf; accurate float32 sums; no aliasing."""

import importlib.util
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

import tracegrad
from tests import functions as F
from tracegrad import autograd, nd
from tracegrad._compiler import settings
from tracegrad._compiler.backends.numba_cpu.lowering import can_fuse
from tracegrad._compiler.core import REGISTRY, is_array
from tracegrad._compiler.schedule.fusion import fuse
from tracegrad.ndarray import NDArray, apply

needs_numba = pytest.mark.skipif(settings.disable_jit, reason="TRACEGRAD_DISABLE_JIT is set")
ROOT = Path(__file__).resolve().parents[2]
FUSABLE = sorted((p for p in REGISTRY.values()
                  if p.kind in ("elementwise", "reduce") and p.name not in ("argmax", "argmin")),
                 key=lambda p: p.name)


def _kernels(fun, *args, **kw):
    low = tracegrad.value_and_grad(fun, **kw).lower(*args) if kw.get("argnums") is not None \
        else tracegrad.jit(fun).lower(*args)
    return fuse(low.optimized_ir, can_fuse).kernels


@pytest.mark.parametrize("prim", FUSABLE, ids=lambda p: p.name)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_fusable_primitive_compiled_matches_eager(prim, dtype):
    for args, params in prim.samples():
        args = [np.asarray(a, dtype=dtype) if is_array(a) else a for a in args]
        pos = [i for i, a in enumerate(args) if is_array(a)]

        def f(*arrays, args=args, params=params, pos=pos):
            full = list(args)
            for i, a in zip(pos, arrays):
                full[i] = a
            y = apply(prim, tuple(full), params)
            return y * 2.0  # a consumer, so the primitive sits inside a kernel

        arrays = [NDArray(args[i]) for i in pos]
        expected = f(*arrays).asnumpy()
        got = tracegrad.jit(f)(*arrays).asnumpy()
        assert got.dtype == expected.dtype
        rtol = 2e-6 if dtype == "float32" else 1e-13
        atol = 1e-30
        if prim.name == "reduce_sum" and dtype == "float32":
            # float32 partial sums (as NumPy's own): with cancellation, the error is a few
            # float32 roundings of the magnitudes summed, not of the result
            atol = 4 * float(np.finfo(np.float32).eps) * 2 * sum(
                float(np.abs(a.asnumpy()).sum()) for a in arrays)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=prim.name)


@pytest.mark.parametrize("name,fun,args,argnums", F.cases(), ids=[c[0] for c in F.cases()])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_gradients_match_the_eager_tape(name, fun, args, argnums, dtype):
    args = tracegrad.tree.unflatten(
        tracegrad.tree.flatten(list(args), is_leaf=lambda x: isinstance(x, NDArray))[1],
        [x.astype(dtype) for x in tracegrad.tree.flatten(
            list(args), is_leaf=lambda x: isinstance(x, NDArray))[0]])
    value, grads = tracegrad.value_and_grad(fun, argnums=argnums)(*args)
    nums = (argnums,) if isinstance(argnums, int) else argnums
    leaves = [x for k in nums for x in tracegrad.tree.flatten(
        args[k], is_leaf=lambda x: isinstance(x, NDArray))[0]]
    for x in leaves:
        x.attach_grad()
    with autograd.record():
        eager = fun(*args)
    eager.backward()
    rtol = 2e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(value.asnumpy(), eager.asnumpy(), rtol=rtol)
    got = tracegrad.tree.flatten(grads, is_leaf=lambda x: isinstance(x, NDArray))[0]
    for g, x in zip(got, leaves):
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g.asnumpy(), x.grad.asnumpy(), rtol=rtol, atol=1e-6)


def test_transposed_broadcast_and_sliced_inputs():
    rng = np.random.default_rng(0)
    a = nd.array(rng.normal(size=(5, 4)))
    b = nd.array(rng.normal(size=(4,)))
    f = tracegrad.jit(lambda x, y: (nd.tanh(x) * y + 1.0).sum(axis=0))
    for x in (a.T.T, nd.array(rng.normal(size=(4, 5))).T, a[::2]):
        np.testing.assert_allclose(f(x, b).asnumpy(), (np.tanh(x.asnumpy()) * b.asnumpy()
                                                       + 1.0).sum(axis=0), rtol=1e-5)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (0,), (0, 3), (3, 0)])
def test_zero_d_size_one_and_empty_arrays(shape):
    x = nd.array(np.random.default_rng(1).normal(size=shape))
    f = tracegrad.jit(lambda x: (nd.exp(x) * 2.0, (x * x).sum()))
    y, s = f(x)
    np.testing.assert_allclose(y.asnumpy(), np.exp(x.asnumpy()) * 2, rtol=1e-6)
    assert y.shape == shape
    np.testing.assert_allclose(s.asnumpy(), [(x.asnumpy() ** 2).sum()], rtol=1e-6)


@pytest.mark.parametrize("shape", [(0, 2, 2), (2, 0, 2), (3, 2, 2)])
def test_outputs_of_a_kernel_with_an_empty_loop_axis_are_written(shape):
    # found by the fuzzer: exp(sum of an empty array) + exp(b) was fused into the loops
    # over the empty array, which never ran, so the (1, 1, 2) result was left uninitialised
    x = nd.zeros(shape, dtype="float64")
    b = nd.array(np.array([0.3, -0.2]), dtype="float64")

    def f(x, b):  # the product puts a second kernel after the first (one driver, two paths)
        y = nd.exp(x.sum(axis=None, keepdims=True)) + nd.exp(b)
        return y, nd.dot(y.reshape((1, 2)), nd.ones((2, 1), dtype="float64")) * 3.0 + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to the interpreter (a CompilerWarning)
        y, z = tracegrad.jit(f)(x, b)
    want = np.exp(np.zeros(shape).sum(keepdims=True)) + np.exp([0.3, -0.2])
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-12)
    np.testing.assert_allclose(z.asnumpy(), [[want.sum() * 3 + 1]], rtol=1e-12)


def test_kernel_counts():
    w, x = nd.ones(1000), nd.ones(1000)
    assert len(_kernels(F.softplus_loss, w, x, argnums=1)) == 1
    z = nd.ones((8, 10))
    assert len(_kernels(lambda z: nd.log_softmax(z, axis=1), z)) <= 2
    assert len(_kernels(lambda z: nd.log_softmax(z, axis=1).sum(), z, argnums=0)) <= 2
    params, X, y = F.mlp_data(batch=16, n_in=20, n_hidden=12, n_out=10, dtype="float32")
    kernels = _kernels(F.mlp_loss, params, X, y, argnums=0)
    assert len(kernels) <= 4


def test_softplus_value_and_grad_is_one_pass_over_x():
    w, x = nd.ones(1000), nd.ones(1000)
    (k,) = _kernels(F.softplus_loss, w, x, argnums=1)
    assert len(k.inputs) == 2  # w and x, each read once
    assert [v.aval.shape for v in k.outputs] == [(1,), (1000,)]  # the loss and its gradient


@needs_numba  # generated source
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_row_cache_computes_each_exp_once(dtype):
    # logsumexp's gradient needs exp(x - max) again after the sum: it is saved to a row
    # buffer in the sum's loop and loaded in the gradient's, not recomputed
    x = np.random.default_rng(8).normal(size=(37, 300)).astype(dtype) * 30
    x[3, 7] = np.nan
    x[5] = -np.inf
    g = tracegrad.value_and_grad(F.logsumexp)
    src = g.lower(nd.array(x, dtype=dtype)).source
    body = src[src.index("def kernel_serial"):src.index("def kernel_parallel")]
    suffix = "f32" if dtype == "float32" else "f64"
    assert body.count(f"exp_{suffix}(") == 1 and "row0[i1] = " in body, body
    val, grad = g(nd.array(x, dtype=dtype))
    with np.errstate(all="ignore"):
        x64 = x.astype(np.float64)
        m = x64.max(axis=1, keepdims=True)
        e = np.exp(x64 - m)
        s = e.sum(axis=1, keepdims=True)
        ref = e / s
    # float32: x - max is rounded (|x - max| ~ 100), exp turns that into ~1e-5 relative
    np.testing.assert_allclose(grad.asnumpy(), ref, rtol=2e-5 if dtype == "float32" else 1e-12,
                               atol=1e-30)
    assert np.isnan(val.asscalar())


@needs_numba  # generated source
def test_row_invariant_values_are_computed_before_the_inner_loops():
    # log(sum) of a row is the same for every element: computed once per row, not in the
    # loop over the row (whose scalar remainder is all a row of 10 values runs)
    z = np.random.default_rng(9).normal(size=(6, 10)).astype(np.float32)
    f = tracegrad.jit(lambda z: nd.log_softmax(z, axis=1))
    src = f.lower(nd.array(z)).source
    body = src[src.index("def kernel_serial"):src.index("def kernel_parallel")].splitlines()

    def indent(line):
        return len(line) - len(line.lstrip())
    (log_line,) = [ln for ln in body if "log_f32(" in ln]
    inner = [indent(ln) for ln in body if ln.lstrip().startswith("for i1 ")]
    assert inner and indent(log_line) <= min(inner), "\n".join(body)
    z64 = z.astype(np.float64)
    ref = z64 - z64.max(axis=1, keepdims=True)
    ref -= np.log(np.exp(ref).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(f(nd.array(z)).asnumpy(), ref, rtol=1e-6, atol=1e-6)


@needs_numba  # generated source
@pytest.mark.parametrize("cols", [1000, 1024, 1025, 5000])
def test_float32_row_sums_are_blocked_only_where_rows_are_longer_than_a_block(cols):
    # float32 partial sums per block of 1024, folded into float64; a row of one block at most
    # gets no loop over blocks (the same arithmetic, cheaper to compile)
    x = np.random.default_rng(10).normal(size=(3, cols)).astype(np.float32) + 1
    f = tracegrad.jit(lambda x: x.sum(axis=1))
    src = f.lower(nd.array(x)).source
    body = src[src.index("def kernel_serial"):src.index("def kernel_parallel")]
    assert ("for b1 in range(" in body) == (cols > 1024), body
    got = f(nd.array(x)).asnumpy()
    ref = x.astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(got, ref, rtol=1e-6)


@needs_numba  # generated source
def test_kernels_call_nothing_numba_compiles_per_process():
    # numba compiles an overload's implementation (np.empty, min) with its whole pipeline the
    # first time a process uses it: 0.2 s of every cold process. Kernels allocate with vmath's
    # scratch and clamp with its minimum (intrinsics) instead. These kernels have row caches,
    # per-chunk partials, blocked float32 sums and a column reduction between them.
    rng = np.random.default_rng(11)
    params, X, y = F.mlp_data(64, 30, 20, 5, dtype="float32")
    sources = [tracegrad.value_and_grad(F.mlp_loss).lower(params, X, y).source,
               tracegrad.value_and_grad(F.logsumexp).lower(
                   nd.array(rng.normal(size=(4, 3000)).astype(np.float32))).source,
               tracegrad.jit(lambda x: x.sum(axis=0)).lower(nd.ones((3000, 7))).source]
    for src in sources:
        body = src[src.index("def kernel_serial"):]
        assert "np.empty(" not in body and " min(" not in body, body
        assert "scratch(" in body or "minimum(" in body


@needs_numba  # the interpreter backend fuses nothing
def test_fused_ir_and_dot_show_kernels():
    low = tracegrad.value_and_grad(F.softplus_loss, argnums=1).lower(nd.ones(8), nd.ones(8))
    text = str(low.fused_ir)
    assert "= fused[inner=(0,), name='kernel0', shape=(8,)] a b" in text
    assert text.count("{ lambda") == 2  # the graph and the kernel's body
    dot = low.to_dot()
    assert "subgraph cluster_0" in dot and 'label="kernel0"' in dot


def _fresh_dispatcher(source: str, name: str, folder):
    """Compile a generated kernel again without the disk cache, so its LLVM IR is visible."""
    import numba

    from tracegrad._compiler.backends.numba_cpu.vmath import FASTMATH

    path = f"{folder}/_inspect_{name}.py"
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location(f"_inspect_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return numba.njit(fastmath=FASTMATH, error_model="numpy")(mod.kernel_serial)




_VECTOR_PROBE = """
import re, sys
import numba, numpy as np
import tracegrad
from tracegrad import nd
from tests import functions as F
from tracegrad._compiler.backends.numba_cpu.codegen import kernel_source
from tracegrad._compiler.backends.numba_cpu.lowering import can_fuse
from tracegrad._compiler.backends.numba_cpu.vmath import FASTMATH
from tracegrad._compiler.schedule.fusion import fuse
sys.path.insert(0, sys.argv[1])
from test_compiled import _fresh_dispatcher

def lanes(llvm, t):
    return max([int(n) for n in re.findall(r"<(\\d+) x " + t + ">", llvm)], default=1)

def probe(label, low, dtype):
    (kernel,) = fuse(low.optimized_ir, can_fuse).kernels
    src, consts = kernel_source(kernel)
    k = _fresh_dispatcher(src, label, sys.argv[2])
    arrays = [numba.types.Array(numba.from_dtype(v.aval.dtype), max(v.aval.ndim, 1), "C")
              for v in kernel.inputs + kernel.outputs]
    k.compile(tuple(arrays) + (numba.int64,) * (len(kernel.shape) + 1)
              + (numba.float64,) * len(consts))
    llvm = "\\n".join(k.inspect_llvm().values())
    t = {"float32": "float", "float64": "double"}[dtype]
    libm = bool(re.search(r"@(llvm\\.)?(exp|log|tanh)f?[.(]", llvm))
    print(label, lanes(llvm, t), libm)

for dtype in ("float32", "float64"):
    w, x = nd.ones(1000, dtype=dtype), nd.ones(1000, dtype=dtype)
    probe(f"softplus-{dtype}",
          tracegrad.value_and_grad(F.softplus_loss, argnums=1).lower(w, x), dtype)
z = nd.ones((8, 2000), dtype="float32")  # rows: max, blocked sum, log_softmax (outer)
probe("rows-float32", tracegrad.jit(lambda z: nd.log_softmax(z, axis=1)).lower(z), "float32")
probe("columns-float32", tracegrad.jit(lambda z: (z * 2.0).sum(axis=0)).lower(z), "float32")
# a max reduction alone (a compare-and-select fold stayed scalar)
probe("rowmax-float32", tracegrad.jit(lambda z: z.max(axis=1)).lower(z), "float32")

# the user's own numba code keeps numba's target (no global side effect)
@numba.njit(fastmath=FASTMATH)
def user(x, y):
    for i in range(x.size):
        y[i] = x[i] * np.float32(2.0) + np.float32(1.0)
f32 = numba.types.Array(numba.float32, 1, "C")
user.compile((f32, f32))
llvm = "\\n".join(user.inspect_llvm().values())
print("user-float32", lanes(llvm, "float"), "prefer-vector-width" in llvm)
"""

# LLVM's preferred vector width (bits) per CPU, before tracegrad's own choice
# (target.PREFERRED_WIDTH): AVX2 has 256; LLVM's tuning of these AVX-512 Intel CPUs prefers
# 256 bits; znver4 has full-width AVX-512.
LLVM_WIDTH = {"haswell": 256, "znver2": 256, "znver3": 256, "skylake-avx512": 256,
              "icelake-server": 256, "sapphirerapids": 256, "znver4": 512}
_PROBES: dict[str, dict[str, tuple[int, bool]]] = {}  # cpu -> label -> (lanes, libm/attr)


def _probe(cpu: str) -> dict[str, tuple[int, bool]]:
    """Compile the probe kernels for the named CPU (not the host: NUMBA_CPU_NAME with the
    CPU's own features) in a subprocess, once per CPU and session: label -> (widest vector
    of the kernel's dtype, whether libm calls remain)."""
    if cpu not in _PROBES:
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, NUMBA_CPU_NAME=cpu, NUMBA_CPU_FEATURES="",
                       PYTHONPATH=str(ROOT))
            proc = subprocess.run([sys.executable, "-c", _VECTOR_PROBE,
                                   str(Path(__file__).parent), tmp],
                                  env=env, capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        _PROBES[cpu] = {label: (int(n), flag == "True")
                        for label, n, flag in (ln.split() for ln in proc.stdout.splitlines())}
    return _PROBES[cpu]


@needs_numba
@pytest.mark.parametrize("kernel", ["softplus-float32", "softplus-float64", "rows-float32",
                                    "columns-float32", "rowmax-float32"])
@pytest.mark.parametrize("cpu", list(LLVM_WIDTH))
def test_generated_kernel_vectorises_for_named_cpus(cpu, kernel):
    """Every x86-64 level runs generated kernels at the full width of its preferred vectors:
    float32 sums keep float32 partials (a float64 accumulator halved the lanes), and where
    tracegrad prefers wider vectors than LLVM's tuning (target.py) the kernels get them."""
    from tracegrad._compiler.backends.numba_cpu import target

    width = target.PREFERRED_WIDTH.get(cpu, LLVM_WIDTH[cpu])
    lanes = width // (32 if kernel.endswith("float32") else 64)
    got, libm = _probe(cpu)[kernel]
    assert got == lanes, f"{kernel} has {got} lanes on {cpu}, expected {lanes}"
    assert not libm  # no scalar libm calls


@needs_numba
@pytest.mark.parametrize("cpu", ["sapphirerapids", "znver4"])
def test_the_vector_width_choice_is_the_kernels_own(cpu):
    # a plain numba loop compiled after the kernels keeps LLVM's width for the CPU
    lanes, marked = _probe(cpu)["user-float32"]
    assert lanes == LLVM_WIDTH[cpu] // 32 and not marked


def test_the_vector_width_choice_is_part_of_the_kernel_source(monkeypatch):
    from tracegrad._compiler.backends.numba_cpu import cache, codegen

    w, x = nd.ones(10), nd.ones(10)
    (k,) = _kernels(F.softplus_loss, w, x, argnums=1)

    def source(cpu, features):
        monkeypatch.setenv("NUMBA_CPU_NAME", cpu)
        monkeypatch.setenv("NUMBA_CPU_FEATURES", features)
        return codegen.kernel_source(k)[0]

    spr, skx = source("sapphirerapids", ""), source("skylake-avx512", "")
    assert spr.count("prefer_vector_width(512)") == 2  # in each variant's chunk loop
    assert "prefer_vector_width" not in skx
    assert cache.module_name(spr)[0] != cache.module_name(skx)[0]  # the cache key
    # the host, by its features: Sapphire Rapids cores that LLVM names otherwise
    assert "prefer_vector_width(512)" in source("", "+avx2,+avx512f,+avx512fp16")
    assert "prefer_vector_width" not in source("", "+avx2,+avx512f")


def test_nan_and_inf_propagate_like_numpy():
    vals = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e30], np.float32)
    f = tracegrad.jit(lambda x: (nd.exp(x), nd.log(x), nd.maximum(x, 0.5), nd.relu(x),
                                 nd.tanh(x), x / 0.0, nd.sqrt(x), x.max()))
    got = [o.asnumpy() for o in f(nd.array(vals))]
    with np.errstate(all="ignore"):
        expected = [np.exp(vals), np.log(vals), np.maximum(vals, 0.5), np.maximum(vals, 0),
                    np.tanh(vals), vals / np.float32(0), np.sqrt(vals), np.array([np.nan])]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        np.testing.assert_allclose(g[~np.isnan(g)], e[~np.isnan(e)], rtol=2e-6)


def test_float32_sum_of_1e7_is_accurate():
    x = np.random.default_rng(0).uniform(0, 1, 10 ** 7).astype(np.float32)
    got = tracegrad.jit(lambda x: x.sum())(nd.array(x)).asscalar()
    ref = x.astype(np.float64).sum()
    assert abs(got - ref) / ref < 1e-6


@pytest.mark.parametrize("strategy", ["rows", "columns", "split-2d"])
def test_float32_sums_in_blocks_are_accurate_in_every_loop_strategy(strategy):
    # float32 partial sums per block of 1024, folded into float64 (lowering.accumulator)
    x = np.random.default_rng(5).uniform(0, 1, (3000, 700)).astype(np.float32)
    if strategy == "rows":  # outer strategy: a row reduction in the inner loop
        x = np.ascontiguousarray(x.T)
        f, ref = (lambda x: (x * 2.0).sum(axis=1)), 2 * x.astype(np.float64).sum(axis=1)
    elif strategy == "columns":  # a vector of per-column accumulators, blocks of rows
        f, ref = (lambda x: (x * 2.0).sum(axis=0)), 2 * x.astype(np.float64).sum(axis=0)
    else:  # split: a full reduction over two inner axes
        f, ref = (lambda x: (x * 2.0).sum()), np.array([2 * x.astype(np.float64).sum()])
    got = tracegrad.jit(f)(nd.array(x)).asnumpy().reshape(ref.shape)
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_float32_max_and_min_accumulate_exactly_and_propagate_nan():
    x = np.random.default_rng(6).normal(size=(50, 2100)).astype(np.float32)
    x[7, 1500] = np.nan
    f = tracegrad.jit(lambda x: (x.max(axis=1), x.min(axis=0), (x * 1.0).max()))
    for g, e in zip(f(nd.array(x)), (x.max(axis=1), x.min(axis=0), np.array([x.max()]))):
        np.testing.assert_array_equal(g.asnumpy().reshape(e.shape), e)


@pytest.mark.parametrize("scale", [1e4, 1e5])
def test_batched_log_softmax_keeps_its_precision_at_large_values(scale):
    # fastmath rewrote (x - m) - log(s) into x - (m + log(s)), rounding log(s) to the
    # values' ulp (issue 10): add/sub are emitted as written
    rng = np.random.default_rng(7)
    x = (scale + rng.normal(size=(64, 100))).astype(np.float32)
    x64 = x.astype(np.float64)
    ref = x64 - x64.max(axis=1, keepdims=True)
    ref -= np.log(np.exp(ref).sum(axis=1, keepdims=True))
    got = tracegrad.jit(lambda x: nd.log_softmax(x, axis=1))(nd.array(x)).asnumpy()
    eager = nd.log_softmax(nd.array(x), axis=1).asnumpy()
    # x - max is exact; what is left is float32 rounding of values of size ~10
    err = np.abs(got - ref).max()
    assert err <= 4 * np.abs(eager - ref).max() + 1e-6, err


def _chain(n):
    def f(x):
        for _ in range(n // 2):
            x = x * 1.0001 + 0.001
        return x

    return f


def test_the_source_of_a_3000_operation_chain_is_generated(monkeypatch):
    # KernelWriter.value walks operands with an explicit stack: a recursion per operation
    # overflowed Python's stack at ~500 chained operations (issue 10)
    from tracegrad._compiler.backends.numba_cpu.codegen import kernel_source

    monkeypatch.setattr(settings, "disable_jit", True)  # the graph only, nothing compiled
    low = tracegrad.jit(_chain(3000)).lower(nd.ones(5))
    (k,) = fuse(low.optimized_ir, can_fuse).kernels
    src, _ = kernel_source(k)
    assert src.count("strict_add(") == 2 * 1500  # in both variants


def test_a_chain_of_600_operations_is_jitted():
    # numba takes ~20 ms per operation to compile, so the compiled chain is shorter than
    # the generated one above; 600 chained operations failed before (RecursionError)
    x = nd.array(np.linspace(-2, 2, 50))
    f = _chain(600)
    np.testing.assert_allclose(tracegrad.jit(f)(x).asnumpy(), f(x).asnumpy(), rtol=1e-5)


@needs_numba  # it reads the kernels' source
@pytest.mark.parametrize("argnums", [None, 0])
def test_float16_is_computed_in_float32_inside_kernels(argnums):
    rng = np.random.default_rng(8)
    x = nd.array(rng.normal(size=(16, 33)), dtype="float16")
    w = nd.array(rng.normal(size=(33,)), dtype="float16")

    def f(x, w):
        y = nd.log_softmax(nd.tanh(x * w) + 0.5 * x, axis=1)
        return (y * y).sum() if argnums is not None else (y, y.astype("float32"), x.max(axis=0))

    if argnums is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback to the interpreter, no cache repair
            jitted = tracegrad.jit(f)
            got = jitted(x, w)
        assert "from_f16_bits(" in jitted.lower(x, w).source  # it ran as a kernel
        eager = f(x, w)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value, grad = tracegrad.value_and_grad(f, argnums=0)(x, w)
        x.attach_grad()
        with autograd.record():
            e = f(x, w)
        e.backward()
        got, eager = (value, grad), (e, x.grad)
    for g, e in zip(got, eager):
        assert g.dtype == e.dtype
        # eager rounds every operation to float16, the kernel only its outputs
        np.testing.assert_allclose(g.asnumpy().astype(np.float64),
                                   e.asnumpy().astype(np.float64), rtol=1e-2, atol=2e-2)


def test_outputs_never_alias_inputs():
    x = nd.array([1.0, 2.0])
    y = tracegrad.jit(lambda x: x)(x)
    y[:] = 5.0
    assert x.asnumpy().tolist() == [1.0, 2.0]
    z = tracegrad.jit(lambda x: x.reshape((2, 1)))(x)
    z[0] = 7.0
    assert x.asnumpy().tolist() == [1.0, 2.0]


def test_parallel_variant_matches_serial(monkeypatch):
    x = nd.array(np.random.default_rng(2).normal(size=(64, 33)))
    f = lambda x: (nd.log_softmax(x, axis=1) * nd.tanh(x)).sum()  # noqa: E731
    serial = tracegrad.value_and_grad(f)(x)
    monkeypatch.setattr(settings, "parallel_min", 0)
    parallel = tracegrad.value_and_grad(f)(x)
    for a, b in zip(serial, parallel):  # float32, summed in another order: a few ulps
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-5, atol=1e-6)


def test_disable_jit_runs_the_interpreter(monkeypatch):
    monkeypatch.setattr(settings, "disable_jit", True)
    f = tracegrad.jit(lambda x: nd.exp(x).sum())
    low = f.lower(nd.ones(3))
    assert low.source.startswith("# interpreter plan")
    assert f(nd.ones(3)).asnumpy().tolist() == pytest.approx([3 * np.e])


def test_a_new_size_reuses_the_compiled_kernels():
    f = tracegrad.value_and_grad(F.softplus_loss, argnums=1)
    f(nd.ones(300), nd.ones(300))
    before = tracegrad.cache_info()["compiles"]
    f(nd.ones(301), nd.ones(301))
    assert tracegrad.cache_info()["compiles"] == before
    assert len(f.cache) == 2  # re-traced (cheap), not recompiled


def test_a_new_batch_size_of_the_mlp_compiles_nothing():
    # the mean's 1/batch is a constant argument of the kernel, not part of its source
    f = tracegrad.value_and_grad(F.mlp_loss)
    f(*F.mlp_data(batch=16, n_in=20, n_hidden=12, n_out=10, dtype="float32"))
    before = tracegrad.cache_info()
    f(*F.mlp_data(batch=24, n_in=20, n_hidden=12, n_out=10, dtype="float32"))
    after = tracegrad.cache_info()
    assert (after["compiles"], after["disk_hits"]) == (before["compiles"], before["disk_hits"])


def test_blas_layout_choice_gives_the_same_product():
    from tracegrad._compiler.prims import _blas as blas

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(130, 70)).astype(np.float32), rng.normal(size=(70, 90)).astype(
        np.float32)
    for _ in range(10):  # the first calls try each layout three times, then one is kept
        got = blas.matmul(a, b)
        assert got.flags.c_contiguous
        np.testing.assert_allclose(got, a @ b, rtol=1e-5, atol=1e-5)
    key = next(k for k in blas._CHOICE if k[0] == (130, 70) and k[1] == (70, 90))
    assert blas._CHOICE[key] in (0, 1, 2)


@pytest.mark.parametrize("seconds, chosen", [
    ((1.0, 0.8, 0.9), 0),   # 20% faster is within the noise: the plain product stays
    ((1.0, 0.5, 0.9), 1),   # twice as fast: that layout is kept
    ((1.0, 0.9, 0.6), 2),
])
def test_blas_layout_choice_needs_a_clear_margin(monkeypatch, seconds, chosen):
    from tracegrad._compiler.prims import _blas as blas

    clock = iter(np.cumsum([t for _ in range(blas._TRIES) for s in seconds for t in (0, s)]))
    monkeypatch.setattr(blas.time, "perf_counter", lambda: float(next(clock)))
    a = np.ones((300, 40 + len(seconds) + chosen), np.float32)  # a shape of its own
    b = np.ones((a.shape[1], 300), np.float32)
    for _ in range(blas._TRIES * len(blas._VARIANTS)):
        blas.matmul(a, b)
    key = next(k for k in blas._CHOICE if k[0] == a.shape and k[1] == b.shape)
    assert blas._CHOICE[key] == chosen


@pytest.mark.parametrize("case", ["transpose_of_broadcast", "reshape_times_broadcast"])
def test_equal_sizes_never_share_a_loop_axis(case):
    """Two output dimensions of equal size once landed on one kernel axis, so only a
    diagonal was written and the rest of the output was garbage."""
    rng = np.random.default_rng(0)
    if case == "transpose_of_broadcast":
        args = (nd.array(rng.normal(size=(2, 2, 6))),)

        def f(x):
            y = (x / 2.0).reshape((2, 2, 1, 6)).broadcast_to((2, 2, 2, 6))
            return nd.transpose(y, (0, 2, 1, 3))
    else:
        args = (nd.array(rng.normal(size=(1, 2, 4, 3))),
                nd.array(rng.normal(size=(1, 2, 2, 2, 4, 3))))

        def f(a, b):
            return nd.transpose((a * 0.5).reshape((1, 2, 1, 1, 4, 3)) * b, (0, 1, 3, 2, 4, 5))
    expected = f(*args).asnumpy()
    got = tracegrad.jit(f)(*args).asnumpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
