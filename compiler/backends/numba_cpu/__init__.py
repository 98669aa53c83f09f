"""The numba-CPU backend: fused loop-nest kernels compiled by numba, BLAS for products.

Pipeline of this folder: ``lowering`` (what fuses, and each primitive's scalar code) →
``codegen`` (a kernel's Python source) → ``jobs`` (source and argument types per kernel,
compiled in a child process when asked) → ``kernels`` (numba dispatchers, the disk
``cache``) → ``driver`` (plain Python that calls them with ``buffers`` from a pool). The
kernels import ``kernel_rt`` and ``vmath``, the vectorisable math library.

Importing this package does not import numba: fusion and source generation are pure Python,
so tiers can start a compile child before numba is loaded in the caller.
"""

from __future__ import annotations

import sys

from ...ir import Eqn, Graph
from ...schedule.fusion import Plan, fuse
from .. import Backend, Lowered, Pending
from . import lowering


class NumbaCPU(Backend):
    name = "numba_cpu"

    def can_fuse(self, eqn: Eqn) -> bool:
        return lowering.can_fuse(eqn)

    def plan(self, graph: Graph) -> Plan:
        """The fusion plan of ``graph``, made once (it is pure Python and deterministic)."""
        plan = graph.cache.get("plan:numba_cpu")
        if plan is None:
            plan = graph.cache["plan:numba_cpu"] = fuse(graph, self.can_fuse)
        return plan

    def lower(self, graph: Graph) -> Lowered:
        from .jobs import kernel_jobs, share_with_a_child

        plan = self.plan(graph)
        jobs = kernel_jobs(plan)
        shared = share_with_a_child(jobs)  # a compile child starts before numba's import
        from .driver import build_driver  # imports numba: only when code must run

        run, source, log = build_driver(plan, jobs, shared)
        return Lowered(run, source, plan, log)

    def prepare(self, graph: Graph) -> Pending | None:
        from .jobs import kernel_jobs, start_compiling

        return start_compiling(kernel_jobs(self.plan(graph)))

    def stats(self) -> dict[str, int]:
        # only if loaded (never import numba to count nothing); a loader thread may still be
        # importing it, so the function may not exist yet
        stats = getattr(sys.modules.get(__name__ + ".kernels"), "compile_stats", None)
        return stats() if stats is not None else {}


BACKEND = NumbaCPU()
