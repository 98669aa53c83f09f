"""Saving and loading a block's parameters: ``save_parameters`` / ``load_parameters`` with
MXNet's structural names (``0.weight``, ``dense.bias``), through ``nd.save`` / ``nd.load``."""

from __future__ import annotations

import warnings
from collections import defaultdict
from typing import Any

from tracegrad import nd
from tracegrad.gluon.utils import _brief_print_list

__all__ = ["ParameterFiles"]


class ParameterFiles:
    """The file half of Block: ``save_parameters``, ``load_parameters`` (and the deprecated
    ``save_params`` / ``load_params``)."""

    prefix: str
    _params: Any

    def _collect_params_with_prefix(self, prefix: str = "") -> dict:
        raise NotImplementedError

    def collect_params(self, select: str | None = None) -> Any:
        raise NotImplementedError

    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Save the parameters under their structural names (``0.weight``), with
        ``nd.save``."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            reverse = {v: k for k, v in params.items()}
            params = {v: k for k, v in reverse.items()}
        nd.save(filename, {key: val._reduce() for key, val in params.items()})

    def save_params(self, filename: str) -> None:
        warnings.warn("save_params is deprecated. Please use save_parameters.")
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_parameters(self, filename: str, ctx: Any = None, allow_missing: bool = False,
                        ignore_extra: bool = False, cast_dtype: bool = False,
                        dtype_source: str = "current") -> None:
        """Load what ``save_parameters`` wrote (or, for names without dots, what the older
        ``save_params`` wrote)."""
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise ValueError(f"{filename} holds a list of arrays, not named parameters")
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any("." in k for k in loaded):
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra, self.prefix,
                                       cast_dtype=cast_dtype, dtype_source=dtype_source)
            return
        if not allow_missing:
            inverse: dict[Any, list[str]] = defaultdict(list)
            for k, v in params.items():
                inverse[v].append(k)
            for name, param in params.items():
                if not any(p in loaded for p in inverse[param]):
                    raise AssertionError(
                        f"Parameter '{name}' is missing in file '{filename}', which contains "
                        f"parameters: {_brief_print_list(loaded.keys())}. Set "
                        "allow_missing=True to ignore missing parameters.")
        for name in loaded:
            if not ignore_extra and name not in params:
                raise ValueError(
                    f"Parameter '{name}' loaded from file '{filename}' is not present in "
                    "ParameterDict, which contains parameters "
                    f"{_brief_print_list(self._params.keys())}. Set ignore_extra=True to "
                    "ignore. ")
            if name in params:
                params[name]._load_init(loaded[name], ctx, cast_dtype=cast_dtype,
                                        dtype_source=dtype_source)

    def load_params(self, filename: str, ctx: Any = None, allow_missing: bool = False,
                    ignore_extra: bool = False) -> None:
        warnings.warn("load_params is deprecated. Please use load_parameters.")
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)
