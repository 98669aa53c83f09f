"""The ``nd`` operations, written with compiler primitives.

Composite operations (softmax, norm, tile, pick, ...) are built from primitives here, so their
gradients, fusion and higher-order derivatives come for free. MXNet conventions live here
too: full reductions return shape ``(1,)``, reshape understands 0 and -1, concat joins along
``dim=1`` by default.
"""

from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad._compiler.prims._util import normalize_axes
from tracegrad.ndarray import NDArray, _binary, _unary, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops_reshape import infer_reshape


def _nd(x: Any) -> NDArray:
    """An operand as an NDArray. A NumPy array keeps its dtype (as the operators and jit
    treat it); Python numbers and lists of floats become float32, as ``nd.array`` makes
    them."""
    if isinstance(x, NDArray):
        return x
    if isinstance(x, np.ndarray):
        return NDArray(x)
    if isinstance(x, (int, float)):
        return NDArray(np.asarray(x, dtype=np.float32))
    arr = np.asarray(x)
    return NDArray(arr.astype(np.float32) if arr.dtype == np.float64 else arr)


def check_shape(shape: Any, op: str, allow: tuple[int, ...] = ()) -> tuple[int, ...]:
    """``shape`` as a tuple of ints; a clear error, naming ``op``, the shape and the user's
    line, for anything else (2.5 used to become 2 silently). ``allow`` lists negative codes
    the op understands (reshape's -1, -2, -3)."""
    dims = shape if isinstance(shape, (tuple, list)) or hasattr(shape, "__iter__") else (shape,)
    try:
        dims = tuple(dims)
    except TypeError:
        raise TypeError(f"{op}: the shape must be an int or a tuple of ints, got "
                        f"{shape!r} ({type(shape).__name__}) at {_user_line()}") from None
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: shape {shape!r} has a non-integer dimension {d!r} "
                            f"({type(d).__name__}) at {_user_line()}; dimensions must be ints")
        if d < 0 and int(d) not in allow:
            raise ValueError(f"{op}: shape {shape!r} has a negative dimension {d} at "
                             f"{_user_line()}")
        out.append(int(d))
    return tuple(out)


# -- elementwise ------------------------------------------------------------------------------

def _unary_op(prim: Any, name: str) -> Any:
    def op(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
        if kwargs:
            reject_unknown(f"nd.{name}", kwargs)
        y = _unary(prim, _nd(data))
        return y if out is None else write_out(f"nd.{name}", y, out)

    op.__name__ = name
    op.__doc__ = f"Elementwise {name}.\n\nExamples\n--------\n>>> from tracegrad import nd\n" \
                 f">>> nd.{name}(nd.array([1.0])).shape\n(1,)"
    return op


exp = _unary_op(P.exp, "exp")
log = _unary_op(P.log, "log")
log1p = _unary_op(P.log1p, "log1p")
expm1 = _unary_op(P.expm1, "expm1")
sqrt = _unary_op(P.sqrt, "sqrt")
abs = _unary_op(P.abs, "abs")
sign = _unary_op(P.sign, "sign")
relu = _unary_op(P.relu, "relu")
sigmoid = _unary_op(P.sigmoid, "sigmoid")
tanh = _unary_op(P.tanh, "tanh")
sin = _unary_op(P.sin, "sin")
cos = _unary_op(P.cos, "cos")
floor = _unary_op(P.floor, "floor")
ceil = _unary_op(P.ceil, "ceil")
round = _unary_op(P.round, "round")
negative = _unary_op(P.neg, "negative")


def square(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Elementwise x*x."""
    reject_unknown("nd.square", kwargs)
    x = _nd(data)
    return write_out("nd.square", _binary(P.mul, x, x), out)


def reciprocal(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Elementwise 1/x."""
    reject_unknown("nd.reciprocal", kwargs)
    x = _nd(data)
    one = 1 if np.dtype(x.dtype).kind in "iu" else 1.0  # integers stay integers (MXNet)
    return write_out("nd.reciprocal", apply(P.div, (one, x), {}), out)


def _binary_op(prim: Any, name: str) -> Any:
    def op(lhs: Any, rhs: Any) -> NDArray:
        if not isinstance(lhs, NDArray):
            if isinstance(rhs, NDArray):
                return apply(prim, (lhs, rhs), {})
            lhs = _nd(lhs)
        return _binary(prim, lhs, rhs)

    op.__name__ = name
    op.__doc__ = (f"Elementwise {name} with NumPy broadcasting.\n\n"
                  "Parameters\n----------\nlhs, rhs : NDArray, array-like or scalar\n\n"
                  "Examples\n--------\n>>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.ones((2, 1)), nd.ones(3)).shape\n(2, 3)")
    return op


add = _binary_op(P.add, "add")
subtract = _binary_op(P.sub, "subtract")
multiply = _binary_op(P.mul, "multiply")
divide = _binary_op(P.div, "divide")
power = _binary_op(P.power, "power")
maximum = _binary_op(P.maximum, "maximum")
minimum = _binary_op(P.minimum, "minimum")
modulo = _binary_op(P.mod, "modulo")
equal = _binary_op(P.eq, "equal")
not_equal = _binary_op(P.ne, "not_equal")
greater = _binary_op(P.gt, "greater")
greater_equal = _binary_op(P.ge, "greater_equal")
lesser = _binary_op(P.lt, "lesser")
lesser_equal = _binary_op(P.le, "lesser_equal")


def clip(data: Any, a_min: float, a_max: float) -> NDArray:
    """Limit values to [a_min, a_max] as MXNet: ``a_max`` where x > a_max, else ``a_min``
    where x < a_min, else x (so a_min > a_max gives a_max above it, a_min below); the
    gradient is 1 for a_min < x <= a_max, 0 elsewhere; integer arrays stay integer, with
    the bounds truncated."""
    x = _nd(data)
    cast = int if np.dtype(x.dtype).kind in "iu" else float
    lo, hi = cast(a_min), cast(a_max)
    return apply(P.where, (x > hi, hi, apply(P.where, (x < lo, lo, x), {})), {})


def stop_gradient(data: Any) -> NDArray:
    """The same values; no gradient flows back through the result."""
    return apply(P.stop_gradient, (_nd(data),), {})


BlockGrad = stop_gradient


def cast(data: Any, dtype: Any) -> NDArray:
    return _nd(data).astype(dtype)


# -- reductions -------------------------------------------------------------------------------

def _axes(x: NDArray, axis: Any, exclude: bool = False) -> tuple[int, ...]:
    if isinstance(axis, (tuple, list)) and not axis:
        return tuple(range(x.ndim))  # MXNet: axis=() reduces everything (exclude or not)
    axes = normalize_axes(axis, x.ndim)
    if exclude:
        axes = tuple(i for i in range(x.ndim) if i not in axes)
    return axes


def _full_to_1(y: NDArray) -> NDArray:
    """MXNet returns shape (1,) where NumPy would return a 0-d array."""
    return apply(P.reshape, (y,), {"shape": (1,)}) if y.ndim == 0 else y


def _reducer(prim: Any, name: str) -> Any:
    def op(data: Any, axis: Any = None, keepdims: bool = False, exclude: bool = False,
           out: NDArray | None = None) -> NDArray:
        x = _nd(data)
        if x.size == 0 and prim is not P.reduce_sum:
            raise ValueError(f"{name}() of an empty array of shape {x.shape} has no value")
        y = apply(prim, (x,), {"axes": _axes(x, axis, exclude), "keepdims": bool(keepdims)})
        return write_out(f"nd.{name}", _full_to_1(y), out)  # out=: np.sum(x) passes it

    op.__name__ = name
    op.__doc__ = (f"{name} along ``axis`` (all axes when None). A full reduction has shape "
                  "(1,), as in MXNet.\n\nParameters\n----------\ndata : NDArray\n"
                  "axis : int, tuple of int or None\nkeepdims : bool\nexclude : bool\n"
                  "    Reduce over every axis *except* ``axis``.\n\n"
                  "Examples\n--------\n>>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.ones((2, 3))).shape, nd.{name}(nd.ones((2, 3)), axis=1).shape"
                  "\n((1,), (2,))")
    return op


sum = _reducer(P.reduce_sum, "sum")
max = _reducer(P.reduce_max, "max")
min = _reducer(P.reduce_min, "min")
prod = _reducer(P.reduce_prod, "prod")


def mean(data: Any, axis: Any = None, keepdims: bool = False, exclude: bool = False,
         out: NDArray | None = None, dtype: Any = None) -> NDArray:
    """Mean along ``axis`` (all axes when None); ``dtype`` (for np.mean(x)) casts first."""
    x = _nd(data) if dtype is None else _nd(data).astype(dtype)
    axes = _axes(x, axis, exclude)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if n == 0:
        raise ValueError(f"mean() over an empty axis of shape {x.shape} is undefined")
    return write_out("nd.mean", sum(x, axis=axes, keepdims=keepdims) / float(n), out)


def _arg(prim: Any, name: str) -> Any:
    def op(data: Any, axis: int | None = None, keepdims: bool = False) -> NDArray:
        x = _nd(data)
        if x.size == 0:
            raise ValueError(f"{name}() of an empty array has no value")
        if axis is None:
            x, axis = reshape(x, (-1,)), 0
        y = apply(prim, (x,), {"axis": normalize_axes(axis, x.ndim)[0],
                               "keepdims": bool(keepdims)})
        return _full_to_1(y)

    op.__name__ = name
    op.__doc__ = (f"Index of the {name[3:]}imum along ``axis``, as a float (MXNet).\n\n"
                  "Examples\n--------\n>>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.array([[1, 5, 2]]), axis=1).asnumpy().tolist()\n"
                  f"[{1.0 if name == 'argmax' else 0.0}]")
    return op


argmax = _arg(P.argmax, "argmax")
argmin = _arg(P.argmin, "argmin")


def norm(data: Any, ord: int = 2, axis: Any = None, keepdims: bool = False) -> NDArray:
    """The L2 (``ord=2``) or L1 (``ord=1``) norm over ``axis`` (all axes when None)."""
    x = _nd(data)
    if ord == 2:
        return sqrt(sum(x * x, axis=axis, keepdims=keepdims))
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    raise ValueError(f"norm supports ord=1 and ord=2, got ord={ord}")


def log_softmax(data: Any, axis: int = -1, temperature: float | None = None) -> NDArray:
    """log(softmax(x)) along ``axis``, computed stably (the max is subtracted first)."""
    x = _nd(data)
    if temperature is not None:
        x = x / float(temperature)
    m = stop_gradient(max(x, axis=axis, keepdims=True))
    z = x - m
    return z - log(sum(exp(z), axis=axis, keepdims=True))


def softmax(data: Any, axis: int = -1, temperature: float | None = None, length: Any = None,
            use_length: bool = False, dtype: Any = None) -> NDArray:
    """exp(x) / sum(exp(x)) along ``axis``, computed stably; with ``use_length=True`` over
    the first ``length`` elements only (ops_select.length_softmax).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.softmax(nd.array([[0.0, 0.0]])).asnumpy().tolist()
    [[0.5, 0.5]]
    """
    x = _nd(data)
    if temperature is not None:
        x = x / float(temperature)
    if use_length != (length is not None):
        raise ValueError("softmax: length and use_length=True go together (MXNet raises too)")
    if use_length:
        from tracegrad.ops_select import length_softmax

        y = length_softmax(x, axis, length)
    else:
        e = exp(x - stop_gradient(max(x, axis=axis, keepdims=True)))
        y = e / sum(e, axis=axis, keepdims=True)
    return y if dtype is None else y.astype(dtype)


# -- shape ------------------------------------------------------------------------------------

def reshape(data: Any, shape: Any = None, *args: int, reverse: bool = False,
            out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """A new shape with the same elements; MXNet's codes 0, -1, -2, -3, -4 and ``reverse``
    (:mod:`tracegrad.ops_reshape`).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.arange(6).reshape((2, -1)).shape, nd.ones((2, 3, 4)).reshape((0, -1)).shape
    ((2, 3), (2, 12))
    """
    x = _nd(data)
    if shape is None:
        shape = kwargs.pop("newshape", None)
    reject_unknown("reshape", kwargs)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,) + args
    new = infer_reshape(x.shape, check_shape(shape, "reshape", allow=(-1, -2, -3, -4)), reverse)
    y = apply(P.reshape, (x,), {"shape": new})  # a new array even for the same shape
    return y if out is None else write_out("nd.reshape", y, out)


def transpose(data: Any, axes: Sequence[int] | None = None) -> NDArray:
    x = _nd(data)
    axes = tuple(range(x.ndim))[::-1] if not axes else tuple(a % x.ndim for a in axes)
    return apply(P.transpose, (x,), {"axes": axes})


def swapaxes(data: Any, dim1: int = 0, dim2: int = 0) -> NDArray:
    x = _nd(data)
    axes = list(range(x.ndim))
    axes[dim1], axes[dim2] = axes[dim2], axes[dim1]
    return transpose(x, axes)


def expand_dims(data: Any, axis: int, inplace: bool = False) -> NDArray:
    x = _nd(data)
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(data: Any, axis: Any = None, inplace: bool = False) -> NDArray:
    x = _nd(data)
    axes = [i for i, n in enumerate(x.shape) if n == 1] if axis is None else \
        list(normalize_axes(axis, x.ndim))
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, not 1")
    new = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return reshape(x, new if new else (1,))


def flatten(data: Any, inplace: bool = False) -> NDArray:
    """Collapse all axes but the first: (N, ...) -> (N, prod(...)). (``inplace``, here and
    in expand_dims/squeeze, is MXNet's; arrays never share writes, so it changes nothing.)"""
    x = _nd(data)
    return reshape(x, (x.shape[0], -1) if x.ndim else (1, 1))


def broadcast_to(data: Any, shape: Sequence[int]) -> NDArray:
    """``data`` repeated along its size-1 axes up to ``shape`` (0 in ``shape`` keeps that
    dimension, as in MXNet)."""
    x = _nd(data)
    shape = check_shape(shape, "broadcast_to")
    shape = tuple(o if s == 0 else s for s, o in zip(shape, x.shape)) + tuple(shape[x.ndim:])
    lead = len(shape) - x.ndim
    if lead < 0 or any(n != 1 and n != shape[lead + i] for i, n in enumerate(x.shape)):
        raise ValueError(f"broadcast_to: cannot broadcast an array of shape {x.shape} to "
                         f"{shape} (at {_user_line()}): each dimension must be equal or 1 "
                         "in the source (sizes align from the right)")
    return x if shape == x.shape else apply(P.broadcast_to, (x,), {"shape": tuple(shape)})


def broadcast_like(lhs: Any, rhs: NDArray, lhs_axes: Any = None, rhs_axes: Any = None,
                   **kwargs: Any) -> NDArray:
    """``lhs`` broadcast to the shape of ``rhs`` (on some axes: ops_shape.broadcast_like)."""
    from tracegrad.ops_shape import broadcast_like as axes_like

    return axes_like(lhs, rhs, lhs_axes, rhs_axes, **kwargs)


def concat(*data: Any, dim: int = 1) -> NDArray:
    """Join arrays along ``dim`` (MXNet's default is 1).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.concat(nd.ones((2, 1)), nd.zeros((2, 2))).shape
    (2, 3)
    """
    if not data:
        raise ValueError("concat needs at least one array")
    arrays = [_nd(d) for d in data]
    return apply(P.concatenate, tuple(arrays), {"axis": dim % arrays[0].ndim})


def stack(*data: Any, axis: int = 0) -> NDArray:
    """Join arrays along a new axis."""
    arrays = [_nd(d) for d in data]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack needs arrays of one shape, got {sorted(shapes)}")
    axis = axis % (arrays[0].ndim + 1)
    return concat(*[expand_dims(a, axis) for a in arrays], dim=axis)


def split(data: Any, num_outputs: int, axis: int = 1, squeeze_axis: bool = False) -> Any:
    """Split into ``num_outputs`` equal parts along ``axis``; a list (one array if 1)."""
    x = _nd(data)
    axis %= x.ndim
    n = x.shape[axis]
    if num_outputs <= 0 or n % num_outputs:
        raise ValueError(f"split: axis {axis} of size {n} cannot be split into "
                         f"{num_outputs} equal parts")
    step = n // num_outputs
    outs = []
    for k in range(num_outputs):
        index = tuple((0, m, 1) for m in x.shape[:axis]) + ((k * step, (k + 1) * step, 1),)
        part = apply(P.slice_p, (x,), {"index": index})
        outs.append(squeeze(part, axis) if squeeze_axis and step == 1 else part)
    return outs[0] if num_outputs == 1 else outs


def tile(data: Any, reps: Sequence[int]) -> NDArray:
    """Repeat the whole array ``reps`` times along each axis (broadcast, then reshape)."""
    x = _nd(data)
    reps = check_shape(reps, "tile")
    nd_ = builtins.max(x.ndim, len(reps))
    shape = (1,) * (nd_ - x.ndim) + x.shape
    reps = (1,) * (nd_ - len(reps)) + reps
    inter = tuple(v for s in shape for v in (1, s))
    big = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    y = broadcast_to(reshape(x, inter), big)
    return reshape(y, tuple(r * s for r, s in zip(reps, shape)))


def repeat(data: Any, repeats: int, axis: int | None = None) -> NDArray:
    """Repeat each element ``repeats`` times along ``axis`` (the flattened array if None)."""
    x = _nd(data)
    (repeats,) = check_shape((repeats,), "repeat")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis %= x.ndim
    s = x.shape
    y = broadcast_to(reshape(x, s[:axis + 1] + (1,) + s[axis + 1:]),
                     s[:axis + 1] + (repeats,) + s[axis + 1:])
    return reshape(y, s[:axis] + (s[axis] * repeats,) + s[axis + 1:])


def flip(data: Any, axis: Any) -> NDArray:
    """Reverse the order along ``axis`` (an int or a tuple of them)."""
    x = _nd(data)
    axes = normalize_axes(axis, x.ndim)
    index = tuple((n - 1, -1, -1) if a in axes else (0, n, 1) for a, n in enumerate(x.shape))
    return apply(P.slice_p, (x,), {"index": index})


# -- linear algebra ---------------------------------------------------------------------------

def _matmul(a: NDArray, b: NDArray) -> NDArray:
    return apply(P.matmul, (a, b), {})


def dot(lhs: Any, rhs: Any, transpose_a: bool = False, transpose_b: bool = False) -> NDArray:
    """MXNet's dot: the last axis of ``lhs`` with the first axis of ``rhs``.

    Two vectors give shape (1,), as in MXNet.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.dot(nd.ones((2, 3)), nd.ones((3, 4))).shape, nd.dot(nd.arange(3), nd.arange(3))
    ((2, 4), 
    [5.]
    <NDArray 1 @cpu(0)>)
    """
    a, b = _nd(lhs), _nd(rhs)
    if transpose_a:
        a = transpose(a)
    if transpose_b:
        b = transpose(b)
    if a.shape[-1:] != b.shape[:1]:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} do not align "
                         f"({a.shape[-1:]} != {b.shape[:1]}) at {_user_line()}")
    if a.ndim == 2 and b.ndim == 2:
        return _matmul(a, b)
    out_shape = a.shape[:-1] + b.shape[1:]
    k = b.shape[0]
    y = _matmul(reshape(a, (-1, k)), reshape(b, (k, -1)))
    return reshape(y, out_shape if out_shape else (1,))


def batch_dot(lhs: Any, rhs: Any, transpose_a: bool = False,
              transpose_b: bool = False) -> NDArray:
    """Batched matrix product of (B, M, K) and (B, K, N) arrays."""
    a, b = _nd(lhs), _nd(rhs)
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"batch_dot needs 3-D arrays, got shapes {a.shape} and {b.shape} "
                         f"(at {_user_line()})")
    if transpose_a:
        a = swapaxes(a, 1, 2)
    if transpose_b:
        b = swapaxes(b, 1, 2)
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        flags = "".join(f", {n}=True" for n, t in (("transpose_a", transpose_a),
                                                   ("transpose_b", transpose_b)) if t)
        raise ValueError(f"batch_dot: shapes {_nd(lhs).shape} and {_nd(rhs).shape}{flags} do "
                         f"not align (at {_user_line()}): it multiplies (B, M, K) by (B, K, N); "
                         f"here the batch sizes are {a.shape[0]} and {b.shape[0]} and the "
                         f"inner sizes {a.shape[2]} and {b.shape[1]}")
    return _matmul(a, b)


# -- neural-network helpers -------------------------------------------------------------------

def Dropout(data: Any, p: float = 0.5, **kwargs: Any) -> NDArray:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p), in training
    mode only (``autograd.record()`` or ``train_mode()``); MXNet's mode and axes: see
    ops_nn.Dropout."""
    from tracegrad.ops_nn import Dropout as dropout

    return dropout(data, p, **kwargs)


from tracegrad.ops_select import one_hot, pick, take, where  # noqa: E402,F401  (re-exported)
