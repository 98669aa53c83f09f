"""The persistent kernel cache, for users: ``tracegrad.cache.info()`` and ``clear()``.

Kernels persist across processes in ``TRACEGRAD_CACHE_DIR`` (by default
``$XDG_CACHE_HOME/tracegrad`` or ``~/.cache/tracegrad``). ``python -m tracegrad cache`` prints
the same information; ``python -m tracegrad cache --clear`` empties it.

>>> from tracegrad import cache
>>> sorted(cache.info())
['bytes', 'folder', 'kernels', 'platform_folder', 'writable']
"""

from __future__ import annotations

from typing import Any

from tracegrad._compiler.backends.numba_cpu import cache as _cache


def info() -> dict[str, Any]:
    """The cache folder, this machine's subfolder, the number of kernels and the bytes used."""
    return _cache.info()


def clear() -> None:
    """Delete every cached kernel; they are compiled again when next needed."""
    _cache.clear()


def text() -> str:
    i = info()
    return (f"cache folder: {i['folder']}\n"
            f"this platform: {i['platform_folder']}\n"
            f"kernels: {i['kernels']}, size: {i['bytes'] / 1e6:.1f} MB, "
            f"writable: {i['writable']}")
