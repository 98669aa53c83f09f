"""MXNet's ``broadcast_*`` binary operators, the logical operators, ``true_divide`` and
``broadcast_hypot``.

``broadcast_add`` ... ``broadcast_lesser_equal`` are the operators of :mod:`tracegrad.ops`
(NumPy broadcasting, the same gradients) under MXNet's names; like MXNet's they take two
arrays, not Python numbers. The logical operators return 0/1 in the input's dtype and have a
zero gradient, as MXNet's do; NaN counts as true (it is nonzero). ``broadcast_hypot`` is a
composite, scaled by the larger magnitude so that it neither overflows nor underflows where
the result does not (``hypot(1e20, 1e20)`` is 1.41e20 in float32, as in MXNet).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracegrad import ops
from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd


def _array(op: str, side: str, x: Any) -> NDArray:
    if isinstance(x, NDArray):
        return x
    if isinstance(x, np.ndarray):
        return NDArray(x)
    raise TypeError(f"{op}: {side} must be an NDArray, got {type(x).__name__} (at "
                    f"{_user_line()}); the operators (+, *, ...) take Python numbers")


def _nonzero(x: Any) -> Any:
    """0/1 (in x's dtype) where x is zero/nonzero; a Python number gives the int 0 or 1."""
    if isinstance(x, (bool, int, float, np.generic)):
        return int(x != 0)
    return apply(P.ne, (x, 0), {})


def _hypot(a: NDArray, b: NDArray) -> NDArray:
    """sqrt(a^2 + b^2), scaled by m = max(|a|, |b|): m * sqrt((a/m)^2 + (b/m)^2). The
    derivative with respect to m is zero, so the gradient is a/hypot and b/hypot whichever
    argument is larger."""
    kinds = [np.dtype(x.dtype).kind for x in (a, b)]
    if "f" not in kinds:  # integers: computed in float64 and truncated, as MXNet does
        dtype = np.result_type(a.dtype, b.dtype)
        return _hypot(a.astype(np.float64), b.astype(np.float64)).astype(dtype)
    aa, ab = ops.abs(a), ops.abs(b)
    m = ops.maximum(aa, ab)
    scale = ops.stop_gradient(ops.where(m > 0.0, m, 1.0))
    u, v = a / scale, b / scale
    r = ops.sqrt(u * u + v * v) * scale
    inf = float("inf")
    return ops.where(aa == inf, aa, ops.where(ab == inf, ab, r))  # hypot(inf, nan) is inf


def _broadcast(name: str, fn: Callable[[NDArray, NDArray], NDArray], what: str) -> Any:
    def op(lhs: Any = None, rhs: Any = None, out: NDArray | None = None,
           **kwargs: Any) -> NDArray:
        reject_unknown(f"nd.{name}", kwargs)
        a, b = _array(f"nd.{name}", "lhs", lhs), _array(f"nd.{name}", "rhs", rhs)
        return write_out(f"nd.{name}", fn(a, b), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"{what} of two arrays with NumPy broadcasting (MXNet's ``{name}``).\n\n"
                  "Examples\n--------\n>>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.ones((2, 1)), nd.ones((1, 3))).shape\n(2, 3)")
    return op


def _prim(prim: Any) -> Callable[[NDArray, NDArray], NDArray]:
    return lambda a, b: apply(prim, (a, b), {})


def _logical_and(a: Any, b: Any) -> Any:
    return _nonzero(a) * _nonzero(b)


def _logical_or(a: Any, b: Any) -> Any:
    return _nonzero(_nonzero(a) + _nonzero(b))


def _logical_xor(a: Any, b: Any) -> Any:
    return _nonzero(_nonzero(a) - _nonzero(b))


broadcast_add = _broadcast("broadcast_add", _prim(P.add), "Sum")
broadcast_plus = _broadcast("broadcast_plus", _prim(P.add), "Sum")
broadcast_sub = _broadcast("broadcast_sub", _prim(P.sub), "Difference")
broadcast_minus = _broadcast("broadcast_minus", _prim(P.sub), "Difference")
broadcast_mul = _broadcast("broadcast_mul", _prim(P.mul), "Product")
broadcast_div = _broadcast("broadcast_div", _prim(P.div), "Quotient")
broadcast_mod = _broadcast("broadcast_mod", _prim(P.mod), "Remainder (sign of the divisor)")
broadcast_power = _broadcast("broadcast_power", _prim(P.power), "Power")
broadcast_maximum = _broadcast("broadcast_maximum", _prim(P.maximum), "Maximum")
broadcast_minimum = _broadcast("broadcast_minimum", _prim(P.minimum), "Minimum")
broadcast_hypot = _broadcast("broadcast_hypot", _hypot, "sqrt(lhs^2 + rhs^2)")
broadcast_equal = _broadcast("broadcast_equal", _prim(P.eq), "1 where equal, else 0,")
broadcast_not_equal = _broadcast("broadcast_not_equal", _prim(P.ne),
                                 "1 where not equal, else 0,")
broadcast_greater = _broadcast("broadcast_greater", _prim(P.gt), "1 where lhs > rhs, else 0,")
broadcast_greater_equal = _broadcast("broadcast_greater_equal", _prim(P.ge),
                                     "1 where lhs >= rhs, else 0,")
broadcast_lesser = _broadcast("broadcast_lesser", _prim(P.lt), "1 where lhs < rhs, else 0,")
broadcast_lesser_equal = _broadcast("broadcast_lesser_equal", _prim(P.le),
                                    "1 where lhs <= rhs, else 0,")
broadcast_logical_and = _broadcast("broadcast_logical_and", _logical_and,
                                   "1 where both are nonzero, else 0,")
broadcast_logical_or = _broadcast("broadcast_logical_or", _logical_or,
                                  "1 where either is nonzero, else 0,")
broadcast_logical_xor = _broadcast("broadcast_logical_xor", _logical_xor,
                                   "1 where exactly one is nonzero, else 0,")


def _logical(name: str, fn: Callable[[Any, Any], Any], what: str) -> Any:
    def op(lhs: Any, rhs: Any) -> NDArray:
        if not isinstance(lhs, (NDArray, np.ndarray)) and \
                not isinstance(rhs, (NDArray, np.ndarray)):
            raise TypeError(f"nd.{name}: at least one argument must be an NDArray (at "
                            f"{_user_line()})")
        a = _nd(lhs) if isinstance(lhs, np.ndarray) else lhs
        b = _nd(rhs) if isinstance(rhs, np.ndarray) else rhs
        return fn(a, b)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"1 where {what}, else 0, in the array's dtype; NumPy broadcasting, a Python "
                  "number on either side. The gradient is zero.\n\nExamples\n--------\n"
                  ">>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.array([0, 1, 2]), 1).asnumpy().tolist()\n"
                  f"{[float(fn(v, 1)) for v in (0, 1, 2)]}")
    return op


logical_and = _logical("logical_and", _logical_and, "both are nonzero")
logical_or = _logical("logical_or", _logical_or, "either is nonzero")
logical_xor = _logical("logical_xor", _logical_xor, "exactly one is nonzero")


def logical_not(data: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """1 where ``data`` is zero, else 0, in its dtype (NaN counts as nonzero); zero gradient.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.logical_not(nd.array([0, 2])).asnumpy().tolist()
    [1.0, 0.0]
    """
    reject_unknown("nd.logical_not", kwargs)
    return write_out("nd.logical_not", apply(P.eq, (_nd(data), 0), {}), out)


true_divide = ops.divide

__all__ = ["broadcast_add", "broadcast_plus", "broadcast_sub", "broadcast_minus",
           "broadcast_mul", "broadcast_div", "broadcast_mod", "broadcast_power",
           "broadcast_maximum", "broadcast_minimum", "broadcast_hypot", "broadcast_equal",
           "broadcast_not_equal", "broadcast_greater", "broadcast_greater_equal",
           "broadcast_lesser", "broadcast_lesser_equal", "broadcast_logical_and",
           "broadcast_logical_or", "broadcast_logical_xor", "logical_and", "logical_or",
           "logical_xor", "logical_not", "true_divide"]
