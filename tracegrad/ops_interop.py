"""MXNet's mixed-precision casts (``amp_cast``, ``amp_multicast``), ``cast_storage`` (dense
arrays only) and ``im2col``/``col2im`` (the sliding-window primitives convolution is built
on, in MXNet's (N, C * kh * kw, positions) layout, 2-D as in MXNet; each is the other's
gradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad._compiler.prims.conv import out_sizes
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import int_tuple, reject_unknown, write_out
from tracegrad.ops import _nd


def amp_cast(data: Any = None, dtype: Any = None, out: NDArray | None = None,
             **kwargs: Any) -> NDArray:
    """``data`` cast to ``dtype`` if it is a float array (others are returned unchanged), as
    automatic mixed precision casts.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.amp_cast(nd.ones(2), dtype='float16').dtype
    <class 'numpy.float16'>
    """
    reject_unknown("nd.amp_cast", kwargs)
    x = _nd(data)
    if dtype is None:
        raise TypeError(f"nd.amp_cast: dtype is required (at {_user_line()})")
    res = x.astype(dtype) if np.dtype(x.dtype).kind == "f" else x.astype(x.dtype)
    return write_out("nd.amp_cast", res, out)


def amp_multicast(*data: Any, num_outputs: int | None = None, cast_narrow: bool = False,
                  out: Any = None, **kwargs: Any) -> list[NDArray]:
    """The float arrays cast to the widest float dtype among them (the narrowest with
    ``cast_narrow``); other arrays unchanged.

    Examples
    --------
    >>> from tracegrad import nd
    >>> [a.dtype for a in nd.amp_multicast(nd.ones(1), nd.ones(1, dtype='float16'),
    ...                                    num_outputs=2)]
    [<class 'numpy.float32'>, <class 'numpy.float32'>]
    """
    reject_unknown("nd.amp_multicast", kwargs)
    xs = [_nd(d) for d in data]
    if num_outputs is not None and num_outputs != len(xs):
        raise ValueError(f"nd.amp_multicast: num_outputs={num_outputs} but {len(xs)} arrays "
                         f"were given (at {_user_line()})")
    floats = [np.dtype(x.dtype) for x in xs if np.dtype(x.dtype).kind == "f"]
    if not floats:
        return [x.astype(x.dtype) for x in xs]
    target = min(floats, key=lambda d: d.itemsize) if cast_narrow else \
        max(floats, key=lambda d: d.itemsize)
    return [x.astype(target) if np.dtype(x.dtype).kind == "f" else x.astype(x.dtype)
            for x in xs]


def cast_storage(data: Any = None, stype: str = "default", out: NDArray | None = None,
                 **kwargs: Any) -> NDArray:
    """A copy of ``data`` in the ``default`` (dense) storage type; tracegrad has no sparse
    storage (``row_sparse``, ``csr``)."""
    reject_unknown("nd.cast_storage", kwargs)
    if stype != "default":
        raise NotImplementedError(f"nd.cast_storage: stype={stype!r}: tracegrad has dense "
                                  "arrays only")
    x = _nd(data)
    return write_out("nd.cast_storage", x.astype(x.dtype), out)


def _window_params(op: str, nd_: int, kernel: Any, stride: Any, dilate: Any,
                   pad: Any) -> dict:
    k = int_tuple(kernel, op, "kernel")
    if len(k) != nd_:
        raise ValueError(f"{op}: kernel {k} must have one entry per spatial axis ({nd_}) (at "
                         f"{_user_line()})")

    def per_axis(v: Any, default: int, what: str) -> tuple[int, ...]:
        v = int_tuple(v, op, what) if v not in (None, ()) else (default,) * nd_
        return v * nd_ if len(v) == 1 else v

    p = per_axis(pad, 0, "pad")
    return {"kernel": k, "stride": per_axis(stride, 1, "stride"),
            "dilate": per_axis(dilate, 1, "dilate"), "pad": tuple((q, q) for q in p)}


def im2col(data: Any = None, kernel: Any = None, stride: Any = (), dilate: Any = (),
           pad: Any = (), out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The sliding windows of an (N, C, spatial...) array as columns: shape (N, C x
    prod(kernel), number of windows), rows in (channel, kernel offset) order.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.im2col(nd.ones((1, 2, 4, 4)), kernel=(3, 3), pad=(1, 1)).shape
    (1, 18, 16)
    """
    reject_unknown("nd.im2col", kwargs)
    x = _nd(data)
    if x.ndim != 4:  # MXNet 1.9.1's im2col is 2-D only
        raise ValueError(f"nd.im2col: the input must be (N, C, H, W), got shape {x.shape} (at "
                         f"{_user_line()})")
    params = _window_params("nd.im2col", x.ndim - 2, kernel, stride, dilate, pad)
    cols = apply(P.im2col, (x,), {**params, "order": "NCKO"})
    return write_out("nd.im2col", ops.reshape(cols, (x.shape[0], -1, int(np.prod(
        cols.shape[2 + len(params["kernel"]):], dtype=np.int64)))), out)


def col2im(data: Any = None, output_size: Any = None, kernel: Any = None, stride: Any = (),
           dilate: Any = (), pad: Any = (), out: NDArray | None = None,
           **kwargs: Any) -> NDArray:
    """The adjoint of :func:`im2col`: each column entry added back to its position of an
    (N, C, output_size...) array (overlaps add up, padding is dropped).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.col2im(nd.ones((1, 18, 16)), output_size=(4, 4), kernel=(3, 3), pad=(1, 1)).shape
    (1, 2, 4, 4)
    """
    reject_unknown("nd.col2im", kwargs)
    x = _nd(data)
    size = int_tuple(output_size, "nd.col2im", "output_size")
    if len(size) != 2:
        raise ValueError(f"nd.col2im: output_size must be (H, W), got {size} (at "
                         f"{_user_line()})")
    params = _window_params("nd.col2im", len(size), kernel, stride, dilate, pad)
    k = params["kernel"]
    outs = out_sizes(size, k, params["stride"], params["dilate"], params["pad"])
    per = int(np.prod(k, dtype=np.int64))
    if x.ndim != 3 or x.shape[1] % per or x.shape[2] != int(np.prod(outs, dtype=np.int64)):
        raise ValueError(f"nd.col2im: columns of shape {x.shape} do not fit a kernel {k} "
                         f"over {size} ({int(np.prod(outs))} windows) (at {_user_line()})")
    c = x.shape[1] // per
    cols = ops.reshape(x, (x.shape[0], c) + k + outs)
    res = apply(P.col2im, (cols,), {**params, "shape": (x.shape[0], c) + size,
                                    "order": "NCKO"})
    return write_out("nd.col2im", res, out)


__all__ = ["amp_cast", "amp_multicast", "cast_storage", "im2col", "col2im"]
