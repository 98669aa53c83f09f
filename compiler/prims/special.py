"""Special functions: erf, its inverse, the gamma function, its logarithm and the polygamma
functions (digamma and its derivatives; the VJPs of the others need them).

NumPy has none of them, so each implementation is written here, vectorised, in float64 (and
the result rounded to the input's dtype):

* erf: ``x + x P(x^2)`` below 0.84375, ``1 - exp(-a^2) P((a-2)/(a+2))`` above — the same
  formula as vmath's ``erf_f64``, so the fused and the unfused result agree to an ulp
  (within 1.5 ulp of the exact value);
* erfinv: a closed-form first guess (relative error < 2e-3) refined by three Halley steps on
  erf, or on erfc = 1 - x (exact in float64) for |x| > 0.5, where erf loses the digits;
* gamma and gammaln: ``math.gamma``/``math.lgamma`` per element (poles give inf for gammaln,
  nan for gamma but at 0, +-inf, as C's ``tgamma``);
* polygamma: the recurrence ``psi_n(x) = psi_n(x+1) - (-1)^n n!/x^(n+1)`` up to x >= 12 + n,
  then the asymptotic series; digamma (n = 0) reflects x < 0.5 first.

Only erf has a scalar template (vmath's); the others run unfused.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..core import Primitive, ShapedArray, register
from ._util import positive, rand, same_abstract
from .elementwise import exp

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0

# erf(x) = x + x P(x^2), |x| < 0.84375
_ERF_SMALL = (0.12837916709551256, -0.37612638903183376, 0.1128379167093413,
              -0.0268661706405694, 0.005223977574470516, -0.0008548323691806539,
              0.00012055196788729899, -1.4922059636045722e-05, 1.6400894013488274e-06,
              -1.5709621410294232e-07, 1.0713038161101006e-08)
# erfc(a) = exp(-a^2) P(t), t = (a-2)/(a+2), 0.84375 <= a <= 6 (erf rounds to 1 beyond 5.93)
_ERFC_TAIL = (0.2553956763105058, -0.4271858474139581, 0.24165819424243246,
              -0.07897858101586036, 0.003732892407721764, 0.00699746175002794,
              -0.000847143379000642, -0.0009819773866233301, 4.355797510605256e-05,
              0.00017436703355363066, 2.750143776163579e-05, -2.7630880715854197e-05,
              -1.3831078250755009e-05, 1.6298581762091966e-06, 3.372839405091131e-06,
              6.413128041586462e-07)


def _horner(z: np.ndarray, coeffs: tuple) -> np.ndarray:
    acc = np.full_like(z, coeffs[-1])
    for c in coeffs[-2::-1]:
        acc = acc * z + c
    return acc


def _as_float64(x: Any) -> tuple[np.ndarray, np.dtype]:
    x = np.asarray(x)
    return x.astype(np.float64), x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)


def _erfc_big(a: np.ndarray) -> np.ndarray:
    """erfc(a) for 0.84375 <= a (clamped at 6, where it is below 2e-17), relative accuracy."""
    ac = np.minimum(a, 6.0)
    return np.exp(-ac * ac) * _horner((ac - 2.0) / (ac + 2.0), _ERFC_TAIL)


def _erf64(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    with np.errstate(invalid="ignore"):
        small = a + a * _horner(a * a, _ERF_SMALL)
        y = np.where(a < 0.84375, small, 1.0 - _erfc_big(a))
    return np.where(x != x, x, np.copysign(y, x))


def _erfc64(a: np.ndarray) -> np.ndarray:
    """erfc(a) for a >= 0 (1 - erf loses nothing below 0.84375, where erfc > 0.23)."""
    return np.where(a < 0.84375, 1.0 - (a + a * _horner(a * a, _ERF_SMALL)), _erfc_big(a))


def _erf_impl(x: Any) -> np.ndarray:
    x64, dtype = _as_float64(x)
    return _erf64(x64).astype(dtype, copy=False)


def _erfinv64(a: np.ndarray) -> np.ndarray:
    """erfinv(a) for 0 <= a < 1."""
    c = 1.0 - a  # exact for a >= 0.5
    # first guess (Winitzki): the closed-form inverse of an erf approximation
    log_w = np.log(c * (1.0 + a))
    t = 2.0 / (math.pi * 0.147) + 0.5 * log_w
    y = np.sqrt(np.sqrt(t * t - log_w / 0.147) - t)
    tail = a > 0.5
    for _ in range(2):  # Halley on f(y) = erf(y) - a = c - erfc(y): error 2e-3 -> 1e-8 -> 0
        f = np.empty_like(y)
        f[tail] = c[tail] - _erfc64(y[tail])
        f[~tail] = _erf64(y[~tail]) - a[~tail]
        u = f / (_TWO_OVER_SQRT_PI * np.exp(-y * y))
        y = y - u / (1.0 + y * u)
    return y


def _erfinv_impl(x: Any) -> np.ndarray:
    x64, dtype = _as_float64(x)
    a = np.abs(x64)
    inside = a < 1.0
    with np.errstate(invalid="ignore"):
        out = np.where(a == 1.0, np.inf, np.nan)
    out[inside] = _erfinv64(a[inside])
    out = np.where(x64 != x64, x64, np.copysign(out, x64))
    return out.astype(dtype, copy=False)


def _per_element(fn: Callable[[float], float]) -> Callable[[Any], np.ndarray]:
    vec = np.vectorize(fn, otypes=[np.float64])

    def impl(x: Any) -> np.ndarray:
        x64, dtype = _as_float64(x)
        with np.errstate(over="ignore"):
            return (vec(x64) if x64.size else x64).astype(dtype, copy=False)

    return impl


def _lgamma(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # a pole: 0, -1, -2, ...
        return math.inf


def _gamma(v: float) -> float:
    try:
        return math.gamma(v)
    except ValueError:  # 0 (signed infinity), a negative integer or -inf (nan)
        return math.copysign(math.inf, v) if v == 0 else math.nan
    except OverflowError:
        return math.inf


# Bernoulli numbers B_2, B_4, ..., B_16 of the asymptotic series
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_MAX_SHIFT = 100_000  # recurrence steps; n >= 1 at x < -1e5 gives nan


def _polygamma64(x: np.ndarray, n: int) -> np.ndarray:
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)^(n+1)
    fact = float(math.factorial(n))
    result = np.zeros_like(x)
    z = x.copy()
    if n == 0:  # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
        low = z < 0.5
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.where(low, -math.pi / np.tan(math.pi * np.where(low, z, 0.25)), 0.0)
        z = np.where(low, 1.0 - z, z)
    start = 12.0 + n
    steps = np.where(z < start, np.ceil(start - z), 0.0)
    steps = np.where(steps > _MAX_SHIFT, np.nan, steps)
    most = np.where(np.isnan(steps), 0.0, steps).max(initial=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(int(most)):
            active = j < steps
            zj = np.where(active, z + j, 1.0)
            result = result + np.where(active, sign * fact / zj ** (n + 1), 0.0)
        z = np.where(np.isnan(steps), np.nan, z + np.nan_to_num(steps))
        inv = 1.0 / z
        inv2 = inv * inv
        if n == 0:
            series = np.log(z) - 0.5 * inv
            power = np.ones_like(z)
            for k, b in enumerate(_BERNOULLI, 1):
                power = power * inv2
                series = series - b / (2 * k) * power
        else:
            series = math.factorial(n - 1) * inv ** n + fact * 0.5 * inv ** (n + 1)
            power = inv ** n
            for k, b in enumerate(_BERNOULLI, 1):
                power = power * inv2
                series = series + b * math.factorial(2 * k + n - 1) / \
                    math.factorial(2 * k) * power
            series = sign * series
    return result + series


def _polygamma_impl(x: Any, *, n: int) -> np.ndarray:
    x64, dtype = _as_float64(x)
    return _polygamma64(x64, int(n)).astype(dtype, copy=False)


def _polygamma_abstract(x: Any, *, n: int) -> ShapedArray:
    if int(n) < 0:
        raise ValueError(f"polygamma: the order n must be >= 0, got {n}")
    return same_abstract(x)


def _unary(name: str, impl: Callable, vjp: Callable, sample: Callable, doc: str) -> Primitive:
    return register(Primitive(name, "elementwise", impl, same_abstract, vjp,
                              samples=lambda: [((sample(3, 4),), {})], doc=doc))


def _between(low: float, high: float) -> Callable:
    return lambda *shape: rand(*shape, low=low, high=high)


def _gamma_sample(*shape: int) -> np.ndarray:
    """Positive values and, in the last row, negative ones between the poles."""
    x = positive(*shape)
    x[-1] = rand(shape[-1], low=-0.8, high=-0.2)
    return x


polygamma: Primitive = register(Primitive(
    "polygamma", "elementwise", _polygamma_impl, _polygamma_abstract,
    lambda g, out, x, *, n: [g * polygamma(x, n=n + 1)],
    samples=lambda: [((_gamma_sample(3, 4),), {"n": 0}), ((positive(2, 3),), {"n": 2})],
    doc="The n-th derivative of digamma (n = 0: digamma, d/dx log gamma(x))."))
erf = _unary("erf", _erf_impl,
             lambda g, out, x: [g * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)], rand,
             "The Gauss error function.")
erfinv = _unary("erfinv", _erfinv_impl,
                lambda g, out, x: [g * (exp(out * out) * _SQRT_PI_OVER_TWO)],
                _between(-0.9, 0.9), "The inverse of erf, on (-1, 1).")
gammaln = _unary("gammaln", _per_element(_lgamma),
                 lambda g, out, x: [g * polygamma(x, n=0)], _gamma_sample,
                 "log |gamma(x)|; inf at the poles.")
gamma = _unary("gamma", _per_element(_gamma),
               lambda g, out, x: [g * out * polygamma(x, n=0)], _gamma_sample,
               "The gamma function (C's tgamma).")
