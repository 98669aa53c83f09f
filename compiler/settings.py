"""Every setting of tracegrad, read once from ``TRACEGRAD_*`` variables and validated.

This module is the one source: the compiler reads its attributes (``settings.tiers``), and
``tracegrad.config`` is a view that reads and writes them through :func:`set`. A value that
is not accepted — in the environment or in code — raises :class:`SettingsError` naming the
variable and what it accepts, at import or at the assignment, never later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

from .errors import SettingsError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _boolean(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError


def _count(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)  # "1e5" and "2.5" are refused: say the integer
        if value < low or (high is not None and value > high):
            raise ValueError
        return value
    return parse


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in options:
            raise ValueError
        return text.lower()
    return parse


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracegrad")


@dataclass(frozen=True)
class Spec:
    """One setting: its attribute, variable, default, parser and what it accepts."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    accepted: str

    @property
    def variable(self) -> str:
        return "TRACEGRAD_" + self.name.upper()


BOOLEAN = "0 or 1 (also false/true, no/yes, off/on)"
SPECS: tuple[Spec, ...] = (
    Spec("strict", False, _boolean, BOOLEAN),
    Spec("disable_jit", False, _boolean, BOOLEAN),
    Spec("debug", 0, _count(0, 3), "an integer from 0 to 3"),
    Spec("enable_checks", False, _boolean, BOOLEAN),
    Spec("cache_dir", _default_cache_dir(), str, "a folder"),
    Spec("num_threads", 0, _count(0), "an integer >= 0 (0: numba's thread count)"),
    Spec("parallel_min", 32768, _count(0), "an integer >= 0 (an element count)"),
    Spec("tiers", "on", _choice("blocking", "on", "off"), "blocking, on or off"),
    Spec("compile_loops_after", 3, _count(0), "an integer >= 0 (0: never)"),
)
_BY_NAME = {s.name: s for s in SPECS}


def _parse(spec: Spec, value: Any, where: str) -> Any:
    """``value`` (text, or a value of the setting's type) as the setting's type."""
    if isinstance(value, str):
        try:
            return spec.parse(value.strip())
        except ValueError:
            pass
    elif isinstance(value, type(spec.default)) and not (
            isinstance(value, bool) and not isinstance(spec.default, bool)):
        try:
            return spec.parse(str(int(value)) if isinstance(value, bool) else str(value))
        except ValueError:
            pass
    raise SettingsError(f"{where} = {value!r} is not accepted: {spec.variable} (config."
                        f"{spec.name}) takes {spec.accepted}.")


def set(name: str, value: Any) -> None:  # noqa: A001  (settings.set reads well)
    """Change a setting in code (what ``tracegrad.config.NAME = value`` does)."""
    spec = _BY_NAME.get(name)
    if spec is None:
        raise AttributeError(f"tracegrad has no setting {name!r}; the settings are "
                             f"{', '.join(_BY_NAME)}")
    globals()[name] = _parse(spec, value, f"config.{name}")
    for callback in _OBSERVERS.get(name, ()):
        callback()


def as_dict() -> dict[str, Any]:
    return {s.name: globals()[s.name] for s in SPECS}


_OBSERVERS: dict[str, list[Callable[[], None]]] = {}


def on_change(name: str, callback: Callable[[], None]) -> None:
    """Call ``callback`` after setting ``name`` changes (the kernel cache forgets its folder
    when ``cache_dir`` does)."""
    _OBSERVERS.setdefault(name, []).append(callback)


def _from_environment() -> None:
    for spec in SPECS:
        text = os.environ.get(spec.variable, "")
        globals()[spec.name] = _parse(spec, text, spec.variable) if text.strip() else \
            spec.default


strict: bool
disable_jit: bool
debug: int
enable_checks: bool
cache_dir: str
num_threads: int
parallel_min: int
tiers: str  # "on": the interpreter serves while kernels compile; "blocking": compile first
compile_loops_after: int
_from_environment()

# OpenBLAS's threads keep spinning for a while after each product and take the cores a
# parallel kernel needs: a 131072-element kernel right after a matmul took 10 ms in parallel
# and 0.01 ms alone (measured on 2 cores). Graphs with matmuls use this threshold instead.
parallel_min_with_blas: int = 1 << 21
# Bumped whenever generated code changes meaning, so old cache entries are never reused.
CODEGEN_VERSION = 12
# How kernels are compiled. fastmath without 'nnan'/'ninf' (NaN and Inf keep NumPy's
# semantics); error_model='numpy' makes x/0 give inf instead of raising, which also keeps a
# branch out of every loop with a division, so the loop vectorises. (The backend's vmath
# holds the same flag set; a test checks they agree.)
# no_cfunc_wrapper: kernels are called through numba's dispatcher only, so the C-callable
# wrapper numba would also compile for each is not needed (2-4% of a kernel's compile time).
NJIT_OPTIONS = {"fastmath": ["afn", "arcp", "contract", "nsz", "reassoc"],
                "error_model": "numpy", "no_cfunc_wrapper": True}
