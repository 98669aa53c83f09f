"""Parameters of Gluon blocks: :class:`Parameter`, :class:`Constant`, :class:`ParameterDict`.

A Parameter holds one NDArray (tracegrad has one context, the CPU) and, unless its
``grad_req`` is ``'null'``, a gradient buffer attached with ``autograd.mark_variables``, so
``backward()`` writes into it. A shape with unknown dimensions (0) defers initialisation to
the first forward pass, which infers the shape from the input.

Inside a compiled (hybridized) forward pass, ``data()`` returns the traced value that the
block passed in for this parameter (see :mod:`tracegrad.gluon.hybrid`).

>>> from tracegrad import gluon, init
>>> w = gluon.Parameter("fc_weight", shape=(2, 3), init=init.One())
>>> w.initialize()
>>> w
Parameter fc_weight (shape=(2, 3), dtype=<class 'numpy.float32'>)
>>> w.data().asnumpy().sum(), w.grad().shape
(np.float32(6.0), (2, 3))
"""

from __future__ import annotations

import warnings
from contextvars import ContextVar
from typing import Any

import numpy as np

from tracegrad import initializer, nd
from tracegrad.errors import TracegradError
from tracegrad.gluon.param_init import ParameterInit, shape_is_known  # noqa: F401
from tracegrad.ndarray import Context, NDArray, _wrap, cpu

__all__ = ["DeferredInitializationError", "Parameter", "Constant"]

# While a hybridized block runs its compiled forward: (values by id(Parameter), the
# parameter names by id(value), the collected running-statistics updates by name).
TRACE_VALUES: ContextVar[tuple | None] = ContextVar("tracegrad_gluon_values", default=None)


class DeferredInitializationError(TracegradError, RuntimeError):
    """A parameter whose initialisation waits for the first forward pass was used."""


def _write(arr: NDArray, value: Any) -> None:
    """Copy ``value`` into ``arr`` in place (its own buffer; the graph is not involved)."""
    arr._own()
    np.copyto(arr._data, value._data if isinstance(value, NDArray) else np.asarray(value),
              casting="unsafe")


class Parameter(ParameterInit):
    """A weight of a Block, with its gradient buffer, as ``mxnet.gluon.Parameter``."""

    def __init__(self, name: str, grad_req: str = "write", shape: Any = None,
                 dtype: Any = np.float32, lr_mult: float = 1.0, wd_mult: float = 1.0,
                 init: Any = None, allow_deferred_init: bool = False,
                 differentiable: bool = True, stype: str = "default",
                 grad_stype: str = "default") -> None:
        self._data: list[NDArray] | None = None
        self._grad: list[NDArray] | None = None
        self._ctx_list: list[Context] | None = None
        self._trainer: Any = None
        self._deferred_init: tuple = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req: str | None = None
        if isinstance(shape, int):
            shape = (shape,)
        self._shape = tuple(shape) if shape is not None else None
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        for what, st in (("grad_stype", grad_stype), ("stype", stype)):
            if st not in ("default", "row_sparse", "csr"):
                raise AssertionError(f"{what} for Parameter '{name}' must be one of 'default', "
                                     f"'row_sparse', or 'csr', but got '{st}'")
            if st != "default":
                raise NotImplementedError(f"Parameter '{name}': {what}={st!r} (sparse storage) "
                                          "is not supported by tracegrad; use 'default'")
        self._stype = stype
        self._grad_stype = grad_stype

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # -- attributes ------------------------------------------------------------------------
    @property
    def grad_req(self) -> str | None:
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in ("write", "add", "null"):
            raise AssertionError(f"grad_req must be one of 'write', 'add', or 'null', but got "
                                 f"'{req}'")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            self._data = [_wrap(d._data) for d in self._data or []]  # detached
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self) -> Any:
        return self._dtype

    @dtype.setter
    def dtype(self, dtype: Any) -> None:
        self.cast(dtype)

    @property
    def shape(self) -> tuple | None:
        return self._shape

    @shape.setter
    def shape(self, new_shape: Any) -> None:
        new_shape = tuple(new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or not all(
                j in (-1, 0, i) for i, j in zip(new_shape, self._shape)):
            raise AssertionError(f"Expected shape {new_shape} is incompatible with given shape "
                                 f"{self._shape}.")
        self._shape = new_shape

    def _set_trainer(self, trainer: Any) -> None:
        self._trainer = trainer

    # -- data and gradient -----------------------------------------------------------------
    def _check_and_get(self, arr_list: list | None, ctx: Any) -> Any:
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None or (isinstance(ctx, Context) and ctx.device_type == "cpu"):
                return arr_list[0]
            raise RuntimeError(f"Parameter '{self.name}' was not initialized on context "
                               f"{ctx}. It was only initialized on {self._ctx_list}.")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization "
                "was deferred. Actual initialization happens during the first forward pass. "
                "Please pass one batch of data through the network before accessing "
                "Parameters. You can also avoid deferred initialization by specifying "
                "in_units, num_features, etc., for network layers.")
        raise RuntimeError(
            f"Parameter '{self.name}' has not been initialized. Note that you should "
            "initialize parameters and create Trainer with Block.collect_params() instead of "
            "Block.params because the later does not include Parameters of nested child "
            "Blocks")

    def data(self, ctx: Any = None) -> NDArray:
        """The parameter's array (inside a compiled forward: its traced value)."""
        traced = TRACE_VALUES.get()
        if traced is not None:
            value = traced[0].get(id(self))
            if value is not None:
                return value
        return self._check_and_get(self._data, ctx)

    def list_data(self) -> list[NDArray]:
        return self._check_and_get(self._data, list)

    def grad(self, ctx: Any = None) -> NDArray:
        if self._data is not None and self._grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' because "
                               "grad_req='null'")
        return self._check_and_get(self._grad, ctx)

    def list_grad(self) -> list[NDArray]:
        if self._data is not None and self._grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' because "
                               "grad_req='null'")
        return self._check_and_get(self._grad, list)

    def list_ctx(self) -> list[Context]:
        if self._data is None:
            if self._deferred_init:
                return list(self._deferred_init[1])
            raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
        return list(self._ctx_list or [cpu()])

    def set_data(self, data: Any) -> None:
        """Set the value (before deferred initialisation completes: the value it will get)."""
        if not isinstance(data, NDArray):
            data = nd.array(data, dtype=self.dtype)
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise AssertionError(f"Parameter '{self.name}' has not been initialized")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        for arr in self._data:
            if arr.shape != data.shape:
                raise ValueError(f"set_data: shape {data.shape} does not match parameter "
                                 f"'{self.name}' of shape {arr.shape}")
            _write(arr, data)

class Constant(Parameter):
    """A parameter that never changes during training (``grad_req`` is always ``'null'``)."""

    def __init__(self, name: str, value: Any) -> None:
        if not isinstance(value, NDArray):
            value = nd.array(value)
        self.value = value
        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype,
                         init=initializer.Constant(value))

    def __repr__(self) -> str:
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self) -> str:
        return "null"

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req != "null":
            warnings.warn(f'Constant parameter "{self.name}" does not support grad_req other '
                          f'than "null", and new value "{req}" is ignored.')
        self._grad_req = "null"


