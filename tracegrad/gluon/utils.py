"""Helpers of ``gluon.utils``: splitting a batch, clipping gradients by their global norm,
and the small text and hook helpers the blocks share.

>>> from tracegrad import nd, gluon, cpu
>>> [x.shape for x in gluon.utils.split_and_load(nd.ones((4, 2)), [cpu(0)])]
[(4, 2)]
>>> [x.shape for x in gluon.utils.split_data(nd.ones((5, 2)), 2, even_split=False)]
[(3, 2), (2, 2)]
"""

from __future__ import annotations

import collections
import warnings
import weakref
from typing import Any

import numpy as np

from tracegrad import nd
from tracegrad.ndarray import NDArray

__all__ = ["split_data", "split_and_load", "clip_global_norm", "HookHandle"]


def split_data(data: NDArray, num_slice: int, batch_axis: int = 0,
               even_split: bool = True) -> list[NDArray]:
    """``data`` cut into ``num_slice`` slices along ``batch_axis`` (a list even for one)."""
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices "
            f"along axis {batch_axis}. Use a batch size that's multiple of {num_slice} or set "
            "even_split=False to allow uneven partitioning of data.")
    each, extras = divmod(size, num_slice)
    sizes = [0] + extras * [each + 1] + (num_slice - extras) * [each]
    bounds = np.cumsum(sizes)
    out = []
    for i in range(num_slice):
        key = [slice(None)] * data.ndim
        key[batch_axis] = slice(int(bounds[i]), int(bounds[i + 1]))
        out.append(data[tuple(key)])
    return out


def split_and_load(data: Any, ctx_list: list, batch_axis: int = 0,
                   even_split: bool = True) -> list[NDArray]:
    """One slice of ``data`` per context. tracegrad runs on the CPU: with one context this
    is ``[data]``."""
    if not isinstance(data, NDArray):
        data = nd.array(data)
    if len(ctx_list) == 1:
        return [data]
    return split_data(data, len(ctx_list), batch_axis, even_split)


def clip_global_norm(arrays: list[NDArray], max_norm: float,
                     check_isfinite: bool = True) -> Any:
    """Scale ``arrays`` in place so that the 2-norm of all of them together is at most
    ``max_norm``; returns that norm (a float, or an NDArray of shape (1,) when
    ``check_isfinite=False``).

    >>> from tracegrad import nd, gluon
    >>> a = nd.array([3.0, 4.0])
    >>> gluon.utils.clip_global_norm([a], 1.0)
    5.0
    >>> [round(v, 4) for v in a.asnumpy().tolist()]
    [0.6, 0.8]
    """
    if not arrays:
        raise ValueError("clip_global_norm needs at least one array")
    total = np.sqrt(sum(np.dot(a._data.reshape(-1), a._data.reshape(-1)) for a in arrays),
                    dtype=np.float32)
    total = np.float32(total)
    if check_isfinite and not np.isfinite(total):
        warnings.warn(UserWarning("nan or inf is detected. Clipping results will be "
                                  "undefined."), stacklevel=2)
    scale = min(np.float32(max_norm) / (total + np.float32(1e-8)), np.float32(1.0))
    for a in arrays:
        a._own()
        a._data *= np.asarray(scale, dtype=a._data.dtype)
    if check_isfinite:
        return float(total)
    return nd.array([total])


def _indent(s_: str, num_spaces: int) -> str:
    """Indent every line but the first by ``num_spaces``."""
    lines = s_.split("\n")
    if len(lines) == 1:
        return s_
    return "\n".join([lines[0]] + [num_spaces * " " + line for line in lines[1:]])


def _brief_print_list(lst: Any, limit: int = 7) -> str:
    """At most ``limit`` quoted items, with ``...`` in the middle."""
    lst = list(lst)
    if len(lst) > limit:
        return (_brief_print_list(lst[:limit // 2], limit) + ", ..., "
                + _brief_print_list(lst[-limit // 2:], limit))
    return ", ".join(f"'{i}'" for i in lst)


class HookHandle:
    """Returned by ``register_forward_hook``: ``detach()`` removes the hook."""

    def __init__(self) -> None:
        self._hooks_dict_ref: Any = None
        self._id: int | None = None

    def attach(self, hooks_dict: collections.OrderedDict, hook: Any) -> None:
        if self._hooks_dict_ref is not None:
            raise AssertionError("The same handle cannot be attached twice.")
        self._id = id(hook)
        hooks_dict[self._id] = hook
        self._hooks_dict_ref = weakref.ref(hooks_dict)

    def detach(self) -> None:
        hooks = self._hooks_dict_ref() if self._hooks_dict_ref is not None else None
        if hooks is not None and self._id in hooks:
            del hooks[self._id]

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()
