"""Sliding windows: the movement primitives that convolution and pooling are built on.

``im2col`` lays out every window of a (padded, strided, dilated) N-d sliding window over the
spatial axes of an ``(N, C, *spatial)`` array, so that a convolution becomes one matrix
product (BLAS) and a pooling a reduction over the window axes (a fused kernel):

    im2col(x)[n, c, *k, *o] = x_padded[n, c, *(o * stride + k * dilate)]

``order`` says how the four groups of axes -- batch ``N``, channel ``C``, kernel offsets
``K``, output positions ``O`` -- are laid out: ``"NCKO"`` (per sample, a (C*K, O) matrix:
the product with a (F, C*K) weight comes out in NCHW order), ``"CKNO"`` (one (C*K, N*O)
matrix for the whole batch: a single large matrix product) or ``"NCOK"`` (the window last,
for pooling's reductions). ``col2im`` is its adjoint (each window entry is added back where
it came from; padding is dropped), so each is the other's VJP and derivatives of any order
follow.

``pad`` is one ``(low, high)`` pair per spatial axis of zeros (high may exceed low: pooling's
'full' convention pads more at the end, a transposed convolution's ``adj`` less).

Pooling has its own primitives, each a few strided NumPy passes (one per kernel offset)
over the output -- measured on LeNet's 2x2 pooling of a (256, 20, 24, 24) batch, 2-3 ms
forward and 12-17 ms backward, against ~45 ms and ~60 ms for ``im2col``/reshape + a fused
reduction, whose loops over a 2-element window axis are mostly index arithmetic:

* ``max_pool`` (padding holds the dtype's lowest value, as MXNet's max pooling starts
  from it); its VJP ``max_pool_grad`` sends each window's gradient to the window's first
  maximum in row-major order (MXNet's rule for ties); ``max_pool_pick`` reads a value at
  each window's first maximum and is ``max_pool_grad``'s adjoint (and vice versa), so
  derivatives of any order follow;
* ``sum_pool`` (zero padding) and its adjoint ``sum_pool_adjoint``; average pooling divides
  the sum in the front end.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..core import Primitive, ShapedArray, register
from ._util import away_from_ties, rand

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


def _groups(x_shape: Ints, kernel: Ints, outs: Ints) -> dict[str, Ints]:
    return {"N": (x_shape[0],), "C": (x_shape[1],), "K": tuple(kernel), "O": tuple(outs)}


def _check_order(order: str) -> None:
    if sorted(order) != ["C", "K", "N", "O"]:
        raise ValueError(f"order must be a permutation of 'NCKO', got {order!r}")


def _laid_out(x_shape: Ints, kernel: Ints, outs: Ints, order: str) -> Ints:
    """The shape of the windows in ``order``."""
    groups = _groups(x_shape, kernel, outs)
    return tuple(n for g in order for n in groups[g])


def _canonical_axes(nd: int, order: str) -> Ints:
    """The axes of an array laid out in ``order`` that give the (N, C, *K, *O) view."""
    sizes = {"N": 1, "C": 1, "K": nd, "O": nd}
    start, pos = {}, 0
    for g in order:
        start[g] = pos
        pos += sizes[g]
    return tuple(start[g] + i for g in "NCKO" for i in range(sizes[g]))


def _window(offsets: Ints, stride: Ints, dilate: Ints, outs: Ints) -> tuple[slice, ...]:
    """The padded-input positions that kernel offset ``offsets`` sees, one per output."""
    return (slice(None), slice(None)) + tuple(
        slice(o * d, o * d + s * (n - 1) + 1, s)
        for o, s, d, n in zip(offsets, stride, dilate, outs))


def _channels_first(order: str) -> bool:
    """Whether the windows keep channels outside the batch (then the copies run on a
    (C, N, *spatial) copy of the input, reading and writing whole per-channel blocks)."""
    return order.index("C") < order.index("N")


def _im2col_impl(x: np.ndarray, *, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads,
                 order: str) -> np.ndarray:
    x = np.asarray(x)
    outs = out_sizes(x.shape[2:], kernel, stride, dilate, pad)
    out = np.empty(_laid_out(x.shape, kernel, outs, order), dtype=x.dtype)
    view = out.transpose(_canonical_axes(len(kernel), order))  # (N, C, *K, *O)
    if _channels_first(order):
        x = x.swapaxes(0, 1)
        view = view.swapaxes(0, 1)
    if any(lo or hi for lo, hi in pad):
        x = np.pad(x, ((0, 0), (0, 0)) + tuple(pad))
    elif _channels_first(order):
        x = np.ascontiguousarray(x)
    lead = (slice(None), slice(None))
    # one strided copy per kernel offset
    for offsets in itertools.product(*(range(k) for k in kernel)):
        view[lead + offsets] = x[_window(offsets, stride, dilate, outs)]
    return out


def _im2col_abstract(x: Any, *, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads,
                     order: str) -> ShapedArray:
    shape = tuple(x.shape)
    outs = _check(shape, kernel, stride, dilate, pad)
    _check_order(order)
    return ShapedArray(_laid_out(shape, kernel, outs, order), np.dtype(x.dtype))


def _im2col_vjp(g: Any, out: Any, x: Any, *, kernel: Ints, stride: Ints, dilate: Ints,
                pad: Pads, order: str) -> list:
    return [col2im(g, kernel=kernel, stride=stride, dilate=dilate, pad=pad,
                   shape=tuple(x.shape), order=order)]


def _col2im_impl(cols: np.ndarray, *, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads,
                 shape: Ints, order: str) -> np.ndarray:
    cols = np.asarray(cols).transpose(_canonical_axes(len(kernel), order))
    outs = out_sizes(shape[2:], kernel, stride, dilate, pad)
    lead_shape = tuple(shape[:2])
    if _channels_first(order):  # accumulate per channel, as the windows are laid out
        cols = cols.swapaxes(0, 1)
        lead_shape = lead_shape[::-1]
    padded = lead_shape + tuple(n + lo + hi for n, (lo, hi) in zip(shape[2:], pad))
    out = np.zeros(padded, dtype=cols.dtype)
    lead = (slice(None), slice(None))
    for offsets in itertools.product(*(range(k) for k in kernel)):
        out[_window(offsets, stride, dilate, outs)] += cols[lead + offsets]
    if any(lo or hi for lo, hi in pad):
        out = out[lead + tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[2:], pad))]
    if _channels_first(order):
        out = out.swapaxes(0, 1)
    return np.ascontiguousarray(out)


def _col2im_abstract(cols: Any, *, kernel: Ints, stride: Ints, dilate: Ints, pad: Pads,
                     shape: Ints, order: str) -> ShapedArray:
    outs = _check(tuple(shape), kernel, stride, dilate, pad)
    _check_order(order)
    expected = _laid_out(tuple(shape), kernel, outs, order)
    if tuple(cols.shape) != expected:
        raise ValueError(f"col2im of an input of shape {tuple(shape)} takes windows of shape "
                         f"{expected}, got {tuple(cols.shape)}")
    return ShapedArray(tuple(shape), np.dtype(cols.dtype))


def _col2im_vjp(ct: Any, out: Any, cols: Any, *, kernel: Ints, stride: Ints, dilate: Ints,
                pad: Pads, shape: Ints, order: str) -> list:
    return [im2col(ct, kernel=kernel, stride=stride, dilate=dilate, pad=pad, order=order)]


_CASES: list[dict] = [
    # 2-d: uneven stride, dilation and padding (more at the end)
    {"shape": (2, 3, 5, 6), "kernel": (2, 3), "stride": (1, 2), "dilate": (2, 1),
     "pad": ((1, 0), (1, 2)), "order": "NCKO"},
    # 1-d, overlapping windows, the whole batch as one matrix
    {"shape": (2, 2, 7), "kernel": (3,), "stride": (2,), "dilate": (1,), "pad": ((1, 1),),
     "order": "CKNO"},
    # 3-d, windows last
    {"shape": (1, 2, 3, 4, 3), "kernel": (2, 2, 2), "stride": (1, 2, 1), "dilate": (1, 1, 2),
     "pad": ((0, 0), (1, 0), (0, 1)), "order": "NCOK"},
]


def _im2col_samples() -> list:
    return [((rand(*c["shape"]),), {k: v for k, v in c.items() if k != "shape"})
            for c in _CASES]


def _col2im_samples() -> list:
    out = []
    for c in _CASES:
        params = {k: v for k, v in c.items() if k != "shape"}
        outs = out_sizes(c["shape"][2:], c["kernel"], c["stride"], c["dilate"], c["pad"])
        cols = rand(*_laid_out(c["shape"], c["kernel"], outs, c["order"]))
        out.append(((cols,), {**params, "shape": c["shape"]}))
    return out


im2col: Primitive = register(Primitive(
    "im2col", "movement", _im2col_impl, _im2col_abstract, _im2col_vjp,
    samples=_im2col_samples,
    doc="Every sliding window of the spatial axes, laid out in `order` (e.g. (N, C, *K, *O))."))

col2im: Primitive = register(Primitive(
    "col2im", "other", _col2im_impl, _col2im_abstract, _col2im_vjp,
    samples=_col2im_samples,
    doc="Add each window entry back where im2col took it from: the adjoint of im2col."))


# -- pooling ----------------------------------------------------------------------------------

def _lowest(dtype: Any) -> Any:
    dt = np.dtype(dtype)
    return np.finfo(dt).min if dt.kind == "f" else np.iinfo(dt).min


def _pool_outs(shape: Ints, kernel: Ints, stride: Ints, pad: Pads) -> Ints:
    return _check(tuple(shape), kernel, stride, (1,) * len(kernel), pad)


def _padded(x: np.ndarray, pad: Pads, value: Any) -> np.ndarray:
    if any(lo or hi for lo, hi in pad):
        return np.pad(x, ((0, 0), (0, 0)) + tuple(pad), constant_values=value)
    return x


def _crop(x: np.ndarray, shape: Ints, pad: Pads) -> np.ndarray:
    if any(lo or hi for lo, hi in pad):
        return np.ascontiguousarray(x[(slice(None), slice(None)) + tuple(
            slice(lo, lo + n) for n, (lo, _) in zip(shape[2:], pad))])
    return x


def _offsets(kernel: Ints) -> Any:
    return itertools.product(*(range(k) for k in kernel))


def _pool_windows(kernel: Ints, stride: Ints, outs: Ints) -> list[tuple[slice, ...]]:
    """The strided view of the padded input at each kernel offset, in row-major order."""
    ones = (1,) * len(kernel)
    return [_window(o, stride, ones, outs) for o in _offsets(kernel)]


def _first_max_hits(xp: np.ndarray, out: np.ndarray, windows: list) -> Any:
    """Per kernel offset, where that offset holds its window's first maximum."""
    taken = np.zeros(out.shape, dtype=bool)
    for w in windows:
        hit = xp[w] == out
        hit &= ~taken
        taken |= hit
        yield w, hit


def _overlap(kernel: Ints, stride: Ints) -> bool:
    return any(s < k for k, s in zip(kernel, stride))


def _tiled(kernel: Ints, stride: Ints) -> bool:
    """Windows that tile the input (stride == kernel): pooling then works on a reshaped
    view, (N, C, O1, k1, O2, k2, ...), instead of one strided pass per kernel offset
    (measured: a LeNet max-pooling gradient in 17 ms instead of 37 ms)."""
    return tuple(stride) == tuple(kernel)


def _tiles(xp: np.ndarray, kernel: Ints, outs: Ints) -> np.ndarray:
    """The tiled part of the padded input as (N, C, O1, k1, O2, k2, ...) (a view when the
    tiles cover it exactly, else a copy)."""
    region = xp[(slice(None), slice(None)) + tuple(slice(0, o * k) for o, k in zip(outs, kernel))]
    return region.reshape(xp.shape[:2] + tuple(v for o, k in zip(outs, kernel) for v in (o, k)))


def _per_tile(y: np.ndarray, nd: int) -> np.ndarray:
    """An (N, C, *O) array shaped to broadcast against the tiles."""
    return y.reshape(y.shape[:2] + tuple(v for o in y.shape[2:2 + nd] for v in (o, 1)))


def _untile(t: np.ndarray, padded: Ints, kernel: Ints, outs: Ints) -> np.ndarray:
    """Tiles back to the padded input's layout; positions no tile covers are zero."""
    covered = tuple(o * k for o, k in zip(outs, kernel))
    flat = t.reshape(t.shape[:2] + covered)
    if flat.shape == tuple(padded):
        return flat
    full = np.zeros(padded, dtype=t.dtype)
    full[(slice(None), slice(None)) + tuple(slice(0, n) for n in covered)] = flat
    return full


def _reduce_tiles(t: np.ndarray, nd: int, ufunc: Any) -> np.ndarray:
    """``ufunc`` over the kernel axes of the tiles, one axis at a time from the last, as a
    chain of whole-array operations on views (NumPy's own reduction over short axes is
    several times slower)."""
    for i in reversed(range(nd)):
        axis = 3 + 2 * i
        parts = [t[(slice(None),) * axis + (j,)] for j in range(t.shape[axis])]
        acc = np.array(parts[0])
        for part in parts[1:]:
            ufunc(acc, part, out=acc)
        t = acc
    return t


def _max_pool_impl(x: np.ndarray, *, kernel: Ints, stride: Ints, pad: Pads) -> np.ndarray:
    x = np.asarray(x)
    outs = out_sizes(x.shape[2:], kernel, stride, (1,) * len(kernel), pad)
    xp = _padded(x, pad, _lowest(x.dtype))
    if _tiled(kernel, stride):
        return _reduce_tiles(_tiles(xp, kernel, outs), len(kernel), np.maximum)
    first, *rest = _pool_windows(kernel, stride, outs)
    out = np.array(xp[first])
    for w in rest:
        np.maximum(out, xp[w], out=out)
    return out


def _max_pool_abstract(x: Any, *, kernel: Ints, stride: Ints, pad: Pads) -> ShapedArray:
    outs = _pool_outs(tuple(x.shape), kernel, stride, pad)
    return ShapedArray(tuple(x.shape[:2]) + outs, np.dtype(x.dtype))


def _max_pool_grad_impl(x: np.ndarray, out: np.ndarray, g: np.ndarray, *, kernel: Ints,
                        stride: Ints, pad: Pads) -> np.ndarray:
    x, out, g = np.asarray(x), np.asarray(out), np.asarray(g)
    xp = _padded(x, pad, _lowest(x.dtype))
    nd, outs = len(kernel), out.shape[2:]
    if _tiled(kernel, stride):
        hit = _tiles(xp, kernel, outs) == _per_tile(out, nd)  # every maximum of each tile
        free = np.ones(out.shape, dtype=bool)  # tiles whose first maximum is still to come
        for offsets in _offsets(kernel):
            h = hit[(slice(None), slice(None)) + tuple(
                v for k in offsets for v in (slice(None), k))]
            np.logical_and(h, free, out=h)
            free ^= h
        dx = _untile(_per_tile(g, nd) * hit, xp.shape, kernel, outs)
        return _crop(dx, x.shape, pad)
    dx = np.zeros(xp.shape, dtype=g.dtype)
    overlap = _overlap(kernel, stride)
    for w, hit in _first_max_hits(xp, out, _pool_windows(kernel, stride, outs)):
        if overlap:
            dx[w] += g * hit
        else:  # each input position is in one window at most
            np.multiply(g, hit, out=dx[w])
    return _crop(dx, x.shape, pad)


def _max_pool_grad_abstract(x: Any, out: Any, g: Any, *, kernel: Ints, stride: Ints,
                            pad: Pads) -> ShapedArray:
    expected = _max_pool_abstract(x, kernel=kernel, stride=stride, pad=pad).shape
    if tuple(out.shape) != expected or tuple(g.shape) != expected:
        raise ValueError(f"max_pool_grad of an input of shape {tuple(x.shape)} takes the "
                         f"pooled output and its gradient, of shape {expected}; got "
                         f"{tuple(out.shape)} and {tuple(g.shape)}")
    return ShapedArray(tuple(x.shape), np.dtype(g.dtype))


def _max_pool_pick_impl(x: np.ndarray, out: np.ndarray, h: np.ndarray, *, kernel: Ints,
                        stride: Ints, pad: Pads) -> np.ndarray:
    x, out, h = np.asarray(x), np.asarray(out), np.asarray(h)
    xp = _padded(x, pad, _lowest(x.dtype))
    hp = _padded(h, pad, 0)
    res = np.zeros(out.shape, dtype=h.dtype)
    for w, hit in _first_max_hits(xp, out, _pool_windows(kernel, stride, out.shape[2:])):
        res += np.where(hit, hp[w], 0)
    return res


def _max_pool_pick_abstract(x: Any, out: Any, h: Any, *, kernel: Ints, stride: Ints,
                            pad: Pads) -> ShapedArray:
    expected = _max_pool_abstract(x, kernel=kernel, stride=stride, pad=pad).shape
    if tuple(out.shape) != expected or tuple(h.shape) != tuple(x.shape):
        raise ValueError(f"max_pool_pick takes an input of shape {tuple(x.shape)}, its pooled "
                         f"output of shape {expected} and values shaped like the input; got "
                         f"{tuple(out.shape)} and {tuple(h.shape)}")
    return ShapedArray(expected, np.dtype(h.dtype))


def _pool_cases() -> list[tuple[Ints, dict]]:
    # tiles (stride == kernel) with a remainder, strided windows with padding, overlapping
    return [((2, 2, 5, 7), {"kernel": (2, 2), "stride": (2, 2), "pad": ((0, 1), (0, 0))}),
            ((1, 2, 5, 4), {"kernel": (2, 1), "stride": (3, 2), "pad": ((1, 0), (0, 0))}),
            ((1, 2, 7), {"kernel": (3,), "stride": (2,), "pad": ((1, 1),)}),
            ((1, 1, 4, 3, 4), {"kernel": (2, 2, 3), "stride": (1, 1, 1),
                               "pad": ((0, 0), (1, 0), (0, 1))})]


def _max_pool_samples() -> list:
    return [((away_from_ties(*shape),), params) for shape, params in _pool_cases()]


def _max_pool_grad_samples() -> list:
    out = []
    for shape, params in _pool_cases():
        x = away_from_ties(*shape)
        y = _max_pool_impl(x, **params)
        out.append(((x, y, rand(*y.shape)), params))
    return out


def _max_pool_pick_samples() -> list:
    out = []
    for shape, params in _pool_cases():
        x = away_from_ties(*shape)
        out.append(((x, _max_pool_impl(x, **params), rand(*shape)), params))
    return out


max_pool: Primitive = register(Primitive(
    "max_pool", "reduce", _max_pool_impl, _max_pool_abstract,
    lambda g, out, x, **p: [max_pool_grad(x, out, g, **p)],
    samples=_max_pool_samples,
    doc="The maximum of each sliding window (padding holds the lowest value)."))

max_pool_grad: Primitive = register(Primitive(
    "max_pool_grad", "other", _max_pool_grad_impl, _max_pool_grad_abstract,
    lambda ct, o, x, out, g, **p: [None, None, max_pool_pick(x, out, ct, **p)],
    nondiff_argnums=(0, 1), samples=_max_pool_grad_samples,
    doc="Each window's gradient at its first maximum (row-major), zero elsewhere."))

max_pool_pick: Primitive = register(Primitive(
    "max_pool_pick", "other", _max_pool_pick_impl, _max_pool_pick_abstract,
    lambda ct, o, x, out, h, **p: [None, None, max_pool_grad(x, out, ct, **p)],
    nondiff_argnums=(0, 1), samples=_max_pool_pick_samples,
    doc="The value of `h` at each window's first maximum: the adjoint of max_pool_grad."))


def _sum_pool_impl(x: np.ndarray, *, kernel: Ints, stride: Ints, pad: Pads) -> np.ndarray:
    x = np.asarray(x)
    outs = out_sizes(x.shape[2:], kernel, stride, (1,) * len(kernel), pad)
    xp = _padded(x, pad, 0)
    if _tiled(kernel, stride):
        return _reduce_tiles(_tiles(xp, kernel, outs), len(kernel), np.add)
    first, *rest = _pool_windows(kernel, stride, outs)
    out = np.array(xp[first])
    for w in rest:
        np.add(out, xp[w], out=out)
    return out


def _sum_pool_adjoint_impl(g: np.ndarray, *, kernel: Ints, stride: Ints, pad: Pads,
                           shape: Ints) -> np.ndarray:
    g = np.asarray(g)
    padded = tuple(shape[:2]) + tuple(n + lo + hi for n, (lo, hi) in zip(shape[2:], pad))
    outs = g.shape[2:]
    if _tiled(kernel, stride):
        tiled = g.shape[:2] + tuple(v for o, k in zip(outs, kernel) for v in (o, k))
        t = np.ascontiguousarray(np.broadcast_to(_per_tile(g, len(kernel)), tiled))
        return _crop(_untile(t, padded, kernel, outs), tuple(shape), pad)
    dx = np.zeros(padded, dtype=g.dtype)
    overlap = _overlap(kernel, stride)
    for w in _pool_windows(kernel, stride, outs):
        if overlap:
            dx[w] += g
        else:
            dx[w] = g
    return _crop(dx, tuple(shape), pad)


def _sum_pool_adjoint_abstract(g: Any, *, kernel: Ints, stride: Ints, pad: Pads,
                               shape: Ints) -> ShapedArray:
    expected = tuple(shape[:2]) + _pool_outs(tuple(shape), kernel, stride, pad)
    if tuple(g.shape) != expected:
        raise ValueError(f"sum_pool_adjoint to shape {tuple(shape)} takes an array of shape "
                         f"{expected}, got {tuple(g.shape)}")
    return ShapedArray(tuple(shape), np.dtype(g.dtype))


def _sum_pool_adjoint_samples() -> list:
    out = []
    for shape, params in _pool_cases():
        outs = _pool_outs(shape, params["kernel"], params["stride"], params["pad"])
        out.append(((rand(*(shape[:2] + outs)),), {**params, "shape": shape}))
    return out


sum_pool: Primitive = register(Primitive(
    "sum_pool", "reduce", _sum_pool_impl, _max_pool_abstract,
    lambda g, out, x, **p: [sum_pool_adjoint(g, shape=tuple(x.shape), **p)],
    samples=lambda: [((rand(*shape),), params) for shape, params in _pool_cases()],
    doc="The sum of each sliding window (zero padding)."))

sum_pool_adjoint: Primitive = register(Primitive(
    "sum_pool_adjoint", "other", _sum_pool_adjoint_impl, _sum_pool_adjoint_abstract,
    lambda ct, out, g, *, shape, **p: [sum_pool(ct, **p)],
    samples=_sum_pool_adjoint_samples,
    doc="Add each window's value to every position of the window: the adjoint of sum_pool."))
