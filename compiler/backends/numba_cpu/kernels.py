"""numba dispatchers for generated kernel sources: created once per source, compiled (or
loaded from the disk cache) once per signature, under the kernel's file lock.

This is the only module of the backend that imports numba, together with ``threads`` (which
sets numba's threading layer) and the kernel runtime (``kernel_rt``, ``vmath``) that generated
kernels import.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
import warnings
from typing import Any

import numba
import numpy as np
from numba.core.caching import FunctionCache, NullCache
from numba.core.runtime import rtsys

from ... import settings
from . import cache, target
from . import threads as layer  # sets numba's threading layer before any kernel runs
from .vmath import FASTMATH

_KERNELS: dict[str, tuple[Any, Any]] = {}  # module name -> (serial, parallel) dispatchers
# module name -> (its cache folder, or None in memory; a lock for compiling its signatures)
_ENTRIES: dict[str, tuple[str | None, threading.Lock]] = {}
_NAMES: dict[int, str] = {}  # id(dispatcher) -> module name, for locks and repairs
_LOCK = threading.Lock()  # creating dispatchers
COMPILE_LOG: list[tuple[str, str, float, bool]] = []  # (kernel, variant, seconds, from disk)


def _new_locks_in_child() -> None:
    """A thread of the parent may have held a lock at the fork: the child gets free ones."""
    global _LOCK
    _LOCK = threading.Lock()
    for name, (folder, _) in list(_ENTRIES.items()):
        _ENTRIES[name] = (folder, threading.Lock())


os.register_at_fork(after_in_child=_new_locks_in_child)


def kernel_functions(source: str) -> tuple[Any, Any]:
    """The (serial, parallel) numba dispatchers of a kernel source, created once (by one
    thread; the others wait for it)."""
    name, source = cache.module_name(source)
    pair = _KERNELS.get(name)
    if pair is None:
        with _LOCK:
            pair = _KERNELS.get(name)
            if pair is None:
                module, on_disk = cache.load_module(name, source)
                # numba's disk cache is switched on only inside ensure_compiled, after the
                # manifest check: no other path makes numba read (unpickle) its files
                opts: dict[str, Any] = dict(settings.NJIT_OPTIONS, fastmath=FASTMATH,
                                            cache=False)
                serial = numba.njit(**opts)(module.kernel_serial)
                parallel = numba.njit(parallel=True, **opts)(module.kernel_parallel)
                folder = os.path.dirname(module.__file__) if on_disk else None
                _ENTRIES[name] = (folder, threading.Lock())
                _NAMES[id(serial)] = _NAMES[id(parallel)] = name
                pair = _KERNELS[name] = (serial, parallel)
    return pair


class _LoadWithoutRefresh(FunctionCache):
    """numba's disk cache of a function, loading without refreshing the target context
    first. The refresh installs every lowering registry numba has (and imports scipy.linalg
    to look for a BLAS): 0.39-0.41 s, half of the first cached call in a process. Linking a
    compiled library needs only its first step, numba's runtime (NRT) symbols. A load that
    misses falls through to numba's compiler, which refreshes the context itself."""

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


def _enable_cache(dispatcher: Any) -> None:
    if hasattr(FunctionCache, "_load_overload") and \
            hasattr(FunctionCache, "_guard_against_spurious_io_errors"):
        dispatcher._cache = _LoadWithoutRefresh(dispatcher.py_func)
    else:  # another numba version: its own loading
        dispatcher.enable_caching()


def ensure_compiled(dispatcher: Any, signature: tuple, log: list | None = None) -> None:
    """Compile (or load from disk) one signature now, holding the kernel's lock (one thread
    compiles, the others wait) and its file lock (one process compiles, the others load).

    numba's disk cache is on only during this call: its files are first checked against
    the kernel's manifest (a file the manifest lacks or that differs is purged, with a
    warning), and the manifest is written again once numba has saved; a cache entry numba
    cannot read is rebuilt."""
    if signature in dispatcher.overloads:
        return
    name = _NAMES[id(dispatcher)]
    folder, thread_lock = _ENTRIES[name]
    with thread_lock:
        if signature in dispatcher.overloads:  # another thread compiled it meanwhile
            return
        lock = cache.lock_path(name, folder) if folder else None
        hits = sum(dispatcher.stats.cache_hits.values())
        t0 = time.perf_counter()
        with cache.file_lock(lock) if lock else contextlib.nullcontext():
            if folder:
                cache.check_and_repair(name, folder)
                _enable_cache(dispatcher)
            try:
                dispatcher.compile(signature)
            except Exception as err:  # noqa: BLE001  (numba raises EOFError etc. on bad files)
                if not folder:
                    raise
                warnings.warn(f"tracegrad: could not load kernel {name} from the cache "
                              f"({type(err).__name__}: {err}); rebuilding it",
                              cache.CacheWarning, stacklevel=2)
                cache.purge(name, folder)
                dispatcher.compile(signature)
            finally:
                if folder:
                    dispatcher._cache = NullCache()  # off again until the next check
            if folder:
                cache.record(name, folder)
        from_disk = sum(dispatcher.stats.cache_hits.values()) > hits
        variant = "parallel" if dispatcher.targetoptions.get("parallel") else "serial"
        entry = (name, variant, time.perf_counter() - t0, from_disk)
        COMPILE_LOG.append(entry)
        if log is not None:  # the caller's own record (other threads compile meanwhile)
            log.append(entry)


def signature(arrays: list[tuple[str, int]], n_ints: int, floats: list[str]) -> tuple:
    """numba argument types: C-ordered arrays (dtype, ndim), int64 sizes, float constants."""
    return tuple([numba.types.Array(numba.from_dtype(np.dtype(dt)), nd, "C")
                  for dt, nd in arrays] + [numba.types.int64] * n_ints +
                 [numba.from_dtype(np.dtype(dt)) for dt in floats])


def compiled(job: dict, log: list | None = None) -> Any:
    """The dispatcher of one kernel job (see ``jobs.kernel_jobs``), compiled for its types;
    what this call compiled or loaded is appended to ``log``."""
    serial, parallel = kernel_functions(job["source"])
    fn = parallel if job["variant"] == "parallel" else serial
    ensure_compiled(fn, signature(*job["arguments"]), log)
    fn = layer.guard(fn) if fn is parallel else fn  # a lock only where the layer needs one
    return target.call_adapter(fn, job["arguments"][0])  # float16 arrays as uint16 bits


def compile_stats() -> dict[str, int]:
    """Numba compilations in this process, and how many came from numba's disk cache."""
    overloads = hits = 0
    for pair in list(_KERNELS.values()):  # a snapshot: other threads may add kernels
        for d in pair:
            overloads += len(d.overloads)
            hits += sum(d.stats.cache_hits.values())
    return {"compiles": overloads - hits, "disk_hits": hits}


def threads() -> int:
    """Threads for parallel kernels: settings.num_threads (capped by numba's pool, whose
    size NUMBA_NUM_THREADS fixes at start-up), else numba's current count."""
    if settings.num_threads:
        pool = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # set at import
        numba.set_num_threads(min(settings.num_threads, pool))
    return numba.get_num_threads()


def main() -> None:
    """The compile child's entry point (see ``jobs.start_compile_process``): kernel jobs as
    JSON on stdin, compiled into the disk cache."""
    for job in json.loads(sys.stdin.read()):
        compiled(job)
