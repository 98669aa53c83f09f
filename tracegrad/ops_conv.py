"""MXNet's convolution layer operators: ``Convolution``, ``Deconvolution``, ``Pooling`` (the
other layer operators, ``BatchNorm``... ``Embedding``, are in :mod:`tracegrad.ops_layers`).

Each is a composite of compiler primitives, so gradients of any order, ``jit`` and fusion come
for free:

* **Convolution** is ``im2col`` (every window of the padded input, laid out as
  ``(N, C, *kernel, *out)``) followed by one batched matrix product per group (BLAS):
  ``W (F, C*prod(kernel)) @ cols (N, C*prod(kernel), prod(out))`` is already in NCHW order,
  and the bias add (and an activation after it) fuse into one kernel over its output. The
  gradient with respect to the input comes from ``im2col``'s VJP, ``col2im``.
* **Deconvolution** (transposed convolution) is that gradient as a forward pass: a matrix
  product with the transposed weight, then ``col2im``.
* **Pooling** is the ``max_pool`` and ``sum_pool`` primitives (a strided NumPy pass per
  kernel offset; ``im2col`` + a fused reduction was 15-20x slower on LeNet's 2x2 windows,
  see ``compiler/prims/conv.py``); average and Lp pooling are composites of ``sum_pool``,
  global pooling a plain reduction over the spatial axes.

Chosen by measurement on the LeNet shapes (batch 256); see ``benchmarks/bench_lenet.py``.

MXNet's parameters, defaults and output shapes are kept (checked against MXNet 1.9.1 in
``tests/tracegrad/nd/test_conv.py``); layouts are NCW / NCHW / NCDHW (MXNet supports the
channels-last layouts on GPU only).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.ops import _nd

_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


# -- parameters -------------------------------------------------------------------------------

def _tuple(value: Any, name: str, op: str, nd: int, default: int) -> tuple[int, ...]:
    """A per-axis parameter as a tuple of ``nd`` ints: empty means ``default`` on every axis;
    an int is a 1-tuple (as MXNet parses it, so it only fits a 1-d kernel)."""
    if value is None or (isinstance(value, (tuple, list)) and len(value) == 0):
        return (default,) * nd
    vals = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(vals) != nd or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                  for v in vals):
        raise ValueError(f"{op}: {name} must have the same number of dimensions as the kernel "
                         f"({nd}), got {value!r} (at {_user_line()})")
    return tuple(int(v) for v in vals)


def _kernel(kernel: Any, op: str) -> tuple[int, ...]:
    if kernel is None or (isinstance(kernel, (tuple, list)) and len(kernel) == 0):
        raise ValueError(f"{op}: kernel is required (at {_user_line()})")
    k = (kernel,) if isinstance(kernel, (int, np.integer)) else tuple(kernel)
    if not 1 <= len(k) <= 3 or min(int(v) for v in k) < 1:
        raise ValueError(f"{op}: kernel must be 1 to 3 positive sizes, got {kernel!r} "
                         f"(at {_user_line()})")
    return tuple(int(v) for v in k)


def _check_layout(x: NDArray, nd: int, layout: str | None, op: str) -> None:
    if x.ndim != nd + 2:
        raise ValueError(f"{op}: a {nd}-d kernel needs a {nd + 2}-d input "
                         f"({_LAYOUTS[nd]}), got shape {x.shape} (at {_user_line()})")
    if layout is not None and layout != _LAYOUTS[nd]:
        raise ValueError(f"{op}: layout {layout!r} is not supported (MXNet runs channels-last "
                         f"layouts on GPU only); a {nd}-d kernel takes {_LAYOUTS[nd]!r} "
                         f"(at {_user_line()})")


def _reshape(x: NDArray, shape: tuple[int, ...]) -> NDArray:
    return x if x.shape == shape else apply(P.reshape, (x,), {"shape": shape})


def _channel_bias(bias: Any, n_out: int, ndim: int, op: str) -> NDArray:
    b = _nd(bias)
    if b.size != n_out:
        raise ValueError(f"{op}: bias has shape {b.shape}, expected ({n_out},) "
                         f"(at {_user_line()})")
    return _reshape(b, (1, n_out) + (1,) * (ndim - 2))


def _windows(x: NDArray, kernel: tuple, stride: tuple, dilate: tuple, pad: tuple,
             order: str) -> NDArray:
    return apply(P.im2col, (x,), {"kernel": kernel, "stride": stride, "dilate": dilate,
                                  "pad": pad, "order": order})


# Up to this many rows (channels x kernel positions) per group, the product runs per sample
# ("NCKO": N products W (F, CKK) @ cols (CKK, L), already in NCHW order); above it, as one
# product for the whole batch ("CKNO": W (F, CKK) @ cols (CKK, N*L), then an (F, N) -> (N, F)
# transpose that the bias/activation kernel reads for free). Measured on LeNet (batch 256):
# conv1 (CKK = 25) is fastest per sample, conv2 (CKK = 500) as one product; the whole step
# per sample / one product / this rule: 310 / 274 / 251 ms (benchmarks/bench_lenet.py).
PER_SAMPLE_MAX_ROWS = 64


def _conv_order(ckk: int) -> str:
    return "NCKO" if ckk <= PER_SAMPLE_MAX_ROWS else "CKNO"


# -- convolution ------------------------------------------------------------------------------

def Convolution(data: Any, weight: Any, bias: Any = None, kernel: Any = None,
                stride: Any = (), dilate: Any = (), pad: Any = (), num_filter: int = 0,
                num_group: int = 1, workspace: int = 1024, no_bias: bool = False,
                cudnn_tune: Any = None, cudnn_off: bool = False, layout: str | None = None,
                **kwargs: Any) -> NDArray:
    """N-d convolution (1-d to 3-d) as MXNet computes it: ``data`` (N, C, spatial...),
    ``weight`` (num_filter, C / num_group, kernel...), ``bias`` (num_filter,) unless
    ``no_bias``. The output has ``num_filter`` channels and spatial sizes
    ``(x + 2 * pad - dilate * (kernel - 1) - 1) // stride + 1``.

    Examples
    --------
    >>> from tracegrad import nd
    >>> x, w = nd.ones((1, 1, 4, 4)), nd.ones((2, 1, 3, 3))
    >>> nd.Convolution(x, w, nd.zeros(2), kernel=(3, 3), num_filter=2).shape
    (1, 2, 2, 2)
    """
    op = "Convolution"
    _no_extra(kwargs, op)
    k = _kernel(kernel, op)
    nd_ = len(k)
    x, w = _nd(data), _nd(weight)
    _check_layout(x, nd_, layout, op)
    s, d = _tuple(stride, "stride", op, nd_, 1), _tuple(dilate, "dilate", op, nd_, 1)
    p = _tuple(pad, "pad", op, nd_, 0)
    n, c = x.shape[:2]
    g = int(num_group)
    f = int(num_filter) if num_filter else w.shape[0]
    if g < 1 or c % g or f % g:
        raise ValueError(f"{op}: num_group={num_group} must divide the input channels ({c}) "
                         f"and num_filter ({f}) (at {_user_line()})")
    expected = (f, c // g) + k
    if w.shape != expected:
        raise ValueError(f"{op}: weight has shape {w.shape}, expected {expected} "
                         f"(num_filter, channels / num_group, *kernel) (at {_user_line()})")
    if not no_bias and bias is None:
        raise ValueError(f"{op}: bias is required unless no_bias=True (at {_user_line()})")
    ckk = (c // g) * math.prod(k)
    order = _conv_order(ckk)
    if order == "NCKO" and k == (1,) * nd_ and s == (1,) * nd_ and p == (0,) * nd_:
        cols = x  # a 1x1 convolution is a product with the input itself
        outs = tuple(x.shape[2:])
    else:
        cols = _windows(x, k, s, d, tuple((v, v) for v in p), order=order)
        outs = tuple(cols.shape[-nd_:])
    length = math.prod(outs)
    if order == "CKNO":
        # the whole batch as one matrix: W (G, F/G, CKK) @ cols (G, CKK, N*L) -> (F, N, *O)
        wg = _reshape(w, (f, ckk) if g == 1 else (g, f // g, ckk))
        y = apply(P.matmul, (wg, _reshape(cols, (ckk, n * length) if g == 1
                                          else (g, ckk, n * length))), {})
        y = _reshape(y, (f, n) + outs)
        y = apply(P.transpose, (y,), {"axes": (1, 0) + tuple(range(2, 2 + nd_))})
    elif g == 1:
        y = apply(P.matmul, (_reshape(w, (f, ckk)), _reshape(cols, (n, ckk, length))), {})
    else:
        y = apply(P.matmul, (_reshape(w, (g, f // g, ckk)),
                             _reshape(cols, (n, g, ckk, length))), {})
    y = _reshape(y, (n, f) + tuple(outs))
    if not no_bias:
        y = y + _channel_bias(bias, f, y.ndim, op)
    return y


def _no_extra(kwargs: dict, op: str) -> None:
    """MXNet's ``out=`` (unsupported: assign the result) and ``name=`` (ignored); anything
    else is an error."""
    kwargs.pop("name", None)
    if kwargs.pop("out", None) is not None:
        raise NotImplementedError(f"{op}: out= is not supported; assign the result instead "
                                  f"(at {_user_line()})")
    if kwargs:
        raise TypeError(f"{op} got unexpected arguments {sorted(kwargs)} (at {_user_line()})")


def _deconv_geometry(in_sizes: Sequence[int], k: tuple, s: tuple, d: tuple, p: tuple,
                     adj: tuple, target: tuple | None) -> tuple[tuple, tuple, tuple]:
    """(output sizes, pad, adj) of a transposed convolution; a target shape sets pad and adj
    as MXNet does (the total padding split with the odd unit in adj)."""
    if target is not None:
        pads, adjs = [], []
        for n, kk, ss, dd, t in zip(in_sizes, k, s, d, target):
            total = ss * (n - 1) + dd * (kk - 1) + 1 - t
            if total < 0:
                raise ValueError(f"Deconvolution: target_shape {target} is too big for an "
                                 f"input of spatial size {tuple(in_sizes)} "
                                 f"(at {_user_line()})")
            adjs.append(total % 2)
            pads.append((total + 1) // 2)
        p, adj = tuple(pads), tuple(adjs)
    outs = tuple(ss * (n - 1) + dd * (kk - 1) + 1 - 2 * pp + aa
                 for n, kk, ss, dd, pp, aa in zip(in_sizes, k, s, d, p, adj))
    return outs, p, adj


def Deconvolution(data: Any, weight: Any, bias: Any = None, kernel: Any = None,
                  stride: Any = (), dilate: Any = (), pad: Any = (), adj: Any = (),
                  target_shape: Any = (), num_filter: int = 0, num_group: int = 1,
                  workspace: int = 512, no_bias: bool = True, cudnn_tune: Any = None,
                  cudnn_off: bool = False, layout: str | None = None,
                  **kwargs: Any) -> NDArray:
    """Transposed convolution (the gradient of ``Convolution`` with respect to its input,
    as a layer): ``data`` (N, C, *spatial), ``weight`` (C, num_filter / num_group, *kernel).
    Output sizes are ``stride * (x - 1) + dilate * (kernel - 1) + 1 - 2 * pad + adj``, or
    ``target_shape`` (which then sets pad and adj). ``no_bias`` defaults to True, as in MXNet.

    Examples
    --------
    >>> from tracegrad import nd
    >>> x, w = nd.ones((1, 2, 3, 3)), nd.ones((2, 4, 3, 3))
    >>> nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), num_filter=4).shape
    (1, 4, 7, 7)
    """
    op = "Deconvolution"
    _no_extra(kwargs, op)
    k = _kernel(kernel, op)
    nd_ = len(k)
    x, w = _nd(data), _nd(weight)
    _check_layout(x, nd_, layout, op)
    s, d = _tuple(stride, "stride", op, nd_, 1), _tuple(dilate, "dilate", op, nd_, 1)
    p, a = _tuple(pad, "pad", op, nd_, 0), _tuple(adj, "adj", op, nd_, 0)
    target = None if target_shape is None or len(tuple(target_shape)) == 0 else \
        _tuple(target_shape, "target_shape", op, nd_, 0)
    n, c = x.shape[:2]
    g = int(num_group)
    f = int(num_filter) if num_filter else w.shape[1] * g
    if g < 1 or c % g or f % g:
        raise ValueError(f"{op}: num_group={num_group} must divide the input channels ({c}) "
                         f"and num_filter ({f}) (at {_user_line()})")
    expected = (c, f // g) + k
    if w.shape != expected:
        raise ValueError(f"{op}: weight has shape {w.shape}, expected {expected} "
                         f"(channels, num_filter / num_group, *kernel) (at {_user_line()})")
    if not no_bias and bias is None:
        raise ValueError(f"{op}: bias is required when no_bias=False (at {_user_line()})")
    outs, p, a = _deconv_geometry(x.shape[2:], k, s, d, p, a, target)
    if min(outs) < 1:
        raise ValueError(f"{op}: the output would be empty ({outs}) (at {_user_line()})")
    length = math.prod(x.shape[2:])
    fkk = (f // g) * math.prod(k)
    # cols[n, g, (f, *k), l] = sum_c W[g, c, (f, *k)] x[n, g, c, l]
    wt = _reshape(w, (g, c // g, fkk))
    wt = apply(P.transpose, (wt,), {"axes": (0, 2, 1)})
    cols = apply(P.matmul, (wt, _reshape(x, (n, g, c // g, length))), {})
    cols = _reshape(cols, (n, f) + k + tuple(x.shape[2:]))
    # the convolution whose input gradient this is: pad p at the start; at the end the
    # padding that makes its window count the input size (adj < stride extends the output)
    pads = tuple((pp, max(0, pp - aa)) for pp, aa in zip(p, a))
    y = apply(P.col2im, (cols,), {"kernel": k, "stride": s, "dilate": d, "pad": pads,
                                   "shape": (n, f) + outs, "order": "NCKO"})
    if not no_bias:
        y = y + _channel_bias(bias, f, y.ndim, op)
    return y


# -- pooling ----------------------------------------------------------------------------------

def _pool_geometry(sizes: Sequence[int], k: tuple, s: tuple, p: tuple,
                   convention: str) -> tuple[tuple, tuple]:
    """(output sizes, (low, high) padding per axis): 'full' rounds the window count up, and
    the windows past the end see padding."""
    outs, pads = [], []
    for n, kk, ss, pp in zip(sizes, k, s, p):
        span = n + 2 * pp - kk
        if span < 0:
            raise ValueError(f"Pooling: kernel {k} is larger than the padded input "
                             f"{tuple(m + 2 * q for m, q in zip(sizes, p))} "
                             f"(at {_user_line()})")
        o = (span // ss if convention == "valid" else -(-span // ss)) + 1
        outs.append(o)
        pads.append((pp, max(pp, (o - 1) * ss + kk - n - pp)))
    return tuple(outs), tuple(pads)


def _avg_divisor(sizes: Sequence[int], outs: Sequence[int], k: tuple, s: tuple, p: tuple,
                 include_pad: bool, dtype: Any) -> np.ndarray:
    """The count each average divides by, per output position (MXNet: the window clipped
    to the input padded symmetrically, or to the input itself without count_include_pad;
    a window with nothing in it gives 0, as MXNet)."""
    per_axis = []
    for n, o, kk, ss, pp in zip(sizes, outs, k, s, p):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, n + pp)
        if not include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        per_axis.append(np.maximum(end - start, 0))
    count = per_axis[0]
    for c in per_axis[1:]:
        count = np.multiply.outer(count, c)
    return np.where(count > 0, count, 1).astype(dtype)


def _sum_pool(x: NDArray, params: dict) -> NDArray:
    return apply(P.sum_pool, (x,), params)


def _global(x: NDArray, pool_type: str, p_value: int | None) -> NDArray:
    axes = {"axes": tuple(range(2, x.ndim)), "keepdims": True}
    if pool_type == "max":
        return apply(P.reduce_max, (x,), axes)
    y = apply(P.reduce_sum, (_lp_power(x, pool_type, p_value),), axes)
    if pool_type == "avg":
        return y / float(math.prod(x.shape[2:]))
    return _lp_root(y, pool_type, p_value)


def _lp_power(x: NDArray, pool_type: str, p_value: int | None) -> NDArray:
    if pool_type != "lp" or p_value == 1:
        return x
    return x * x if p_value == 2 else x * x * x


def _lp_root(y: NDArray, pool_type: str, p_value: int | None) -> NDArray:
    if pool_type != "lp" or p_value == 1:
        return y
    return ops.sqrt(y) if p_value == 2 else apply(P.cbrt, (y,), {})


def Pooling(data: Any, kernel: Any = (), pool_type: str = "max", global_pool: bool = False,
            cudnn_off: bool = False, pooling_convention: str = "valid", stride: Any = (),
            pad: Any = (), p_value: int | None = None, count_include_pad: bool | None = None,
            layout: str | None = None, **kwargs: Any) -> NDArray:
    """Max, average, sum or Lp pooling over the 1 to 3 spatial axes of ``data`` (NCW, NCHW,
    NCDHW), as MXNet: ``stride`` defaults to 1 on each axis; ``pooling_convention`` 'valid'
    rounds the number of windows down, 'full' up (windows past the end see padding);
    ``global_pool`` pools each channel's whole plane (kernel, stride and pad are ignored);
    average pooling counts the padding unless ``count_include_pad=False``; max pooling's
    padding is the lowest finite value (a window of padding alone gives it, as in MXNet)
    and its gradient goes to the first maximum of each window (MXNet's rule for ties).

    Examples
    --------
    >>> from tracegrad import nd
    >>> x = nd.arange(16).reshape((1, 1, 4, 4))
    >>> nd.Pooling(x, kernel=(2, 2), stride=(2, 2)).asnumpy().ravel().tolist()
    [5.0, 7.0, 13.0, 15.0]
    """
    op = "Pooling"
    _no_extra(kwargs, op)
    x = _nd(data)
    if pool_type not in ("max", "avg", "sum", "lp"):
        raise ValueError(f"{op}: pool_type must be 'max', 'avg', 'sum' or 'lp', got "
                         f"{pool_type!r} (at {_user_line()})")
    if pool_type == "lp" and p_value not in (1, 2, 3):
        raise ValueError(f"{op}: Lp pooling needs p_value 1, 2 or 3, got {p_value!r} "
                         f"(at {_user_line()})")
    if pooling_convention not in ("valid", "full"):
        raise ValueError(f"{op}: pooling_convention must be 'valid' or 'full', got "
                         f"{pooling_convention!r} (MXNet's 'same' is for 1-d max pooling "
                         f"on GPU) (at {_user_line()})")
    nd_ = x.ndim - 2
    if global_pool:
        if not 1 <= nd_ <= 3:
            raise ValueError(f"{op}: global pooling needs a 3- to 5-d input, got shape "
                             f"{x.shape} (at {_user_line()})")
        _check_layout(x, nd_, layout, op)
        return _global(x, pool_type, p_value)
    k = _kernel(kernel, op)
    nd_ = len(k)
    _check_layout(x, nd_, layout, op)
    s, p = _tuple(stride, "stride", op, nd_, 1), _tuple(pad, "pad", op, nd_, 0)
    sizes = x.shape[2:]
    outs, pads = _pool_geometry(sizes, k, s, p, pooling_convention)
    params = {"kernel": k, "stride": s, "pad": pads}
    if pool_type == "max":
        return apply(P.max_pool, (x,), params)
    y = _lp_root(_sum_pool(_lp_power(x, pool_type, p_value), params), pool_type, p_value)
    if pool_type == "avg":
        include_pad = True if count_include_pad is None else bool(count_include_pad)
        div = _avg_divisor(sizes, outs, k, s, p, include_pad, np.dtype(x.dtype))
        y = y / float(div.flat[0]) if np.all(div == div.flat[0]) else y / NDArray(div)
    return y


__all__ = ["Convolution", "Deconvolution", "Pooling"]
