"""MXNet's layer operators besides convolution: ``BatchNorm``, ``LayerNorm``, ``Activation``,
``LeakyReLU`` and ``Embedding``. Elementwise and reduction composites (they fuse around what
feeds them), ``take`` for Embedding; checked against MXNet 1.9.1 in
``tests/tracegrad/nd/test_conv.py``. Gluon's layers call them.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.ops import _nd
from tracegrad.ops_conv import _no_extra, _reshape
from tracegrad.state import is_training, pause

# -- normalisation ----------------------------------------------------------------------------

def _along(v: NDArray, ndim: int, axis: int) -> NDArray:
    """A per-channel vector shaped to broadcast along ``axis`` of an ``ndim``-d array."""
    shape = [1] * ndim
    shape[axis] = v.size
    return _reshape(v, tuple(shape))


def _set_running(target: NDArray, value: NDArray) -> None:
    """Write a running statistic in place, as MXNet updates BatchNorm's auxiliary states.
    Inside a hybridized Gluon block's trace, Gluon makes the new value an output of the graph
    and writes it after the call; in another trace (jit) there is nothing to write into."""
    if target.is_traced or value.is_traced:
        hybrid = sys.modules.get("tracegrad.gluon.hybrid")
        if hybrid is not None:
            hybrid.update_aux(target, value)  # raises TypeError outside a hybridized block
            return
        raise TypeError("BatchNorm: the running statistics of a traced (jit) call in training "
                        "mode cannot be updated in place; use gluon.nn.BatchNorm in a "
                        "hybridized block, or use_global_stats=True")
    with pause():
        target[:] = value.astype(target.dtype, copy=False)


def _set_fixed_gamma(target: NDArray, ones: NDArray) -> None:
    """``gamma = 1`` in place (``fix_gamma``): written now, or as an output of a hybridized
    Gluon block's graph; a plain jit trace has nothing to write it into, and the value is
    never read (the output uses the ones)."""
    try:
        _set_running(target, ones)
    except TypeError:
        pass


def BatchNorm(data: Any, gamma: Any, beta: Any, moving_mean: Any, moving_var: Any,
              eps: float = 1e-3, momentum: float = 0.9, fix_gamma: bool = True,
              use_global_stats: bool = False, output_mean_var: bool = False, axis: int = 1,
              cudnn_off: bool = False, min_calib_range: Any = None,
              max_calib_range: Any = None, **kwargs: Any) -> Any:
    """Batch normalisation along channel ``axis``, as MXNet's operator: in training mode
    (``autograd.record()``) without ``use_global_stats`` it normalises with the batch mean
    and biased variance over every other axis and updates ``moving_mean`` and
    ``moving_var`` in place (``moving * momentum + batch * (1 - momentum)``); otherwise it
    uses them. ``fix_gamma`` (the default, as in MXNet) sets ``gamma`` to 1 in place, scales
    by 1 and gives ``gamma`` no gradient. ``output_mean_var`` also returns the mean and the
    inverse standard deviation ``1 / sqrt(var + eps)`` that were used (a list, as MXNet).
    (MXNet's CPU kernels update the running statistics in the backward pass, so there a
    training-mode forward pass without backward leaves them as they were; tracegrad updates
    them in the forward pass, which gives the same values in a training loop.)

    Examples
    --------
    >>> from tracegrad import nd
    >>> x = nd.array([[1.0, 2.0], [3.0, 6.0]])
    >>> nd.BatchNorm(x, nd.ones(2), nd.zeros(2), nd.zeros(2), nd.ones(2)).shape
    (2, 2)
    """
    _no_extra(kwargs, "BatchNorm")
    x = _nd(data)
    axis = axis % x.ndim if x.ndim else 0
    g = _nd(gamma)
    if fix_gamma:  # MXNet sets gamma to 1 in place, and scales by that
        g = NDArray(np.ones(g.shape, dtype=np.dtype(g.dtype)))
        _set_fixed_gamma(_nd(gamma), g)
    mm, mv = _nd(moving_mean), _nd(moving_var)
    if is_training() and not use_global_stats:
        axes = tuple(i for i in range(x.ndim) if i != axis)
        mean = ops.mean(x, axis=axes)
        centered = x - _along(mean, x.ndim, axis)
        var = ops.mean(centered * centered, axis=axes)
        _set_running(mm, ops.stop_gradient(mm * momentum + mean * (1.0 - momentum)))
        _set_running(mv, ops.stop_gradient(mv * momentum + var * (1.0 - momentum)))
    else:
        mean, var = ops.stop_gradient(mm), ops.stop_gradient(mv)
        centered = x - _along(mean, x.ndim, axis)
    inv_std = 1.0 / ops.sqrt(var + eps)
    out = centered * _along(inv_std * g, x.ndim, axis) + _along(_nd(beta), x.ndim, axis)
    return [out, mean, inv_std] if output_mean_var else out


def LayerNorm(data: Any, gamma: Any, beta: Any, axis: int = -1, eps: float = 1e-5,
              output_mean_var: bool = False, **kwargs: Any) -> Any:
    """Normalisation over ``axis`` (the mean and biased variance along it), scaled by
    ``gamma`` and shifted by ``beta`` (both of the axis' size). ``output_mean_var`` also
    returns the mean and the standard deviation ``sqrt(var + eps)``, with the axis kept
    (size 1), as MXNet.

    Examples
    --------
    >>> from tracegrad import nd
    >>> y = nd.LayerNorm(nd.array([[1.0, 3.0]]), nd.ones(2), nd.zeros(2))
    >>> [round(v, 3) for v in y.asnumpy().ravel().tolist()]
    [-1.0, 1.0]
    """
    _no_extra(kwargs, "LayerNorm")
    x = _nd(data)
    axis %= x.ndim
    mean = ops.mean(x, axis=axis, keepdims=True)
    centered = x - mean
    std = ops.sqrt(ops.mean(centered * centered, axis=axis, keepdims=True) + eps)
    out = centered / std * _along(_nd(gamma), x.ndim, axis) + _along(_nd(beta), x.ndim, axis)
    return [out, mean, std] if output_mean_var else out


# -- activations ------------------------------------------------------------------------------

_ACTIVATIONS = ("relu", "sigmoid", "softrelu", "softsign", "tanh")


def Activation(data: Any, act_type: str = "relu", **kwargs: Any) -> NDArray:
    """``relu``, ``sigmoid``, ``tanh``, ``softrelu`` (``log(1 + exp(x))``, computed as
    ``max(x, 0) + log1p(exp(-|x|))`` so it never overflows) or ``softsign``
    (``x / (1 + |x|)``).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.Activation(nd.array([-1.0, 1.0]), act_type="softsign").asnumpy().tolist()
    [-0.5, 0.5]
    """
    _no_extra(kwargs, "Activation")
    x = _nd(data)
    if act_type == "relu":
        return ops.relu(x)
    if act_type == "sigmoid":
        return ops.sigmoid(x)
    if act_type == "tanh":
        return ops.tanh(x)
    if act_type == "softrelu":
        return ops.relu(x) + ops.log1p(ops.exp(-ops.abs(x)))
    if act_type == "softsign":
        return x / (ops.abs(x) + 1.0)
    raise ValueError(f"Activation: act_type must be one of {', '.join(_ACTIVATIONS)}, got "
                     f"{act_type!r} (at {_user_line()})")


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def LeakyReLU(data: Any, gamma: Any = None, act_type: str = "leaky", slope: float = 0.25,
              lower_bound: float = 0.125, upper_bound: float = 0.334,
              **kwargs: Any) -> NDArray:
    """MXNet's LeakyReLU family: ``leaky`` (``slope * x`` below 0), ``prelu`` (a learned
    ``gamma`` per channel of axis 1, or one value), ``elu`` (``slope * (exp(x) - 1)`` below
    0), ``selu`` and ``gelu`` (``x * Phi(x)`` with the error function). ``rrelu`` (random
    slopes) is not supported. selu's gradient below 0 is its derivative
    ``lambda * alpha * exp(x)`` (MXNet 1.9.1 computes ``lambda * (y + alpha)``; see
    docs/gluon.md).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.LeakyReLU(nd.array([-2.0, 3.0]), slope=0.1).asnumpy().tolist()
    [-0.20000000298023224, 3.0]
    """
    _no_extra(kwargs, "LeakyReLU")
    x = _nd(data)
    positive = x > 0
    if act_type == "leaky":
        return ops.where(positive, x, x * slope)
    if act_type == "prelu":
        if gamma is None:
            raise ValueError(f"LeakyReLU: act_type='prelu' needs gamma (at {_user_line()})")
        a = _nd(gamma)
        if a.size != 1 and x.ndim > 1:
            a = _along(a, x.ndim, 1)
        return ops.where(positive, x, x * a)
    if act_type == "elu":
        return ops.where(positive, x, ops.expm1(ops.minimum(x, 0.0)) * slope)
    if act_type == "selu":
        below = ops.expm1(ops.minimum(x, 0.0)) * _SELU_ALPHA
        return ops.where(positive, x, below) * _SELU_LAMBDA
    if act_type == "gelu":
        return x * (apply(P.erf, (x * (1.0 / math.sqrt(2.0)),), {}) + 1.0) * 0.5
    raise ValueError(f"LeakyReLU: act_type must be 'leaky', 'prelu', 'elu', 'selu' or 'gelu' "
                     f"(tracegrad has no 'rrelu'), got {act_type!r} (at {_user_line()})")


# -- embedding --------------------------------------------------------------------------------

def Embedding(data: Any, weight: Any, input_dim: int | None = None,
              output_dim: int | None = None, dtype: Any = "float32", sparse_grad: bool = False,
              **kwargs: Any) -> NDArray:
    """Rows of ``weight`` (input_dim, output_dim) at the indices in ``data`` (floats are
    truncated; out-of-range indices are clipped, as MXNet); the output has shape
    ``data.shape + (output_dim,)``. The gradient is dense (``sparse_grad`` is accepted).

    Examples
    --------
    >>> from tracegrad import nd
    >>> w = nd.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    >>> nd.Embedding(nd.array([2, 0]), w, input_dim=3, output_dim=2).asnumpy().tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    """
    _no_extra(kwargs, "Embedding")
    w = _nd(weight)
    if w.ndim != 2 or (input_dim is not None and w.shape[0] != input_dim) or \
            (output_dim is not None and w.shape[1] != output_dim):
        raise ValueError(f"Embedding: weight has shape {w.shape}, expected (input_dim, "
                         f"output_dim) = ({input_dim}, {output_dim}) (at {_user_line()})")
    return ops.take(w, _nd(data), axis=0)


__all__ = ["BatchNorm", "LayerNorm", "Activation", "LeakyReLU", "Embedding"]
