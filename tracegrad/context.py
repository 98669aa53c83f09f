"""Devices, as MXNet's ``Context``. tracegrad computes on the CPU: ``cpu(0)`` and MXNet's CPU
memory kinds ``cpu_pinned(0)`` and ``cpu_shared(0)`` (``mx.Context('cpu_shared', 0)``, used by
data loader workers) are accepted wherever a ``ctx`` is; arrays report ``cpu(0)``. Any other
device (``gpu``) is a :class:`DeviceError` (a ValueError, and a RuntimeError like MXNet's
``MXNetError``, so ``except mx.base.MXNetError`` fallbacks to the CPU work);
``num_gpus()`` is 0.

>>> import tracegrad as mx
>>> ctx = mx.gpu() if mx.context.num_gpus() > 0 else mx.cpu()
>>> ctx, mx.current_context()
(cpu(0), cpu(0))
"""

from __future__ import annotations

from typing import Any

from tracegrad._compiler.errors import TracegradError

_CPU_KINDS = ("cpu", "cpu_pinned", "cpu_shared")


class DeviceError(TracegradError, ValueError, RuntimeError):
    """A device other than the CPU."""


class Context:
    """A device: ``Context('cpu', 0)``, or another ``Context`` (copied), as ``mx.Context``."""

    __slots__ = ("device_type", "device_id")

    def __init__(self, device_type: Any = "cpu", device_id: int = 0) -> None:
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in _CPU_KINDS:
            raise DeviceError(f"tracegrad runs on the CPU only; got context "
                              f"{device_type!r}({device_id}) (num_gpus() is 0). Use "
                              "tracegrad.cpu() (or leave ctx out).")
        self.device_type = device_type
        self.device_id = int(device_id)

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Context) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


def cpu(device_id: int = 0) -> Context:
    """The CPU context, as ``mx.cpu()``."""
    return Context("cpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    """MXNet's pinned CPU memory, as ``mx.cpu_pinned()``: the CPU here."""
    return Context("cpu_pinned", device_id)


def cpu_shared(device_id: int = 0) -> Context:
    """MXNet's shared CPU memory (``mx.Context('cpu_shared', 0)``): the CPU here."""
    return Context("cpu_shared", device_id)


def gpu(device_id: int = 0) -> Context:
    """``mx.gpu()``: a :class:`DeviceError`, since tracegrad computes on the CPU only."""
    return Context("gpu", device_id)


def num_gpus() -> int:
    """The number of GPUs tracegrad can use: 0 (``mx.context.num_gpus()``)."""
    return 0


def current_context() -> Context:
    """The default context, ``cpu(0)`` (``mx.current_context()``)."""
    return CPU


CPU = cpu(0)
