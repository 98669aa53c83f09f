"""Tiered execution: answer at once with a slow backend while a fast one compiles.

The fast backend's ``prepare`` starts its compilation in the background (numba_cpu: a child
process filling the disk cache). Until that is done, calls run on the slow backend (the
interpreter); the first call after it finishes lowers the graph on the fast backend — now a
load from the cache — and switches. Nothing here knows which backends these are.
"""

from __future__ import annotations

from typing import Any, Sequence

from .backends import Backend, Lowered, Pending
from .ir import Graph


class Tiered:
    """An executable that switches from ``slow`` to ``fast`` once ``fast`` has compiled.
    ``last_tier`` names who served the last call."""

    def __init__(self, graph: Graph, slow: Backend, fast: Backend) -> None:
        self.graph = graph
        self.fast_backend = fast
        self.slow = slow.lower(graph).run
        self.lowered: Lowered | None = None  # the fast backend's, once switched
        self.fast: Any = None
        self.last_tier = "interpreter"
        self.pending: Pending | None = fast.prepare(graph)
        self.calls = 0

    def ready(self) -> bool:
        return self.pending is None or self.pending.ready()

    def wait(self) -> None:
        """Finish compiling and switch (compiling here if the background work failed)."""
        if self.fast is None:
            if self.pending is not None:
                self.pending.wait()
            self.lowered = self.fast_backend.lower(self.graph)
            self.fast = self.lowered.run

    def __call__(self, args: Sequence[Any]) -> list:
        self.calls += 1
        if self.fast is None and self.calls > 1 and self.ready():
            self.wait()  # the first call always answers from the slow tier
        if self.fast is not None:
            self.last_tier = "compiled"
            return self.fast(args)
        self.last_tier = "interpreter"
        return self.slow(args)
