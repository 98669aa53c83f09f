"""The ``nd`` namespace: array creation, the operations of :mod:`tracegrad.ops`, save/load.

``nd.array`` defaults to float32 even for integer input, as MXNet does.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from tracegrad import (
    mxnet_format,
    ops,
    random,  # noqa: F401  (nd.random.normal, ...)
)
from tracegrad.ndarray import CPU, Context, NDArray, cpu
from tracegrad.ops import *  # noqa: F401,F403
from tracegrad.ops import _nd
from tracegrad.ops_conv import *  # noqa: F401,F403  (Convolution, Pooling, ...)
from tracegrad.ops_layers import *  # noqa: F401,F403  (BatchNorm, Activation, ...)

_DEFAULT = np.float32

# MXNet's nd operators beyond tracegrad.ops, one module per family
from tracegrad import contrib, image, linalg  # noqa: E402,F401  (nd.contrib.isinf, nd.image.crop, nd.linalg.det)
from tracegrad import dlpack as _dlpack  # noqa: E402
from tracegrad import ndarray_compat as _compat  # noqa: E402
from tracegrad.dlpack import *  # noqa: E402,F401,F403  (from_numpy, from_dlpack, ...)
from tracegrad.opargs import reject_unknown as _reject  # noqa: E402
from tracegrad.opargs import write_out as _write_out  # noqa: E402
from tracegrad.ops_aliases import *  # noqa: E402,F401,F403  (Reshape, Concat, SequenceMask, ...)
from tracegrad.ops_ctc import *  # noqa: E402,F401,F403  (ctc_loss, CTCLoss)
from tracegrad.ops_gather import *  # noqa: E402,F401,F403  (gather_nd, scatter_nd, ...)
from tracegrad.ops_interop import *  # noqa: E402,F401,F403  (amp_cast, im2col, ...)
from tracegrad.ops_layout import *  # noqa: E402,F401,F403  (diag, split_v2, ...)
from tracegrad.ops_linalg import *  # noqa: E402,F401,F403  (linalg_gemm, khatri_rao, ...)
from tracegrad.ops_logic import *  # noqa: E402,F401,F403  (broadcast_add, logical_and, ...)
from tracegrad.ops_loss import *  # noqa: E402,F401,F403  (SoftmaxOutput, MakeLoss, ...)
from tracegrad.ops_math import *  # noqa: E402,F401,F403  (tan, arcsin, log10, softmin, ...)
from tracegrad.ops_nn import *  # noqa: E402,F401,F403  (FullyConnected, ...)
from tracegrad.ops_norm import *  # noqa: E402,F401,F403  (InstanceNorm, GroupNorm, LRN, ...)
from tracegrad.ops_rnn import *  # noqa: E402,F401,F403  (RNN)
from tracegrad.ops_shape import *  # noqa: E402,F401,F403  (slice, pad, moveaxis, ...)
from tracegrad.ops_sort import *  # noqa: E402,F401,F403  (topk, sort, argsort)
from tracegrad.ops_spatial import *  # noqa: E402,F401,F403  (GridGenerator, BilinearSampler)
from tracegrad.ops_special import *  # noqa: E402,F401,F403  (erf, gammaln, softsign, ...)
from tracegrad.ops_stats import *  # noqa: E402,F401,F403  (cumsum, moments, sum_axis, ...)
from tracegrad.ops_vision import *  # noqa: E402,F401,F403  (ROIPooling, Correlation)
from tracegrad.optimizer_multi import *  # noqa: E402,F401,F403  (lamb_update_phase1, ...)
from tracegrad.optimizer_ops import *  # noqa: E402,F401,F403  (sgd_update, adam_update, ...)
from tracegrad.random_nd import *  # noqa: E402,F401,F403  (nd.uniform, nd.sample_normal, ...)
from tracegrad.random_pdf import *  # noqa: E402,F401,F403  (random_pdf_normal, ...)


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype(_DEFAULT if dtype is None else dtype)


def _shape(shape: Any, op: str) -> tuple[int, ...]:
    return ops.check_shape(shape, f"nd.{op}")


def array(source_array: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An NDArray from a list, NumPy array or NDArray; float32 unless ``dtype`` is given
    (also for integer input, as in MXNet; only an NDArray source keeps its dtype).

    >>> from tracegrad import nd
    >>> nd.array([1, 2]).dtype, nd.array([1, 2], dtype="float64").dtype
    (<class 'numpy.float32'>, <class 'numpy.float64'>)
    """
    if isinstance(source_array, NDArray):
        src = source_array.asnumpy()
        return NDArray(src if dtype is None else src.astype(dtype))
    return NDArray(np.array(source_array, dtype=_dtype(dtype)))


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
           ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """Evenly spaced values in [start, stop), float32 by default.

    >>> from tracegrad import nd
    >>> nd.arange(3).asnumpy().tolist(), nd.arange(1, 2, 0.5).asnumpy().tolist()
    ([0.0, 1.0, 2.0], [1.0, 1.5])
    """
    out = np.arange(start, stop, step, dtype=_dtype(dtype)) if stop is not None else \
        np.arange(start, dtype=_dtype(dtype))
    return NDArray(np.repeat(out, repeat) if repeat != 1 else out)


def zeros(shape: Any, ctx: Context | None = None, dtype: Any = None, stype: Any = None,
          out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """An array of zeros, float32 by default.

    >>> from tracegrad import nd
    >>> nd.zeros((2, 3)).shape, nd.zeros(4).dtype
    ((2, 3), <class 'numpy.float32'>)
    """
    _reject("nd.zeros", kwargs)
    if stype not in (None, "default"):
        raise NotImplementedError(f"nd.zeros: stype={stype!r}: tracegrad has dense arrays only")
    return _write_out("nd.zeros", NDArray(np.zeros(_shape(shape, "zeros"), dtype=_dtype(dtype))),
                      out)


def ones(shape: Any, ctx: Context | None = None, dtype: Any = None,
         out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """An array of ones, float32 by default.

    >>> from tracegrad import nd
    >>> nd.ones(2).asnumpy().tolist()
    [1.0, 1.0]
    """
    _reject("nd.ones", kwargs)
    return _write_out("nd.ones", NDArray(np.ones(_shape(shape, "ones"), dtype=_dtype(dtype))),
                      out)


def full(shape: Any, val: float, ctx: Context | None = None, dtype: Any = None,
         out: NDArray | None = None) -> NDArray:
    """An array filled with ``val`` (``out``: fill that array, in its dtype, as MXNet).

    >>> from tracegrad import nd
    >>> nd.full((1, 2), 7).asnumpy().tolist()
    [[7.0, 7.0]]
    """
    if out is not None and dtype is None:
        dtype = out.dtype
    return _write_out("nd.full", NDArray(np.full(_shape(shape, "full"), val,
                                                 dtype=_dtype(dtype))), out)


def empty(shape: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An uninitialised array (here: zeros, so nothing is ever read from garbage)."""
    return zeros(shape, ctx, dtype)


def eye(N: int, M: int = 0, k: int = 0, ctx: Context | None = None,
        dtype: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """An N x M identity-like matrix with ones on diagonal ``k``.

    >>> from tracegrad import nd
    >>> nd.eye(2).asnumpy().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    _reject("nd.eye", kwargs)
    ops.check_shape((N, M), "nd.eye")
    return _write_out("nd.eye", NDArray(np.eye(N, M or None, k, dtype=_dtype(dtype))), out)


def linspace(start: float, stop: float, num: int, endpoint: bool = True,
             ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """``num`` evenly spaced values from ``start`` to ``stop``.

    >>> from tracegrad import nd
    >>> nd.linspace(0, 1, 3).asnumpy().tolist()
    [0.0, 0.5, 1.0]
    """
    return NDArray(np.linspace(start, stop, num, endpoint=endpoint, dtype=_dtype(dtype)))


def zeros_like(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Zeros with the shape and dtype of ``data``.

    >>> from tracegrad import nd
    >>> nd.zeros_like(nd.ones((2, 2))).asnumpy().tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    _reject("nd.zeros_like", kwargs)
    return _write_out("nd.zeros_like",
                      NDArray(np.zeros(_nd(data).shape, dtype=np.dtype(_nd(data).dtype))), out)


def ones_like(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Ones with the shape and dtype of ``data``.

    >>> from tracegrad import nd
    >>> nd.ones_like(nd.zeros(2)).asnumpy().tolist()
    [1.0, 1.0]
    """
    _reject("nd.ones_like", kwargs)
    return _write_out("nd.ones_like",
                      NDArray(np.ones(_nd(data).shape, dtype=np.dtype(_nd(data).dtype))), out)


def waitall() -> None:
    """Operations run synchronously; kept for MXNet compatibility."""


_FORMATS = ("mxnet", "mxnet-v0", "npz")


def _file_format(fname: Any, format: str | None, op: str) -> str:
    if format is None:
        return "npz" if os.fspath(fname).endswith(".npz") else "mxnet"
    if format not in _FORMATS:
        raise ValueError(f"nd.{op}: format must be one of {', '.join(map(repr, _FORMATS))} "
                         f"(or None: .npz files as npz, others in MXNet's format), not "
                         f"{format!r}")
    return format


def save(fname: str | os.PathLike, data: Any, format: str | None = None) -> None:
    """Save an NDArray, a list of them or a dict of name -> NDArray to ``fname``, in MXNet's
    binary format (what ``mxnet.nd.save`` writes and ``mxnet.nd.load`` reads; ``.params``
    files). ``format="mxnet-v0"`` writes MXNet's legacy v0 format; ``format="npz"``, or a
    name ending in ``.npz``, a NumPy ``.npz`` file. See :mod:`tracegrad.mxnet_format`.
    """
    if isinstance(data, NDArray):
        data = [data]
    what = "nd.save takes an NDArray, a list of NDArrays or a dict of str -> NDArray"
    if isinstance(data, dict):
        if not all(isinstance(k, str) and isinstance(v, NDArray) for k, v in data.items()):
            raise TypeError(f"{what}; this dict has other keys or values")
        arrays: Any = {k: v.asnumpy() for k, v in data.items()}
    elif isinstance(data, (list, tuple)):
        if not all(isinstance(v, NDArray) for v in data):
            raise TypeError(f"{what}; this {type(data).__name__} holds other items")
        arrays = [v.asnumpy() for v in data]
    else:
        raise TypeError(f"{what}, not {type(data).__name__}")
    fmt = _file_format(fname, format, "save")
    if fmt != "npz":
        mxnet_format.save(fname, arrays, version=0 if fmt == "mxnet-v0" else 2)
        return
    if isinstance(arrays, dict):
        payload = {f"d:{k}": v for k, v in arrays.items()}
    else:
        payload = {f"l:{i:06d}": v for i, v in enumerate(arrays)}
    with open(fname, "wb") as f:
        np.savez(f, **payload)


def load(fname: str | os.PathLike, format: str | None = None) -> Any:
    """Load a file of :func:`save` or of ``mxnet.nd.save`` (any MXNet version's format, e.g. a
    ``.params`` file): a list of NDArrays, or a dict if names were saved. A NumPy ``.npz`` file
    of :func:`save` is recognised by its content (``format`` forces one)."""
    if format is None:
        with open(fname, "rb") as f:
            fmt = "npz" if f.read(4) == b"PK\x03\x04" else "mxnet"
    else:
        fmt = _file_format(fname, format, "load")
    if fmt != "npz":
        return _wrap_loaded(mxnet_format.load(fname))
    with np.load(fname, allow_pickle=False) as z:
        if z.files and z.files[0].startswith("d:"):  # a dict, in the order it was saved
            return {k[2:]: NDArray(z[k]) for k in z.files}
        return [NDArray(z[k]) for k in sorted(z.files)]


def _wrap_loaded(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: NDArray(v) for k, v in data.items()}
    return [NDArray(v) for v in data]


def load_frombuffer(buf: Any) -> Any:
    """Load arrays from the bytes of a file of :func:`save` / ``mxnet.nd.save`` (MXNet's
    format): a list of NDArrays, or a dict if names were saved."""
    return _wrap_loaded(mxnet_format.loads(buf, label="nd.load_frombuffer's buffer"))


_METHODS = ("reshape", "transpose", "swapaxes", "expand_dims", "flatten", "squeeze",
            "broadcast_to", "broadcast_like", "sum", "mean", "max", "min", "prod", "argmax",
            "argmin", "norm", "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "sign",
            "relu", "sigmoid", "tanh", "sin", "cos", "floor", "ceil", "round", "reciprocal",
            "clip", "softmax", "log_softmax", "tile", "repeat", "flip", "one_hot", "take",
            "pick", "split")
for _name in _METHODS:
    setattr(NDArray, _name, getattr(ops, _name))
# MXNet's other fluent methods (nd functions of the modules above)
_MORE_METHODS = ("tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
                 "arctanh", "cbrt", "rcbrt", "rsqrt", "log10", "log2", "degrees", "radians",
                 "trunc", "fix", "rint", "softmin", "nansum", "nanprod", "slice", "slice_axis",
                 "slice_like", "pad", "reshape_like", "broadcast_axes", "diag", "depth_to_space",
                 "space_to_depth", "split_v2", "argmax_channel", "shape_array", "size_array",
                 "topk", "sort", "argsort", "to_dlpack_for_read", "to_dlpack_for_write")
for _name in _MORE_METHODS:
    setattr(NDArray, _name, globals()[_name])
for _name, _method in _compat.METHODS.items():
    setattr(NDArray, _name, _method)
NDArray.__dlpack__ = _dlpack.__dlpack__  # type: ignore[attr-defined]
NDArray.__dlpack_device__ = _dlpack.__dlpack_device__  # type: ignore[attr-defined]
NDArray.zeros_like = zeros_like  # type: ignore[attr-defined]
NDArray.ones_like = ones_like  # type: ignore[attr-defined]

__all__ = ["NDArray", "Context", "cpu", "CPU", "array", "arange", "zeros", "ones", "full",
           "empty", "eye", "linspace", "zeros_like", "ones_like", "waitall", "save", "load",
           "load_frombuffer"]
