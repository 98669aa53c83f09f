"""numba dispatchers for generated kernel sources: created once per source, compiled (or
loaded from the disk cache) once per signature, under the kernel's file lock.

This is the only module of the backend that imports numba, together with the kernel runtime
(``kernel_rt``, ``vmath``) that generated kernels import.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import warnings
from typing import Any

import numba
import numpy as np

from ... import settings
from . import cache
from .vmath import FASTMATH

_KERNELS: dict[str, tuple[Any, Any]] = {}  # module name -> (serial, parallel) dispatchers
_NAMES: dict[int, str] = {}  # id(dispatcher) -> module name, for locks and repairs
COMPILE_LOG: list[tuple[str, str, float, bool]] = []  # (kernel, variant, seconds, from disk)


def kernel_functions(source: str) -> tuple[Any, Any]:
    """The (serial, parallel) numba dispatchers of a kernel source, created once."""
    name, source = cache.module_name(source)
    if name not in _KERNELS:
        module, on_disk = cache.load_module(name, source)
        opts: dict[str, Any] = dict(settings.NJIT_OPTIONS, fastmath=FASTMATH, cache=on_disk)
        serial = numba.njit(**opts)(module.kernel_serial)
        parallel = numba.njit(parallel=True, **opts)(module.kernel_parallel)
        _KERNELS[name] = (serial, parallel)
        _NAMES[id(serial)] = _NAMES[id(parallel)] = name
    return _KERNELS[name]


def ensure_compiled(dispatcher: Any, signature: tuple) -> None:
    """Compile (or load from disk) one signature now, holding the kernel's file lock so that
    concurrent processes compile it once; a cache entry numba cannot read is rebuilt."""
    if signature in dispatcher.overloads:
        return
    name = _NAMES[id(dispatcher)]
    lock = cache.lock_path(name)
    hits = sum(dispatcher.stats.cache_hits.values())
    t0 = time.perf_counter()
    with cache.file_lock(lock) if lock else contextlib.nullcontext():
        try:
            dispatcher.compile(signature)
        except Exception as err:  # noqa: BLE001  (numba raises EOFError etc. on bad files)
            if not lock:
                raise
            warnings.warn(f"tracegrad: could not load kernel {name} from the cache "
                          f"({type(err).__name__}: {err}); rebuilding it", cache.CacheWarning,
                          stacklevel=2)
            cache.purge(name)
            dispatcher.compile(signature)
    from_disk = sum(dispatcher.stats.cache_hits.values()) > hits
    variant = "parallel" if dispatcher.targetoptions.get("parallel") else "serial"
    COMPILE_LOG.append((name, variant, time.perf_counter() - t0, from_disk))


def signature(arrays: list[tuple[str, int]], n_ints: int, floats: list[str]) -> tuple:
    """numba argument types: C-ordered arrays (dtype, ndim), int64 sizes, float constants."""
    return tuple([numba.types.Array(numba.from_dtype(np.dtype(dt)), nd, "C")
                  for dt, nd in arrays] + [numba.types.int64] * n_ints +
                 [numba.from_dtype(np.dtype(dt)) for dt in floats])


def compiled(job: dict) -> Any:
    """The dispatcher of one kernel job (see ``jobs.kernel_jobs``), compiled for its types."""
    serial, parallel = kernel_functions(job["source"])
    fn = parallel if job["variant"] == "parallel" else serial
    ensure_compiled(fn, signature(*job["arguments"]))
    return fn


def compile_stats() -> dict[str, int]:
    """Numba compilations in this process, and how many came from numba's disk cache."""
    overloads = hits = 0
    for pair in _KERNELS.values():
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
