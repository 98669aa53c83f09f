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
            for each phase: inner loops (reductions accumulate in float64, stores)
            <cross-outer accumulators per chunk>
    <combine chunk partials, epilogue scalars>

A kernel without outer axes (a full reduction, or rank-1 elementwise work) instead splits its
first inner axis into chunks, one parallel loop per phase. Index arithmetic is unsigned
(``u0 = np.uint64(s0)``), so array accesses need no negative-index checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...schedule.fusion import REDUCTIONS, Kernel
from ...ir import Eqn, Literal, Var

# generated kernels import the runtime by its real module name (tracegrad._compiler... once
# installed), never through a top-level name that the user's folder could shadow
kernel_rt_module = __name__.rpartition(".")[0] + ".kernel_rt"

_VMATH = ("exp", "log", "log1p", "expm1", "tanh", "sigmoid", "pow", "erf")
_NUMPY = {"sqrt": "np.sqrt", "sin": "np.sin", "cos": "np.cos", "floor": "np.floor",
          "ceil": "np.ceil", "rint": "np.rint"}
_INIT = {"reduce_sum": "0.0", "reduce_prod": "1.0", "reduce_max": "-np.inf",
         "reduce_min": "np.inf"}


def _suffix(dtype: np.dtype) -> str:
    return {"float32": "f32", "float64": "f64"}[np.dtype(dtype).name]


def _np_type(dtype: np.dtype) -> str:
    return f"np.{np.dtype(dtype).name}"


def _accumulate(prim: str, acc: str, value: str) -> str:
    if prim == "reduce_sum":
        return f"{acc} += {value}"
    if prim == "reduce_prod":
        return f"{acc} *= {value}"
    return f"{acc} = {'maximum' if prim == 'reduce_max' else 'minimum'}({acc}, {value})"


def _combine(prim: str) -> str:
    return {"reduce_sum": "+", "reduce_prod": "*"}.get(prim, "")


@dataclass
class _Region:
    """Straight-line code at one place of the loop nest; values computed there by name."""

    indent: int
    lines: list[str] = field(default_factory=list)
    known: dict[int, str] = field(default_factory=dict)

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)


class KernelSource:
    """Builds the source of one kernel."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.inner = [a for a in k.loop_inner() if k.shape[a] != 1]
        self.outer = [a for a in range(len(k.shape)) if a not in self.inner and k.shape[a] != 1]
        self.split = not self.outer
        self.producer = {id(e.outvars[0]): e for e in k.eqns}
        self.in_names = {id(v): f"x{i}" for i, v in enumerate(k.inputs)}
        self.out_names = {id(v): f"y{i}" for i, v in enumerate(k.outputs)}
        self.consts: dict[tuple, str] = {}
        self.names: dict[int, str] = {}
        self.n_tmp = 0

    # -- classification ----------------------------------------------------------------------
    def varying(self, v: Any) -> set[int]:
        return self.k.varying(v)

    def is_inner(self, v: Any) -> bool:
        return bool(self.varying(v) & set(self.inner))

    def phase(self, v: Any) -> int:
        return self.k.phase.get(id(v), 0)

    def reduction_kind(self, e: Eqn) -> str:
        """'inner' (loop accumulation), 'cross' (over outer iterations) or 'noop'."""
        x = e.invars[0]
        xm = self.k.maps[id(x)]
        reduced = {xm[d] for d in e.params["axes"] if xm[d] is not None}
        if not reduced:
            return "noop"
        if reduced & set(self.inner):
            return "inner"
        return "cross"

    # -- names and expressions -----------------------------------------------------------------
    def const(self, value: Any, dtype: np.dtype) -> str:
        key = (repr(float(value)), np.dtype(dtype).name)
        if key not in self.consts:
            self.consts[key] = f"C{len(self.consts)}"
        return self.consts[key]

    def tmp(self, v: Var) -> str:
        if id(v) not in self.names:
            self.names[id(v)] = f"v{len(self.names)}"
        return self.names[id(v)]

    def index(self, v: Var) -> str:
        m = self.k.maps[id(v)]
        if not m:
            return "0"
        return ", ".join(f"i{a}" if a is not None else "0" for a in m)

    def value(self, a: Any, r: _Region) -> str:
        """The scalar name of atom ``a`` in region ``r``, emitting its computation."""
        if isinstance(a, Literal):
            return self.const(a.value, a.aval.dtype)
        if id(a) in r.known:
            return r.known[id(a)]
        if id(a) in self.in_names:
            name = self.tmp(a)
            r.emit(f"{name} = {self.in_names[id(a)]}[{self.index(a)}]")
            r.known[id(a)] = name
            return name
        e = self.producer[id(a)]
        if e.prim.name in REDUCTIONS:
            if self.reduction_kind(e) == "noop":
                name = self.value(e.invars[0], r)
                r.known[id(a)] = name
                return name
            raise AssertionError(f"reduction result {a} used before its loop finished")
        args = [self.value(x, r) for x in e.invars]
        name = self.tmp(a)
        r.emit(f"{name} = {self.expression(e, args)}")
        r.known[id(a)] = name
        return name

    def expression(self, e: Eqn, args: list[str]) -> str:
        dtype = e.outvars[0].aval.dtype
        if e.prim.name in ("reshape", "broadcast_to"):
            return args[0]
        template = e.prim.scalar
        if template is None:
            raise NotImplementedError(f"no scalar template for {e.prim.name}")
        in_dtype = e.invars[0].aval.dtype
        fields = {**e.params, "dtype": _np_type(dtype)}
        if "{zero}" in template:  # only constants the template uses become arguments
            fields["zero"] = self.const(0.0, in_dtype)
        if "{one}" in template:
            fields["one"] = self.const(1.0, dtype)
        text = template.format(*args, **fields)

        def resolve(m: re.Match) -> str:
            fn = m.group(1)
            if fn in _VMATH:
                return f"{fn}_{_suffix(dtype)}("
            return _NUMPY.get(fn, fn) + "("

        text = re.sub(r"\b([a-z_][a-z_0-9]*)\(", resolve, text)
        return f"{_np_type(dtype)}({text})"  # keeps float32 math in float32

    # -- structure ---------------------------------------------------------------------------
    def reductions(self) -> list[Eqn]:
        return [e for e in self.k.eqns if e.prim.name in REDUCTIONS
                and self.reduction_kind(e) != "noop"]

    def n_phases(self) -> int:
        return 1 + max([self.phase(e.invars[0]) for e in self.reductions()
                        if self.reduction_kind(e) == "inner"] +
                       [self.phase(v) for v in self.k.outputs], default=0)

    def loops(self, r: _Region, body: Any) -> _Region:
        """Nested loops over the inner axes (the first one chunked in split mode)."""
        axes = self.inner
        depth = r.indent
        for j, a in enumerate(axes):
            if self.split and j == 0:
                r.emit(f"for i{a} in range(lo, hi):")
            else:
                r.emit(f"for i{a} in range(u{a}):")
            r.indent += 1
        inner = _Region(r.indent, r.lines, dict(r.known))
        body(inner)
        r.indent = depth
        return inner

    def pass_work(self, p: int) -> tuple[list[Eqn], list[Var]]:
        reds = [e for e in self.reductions() if self.reduction_kind(e) == "inner"
                and self.phase(e.invars[0]) == p]
        stores = [v for v in self.k.outputs if self.is_inner(v) and self.phase(v) == p]
        return reds, stores

    def pass_body(self, p: int, reds: list[Eqn], stores: list[Var]) -> Any:
        """The loop body of pass ``p``: accumulate its reductions, store its outputs."""
        def body(ir: _Region) -> None:
            for j, e in enumerate(reds):
                ir.emit(_accumulate(e.prim.name, f"acc{p}_{j}", self.value(e.invars[0], ir)))
            for v in stores:
                self.store(v, ir)
        return body

    def store(self, v: Var, r: _Region) -> None:
        name = self.value(v, r)
        r.emit(f"{self.out_names[id(v)]}[{self.index(v)}] = {name}")

    def finalize(self, e: Eqn, acc: str, r: _Region) -> None:
        v = e.outvars[0]
        name = self.tmp(v)
        r.emit(f"{name} = {_np_type(v.aval.dtype)}({acc})")
        r.known[id(v)] = name

    def between(self, p: int, r: _Region) -> None:
        """Stores of values that do not vary along the inner axes and are known at pass p."""
        for v in self.k.outputs:
            if not self.is_inner(v) and not self.k.is_global.get(id(v)) and self.phase(v) == p:
                self.store(v, r)

    def const_values(self) -> list[tuple[float, str]]:
        """(value, dtype name) of each constant argument ``C0, C1, ...``, in order."""
        return [(float(val), dt) for (val, dt) in self.consts]

    def build(self) -> str:
        k = self.k
        # Indices are unsigned: numba then omits the negative-index wraparound select on every
        # array access, which made the fused softplus loop 1.7x slower (measured).
        prologue = [f"u{a} = np.uint64(s{a})" for a in range(len(k.shape))] + \
            ["nch = np.uint64(nchunks)"]
        if self.split:
            body = self.build_split()
        elif self.columns_ok():
            body = self.build_columns()
        else:
            body = self.build_outer()
        # constants arrive as Python floats (cheap for numba to type) and are cast here
        prologue += [f"{name} = np.{dt}({name.lower()})" for (_, dt), name in self.consts.items()]
        body = prologue + body
        # Constants are arguments, not part of the source: a value that depends on a size
        # (1/batch in a mean) must not make a new kernel for a new batch size.
        args = [self.in_names[id(v)] for v in k.inputs] + \
               [self.out_names[id(v)] for v in k.outputs] + \
               [f"s{a}" for a in range(len(k.shape))] + ["nchunks"] + \
               [name.lower() for name in self.consts.values()]
        header = [f"# kernel over shape pattern {self.pattern()}, inner axes {self.inner}",
                  "import numpy as np", "from numba import prange",
                  f"from {kernel_rt_module} import *  # noqa: F403", ""]
        out = list(header)
        for variant in ("serial", "parallel"):
            out.append(f"def kernel_{variant}({', '.join(args)}):")
            out.extend("    " + line for line in body)
            out.append("")
        return "\n".join(out)

    def pattern(self) -> str:
        return "(" + ", ".join("1" if n == 1 else "n" for n in self.k.shape) + ")"

    def chunk_bounds(self, r: _Region, total: str) -> None:
        r.emit(f"lo = (np.uint64(c) * {total}) // nch")
        r.emit(f"hi = (np.uint64(c + 1) * {total}) // nch")

    def build_outer(self) -> list[str]:
        top = _Region(0)
        cross = [e for e in self.reductions() if self.reduction_kind(e) == "cross"]
        for j, e in enumerate(cross):
            top.emit(f"part{j} = np.empty(nchunks, np.float64)")
        total = " * ".join(f"u{a}" for a in self.outer)
        top.emit(f"n_outer = {total}")
        top.emit("for c in prange(nchunks):")
        r = _Region(2)
        r.lines = top.lines
        r.indent = 1
        self.chunk_bounds(r, "n_outer")
        for j, e in enumerate(cross):
            r.emit(f"g{j} = {_INIT[e.prim.name]}")
        r.emit("for o in range(lo, hi):")
        r.indent = 2
        r.emit("rest = o")
        for a in reversed(self.outer):
            r.emit(f"i{a} = rest % u{a}")
            r.emit(f"rest //= u{a}")
        body = _Region(2, r.lines)
        for p in range(self.n_phases()):
            self.between(p, body)
            reds, stores = self.pass_work(p)
            if not reds and not stores:
                continue
            for j, e in enumerate(reds):
                body.emit(f"acc{p}_{j} = {_INIT[e.prim.name]}")

            inner_body = self.pass_body(p, reds, stores)
            self.loops(body, inner_body)
            for j, e in enumerate(reds):
                self.finalize(e, f"acc{p}_{j}", body)
        self.between(self.n_phases(), body)
        for j, e in enumerate(cross):
            body.emit(_accumulate(e.prim.name, f"g{j}", self.value(e.invars[0], body)))
        r.indent = 1
        for j, e in enumerate(cross):
            r.emit(f"part{j}[c] = g{j}")
        end = _Region(0, top.lines)
        for j, e in enumerate(cross):
            end.emit(f"g{j} = {_INIT[e.prim.name]}")
            end.emit("for c in range(nchunks):")
            end.emit("    " + _accumulate(e.prim.name, f"g{j}", f"part{j}[c]"))
            self.finalize(e, f"g{j}", end)
        self.epilogue(end)
        return top.lines

    def columns_ok(self) -> bool:
        """A reduction over leading axes (e.g. a bias gradient, summed over the batch): the
        outer loop would walk columns with a stride. If the kernel has one pass and one outer
        axis, the last, the loops can run row by row with a vector of accumulators."""
        r = len(self.k.shape)
        if self.outer != [r - 1] or self.inner != list(range(len(self.inner))):
            return False
        if any(self.reduction_kind(e) == "cross" for e in self.reductions()):
            return False
        reds, stores = self.pass_work(0)
        later = [self.pass_work(p) for p in range(1, self.n_phases())]
        inner_outputs = [v for v in self.k.outputs if self.is_inner(v)]
        return bool(reds) and len(stores) == len(inner_outputs) and \
            not any(w[0] or w[1] for w in later)

    def build_columns(self) -> list[str]:
        last = self.outer[0]
        reds, stores = self.pass_work(0)
        top = _Region(0)
        for j, _ in enumerate(reds):
            top.emit(f"accs{j} = np.empty(u{last}, np.float64)")
        top.emit("for c in prange(nchunks):")
        r = _Region(1, top.lines)
        self.chunk_bounds(r, f"u{last}")
        r.emit(f"for i{last} in range(lo, hi):")
        for j, e in enumerate(reds):
            r.emit(f"    accs{j}[i{last}] = {_INIT[e.prim.name]}")
        for a in self.inner:
            r.emit(f"for i{a} in range(u{a}):")
            r.indent += 1
        r.emit(f"for i{last} in range(lo, hi):")
        body = _Region(r.indent + 1, r.lines, dict(r.known))
        self.between(0, body)
        for j, e in enumerate(reds):
            body.emit(_accumulate(e.prim.name, f"accs{j}[i{last}]", self.value(e.invars[0], body)))
        for v in stores:
            self.store(v, body)
        r.indent = 1
        r.emit(f"for i{last} in range(lo, hi):")
        end = _Region(2, r.lines, dict(r.known))
        for j, e in enumerate(reds):
            self.finalize(e, f"accs{j}[i{last}]", end)
        for p in range(1, self.n_phases() + 1):
            self.between(p, end)
        return top.lines

    def build_split(self) -> list[str]:
        top = _Region(0)
        first = self.inner[0] if self.inner else None
        for p in range(self.n_phases()):
            self.between(p, top)
            reds, stores = self.pass_work(p)
            if not reds and not stores:
                continue
            for j, e in enumerate(reds):
                top.emit(f"part{p}_{j} = np.empty(nchunks, np.float64)")
            top.emit("for c in prange(nchunks):")
            r = _Region(1, top.lines, dict(top.known))
            if first is not None:
                self.chunk_bounds(r, f"u{first}")
            else:
                r.emit("lo = np.uint64(0)")
                r.emit("hi = np.uint64(1)")
            for j, e in enumerate(reds):
                r.emit(f"acc{p}_{j} = {_INIT[e.prim.name]}")

            inner_body = self.pass_body(p, reds, stores)
            if first is not None:
                self.loops(r, inner_body)
            else:
                r.emit("if c == 0:")
                r.indent += 1
                inner_body(_Region(r.indent, r.lines, dict(r.known)))
                r.indent -= 1
            for j, e in enumerate(reds):
                r.emit(f"part{p}_{j}[c] = acc{p}_{j}")
            for j, e in enumerate(reds):
                top.emit(f"acc{p}_{j} = {_INIT[e.prim.name]}")
                top.emit("for c in range(nchunks):")
                top.emit("    " + _accumulate(e.prim.name, f"acc{p}_{j}", f"part{p}_{j}[c]"))
                self.finalize(e, f"acc{p}_{j}", top)
        self.between(self.n_phases(), top)
        self.epilogue(top)
        return top.lines

    def epilogue(self, r: _Region) -> None:
        for v in self.k.outputs:
            if self.k.is_global.get(id(v)):
                self.store(v, r)


def kernel_source(k: Kernel) -> tuple[str, list[tuple[float, str]]]:
    """The kernel's source and the (value, dtype) of its constant arguments."""
    ks = KernelSource(k)
    return ks.build(), ks.const_values()


def kernel_arguments(k: Kernel, consts: list[tuple[float, str]]) -> tuple:
    """(array (dtype, ndim) pairs, number of int arguments, constant dtypes) of a kernel;
    constants are passed as float64 and cast inside the kernel."""
    arrays = [(v.aval.dtype.name, max(len(v.aval.shape), 1)) for v in k.inputs + k.outputs]
    return arrays, len(k.shape) + 1, ["float64" for _ in consts]


def wants_parallel(plan: Any, k: Kernel) -> bool:
    """Whether kernel ``k`` of ``plan`` runs its parallel variant (see settings)."""
    from ... import settings

    total = int(np.prod(k.shape, dtype=np.int64))
    blas = any(getattr(s, "prim", None) is not None and s.prim.kind == "contraction"
               for s in plan.steps)
    return total >= max(settings.parallel_min, settings.parallel_min_with_blas if blas else 0)
