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

import re
import warnings
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any

import numpy as np

from tracegrad import autograd, initializer, nd
from tracegrad.errors import TracegradError
from tracegrad.gluon.utils import _brief_print_list, _indent
from tracegrad.ndarray import Context, NDArray, _wrap, cpu

__all__ = ["DeferredInitializationError", "Parameter", "Constant", "ParameterDict"]

# While a hybridized block runs its compiled forward: (values by id(Parameter), the
# parameter names by id(value), the collected running-statistics updates by name).
TRACE_VALUES: ContextVar[tuple | None] = ContextVar("tracegrad_gluon_values", default=None)


class DeferredInitializationError(TracegradError, RuntimeError):
    """A parameter whose initialisation waits for the first forward pass was used."""


def shape_is_known(shape: Any) -> bool:
    return shape is not None and all(int(d) > 0 for d in shape)


def _write(arr: NDArray, value: Any) -> None:
    """Copy ``value`` into ``arr`` in place (its own buffer; the graph is not involved)."""
    arr._own()
    np.copyto(arr._data, value._data if isinstance(value, NDArray) else np.asarray(value),
              casting="unsafe")


class Parameter:
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

    def zero_grad(self) -> None:
        """Set the gradient buffer to 0 (needed with ``grad_req='add'``)."""
        for g in self._grad or []:
            g._own()
            g._data[...] = 0

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

    def var(self) -> Any:
        raise NotImplementedError("tracegrad has no symbolic API: Parameter.var() does not "
                                  "exist. Hybridized blocks are traced into graphs instead "
                                  "(see block.explain()).")

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


class ParameterDict:
    """Parameters by full name, as ``mxnet.gluon.ParameterDict``; ``get`` creates them."""

    def __init__(self, prefix: str = "", shared: ParameterDict | None = None) -> None:
        self._prefix = prefix
        self._params: OrderedDict[str, Parameter] = OrderedDict()
        self._shared = shared

    def __repr__(self) -> str:
        name = self._prefix + " " if self._prefix else ""
        content = "\n".join(_indent(f"  {v}", 2) for v in self.values())
        return f"{name}(\n{content}\n)"

    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

    def __iter__(self) -> Any:
        return iter(self._params)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def items(self) -> Any:
        return self._params.items()

    def keys(self) -> Any:
        return self._params.keys()

    def values(self) -> Any:
        return self._params.values()

    @property
    def prefix(self) -> str:
        return self._prefix

    def _get_impl(self, name: str) -> Parameter | None:
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The parameter ``prefix + name``: found here, or in the shared dict, or created
        with ``kwargs``."""
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            existing = getattr(param, k, None)
            if existing is None:
                setattr(param, k, v)
                continue
            if k == "shape" and v is not None and len(v) == len(existing):
                merged = []
                for mine, theirs in zip(v, existing):
                    if mine != theirs and mine > 0 and theirs > 0:
                        break
                    merged.append(theirs if mine in (0, -1) else mine)
                else:
                    param._shape = tuple(merged)
                    continue
            elif k == "dtype" and np.dtype(v) == np.dtype(existing):
                continue
            if v is not None and v != existing:
                raise AssertionError(
                    f"Cannot retrieve Parameter '{name}' because desired attribute does not "
                    f"match with stored for attribute '{k}': desired '{v}' vs stored "
                    f"'{existing}'.")
        return param

    def get_constant(self, name: str, value: Any = None) -> Constant:
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError(f"No constant named '{name}'. Please specify value if you want "
                               "to create a new constant.")
            param = Constant(name, value)
            self._params[name] = param
        return param  # type: ignore[return-value]

    def update(self, other: Any) -> None:
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise AssertionError("Cannot update self with other because they have "
                                     f"different Parameters with the same name '{k}'")
        for k, v in other.items():
            self._params[k] = v

    def initialize(self, init: Any = initializer.Uniform(), ctx: Any = None,
                   verbose: bool = False, force_reinit: bool = False) -> None:
        """Initialize every parameter; ``init`` is the default for those without their own."""
        if verbose:
            init.set_verbosity(verbose=verbose)
        for v in self.values():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        for p in self.values():
            p.zero_grad()

    def reset_ctx(self, ctx: Any) -> None:
        for p in self.values():
            p.reset_ctx(ctx)

    def list_ctx(self) -> list:
        return [cpu()] if self._params else []

    def setattr(self, name: str, value: Any) -> None:
        """Set an attribute on every parameter: ``setattr('grad_req', 'null')``."""
        for p in self.values():
            setattr(p, name, value)

    def select(self, pattern: str) -> ParameterDict:
        ret = ParameterDict(self._prefix)
        prog = re.compile(pattern)
        ret.update({k: v for k, v in self.items() if prog.match(k)})
        return ret

    def save(self, filename: str, strip_prefix: str = "") -> None:
        arg_dict = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise ValueError(
                    f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's "
                    f"name '{param.name}' does not start with '{strip_prefix}'. this may be "
                    "due to your Block shares parameters from other Blocks or you forgot to "
                    "use 'with name_scope()' when creating child blocks.")
            arg_dict[param.name[len(strip_prefix):]] = param._reduce()
        nd.save(filename, arg_dict)

    def load(self, filename: str, ctx: Any = None, allow_missing: bool = False,
             ignore_extra: bool = False, restore_prefix: str = "", cast_dtype: bool = False,
             dtype_source: str = "current") -> None:
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise AssertionError(f"restore_prefix is '{restore_prefix}' but Parameters "
                                         f"name '{name}' does not start with "
                                         f"'{restore_prefix}'.")
        self.load_dict(nd.load(filename), ctx, allow_missing, ignore_extra, restore_prefix,
                       filename, cast_dtype, dtype_source)

    def load_dict(self, param_dict: Any, ctx: Any = None, allow_missing: bool = False,
                  ignore_extra: bool = False, restore_prefix: str = "",
                  filename: str | None = None, cast_dtype: bool = False,
                  dtype_source: str = "current") -> None:
        lprefix = len(restore_prefix)
        items = param_dict.items() if isinstance(param_dict, dict) else param_dict
        loaded = [(k[4:] if k.startswith(("arg:", "aux:")) else k, v) for k, v in items]
        arg_dict = {restore_prefix + k: v for k, v in loaded}
        where = f"file: {filename}" if filename else "param_dict"
        if not allow_missing:
            for name in self.keys():
                if name not in arg_dict:
                    raise AssertionError(
                        f"Parameter '{name[lprefix:]}' is missing in {where}, which contains "
                        f"parameters: {_brief_print_list(arg_dict.keys())}. Please make sure "
                        "source and target networks have the same prefix.")
        for name, value in arg_dict.items():
            if name not in self._params:
                if not ignore_extra:
                    raise AssertionError(
                        f"Parameter '{name[lprefix:]}' loaded from {where} is not present in "
                        f"ParameterDict, choices are: {_brief_print_list(self._params.keys())}"
                        ". Set ignore_extra to True to ignore. Please make sure source and "
                        "target networks have the same prefix.")
                continue
            self[name]._load_init(value, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)
