"""``jit``, ``grad``, ``value_and_grad`` and ``make_ir``: Python functions as compiled graphs.

A call looks up its *signature* (tree structure, shapes, dtypes, static values, training
mode). A new signature is traced into a graph, differentiated if asked, optimised and turned
into an executable, all cached. If tracing needs a concrete value (Python control flow on
data), the signature is marked as falling back: it runs eagerly, op by op, from then on, and
the ledger (``explain()``) says where and why.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
import warnings
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from tracegrad._compiler.frontend.autodiff import vjp_graph
from tracegrad._compiler.core import ShapedArray
from tracegrad._compiler.errors import ConcretizationError
from tracegrad._compiler.executor import STATS, call, executable, source_of
from tracegrad._compiler.frontend.interpreter import eval_graph
from tracegrad._compiler.ir import Graph
from tracegrad._compiler.opt import optimize
from tracegrad._compiler.frontend.tracing import trace
from tracegrad import state, tree
from tracegrad.config import config
from tracegrad.errors import FallbackWarning, StrictModeError
from tracegrad.ndarray import NDArray, _wrap, apply
from tracegrad.state import FLAGS

log = logging.getLogger("tracegrad")


@dataclass
class Entry:
    """What one signature compiled to (or why it fell back)."""

    signature: tuple
    graph: Graph | None = None  # as traced (with gradients for grad/value_and_grad)
    optimized: Graph | None = None
    out_tree: Any = None
    fallback: str = ""  # reason, e.g. "asscalar() at seed.py:12"
    trace_seconds: float = 0.0
    calls: int = 0
    tiers: dict[str, int] = field(default_factory=dict)


@dataclass
class Lowered:
    """The stages of one signature: ``ir`` as traced, ``fused_ir`` after the passes,
    ``source`` the code that runs."""

    ir: Graph
    fused_ir: Graph
    source: str


_WARNED: set[tuple[int, str]] = set()
_LIVE_FAST_HITS: list[list[int]] = []  # the fast-hit cells of live Jitted objects


def _retire(cell: list[int]) -> None:
    STATS["hits"] += cell[0]
    for i, c in enumerate(_LIVE_FAST_HITS):
        if c is cell:  # by identity: two cells may hold equal counts
            del _LIVE_FAST_HITS[i]
            break


def _leaf_spec(x: Any) -> tuple:
    if isinstance(x, NDArray):
        return ("a", x.shape, np.dtype(x._data.dtype).name)
    if isinstance(x, np.ndarray):
        return ("a", x.shape, x.dtype.name)
    if isinstance(x, float):
        return ("a", (), "float32")  # Python floats are traced as weak float32 scalars
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"jit: the argument {x!r} of type {type(x).__name__} is neither an "
                        "array nor hashable. Pass arrays, Python numbers, or hashable static "
                        "values (tuples, not lists, inside static arguments).") from None
    return ("s", x)  # ints, strings, ...: part of the signature by value


def _raw(x: Any) -> Any:
    if isinstance(x, NDArray):
        return x._data
    if isinstance(x, float):
        return np.float32(x)
    return x


class Jitted:
    """A function compiled per input signature. Made by :func:`jit`, :func:`grad` and
    :func:`value_and_grad`."""

    def __init__(self, fun: Callable, static_argnums: Sequence[int] = (),
                 strict: bool | None = None, mode: str = "jit",
                 argnums: int | Sequence[int] = 0) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums = tuple(static_argnums)
        self.strict = strict
        self.mode = mode
        self.argnums = argnums
        self.cache: dict[tuple, Entry] = {}
        self.ledger: list[str] = []
        self.hits = 0
        self.last_signature: tuple | None = None
        # Cached calls whose arguments are all plain NDArrays skip the general signature:
        # ((shape, dtype, buffer type) per argument) -> (training flag, entry, exe, finish)
        self._fast: dict[tuple, tuple] = {}
        # fast-path hits, in a cell that outlives this object: when it is collected, its
        # count moves into the process-wide counters, so cache_info() never goes down
        self._fast_hits = [0]
        _LIVE_FAST_HITS.append(self._fast_hits)
        weakref.finalize(self, _retire, self._fast_hits)

    # -- signatures ------------------------------------------------------------------------
    def _split(self, args: tuple) -> tuple[list, list, tuple]:
        """(dynamic leaves, per-arg leaf ranges and trees, static values)."""
        n = len(args)
        for i in self.static_argnums:
            if not -n <= i < n:
                raise ValueError(f"static_argnums {i} is out of range for {n} arguments")
        static_pos = {i % n for i in self.static_argnums}
        statics = tuple(args[i] for i in sorted(static_pos))
        try:
            hash(statics)
        except TypeError:
            raise TypeError("jit: static arguments must be hashable (they are part of the "
                            f"cache key); got {statics!r}. Use tuples instead of lists.") from None
        leaves: list = []
        layout = []
        for i, a in enumerate(args):
            if i in static_pos:
                layout.append(None)
                continue
            ls, td = tree.flatten(a, is_leaf=lambda x: isinstance(x, NDArray))
            layout.append((len(leaves), len(leaves) + len(ls), td))
            leaves.extend(ls)
        return leaves, layout, statics

    def _signature(self, args: tuple) -> tuple:
        leaves, layout, statics = self._split(args)
        specs = tuple(_leaf_spec(x) for x in leaves)
        layout_key = tuple(None if s is None else s[2] for s in layout)
        return (layout_key, specs, statics, state.is_training()), leaves, layout

    def _wrt(self, layout: list, leaves: list) -> list[int]:
        argnums = (self.argnums,) if isinstance(self.argnums, int) else tuple(self.argnums)
        n = len(layout)
        out = []
        for k in argnums:
            if not -n <= k < n:
                raise ValueError(f"argnums {k} is out of range for a function called with "
                                 f"{n} arguments")
            if layout[k % n] is None:
                raise ValueError(f"argnums {k} names a static argument; it has no gradient")
            lo, hi, _ = layout[k % n]
            out.extend(range(lo, hi))
        return out

    # -- tracing ---------------------------------------------------------------------------
    def _trace(self, sig: tuple, args: tuple, leaves: list, layout: list) -> Entry:
        entry = Entry(sig)
        specs = sig[1]
        dyn = [i for i, s in enumerate(specs) if s[0] == "a"]
        avals = [ShapedArray(specs[i][1], np.dtype(specs[i][2])) for i in dyn]
        out_tree: list = [None]

        def traced(*tracers: Any) -> list:
            full = list(leaves)
            for i, t in zip(dyn, tracers):
                full[i] = _wrap(t)
            call_args = self._rebuild(args, layout, full)
            out = self.fun(*call_args)
            outs, out_tree[0] = tree.flatten(out, is_leaf=lambda x: isinstance(x, NDArray))
            return [o._data if isinstance(o, NDArray) else o for o in outs]

        t0 = time.perf_counter()
        STATS["traces"] += 1
        try:
            with state.pause(train_mode=sig[3]):
                graph = trace(traced, avals)
        except ConcretizationError as err:
            entry.fallback = f"{err.reason or 'a concrete value'} at {err.source}"
            entry.trace_seconds = time.perf_counter() - t0
            return entry
        if self.mode != "jit":
            wrt = [dyn.index(i) for i in self._wrt(layout, leaves) if i in dyn]
            graph = vjp_graph(graph, wrt, seed="ones", keep_outputs=self.mode == "value_and_grad")
        entry.graph = graph
        entry.out_tree = out_tree[0]
        entry.optimized = optimize(graph)
        entry.trace_seconds = time.perf_counter() - t0
        if config.debug:
            log.debug("traced %s:\n%s", self.__name__, graph)
            if config.debug >= 2:
                log.debug("optimised:\n%s", entry.optimized)
            if config.debug >= 3:
                log.debug("source:\n%s", source_of(entry.optimized))
        return entry

    @staticmethod
    def _rebuild(args: tuple, layout: list, leaves: list) -> list:
        out = []
        for a, spec in zip(args, layout):
            out.append(a if spec is None else tree.unflatten(spec[2], leaves[spec[0]:spec[1]]))
        return out

    def _entry(self, args: tuple) -> tuple[Entry, list, list]:
        sig, leaves, layout = self._signature(args)
        entry = self.cache.get(sig)
        if entry is None:
            reason = self._why_new(sig)
            entry = self._trace(sig, args, leaves, layout)
            self.cache[sig] = entry
            what = f"fell back ({entry.fallback})" if entry.fallback else \
                f"traced in {entry.trace_seconds * 1e3:.1f} ms"
            self.ledger.append(f"signature #{len(self.cache)} {_sig_text(sig)}: {reason}; {what}")
            if entry.fallback:
                STATS["fallbacks"] += 1
        else:
            self.hits += 1
            STATS["hits"] += 1
        self.last_signature = sig
        return entry, leaves, layout

    def _why_new(self, sig: tuple) -> str:
        if not self.cache:
            return "first call"
        prev = self.last_signature or next(iter(self.cache))
        parts = ("argument structure", "shapes/dtypes", "static arguments", "training mode")
        changed = [p for p, a, b in zip(parts, prev, sig) if a != b]
        if changed == ["shapes/dtypes"]:
            diffs = [f"leaf {i}: {_spec_text(a)} -> {_spec_text(b)}"
                     for i, (a, b) in enumerate(zip(prev[1], sig[1])) if a != b]
            return "new " + ", ".join(diffs)
        return "changed " + ", ".join(changed)

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, *args: Any) -> Any:
        if self._fast:
            found = _fast_key(args)
            hit = self._fast.get(found[0]) if found is not None else None
            if hit is not None:
                leaves = found[1]
                recording, training = FLAGS.get()
                if hit[0] == training and not (recording and any(
                        a._node is not None for a in leaves)):
                    self._fast_hits[0] += 1  # cache_info() adds these up
                    hit[1].calls += 1
                    return hit[3](hit[2]([a._data for a in leaves]))
        return self._call(args)

    def _remember_fast(self, args: tuple, entry: Entry, exe: Any, layout: list) -> None:
        exe = getattr(exe, "fast", exe)  # a tiered executable: only once it has switched
        found = _fast_key(args)
        if exe is None or self.static_argnums or found is None:
            return
        if self.mode == "jit" and entry.out_tree == "*":
            def finish(outs: list) -> Any:
                return _wrap(outs[0])
        else:
            def finish(outs: list) -> Any:
                return self._structure([_wrap(o) for o in outs], entry, layout)
        self._fast[found[0]] = (entry.signature[3], entry, exe, finish)

    def _call(self, args: tuple) -> Any:
        entry, leaves, layout = self._entry(args)
        entry.calls += 1
        if entry.fallback:
            self._on_fallback(entry)
            entry.tiers["eager"] = entry.tiers.get("eager", 0) + 1
            return self._eager(args, leaves, layout)
        dyn = [x for x, s in zip(leaves, entry.signature[1]) if s[0] == "a"]
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
        if self.mode == "jit":
            return tree.unflatten(entry.out_tree, outs)
        n_val = 1 if self.mode == "value_and_grad" else 0
        grads = self._grad_tree(layout, outs[n_val:])
        return (tree.unflatten(entry.out_tree, outs[:1]), grads) if n_val else grads

    def _grad_tree(self, layout: list, grads: list) -> Any:
        argnums = (self.argnums,) if isinstance(self.argnums, int) else tuple(self.argnums)
        per_arg, k = [], 0
        for a in argnums:
            lo, hi, td = layout[a % len(layout)]
            per_arg.append(tree.unflatten(td, grads[k:k + hi - lo]))
            k += hi - lo
        return per_arg[0] if isinstance(self.argnums, int) else tuple(per_arg)

    def _on_fallback(self, entry: Entry) -> None:
        strict = config.strict if self.strict is None else self.strict
        if strict:
            raise StrictModeError(
                f"{self.__name__} cannot be traced: it needs {entry.fallback}. Strict mode "
                "forbids running it eagerly. Make the control flow independent of array "
                "values (e.g. nd.where instead of if, a fixed loop count), or pass the value "
                "as a static argument; or turn strict mode off.")
        key = (id(self), entry.fallback)
        if key not in _WARNED:
            _WARNED.add(key)
            warnings.warn(f"tracegrad.jit: {self.__name__} runs eagerly (not compiled) because "
                          f"it needs {entry.fallback}. See {self.__name__}.explain().",
                          FallbackWarning, stacklevel=4)

    def _eager(self, args: tuple, leaves: list, layout: list) -> Any:
        if self.mode == "jit":
            return self.fun(*args)
        from tracegrad import autograd

        wrt = self._wrt(layout, leaves)
        full = list(leaves)
        outer = state.is_recording()
        with autograd.record():
            for i in wrt:
                x = full[i]
                if isinstance(x, NDArray) and x._node is not None and outer:
                    full[i] = x * 1.0  # differentiate through the outer graph as well
                else:
                    full[i] = NDArray(np.array(_raw(x)))
                    full[i].attach_grad()
            out = self.fun(*self._rebuild(args, layout, full))
        outs, out_tree = tree.flatten(out, is_leaf=lambda x: isinstance(x, NDArray))
        if len(outs) != 1 or outs[0].size != 1:
            raise ValueError(f"grad needs {self.__name__} to return one array of size 1, got "
                             f"{[getattr(o, 'shape', o) for o in outs]}")
        with (autograd.record() if outer else state.pause()):
            grads = autograd.grad(outs[0], [full[i] for i in wrt], create_graph=outer)
        g = self._grad_tree(layout, grads)
        return (tree.unflatten(out_tree, outs), g) if self.mode == "value_and_grad" else g

    @property
    def fast_hits(self) -> int:
        return self._fast_hits[0]

    # -- introspection ---------------------------------------------------------------------
    def lower(self, *args: Any) -> Lowered:
        """The traced IR, the optimised (fused) IR and the source for these arguments."""
        entry, _, _ = self._entry(args)
        if entry.fallback:
            raise StrictModeError(f"{self.__name__} cannot be traced for these arguments: it "
                                  f"needs {entry.fallback}")
        assert entry.graph is not None and entry.optimized is not None
        return Lowered(entry.graph, entry.optimized, source_of(entry.optimized))

    def explain(self) -> str:
        """A report: signatures traced and why, cache hits, fallbacks and their lines,
        which tier served the calls, and time spent tracing."""
        lines = [f"tracegrad.{self.mode}({self.__name__}): {len(self.cache)} signature(s), "
                 f"{self.hits + self.fast_hits} cache hit(s) ({self.fast_hits} on the fast "
                 "path, not broken down by tier below)"]
        lines += ["  " + s for s in self.ledger]
        for k, e in enumerate(self.cache.values(), 1):
            tiers = ", ".join(f"{n} {t}" for t, n in sorted(e.tiers.items())) or "no calls"
            lines.append(f"  #{k}: {e.calls} call(s) ({tiers}); trace "
                         f"{e.trace_seconds * 1e3:.1f} ms")
            exe = e.optimized.cache.get("exe") if e.optimized is not None else None
            log = getattr(getattr(exe, "fast", exe), "compile_log", None)
            if log is not None:
                built = [x for x in log if not x[3]]
                lines.append(f"      numba: {len(built)} kernel(s) compiled in "
                             f"{sum(x[2] for x in built):.2f} s, {len(log) - len(built)} "
                             "loaded from the disk cache, the rest reused from memory")
            if e.fallback:
                lines.append(f"      FALLBACK to eager: needs {e.fallback}. To compile it, "
                             "avoid Python control flow on array values (use nd.where, "
                             "fixed loop counts, static arguments).")
        return "\n".join(lines)


def _fast_key(args: tuple) -> tuple[tuple, list] | None:
    """(key, NDArray leaves) when the arguments are NDArrays or flat lists/tuples of them:
    the common case gets a cache key without the general signature machinery."""
    key: list = []
    leaves: list = []
    for a in args:
        if type(a) is NDArray:
            d = a._data
            key.append((d.shape, d.dtype, type(d)))
            leaves.append(a)
        elif type(a) is list or type(a) is tuple:
            key.append((type(a), len(a)))
            for b in a:
                if type(b) is not NDArray:
                    return None
                d = b._data
                key.append((d.shape, d.dtype, type(d)))
                leaves.append(b)
        else:
            return None
    return tuple(key), leaves


def _spec_text(spec: tuple) -> str:
    if spec[0] == "a":
        return f"{spec[2]}{list(spec[1])}"
    return repr(spec[1])


def _sig_text(sig: tuple) -> str:
    text = "(" + ", ".join(_spec_text(s) for s in sig[1]) + ")"
    if sig[2]:
        text += f" static={sig[2]!r}"
    return text + (" training" if sig[3] else "")


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


def grad(fun: Callable, argnums: int | Sequence[int] = 0,
         static_argnums: Sequence[int] = ()) -> Jitted:
    """The gradient of a function returning one array of size 1, compiled like ``jit``.

    Examples
    --------
    >>> import tracegrad
    >>> from tracegrad import nd
    >>> df = tracegrad.grad(lambda x: (x ** 3).sum())
    >>> df(nd.array([1.0, 2.0])).asnumpy().tolist()
    [3.0, 12.0]
    """
    return Jitted(fun, static_argnums, mode="grad", argnums=argnums)


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0,
                   static_argnums: Sequence[int] = ()) -> Jitted:
    """``(fun(*args), grad(fun)(*args))`` from one compiled graph.

    Examples
    --------
    >>> import tracegrad
    >>> from tracegrad import nd
    >>> v, g = tracegrad.value_and_grad(lambda x: (x * x).sum())(nd.array([1.0, 2.0]))
    >>> v.asnumpy().tolist(), g.asnumpy().tolist()
    ([5.0], [2.0, 4.0])
    """
    return Jitted(fun, static_argnums, mode="value_and_grad", argnums=argnums)


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
    info.update(compiles=0, disk_hits=0)
    driver = "tracegrad._compiler.backends.numba_cpu.driver"
    if driver in sys.modules:  # numba has been used in this process
        info.update(sys.modules[driver].compile_stats())
    return info
