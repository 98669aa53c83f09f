"""Settings, read once from ``TRACEGRAD_*`` environment variables and changeable in code.

=============================  ===========  ==================================================
variable                       default      meaning
=============================  ===========  ==================================================
``TRACEGRAD_STRICT``           0            1: jit raises instead of falling back to eager
``TRACEGRAD_DISABLE_JIT``      0            1: jit runs graphs with the interpreter, no numba
``TRACEGRAD_DEBUG``            0            1: log the traced IR; 2: also the optimised
                                            IR; 3: also the generated source
``TRACEGRAD_ENABLE_CHECKS``    0            1: validate the graph after every compiler pass
``TRACEGRAD_CACHE_DIR``        XDG cache    folder of the persistent kernel cache
``TRACEGRAD_NUM_THREADS``      all cores    threads for parallel kernels
``TRACEGRAD_PARALLEL_MIN``     32768        elements below which kernels run serially
                                            (graphs with matrix products: 2**21)
``TRACEGRAD_TIERS``            blocking     ``on``: run the interpreter while kernels
                                            compile in the background; ``blocking``: wait
                                            for them; ``off``: never compile
``TRACEGRAD_COMPILE_LOOPS_AFTER`` 3         compile ``backward()`` of a tape whose structure
                                            was seen this often (0: never)
=============================  ===========  ==================================================

>>> from tracegrad import config
>>> config.strict
False
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, fields


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracegrad")


@dataclass
class Config:
    strict: bool = False
    disable_jit: bool = False
    debug: int = 0
    enable_checks: bool = False
    cache_dir: str = ""
    num_threads: int = 0
    parallel_min: int = 32768
    tiers: str = "blocking"
    compile_loops_after: int = 3

    @classmethod
    def from_env(cls) -> Config:
        return cls(
            strict=_flag("TRACEGRAD_STRICT"),
            disable_jit=_flag("TRACEGRAD_DISABLE_JIT"),
            debug=int(os.environ.get("TRACEGRAD_DEBUG", "0") or 0),
            enable_checks=_flag("TRACEGRAD_ENABLE_CHECKS"),
            cache_dir=os.environ.get("TRACEGRAD_CACHE_DIR") or _default_cache_dir(),
            num_threads=int(os.environ.get("TRACEGRAD_NUM_THREADS", "0") or 0),
            parallel_min=int(os.environ.get("TRACEGRAD_PARALLEL_MIN", "32768")),
            tiers=os.environ.get("TRACEGRAD_TIERS", "blocking").strip().lower() or "blocking",
            compile_loops_after=int(os.environ.get("TRACEGRAD_COMPILE_LOOPS_AFTER", "3") or 0),
        )

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        # the compiler has its own copy of the settings it needs (it never imports tracegrad)
        from tracegrad._compiler import settings

        if hasattr(settings, name):
            setattr(settings, name, value)
        if name == "cache_dir":
            from tracegrad._compiler.backends.numba_cpu import cache

            cache.reset()


config = Config.from_env()

logger = logging.getLogger("tracegrad")
if config.debug and not logger.handlers:
    # The user asked for debug output with TRACEGRAD_DEBUG, so make it visible on stderr.
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("[tracegrad] %(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.DEBUG)
