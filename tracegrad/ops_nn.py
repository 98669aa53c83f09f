"""Neural-network operators of MXNet's ``nd``: ``FullyConnected`` (a dot and a bias, with
MXNet's weight layout (num_hidden, in_units)) and the legacy index operators
``choose_element_0index``, ``fill_element_0index`` and ``onehot_encode``, as composites.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, _wrap
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_shape import _axis
from tracegrad.state import is_training


def FullyConnected(data: Any, weight: Any, bias: Any = None, num_hidden: int | None = None,
                   no_bias: bool = False, flatten: bool = True, out: NDArray | None = None,
                   **kwargs: Any) -> NDArray:
    """``dot(data, weight.T) + bias`` with ``weight`` of shape (num_hidden, in_units).

    With ``flatten=True`` (the default) ``data`` is collapsed to (batch, in_units) first;
    with ``flatten=False`` the product runs over the last axis only.

    Examples
    --------
    >>> from tracegrad import nd
    >>> x, w, b = nd.ones((2, 3, 4)), nd.ones((5, 12)), nd.zeros(5)
    >>> nd.FullyConnected(x, w, b, num_hidden=5).shape
    (2, 5)
    >>> nd.FullyConnected(x, nd.ones((5, 4)), b, num_hidden=5, flatten=False).shape
    (2, 3, 5)
    """
    reject_unknown("nd.FullyConnected", kwargs)
    if num_hidden is None:
        raise TypeError("nd.FullyConnected: the argument num_hidden is required")
    x, w = _nd(data), _nd(weight)
    if no_bias and bias is not None:
        raise ValueError("nd.FullyConnected: no_bias=True, but a bias was given")
    if not no_bias and bias is None:
        raise ValueError("nd.FullyConnected: a bias is needed (or pass no_bias=True)")
    if flatten:
        x = ops.reshape(x, (x.shape[0] if x.ndim else 1, -1)) if x.ndim != 2 else x
    in_units = x.shape[-1]
    if w.shape != (num_hidden, in_units):
        raise ValueError(f"nd.FullyConnected: weight has shape {w.shape}, expected "
                         f"(num_hidden, in_units) = {(num_hidden, in_units)} for data of shape "
                         f"{_nd(data).shape} (flatten={flatten}) (at {_user_line()})")
    y = ops.dot(x, w, transpose_b=True)
    if not no_bias:
        b = _nd(bias)
        if b.shape != (num_hidden,):
            raise ValueError(f"nd.FullyConnected: bias has shape {b.shape}, expected "
                             f"({num_hidden},) (at {_user_line()})")
        y = y + b
    return write_out("nd.FullyConnected", y, out)


def _positions(x: NDArray, axis: int) -> NDArray:
    """0, 1, ..., n-1 along ``axis`` of ``x`` (int64, shaped to broadcast against x)."""
    n = x.shape[axis]
    return NDArray(np.arange(n, dtype=np.int64).reshape((n,) + (1,) * (x.ndim - axis - 1)))


def _int_index(index: Any) -> NDArray:
    """Indices truncated toward zero, as MXNet casts them (1.7 -> 1, -0.5 -> 0)."""
    idx = _nd(index)
    return idx if np.dtype(idx.dtype) == np.int64 else idx.astype(np.int64)


def choose_element_0index(data: Any, index: Any, axis: int = -1, keepdims: bool = False,
                          mode: str = "clip", out: NDArray | None = None,
                          **kwargs: Any) -> NDArray:
    """One element per position along ``axis``: ``data[..., index[...], ...]`` (MXNet's old
    name of ``pick``). ``mode='clip'`` clips indices into range, ``'wrap'`` wraps them.

    Examples
    --------
    >>> from tracegrad import nd
    >>> x = nd.array([[1, 2, 3], [4, 5, 6]])
    >>> nd.choose_element_0index(x, nd.array([2, 0])).asnumpy().tolist()
    [3.0, 4.0]
    """
    reject_unknown("nd.choose_element_0index", kwargs)
    if mode not in ("clip", "wrap"):
        raise ValueError(f"nd.choose_element_0index: mode must be 'clip' or 'wrap', got {mode!r}")
    x = _nd(data)
    axis %= x.ndim
    n = x.shape[axis]
    idx = _int_index(index)
    idx = ops.clip(idx, 0, n - 1) if mode == "clip" else ops.modulo(idx, n)
    if idx.ndim < x.ndim:
        idx = ops.expand_dims(idx, axis)
    mask = idx == _positions(x, axis)
    return write_out("nd.choose_element_0index",
                     ops.sum(ops.where(mask, x, 0.0), axis=axis, keepdims=keepdims), out)


def fill_element_0index(lhs: Any, mhs: Any, rhs: Any, out: NDArray | None = None,
                        **kwargs: Any) -> NDArray:
    """A copy of the 2-D ``lhs`` with ``lhs[i, rhs[i]]`` set to ``mhs[i]``; out-of-range
    indices leave their row unchanged. (Differentiable in tracegrad; MXNet's is not.)

    Examples
    --------
    >>> from tracegrad import nd
    >>> y = nd.fill_element_0index(nd.zeros((2, 3)), nd.array([7, 8]), nd.array([1, 0]))
    >>> y.asnumpy().tolist()
    [[0.0, 7.0, 0.0], [8.0, 0.0, 0.0]]
    """
    reject_unknown("nd.fill_element_0index", kwargs)
    x, v = _nd(lhs), _nd(mhs)
    if x.ndim != 2 or v.shape != x.shape[:1] or _nd(rhs).shape != x.shape[:1]:
        raise ValueError(f"nd.fill_element_0index needs lhs of shape (n, m) and mhs, rhs of "
                         f"shape (n,); got {x.shape}, {v.shape}, {_nd(rhs).shape}")
    mask = ops.expand_dims(_int_index(rhs), 1) == _positions(x, 1)
    return write_out("nd.fill_element_0index", ops.where(mask, ops.expand_dims(v, 1), x), out)


def onehot_encode(indices: Any, out: NDArray) -> NDArray:
    """Write the one-hot rows of ``indices`` (truncated toward zero; out of range: a row of
    zeros) into the 2-D ``out`` and return it (MXNet's old name of ``one_hot``).

    Examples
    --------
    >>> from tracegrad import nd
    >>> out = nd.zeros((2, 3))
    >>> nd.onehot_encode(nd.array([1, 2]), out).asnumpy().tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if not isinstance(out, NDArray) or out.ndim != 2:
        raise TypeError("nd.onehot_encode writes into out, a 2-D NDArray of shape (n, depth)")
    idx = _int_index(indices)
    if idx.shape != out.shape[:1]:
        raise ValueError(f"nd.onehot_encode: indices of shape {idx.shape} do not match out of "
                         f"shape {out.shape}")
    hot = ops.expand_dims(idx, 1) == _positions(out, 1)
    return write_out("nd.onehot_encode", hot.astype(out.dtype), out)


def Dropout(data: Any, p: float = 0.5, mode: str = "training", axes: Any = (),
            cudnn_off: bool = False, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p), in training
    mode only (``autograd.record()`` or ``train_mode()``; always with ``mode='always'``);
    the identity otherwise. One mask value is shared along ``axes`` (variational dropout).
    (``nd.Dropout`` calls this.)

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.Dropout(nd.ones(3), p=0.5).asnumpy().tolist()  # predict mode: the identity
    [1.0, 1.0, 1.0]
    """
    reject_unknown("nd.Dropout", kwargs)
    if mode not in ("training", "always"):
        raise ValueError(f"nd.Dropout: mode must be 'training' or 'always', got {mode!r}")
    x = _nd(data)
    if not 0 <= p < 1:
        raise ValueError(f"Dropout probability must be in [0, 1), got {p}")
    if (mode == "training" and not is_training()) or p == 0:
        return x if out is None else write_out("nd.Dropout", x, out)
    shared = {_axis(a, x.ndim, "nd.Dropout") for a in ((axes,) if isinstance(axes, int)
                                                       else tuple(axes or ()))}
    mask_shape = tuple(1 if i in shared else n for i, n in enumerate(x.shape))
    u = P.random_uniform(low=0.0, high=1.0, shape=mask_shape, dtype=np.dtype(x.dtype).name)
    keep = _wrap(u) >= p  # u is a tracer inside jit, so each call draws a new mask
    return write_out("nd.Dropout", x * keep / (1.0 - p), out)


__all__ = ["FullyConnected", "choose_element_0index", "fill_element_0index", "onehot_encode"]
