"""The loop nests of a kernel, one function per strategy (see :mod:`.layout`).

* outer: ``prange`` over chunks of the flattened outer index; per outer iteration, one inner
  loop nest per phase; cross-outer reductions accumulate per chunk, combined at the end.
* split: no outer axes; each phase is its own ``prange`` over chunks of the first inner axis,
  its reductions combined from per-chunk partials before the next phase.
* columns: a reduction over leading axes, run row by row with a vector of accumulators (one
  per column) so that memory is walked contiguously.

Accumulators are float64, except max/min (the value's dtype: exact) and the float32 partial
sums of float32 sums, kept per block of ``lowering.BLOCK`` elements of the innermost inner
loop (or of rows, in ``columns``) so that the vectorised loop holds no float64 and runs at the
full float32 width; a reduction's result is cast to its dtype when finalised. An innermost
loop no longer than one block gets no loop over blocks (its kernel is another source).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from ...ir import Eqn, Var
from . import lowering
from .emitter import Emitter
from .layout import KernelLayout, PassWork


class KernelWriter(Protocol):
    """What the loop strategies need from ``codegen.KernelWriter`` (which calls them)."""

    em: Emitter
    layout: KernelLayout
    # a statement opening each parallel chunk's body (prefer_vector_width(...)), or None
    chunk_hint: str | None

    def value(self, a: Any) -> str: ...

    def tmp(self, v: Var) -> str: ...

    def store(self, v: Var) -> None: ...

    def finalize(self, e: Eqn, acc: str) -> None: ...

    def store_between(self, p: int) -> None: ...

    def store_epilogue(self) -> None: ...


# an inner loop: (axis, start or None for 0, stop)
Loop = tuple[int, str | None, str]


def write_loops(w: KernelWriter) -> None:
    """Emit the loop nests of ``w``'s kernel (after the prologue)."""
    {"outer": outer_loop, "columns": columns, "split": split}[w.layout.strategy](w)


# -- shared pieces ----------------------------------------------------------------------------

def _header(loop: Loop) -> str:
    a, start, stop = loop
    return f"for i{a} in range({stop}):" if start is None else \
        f"for i{a} in range({start}, {stop}):"


def _acc_type(e: Eqn) -> lowering.AccumulatorType:
    return lowering.accumulator(e.prim.name, e.invars[0].aval.dtype)


_BLK = f"np.uint64({lowering.BLOCK})"


def _blocks(loop: Loop) -> tuple[str, str]:
    """The headers of loop ``loop`` cut into blocks of ``lowering.BLOCK``: the loop over the
    blocks, and the loop over one block's indices."""
    a, start, stop = loop
    return (f"for b{a} in range({start or 'np.uint64(0)'}, {stop}, {_BLK}):",
            f"for i{a} in range(b{a}, minimum(b{a} + {_BLK}, {stop})):")


def _open_chunk(w: KernelWriter, total: str) -> None:
    """The start of a parallel chunk's body: the vector-width hint, ``lo``/``hi`` of chunk
    ``c`` of ``nch`` over ``range(total)``."""
    if w.chunk_hint:
        w.em.line(w.chunk_hint)
    w.em.line(f"lo = (np.uint64(c) * {total}) // nch")
    w.em.line(f"hi = (np.uint64(c + 1) * {total}) // nch")


def _each_phase(w: KernelWriter, run_pass: Callable[[int, PassWork], None]) -> None:
    """The phase loop: values known in phase ``p`` that stay put along the inner axes are
    stored first; then the phase's inner pass, if it has work, as the strategy writes it."""
    for p, work in enumerate(w.layout.passes):
        w.store_between(p)
        if work:
            run_pass(p, work)


def _inner_pass(w: KernelWriter, p: int, work: PassWork, loops: list[Loop]) -> None:
    """Initialise the pass's accumulators ``acc<p>_<j>``, then the loop nest ``loops`` around
    its body. If a reduction keeps partials per block (a float32 sum), the innermost loop is
    cut into blocks: the partials start at zero per block and are folded into the
    accumulators after it."""
    em = w.em
    for v in work.hoist:  # known before the loops (see layout._hoist)
        w.value(v)
    accs = [f"acc{p}_{j}" for j in range(len(work.reductions))]
    types = [_acc_type(e) for e in work.reductions]
    for acc, e, t in zip(accs, work.reductions, types):
        em.line(f"{acc} = {lowering.init(e.prim.name, t.dtype)}")
    blocked = [j for j, t in enumerate(types) if t.partial]
    if not blocked:
        with em.nest([_header(lp) for lp in loops]):
            _pass_body(w, accs, work)
        return
    partials = {j: f"pacc{p}_{j}" for j in blocked}
    outside = [_header(lp) for lp in loops[:-1]]
    if w.layout.shape[loops[-1][0]] <= lowering.BLOCK:
        # rows of one block at most (sources are generated per shape): the same sums, without
        # the loop over blocks, which numba took 0.15 s to compile in the MLP's loss kernel
        in_block = _header(loops[-1])
    else:
        over_blocks, in_block = _blocks(loops[-1])
        outside.append(over_blocks)
    with em.nest(outside):
        for j in blocked:
            em.line(f"{partials[j]} = "
                    f"{lowering.init(work.reductions[j].prim.name, types[j].partial or '')}")
        with em.block(in_block):
            _pass_body(w, [partials.get(j, acc) for j, acc in enumerate(accs)], work)
        for j in blocked:
            em.line(lowering.accumulate(work.reductions[j].prim.name, accs[j], partials[j]))


def _pass_body(w: KernelWriter, accs: list[str], work: PassWork) -> None:
    """Innermost statements of a pass: load the row-cached values of earlier phases, fold
    each reduction's input into its accumulator, store the outputs, save the values later
    phases load (see :func:`.layout._row_cache`; the single inner axis indexes the row)."""
    for v in work.load:
        name = w.tmp(v)
        w.em.line(f"{name} = {_row_buffer(w, v)}")
        w.em.known[id(v)] = name
    for acc, e in zip(accs, work.reductions):
        w.em.line(lowering.accumulate(e.prim.name, acc, w.value(e.invars[0])))
    for v in work.stores:
        w.store(v)
    for v in work.save:
        w.em.line(f"{_row_buffer(w, v)} = {w.value(v)}")


def _row_buffers(w: KernelWriter) -> list[Var]:
    """The row-cached values of the kernel, in order; buffer j is ``row<j>``."""
    out: list[Var] = []
    for work in w.layout.passes:
        out.extend(v for v in work.save if not any(v is x for x in out))
    return out


def _row_buffer(w: KernelWriter, v: Var) -> str:
    (a,) = w.layout.inner
    j = next(j for j, x in enumerate(_row_buffers(w)) if x is v)
    return f"row{j}[i{a}]"


def _combine_chunks(w: KernelWriter, e: Eqn, acc: str, part: str) -> None:
    """Reduce the per-chunk partials ``part`` (float64) of reduction ``e`` serially (so the
    result does not depend on the threads) into ``acc``, and finalise it."""
    w.em.line(f"{acc} = {lowering.init(e.prim.name)}")
    with w.em.block("for c in range(nchunks):"):
        w.em.line(lowering.accumulate(e.prim.name, acc, f"{part}[c]"))
    w.finalize(e, acc)


# -- strategies -------------------------------------------------------------------------------

def outer_loop(w: KernelWriter) -> None:
    lay, em = w.layout, w.em
    cross = lay.reductions["cross"]
    for j, _ in enumerate(cross):
        em.line(f"part{j} = scratch(nchunks, np.float64)")
    em.line(f"n_outer = {' * '.join(f'u{a}' for a in lay.outer)}")
    with em.block("for c in prange(nchunks):"):
        _open_chunk(w, "n_outer")
        for j, v in enumerate(_row_buffers(w)):  # one row of each cached value, per chunk
            em.line(f"row{j} = scratch(u{lay.inner[0]}, {lowering.np_type(v.aval.dtype)})")
        for j, e in enumerate(cross):
            em.line(f"g{j} = {lowering.init(e.prim.name)}")
        with em.block("for o in range(lo, hi):"):
            em.line("rest = o")
            for a in reversed(lay.outer):
                em.line(f"i{a} = rest % u{a}")
                em.line(f"rest //= u{a}")
            loops: list[Loop] = [(a, None, f"u{a}") for a in lay.inner]

            def run_pass(p: int, work: PassWork) -> None:
                _inner_pass(w, p, work, loops)
                for j, e in enumerate(work.reductions):
                    w.finalize(e, f"acc{p}_{j}")

            _each_phase(w, run_pass)
            for j, e in enumerate(cross):
                em.line(lowering.accumulate(e.prim.name, f"g{j}", w.value(e.invars[0])))
        for j, _ in enumerate(cross):
            em.line(f"part{j}[c] = g{j}")
    for j, e in enumerate(cross):
        _combine_chunks(w, e, f"g{j}", f"part{j}")
    w.store_epilogue()


def split(w: KernelWriter) -> None:
    lay, em = w.layout, w.em
    # Without inner axes no phase has loop work (nothing varies), so first always exists
    # when run_pass is called.
    first = lay.inner[0] if lay.inner else None
    loops: list[Loop] = [(a, "lo", "hi") if j == 0 else (a, None, f"u{a}")
                         for j, a in enumerate(lay.inner)]

    def run_pass(p: int, work: PassWork) -> None:
        assert first is not None
        for j, _ in enumerate(work.reductions):
            em.line(f"part{p}_{j} = scratch(nchunks, np.float64)")
        with em.block("for c in prange(nchunks):"):
            _open_chunk(w, f"u{first}")
            _inner_pass(w, p, work, loops)
            for j, _ in enumerate(work.reductions):
                em.line(f"part{p}_{j}[c] = acc{p}_{j}")
        for j, e in enumerate(work.reductions):
            _combine_chunks(w, e, f"tot{p}_{j}", f"part{p}_{j}")

    _each_phase(w, run_pass)
    w.store_epilogue()


def columns(w: KernelWriter) -> None:
    """Row by row with one accumulator per column (``accs<j>[i]``). A float32 sum keeps
    float32 partials per column (``paccs<j>``) over blocks of rows, folded into the float64
    accumulators after each block."""
    lay, em = w.layout, w.em
    (last,) = lay.outer
    work = lay.passes[0]  # the only pass with work (see layout)
    types = [_acc_type(e) for e in work.reductions]
    blocked = [j for j, t in enumerate(types) if t.partial]
    accs = [f"accs{j}[i{last}]" for j in range(len(work.reductions))]
    partials = {j: f"paccs{j}[i{last}]" for j in blocked}
    for j, t in enumerate(types):
        em.line(f"accs{j} = scratch(u{last}, np.{t.dtype})")
        if t.partial:
            em.line(f"paccs{j} = scratch(u{last}, np.{t.partial})")
    cols = f"for i{last} in range(lo, hi):"
    with em.block("for c in prange(nchunks):"):
        _open_chunk(w, f"u{last}")
        with em.block(cols):
            for acc, e, t in zip(accs, work.reductions, types):
                em.line(f"{acc} = {lowering.init(e.prim.name, t.dtype)}")
        rows: list[Loop] = [(a, None, f"u{a}") for a in lay.inner]
        if not blocked:
            with em.nest([*(_header(r) for r in rows), cols]):
                w.store_between(0)
                _pass_body(w, accs, work)
        else:
            over_blocks, in_block = _blocks(rows[-1])
            with em.nest([*(_header(r) for r in rows[:-1]), over_blocks]):
                with em.block(cols):
                    for j in blocked:
                        name = work.reductions[j].prim.name
                        em.line(f"{partials[j]} = {lowering.init(name, types[j].partial or '')}")
                with em.nest([in_block, cols]):
                    w.store_between(0)
                    _pass_body(w, [partials.get(j, acc) for j, acc in enumerate(accs)], work)
                with em.block(cols):
                    for j in blocked:
                        em.line(lowering.accumulate(work.reductions[j].prim.name, accs[j],
                                                    partials[j]))
        with em.block(cols):
            for acc, e in zip(accs, work.reductions):
                w.finalize(e, acc)
            for p in range(1, lay.n_phases):
                w.store_between(p)
