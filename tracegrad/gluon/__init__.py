"""``tracegrad.gluon``: a drop-in for ``mxnet.gluon`` (``from tracegrad import gluon``).

Blocks and parameters named as in MXNet 1.x, layers (``nn``, ``rnn``), losses, ``Trainer`` with
MXNet's optimizers, data loading, and ``hybridize()``, which compiles a block's forward
pass (and, under ``autograd.record()``, its backward pass) with ``tracegrad.jit``.
See docs/gluon.md.
"""

from tracegrad.gluon import data, loss, nn, utils  # noqa: E402
from tracegrad.gluon.block import Block, HybridBlock  # noqa: E402
from tracegrad.gluon.parameter import (  # noqa: E402
    Constant,
    DeferredInitializationError,
    Parameter,
)
from tracegrad.gluon.parameter_dict import ParameterDict  # noqa: E402
from tracegrad.gluon.trainer import Trainer  # noqa: E402
from tracegrad.ndarray import NDArray  # noqa: E402

__all__ = ["Block", "HybridBlock", "Parameter", "Constant", "ParameterDict",
           "DeferredInitializationError", "Trainer", "nn", "rnn", "contrib", "loss", "data",
           "utils", "tensor_types"]

tensor_types = (NDArray,)  # as mxnet.gluon.tensor_types (no symbols here)


def __getattr__(name: str) -> object:
    """``gluon.rnn`` and ``gluon.contrib`` are imported at first use."""
    if name in ("rnn", "contrib"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
