"""The loop nests of a kernel, one function per strategy (see :mod:`.layout`).

* outer: ``prange`` over chunks of the flattened outer index; per outer iteration, one inner
  loop nest per phase; cross-outer reductions accumulate per chunk, combined at the end.
* split: no outer axes; each phase is its own ``prange`` over chunks of the first inner axis,
  its reductions combined from per-chunk partials before the next phase.
* columns: a reduction over leading axes, run row by row with a vector of accumulators (one
  per column) so that memory is walked contiguously.

All accumulators are float64; a reduction's result is cast to its dtype when finalised.
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

    def value(self, a: Any) -> str: ...

    def store(self, v: Var) -> None: ...

    def finalize(self, e: Eqn, acc: str) -> None: ...

    def store_between(self, p: int) -> None: ...

    def store_epilogue(self) -> None: ...


def write_loops(w: KernelWriter) -> None:
    """Emit the loop nests of ``w``'s kernel (after the prologue)."""
    {"outer": outer_loop, "columns": columns, "split": split}[w.layout.strategy](w)


# -- shared pieces ----------------------------------------------------------------------------

def _each_phase(w: KernelWriter, run_pass: Callable[[int, PassWork], None]) -> None:
    """The phase loop: values known in phase ``p`` that stay put along the inner axes are
    stored first; then the phase's inner pass, if it has work, as the strategy writes it."""
    for p, work in enumerate(w.layout.passes):
        w.store_between(p)
        if work:
            run_pass(p, work)


def _inner_pass(w: KernelWriter, p: int, work: PassWork, headers: list[str]) -> None:
    """Initialise the pass's accumulators, then the loop nest ``headers`` around its body."""
    for j, e in enumerate(work.reductions):
        w.em.line(f"acc{p}_{j} = {lowering.init(e.prim.name)}")
    with w.em.nest(headers):
        _pass_body(w, [f"acc{p}_{j}" for j in range(len(work.reductions))], work)


def _pass_body(w: KernelWriter, accs: list[str], work: PassWork) -> None:
    """Innermost statements of a pass: fold each reduction's input into its accumulator,
    store the outputs."""
    for acc, e in zip(accs, work.reductions):
        w.em.line(lowering.accumulate(e.prim.name, acc, w.value(e.invars[0])))
    for v in work.stores:
        w.store(v)


def _chunk_bounds(w: KernelWriter, total: str) -> None:
    """``lo``/``hi`` of chunk ``c`` of ``nch`` over ``range(total)``."""
    w.em.line(f"lo = (np.uint64(c) * {total}) // nch")
    w.em.line(f"hi = (np.uint64(c + 1) * {total}) // nch")


def _combine_chunks(w: KernelWriter, e: Eqn, acc: str, part: str) -> None:
    """Reduce the per-chunk partials ``part`` of reduction ``e`` serially (so the result does
    not depend on the threads) into ``acc``, and finalise it."""
    w.em.line(f"{acc} = {lowering.init(e.prim.name)}")
    with w.em.block("for c in range(nchunks):"):
        w.em.line(lowering.accumulate(e.prim.name, acc, f"{part}[c]"))
    w.finalize(e, acc)


# -- strategies -------------------------------------------------------------------------------

def outer_loop(w: KernelWriter) -> None:
    lay, em = w.layout, w.em
    cross = lay.reductions["cross"]
    for j, _ in enumerate(cross):
        em.line(f"part{j} = np.empty(nchunks, np.float64)")
    em.line(f"n_outer = {' * '.join(f'u{a}' for a in lay.outer)}")
    with em.block("for c in prange(nchunks):"):
        _chunk_bounds(w, "n_outer")
        for j, e in enumerate(cross):
            em.line(f"g{j} = {lowering.init(e.prim.name)}")
        with em.block("for o in range(lo, hi):"):
            em.line("rest = o")
            for a in reversed(lay.outer):
                em.line(f"i{a} = rest % u{a}")
                em.line(f"rest //= u{a}")
            headers = [f"for i{a} in range(u{a}):" for a in lay.inner]

            def run_pass(p: int, work: PassWork) -> None:
                _inner_pass(w, p, work, headers)
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
    headers = [f"for i{a} in range(lo, hi):" if j == 0 else f"for i{a} in range(u{a}):"
               for j, a in enumerate(lay.inner)]

    def run_pass(p: int, work: PassWork) -> None:
        assert first is not None
        for j, _ in enumerate(work.reductions):
            em.line(f"part{p}_{j} = np.empty(nchunks, np.float64)")
        with em.block("for c in prange(nchunks):"):
            _chunk_bounds(w, f"u{first}")
            _inner_pass(w, p, work, headers)
            for j, _ in enumerate(work.reductions):
                em.line(f"part{p}_{j}[c] = acc{p}_{j}")
        for j, e in enumerate(work.reductions):
            _combine_chunks(w, e, f"acc{p}_{j}", f"part{p}_{j}")

    _each_phase(w, run_pass)
    w.store_epilogue()


def columns(w: KernelWriter) -> None:
    lay, em = w.layout, w.em
    (last,) = lay.outer
    work = lay.passes[0]  # the only pass with work (see layout)
    accs = [f"accs{j}[i{last}]" for j in range(len(work.reductions))]
    for j, _ in enumerate(work.reductions):
        em.line(f"accs{j} = np.empty(u{last}, np.float64)")
    with em.block("for c in prange(nchunks):"):
        _chunk_bounds(w, f"u{last}")
        with em.block(f"for i{last} in range(lo, hi):"):
            for acc, e in zip(accs, work.reductions):
                em.line(f"{acc} = {lowering.init(e.prim.name)}")
        rows = [f"for i{a} in range(u{a}):" for a in lay.inner]
        with em.nest([*rows, f"for i{last} in range(lo, hi):"]):
            w.store_between(0)
            _pass_body(w, accs, work)
        with em.block(f"for i{last} in range(lo, hi):"):
            for acc, e in zip(accs, work.reductions):
                w.finalize(e, acc)
            for p in range(1, lay.n_phases):
                w.store_between(p)
