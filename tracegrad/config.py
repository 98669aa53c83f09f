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

Every value is validated once: an unknown value raises ``SettingsError``, naming the variable
and what it accepts.

>>> from tracegrad import config
>>> config.strict
False
"""

from __future__ import annotations

import logging
from typing import Any

from tracegrad._compiler import settings


class Config:
    """A view of the compiler's settings (``tracegrad._compiler.settings``, the one source):
    reading an attribute reads the setting, assigning validates and sets it."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name in self.names():
            return getattr(settings, name)
        raise AttributeError(f"tracegrad.config has no setting {name!r}; the settings are "
                             f"{', '.join(self.names())}")

    def __setattr__(self, name: str, value: Any) -> None:
        settings.set(name, value)

    @staticmethod
    def names() -> list[str]:
        return [s.name for s in settings.SPECS]

    def as_dict(self) -> dict[str, Any]:
        return settings.as_dict()

    def __dir__(self) -> list[str]:
        return self.names() + ["as_dict", "names"]

    def __repr__(self) -> str:
        return "config(" + ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items()) + ")"


config = Config()

logger = logging.getLogger("tracegrad")
if config.debug and not logger.handlers:
    # The user asked for debug output with TRACEGRAD_DEBUG, so make it visible on stderr.
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("[tracegrad] %(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.DEBUG)
