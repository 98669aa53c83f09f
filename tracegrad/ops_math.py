"""Elementwise math MXNet has beyond :mod:`tracegrad.ops`: trigonometric and hyperbolic
functions, logarithms to base 10 and 2, reciprocal roots, rounding toward zero, softmin, the
NaN-ignoring reductions, ``elemwise_*`` and ``add_n``.

tan, the inverse and hyperbolic functions and cbrt are primitives; the rest are composites
(``log10(x) = log(x) / ln 10`` is within 2-3 ulps of the exact value, as MXNet's ``log10f``
is). As in MXNet, integer input keeps its dtype: the function is computed in float64 and
truncated toward zero (``nd.degrees`` of int32 1 is 57).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _unary, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd


def _on_floats(fn: Callable[[NDArray], NDArray], x: NDArray) -> NDArray:
    """``fn(x)``; integer (and bool) input is computed in float64 and cast back, as MXNet
    computes in the input's dtype and truncates."""
    if np.dtype(x.dtype).kind in "fc":
        return fn(x)
    y = fn(x.astype(np.float64))
    # results a rounding error below an integer (log2(8) = 2.9999999999999996 as
    # log(8) / ln 2) are that integer, so truncation gives MXNet's 3, not 2
    near = ops.round(y)
    y = ops.where(ops.abs(y - near) <= ops.abs(near) * 1e-12, near, y)
    return y.astype(x.dtype)


def _math_op(name: str, fn: Callable[[NDArray], NDArray], doc: str) -> Any:
    def op(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
        reject_unknown(f"nd.{name}", kwargs)
        return write_out(f"nd.{name}", _on_floats(fn, _nd(data)), out)

    op.__name__ = op.__qualname__ = name
    value = 1.5 if name == "arccosh" else 0.5  # inside the domain
    op.__doc__ = (f"{doc}\n\nExamples\n--------\n>>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.array([{value}])).shape\n(1,)")
    return op


def _prim(prim: Any) -> Callable[[NDArray], NDArray]:
    return lambda x: _unary(prim, x)


def _scaled_log(base: float) -> Callable[[NDArray], NDArray]:
    def fn(x: NDArray) -> NDArray:
        return _unary(P.log, x) * float(np.dtype(x.dtype).type(1.0 / np.log(base)))
    return fn


def _degrees(x: NDArray) -> NDArray:
    t = np.dtype(x.dtype).type
    return x * float(t(180.0) / t(np.pi))  # MXNet's constant, rounded in the input's dtype


def _radians(x: NDArray) -> NDArray:
    return x * float(np.dtype(x.dtype).type(np.pi / 180.0))


def _rsqrt(x: NDArray) -> NDArray:
    return apply(P.div, (1.0, _unary(P.sqrt, x)), {})


def _rcbrt(x: NDArray) -> NDArray:
    return apply(P.div, (1.0, _unary(P.cbrt, x)), {})


def _trunc(x: NDArray) -> NDArray:
    if np.dtype(x.dtype).kind != "f":
        return x.astype(x.dtype)
    return ops.where(x >= 0.0, _unary(P.floor, x), _unary(P.ceil, x))


def _rint(x: NDArray) -> NDArray:
    # MXNet's rint takes the floor at a tie (-2.5 -> -3, 2.5 -> 2), unlike NumPy's rint
    # (to even) and MXNet's own round (away from zero).
    if np.dtype(x.dtype).kind != "f":
        return x.astype(x.dtype)
    lo, hi = _unary(P.floor, x), _unary(P.ceil, x)
    return ops.where(x - lo <= hi - x, lo, hi)


tan = _math_op("tan", _prim(P.tan), "Elementwise tangent.")
arcsin = _math_op("arcsin", _prim(P.arcsin), "Elementwise inverse sine, in [-pi/2, pi/2].")
arccos = _math_op("arccos", _prim(P.arccos), "Elementwise inverse cosine, in [0, pi].")
arctan = _math_op("arctan", _prim(P.arctan), "Elementwise inverse tangent.")
sinh = _math_op("sinh", _prim(P.sinh), "Elementwise hyperbolic sine.")
cosh = _math_op("cosh", _prim(P.cosh), "Elementwise hyperbolic cosine.")
arcsinh = _math_op("arcsinh", _prim(P.arcsinh), "Elementwise inverse hyperbolic sine.")
arccosh = _math_op("arccosh", _prim(P.arccosh), "Elementwise inverse hyperbolic cosine.")
arctanh = _math_op("arctanh", _prim(P.arctanh), "Elementwise inverse hyperbolic tangent.")
cbrt = _math_op("cbrt", _prim(P.cbrt), "Elementwise cube root.")
rcbrt = _math_op("rcbrt", _rcbrt, "Elementwise 1 / cbrt(x).")
rsqrt = _math_op("rsqrt", _rsqrt, "Elementwise 1 / sqrt(x).")
log10 = _math_op("log10", _scaled_log(10.0), "Elementwise base-10 logarithm.")
log2 = _math_op("log2", _scaled_log(2.0), "Elementwise base-2 logarithm.")
degrees = _math_op("degrees", _degrees, "Radians to degrees.")
radians = _math_op("radians", _radians, "Degrees to radians.")
trunc = _math_op("trunc", _trunc, "Round toward zero (gradient 0).")
fix = _math_op("fix", _trunc, "Round toward zero, as trunc (gradient 0).")
rint = _math_op("rint", _rint, "Round to the nearest integer; a tie goes to the floor, as in "
                               "MXNet (-2.5 -> -3, 2.5 -> 2).")


def softmin(data: Any, axis: int = -1, temperature: float | None = None, dtype: Any = None,
            use_length: bool = False, out: NDArray | None = None, name: str | None = None,
            **kwargs: Any) -> NDArray:
    """softmax(-x) along ``axis``: the smallest value gets the largest weight.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.softmin(nd.array([[0.0, 0.0]])).asnumpy().tolist()
    [[0.5, 0.5]]
    """
    reject_unknown("nd.softmin", kwargs)
    if use_length:
        raise ValueError("nd.softmin: use_length=True needs a length input, which tracegrad "
                         "does not support; mask the input instead")
    y = ops.softmax(-_nd(data), axis=axis, temperature=temperature)
    if dtype is not None:
        y = y.astype(dtype, copy=False)
    return write_out("nd.softmin", y, out)


def _nan_reducer(name: str, neutral: float, reduce: Callable) -> Any:
    def op(data: Any, axis: Any = None, keepdims: bool = False, exclude: bool = False,
           out: NDArray | None = None, **kwargs: Any) -> NDArray:
        reject_unknown(f"nd.{name}", kwargs)
        x = _nd(data)
        if np.dtype(x.dtype).kind == "f":
            x = ops.where(x != x, neutral, x)  # NaN is the only value unequal to itself
        y = reduce(x, axis=axis, keepdims=keepdims, exclude=exclude)
        return write_out(f"nd.{name}", y, out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"{reduce.__name__} along ``axis`` treating NaN as {neutral:g}; the gradient "
                  "at a NaN is 0.\n\nExamples\n--------\n>>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.array([2.0, float('nan')])).asnumpy().tolist()\n"
                  "[2.0]")
    return op


nansum = _nan_reducer("nansum", 0.0, ops.sum)
nanprod = _nan_reducer("nanprod", 1.0, ops.prod)


def _same_arrays(op: str, arrays: tuple) -> None:
    for i, a in enumerate(arrays):
        if not isinstance(a, NDArray):
            raise TypeError(f"{op}: argument {i} must be an NDArray, got {type(a).__name__} "
                            f"(at {_user_line()})")
    first = arrays[0]
    for a in arrays[1:]:
        if a.shape != first.shape:
            raise ValueError(f"{op}: shapes {[x.shape for x in arrays]} differ (at "
                             f"{_user_line()}); {op} does not broadcast (use nd.broadcast_* "
                             "or the operators)")
        if np.dtype(a.dtype) != np.dtype(first.dtype):
            raise TypeError(f"{op}: dtypes {[np.dtype(x.dtype).name for x in arrays]} differ "
                            f"(at {_user_line()})")


def _elemwise(name: str, prim: Any) -> Any:
    def op(lhs: Any, rhs: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
        reject_unknown(f"nd.{name}", kwargs)
        _same_arrays(f"nd.{name}", (lhs, rhs))
        return write_out(f"nd.{name}", apply(prim, (lhs, rhs), {}), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"Elementwise {name[8:]} of two NDArrays of the same shape and dtype (no "
                  "broadcasting, as in MXNet).\n\nExamples\n--------\n"
                  ">>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.ones((2, 2)), nd.ones((2, 2))).shape\n(2, 2)")
    return op


elemwise_add = _elemwise("elemwise_add", P.add)
elemwise_sub = _elemwise("elemwise_sub", P.sub)
elemwise_mul = _elemwise("elemwise_mul", P.mul)
elemwise_div = _elemwise("elemwise_div", P.div)


def add_n(*args: Any, out: NDArray | None = None, num_args: int | None = None,
          name: str | None = None, **kwargs: Any) -> NDArray:
    """The sum of one or more NDArrays of the same shape and dtype.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.add_n(nd.ones(2), nd.ones(2), nd.ones(2)).asnumpy().tolist()
    [3.0, 3.0]
    """
    reject_unknown("nd.add_n", kwargs)
    if not args:
        raise ValueError("nd.add_n needs at least one array (num_args must be >= 1)")
    if num_args is not None and num_args != len(args):
        raise ValueError(f"nd.add_n: num_args={num_args} but {len(args)} arrays were given")
    _same_arrays("nd.add_n", args)
    total = args[0].astype(args[0].dtype) if len(args) == 1 else args[0] + args[1]
    for a in args[2:]:
        total = total + a
    return write_out("nd.add_n", total, out)


ElementWiseSum = add_n

__all__ = ["tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
           "arctanh", "cbrt", "rcbrt", "rsqrt", "log10", "log2", "degrees", "radians", "trunc",
           "fix", "rint", "softmin", "nansum", "nanprod", "elemwise_add", "elemwise_sub",
           "elemwise_mul", "elemwise_div", "add_n", "ElementWiseSum"]
