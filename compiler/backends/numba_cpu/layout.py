"""The loop structure of a fused kernel, analysed once before its source is written.

A kernel iterates over its shape. Axes of size 1 are not looped over. The *inner* axes are
the reduced ones (or the last axis when nothing reduces); the rest are *outer*. A reduction
is ``inner`` (accumulated in an inner loop nest), ``cross`` (a per-outer-iteration value
accumulated over the outer loop, e.g. the mean over a batch of row losses) or ``noop`` (over
size-1 axes only: its value is its input's). Inner loops run once per *phase*: a value that
needs an inner reduction's result is known only in the phase after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ...ir import Eqn, Var
from ...schedule.fusion import REDUCTIONS, Kernel
from .lowering import VMATH

Strategy = Literal["split", "columns", "outer"]


@dataclass(frozen=True)
class PassWork:
    """What the inner loop nest of one phase does: accumulate reductions, store outputs;
    with a row cache, first load the cached values of earlier phases (``load``) and save
    this phase's values that later phases need (``save``)."""

    reductions: tuple[Eqn, ...]
    stores: tuple[Var, ...]
    load: tuple[Var, ...] = ()
    save: tuple[Var, ...] = ()
    # values the pass needs that do not vary along the inner axes: computed once per outer
    # iteration, before the inner loops (outer strategy)
    hoist: tuple[Var, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.reductions or self.stores)


@dataclass(frozen=True)
class KernelLayout:
    """The analysis of one kernel (see the module docstring)."""

    inner: tuple[int, ...]
    outer: tuple[int, ...]
    # split: no outer axes, the first inner axis is cut into chunks (a full reduction, rank-1
    # work); columns: a reduction over the leading axes, run row by row; outer: the rest
    strategy: Strategy
    producer: Mapping[int, Eqn]  # id(var) -> the equation computing it
    reductions: Mapping[str, tuple[Eqn, ...]]  # 'inner' / 'cross' / 'noop' -> in graph order
    passes: tuple[PassWork, ...]  # per phase; len(passes) is the number of phases
    # per phase, outputs that do not vary along the inner axes and are known in that phase:
    # stored between the inner loop nests
    between: tuple[tuple[Var, ...], ...]
    epilogue: tuple[Var, ...]  # outputs known only after all loops (kernel scalars)
    shape: tuple[int, ...]  # the sizes the source is generated for

    @property
    def n_phases(self) -> int:
        return len(self.passes)

    def is_noop(self, e: Eqn) -> bool:
        return any(e is x for x in self.reductions["noop"])


def _kind(k: Kernel, inner: tuple[int, ...], e: Eqn) -> str:
    xm = k.maps[id(e.invars[0])]
    reduced = {xm[d] for d in e.params["axes"] if xm[d] is not None}
    if not reduced:
        return "noop"
    return "inner" if reduced & set(inner) else "cross"


def analyse(k: Kernel) -> KernelLayout:
    """The layout of kernel ``k``."""
    inner = tuple(a for a in k.loop_inner() if k.shape[a] != 1)
    outer = tuple(a for a in range(len(k.shape)) if a not in inner and k.shape[a] != 1)
    reductions: dict[str, list[Eqn]] = {"inner": [], "cross": [], "noop": []}
    for e in k.eqns:
        if e.prim.name in REDUCTIONS:
            reductions[_kind(k, inner, e)].append(e)

    def phase(v: Any) -> int:
        return k.phase.get(id(v), 0)

    def is_inner(v: Var) -> bool:
        return bool(k.varying(v) & set(inner))

    n_phases = 1 + max([phase(e.invars[0]) for e in reductions["inner"]] +
                       [phase(v) for v in k.outputs], default=0)
    passes = tuple(
        PassWork(tuple(e for e in reductions["inner"] if phase(e.invars[0]) == p),
                 tuple(v for v in k.outputs if is_inner(v) and phase(v) == p))
        for p in range(n_phases))
    between = tuple(
        tuple(v for v in k.outputs
              if not is_inner(v) and not k.is_global.get(id(v)) and phase(v) == p)
        for p in range(n_phases))
    epilogue = tuple(v for v in k.outputs if k.is_global.get(id(v)))
    strategy: Strategy = "outer"
    if not outer:
        strategy = "split"
    elif _columns_fit(k, inner, outer, reductions, passes):
        strategy = "columns"
    producer = {id(e.outvars[0]): e for e in k.eqns}
    if strategy == "outer":
        passes = _hoist(passes, producer, is_inner, k)
        if len(inner) == 1 and len(passes) > 1:
            passes = _row_cache(passes, producer, phase, is_inner)
    return KernelLayout(inner, outer, strategy, producer,
                        {kind: tuple(es) for kind, es in reductions.items()}, passes,
                        between, epilogue, tuple(k.shape))


def _columns_fit(k: Kernel, inner: tuple[int, ...], outer: tuple[int, ...],
                 reductions: dict[str, list[Eqn]], passes: tuple[PassWork, ...]) -> bool:
    """A reduction over leading axes (e.g. a bias gradient, summed over the batch): the outer
    loop would walk columns with a stride. If the kernel has one pass and one outer axis, the
    last, the loops can run row by row with a vector of accumulators."""
    if outer != (len(k.shape) - 1,) or inner != tuple(range(len(inner))):
        return False
    if reductions["cross"]:
        return False
    inner_outputs = [v for v in k.outputs if k.varying(v) & set(inner)]
    return bool(passes[0].reductions) and len(passes[0].stores) == len(inner_outputs) and \
        not any(passes[1:])


# Values worth keeping for a later phase rather than computing twice: the vectorised math
# functions. An exp costs ~0.4 ns per value, reloading it from a row still in L1 much less.
CACHED_PRIMS = frozenset(VMATH)


def _row_cache(passes: tuple[PassWork, ...], producer: Mapping[int, Eqn],
               phase: Any, is_inner: Any) -> tuple[PassWork, ...]:
    """With one inner axis, a row's expensive values (:data:`CACHED_PRIMS`) that an earlier
    phase computes and a later phase needs again go through a per-chunk row buffer: saved
    where first computed, loaded instead of recomputed (logsumexp's gradient needs
    exp(x - max) again after the sum that gave its scale)."""
    needed = [_needed(work, producer) for work in passes]
    save: list[list[Var]] = [[] for _ in passes]
    load: list[list[Var]] = [[] for _ in passes]
    for q, vars_q in enumerate(needed):
        for v in vars_q.values():
            e = producer.get(id(v))
            p = phase(v)
            if e is None or e.prim.name not in CACHED_PRIMS or not is_inner(v) or p >= q \
                    or id(v) not in needed[p]:
                continue
            load[q].append(v)
            if not any(v is x for x in save[p]):
                save[p].append(v)
    return tuple(PassWork(w.reductions, w.stores, tuple(load[i]), tuple(save[i]), w.hoist)
                 for i, w in enumerate(passes))


def _hoist(passes: tuple[PassWork, ...], producer: Mapping[int, Eqn], is_inner: Any,
           k: Kernel) -> tuple[PassWork, ...]:
    """Each pass's values that stay put along the inner axes (a row's max, log of its sum,
    its label), in graph order: computed before the pass's loops instead of in them. LLVM
    hoists most of them itself, but not out of the scalar remainder loop, which is all a
    row of 10 values (the MLP's logits) runs: the cross-entropy kernel took 0.15 ms for
    256x10."""
    order = {id(v): i for i, v in enumerate(k.inputs)}
    order.update({id(e.outvars[0]): len(order) + i for i, e in enumerate(k.eqns)})
    out = []
    for work in passes:
        needed = _needed(work, producer)
        hoist = sorted((v for v in needed.values() if not is_inner(v)
                        and (id(v) not in producer
                             or producer[id(v)].prim.name not in REDUCTIONS)),
                       key=lambda v: order.get(id(v), -1))
        out.append(PassWork(work.reductions, work.stores, work.load, work.save, tuple(hoist)))
    return tuple(out)


def _needed(work: PassWork, producer: Mapping[int, Eqn]) -> dict[int, Var]:
    """The variables a pass computes: those its reductions and stores depend on, up to the
    kernel's inputs and the results of reductions (known before the pass)."""
    seen: dict[int, Var] = {}
    stack = [e.invars[0] for e in work.reductions] + list(work.stores)
    while stack:
        v = stack.pop()
        if not isinstance(v, Var) or id(v) in seen:
            continue
        seen[id(v)] = v
        e = producer.get(id(v))
        if e is not None and e.prim.name not in REDUCTIONS:
            stack.extend(e.invars)
    return seen
