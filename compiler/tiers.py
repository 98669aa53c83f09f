"""Tiered execution: answer at once with a slow backend while a fast one compiles and loads.

The fast backend's ``prepare`` starts its compilation in the background (numba_cpu: a child
process filling the disk cache). Until that is done, calls run on the slow backend (the
interpreter). Once it is done — at once, when the cache was warm — a thread lowers the graph
on the fast backend, which is now a load from the cache (importing numba, reading the
kernels), and the first call after that switches. So neither the compile nor the load ever
blocks a call. Nothing here knows which backends these are.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from .backends import Backend, Lowered, Pending
from .ir import Graph

# While a loader thread runs, the interpreter's thread holds the GIL almost always; each time
# the loader gives the GIL up for a file read it waits a whole switch interval (5 ms) to get
# it back, and importing numba reads hundreds of files: 3.9 s instead of 0.24 s alone, on a
# busy caller. A short interval while loaders run (restored after) cuts that to 0.6-0.7 s.
LOADING_SWITCH_INTERVAL = 0.0002
_loaders = 0
_saved_interval = 0.0
_short_interval = 0.0  # as sys.getswitchinterval() reports it (microseconds, rounded)
_interval_lock = threading.Lock()


@contextmanager
def _short_switch_interval() -> Iterator[None]:
    global _loaders, _saved_interval, _short_interval
    with _interval_lock:
        if _loaders == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, LOADING_SWITCH_INTERVAL))
            _short_interval = sys.getswitchinterval()
        _loaders += 1
    try:
        yield
    finally:
        with _interval_lock:
            _loaders -= 1
            # the program's own setting comes back, unless it changed it meanwhile
            if _loaders == 0 and sys.getswitchinterval() == _short_interval:
                sys.setswitchinterval(_saved_interval)


def _reset_in_child() -> None:
    """A fork while a loader ran: the child has no loader thread, and perhaps a held lock."""
    global _interval_lock, _loaders
    _interval_lock = threading.Lock()
    if _loaders:
        _loaders = 0
        sys.setswitchinterval(_saved_interval)


os.register_at_fork(after_in_child=_reset_in_child)


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
            with _short_switch_interval():
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
