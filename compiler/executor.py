"""Turning a graph into something callable, and the ``call`` primitive that runs one.

The executable of a graph is built once and cached on the graph. Which backend builds it
follows the settings: the interpreter when the jit is disabled (or tiers are off), the
numba-CPU backend otherwise — behind :class:`~.tiers.Tiered` when tiers are on.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter
from types import FrameType
from typing import Any, Callable, Sequence

import numpy as np

from . import backends, settings
from .backends import Backend, Lowered, Pending
from .core import Primitive, ShapedArray, register
from .errors import BUG_REPORT, CompilerError, CompilerWarning
from .frontend import tracing
from .frontend.autodiff import vjp_graph
from .frontend.tracing import trace
from .ir import Graph
from .opt import optimize
from .tiers import Tiered

Executable = Callable[[Sequence[Any]], list]

# Process-wide counters, read by tracegrad.cache_info().
STATS: Counter = Counter()

_FORCED: list[Backend | None] = [None]
_COMPILER_DIR = os.path.dirname(os.path.abspath(__file__))


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


class Guarded(Backend):
    """A compiling backend whose failures never fail a user's call.

    An exception while it lowers a graph (fusion, code generation, numba's compilation) is a
    compiler bug, not the user's: the graph is lowered by the interpreter instead, a
    :class:`CompilerWarning` says so (and asks for a bug report), and
    ``graph.cache["compiler_error"]`` keeps the reason for ``explain()``. In strict mode
    (``settings.strict``) it raises :class:`CompilerError` instead.
    """

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.device = inner.device

    def can_fuse(self, eqn: Any) -> bool:
        return self.inner.can_fuse(eqn)

    def lower(self, graph: Graph) -> Lowered:
        try:
            return self.inner.lower(graph)
        except Warning:
            raise  # a warning the user made an error (-W error) is theirs to see
        except Exception as err:  # noqa: BLE001  (any failure is a compiler bug)
            return compiler_failed(graph, self.inner.name, err)

    def prepare(self, graph: Graph) -> Pending | None:
        try:
            return self.inner.prepare(graph)
        except Exception:  # noqa: BLE001  (lower() meets it again and reports it)
            return None

    def to_device(self, array: Any) -> Any:
        return self.inner.to_device(array)

    def to_host(self, buffer: Any) -> Any:
        return self.inner.to_host(buffer)

    def stats(self) -> dict[str, int]:
        return self.inner.stats()


def compiler_failed(graph: Graph, backend: str, err: Exception) -> Lowered:
    """``backend`` raised ``err`` on ``graph``: raise in strict mode, else warn and lower the
    graph with the interpreter."""
    what = f"{type(err).__name__}: {err}"
    if len(what) > 500:  # numba's typing errors run to pages
        what = what[:500] + " ..."
    STATS["compiler_errors"] += 1
    if settings.strict:
        raise CompilerError(f"the {backend} backend failed on a graph ({what}). Strict mode "
                            f"does not fall back to the interpreter. {BUG_REPORT}") from err
    graph.cache["compiler_error"] = f"{backend}: {what}"
    warnings.warn(f"tracegrad: the {backend} backend failed to compile a graph ({what}); it "
                  "runs on the interpreter instead (same results, slower). " + BUG_REPORT,
                  CompilerWarning, stacklevel=_user_stacklevel())
    return backends.get("interpreter").lower(graph)


def _user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the user's line (the first frame
    outside tracegrad and the compiler, as ``tracing.user_source`` finds it)."""
    internal = tracing._PACKAGE_DIRS + (_COMPILER_DIR,)
    frame: FrameType | None = sys._getframe(2)  # the caller of compiler_failed
    level = 2
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(internal) and not name.endswith("contextlib.py"):
            return level
        frame = frame.f_back
        level += 1
    return 2


def executable(graph: Graph) -> Executable:
    """The cached executable of ``graph`` (tiered when ``settings.tiers == "on"``). A backend
    that fails to compile it leaves it to the interpreter (see :class:`Guarded`)."""
    exe = graph.cache.get("exe")
    if exe is None:
        backend = current_backend()
        if backend.name != "interpreter" and _FORCED[0] is None:
            backend = Guarded(backend)
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


def call_vjp_graph(graph: Graph, wrt: tuple[int, ...] | None = None) -> Graph:
    """The graph (args..., output cotangents...) -> gradients of the inputs ``wrt`` (default:
    every float input), built once per ``wrt``."""
    wrt = tuple(_float_inputs(graph)) if wrt is None else wrt
    key = f"vjp{wrt}"
    vg = graph.cache.get(key)
    if vg is None:
        vg = graph.cache[key] = optimize(vjp_graph(graph, list(wrt), seed="input",
                                                   keep_outputs=False))
    return vg


def _call_impl(*args: Any, graph: Graph) -> list:
    return executable(graph)(args)


def _call_abstract(*args: Any, graph: Graph) -> list:
    return graph.out_avals


def _call_vjp(cts: Sequence[Any], outs: Any, *args: Any, graph: Graph,
              needs: tuple[bool, ...]) -> list:
    # only the inputs whose gradient is wanted: a hybridized block's data batch needs none,
    # and its gradient (a large matrix product) is then never computed
    wrt = tuple(i for i in _float_inputs(graph) if needs[i])
    result: list = [None] * len(args)
    if not wrt:
        return result
    grads = call(*args, *cts, graph=call_vjp_graph(graph, wrt))
    for i, g in zip(wrt, grads):
        result[i] = g
    return result


def _sample_graph() -> Graph:
    from . import prims

    return trace(lambda x: [prims.tanh(prims.mul(x, x))],
                 [ShapedArray((3,), np.dtype("float64"))])


call = register(Primitive(
    "call", "other", _call_impl, _call_abstract, _call_vjp, multiple_results=True,
    uses_needs=True,
    samples=lambda: [((np.array([0.5, -1.0, 2.0]),), {"graph": _sample_graph()})],
    doc="Run a whole graph as one operation (a jit-compiled function recorded on the tape)."))
