"""Compiler settings. Defaults come from ``TRACEGRAD_*`` variables; tracegrad.config keeps them
in sync when a user changes its config object (the compiler never imports tracegrad)."""

from __future__ import annotations

import os


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracegrad")


cache_dir: str = os.environ.get("TRACEGRAD_CACHE_DIR") or _default_cache_dir()
parallel_min: int = int(os.environ.get("TRACEGRAD_PARALLEL_MIN", "32768") or 32768)
# OpenBLAS's threads keep spinning for a while after each product and take the cores a
# parallel kernel needs: a 131072-element kernel right after a matmul took 10 ms in parallel
# and 0.01 ms alone (measured on 2 cores). Graphs with matmuls use this threshold instead.
parallel_min_with_blas: int = 1 << 21
num_threads: int = int(os.environ.get("TRACEGRAD_NUM_THREADS", "0") or 0)
disable_jit: bool = os.environ.get("TRACEGRAD_DISABLE_JIT", "0") in ("1", "true", "yes")
enable_checks: bool = os.environ.get("TRACEGRAD_ENABLE_CHECKS", "0") in ("1", "true", "yes")
# "blocking": compile before the first call; "on": serve calls with the interpreter while
# kernels compile in a background thread; "off": never compile (the interpreter only).
tiers: str = os.environ.get("TRACEGRAD_TIERS", "blocking").strip().lower() or "blocking"
# Bumped whenever generated code changes meaning, so old cache entries are never reused.
CODEGEN_VERSION = 7
# How kernels are compiled. fastmath without 'nnan'/'ninf' (NaN and Inf keep NumPy's
# semantics); error_model='numpy' makes x/0 give inf instead of raising, which also keeps a
# branch out of every loop with a division, so the loop vectorises. (compiler.vmath holds
# the same flag set; a test checks they agree.)
NJIT_OPTIONS = {"fastmath": ["afn", "arcp", "contract", "nsz", "reassoc"],
                "error_model": "numpy"}
