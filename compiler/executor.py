"""Turning a graph into something callable, and the ``call`` primitive that runs one.

The executable of a graph is built once and cached on the graph. The default backend is the
reference interpreter; the numba backend replaces it through :func:`set_backend`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

from .frontend.autodiff import vjp_graph
from .core import Primitive, register
from .frontend.interpreter import eval_graph
from .ir import Graph, pretty

Executable = Callable[[Sequence[Any]], list]

# Process-wide counters, read by tracegrad.cache_info().
STATS: Counter = Counter()


def interpreter_backend(graph: Graph) -> tuple[Executable, str]:
    """Run the graph equation by equation with NumPy; the 'source' is the plan itself."""
    consts = list(graph.consts)

    def run(args: Sequence[Any]) -> list:
        return eval_graph(graph, args, consts)

    plan = "# interpreter plan: each equation runs its NumPy implementation in order\n"
    return run, plan + pretty(graph)


def _default_backend(graph: Graph) -> tuple[Executable, str]:
    from . import settings

    if settings.disable_jit or settings.tiers == "off":
        return interpreter_backend(graph)
    from .backends.numba_cpu.driver import numba_backend  # imports numba: only when first needed

    return numba_backend(graph)


_BACKEND: list[Callable[[Graph], tuple[Executable, str]]] = [_default_backend]


def set_backend(backend: Callable[[Graph], tuple[Executable, str]]) -> None:
    """Replace how graphs become executables (tests use it to force the interpreter)."""
    _BACKEND[0] = backend


def executable(graph: Graph) -> Executable:
    """The cached executable of ``graph`` (tiered when ``settings.tiers == "on"``)."""
    exe = graph.cache.get("exe")
    if exe is None:
        from . import settings

        if settings.tiers == "on" and not settings.disable_jit and \
                _BACKEND[0] is _default_backend:
            from .backends.numba_cpu.jobs import Tiered

            exe = Tiered(graph)
        else:
            exe, graph.cache["source"] = _BACKEND[0](graph)
        graph.cache["exe"] = exe
    return exe


def source_of(graph: Graph) -> str:
    """The code that runs ``graph`` (waits for a background compilation to finish)."""
    exe = executable(graph)
    if hasattr(exe, "wait"):  # tiered: the compiled code exists once it has switched
        exe.wait()
    return graph.cache["source"]


def _float_inputs(graph: Graph) -> list[int]:
    return [i for i, v in enumerate(graph.invars) if v.aval.dtype.kind == "f"]


def call_vjp_graph(graph: Graph) -> Graph:
    """The graph (args..., output cotangents...) -> gradients of the float inputs."""
    vg = graph.cache.get("vjp")
    if vg is None:
        from .opt import optimize

        vg = optimize(vjp_graph(graph, _float_inputs(graph), seed="input", keep_outputs=False))
        graph.cache["vjp"] = vg
    return vg


def _call_impl(*args: Any, graph: Graph) -> list:
    return executable(graph)(args)


def _call_abstract(*args: Any, graph: Graph) -> list:
    return graph.out_avals


def _call_vjp(cts: Sequence[Any], outs: Any, *args: Any, graph: Graph) -> list:
    vg = call_vjp_graph(graph)
    grads = call(*args, *cts, graph=vg)
    result: list = [None] * len(args)
    for i, g in zip(_float_inputs(graph), grads):
        result[i] = g
    return result


call = register(Primitive(
    "call", "other", _call_impl, _call_abstract, _call_vjp, multiple_results=True,
    samples=lambda: [(( np.array([0.5, -1.0, 2.0]),), {"graph": _sample_graph()})],
    doc="Run a whole graph as one operation (a jit-compiled function recorded on the tape)."))


def _sample_graph() -> Graph:
    from .core import ShapedArray
    from .prims import mul, tanh
    from .frontend.tracing import trace

    return trace(lambda x: [tanh(mul(x, x))], [ShapedArray((3,), np.dtype("float64"))])
