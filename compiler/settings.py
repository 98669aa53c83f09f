"""Compiler settings. Defaults come from ``TRACEGRAD_*`` variables; tracegrad.config keeps them
in sync when a user changes its config object (the compiler never imports tracegrad)."""

from __future__ import annotations

import os


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracegrad")


cache_dir: str = os.environ.get("TRACEGRAD_CACHE_DIR") or _default_cache_dir()
parallel_min: int = int(os.environ.get("TRACEGRAD_PARALLEL_MIN", "131072") or 131072)
num_threads: int = int(os.environ.get("TRACEGRAD_NUM_THREADS", "0") or 0)
disable_jit: bool = os.environ.get("TRACEGRAD_DISABLE_JIT", "0") in ("1", "true", "yes")
