"""The ``nd`` neural-network operators that Gluon layers call, written with ``nd`` ops (so
they are differentiable, traceable and fuse under ``hybridize()``): ``FullyConnected``,
``Activation``, ``LeakyReLU``, ``BatchNorm``, ``LayerNorm``, ``Embedding``.

Importing :mod:`tracegrad.gluon` adds each of them to ``nd`` under its MXNet name *if nd has
no such name yet*, so ``F.FullyConnected(...)`` in a ported ``hybrid_forward`` works; a
native ``nd`` version, when one lands, takes precedence.

>>> from tracegrad import nd
>>> from tracegrad.gluon.nn import ops
>>> ops.Activation(nd.array([-1.0, 0.0, 2.0]), act_type="softsign").asnumpy().tolist()
[-0.5, 0.0, 0.6666666865348816]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import nd
from tracegrad.state import is_training

__all__ = ["FullyConnected", "Activation", "LeakyReLU", "BatchNorm", "LayerNorm", "Embedding"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946
_SOFTRELU_THRESHOLD = 20.0  # as mshadow_op::softrelu: x itself above it


def FullyConnected(data: Any, weight: Any, bias: Any = None, num_hidden: int | None = None,
                   no_bias: bool = False, flatten: bool = True, **_: Any) -> Any:
    """``data @ weight.T + bias``; with ``flatten`` the input is first reshaped to
    ``(batch, -1)``, otherwise the product is over its last axis."""
    x = data.reshape((data.shape[0], -1)) if flatten and data.ndim != 2 else data
    if num_hidden is not None and weight.shape[0] != num_hidden:
        raise ValueError(f"FullyConnected: weight has {weight.shape[0]} rows but "
                         f"num_hidden={num_hidden}")
    out = nd.dot(x, weight, transpose_b=True)
    if bias is not None and not no_bias:
        out = out + bias
    return out


def Activation(data: Any, act_type: str = "relu", **_: Any) -> Any:
    """relu, sigmoid, tanh, softrelu (log(1 + exp(x)), x itself above 20) or softsign
    (x / (1 + |x|)), as MXNet's Activation operator."""
    if act_type == "relu":
        return nd.relu(data)
    if act_type == "sigmoid":
        return nd.sigmoid(data)
    if act_type == "tanh":
        return nd.tanh(data)
    if act_type == "softrelu":
        safe = nd.minimum(data, _SOFTRELU_THRESHOLD)
        return nd.where(data > _SOFTRELU_THRESHOLD, data, nd.log1p(nd.exp(safe)))
    if act_type == "softsign":
        return data / (nd.abs(data) + 1.0)
    raise ValueError(f"Invalid Input: '{act_type}', valid values are: {{'relu', 'sigmoid', "
                     "'softrelu', 'softsign', 'tanh'}")


def _channel(gamma: Any, x: Any) -> Any:
    """``gamma`` of shape (C,) broadcast along axis 1 of ``x`` (a single value everywhere)."""
    if gamma.size == 1 or x.ndim < 2:
        return gamma.reshape((1,) * max(x.ndim, 1)) if gamma.size == 1 else gamma
    return gamma.reshape((1, gamma.shape[0]) + (1,) * (x.ndim - 2))


def LeakyReLU(data: Any, gamma: Any = None, act_type: str = "leaky", slope: float = 0.25,
              **_: Any) -> Any:
    """leaky (slope * x below 0), prelu (learned ``gamma`` per channel, axis 1), elu
    (slope * (exp(x) - 1) below 0) or selu."""
    x = data
    if act_type == "leaky":
        return nd.where(x > 0, x, x * slope)
    if act_type == "prelu":
        if gamma is None:
            raise ValueError("LeakyReLU(act_type='prelu') needs gamma")
        return nd.where(x > 0, x, x * _channel(gamma, x))
    if act_type == "elu":
        return nd.where(x > 0, x, (nd.exp(nd.minimum(x, 0.0)) - 1.0) * slope)
    if act_type == "selu":
        neg = (nd.exp(nd.minimum(x, 0.0)) - 1.0) * _SELU_ALPHA
        return nd.where(x > 0, x, neg) * _SELU_LAMBDA
    raise ValueError(f"LeakyReLU: act_type {act_type!r} is not supported by tracegrad "
                     "(leaky, prelu, elu, selu are)")


def _stat_axes(x: Any, axis: int) -> tuple[int, ...]:
    axis %= x.ndim
    return tuple(i for i in range(x.ndim) if i != axis)


def _along(v: Any, x: Any, axis: int) -> Any:
    axis %= x.ndim
    shape = [1] * x.ndim
    shape[axis] = v.shape[0]
    return v.reshape(tuple(shape))


def BatchNorm(data: Any, gamma: Any, beta: Any, moving_mean: Any, moving_var: Any,
              eps: float = 1e-3, momentum: float = 0.9, fix_gamma: bool = True,
              use_global_stats: bool = False, output_mean_var: bool = False, axis: int = 1,
              **_: Any) -> Any:
    """Batch normalisation over every axis but ``axis``. In training mode (and without
    ``use_global_stats``) it normalises with the batch mean and (biased) variance and sets
    ``moving_mean = moving_mean * momentum + mean * (1 - momentum)``, likewise the variance;
    otherwise it uses the moving statistics. ``fix_gamma`` sets gamma to 1 (in place, as
    MXNet does) and uses that."""
    from tracegrad.gluon.hybrid import update_aux

    x = data
    if fix_gamma:  # MXNet sets gamma to 1 in place and uses that
        g = nd.ones_like(gamma)
        update_aux(gamma, g)
    else:
        g = gamma
    if is_training() and not use_global_stats:
        axes = _stat_axes(x, axis)
        mean = nd.mean(x, axis=axes)
        centered = x - _along(mean, x, axis)
        var = nd.mean(centered * centered, axis=axes)
        with_grad_cut = nd.stop_gradient
        update_aux(moving_mean, with_grad_cut(moving_mean * momentum + mean * (1.0 - momentum)))
        update_aux(moving_var, with_grad_cut(moving_var * momentum + var * (1.0 - momentum)))
    else:
        mean, var = moving_mean, moving_var
        centered = x - _along(mean, x, axis)
    inv = 1.0 / nd.sqrt(var + eps)
    out = centered * _along(inv * g, x, axis) + _along(beta, x, axis)
    if output_mean_var:
        return out, mean, var
    return out


def LayerNorm(data: Any, gamma: Any, beta: Any, axis: int = -1, eps: float = 1e-5,
              output_mean_var: bool = False, **_: Any) -> Any:
    """Normalise over ``axis`` with the mean and (biased) variance along it, then scale by
    ``gamma`` and shift by ``beta``."""
    x = data
    mean = nd.mean(x, axis=axis, keepdims=True)
    centered = x - mean
    var = nd.mean(centered * centered, axis=axis, keepdims=True)
    out = centered / nd.sqrt(var + eps) * _along(gamma, x, axis) + _along(beta, x, axis)
    if output_mean_var:
        return out, mean, var
    return out


def Embedding(data: Any, weight: Any, input_dim: int | None = None,
              output_dim: int | None = None, dtype: Any = "float32", sparse_grad: bool = False,
              **_: Any) -> Any:
    """Rows of ``weight`` picked by the (float or integer) indices in ``data``; indices
    out of range are clipped, as MXNet's ``take``."""
    idx = data if np.dtype(data.dtype).kind in "iu" else data.astype("int64")
    return nd.take(weight, idx, axis=0)


def install() -> None:
    """Add these operators to ``nd`` under their MXNet names where nd has none yet."""
    for name in __all__:
        if not hasattr(nd, name):
            setattr(nd, name, globals()[name])
