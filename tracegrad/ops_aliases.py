"""MXNet's CamelCase operator names that are aliases or small composites of tracegrad's
operators: ``Reshape``, ``Flatten``, ``Concat``, ``Cast``, ``SwapAxis``, ``SliceChannel``,
``Crop``, ``UpSampling``, ``SequenceMask``/``SequenceLast``/``SequenceReverse``,
``SoftmaxActivation``, the ``*_v1`` layers, and ``identity`` and ``reverse``.

The sequence operators take MXNet's (time, batch, ...) layout (``axis=0``; Mask and Last
also ``axis=1``) and per-sequence lengths (truncated to integers, as MXNet reads them); they
are masks and gathers, so they differentiate and trace like any composite.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops, ops_conv
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd


def Reshape(data: Any = None, shape: Any = None, reverse: bool = False,
            target_shape: Any = None, keep_highest: bool = False, out: NDArray | None = None,
            **kwargs: Any) -> NDArray:
    """``nd.reshape`` under its legacy name (``target_shape``/``keep_highest``, deprecated
    in MXNet, are not supported)."""
    reject_unknown("nd.Reshape", kwargs)
    if target_shape or keep_highest:
        raise NotImplementedError("nd.Reshape: target_shape and keep_highest (deprecated in "
                                  "MXNet) are not supported; use shape=")
    return write_out("nd.Reshape", ops.reshape(data, shape, reverse=reverse), out)


def Flatten(data: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """``nd.flatten``: (N, ...) -> (N, prod(...))."""
    reject_unknown("nd.Flatten", kwargs)
    return write_out("nd.Flatten", ops.flatten(data), out)


def Concat(*data: Any, dim: int = 1, num_args: int | None = None, out: NDArray | None = None,
           **kwargs: Any) -> NDArray:
    """``nd.concat``: join the arrays along ``dim`` (1 by default)."""
    reject_unknown("nd.Concat", kwargs)
    if num_args is not None and num_args != len(data):
        raise ValueError(f"nd.Concat: num_args={num_args} but {len(data)} arrays were given "
                         f"(at {_user_line()})")
    return write_out("nd.Concat", ops.concat(*data, dim=dim), out)


def Cast(data: Any = None, dtype: Any = None, out: NDArray | None = None,
         **kwargs: Any) -> NDArray:
    """``nd.cast``: convert to ``dtype``."""
    reject_unknown("nd.Cast", kwargs)
    if dtype is None:
        raise TypeError(f"nd.Cast: dtype is required (at {_user_line()})")
    return write_out("nd.Cast", ops.cast(data, dtype), out)


def SwapAxis(data: Any = None, dim1: int = 0, dim2: int = 0, out: NDArray | None = None,
             **kwargs: Any) -> NDArray:
    """``nd.swapaxes``: exchange axes ``dim1`` and ``dim2``."""
    reject_unknown("nd.SwapAxis", kwargs)
    return write_out("nd.SwapAxis", ops.swapaxes(data, dim1, dim2), out)


def SliceChannel(data: Any = None, num_outputs: int = 1, axis: int = 1,
                 squeeze_axis: bool = False, **kwargs: Any) -> Any:
    """``nd.split``: ``num_outputs`` equal parts along ``axis``."""
    reject_unknown("nd.SliceChannel", kwargs)
    return ops.split(data, num_outputs, axis=axis, squeeze_axis=squeeze_axis)


def identity(data: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """A copy of ``data`` (gradient 1).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.identity(nd.array([1, 2])).asnumpy().tolist()
    [1.0, 2.0]
    """
    reject_unknown("nd.identity", kwargs)
    x = _nd(data)
    return write_out("nd.identity", x.astype(x.dtype), out)


def reverse(data: Any = None, axis: Any = None, out: NDArray | None = None,
            **kwargs: Any) -> NDArray:
    """The elements in reverse order along ``axis`` (an int or a tuple of ints; required).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.reverse(nd.array([[1, 2], [3, 4]]), axis=1).asnumpy().tolist()
    [[2.0, 1.0], [4.0, 3.0]]
    """
    reject_unknown("nd.reverse", kwargs)
    if axis is None:
        raise TypeError(f"nd.reverse: axis is required (at {_user_line()})")
    x = _nd(data)
    for a in (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis):
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f"nd.reverse: axis {a} is out of range for shape {x.shape} (at "
                             f"{_user_line()})")
        x = ops.flip(x, int(a))
    return write_out("nd.reverse", x, out)


def _need_4d(op: str, x: NDArray) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: the input must be 4-D (N, C, H, W), got shape {x.shape} (at "
                         f"{_user_line()})")


def Crop(*data: Any, num_args: int | None = None, offset: Any = (0, 0), h_w: Any = (0, 0),
         center_crop: bool = False, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Crop the spatial axes of an (N, C, H, W) array to ``h_w``, or to the height and width
    of a second array, starting at ``offset`` (or centred).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.Crop(nd.zeros((1, 1, 4, 4)), h_w=(2, 3)).shape
    (1, 1, 2, 3)
    """
    reject_unknown("nd.Crop", kwargs)
    if num_args is not None and num_args != len(data):
        raise ValueError(f"nd.Crop: num_args={num_args} but {len(data)} arrays were given")
    if len(data) not in (1, 2):
        raise ValueError(f"nd.Crop takes one array (and h_w) or two (crop like the second), "
                         f"got {len(data)}")
    x = _nd(data[0])
    _need_4d("nd.Crop", x)
    h, w = (int(n) for n in (data[1].shape[2:] if len(data) == 2 else h_w))
    H, W = x.shape[2:]
    top, left = ((H - h) // 2, (W - w) // 2) if center_crop else (int(offset[0]),
                                                                  int(offset[1]))
    if not (0 < h and 0 < w and 0 <= top and top + h <= H and 0 <= left and left + w <= W):
        raise ValueError(f"nd.Crop: a {h}x{w} crop at offset ({top}, {left}) does not fit in "
                         f"the input's {H}x{W} (at {_user_line()})")
    index = ((0, x.shape[0], 1), (0, x.shape[1], 1), (top, top + h, 1), (left, left + w, 1))
    return write_out("nd.Crop", apply(P.slice_p, (x,), {"index": index}), out)


def _nearest(x: NDArray, s: int) -> NDArray:
    n, c, h, w = x.shape
    y = ops.broadcast_to(ops.reshape(x, (n, c, h, 1, w, 1)), (n, c, h, s, w, s))
    return ops.reshape(y, (n, c, h * s, w * s))


def UpSampling(*data: Any, scale: int = 1, sample_type: str = "nearest", num_filter: int = 0,
               multi_input_mode: str = "concat", num_args: int | None = None,
               workspace: int = 512, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Upsample (N, C, H, W) arrays by ``scale``. ``nearest`` repeats each pixel (several
    arrays are each upsampled to the first one's output size, then concatenated along the
    channels or summed: ``multi_input_mode``); ``bilinear`` takes the data and a weight of
    shape (num_filter, 1, k, k), k = 2 scale - scale % 2, and is a grouped Deconvolution.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.UpSampling(nd.ones((1, 2, 3, 3)), scale=2, sample_type="nearest").shape
    (1, 2, 6, 6)
    """
    reject_unknown("nd.UpSampling", kwargs)
    if num_args is not None and num_args != len(data):
        raise ValueError(f"nd.UpSampling: num_args={num_args} but {len(data)} arrays were "
                         "given")
    xs = [_nd(d) for d in data]
    if not xs:
        raise ValueError("nd.UpSampling needs at least one array")
    for x in xs:
        _need_4d("nd.UpSampling", x)
    s = int(scale)
    if sample_type == "bilinear":
        if len(xs) != 2:
            raise ValueError("nd.UpSampling: sample_type='bilinear' takes the data and a "
                             f"weight (num_args=2), got {len(xs)} arrays")
        k = 2 * s - s % 2
        res = ops_conv.Deconvolution(xs[0], xs[1], kernel=(k, k), stride=(s, s),
                                     pad=(s // 2,) * 2, num_filter=num_filter,
                                     num_group=num_filter, no_bias=True)
        return write_out("nd.UpSampling", res, out)
    if sample_type != "nearest":
        raise ValueError(f"nd.UpSampling: sample_type must be 'nearest' or 'bilinear', not "
                         f"{sample_type!r}")
    size = xs[0].shape[2] * s
    ups = []
    for x in xs:
        if size % x.shape[2]:
            raise ValueError(f"nd.UpSampling: an input of height {x.shape[2]} cannot be "
                             f"upsampled to {size}")
        ups.append(_nearest(x, size // x.shape[2]))
    if multi_input_mode == "sum":
        res = ups[0]
        for u in ups[1:]:
            res = res + u
    elif multi_input_mode == "concat":
        res = ops.concat(*ups, dim=1) if len(ups) > 1 else ups[0]
    else:
        raise ValueError(f"nd.UpSampling: multi_input_mode must be 'concat' or 'sum', not "
                         f"{multi_input_mode!r}")
    return write_out("nd.UpSampling", res, out)


def _lengths(op: str, x: NDArray, length: Any, use: bool, axis: int) -> NDArray | None:
    if axis not in (0, 1):
        raise ValueError(f"{op}: axis must be 0 or 1, got {axis} (at {_user_line()})")
    if not use:
        if length is not None:
            raise ValueError(f"{op}: sequence_length is given but use_sequence_length is "
                             f"False (at {_user_line()})")
        return None
    lens = _nd(length)
    batch = x.shape[1 - axis]
    if lens.shape != (batch,):
        raise ValueError(f"{op}: sequence_length must have shape ({batch},), got {lens.shape} "
                         f"(at {_user_line()})")
    return lens.astype(np.int64)  # truncated, as MXNet reads them


def _steps(x: NDArray, axis: int) -> NDArray:
    """The time index of every (time, batch) position, shaped to broadcast against x."""
    t = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = t
    return NDArray(np.arange(t, dtype=np.int64).reshape(shape))


def _per_batch(lens: NDArray, x: NDArray, axis: int) -> NDArray:
    shape = [1] * x.ndim
    shape[1 - axis] = lens.shape[0]
    return ops.reshape(lens, tuple(shape))


def SequenceMask(data: Any = None, sequence_length: Any = None,
                 use_sequence_length: bool = False, value: float = 0.0, axis: int = 0,
                 out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """``value`` at the time steps past each sequence's length (``data`` unchanged when
    ``use_sequence_length`` is False); the gradient is zero there."""
    reject_unknown("nd.SequenceMask", kwargs)
    x = _nd(data)
    lens = _lengths("nd.SequenceMask", x, sequence_length, use_sequence_length, axis)
    if lens is None:
        return write_out("nd.SequenceMask", x.astype(x.dtype), out)
    keep = _steps(x, axis) < _per_batch(lens, x, axis)
    res = ops.where(keep, x, float(value)).astype(x.dtype, copy=False)
    return write_out("nd.SequenceMask", res, out)


def SequenceLast(data: Any = None, sequence_length: Any = None,
                 use_sequence_length: bool = False, axis: int = 0,
                 out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The last valid time step of each sequence (the last one when
    ``use_sequence_length`` is False). A length of 0 reads step 0 (MXNet reads memory
    before the array)."""
    reject_unknown("nd.SequenceLast", kwargs)
    x = _nd(data)
    lens = _lengths("nd.SequenceLast", x, sequence_length, use_sequence_length, axis)
    t = x.shape[axis]
    if lens is None:
        return write_out("nd.SequenceLast", ops.take(x, NDArray(np.int64(t - 1)), axis=axis),
                         out)
    last = ops.clip(_per_batch(lens, x, axis) - 1, 0, t - 1)
    picked = ops.sum(ops.where(_steps(x, axis) == last, x, 0.0), axis=axis)
    return write_out("nd.SequenceLast", picked.astype(x.dtype, copy=False), out)


def SequenceReverse(data: Any = None, sequence_length: Any = None,
                    use_sequence_length: bool = False, axis: int = 0,
                    out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Each sequence's first ``length`` steps in reverse order (the steps past it stay in
    place); the whole time axis when ``use_sequence_length`` is False. ``axis`` must be 0."""
    reject_unknown("nd.SequenceReverse", kwargs)
    x = _nd(data)
    if axis != 0:
        raise ValueError(f"nd.SequenceReverse: axis must be 0, got {axis} (at {_user_line()})")
    lens = _lengths("nd.SequenceReverse", x, sequence_length, use_sequence_length, axis)
    if lens is None:
        return write_out("nd.SequenceReverse", ops.flip(x, 0), out)
    t, b = x.shape[:2]
    steps = NDArray(np.arange(t, dtype=np.int64).reshape(t, 1))
    lb = ops.reshape(lens, (1, b))
    src = ops.where(steps < lb, lb - 1 - steps, steps)  # (T, B): the step to read
    flat = src * b + NDArray(np.arange(b, dtype=np.int64))
    rows = ops.reshape(x, (t * b,) + x.shape[2:])
    res = apply(P.take, (rows, flat), {"axis": 0})
    return write_out("nd.SequenceReverse", res, out)


def SoftmaxActivation(data: Any = None, mode: str = "instance", out: NDArray | None = None,
                      **kwargs: Any) -> NDArray:
    """Softmax over the last axis (``mode="instance"``, as MXNet 1.9 computes it) or over
    axis 1 (``mode="channel"``)."""
    reject_unknown("nd.SoftmaxActivation", kwargs)
    x = _nd(data)
    if mode == "instance":
        res = ops.softmax(x, axis=-1)
    elif mode == "channel":
        res = ops.softmax(x, axis=1)
    else:
        raise ValueError(f"nd.SoftmaxActivation: mode must be 'instance' or 'channel', not "
                         f"{mode!r}")
    return write_out("nd.SoftmaxActivation", res, out)


def Pooling_v1(data: Any = None, kernel: Any = (), pool_type: str = "max",
               global_pool: bool = False, pooling_convention: str = "valid", stride: Any = (),
               pad: Any = (), out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """MXNet's first 2-D pooling: as ``nd.Pooling``, but ``avg`` divides every window by
    the kernel's size, also where it overhangs the padded input (``pooling_convention=
    "full"``)."""
    reject_unknown("nd.Pooling_v1", kwargs)
    x = _nd(data)
    _need_4d("nd.Pooling_v1", x)
    if pool_type not in ("max", "avg", "sum"):
        raise ValueError(f"nd.Pooling_v1: pool_type must be 'max', 'avg' or 'sum', not "
                         f"{pool_type!r}")
    args = {"global_pool": global_pool, "pooling_convention": pooling_convention,
            "stride": stride, "pad": pad}
    if pool_type == "avg" and not global_pool:
        total = ops_conv.Pooling(x, kernel, pool_type="sum", **args)
        res = total / float(np.prod(kernel))
    else:
        res = ops_conv.Pooling(x, kernel, pool_type=pool_type, **args)
    return write_out("nd.Pooling_v1", res, out)


Convolution_v1 = ops_conv.Convolution

__all__ = ["Reshape", "Flatten", "Concat", "Cast", "SwapAxis", "SliceChannel", "identity",
           "reverse", "Crop", "UpSampling", "SequenceMask", "SequenceLast", "SequenceReverse",
           "SoftmaxActivation", "Convolution_v1", "Pooling_v1"]
