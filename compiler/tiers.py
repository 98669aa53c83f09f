"""Tiered execution: answer at once with a slow backend while a fast one compiles and loads.

The fast backend's ``prepare`` starts its compilation in the background (numba_cpu: a child
process filling the disk cache). Until that is done, calls run on the slow backend (the
interpreter). Once it is done — at once, when the cache was warm — a thread lowers the graph
on the fast backend, which is now a load from the cache (importing numba, reading the
kernels), and the first call after that switches. So neither the compile nor the load ever
blocks a call. Nothing here knows which backends these are.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

from .backends import Backend, Lowered, Pending
from .ir import Graph


class Tiered:
    """An executable that switches from ``slow`` to ``fast`` once ``fast`` is ready.
    ``last_tier`` names who served the last call."""

    def __init__(self, graph: Graph, slow: Backend, fast: Backend) -> None:
        self.graph = graph
        self.fast_backend = fast
        self.slow = slow.lower(graph).run
        self.lowered: Lowered | None = None  # the fast backend's, once loaded
        self.fast: Any = None
        self.error: BaseException | None = None  # why the fast tier could not be built
        self.last_tier = "interpreter"
        self.pending: Pending | None = fast.prepare(graph)
        self._loader: threading.Thread | None = None
        self._lock = threading.Lock()
        self.calls = 0

    def ready(self) -> bool:
        """Whether the background compilation (if any) has finished."""
        return self.pending is None or self.pending.ready()

    def _load(self) -> None:
        try:
            if self.pending is not None:
                self.pending.wait()
            lowered = self.fast_backend.lower(self.graph)
        except BaseException as err:  # noqa: BLE001  (kept, and raised by wait())
            self.error = err
            return
        self.lowered, self.fast = lowered, lowered.run

    def _start_loading(self) -> None:
        with self._lock:
            if self._loader is None:
                self._loader = threading.Thread(target=self._load, daemon=True,
                                                name="tracegrad-load-kernels")
                self._loader.start()

    def wait(self) -> None:
        """Finish compiling and loading the fast tier; raises what stopped it, if anything."""
        self._start_loading()
        assert self._loader is not None
        self._loader.join()
        if self.error is not None:
            raise self.error

    def __call__(self, args: Sequence[Any]) -> list:
        self.calls += 1
        fast = self.fast
        if fast is not None:
            self.last_tier = "compiled"
            return fast(args)
        if self._loader is None and self.ready():
            self._start_loading()  # this call still answers from the slow tier
        self.last_tier = "interpreter"
        return self.slow(args)
