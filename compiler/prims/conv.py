"""Sliding windows: the movement primitives that convolution and pooling are built on.

``im2col`` lays out every window of a (padded, strided, dilated) N-d sliding window over the
spatial axes of an ``(N, C, *spatial)`` array, so that a convolution becomes one matrix
product (BLAS) and a pooling a reduction over the window axes (a fused kernel):

    im2col(x)[n, c, *k, *o] = x_padded[n, c, *(o * stride + k * dilate)]

with the result laid out as ``(N, C, *kernel, *out)``: for each sample, the rows of the
matrix product are (channel, kernel offset) and the columns are output positions, so the
product ``W (F, C*prod(kernel)) @ cols (N, C*prod(kernel), prod(out))`` comes out in NCHW
order and needs no transpose. ``col2im`` is its adjoint (each window entry is added back
where it came from; padding is dropped), so each is the other's VJP and derivatives of any
order follow.

``pad`` is one ``(low, high)`` pair per spatial axis (high may exceed low: pooling's 'full'
convention pads more at the end), and ``value`` is what the padding holds: 0 for
convolution and sum/average pooling, the lowest finite value of the dtype for max pooling.
The padding is constant, so it receives no gradient.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, register
from ._util import rand

Ints = tuple[int, ...]
Pads = tuple[tuple[int, int], ...]


def out_sizes(spatial: Ints, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads) -> Ints:
    """The number of window positions along each spatial axis."""
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, s, d, (lo, hi) in zip(spatial, kernel, stride, dilate, pad))


def _check(shape: Ints, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads) -> Ints:
    nd = len(kernel)
    if not 1 <= nd <= 3 or len(shape) != nd + 2:
        raise ValueError(f"a {nd}-d window needs an (N, C, {nd} spatial axes) array, got shape "
                         f"{shape}")
    if not (len(stride) == len(dilate) == len(pad) == nd):
        raise ValueError(f"kernel {kernel}, stride {stride}, dilate {dilate} and pad {pad} "
                         f"must have one entry per spatial axis")
    if min(kernel) < 1 or min(stride) < 1 or min(dilate) < 1 or \
            min(min(p) for p in pad) < 0:
        raise ValueError(f"kernel {kernel}, stride {stride} and dilate {dilate} must be "
                         f"positive and pad {pad} non-negative")
    outs = out_sizes(shape[2:], kernel, stride, dilate, pad)
    if min(outs) < 1:
        padded = tuple(n + lo + hi for n, (lo, hi) in zip(shape[2:], pad))
        raise ValueError(f"the window (kernel {kernel}, dilate {dilate}) is larger than the "
                         f"padded input {padded}")
    return outs


def _window(offsets: Ints, stride: Ints, dilate: Ints, outs: Ints) -> tuple[slice, ...]:
    """The padded-input positions that kernel offset ``offsets`` sees, one per output."""
    return (slice(None), slice(None)) + tuple(
        slice(o * d, o * d + s * (n - 1) + 1, s)
        for o, s, d, n in zip(offsets, stride, dilate, outs))


def _im2col_impl(x: np.ndarray, *, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads,
                 value: float) -> np.ndarray:
    x = np.asarray(x)
    outs = out_sizes(x.shape[2:], kernel, stride, dilate, pad)
    if any(lo or hi for lo, hi in pad):
        x = np.pad(x, ((0, 0), (0, 0)) + tuple(pad), constant_values=value)
    out = np.empty(x.shape[:2] + tuple(kernel) + outs, dtype=x.dtype)
    lead = (slice(None), slice(None))
    # one strided copy per kernel offset: prod(kernel) large contiguous writes
    for offsets in itertools.product(*(range(k) for k in kernel)):
        out[lead + offsets] = x[_window(offsets, stride, dilate, outs)]
    return out


def _im2col_abstract(x: Any, *, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads,
                     value: float) -> ShapedArray:
    shape = tuple(x.shape)
    outs = _check(shape, kernel, stride, dilate, pad)
    return ShapedArray(shape[:2] + tuple(kernel) + outs, np.dtype(x.dtype))


def _im2col_vjp(g: Any, out: Any, x: Any, *, kernel: Ints, stride: Ints, dilate: Ints,
                pad: Pads, value: float) -> list:
    return [col2im(g, kernel=kernel, stride=stride, dilate=dilate, pad=pad,
                   shape=tuple(x.shape))]


def _col2im_impl(cols: np.ndarray, *, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads,
                 shape: Ints) -> np.ndarray:
    cols = np.asarray(cols)
    outs = out_sizes(shape[2:], kernel, stride, dilate, pad)
    padded = tuple(shape[:2]) + tuple(n + lo + hi for n, (lo, hi) in zip(shape[2:], pad))
    out = np.zeros(padded, dtype=cols.dtype)
    lead = (slice(None), slice(None))
    for offsets in itertools.product(*(range(k) for k in kernel)):
        out[_window(offsets, stride, dilate, outs)] += cols[lead + offsets]
    if any(lo or hi for lo, hi in pad):
        out = np.ascontiguousarray(
            out[lead + tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[2:], pad))])
    return out


def _col2im_abstract(cols: Any, *, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads,
                     shape: Ints) -> ShapedArray:
    outs = _check(tuple(shape), kernel, stride, dilate, pad)
    expected = tuple(shape[:2]) + tuple(kernel) + outs
    if tuple(cols.shape) != expected:
        raise ValueError(f"col2im of an input of shape {tuple(shape)} takes windows of shape "
                         f"{expected}, got {tuple(cols.shape)}")
    return ShapedArray(tuple(shape), np.dtype(cols.dtype))


def _col2im_vjp(ct: Any, out: Any, cols: Any, *, kernel: Ints, stride: Ints, dilate: Ints,
                pad: Pads, shape: Ints) -> list:
    return [im2col(ct, kernel=kernel, stride=stride, dilate=dilate, pad=pad, value=0.0)]


_CASES: list[dict] = [
    # 2-d: uneven stride, dilation and padding (more at the end)
    {"shape": (2, 3, 5, 6), "kernel": (2, 3), "stride": (1, 2), "dilate": (2, 1),
     "pad": ((1, 0), (1, 2))},
    # 1-d, overlapping windows
    {"shape": (2, 2, 7), "kernel": (3,), "stride": (2,), "dilate": (1,), "pad": ((1, 1),)},
    # 3-d
    {"shape": (1, 2, 3, 4, 3), "kernel": (2, 2, 2), "stride": (1, 2, 1), "dilate": (1, 1, 2),
     "pad": ((0, 0), (1, 0), (0, 1))},
]


def _im2col_samples() -> list:
    out = []
    for i, c in enumerate(_CASES):
        params = {k: v for k, v in c.items() if k != "shape"}
        # a padding value other than 0 (max pooling pads with the lowest value)
        out.append(((rand(*c["shape"]),), {**params, "value": -1.5 if i == 0 else 0.0}))
    return out


def _col2im_samples() -> list:
    out = []
    for c in _CASES:
        params = {k: v for k, v in c.items() if k != "shape"}
        outs = out_sizes(c["shape"][2:], c["kernel"], c["stride"], c["dilate"], c["pad"])
        cols = rand(*(c["shape"][:2] + c["kernel"] + outs))
        out.append(((cols,), {**params, "shape": c["shape"]}))
    return out


im2col: Primitive = register(Primitive(
    "im2col", "movement", _im2col_impl, _im2col_abstract, _im2col_vjp,
    samples=_im2col_samples,
    doc="Every sliding window of the spatial axes, laid out as (N, C, *kernel, *out)."))

col2im: Primitive = register(Primitive(
    "col2im", "other", _col2im_impl, _col2im_abstract, _col2im_vjp,
    samples=_col2im_samples,
    doc="Add each window entry back where im2col took it from: the adjoint of im2col."))
