"""``jit`` and ``make_ir``: Python functions as compiled graphs (``grad`` and
``value_and_grad`` build on it in :mod:`tracegrad.differentiate`).

A call looks up its :class:`~tracegrad.signature.Signature`. A new signature is traced into
a graph, differentiated if asked, optimised and turned into an executable, all cached. If
tracing needs a concrete value (Python control flow on data), the signature is marked as
falling back: it runs eagerly, op by op, from then on, and the ledger (``explain()``) says
where and why.

:class:`Jitted` compiles a function; ``differentiate.Differentiated`` overrides the three
places where a gradient differs: the traced graph gains its VJP, the outputs are regrouped
per argument, and the eager fallback records.
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from tracegrad import state, tree
from tracegrad._compiler.core import ShapedArray
from tracegrad._compiler.errors import ConcretizationError
from tracegrad._compiler.executor import STATS, call, compile_stats, executable, lowered
from tracegrad._compiler.frontend.interpreter import eval_graph
from tracegrad._compiler.frontend.tracing import trace
from tracegrad._compiler.ir import Graph
from tracegrad._compiler.opt import optimize
from tracegrad._compiler.schedule.fused_ir import fused_graph
from tracegrad._compiler.schedule.fusion import Plan
from tracegrad.config import config
from tracegrad.errors import FallbackWarning, RecompileWarning, StrictModeError
from tracegrad.explain import report
from tracegrad.ndarray import NDArray, _wrap, apply, weak
from tracegrad.signature import (
    TRACED,
    WEAK,
    Signature,
    fast_key,
    make_signature,
    rebuild,
)
from tracegrad.state import FLAGS

log = logging.getLogger("tracegrad")


@dataclass
class Entry:
    """What one signature compiled to (or why it fell back)."""

    signature: Signature
    graph: Graph | None = None  # as traced (with gradients for grad/value_and_grad)
    optimized: Graph | None = None
    out_tree: Any = None
    fallback: str = ""  # reason, e.g. "asscalar() at seed.py:12"
    trace_seconds: float = 0.0
    calls: int = 0
    tiers: dict[str, int] = field(default_factory=dict)
    number: int = 0  # "signature #number" in the ledger and in explain()


@dataclass
class Lowered:
    """Every stage of one signature, as text-printable graphs and source:

    * ``ir``: as traced (with the gradient for ``grad``/``value_and_grad``);
    * ``optimized_ir``: after the graph passes;
    * ``fused_ir``: each fused kernel shown as one ``fused`` equation with its body;
    * ``source``: the code that runs (the driver and the kernels' source);
    * ``plan``: the backend's fusion plan (``None`` when nothing is fused).
    """

    ir: Graph
    optimized_ir: Graph
    fused_ir: Graph
    source: str
    plan: Plan | None = None

    def to_dot(self) -> str:
        """Graphviz DOT of the optimised graph, with each fused kernel as a cluster."""
        return self.optimized_ir.to_dot(self.plan.groups() if self.plan else None)


class FastHit(NamedTuple):
    """A cached call reachable without the general signature (see ``fast_key``)."""

    training: bool
    entry: Entry
    run: Callable[[list], list]
    finish: Callable[[list], Any]


_WARNED: set[tuple[int, str]] = set()
_LIVE_FAST_HITS: list[list[int]] = []  # the fast-hit cells of live Jitted objects


def _retire(cell: list[int]) -> None:
    STATS["hits"] += cell[0]
    for i, c in enumerate(_LIVE_FAST_HITS):
        if c is cell:  # by identity: two cells may hold equal counts
            del _LIVE_FAST_HITS[i]
            break


def _raw(x: Any) -> Any:
    if isinstance(x, NDArray):
        return x._data
    if isinstance(x, (float, np.floating)):
        return np.asarray(x, dtype=np.float64)  # a weak input: float64, exact
    return x


def _is_ndarray(x: Any) -> bool:
    return isinstance(x, NDArray)


class Jitted:
    """A function compiled per input signature. Made by :func:`jit`."""

    kind = "jit"
    # Per function: past recompile_warn_at signatures a RecompileWarning says what keeps
    # changing (once); past cache_limit the least recently used signature is dropped, so
    # memory stays flat however many signatures a program makes; the ledger keeps the latest.
    recompile_warn_at = 64
    cache_limit = 256
    ledger_limit = 200

    def __init__(self, fun: Callable, static_argnums: Sequence[int] = (),
                 strict: bool | None = None) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums = tuple(static_argnums)
        self.strict = strict
        self.cache: dict[Signature, Entry] = {}
        self.ledger: list[str] = []
        self.ledger_dropped = 0  # lines dropped from the front of the ledger (ledger_limit)
        self.hits = 0
        self.traces = 0  # signatures traced, including those dropped from the cache since
        self.evicted = 0
        self.changes: Counter[str] = Counter()  # what changed, over all re-traces
        self.recompile_warned = False
        self.last_signature: Signature | None = None
        # Cached calls whose arguments are all plain NDArrays skip the general signature.
        self._fast: dict[tuple, FastHit] = {}
        # fast-path hits, in a cell that outlives this object: when it is collected, its
        # count moves into the process-wide counters, so cache_info() never goes down
        self._fast_hits = [0]
        _LIVE_FAST_HITS.append(self._fast_hits)
        weakref.finalize(self, _retire, self._fast_hits)

    # -- tracing ---------------------------------------------------------------------------
    def _transform(self, graph: Graph, dyn: list[int], layout: list, leaves: list,
                   out_tree: Any = None) -> Graph:
        """The graph to compile, made from the traced one (``grad`` adds the VJP)."""
        return graph

    def _check_args(self, sig: Signature, layout: list) -> None:
        """Reject arguments this transformation cannot take, before tracing."""

    def _entry(self, args: tuple) -> tuple[Entry, list, list]:
        sig, leaves, layout = make_signature(args, self.static_argnums)
        entry = self.cache.get(sig)
        if entry is None:
            previous = self.last_signature or next(iter(self.cache), None)
            reason = sig.why_new(previous)
            self.changes.update(sig.changed_parts(previous, layout))
            entry = trace_signature(self, sig, args, leaves, layout)
            self.cache[sig] = entry
            self.traces += 1
            entry.number = self.traces
            what = f"fell back ({entry.fallback})" if entry.fallback else \
                f"traced in {entry.trace_seconds * 1e3:.1f} ms"
            _log(self, f"signature #{self.traces} {sig.text()}: {reason}; {what}")
            if entry.fallback:
                STATS["fallbacks"] += 1
            _bound_cache(self)
        else:
            self.hits += 1
            STATS["hits"] += 1
            if len(self.cache) > 1:  # least recently used last out
                self.cache[sig] = self.cache.pop(sig)
        self.last_signature = sig
        return entry, leaves, layout

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, *args: Any) -> Any:
        if self._fast:
            found = fast_key(args)
            hit = self._fast.get(found[0]) if found is not None else None
            if hit is not None:
                leaves = found[1]
                recording, training = FLAGS.get()
                if hit.training == training and not (recording and any(
                        a._node is not None for a in leaves)):
                    self._fast_hits[0] += 1  # cache_info() adds these up
                    hit.entry.calls += 1
                    return hit.finish(hit.run([a._data for a in leaves]))
        return self._call(args)

    def _remember_fast(self, args: tuple, entry: Entry, exe: Any, layout: list) -> None:
        exe = getattr(exe, "fast", exe)  # a tiered executable: only once it has switched
        found = fast_key(args)
        if exe is None or self.static_argnums or found is None:
            return

        def finish(outs: list) -> Any:
            return self._structure([_wrap(o) for o in outs], entry, layout)

        if entry.out_tree == "*" and self.kind == "jit":  # one array: skip the tree
            def finish(outs: list) -> Any:  # noqa: F811
                return _wrap(outs[0])
        self._fast[found[0]] = FastHit(entry.signature.training, entry, exe, finish)

    def _call(self, args: tuple) -> Any:
        entry, leaves, layout = self._entry(args)
        entry.calls += 1
        if entry.fallback:
            warn_or_raise(self, entry)
            entry.tiers["eager"] = entry.tiers.get("eager", 0) + 1
            return self._eager(args, leaves, layout)
        assert entry.optimized is not None
        dyn = [x for x, s in zip(leaves, entry.signature.leaves) if s[0] in TRACED]
        traced = any(isinstance(x, NDArray) and x.is_traced for x in dyn)
        recording = state.is_recording() and any(
            isinstance(x, NDArray) and x._node is not None for x in dyn)
        if traced:  # called inside another trace: inline the graph
            outs = [_wrap(o) for o in eval_graph(entry.optimized, [_raw(x) for x in dyn])]
            tier = "inline"
        elif recording:  # one node on the tape; its VJP is the compiled gradient graph
            nd_args = tuple(x if isinstance(x, NDArray) else _raw(x) for x in dyn)
            outs = apply(call, nd_args, {"graph": entry.optimized})
            tier = "recorded"
        else:
            exe = executable(entry.optimized)
            outs = [_wrap(np.asarray(o)) for o in exe([_raw(x) for x in dyn])]
            tier = getattr(exe, "last_tier", "compiled")
            self._remember_fast(args, entry, exe, layout)
        entry.tiers[tier] = entry.tiers.get(tier, 0) + 1
        return self._structure(outs, entry, layout)

    def _structure(self, outs: list, entry: Entry, layout: list) -> Any:
        """The user-facing result from the flat outputs."""
        return tree.unflatten(entry.out_tree, outs)

    def _eager(self, args: tuple, leaves: list, layout: list) -> Any:
        return self.fun(*args)

    @property
    def fast_hits(self) -> int:
        return self._fast_hits[0]

    # -- introspection ---------------------------------------------------------------------
    def lower(self, *args: Any) -> Lowered:
        """Every stage for these arguments: traced, optimised and fused IR, and the source."""
        entry, _, _ = self._entry(args)
        if entry.fallback:
            raise StrictModeError(f"{self.__name__} cannot be traced for these arguments: it "
                                  f"needs {entry.fallback}")
        assert entry.graph is not None and entry.optimized is not None
        low = lowered(entry.optimized)
        fused = fused_graph(low.plan) if low.plan is not None else entry.optimized
        return Lowered(entry.graph, entry.optimized, fused, low.source, low.plan)

    def explain(self) -> str:
        """A report: signatures traced and why, cache hits, fallbacks and their lines,
        which tier served the calls, numba's compiles, and time spent tracing."""
        return report(self)


def trace_signature(f: Jitted, sig: Signature, args: tuple, leaves: list,
                    layout: list) -> Entry:
    """Trace ``f`` for one signature: the graph (transformed by ``f``, e.g. its gradient),
    optimised; or the reason it fell back."""
    entry = Entry(sig)
    dyn = [i for i, s in enumerate(sig.leaves) if s[0] in TRACED]
    avals = [ShapedArray(sig.leaves[i][1], np.dtype(sig.leaves[i][2])) for i in dyn]
    out_tree: list = [None]
    f._check_args(sig, layout)

    def traced(*tracers: Any) -> list:
        full = list(leaves)
        for i, t in zip(dyn, tracers):
            full[i] = weak(t) if sig.leaves[i][0] == WEAK else _wrap(t)
        out = f.fun(*rebuild(args, layout, full))
        outs, out_tree[0] = tree.flatten(out, is_leaf=_is_ndarray)
        return [o._data if isinstance(o, NDArray) else o for o in outs]

    t0 = time.perf_counter()
    STATS["traces"] += 1
    try:
        with state.pause(train_mode=sig.training):
            graph = trace(traced, avals)
    except ConcretizationError as err:
        entry.fallback = f"{err.reason or 'a concrete value'} at {err.source}"
        entry.trace_seconds = time.perf_counter() - t0
        return entry
    except (TypeError, AttributeError) as err:
        nones = [i for i, a in enumerate(args) if a is None]
        if nones:
            err.add_note(f"{f.__name__} was called with None as argument "
                         f"{', '.join(map(str, nones))}: jit passes None through unchanged. "
                         "Arguments may be NDArrays, NumPy arrays, Python numbers, and lists, "
                         "tuples and dicts of them; other values must be hashable (they are "
                         "part of the signature, or pass them through static_argnums).")
        raise
    entry.out_tree = out_tree[0]
    entry.graph = f._transform(graph, dyn, layout, leaves, entry.out_tree)
    entry.optimized = optimize(entry.graph)
    entry.trace_seconds = time.perf_counter() - t0
    if config.debug:
        _log_stages(f.__name__, entry)
    return entry

def _log_stages(name: str, entry: Entry) -> None:
    log.debug("traced %s:\n%s", name, entry.graph)
    if config.debug >= 2:
        log.debug("optimised:\n%s", entry.optimized)
    if config.debug >= 3:
        assert entry.optimized is not None
        low = lowered(entry.optimized)
        if low.plan is not None:
            log.debug("fused:\n%s", fused_graph(low.plan))
        log.debug("source:\n%s", low.source)


def warn_or_raise(f: Jitted, entry: Entry) -> None:
    """A signature that fell back: strict mode raises; otherwise warn once per function and
    reason."""
    strict = config.strict if f.strict is None else f.strict
    if strict:
        raise StrictModeError(
            f"{f.__name__} cannot be traced: it needs {entry.fallback}. Strict mode "
            "forbids running it eagerly. Make the control flow independent of array "
            "values (e.g. nd.where instead of if, a fixed loop count), or pass the value "
            "as a static argument; or turn strict mode off.")
    key = (id(f), entry.fallback)
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(f"tracegrad.jit: {f.__name__} runs eagerly (not compiled) because "
                      f"it needs {entry.fallback}. See {f.__name__}.explain().",
                      FallbackWarning, stacklevel=4)


def _log(f: Jitted, line: str) -> None:
    """Append to ``f``'s ledger, keeping its latest ``ledger_limit`` lines."""
    f.ledger.append(line)
    if len(f.ledger) > f.ledger_limit:
        del f.ledger[0]
        f.ledger_dropped += 1

def _bound_cache(f: Jitted) -> None:
    """Warn once past recompile_warn_at signatures; keep at most cache_limit."""
    if f.traces > f.recompile_warn_at and not f.recompile_warned:
        f.recompile_warned = True
        warnings.warn(recompile_message(f), RecompileWarning, stacklevel=5)
    while len(f.cache) > f.cache_limit:
        old = next(iter(f.cache))
        gone = f.cache.pop(old)
        f.evicted += 1
        f._fast = {k: h for k, h in f._fast.items() if h.entry is not gone}
        if f.last_signature == old:
            f.last_signature = None


def recompile_message(f: Jitted) -> str:
    """The RecompileWarning's text: how many signatures, and what keeps changing."""
    top = ", ".join(f"{what} ({n} times)" for what, n in f.changes.most_common(2))
    return (f"tracegrad.{f.kind}: {f.__name__} has been traced for {f.traces} different "
            f"signatures (each costs a trace and memory; at most {f.cache_limit} are kept). "
            f"What keeps changing: {top or 'unknown'}. A Python int is part of the "
            "signature by value: pass a value that varies as an array or a float (a traced "
            f"input) instead. See {f.__name__}.explain().")


def jit(fun: Callable | None = None, static_argnums: Sequence[int] | int = (),
        strict: bool | None = None) -> Any:
    """Compile ``fun`` per input signature. Usable as ``@jit`` or ``@jit(static_argnums=...)``.

    Examples
    --------
    >>> import tracegrad
    >>> from tracegrad import nd
    >>> f = tracegrad.jit(lambda x: (x * x).sum())
    >>> f(nd.array([1.0, 2.0]))
    <BLANKLINE>
    [5.]
    <NDArray 1 @cpu(0)>
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if fun is None:
        return lambda f: Jitted(f, static_argnums, strict)
    return Jitted(fun, static_argnums, strict)


def make_ir(fun: Callable, static_argnums: Sequence[int] = ()) -> Callable[..., Graph]:
    """``make_ir(f)(*args)`` is the IR graph of ``f`` traced on those arguments.

    Examples
    --------
    >>> import tracegrad
    >>> from tracegrad import nd
    >>> print(tracegrad.make_ir(lambda x: 2 * nd.dot(x.T, x))(nd.ones((4, 1))))
    { lambda ; a:f32[4,1]. let
        b:f32[1,4] = transpose[axes=(1, 0)] a
        c:f32[1,1] = matmul b a
        d:f32[1,1] = mul 2.0:f32[] c
      in (d) }
    """
    def build(*args: Any) -> Graph:
        return Jitted(fun, static_argnums, strict=True).lower(*args).ir

    return build


def cache_info() -> dict[str, int]:
    """Process-wide counters: traces, compiles (numba compilations), hits (cached calls),
    disk_hits (kernels loaded from numba's disk cache), fallbacks.

    >>> import tracegrad
    >>> sorted(tracegrad.cache_info())
    ['compiles', 'disk_hits', 'fallbacks', 'hits', 'traces']
    """
    info = {k: int(STATS.get(k, 0)) for k in ("traces", "hits", "fallbacks")}
    info["hits"] += sum(cell[0] for cell in _LIVE_FAST_HITS)
    info.update(compile_stats())
    return info
