"""pow in float32 and float64: a double-double log, an exact product and exp."""

from __future__ import annotations

import numpy as np

from ._llvm import (
    _bits,
    _copysign,
    _div,
    _f64_from_bits,
    _poly,
    _rint,
    _sadd,
    _smul,
    _ssub,
    _vm,
    select,
)
from .elementary import (
    _EXP_F64,
    _EXP_HI_F64,
    _EXP_LO_F64,
    _INF,
    _LN2HI_F64,
    _LN2LO_F64,
    _LOG2E_F64,
    _MIN_NORMAL_F64,
    _NAN,
    _TWO54_F64,
    _exp_core_f64,
    _ldexp_f64,
    _log1p_tail_f64,
    _log_reduce_f64,
)

# --------------------------------------------------------------------------------------------
# pow
# --------------------------------------------------------------------------------------------
# |x|^y = exp(y log|x|). For float64 the product y*log|x| (up to ~745) needs ~64 good bits,
# so log is computed as a double-double and multiplied exactly (Dekker), then fed to exp
# with its low part. float32 pow simply runs that recipe in float64 without the extras.

_SPLIT = 134217729.0  # 2^27 + 1, Veltkamp splitter
_POW_Y_CLAMP = 2.0**65  # |y log|x|| >= 2^12 beyond this (x != 1): over/underflow anyway
_POW_Y_CLAMP_F32 = 2.0**40  # same for float32 inputs (|log x| >= 2^-24)
# log(bp), bp = 1 + j/8: HI is a multiple of 2^-42 so e*LN2HI + HI is exact.
_LOGBP_HI = tuple(float.fromhex(h) for h in (
    "0x0.0p+0", "0x1.e27076e2b0000p-4", "0x1.c8ff7c79aa000p-3", "0x1.4618bc21c6000p-2",
    "0x1.9f323ecbfa000p-2", "0x1.f128f5faf0000p-2", "0x1.1e85f5e704000p-1",
    "0x1.41d8fe8467000p-1"))
_LOGBP_LO = tuple(float.fromhex(h) for h in (
    "0x0.0p+0", "-0x1.a342c2af0003cp-45", "-0x1.7794f689f8434p-45", "-0x1.3d82f484c84ccp-46",
    "-0x1.ed03525ca2643p-44", "0x1.bb2cd720ec44cp-44", "0x1.a07bd8b34be7cp-46",
    "0x1.5732325e617a3p-44"))
# log((1+s)/(1-s)) = 2s + s^3 P(s^2): Taylor coefficients 2/(2n+3); |s| <= 0.031
_LOGS = (2 / 3, 2 / 5, 2 / 7, 2 / 9, 2 / 11, 2 / 13)


@_vm
def _two_sum(a, b):
    """a + b = s + err exactly (Knuth), for any magnitudes."""
    s = _sadd(a, b)
    bb = _ssub(s, a)
    return s, _sadd(_ssub(a, _ssub(s, bb)), _ssub(b, bb))


@_vm
def _split(a):
    c = _smul(_SPLIT, a)
    hi = _ssub(c, _ssub(c, a))
    return hi, _ssub(a, hi)


@_vm
def _two_prod(a, b):
    """a * b = p + err exactly (Dekker; no FMA needed), for |a|, |b| < 2^996."""
    p = _smul(a, b)
    ah, al = _split(a)
    bh, bl = _split(b)
    err = _sadd(_sadd(_ssub(_smul(ah, bh), p), _smul(ah, bl)), _smul(al, bh))
    return p, _sadd(err, _smul(al, bl))


@_vm
def _select8(i, c):
    """c[i] for a runtime i in [0, 8), as a chain of selects (vectorises without gathers)."""
    v = c[0]
    v = select(i == 1, c[1], v)
    v = select(i == 2, c[2], v)
    v = select(i == 3, c[3], v)
    v = select(i == 4, c[4], v)
    v = select(i == 5, c[5], v)
    v = select(i == 6, c[6], v)
    return select(i == 7, c[7], v)


@_vm
def _log_dd(ax):
    """log(ax) = hi + lo to ~2^-68 relative, for positive finite ax."""
    sub = ax < _MIN_NORMAL_F64
    ix = _bits(select(sub, ax * _TWO54_F64, ax))
    e = (ix >> 52) - select(sub, 1023 + 54, 1023)
    m = _f64_from_bits((ix & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)  # [1, 2)
    # nearest bp = 1 + j/8 from the top 4 mantissa bits; m >= 1.9375 moves to m/2 next to 1
    j = (((ix >> 48) & 15) + 1) >> 1
    top = j == 8
    m = select(top, m * 0.5, m)
    e = select(top, e + 1, e)
    j = select(top, 0, j)
    bp = 1.0 + 0.125 * np.float64(j)
    # s = (m - bp)/(m + bp) as s + s_lo; m - bp is exact, m + bp = den + den_lo (Fast2Sum)
    num = _ssub(m, bp)
    den = _sadd(m, bp)
    den_lo = _sadd(_ssub(bp, den), m)
    s = _div(num, den)
    p, p_err = _two_prod(s, den)
    s_lo = _div(_ssub(_ssub(_ssub(num, p), p_err), _smul(s, den_lo)), den)
    z = s * s
    ef = np.float64(e)
    hi, lo = _two_sum(_sadd(ef * _LN2HI_F64, _select8(j, _LOGBP_HI)), s + s)
    # 2(s + s_lo) + D(s + s_lo), D(s) = s^3 P(s^2), D(s + s_lo) ~ D(s) + 2 s^2 s_lo
    tail = _select8(j, _LOGBP_LO) + (ef * _LN2LO_F64 + s * z * _poly(z, _LOGS))
    lo = lo + ((s_lo + s_lo) * (1.0 + z) + tail)
    h = _sadd(hi, lo)
    return h, _sadd(_ssub(hi, h), lo)


@_vm
def _pow_core_f64(ax, y):
    """|x|^y for positive finite ax (other ax give garbage that _pow_fix overrides)."""
    lh, ll = _log_dd(ax)
    yc = select(y > -_POW_Y_CLAMP, y, -_POW_Y_CLAMP)  # also maps NaN to a finite value
    yc = select(yc < _POW_Y_CLAMP, yc, _POW_Y_CLAMP)
    ph, pl = _two_prod(yc, lh)
    pl = pl + yc * ll
    # exp(ph + pl): as _exp_core_f64 with pl folded into the reduced argument
    phc = select(ph > _EXP_LO_F64, ph, _EXP_LO_F64)
    phc = select(phc < _EXP_HI_F64, phc, _EXP_HI_F64)
    pl = select(phc == ph, pl, 0.0)  # a clamped ph has a meaningless (huge) low part
    kf = _rint(phc * _LOG2E_F64)
    rh = _ssub(phc, kf * _LN2HI_F64)
    r, rl = _two_sum(rh, _ssub(pl, kf * _LN2LO_F64))
    p = _sadd(1.0, _sadd(r, rl * (1.0 + r) + r * r * _poly(r, _EXP_F64)))
    return _ldexp_f64(p, np.int32(kf))


@_vm
def _pow_fix(x, y, mag):
    """C99/NumPy special cases of pow around mag = |x|^y from a core valid for finite x != 0."""
    ax = abs(x)
    edge = (ax == 0.0) | (ax == _INF)
    mag = select(edge, select((y < 0.0) == (ax == 0.0), _INF, 0.0), mag)
    y_int = _rint(y) == y  # true for +-inf too, which count as even
    yh = 0.5 * y
    y_odd = y_int & (_rint(yh) != yh)
    r = select(y_odd, _copysign(mag, x), mag)  # (-x)^odd = -(x^odd), incl. -0 and -inf
    r = select((x < 0.0) & (x > -_INF) & (not y_int), _NAN, r)
    r = select((x != x) | (y != y), _NAN, r)
    return select((y == 0.0) | (x == 1.0), 1.0, r)


@_vm
def pow_f64(x: float, y: float) -> float:
    return _pow_fix(x, y, _pow_core_f64(abs(x), y))


@_vm
def pow_f32(x: np.float32, y: np.float32) -> np.float32:
    # In float64 a plain log/exp pair is accurate to ~2^-45 relative over the float32 range,
    # far below float32's 2^-24, and over/underflow happen in the final conversion.
    xd, yd = np.float64(x), np.float64(y)
    ax = abs(xd)
    e, f = _log_reduce_f64(ax)  # float32 values are normal in float64
    lg = _sadd(e * _LN2HI_F64, _ssub(f, _log1p_tail_f64(f) - e * _LN2LO_F64))
    yc = select(yd > -_POW_Y_CLAMP_F32, yd, -_POW_Y_CLAMP_F32)
    yc = select(yc < _POW_Y_CLAMP_F32, yc, _POW_Y_CLAMP_F32)
    p = yc * lg
    p = select(p > _EXP_LO_F64, p, _EXP_LO_F64)
    p = select(p < _EXP_HI_F64, p, _EXP_HI_F64)
    return np.float32(_pow_fix(xd, yd, _exp_core_f64(p)))
