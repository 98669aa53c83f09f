"""Backends: what turns an optimised graph into something that runs.

A backend is one folder (or module) with a ``BACKEND`` object, plus one line in
:data:`_MODULES`. The protocol is small:

* ``name`` and ``device`` — where its buffers live (``cpu``; a numba-cuda backend says ``gpu``);
* ``can_fuse(eqn)`` — which equations its fused loop bodies can compute (fusion asks);
* ``lower(graph)`` — a :class:`Lowered`: the callable, its source text and the fusion plan;
* ``prepare(graph)`` — optionally start compiling in the background and return a
  :class:`Pending` (tiers use it); ``None`` when there is nothing to wait for;
* ``to_device(array)`` / ``to_host(buffer)`` — move arguments and results (identity on CPU);
* ``stats()`` — counters for ``tracegrad.cache_info()``.

Backends are imported on first use, so asking for the interpreter never imports numba.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from ..ir import Eqn, Graph

Run = Callable[[Sequence[Any]], list]


@dataclass
class Lowered:
    """What a backend made of a graph: ``run(args) -> outputs``, and how it got there."""

    run: Run
    source: str  # the code that runs (generated source, or the interpreter's plan)
    plan: Any = None  # the fusion plan (schedule.fusion.Plan), None when nothing is fused
    compile_log: list = field(default_factory=list)  # (kernel, variant, seconds, from disk)


class Pending(Protocol):
    """A background compilation started by :meth:`Backend.prepare`."""

    def ready(self) -> bool: ...

    def wait(self) -> None: ...


class Backend:
    """Base class of backends: CPU defaults for the optional parts of the protocol."""

    name = "backend"
    device = "cpu"

    def can_fuse(self, eqn: Eqn) -> bool:
        return False

    def lower(self, graph: Graph) -> Lowered:
        raise NotImplementedError

    def prepare(self, graph: Graph) -> Pending | None:
        return None

    def to_device(self, array: np.ndarray) -> Any:
        return array

    def to_host(self, buffer: Any) -> np.ndarray:
        return np.asarray(buffer)

    def stats(self) -> dict[str, int]:
        return {}

    def __repr__(self) -> str:
        return f"<backend {self.name} on {self.device}>"


# One line per backend: its name and the module that defines BACKEND.
_MODULES: dict[str, str] = {
    "interpreter": ".interpreter",
    "numba_cpu": ".numba_cpu",
}
_LOADED: dict[str, Backend] = {}


def get(name: str) -> Backend:
    """The backend called ``name``, imported on first use."""
    if name not in _LOADED:
        if name not in _MODULES:
            raise ValueError(f"unknown backend {name!r}; the registered backends are "
                             f"{', '.join(sorted(_MODULES))}")
        _LOADED[name] = importlib.import_module(_MODULES[name], __name__).BACKEND
    return _LOADED[name]


def names() -> list[str]:
    """Every registered backend (the conformance suite runs each)."""
    return list(_MODULES)


def loaded() -> list[Backend]:
    """The backends this process has used so far (asking does not import the others)."""
    return list(_LOADED.values())
