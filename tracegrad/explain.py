"""``explain()``: what a jitted function traced, compiled, reused and fell back on, and why."""

from __future__ import annotations

from typing import Any

from tracegrad._compiler.ir import Graph


def report(f: Any) -> str:
    """The text of ``f.explain()`` for a jitted function ``f``."""
    lines = [f"tracegrad.{f.kind}({f.__name__}): {len(f.cache)} signature(s), "
             f"{f.hits + f.fast_hits} cache hit(s) ({f.fast_hits} on the fast "
             "path, not broken down by tier below)"]
    lines += ["  " + s for s in f.ledger]
    for k, e in enumerate(f.cache.values(), 1):
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
