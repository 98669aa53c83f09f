"""Kernel source generation: a fused :class:`~compiler.fusion.Kernel` becomes Python source
for numba.

The source depends on the kernel's structure only — primitives, dtypes, ranks, which
dimensions are broadcast — never on sizes, which are arguments (``s0, s1, ...``). Two graphs
that differ only in sizes therefore produce the same source, and the compiled kernel is
reused. Each source defines the same body twice, ``kernel_serial`` and ``kernel_parallel``
(``prange`` over chunks), compiled lazily, each on first use.

Layout of a kernel with outer axes (e.g. rows) and inner axes (reduced, e.g. columns)::

    for c in prange(nchunks):              # chunks of the flattened outer index
        for o in range(lo, hi):
            <outer indices from o>
            for each phase: inner loops (reductions accumulate, stores)
            <cross-outer accumulators per chunk>
    <combine chunk partials, epilogue scalars>

A kernel without outer axes (a full reduction, or rank-1 elementwise work) instead splits its
first inner axis into chunks, one parallel loop per phase. Index arithmetic is unsigned
(``u0 = np.uint64(s0)``), so array accesses need no negative-index checks.

Accumulators and dtypes are the lowering's (:func:`.lowering.accumulator`: float32 sums add
float32 partials per block, folded into float64). float16 values are float32 inside a kernel.
On CPUs where :mod:`.target` prefers wider vectors than LLVM's tuning, each parallel chunk's
body starts with ``prefer_vector_width(512)``, which marks the function it is compiled into.

Pieces: :mod:`.layout` analyses the kernel, :mod:`.loops` writes its loop nests,
:mod:`.lowering` the scalar code of each primitive; this module names values and assembles
the source.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...ir import Eqn, Literal, Var
from ...schedule.fusion import REDUCTIONS, Kernel
from . import lowering, target
from .emitter import Emitter
from .layout import KernelLayout, analyse
from .loops import write_loops

# generated kernels import the runtime by its real module name (tracegrad._compiler... once
# installed), never through a top-level name that the user's folder could shadow
kernel_rt_module = __name__.rpartition(".")[0] + ".kernel_rt"


class KernelWriter:
    """The names and scalar code of one kernel's values, written into an :class:`Emitter`.

    Values are scalars recomputed wherever they are needed; within one block a value is
    computed once (the emitter's known values)."""

    def __init__(self, k: Kernel, layout: KernelLayout) -> None:
        self.k = k
        self.layout = layout
        self.em = Emitter()
        self.in_names = {id(v): f"x{i}" for i, v in enumerate(k.inputs)}
        self.out_names = {id(v): f"y{i}" for i, v in enumerate(k.outputs)}
        self.consts: dict[tuple[str, str], str] = {}  # (repr(value), dtype) -> C<n>
        self.names: dict[int, str] = {}  # id(var) -> v<n>, the same in every block
        width = target.preferred_vector_width()
        self.chunk_hint = f"prefer_vector_width({width})" if width else None

    def const(self, value: Any, dtype: Any) -> str:
        if np.dtype(dtype).name == "float16":  # computed in float32, with float16's value
            value, dtype = float(np.float16(value)), "float32"
        key = (repr(float(value)), np.dtype(dtype).name)
        if key not in self.consts:
            self.consts[key] = f"C{len(self.consts)}"
        return self.consts[key]

    def const_values(self) -> list[tuple[float, str]]:
        """(value, dtype name) of each constant argument ``C0, C1, ...``, in order."""
        return [(float(val), dt) for (val, dt) in self.consts]

    def tmp(self, v: Var) -> str:
        if id(v) not in self.names:
            self.names[id(v)] = f"v{len(self.names)}"
        return self.names[id(v)]

    def index(self, v: Var) -> str:
        m = self.k.maps[id(v)]
        if not m:
            return "0"
        return ", ".join(f"i{a}" if a is not None else "0" for a in m)

    def value(self, a: Any) -> str:
        """The scalar name of atom ``a`` here, emitting its computation (and that of every
        operand not yet known) if not yet known.

        A depth-first walk with an explicit stack, in the order a recursive walk would take
        (operands left to right, each fully computed before the next; constants named when
        reached), so that a kernel with a chain of thousands of operations does not exhaust
        Python's recursion limit."""
        known = self.em.known
        if isinstance(a, Literal):
            return self.const(a.value, a.aval.dtype)
        if id(a) in known:
            return known[id(a)]
        # frames: [var, its equation (None: a kernel input), operand names so far]
        stack: list[tuple[Var, Eqn | None, list[str]]] = [self._frame(a)]
        while True:
            v, e, names = stack[-1]
            if e is not None and len(names) < len(e.invars):
                x = e.invars[len(names)]
                if isinstance(x, Literal):
                    names.append(self.const(x.value, x.aval.dtype))
                elif id(x) in known:
                    names.append(known[id(x)])
                else:
                    stack.append(self._frame(x))
                continue
            stack.pop()
            name = self._emit(v, e, names)
            known[id(v)] = name
            if not stack:
                return name
            stack[-1][2].append(name)

    def _frame(self, v: Var) -> tuple[Var, Eqn | None, list[str]]:
        if id(v) in self.in_names:
            return v, None, []
        e = self.layout.producer[id(v)]
        if e.prim.name in REDUCTIONS and not self.layout.is_noop(e):
            raise AssertionError(f"reduction result {v} used before its loop finished")
        return v, e, []

    def _emit(self, v: Var, e: Eqn | None, args: list[str]) -> str:
        """Emit the computation of ``v`` from its operands' names; returns its name."""
        if e is None:  # a kernel input: load it (float16 as float32)
            name = self.tmp(v)
            load = f"{self.in_names[id(v)]}[{self.index(v)}]"
            if v.aval.dtype.name == "float16":  # its bits (see kernel_arguments)
                load = f"from_f16_bits({load})"
            self.em.line(f"{name} = {load}")
            return name
        if e.prim.name in REDUCTIONS:  # over size-1 axes only: its input's value
            return args[0]
        name = self.tmp(v)
        self.em.line(f"{name} = {lowering.expression(e, args, self.const)}")
        return name

    def store(self, v: Var) -> None:
        name = self.value(v)
        if v.aval.dtype.name == "float16":
            name = f"to_f16_bits({name})"
        self.em.line(f"{self.out_names[id(v)]}[{self.index(v)}] = {name}")

    def finalize(self, e: Eqn, acc: str) -> None:
        """Reduction ``e``'s result from its accumulator ``acc``, in its dtype."""
        v = e.outvars[0]
        name = self.tmp(v)
        self.em.line(f"{name} = {lowering.np_type(v.aval.dtype)}({acc})")
        self.em.known[id(v)] = name

    def store_between(self, p: int) -> None:
        for v in self.layout.between[p]:
            self.store(v)

    def store_epilogue(self) -> None:
        for v in self.layout.epilogue:
            self.store(v)


def kernel_source(k: Kernel) -> tuple[str, list[tuple[float, str]]]:
    """The kernel's source and the (value, dtype) of its constant arguments."""
    layout = analyse(k)
    w = KernelWriter(k, layout)
    write_loops(w)
    body = Emitter()
    # Indices are unsigned: numba then omits the negative-index wraparound select on every
    # array access, which made the fused softplus loop 1.7x slower (measured).
    for a in range(len(k.shape)):
        body.line(f"u{a} = np.uint64(s{a})")
    body.line("nch = np.uint64(nchunks)")
    # constants arrive as Python floats (cheap for numba to type) and are cast here
    for (_, dt), name in w.consts.items():
        body.line(f"{name} = np.{dt}({name.lower()})")
    body.extend(w.em)
    # Constants are arguments, not part of the source: a value that depends on a size
    # (1/batch in a mean) must not make a new kernel for a new batch size.
    args = [w.in_names[id(v)] for v in k.inputs] + [w.out_names[id(v)] for v in k.outputs] + \
        [f"s{a}" for a in range(len(k.shape))] + ["nchunks"] + \
        [name.lower() for name in w.consts.values()]
    pattern = "(" + ", ".join("1" if n == 1 else "n" for n in k.shape) + ")"
    src = Emitter()
    src.line(f"# kernel over shape pattern {pattern}, inner axes {list(layout.inner)}")
    src.line("import numpy as np")
    src.line("from numba import prange")
    src.line(f"from {kernel_rt_module} import *  # noqa: F403")
    src.line("")
    for variant in ("serial", "parallel"):
        with src.block(f"def kernel_{variant}({', '.join(args)}):"):
            src.extend(body)
        src.line("")
    return "\n".join(src.render()), w.const_values()


def kernel_arguments(k: Kernel, consts: list[tuple[float, str]]) -> tuple:
    """(array (dtype, ndim) pairs, number of int arguments, constant dtypes) of a kernel;
    constants are passed as float64 and cast inside the kernel. float16 arrays are passed as
    their uint16 bits (numba's CPU target has no float16; ``target.call_adapter`` makes the
    views)."""
    arrays = [("uint16" if v.aval.dtype.name == "float16" else v.aval.dtype.name,
               max(len(v.aval.shape), 1)) for v in k.inputs + k.outputs]
    return arrays, len(k.shape) + 1, ["float64" for _ in consts]


def wants_parallel(plan: Any, k: Kernel) -> bool:
    """Whether kernel ``k`` of ``plan`` runs its parallel variant (see settings)."""
    from ... import settings

    total = int(np.prod(k.shape, dtype=np.int64))
    blas = any(getattr(s, "prim", None) is not None and s.prim.kind == "contraction"
               for s in plan.steps)
    return total >= max(settings.parallel_min, settings.parallel_min_with_blas if blas else 0)
