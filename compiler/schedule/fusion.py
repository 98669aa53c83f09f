"""Fusion: group a graph's equations into kernels, one loop nest each.

A kernel has an iteration shape ``S`` and, if it reduces, one set of *inner* axes ``A``. Its
loops run over the *outer* axes (the rest of S, in parallel) and, inside, over the inner
axes once per *phase*: a reduction's result is known only after its phase's loop, so the
values that use it are computed in the next one. Values are scalars in the loop body and are
recomputed wherever they are needed, so only the kernel's outputs touch memory.

Every value of a kernel is described by its *axis map*: for each of its dimensions, the axis
of S it runs along (``None`` for a size-1 dimension). That covers broadcasting, keepdims and
``reshape`` calls that only add or drop size-1 dimensions.

Which values are stored: graph outputs, and values read by an equation outside the kernel —
unless that consumer's kernel can recompute the value from the same inputs (a short chain of
elementwise operations), which is cheaper than a round trip through memory.

Decisions (see docs/design.md): a group only grows forward (an equation joins the group of
one of its producers); it stays convex (no path leaves the group and comes back); reductions
in one kernel share their inner axes, except reductions of per-row values down to a scalar
("cross-outer", e.g. the mean over a batch of row losses), which accumulate per thread.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..ir import Eqn, Graph, Literal, Var

REDUCTIONS = ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod")
MAX_RECOMPUTE = 6  # longest elementwise chain a consumer kernel recomputes instead of loading

AxisMap = tuple  # per dimension: an axis of S, or None for a size-1 dimension


@dataclass
class Kernel:
    """A fused group. ``eqns`` are in graph order; an equation may belong to several kernels
    (recomputation)."""

    name: str
    shape: tuple[int, ...]
    eqns: list[Eqn] = field(default_factory=list)
    maps: dict[int, AxisMap] = field(default_factory=dict)  # id(var) -> axis map
    inner: tuple[int, ...] | None = None  # the reduced axes of S, once a reduction joined
    phase: dict[int, int] = field(default_factory=dict)  # id(var) -> loop pass it is known in
    is_global: dict[int, bool] = field(default_factory=dict)  # known only after all loops
    inputs: list[Var] = field(default_factory=list)
    outputs: list[Var] = field(default_factory=list)

    def produces(self, v: Any) -> bool:
        return isinstance(v, Var) and id(v) in self.phase

    def varying(self, v: Any) -> set[int]:
        """Axes of S along which a value changes."""
        if isinstance(v, Literal):
            return set()
        return {a for a in self.maps.get(id(v), ()) if a is not None}

    def default_inner(self) -> tuple[int, ...]:
        return (len(self.shape) - 1,) if self.shape else ()

    def loop_inner(self) -> tuple[int, ...]:
        return self.inner if self.inner is not None else self.default_inner()


@dataclass
class Plan:
    """The graph cut into steps, in order: kernels and single (unfused) equations."""

    graph: Graph
    steps: list[Kernel | Eqn]

    @property
    def kernels(self) -> list[Kernel]:
        return [s for s in self.steps if isinstance(s, Kernel)]

    def groups(self) -> dict[int, str]:
        """Equation index -> kernel name, for drawing clusters (``Graph.to_dot``)."""
        index = {id(e): i for i, e in enumerate(self.graph.eqns)}
        out: dict[int, str] = {}
        for k in self.kernels:
            for e in k.eqns:
                out.setdefault(index[id(e)], k.name)
        return out



# -- what can be fused ------------------------------------------------------------------------

def _is_float(aval: Any) -> bool:
    return np.dtype(aval.dtype).kind == "f"


def fusable(e: Eqn, can_fuse: Callable[[Eqn], bool]) -> bool:
    """Whether ``e`` fits the loop-nest model and the backend's ``can_fuse`` accepts it."""
    name = e.prim.name
    if not (e.prim.kind == "elementwise" or name in REDUCTIONS or name in ("broadcast_to",
                                                                             "reshape")):
        return False
    if e.prim.multiple_results or not can_fuse(e):
        return False
    if not all(_is_float(a.aval) for a in e.invars) or not _is_float(e.outvars[0].aval):
        return False
    if name == "reshape":
        return _squeeze_only(e.invars[0].aval.shape, e.outvars[0].aval.shape)
    return True


def _squeeze_only(a: tuple, b: tuple) -> bool:
    """A reshape that only adds or removes size-1 dimensions."""
    return [n for n in a if n != 1] == [n for n in b if n != 1]


# -- axis maps --------------------------------------------------------------------------------

def _right_aligned(shape: tuple, S: tuple) -> AxisMap | None:
    """The default map: NumPy's broadcasting against S."""
    off = len(S) - len(shape)
    if off < 0:
        return None
    out: list[int | None] = []
    for d, n in enumerate(shape):
        if n == 1:
            out.append(None)
        elif S[off + d] == n:
            out.append(off + d)
        else:
            return None
    return tuple(out)


def _input_map(k: Kernel, a: Any, out_map: AxisMap, out_shape: tuple) -> AxisMap | None:
    """Map of input ``a`` of an elementwise equation, right-aligned to its output."""
    if isinstance(a, Literal):
        return ()
    if id(a) in k.maps:
        return k.maps[id(a)]
    off = len(out_shape) - len(a.aval.shape)
    return tuple(None if n == 1 else out_map[off + d] for d, n in enumerate(a.aval.shape))


def output_map(k: Kernel, e: Eqn) -> AxisMap | None:
    """The axis map of ``e``'s output inside kernel ``k``, or None if it does not fit."""
    S = k.shape
    out_shape = tuple(e.outvars[0].aval.shape)
    name = e.prim.name
    if name in REDUCTIONS:
        x = e.invars[0]
        m = k.maps.get(id(x)) if isinstance(x, Var) else None
        if m is None:
            m = _right_aligned(tuple(x.aval.shape), S)
        if m is None:
            return None
        axes, keep = e.params["axes"], e.params["keepdims"]
        return tuple(None if d in axes else a for d, a in enumerate(m) if keep or d not in axes)
    if name == "reshape":
        x = e.invars[0]
        m = k.maps.get(id(x)) if isinstance(x, Var) else None
        if m is None:  # an external input takes its map from the output
            return _right_aligned(out_shape, S)
        big = iter([a for a, n in zip(m, x.aval.shape) if n != 1])
        return tuple(None if n == 1 else next(big) for n in out_shape)
    # elementwise and broadcast_to: each output dimension from an internal input, if any
    out: list[Any] = []
    off_s = len(S) - len(out_shape)
    for d, n in enumerate(out_shape):
        if n == 1:
            out.append(None)
            continue
        found = None
        for a in e.invars:
            if isinstance(a, Var) and id(a) in k.maps:
                j = d - (len(out_shape) - len(a.aval.shape))
                if j >= 0 and a.aval.shape[j] == n:
                    cand = k.maps[id(a)][j]
                    if found is not None and cand != found:
                        return None
                    found = cand
        if found is None:
            if off_s + d < 0 or S[off_s + d] != n:
                return None
            found = off_s + d
        out.append(found)
    return tuple(out)


# -- grouping ---------------------------------------------------------------------------------

def _try_join(k: Kernel, e: Eqn) -> bool:
    """Add ``e`` to kernel ``k`` if it fits; updates k's maps, phases and inner axes."""
    m = output_map(k, e)
    if m is None or len(m) != len(e.outvars[0].aval.shape):
        return False
    used = [a for a in m if a is not None]
    if len(used) != len(set(used)):  # two dimensions on one loop axis: only a diagonal
        return False                 # would be written (sizes that happen to be equal)
    for d, a in enumerate(m):
        if a is not None and k.shape[a] != e.outvars[0].aval.shape[d]:
            return False
    ins = [a for a in e.invars if isinstance(a, Var)]
    in_maps = {}
    for a in ins:
        im = k.maps.get(id(a))
        if im is None:  # external: its map must fit S too
            if e.prim.name in REDUCTIONS:
                im = _right_aligned(tuple(a.aval.shape), k.shape)
            elif e.prim.name == "reshape":
                big = iter([x for x in m if x is not None])
                im = tuple(None if n == 1 else next(big) for n in a.aval.shape)
            else:
                im = _input_map(k, a, m, tuple(e.outvars[0].aval.shape))
            if im is None:
                return False
        in_maps[id(a)] = im
    phase = max((k.phase.get(id(a), 0) for a in ins), default=0)
    glob = any(k.is_global.get(id(a), False) for a in ins)
    inner = k.inner
    if e.prim.name in REDUCTIONS:
        x = e.invars[0]
        xm = in_maps[id(x)]
        varying = {a for a in xm if a is not None}
        reduced = {xm[d] for d in e.params["axes"] if xm[d] is not None}
        if not reduced:
            pass  # over size-1 axes only: a no-op, no barrier
        elif glob:
            return False
        elif inner is None:
            inner = tuple(sorted(reduced))
            phase += 1
            glob = _covers(k.shape, inner)  # no outer loop: the result is a kernel scalar
        elif reduced == set(inner):
            phase += 1
            glob = _covers(k.shape, inner)
        elif not (varying & set(inner)) and reduced == varying:
            glob = True  # cross-outer: a per-row value summed over rows
        else:
            return False
    else:
        varying = {a for a in m if a is not None}
        if glob and varying and not (inner is not None and _covers(k.shape, inner)):
            return False  # needs a value known only after the outer loop
    # record
    for a in ins:
        k.maps.setdefault(id(a), in_maps[id(a)])
    k.maps[id(e.outvars[0])] = m
    k.phase[id(e.outvars[0])] = phase
    k.is_global[id(e.outvars[0])] = glob
    k.inner = inner
    k.eqns.append(e)
    return True


def _covers(shape: tuple, inner: tuple) -> bool:
    """True when the inner axes are all the axes of size > 1 (no outer loop)."""
    return all(a in inner or n == 1 for a, n in enumerate(shape))


def _domain(e: Eqn) -> tuple[int, ...]:
    if e.prim.name in REDUCTIONS:
        return tuple(e.invars[0].aval.shape)
    return tuple(e.outvars[0].aval.shape)


def fuse(graph: Graph, can_fuse: Callable[[Eqn], bool]) -> Plan:
    """Cut ``graph`` into kernels and unfused equations; ``can_fuse`` is the backend's say
    on which equations its loop bodies can compute.

    Convexity is checked on *units* (kernels and unfused equations): a value depends on the
    unit that computes it first and on everything that unit depends on. A kernel runs as a
    whole, so when it grows (an equation joins it, sibling fusion, recomputation) every unit
    that depends on it inherits its new dependencies at once. Dependencies recorded per value
    when the value was made went stale when its kernel later grew, and two kernels could end
    up reading each other's outputs (a cycle that no schedule can order).
    """
    producer: dict[int, tuple[Eqn, Kernel | None]] = {}  # id(var) -> (eqn, its kernel)
    unit_of: dict[int, Kernel | Eqn] = {}  # id(var) -> the unit that computes it first
    tdeps: dict[int, set[int]] = {}  # id(unit) -> kernels it depends on, transitively
    units: list[Kernel | Eqn] = []
    index = {id(e): i for i, e in enumerate(graph.eqns)}
    kernels: list[Kernel] = []
    steps: list[Kernel | Eqn] = []

    def var_deps(a: Any) -> set[int]:
        """The kernels ``a`` depends on (the one computing it included)."""
        u = unit_of.get(id(a)) if isinstance(a, Var) else None
        if u is None:
            return set()
        d = tdeps[id(u)]
        return d | {id(u)} if isinstance(u, Kernel) else d

    def grow(k: Kernel, new: set[int]) -> None:
        """``k`` now also depends on the kernels ``new``: so does everything that depends
        on ``k``."""
        add = new - tdeps[id(k)] - {id(k)}
        if not add:
            return
        tdeps[id(k)] |= add
        for u in units:
            d = tdeps[id(u)]
            if id(k) in d:
                d |= add

    def recomputable(e: Eqn) -> bool:
        return e.prim.kind == "elementwise" or e.prim.name in ("broadcast_to", "reshape")

    def cone(v: Any, limit: int = MAX_RECOMPUTE) -> list[Eqn] | None:
        """Elementwise equations of another kernel that compute ``v``, if few enough, in
        graph order (iterative: graphs can be thousands of equations deep)."""
        e, owner = producer.get(id(v), (None, None)) if isinstance(v, Var) else (None, None)
        if owner is None or e is None:
            return None
        found: dict[int, Eqn] = {}
        stack = [e]
        while stack:
            x = stack.pop()
            if id(x) in found:
                continue
            if not recomputable(x):
                return None
            found[id(x)] = x
            if len(found) > limit:
                return None
            for a in x.invars:
                if isinstance(a, Var):
                    p = producer.get(id(a))
                    if p is not None and p[1] is owner:
                        stack.append(p[0])
        return sorted(found.values(), key=lambda x: index[id(x)])

    def leaves_ok(c: list[Eqn], k: Kernel) -> bool:
        made = {id(x.outvars[0]) for x in c}
        return all(id(k) not in var_deps(a) or k.produces(a)
                   for x in c for a in x.invars if id(a) not in made)

    def try_kernel(k: Kernel, e: Eqn) -> bool:
        """Join e to k, recomputing inputs other kernels make cheaply; all or nothing (a
        trial copy of k is made only when something is recomputed: _try_join changes k only
        when it succeeds, and copying a large kernel per equation is quadratic)."""
        trial: Kernel | None = None
        joined = [e]
        for a in e.invars:
            if not isinstance(a, Var) or (trial or k).produces(a):
                continue
            if id(k) in var_deps(a):
                return False  # a path leaves k and comes back: not convex
            c = cone(a)
            if c and leaves_ok(c, k):
                for x in c:
                    if (trial or k).produces(x.outvars[0]):
                        continue
                    if trial is None:
                        trial = _copy(k)
                    if not _try_join(trial, x):
                        break
                    joined.append(x)
        if trial is None:
            if not _try_join(k, e):
                return False
        else:
            if not _try_join(trial, e):
                return False
            k.__dict__.update(trial.__dict__)
        grow(k, set().union(*[var_deps(a) for x in joined for a in x.invars
                              if isinstance(a, Var) and not k.produces(a)]))
        return True

    for e in graph.eqns:
        target = None
        if fusable(e, can_fuse):
            # the kernels computing most of e's inputs first, then larger ones; then kernels
            # over the same shape that e does not depend on (sibling fusion)
            made = [sum(k.produces(a) for a in e.invars) for k in kernels]
            order = sorted(range(len(kernels)), key=lambda i: (-made[i], -len(kernels[i].eqns)))
            for i in order:
                kk = kernels[i]
                if made[i] == 0 and kk.shape != _domain(e):
                    continue
                if try_kernel(kk, e):
                    target = kk
                    break
            if target is None:
                kk = Kernel(f"kernel{len(kernels)}", _domain(e))
                tdeps[id(kk)] = set()
                if try_kernel(kk, e):
                    target = kk
                    kernels.append(kk)
                    steps.append(kk)
                    units.append(kk)
                else:
                    del tdeps[id(kk)]
        if target is None:
            steps.append(e)
            units.append(e)
            tdeps[id(e)] = set().union(*[var_deps(a) for a in e.invars])
        for v in e.outvars:
            producer[id(v)] = (e, target)
            unit_of[id(v)] = target if target is not None else e
    # Equations join in the order they are met, but a recomputed one (a value read by an
    # earlier member, recomputed when a later member needed it) comes after its first user:
    # graph order is a topological order of every kernel, as its body and _prune need.
    for k in kernels:
        k.eqns.sort(key=lambda x: index[id(x)])
    plan = Plan(graph, steps)
    owner = {vid: k for vid, (_, k) in producer.items() if k is not None}
    _assign_io(plan, owner)
    plan.steps = _schedule([s for s in plan.steps if not isinstance(s, Kernel) or s.outputs])
    return plan


def _schedule(steps: list) -> list:
    """Order steps so that each runs after the producers of its inputs (kernels may have
    grown with equations from later in the graph), keeping graph order where free."""
    def ins_outs(s: Any) -> tuple[list, list]:
        if isinstance(s, Kernel):
            return s.inputs, s.outputs
        return [a for a in s.invars if isinstance(a, Var)], s.outvars

    made_by = {id(v): i for i, s in enumerate(steps) for v in ins_outs(s)[1]}
    waits = [{made_by[id(a)] for a in ins_outs(s)[0] if id(a) in made_by} - {i}
             for i, s in enumerate(steps)]
    users: list[list[int]] = [[] for _ in steps]
    for i, w in enumerate(waits):
        for j in w:
            users[j].append(i)
    left = [len(w) for w in waits]
    ready = [i for i, n in enumerate(left) if n == 0]
    heapq.heapify(ready)
    out: list[Any] = []
    while ready:
        i = heapq.heappop(ready)
        out.append(steps[i])
        for j in users[i]:
            left[j] -= 1
            if left[j] == 0:
                heapq.heappush(ready, j)
    if len(out) < len(steps):
        stuck = [getattr(steps[i], "name", None) or steps[i].prim.name
                 for i, n in enumerate(left) if n]
        raise AssertionError(f"fusion made a cycle between steps {stuck[:6]} (a compiler bug)")
    return out


def _copy(k: Kernel) -> Kernel:
    return Kernel(k.name, k.shape, list(k.eqns), dict(k.maps), k.inner, dict(k.phase),
                  dict(k.is_global))


def _prune(k: Kernel, graph_outs: set[int], readers: dict[int, set[int]]) -> None:
    """Drop equations of k whose values nobody needs (joined, then superseded)."""
    live: set[int] = set()
    kept = []
    for e in reversed(k.eqns):
        v = e.outvars[0]
        if id(v) in live or id(v) in graph_outs or readers.get(id(v), set()) - {id(k)}:
            kept.append(e)
            live.update(id(a) for a in e.invars if isinstance(a, Var))
    k.eqns = kept[::-1]


def _assign_io(plan: Plan, owner: dict[int, Kernel] | None = None) -> None:
    """Decide each kernel's inputs (read) and outputs (stored). ``owner`` maps a value to the
    kernel that computed it first (others may recompute it)."""
    readers: dict[int, set[int]] = {}  # id(var) -> steps that read it without computing it
    for s in plan.steps:
        eqns = s.eqns if isinstance(s, Kernel) else [s]
        made = {id(e.outvars[0]) for e in eqns} if isinstance(s, Kernel) else set()
        for e in eqns:
            for a in e.invars:
                if isinstance(a, Var) and id(a) not in made:
                    readers.setdefault(id(a), set()).add(id(s))
    graph_outs = {id(a) for a in plan.graph.outvars if isinstance(a, Var)}
    for k in plan.kernels:
        _prune(k, graph_outs, readers)
        produced = {id(v) for e in k.eqns for v in e.outvars}
        seen: set[int] = set()
        for e in k.eqns:
            for a in e.invars:
                if isinstance(a, Var) and id(a) not in produced and id(a) not in seen:
                    seen.add(id(a))
                    k.inputs.append(a)
        for e in k.eqns:
            v = e.outvars[0]
            if id(v) in graph_outs or readers.get(id(v)):
                if v not in k.outputs:
                    k.outputs.append(v)
    # A value stored by several kernels (recomputed and also needed elsewhere) is stored
    # once, by its owner: fusion checked convexity with the readers depending on the owner. A
    # kernel that only recomputes it may depend on one of those readers (a cycle if it stored
    # the value for them).
    owner = owner or {}
    stored: dict[int, Kernel] = {}
    for k in plan.kernels:
        for v in k.outputs:
            first = stored.get(id(v))
            if first is None or (owner.get(id(v)) is k and owner.get(id(v)) is not first):
                stored[id(v)] = k
    for k in plan.kernels:
        k.outputs = [v for v in k.outputs if stored[id(v)] is k]
