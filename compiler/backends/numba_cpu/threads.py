"""numba's threading layer, chosen in one place before any parallel kernel runs.

numba runs ``prange`` loops on one of three layers, picked at the first parallel launch and
fixed for the process:

* ``omp`` (GNU OpenMP on Linux): safe when several threads launch kernels at once, but a
  process that forks after a parallel kernel gets children that abort ("fork() called from a
  process already using GNU OpenMP"), so ``multiprocessing.Pool`` (fork is Linux's default)
  hangs;
* ``workqueue``: fork-safe, but numba aborts the process when two threads launch parallel
  kernels at once;
* ``tbb``: fork-safe and thread-safe; needs the ``tbb`` package (a dependency of tracegrad
  where wheels exist).

tracegrad uses ``tbb``. The ``tbb`` wheel puts ``libtbb.so.12`` in ``<venv>/lib``, which is
not on the loader's path, so numba alone reports the layer unavailable; tracegrad loads the
library from where the wheel recorded it first. Where tbb cannot be loaded it warns once and
uses ``workqueue``, with a lock so that parallel kernels from several threads run one at a
time (:func:`guard`). A user's own ``NUMBA_THREADING_LAYER`` is respected, as is a layer
numba already started. The speed of the three layers is the same within noise on the
benchmark machine (numbers in ``docs/configuration.md``): safety decides.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import sys
import threading
import warnings
from typing import Any, Callable

import numba

PREFERRED = "tbb"
FALLBACK = "workqueue"
# Layers under which several threads may launch parallel kernels at the same time.
THREAD_SAFE = ("tbb", "omp", "safe", "threadsafe")


class ThreadingLayerWarning(RuntimeWarning):
    """tracegrad could not use the threading layer it prefers."""


_STATE: dict[str, Any] = {"layer": None, "reason": ""}
_PARALLEL_LOCK = threading.Lock()


def _reset_lock_in_child() -> None:
    global _PARALLEL_LOCK
    _PARALLEL_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_reset_lock_in_child)


def in_use() -> str | None:
    """The layer numba started, or None before the first parallel kernel."""
    try:
        return str(numba.threading_layer())
    except ValueError:
        return None


_LIBTBB = {"win32": "tbb12.dll", "darwin": "libtbb.12.dylib"}.get(sys.platform, "libtbb.so.12")


def _preload_libtbb() -> bool:
    """Load libtbb from where the ``tbb`` wheel put it (``<venv>/lib`` on Linux, which is
    not on the loader's path: numba's tbbpool extension then fails with "libtbb.so.12:
    cannot open shared object file"). Once loaded, the loader finds it by its soname."""
    try:
        files = importlib.metadata.files("tbb") or []
    except importlib.metadata.PackageNotFoundError:
        return False
    for f in files:
        if f.name == _LIBTBB:
            path = str(f.locate())
            try:
                if sys.platform == "win32":
                    os.add_dll_directory(os.path.dirname(path))
                ctypes.CDLL(path, mode=getattr(ctypes, "RTLD_GLOBAL", 0))
            except OSError:
                return False
            return True
    return False


def tbb_available() -> tuple[bool, str]:
    """Whether numba can load its tbb layer here (and if not, why), checked as numba does:
    the extension that links libtbb, and TBB's interface version."""
    try:
        try:
            from numba.np.ufunc import tbbpool  # type: ignore[attr-defined]  # noqa: F401
        except ImportError:
            if not _preload_libtbb():
                raise
            from numba.np.ufunc import tbbpool  # type: ignore[attr-defined]  # noqa: F401,F811
        from numba.np.ufunc.parallel import _check_tbb_version_compatible

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _check_tbb_version_compatible()
    except (ImportError, OSError, AttributeError) as err:
        return False, str(err).splitlines()[0] if str(err) else type(err).__name__
    return True, ""


def configure() -> str:
    """Set ``numba.config.THREADING_LAYER`` (unless the user or an earlier kernel chose
    already) and return the layer that parallel kernels will use, as numba names it."""
    if _STATE["layer"] is not None:
        return _STATE["layer"]
    started = in_use()
    ok, why = tbb_available() if started is None else (False, "")  # makes libtbb loadable
    if started is not None:
        layer = started
    elif os.environ.get("NUMBA_THREADING_LAYER"):
        layer = str(numba.config.THREADING_LAYER).lower()  # type: ignore[attr-defined]
    else:
        layer = PREFERRED if ok else FALLBACK
        if not ok:
            _STATE["reason"] = why
            warnings.warn(
                f"tracegrad: numba's tbb threading layer is not available ({why}); parallel "
                f"kernels use the {FALLBACK} layer, one at a time across threads. Install "
                "tbb (pip install tbb) for concurrent parallel kernels.",
                ThreadingLayerWarning, stacklevel=2)
        numba.config.THREADING_LAYER = layer  # type: ignore[attr-defined]
    _STATE["layer"] = layer
    return layer


def needs_lock() -> bool:
    """Whether parallel kernels must run one at a time (workqueue, or a layer numba may
    resolve to it)."""
    return (in_use() or configure()) not in THREAD_SAFE


def guard(kernel: Callable) -> Callable:
    """``kernel`` itself under a thread-safe layer; under another, a function that runs it
    holding one process-wide lock."""
    if not needs_lock():
        return kernel

    def locked(*args: Any) -> Any:
        with _PARALLEL_LOCK:
            return kernel(*args)

    locked.__wrapped__ = kernel  # type: ignore[attr-defined]
    return locked


configure()
