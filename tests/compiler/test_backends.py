"""The backend conformance suite: every registered backend runs every primitive of the
registry, and real gradient graphs, with the NumPy implementations' results.

It works at the compiler's level (trace a primitive into a graph, ``backend.lower`` it, run
it), so a new backend — one folder and one registry line — is tested by adding nothing.
"""

import numpy as np
import pytest

import tracegrad
from tests import functions as F
from tracegrad._compiler import backends, executor
from tracegrad._compiler.core import REGISTRY, ShapedArray, is_array
from tracegrad._compiler.frontend.tracing import trace
from tracegrad._compiler.ir import Graph
from tracegrad.ndarray import NDArray

BACKENDS = backends.names()
OPS = sorted((p for p in REGISTRY.values() if p.kind != "random" and p.name != "call"),
             key=lambda p: p.name)
# float64 results within a few ulps: compiled kernels use their own vectorised math
RTOL = {"float32": 2e-6, "float64": 1e-13}


def _graph_of(prim, args, params, dtype) -> tuple[Graph, list]:
    """A graph applying ``prim`` to the array arguments, then doubling each float result (a
    consumer, so a fusing backend puts the primitive inside a kernel)."""
    arrays = [np.asarray(a, dtype=dtype) if is_array(a) and np.asarray(a).dtype.kind == "f"
              else a for a in args]
    pos = [i for i, a in enumerate(arrays) if is_array(a)]

    def body(*tracers):
        full = list(arrays)
        for i, t in zip(pos, tracers):
            full[i] = t
        out = prim(*full, **params)
        outs = list(out) if prim.multiple_results else [out]
        return [o * 2.0 if o.dtype.kind == "f" else o for o in outs]

    avals = [ShapedArray(np.shape(arrays[i]), np.asarray(arrays[i]).dtype) for i in pos]
    return trace(body, avals), [np.asarray(arrays[i]) for i in pos]


def _reference(prim, args, params, dtype):
    arrays = [np.asarray(a, dtype=dtype) if is_array(a) and np.asarray(a).dtype.kind == "f"
              else a for a in args]
    out = prim.impl(*arrays, **params)
    outs = list(out) if prim.multiple_results else [out]
    return [np.asarray(o) * 2.0 if np.asarray(o).dtype.kind == "f" else np.asarray(o)
            for o in outs]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("prim", OPS, ids=lambda p: p.name)
def test_every_primitive_runs_on_every_backend(backend, dtype, prim):
    be = backends.get(backend)
    for args, params in prim.samples():
        graph, inputs = _graph_of(prim, args, params, dtype)
        lowered = be.lower(graph)
        assert isinstance(lowered.source, str) and lowered.source
        got = [be.to_host(x) for x in lowered.run([be.to_device(a) for a in inputs])]
        expected = _reference(prim, args, params, dtype)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape and g.dtype == e.dtype, prim.name
            np.testing.assert_allclose(g, e, rtol=RTOL[dtype], atol=1e-30, err_msg=prim.name)


@pytest.fixture(params=BACKENDS)
def backend(request):
    executor.set_backend(request.param)
    yield backends.get(request.param)
    executor.set_backend(None)


@pytest.mark.parametrize("name,fun,args,argnums", F.cases(), ids=[c[0] for c in F.cases()])
def test_gradient_graphs_run_on_every_backend(backend, name, fun, args, argnums):
    reference = tracegrad.value_and_grad(fun, argnums=argnums)  # lowered by the settings
    executor.set_backend(None)
    expected = reference(*args)
    executor.set_backend(backend)
    got = tracegrad.value_and_grad(fun, argnums=argnums)(*args)
    flat = [x for x in tracegrad.tree.flatten(got, is_leaf=lambda x: isinstance(x, NDArray))[0]]
    ref = [x for x in tracegrad.tree.flatten(expected,
                                             is_leaf=lambda x: isinstance(x, NDArray))[0]]
    for g, e in zip(flat, ref):
        np.testing.assert_allclose(g.asnumpy(), e.asnumpy(), rtol=1e-10, atol=1e-12)


def test_the_protocol(backend):
    assert backend.name in BACKENDS and backend.device == "cpu"
    x = np.arange(3.0)
    assert backend.to_host(backend.to_device(x)) is not None
    np.testing.assert_array_equal(backend.to_host(backend.to_device(x)), x)
    assert isinstance(backend.stats(), dict)
    assert set(backend.stats()) <= {"compiles", "disk_hits"}


def test_an_unknown_backend_names_the_registered_ones():
    with pytest.raises(ValueError, match="interpreter, numba_cpu"):
        backends.get("cuda")


def test_only_the_interpreter_fuses_nothing():
    graph, inputs = _graph_of(REGISTRY["exp"], [np.ones(4)], {}, "float64")
    assert not backends.get("interpreter").can_fuse(graph.eqns[0])
    assert backends.get("numba_cpu").can_fuse(graph.eqns[0])
    assert backends.get("interpreter").lower(graph).plan is None
    assert len(backends.get("numba_cpu").lower(graph).plan.kernels) == 1
