"""Turning a graph into something callable, and the ``call`` primitive that runs one.

The executable of a graph is built once and cached on the graph. Which backend builds it
follows the settings: the interpreter when the jit is disabled (or tiers are off), the
numba-CPU backend otherwise — behind :class:`~.tiers.Tiered` when tiers are on.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

from . import backends, settings
from .backends import Backend, Lowered
from .core import Primitive, ShapedArray, register
from .frontend.autodiff import vjp_graph
from .frontend.tracing import trace
from .ir import Graph
from .opt import optimize
from .tiers import Tiered

Executable = Callable[[Sequence[Any]], list]

# Process-wide counters, read by tracegrad.cache_info().
STATS: Counter = Counter()

_FORCED: list[Backend | None] = [None]


def set_backend(backend: Backend | str | None) -> None:
    """Run every new graph on ``backend`` (a name or a Backend), whatever the settings;
    ``None`` returns to the settings' choice. Tests use it to force one backend."""
    _FORCED[0] = backends.get(backend) if isinstance(backend, str) else backend


def current_backend() -> Backend:
    """The backend new graphs are lowered with."""
    if _FORCED[0] is not None:
        return _FORCED[0]
    if settings.disable_jit or settings.tiers == "off":
        return backends.get("interpreter")
    return backends.get("numba_cpu")


def executable(graph: Graph) -> Executable:
    """The cached executable of ``graph`` (tiered when ``settings.tiers == "on"``)."""
    exe = graph.cache.get("exe")
    if exe is None:
        backend = current_backend()
        if settings.tiers == "on" and _FORCED[0] is None and backend.name != "interpreter":
            exe = Tiered(graph, backends.get("interpreter"), backend)
        else:
            lowered = graph.cache["lowered"] = backend.lower(graph)
            exe = lowered.run
        graph.cache["exe"] = exe
    return exe


def lowered(graph: Graph) -> Lowered:
    """What the backend made of ``graph``: source, fusion plan, compile log (waits for a
    background compilation to finish)."""
    exe = executable(graph)
    if isinstance(exe, Tiered):
        exe.wait()
        assert exe.lowered is not None
        return exe.lowered
    return graph.cache["lowered"]


def compile_stats() -> dict[str, int]:
    """Compiles and disk-cache loads of every backend used so far, added up."""
    total: Counter = Counter(compiles=0, disk_hits=0)
    for b in backends.loaded():
        total.update(b.stats())
    return dict(total)


# -- the call primitive: a whole graph as one operation ---------------------------------------

def _float_inputs(graph: Graph) -> list[int]:
    return [i for i, v in enumerate(graph.invars) if v.aval.dtype.kind == "f"]


def call_vjp_graph(graph: Graph) -> Graph:
    """The graph (args..., output cotangents...) -> gradients of the float inputs."""
    vg = graph.cache.get("vjp")
    if vg is None:
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


def _sample_graph() -> Graph:
    from . import prims

    return trace(lambda x: [prims.tanh(prims.mul(x, x))],
                 [ShapedArray((3,), np.dtype("float64"))])


call = register(Primitive(
    "call", "other", _call_impl, _call_abstract, _call_vjp, multiple_results=True,
    samples=lambda: [((np.array([0.5, -1.0, 2.0]),), {"graph": _sample_graph()})],
    doc="Run a whole graph as one operation (a jit-compiled function recorded on the tape)."))
