"""How a Parameter is initialised (now or deferred), loaded and cast: the half of
:class:`~tracegrad.gluon.parameter.Parameter` that creates its arrays."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tracegrad import autograd, initializer, nd
from tracegrad.ndarray import Context, NDArray, _wrap, cpu

__all__ = ["ParameterInit", "shape_is_known"]


def shape_is_known(shape: Any) -> bool:
    return shape is not None and all(int(d) > 0 for d in shape)


class ParameterInit:
    """Initialisation, deferred initialisation, loading and casting of a Parameter."""

    name: str
    _data: list | None
    _grad: list | None
    _deferred_init: tuple
    _allow_deferred_init: bool
    _ctx_list: list | None
    _dtype: Any
    init: Any
    grad_req: Any
    shape: Any
    dtype: Any

    def data(self, ctx: Any = None) -> NDArray:
        raise NotImplementedError

    def set_data(self, data: Any) -> None:
        raise NotImplementedError

    # -- initialisation --------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: Any = None,
                   default_init: Any = initializer.Uniform(), force_reinit: bool = False) -> None:
        """Create the array (and gradient), filled by ``init``, else the parameter's own
        ``init``, else ``default_init``; deferred while the shape has unknown dimensions."""
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. Set "
                          "force_reinit=True to re-initialize.", stacklevel=2)
            return
        self._data = self._grad = None
        if ctx is None or isinstance(ctx, Context):
            ctx = [ctx or cpu()]
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has "
                             f"invalid shape: {self.shape}.")
        self._deferred_init = (init, ctx, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not shape_is_known(self.shape):
            raise AssertionError(f"Cannot initialize Parameter '{self.name}' because it has "
                                 f"invalid shape: {self.shape}. Please specify in_units, "
                                 "in_channels, etc for `Block`s.")
        with autograd.pause():
            if data is None:
                data = nd.zeros(self.shape, dtype=self.dtype)
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {"__init__": init}), data)
            self._init_impl(data, ctx)

    def _init_impl(self, data: NDArray, ctx_list: list) -> None:
        self._ctx_list = list(ctx_list)
        arr = np.array(data._data if isinstance(data, NDArray) else data,
                       dtype=np.dtype(self.dtype), copy=True)
        self._data = [_wrap(arr)]
        self._init_grad()

    def _init_grad(self) -> None:
        if self.grad_req == "null" or self._data is None:
            self._grad = None
            return
        self._grad = [nd.zeros(d.shape, dtype=d.dtype) for d in self._data]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    def _reduce(self) -> NDArray:
        return self.data().copy()

    def _load_init(self, data: NDArray, ctx: Any, cast_dtype: bool = False,
                   dtype_source: str = "current") -> None:
        if self.shape:
            for mine, theirs in zip(self.shape, data.shape):
                if mine not in (0, -1, theirs):
                    raise AssertionError(
                        f"Failed loading Parameter '{self.name}' from saved params: shape "
                        f"incompatible expected {self.shape} vs saved {data.shape}")
            self.shape = tuple(j if i in (0, -1) else i for i, j in zip(self.shape, data.shape))
        if self.dtype:
            if cast_dtype and np.dtype(self.dtype) != np.dtype(data.dtype):
                if dtype_source == "current":
                    data = data.astype(self.dtype)
                else:
                    self.dtype = data.dtype
            elif np.dtype(self.dtype) != np.dtype(data.dtype):
                raise AssertionError(
                    f"Failed loading Parameter '{self.name}' from saved params: dtype "
                    f"incompatible expected {self.dtype} vs saved {data.dtype}. Set "
                    "cast_dtype=True to cast the dtype of saved params.")
        if self._data is None:
            ctx = self._deferred_init[1] if self._deferred_init else [cpu()]
            self._init_impl(data, ctx)
        else:
            self.set_data(data)
        self._deferred_init = ()

    def reset_ctx(self, ctx: Any) -> None:
        """Contexts other than the CPU do not exist here: accepted and ignored."""

    def cast(self, dtype: Any) -> None:
        """Cast the data and the gradient to ``dtype``."""
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = [_wrap(d._data.astype(dtype)) for d in self._data]
            if self._grad is None:
                return
            self._grad = [_wrap(g._data.astype(dtype)) for g in self._grad]
            autograd.mark_variables(self._data, self._grad, self.grad_req)

    def zero_grad(self) -> None:
        """Set the gradient buffer to 0 (needed with ``grad_req='add'``)."""
        for g in self._grad or []:
            g._own()
            g._data[...] = 0

    def var(self) -> Any:
        raise NotImplementedError("tracegrad has no symbolic API: Parameter.var() does not "
                                  "exist. Hybridized blocks are traced into graphs instead "
                                  "(see block.explain()).")
