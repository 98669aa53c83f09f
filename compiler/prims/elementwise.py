"""Elementwise primitives: NumPy broadcasting, one output element per input element.

Each declaration carries its NumPy implementation and its VJP (written with primitives only,
and never undoing broadcasting itself: ``core.vjp_of`` does that once for all of them). How a
backend computes one in a fused loop is the backend's business (for numba-CPU, the scalar
templates in ``backends/numba_cpu/lowering.py``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core import Primitive, ShapedArray, register
from ._util import (
    away_from_ties,
    broadcast_abstract,
    positive,
    rand,
    result_dtype,
    same_abstract,
)


def _unary(name: str, impl: Callable, vjp: Callable | None, sample: Callable = rand,
           doc: str = "") -> Primitive:
    return register(Primitive(
        name, "elementwise", impl, same_abstract, vjp,
        samples=lambda: [((sample(3, 4),), {})], doc=doc))


def _binary(name: str, impl: Callable, vjp: Callable | None,
            samples: Callable | None = None, doc: str = "") -> Primitive:
    if samples is None:
        def samples() -> list:
            return [((rand(3, 4), rand(3, 4)), {}), ((rand(3, 1), rand(4)), {}),
                    ((rand(2, 3), 1.5), {})]
    return register(Primitive(name, "elementwise", impl, broadcast_abstract, vjp,
                              samples=samples, doc=doc))


def _zero(*_: Any, **__: Any) -> list:
    return [None, None, None]


# -- unary ------------------------------------------------------------------------------------

neg = _unary("neg", np.negative, lambda g, out, x: [-g])
exp: Primitive = _unary("exp", np.exp, lambda g, out, x: [g * out])
log = _unary("log", np.log, lambda g, out, x: [g / x], positive)
log1p = _unary("log1p", np.log1p, lambda g, out, x: [g / (x + 1.0)], positive)
# d/dx expm1(x) = exp(x): ``out + 1`` would round to 0 for x <= -17 in float32.
expm1 = _unary("expm1", np.expm1, lambda g, out, x: [g * exp(x)])
sqrt = _unary("sqrt", np.sqrt, lambda g, out, x: [g * 0.5 / out], positive)
tanh = _unary("tanh", np.tanh, lambda g, out, x: [g * (1.0 - out * out)])
sin = _unary("sin", np.sin, lambda g, out, x: [g * cos(x)])
cos: Primitive = _unary("cos", np.cos, lambda g, out, x: [-(g * sin(x))])
abs = _unary("abs", np.abs, lambda g, out, x: [g * sign(x)], away_from_ties)
def _sign_impl(x: np.ndarray) -> np.ndarray:
    # MXNet's sign(NaN) is 0 (NumPy's is NaN)
    x = np.asarray(x)
    out = np.sign(x)
    return np.where(x == x, out, 0).astype(out.dtype, copy=False) if x.dtype.kind in "fc" \
        else out


sign: Primitive = _unary("sign", _sign_impl, _zero, away_from_ties)
floor = _unary("floor", np.floor, _zero, away_from_ties)
ceil = _unary("ceil", np.ceil, _zero, away_from_ties)
def _round_impl(x: np.ndarray) -> np.ndarray:
    # MXNet rounds halves away from zero (2.5 -> 3); np.round/np.rint round them to even.
    t = np.trunc(x)
    return np.where(np.abs(x - t) == 0.5, t + np.sign(x), np.rint(x)).astype(x.dtype, copy=False)


round = _unary("round", _round_impl, _zero, away_from_ties)


def _sigmoid_impl(x: np.ndarray) -> np.ndarray:
    # e = exp(-|x|) never overflows; 1/(1+e) for x >= 0 and e/(1+e) for x < 0 keep tiny
    # results in full precision (the tanh form, 0.5*tanh(x/2)+0.5, rounds everything below
    # 3e-8 to 0 in float32, so log(sigmoid(x)) became -inf). The compiled kernels (vmath's
    # sigmoid) use the same formula.
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0, e) / (1.0 + e)
    return out.astype(x.dtype, copy=False)


def _sigmoid_vjp(g: Any, out: Any, x: Any) -> list:
    # sigmoid' = sigmoid(x) * sigmoid(-x); out * (1 - out) would round to 0 once out rounds
    # to 1 (x > 17 in float32) while the true derivative is still e^-x.
    return [g * out * sigmoid(-x)]


sigmoid: Primitive = _unary("sigmoid", _sigmoid_impl, _sigmoid_vjp)


def _relu_impl(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0).astype(x.dtype, copy=False)


# MXNet's relu has gradient 0 at x == 0 (and -inf) and NaN at NaN.
relu = _unary("relu", _relu_impl,
              lambda g, out, x: [where(x > 0, g, where(ne(x, x), x, 0.0))], away_from_ties)


def _stop_impl(x: np.ndarray) -> np.ndarray:
    return x


stop_gradient = register(Primitive(
    "stop_gradient", "elementwise", _stop_impl, same_abstract, lambda g, out, x: [None],
    samples=lambda: [((rand(3),), {})],
    doc="Identity whose gradient is zero (nd.stop_gradient, detach)."))


def _cast_impl(x: np.ndarray, *, dtype: str) -> np.ndarray:
    return np.asarray(x).astype(dtype)


def _cast_abstract(x: Any, *, dtype: str) -> ShapedArray:
    return ShapedArray(tuple(x.shape), np.dtype(dtype))


cast: Primitive = register(Primitive(
    "cast", "elementwise", _cast_impl, _cast_abstract,
    lambda g, out, x, *, dtype: [cast(g, dtype=np.dtype(x.dtype).name)],
    samples=lambda: [((rand(3, 2),), {"dtype": "float64"})],
    doc="Convert to another dtype (astype)."))


# -- binary -----------------------------------------------------------------------------------

add = _binary("add", np.add, lambda g, out, x, y: [g, g])
sub = _binary("sub", np.subtract, lambda g, out, x, y: [g, -g])
mul = _binary("mul", np.multiply, lambda g, out, x, y: [g * y, g * x])
def _int_operand(v: Any) -> bool:
    return np.asarray(v).dtype.kind in "iu" and not isinstance(v, bool)


def _div_impl(x: Any, y: Any) -> Any:
    """x / y; of two integer operands (a Python int takes the array's dtype), MXNet's integer
    division in their dtype, truncated toward zero (-7 / 2 is -3); by zero it gives 0."""
    if not (_int_operand(x) and _int_operand(y)):
        return np.divide(x, y)
    dtype = result_dtype(x, y)
    a, b = np.asarray(x, dtype=dtype), np.asarray(y, dtype=dtype)
    with np.errstate(divide="ignore"):
        q = np.floor_divide(a, b)
        q = q + ((a - q * b != 0) & ((a < 0) != (b < 0))).astype(dtype)
    return np.where(b == 0, 0, q).astype(dtype, copy=False)


div = _binary("div", _div_impl, lambda g, out, x, y: [g / y, -(g * out / y)],
              lambda: [((rand(3, 4), positive(3, 4)), {}), ((rand(3, 1), positive(4)), {}),
                       ((1.5, positive(2, 3)), {})])


def _pow_vjp(g: Any, out: Any, x: Any, y: Any) -> list:
    # y * x**(y-1) even for y == 0, as MXNet: NaN at x == 0 (0 * inf), -0 at x == -inf
    gx = g * y * (x ** (y - 1.0))
    # d/dy x**y = x**y log x, defined for x > 0; elsewhere the gradient is set to 0, not NaN.
    gy = g * out * log(where(x > 0, x, 1.0)) if not isinstance(y, (int, float)) else None
    return [gx, gy]


power = _binary("pow", np.power, _pow_vjp,
                lambda: [((positive(3, 4), rand(3, 4)), {}), ((positive(3, 1), 3.0), {}),
                         ((positive(2, 3), 0.5), {})])


def _max_vjp(g: Any, out: Any, x: Any, y: Any) -> list:
    # Ties send the gradient to the first argument, as MXNet's maximum does.
    pick_x = x >= y
    return [where(pick_x, g, 0.0), where(pick_x, 0.0, g)]


def _min_vjp(g: Any, out: Any, x: Any, y: Any) -> list:
    pick_x = x <= y
    return [where(pick_x, g, 0.0), where(pick_x, 0.0, g)]


def _tie_free() -> list:
    return [((away_from_ties(3, 4), away_from_ties(3, 4) * -0.9 + 0.013), {}),
            ((away_from_ties(2, 3), 0.05), {})]


maximum = _binary("maximum", np.maximum, _max_vjp, _tie_free)
minimum = _binary("minimum", np.minimum, _min_vjp, _tie_free)
def _mod_impl(a: Any, b: Any) -> np.ndarray:
    """MXNet's mod: the sign of the divisor like NumPy, but 0 (not NaN) for a zero divisor,
    and +0 (not -0) for a zero result of operands of different signs."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(np.fmod(a, b))  # Python scalars stay weak: float32 % 2.0 is float32
        fix = (a < 0) != (b < 0)
        out = np.where(fix, r + np.where(r != 0, b, 0).astype(r.dtype, copy=False), r)
        return np.where(b == 0, 0, out).astype(r.dtype, copy=False)


mod = _binary("mod", _mod_impl, lambda g, out, x, y: [g, -(g * floor(x / y))],
              # x/y stays 0.4 away from an integer, where floor (so mod) jumps.
              lambda: [(((np.arange(12.0).reshape(3, 4) - 6.4) * 0.7, np.full((3, 4), 0.7)),
                        {})])


def _compare(name: str, ufunc: np.ufunc) -> Primitive:
    # MXNet comparisons return 0/1 in the inputs' dtype, not booleans.
    def impl(x: Any, y: Any) -> np.ndarray:
        return ufunc(x, y).astype(result_dtype(x, y))

    return _binary(name, impl, lambda g, out, x, y: [None, None], _tie_free)


eq = _compare("eq", np.equal)
ne: Primitive = _compare("ne", np.not_equal)
lt = _compare("lt", np.less)
le = _compare("le", np.less_equal)
gt = _compare("gt", np.greater)
ge = _compare("ge", np.greater_equal)


# -- ternary ----------------------------------------------------------------------------------

def _where_impl(c: Any, x: Any, y: Any) -> np.ndarray:
    out = np.where(c, x, y)
    return out.astype(result_dtype(x, y), copy=False)


def _where_abstract(c: Any, x: Any, y: Any) -> ShapedArray:
    shapes = [tuple(a.shape) for a in (c, x, y) if hasattr(a, "shape")]
    return ShapedArray(np.broadcast_shapes(*shapes), result_dtype(x, y))


where: Primitive = register(Primitive(
    "where", "elementwise", _where_impl, _where_abstract,
    lambda g, out, c, x, y: [None, where(c, g, 0.0), where(c, 0.0, g)],
    nondiff_argnums=(0,),
    samples=lambda: [((np.array([[1.0, 0.0, 1.0]]), rand(2, 3), rand(2, 1)), {}),
                     ((np.array([0.0, 1.0]), rand(2), 0.0), {})],
    doc="Elementwise choice: x where the condition is nonzero, else y."))


# -- trigonometric and hyperbolic functions, cube root (MXNet's tan, arcsin, ..., cbrt) -------
# Their VJPs are written with primitives (so higher orders come for free); log10, log2,
# rsqrt, rcbrt, degrees and radians are composites in the front end instead.

def _within(low: float, high: float) -> Callable:
    return lambda *shape: rand(*shape, low=low, high=high)


tan = _unary("tan", np.tan, lambda g, out, x: [g * (out * out + 1.0)], _within(-1.2, 1.2))
arcsin = _unary("arcsin", np.arcsin, lambda g, out, x: [g / sqrt(1.0 - x * x)],
                _within(-0.9, 0.9))
arccos = _unary("arccos", np.arccos, lambda g, out, x: [-(g / sqrt(1.0 - x * x))],
                _within(-0.9, 0.9))
arctan = _unary("arctan", np.arctan, lambda g, out, x: [g / (x * x + 1.0)])
sinh: Primitive = _unary("sinh", np.sinh, lambda g, out, x: [g * cosh(x)])
cosh: Primitive = _unary("cosh", np.cosh, lambda g, out, x: [g * sinh(x)])
arcsinh = _unary("arcsinh", np.arcsinh, lambda g, out, x: [g / sqrt(x * x + 1.0)])
arccosh = _unary("arccosh", np.arccosh, lambda g, out, x: [g / sqrt(x * x - 1.0)],
                 _within(1.2, 3.0))
arctanh = _unary("arctanh", np.arctanh, lambda g, out, x: [g / (1.0 - x * x)],
                 _within(-0.9, 0.9))
# d/dx cbrt(x) = 1 / (3 cbrt(x)^2); infinite at 0, as in MXNet. Samples stay away from 0.
cbrt = _unary("cbrt", np.cbrt, lambda g, out, x: [g / (out * out * 3.0)], away_from_ties)
