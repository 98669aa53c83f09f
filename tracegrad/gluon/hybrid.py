"""What ``HybridBlock.hybridize()`` compiles.

The block's forward pass becomes one function of ``(inputs, parameter arrays)``, compiled by
``tracegrad.jit`` per input signature (shapes, dtypes and the training flag, so Dropout and
BatchNorm compile once per mode). While it is traced, each ``Parameter.data()`` of the
block and its children returns the traced array passed in for it, and the children run
their ``hybrid_forward`` inline: the whole tree is one graph, fused as one.

* Under ``autograd.record()`` the call is recorded as one ``call`` node whose backward is
  the compiled gradient graph, and the gradients land in the parameters' ``.grad``.
* Running statistics (BatchNorm) are extra outputs of the graph, written into their
  parameters after the call.
* Python control flow on array values falls back to eager execution exactly as ``jit``
  does; ``block.explain()`` shows the ledger.
* Parameters with a deferred shape: the first call runs eagerly to infer the shapes and
  initialise them; the calls after it compile.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import jit as _jit
from tracegrad.gluon.parameter import TRACE_VALUES, Parameter, _write
from tracegrad.ndarray import NDArray

__all__ = ["CachedForward", "update_aux"]


def update_aux(target: NDArray, value: NDArray) -> None:
    """Set a running statistic (a parameter's array) to ``value``: inside a compiled forward
    the new value becomes an output of the graph, written back after the call; otherwise
    it is written now."""
    traced = TRACE_VALUES.get()
    if traced is not None:
        name = traced[1].get(id(target))
        if name is not None:
            traced[2][name] = value
            return
    if target.is_traced or value.is_traced:
        raise TypeError("a running statistic of a traced (jit) forward pass that is not a "
                        "parameter of the hybridized block cannot be updated")
    _write(target, value)


class CachedForward:
    """A block's forward pass as a ``tracegrad.jit`` function of (inputs, parameters)."""

    def __init__(self, block: Any) -> None:
        self.block = block
        self.params: list[Parameter] | None = None

        def forward(*args: Any) -> Any:
            return self._run(*args)

        forward.__name__ = forward.__qualname__ = block.name
        self.jitted = _jit(forward)

    def _run(self, *args: Any) -> tuple:
        *inputs, values = args
        assert self.params is not None
        by_param = {id(p): v for p, v in zip(self.params, values)}
        names = {id(v): p.name for p, v in zip(self.params, values)}
        aux: dict[str, NDArray] = {}
        token = TRACE_VALUES.set((by_param, names, aux))
        try:
            out = self.block._eager_forward(*inputs)
        finally:
            TRACE_VALUES.reset(token)
        return out, aux

    def _ready(self) -> bool:
        """Whether every parameter is initialised (else the next call runs eagerly, which
        completes deferred initialisation)."""
        if self.params is None:
            params = list(self.block.collect_params().values())
            if any(p._data is None for p in params):
                return False
            self.params = params
            self.by_name = {p.name: p for p in params}
        return True

    def __call__(self, *inputs: Any) -> Any:
        if not self._ready():
            return self.block._eager_forward(*inputs)
        values = [p._data[0] for p in self.params]  # type: ignore[union-attr,index]
        out, aux = self.jitted(*inputs, values)
        for name, value in aux.items():
            _write(self.by_name[name]._data[0], np.asarray(value._data))
        return out

    def explain(self) -> str:
        return self.jitted.explain()

    def lower(self, *inputs: Any) -> Any:
        if not self._ready():
            self.block._eager_forward(*inputs)
            self._ready()
        values = [p._data[0] for p in self.params]  # type: ignore[union-attr,index]
        return self.jitted.lower(*inputs, values)
