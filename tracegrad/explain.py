"""``explain()``: what a jitted function traced, compiled, reused and fell back on, and why."""

from __future__ import annotations

from typing import Any

from tracegrad._compiler.ir import Graph


def report(f: Any) -> str:
    """The text of ``f.explain()`` for a jitted function ``f``."""
    lines = [f"tracegrad.{f.kind}({f.__name__}): {len(f.cache)} signature(s), "
             f"{f.hits + f.fast_hits} cache hit(s) ({f.fast_hits} on the fast "
             "path, not broken down by tier below)"]
    if f.traces > 1 and f.changes:
        what = "; ".join(f"{w}: {n} time(s)" for w, n in f.changes.most_common(3))
        lines.append(f"  re-traced {f.traces - 1} time(s); what changed: {what}")
    if f.recompile_warned:
        lines.append(f"  RECOMPILES: past {f.recompile_warn_at} signatures (a "
                     "RecompileWarning was issued). A Python int is part of the signature by "
                     "value; pass a value that varies as an array or a float instead.")
    if f.evicted:
        lines.append(f"  {f.evicted} older signature(s) dropped from the cache (it keeps "
                     f"{f.cache_limit})")
    if f.ledger_dropped:
        lines.append(f"  ({f.ledger_dropped} earlier line(s) of this log dropped)")
    lines += ["  " + s for s in f.ledger]
    for e in sorted(f.cache.values(), key=lambda e: e.number):  # the cache is in LRU order
        k = e.number
        tiers = ", ".join(f"{n} {t}" for t, n in sorted(e.tiers.items())) or "no calls"
        lines.append(f"  #{k}: {e.calls} call(s) ({tiers}); trace "
                     f"{e.trace_seconds * 1e3:.1f} ms")
        low = _lowered_if_built(e.optimized)
        if low is not None and low.plan is not None:
            built = [x for x in low.compile_log if not x[3]]
            lines.append(f"      numba: {len(built)} kernel(s) compiled in "
                         f"{sum(x[2] for x in built):.2f} s, "
                         f"{len(low.compile_log) - len(built)} loaded from the disk cache, "
                         "the rest reused from memory")
        error = e.optimized.cache.get("compiler_error") if e.optimized is not None else None
        if error:
            lines.append(f"      compiler error: {error}; fell back to the interpreter (a "
                         "tracegrad bug: please report it with `python -m tracegrad info`)")
        if e.fallback:
            lines.append(f"      FALLBACK to eager: needs {e.fallback}. To compile it, "
                         "avoid Python control flow on array values (use nd.where, "
                         "fixed loop counts, static arguments).")
    return "\n".join(lines)


def _lowered_if_built(graph: Graph | None) -> Any:
    """The backend's Lowered of ``graph`` if it was built already (never builds it)."""
    if graph is None:
        return None
    exe = graph.cache.get("exe")
    return getattr(exe, "lowered", None) or graph.cache.get("lowered")
