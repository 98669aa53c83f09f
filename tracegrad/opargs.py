"""MXNet's common operator arguments: ``out=`` (write the result into an existing array) and
``name=`` (accepted and ignored, as in MXNet's imperative mode), and the rejection of any
other unknown keyword argument (an op never ignores a keyword it does not understand).
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from tracegrad.ndarray import NDArray, _user_line


def reject_unknown(op: str, kwargs: dict, allowed: Iterable[str] = ("name",)) -> None:
    """TypeError naming ``op`` and the first keyword of ``kwargs`` not in ``allowed``."""
    allowed = tuple(allowed)
    for key in kwargs:
        if key not in allowed:
            known = f"; it also accepts {', '.join(allowed)}" if allowed else ""
            raise TypeError(f"{op}() got an unexpected keyword argument {key!r} (at "
                            f"{_user_line()}){known}")


def write_out(op: str, result: NDArray, out: Any) -> NDArray:
    """``result``, or — when ``out`` is an NDArray — ``out`` holding its values, as MXNet's
    ``out=``: the shape and dtype must match (MXNet checks both), the data is copied into
    ``out``, and under ``autograd.record()`` ``out`` becomes the recorded result (an array
    that is already part of the graph cannot be overwritten: InPlaceError)."""
    if out is None:
        return result
    if not isinstance(out, NDArray):
        raise TypeError(f"{op}: out must be an NDArray, got {type(out).__name__} "
                        f"(at {_user_line()})")
    if out.shape != result.shape:
        raise ValueError(f"{op}: out has shape {out.shape} but the result has shape "
                         f"{result.shape} (at {_user_line()})")
    if np.dtype(out.dtype) != np.dtype(result.dtype):
        raise TypeError(f"{op}: out has dtype {np.dtype(out.dtype).name} but the result has "
                        f"dtype {np.dtype(result.dtype).name} (at {_user_line()})")
    if out is result:
        return out
    out._check_inplace(f"{op}(out=...)")
    if result.is_traced:  # out is concrete (checked above): the result's value is needed
        result._traced_conversion(f"{op}(out=...)")
    out._own()
    np.copyto(out._data, result._data)
    if result._node is not None:  # recorded: out is the op's output now
        out._node = result._node
    return out


def int_tuple(value: Any, op: str, what: str = "shape") -> tuple[int, ...]:
    """``value`` (an int or a sequence of ints) as a tuple of non-negative ints; a TypeError or
    ValueError naming ``op`` for anything else."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: {what} {value!r} has a non-integer entry {v!r} (at "
                            f"{_user_line()})")
        if v < 0:
            raise ValueError(f"{op}: {what} {value!r} has a negative entry {v} (at "
                             f"{_user_line()})")
    return tuple(int(v) for v in items)
