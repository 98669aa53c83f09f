"""``ParameterDict``: parameters by full name, as ``mxnet.gluon.ParameterDict``.

>>> from tracegrad import gluon
>>> params = gluon.ParameterDict("net_")
>>> w = params.get("weight", shape=(2, 3))
>>> w.name, params.get("weight") is w, list(params.keys())
('net_weight', True, ['net_weight'])
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import numpy as np

from tracegrad import initializer, nd
from tracegrad.gluon.parameter import Constant, Parameter
from tracegrad.gluon.utils import _brief_print_list, _indent
from tracegrad.ndarray import cpu

__all__ = ["ParameterDict"]


class _Files:
    """ParameterDict's save, load and load_dict."""

    _params: OrderedDict

    def values(self) -> Any:
        return self._params.values()

    def keys(self) -> Any:
        return self._params.keys()

    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

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


class ParameterDict(_Files):
    """Parameters by full name, as ``mxnet.gluon.ParameterDict``; ``get`` creates them."""

    def __init__(self, prefix: str = "", shared: ParameterDict | None = None) -> None:
        self._prefix = prefix
        self._params: OrderedDict[str, Parameter] = OrderedDict()
        self._shared = shared

    def __repr__(self) -> str:
        name = self._prefix + " " if self._prefix else ""
        content = "\n".join(_indent(f"  {v}", 2) for v in self.values())
        return f"{name}(\n{content}\n)"

    def __iter__(self) -> Any:
        return iter(self._params)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def items(self) -> Any:
        return self._params.items()

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
