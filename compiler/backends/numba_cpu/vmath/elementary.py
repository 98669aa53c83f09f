"""exp, expm1, log, log1p, tanh, sigmoid and erf in float32 and float64: range reduction,
minimax polynomials and special-value selects, all vectorisable (see docs/vmath.md)."""

from __future__ import annotations

import numpy as np

from ._llvm import (
    _bits,
    _copysign,
    _div,
    _f32_from_bits,
    _f64_from_bits,
    _poly,
    _rint,
    _sadd,
    _smul,
    _ssub,
    _vm,
    select,
)

# --------------------------------------------------------------------------------------------
# Constants. Polynomial coefficients are minimax fits made with a Remez exchange in 80-bit
# long double (float32 sets refitted after rounding each coefficient); see docs/vmath.md.
# --------------------------------------------------------------------------------------------

_F = np.float32
_ZERO_F32, _HALF_F32, _ONE_F32, _TWO_F32 = _F(0.0), _F(0.5), _F(1.0), _F(2.0)
_INF_F32, _NAN_F32 = _F(np.inf), _F(np.nan)
_INF, _NAN = np.inf, np.nan

# ln2 = HI + LO with HI's low 9 (f32) / 21 (f64) mantissa bits zero, so k * HI is exact for
# every k we produce (|k| <= 150 / 1080).
_LN2HI_F32, _LN2LO_F32 = _F(0.693145751953125), _F(1.4286068e-06)
_LN2HI_F64 = float.fromhex("0x1.62e42fee00000p-1")
_LN2LO_F64 = float.fromhex("0x1.a39ef35793c76p-33")
_LOG2E_F32, _LOG2E_F64 = _F(1.442695), 1.4426950408889634

# exp: below LO the result rounds to +0, above HI to +inf; clamping keeps 2^k constructible.
_EXP_LO_F32, _EXP_HI_F32 = _F(-104.0), _F(89.0)
_EXP_LO_F64, _EXP_HI_F64 = -746.0, 710.0
_EXPM1_LO_F32, _EXPM1_LO_F64 = _F(-27.0), -40.0  # expm1 rounds to -1 well above these
_TINY_F32, _TINY_F64 = _F(2.0**-25), 2.0**-54  # log1p(x), expm1(x) round to x below these

_MIN_NORMAL_F32, _MIN_NORMAL_F64 = _F(2.0**-126), 2.0**-1022
_TWO25_F32, _TWO54_F64 = _F(2.0**25), 2.0**54
_SQRTH_BITS_F32 = np.int32(0x3F3504F3)  # bits of sqrt(1/2)
_SQRTH_BITS_F64 = np.int64(0x3FE6A09E667F3BCD)

# exp(r) = 1 + r + r^2 P(r), |r| <= ln2/2
_EXP_F32 = (_F(0.49999994), _F(0.16666517), _F(0.041668102), _F(0.0083691655), _F(0.0013838003))
_EXP_F64 = (0.500000000000001, 0.1666666666666667, 0.041666666666521336, 0.008333333333324873,
            0.0013888888948021753, 0.00019841269881297314, 2.4801487095707216e-05,
            2.7557246489533553e-06, 2.763274365649732e-07, 2.510892723450818e-08)
# expm1(r) = r + r^2/2 + r^3 P(r), |r| <= ln2/2
_EXPM1_F32 = (_F(0.16666636), _F(0.04166651), _F(0.00834151), _F(0.0013930543),
              _F(0.00015046223))
_EXPM1_F64 = (0.16666666666666674, 0.04166666666666673, 0.008333333333321964,
              0.0013888888888843205, 0.00019841269887542023, 2.480158741790184e-05,
              2.7557241185928936e-06, 2.7557188455462386e-07, 2.5110492077976413e-08,
              2.09423026425388e-09)
# log(1+f) = 2s + s z P(z), s = f/(2+f), z = s^2 <= 0.0295
_LOG_F32 = (_F(0.66666776), _F(0.3997758), _F(0.2987093))
_LOG_F64 = (0.6666666666666711, 0.39999999999514807, 0.2857142873014576, 0.22222199025838146,
            0.1818357375446798, 0.15313136801414431, 0.14810518272003353)
# tanh(x) = x + x^3 P(x^2), |x| <= 1 (f32) / 0.55 (f64)
_TANH_SMALL_F32, _TANH_SMALL = _F(1.0), 0.55
_TANH_F32 = (_F(-0.33333328), _F(0.133332), _F(-0.0539531), _F(0.021784738), _F(-0.0085951295),
             _F(0.0030786132), _F(-0.00084114954), _F(0.00012147398))
_TANH_F64 = (-0.33333333333333315, 0.13333333333328665, -0.05396825396463185,
             0.021869488403597998, -0.008863232795796509, 0.003592093185753683,
             -0.0014555459199524152, 0.0005884419392113361, -0.00023334213872939387,
             8.321944569964894e-05, -1.9413249032649467e-05)
_TANH_CLAMP_F32, _TANH_CLAMP_F64 = _F(10.0), 20.0  # tanh rounds to 1 well before these
# erf(x) = x + x P(x^2), |x| <= 0.84375
_ERF_SMALL = 0.84375
_ERF_F32 = (_F(0.12837917), _F(-0.37612593), _F(0.11282912), _F(-0.026809536), _F(0.0050618816),
            _F(-0.0006374964))
_ERF_F64 = (0.12837916709551256, -0.37612638903183376, 0.1128379167093413, -0.0268661706405694,
            0.005223977574470516, -0.0008548323691806539, 0.00012055196788729899,
            -1.4922059636045722e-05, 1.6400894013488274e-06, -1.5709621410294232e-07,
            1.0713038161101006e-08)
# erfc(a) = exp(-a^2) P(t), t = (a-2)/(a+2), 0.84375 <= a <= 4 (f32) / 6 (f64); the Moebius
# variable tames erfc(a) exp(a^2) (~1/(a sqrt(pi))) so one polynomial covers the whole tail.
_ERF_CLAMP_F32, _ERF_CLAMP_F64 = _F(4.0), 6.0  # erf rounds to 1 beyond 3.92 / 5.93
_ERFC_F32 = (_F(0.25539568), _F(-0.42718604), _F(0.24165279), _F(-0.079019144), _F(0.0036334079),
             _F(0.0071088145))
_ERFC_F64 = (0.2553956763105058, -0.4271858474139581, 0.24165819424243246, -0.07897858101586036,
             0.003732892407721764, 0.00699746175002794, -0.000847143379000642,
             -0.0009819773866233301, 4.355797510605256e-05, 0.00017436703355363066,
             2.750143776163579e-05, -2.7630880715854197e-05, -1.3831078250755009e-05,
             1.6298581762091966e-06, 3.372839405091131e-06, 6.413128041586462e-07)


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------

@_vm
def _ldexp_f32(p, k):
    """p * 2^k for |k| <= 252 in two exact steps, so neither power of two over/underflows and
    a subnormal result is rounded only once."""
    h = k >> 1
    s1 = _f32_from_bits((h + 127) << 23)
    s2 = _f32_from_bits((k - h + 127) << 23)
    return _smul(_smul(p, s1), s2)


@_vm
def _ldexp_f64(p, k):
    h = k >> 1
    s1 = _f64_from_bits((np.int64(h) + 1023) << 52)
    s2 = _f64_from_bits((np.int64(k - h) + 1023) << 52)
    return _smul(_smul(p, s1), s2)


@_vm
def _reduce_ln2_f32(x):
    """x = k ln2 + r + rl, |r| <= ln2/2 (Cody-Waite; rl is the rounding error of r)."""
    kf = _rint(x * _LOG2E_F32)
    rh = _ssub(x, kf * _LN2HI_F32)  # exact
    kl = kf * _LN2LO_F32
    r = _ssub(rh, kl)
    return kf, r, _ssub(_ssub(rh, r), kl)


@_vm
def _reduce_ln2_f64(x):
    kf = _rint(x * _LOG2E_F64)
    rh = _ssub(x, kf * _LN2HI_F64)
    kl = kf * _LN2LO_F64
    r = _ssub(rh, kl)
    return kf, r, _ssub(_ssub(rh, r), kl)


@_vm
def _exp_core_f32(x):
    """exp(x) for finite x in [_EXP_LO_F32, _EXP_HI_F32] (callers clamp).
    exp(r + rl) = 1 + r + r^2 P(r) + rl (1 + r) to first order in rl."""
    kf, r, rl = _reduce_ln2_f32(x)
    p = _sadd(_ONE_F32, _sadd(r, rl * (_ONE_F32 + r) + r * r * _poly(r, _EXP_F32)))
    return _ldexp_f32(p, np.int32(kf))


@_vm
def _exp_core_f64(x):
    kf, r, rl = _reduce_ln2_f64(x)
    p = _sadd(1.0, _sadd(r, rl * (1.0 + r) + r * r * _poly(r, _EXP_F64)))
    return _ldexp_f64(p, np.int32(kf))


@_vm
def _exp_hilo_f32(x):
    """exp(x) = (hi + lo) 2^k with |lo| <= ulp(hi)/2, for callers that divide by exp (the
    rounding of a plain exp would otherwise add up to ~1 ulp to their result). The scaling
    is left to the caller, which may know that one multiplication by 2^k suffices."""
    kf, r, rl = _reduce_ln2_f32(x)
    t = rl * (_ONE_F32 + r) + r * r * _poly(r, _EXP_F32)
    q = _sadd(r, t)
    q_lo = _sadd(_ssub(r, q), t)  # Fast2Sum: |t| < |r| unless both are tiny
    hi = _sadd(_ONE_F32, q)
    lo = _sadd(_ssub(_ONE_F32, hi), q) + q_lo  # Fast2Sum: |q| < 1
    return hi, lo, np.int32(kf)


@_vm
def _exp_hilo_f64(x):
    kf, r, rl = _reduce_ln2_f64(x)
    t = rl * (1.0 + r) + r * r * _poly(r, _EXP_F64)
    q = _sadd(r, t)
    q_lo = _sadd(_ssub(r, q), t)
    hi = _sadd(1.0, q)
    lo = _sadd(_ssub(1.0, hi), q) + q_lo
    return hi, lo, np.int32(kf)


@_vm
def _log_reduce_f32(x):
    """For positive normal x: x = 2^e (1 + f) with 1 + f in [sqrt(1/2), sqrt(2))."""
    ix = np.int32(_bits(x) - _SQRTH_BITS_F32)
    m = _f32_from_bits((ix & 0x7FFFFF) + _SQRTH_BITS_F32)
    return _F(ix >> 23), m - _ONE_F32  # m - 1 is exact (Sterbenz)


@_vm
def _log_reduce_f64(x):
    ix = _bits(x) - _SQRTH_BITS_F64
    m = _f64_from_bits((ix & 0xFFFFFFFFFFFFF) + _SQRTH_BITS_F64)
    return np.float64(np.int32(ix >> 52)), m - 1.0


@_vm
def _log1p_tail_f32(f):
    """t with log(1+f) = f - t for |f| <= sqrt(2)-1. Keeping f separate lets callers add the
    exact f last, so the result is rounded once at the end (fdlibm's arrangement)."""
    s = _div(f, _TWO_F32 + f)
    z = s * s
    hfsq = _HALF_F32 * f * f
    return hfsq - s * (hfsq + z * _poly(z, _LOG_F32))


@_vm
def _log1p_tail_f64(f):
    s = _div(f, 2.0 + f)
    z = s * s
    hfsq = 0.5 * f * f
    return hfsq - s * (hfsq + z * _poly(z, _LOG_F64))


# --------------------------------------------------------------------------------------------
# exp, expm1
# --------------------------------------------------------------------------------------------

@_vm
def exp_f32(x: np.float32) -> np.float32:
    # Clamping also maps NaN to a finite value (a NaN -> int cast would be poison in LLVM);
    # the last select restores it. Overflow/underflow fall out of the 2^k scaling.
    xc = select(x > _EXP_LO_F32, x, _EXP_LO_F32)
    xc = select(xc < _EXP_HI_F32, xc, _EXP_HI_F32)
    y = _exp_core_f32(xc)
    return select(x == x, y, x)


@_vm
def exp_f64(x: float) -> float:
    xc = select(x > _EXP_LO_F64, x, _EXP_LO_F64)
    xc = select(xc < _EXP_HI_F64, xc, _EXP_HI_F64)
    y = _exp_core_f64(xc)
    return select(x == x, y, x)


@_vm
def expm1_f32(x: np.float32) -> np.float32:
    xc = select(x > _EXPM1_LO_F32, x, _EXPM1_LO_F32)
    xc = select(xc < _EXP_HI_F32, xc, _EXP_HI_F32)
    kf, r, rl = _reduce_ln2_f32(xc)
    k = np.int32(kf)
    # expm1(x) = 2^k (t + expm1(r)), t = 1 - 2^-k. t (for k > 24) and t + r are formed
    # with their exact rounding errors (Fast2Sum: |t| >= |r| unless t = 0), so the only
    # rounding left is the final add: no cancellation against 1. exp(r + rl) - 1 adds
    # rl * e^r ~ rl * (1 + r).
    m = _f32_from_bits((127 - np.int32(select(kf < _F(64.0), kf, _F(64.0)))) << 23)  # 2^-k
    t = _ssub(_ONE_F32, m)
    t_err = _ssub(_ssub(_ONE_F32, t), m)
    s = _sadd(t, r)
    s_err = _sadd(_ssub(t, s), r)
    q = (s_err + t_err) + rl * (_ONE_F32 + r) + r * r * (_HALF_F32 + r * _poly(r, _EXPM1_F32))
    y = _ldexp_f32(_sadd(s, q), k)
    y = select(abs(x) < _TINY_F32, x, y)  # keeps -0 and subnormals exact
    return select(x == x, y, x)


@_vm
def expm1_f64(x: float) -> float:
    xc = select(x > _EXPM1_LO_F64, x, _EXPM1_LO_F64)
    xc = select(xc < _EXP_HI_F64, xc, _EXP_HI_F64)
    kf, r, rl = _reduce_ln2_f64(xc)
    k = np.int32(kf)
    m = _f64_from_bits((1023 - np.int64(select(kf < 512.0, kf, 512.0))) << 52)
    t = _ssub(1.0, m)
    t_err = _ssub(_ssub(1.0, t), m)
    s = _sadd(t, r)
    s_err = _sadd(_ssub(t, s), r)
    q = (s_err + t_err) + rl * (1.0 + r) + r * r * (0.5 + r * _poly(r, _EXPM1_F64))
    y = _ldexp_f64(_sadd(s, q), k)
    y = select(abs(x) < _TINY_F64, x, y)
    return select(x == x, y, x)


# --------------------------------------------------------------------------------------------
# log, log1p
# --------------------------------------------------------------------------------------------

@_vm
def log_f32(x: np.float32) -> np.float32:
    sub = x < _MIN_NORMAL_F32  # scale subnormals up so the exponent field is meaningful
    e, f = _log_reduce_f32(select(sub, x * _TWO25_F32, x))
    e = select(sub, e - _F(25.0), e)
    # log = e*HI + (f - (t - e*LO)): e*HI is exact and f exact, so adding them last,
    # unreassociated, leaves a single final rounding.
    y = _sadd(e * _LN2HI_F32, _ssub(f, _log1p_tail_f32(f) - e * _LN2LO_F32))
    y = select(x < _INF_F32, y, x)  # +inf, NaN
    return select(x > _ZERO_F32, y, select(x == _ZERO_F32, -_INF_F32, _NAN_F32))


@_vm
def log_f64(x: float) -> float:
    sub = x < _MIN_NORMAL_F64
    e, f = _log_reduce_f64(select(sub, x * _TWO54_F64, x))
    e = select(sub, e - 54.0, e)
    y = _sadd(e * _LN2HI_F64, _ssub(f, _log1p_tail_f64(f) - e * _LN2LO_F64))
    y = select(x < _INF, y, x)
    return select(x > 0.0, y, select(x == 0.0, -_INF, _NAN))


@_vm
def log1p_f32(x: np.float32) -> np.float32:
    # log1p(x) = log(u) + c/u, u = fl(1 + x), c = (1 + x) - u exactly (Fast2Sum from the
    # larger operand). When u's exponent is 0, 1 + x is in [sqrt(1/2), sqrt(2)) and the
    # reduced argument is x itself, which avoids the cancellation between f and c.
    u = _sadd(_ONE_F32, x)
    c = select(x < _ONE_F32, _ssub(x, _ssub(u, _ONE_F32)), _ssub(_ONE_F32, _ssub(u, x)))
    e, f = _log_reduce_f32(u)  # u >= 2^-24 or u <= 0: never subnormal
    direct = e == _ZERO_F32
    f = select(direct, x, f)
    c = select(direct, _ZERO_F32, _div(c, u))
    y = _sadd(e * _LN2HI_F32, _ssub(f, _log1p_tail_f32(f) - (e * _LN2LO_F32 + c)))
    y = select(abs(x) < _TINY_F32, x, y)  # keeps -0 and subnormals exact
    y = select(u < _INF_F32, y, u)
    return select(u > _ZERO_F32, y, select(u == _ZERO_F32, -_INF_F32, _NAN_F32))


@_vm
def log1p_f64(x: float) -> float:
    u = _sadd(1.0, x)
    c = select(x < 1.0, _ssub(x, _ssub(u, 1.0)), _ssub(1.0, _ssub(u, x)))
    e, f = _log_reduce_f64(u)
    direct = e == 0.0
    f = select(direct, x, f)
    c = select(direct, 0.0, _div(c, u))
    y = _sadd(e * _LN2HI_F64, _ssub(f, _log1p_tail_f64(f) - (e * _LN2LO_F64 + c)))
    y = select(abs(x) < _TINY_F64, x, y)
    y = select(u < _INF, y, u)
    return select(u > 0.0, y, select(u == 0.0, -_INF, _NAN))


# --------------------------------------------------------------------------------------------
# tanh, sigmoid
# --------------------------------------------------------------------------------------------

@_vm
def tanh_f32(x: np.float32) -> np.float32:
    # |x| >= 1: 1 - q, q = 2/(e + 1), e = exp(2|x|) from the plain exp core (no hi/lo split:
    # q <= 0.24, so its ~1.5 ulp error is < 0.4 ulp of the result). Below 1 an odd polynomial
    # of degree 17. Max error 0.96 ulp (exhaustive), 30% faster than a hi/lo exp with the
    # branch at 0.55 (0.78 ulp; both branches are computed in a vector loop).
    a = abs(x)
    a2 = a * a
    small = a + a * a2 * _poly(a2, _TANH_F32)
    ac = select(a < _TANH_CLAMP_F32, a, _TANH_CLAMP_F32)  # also maps NaN to a finite value
    kf, r, rl = _reduce_ln2_f32(ac + ac)
    p = _sadd(_ONE_F32, _sadd(r, rl + r * r * _poly(r, _EXP_F32)))
    e = p * _f32_from_bits((np.int32(kf) + 127) << 23)  # 0 <= k <= 29: one exact scaling
    big = _ONE_F32 - _div(_TWO_F32, e + _ONE_F32)
    y = _copysign(select(a < _TANH_SMALL_F32, small, big), x)
    return select(x == x, y, x)


@_vm
def tanh_f64(x: float) -> float:
    a = abs(x)
    a2 = a * a
    small = a + a * a2 * _poly(a2, _TANH_F64)
    ac = select(a < _TANH_CLAMP_F64, a, _TANH_CLAMP_F64)
    hi, lo, k = _exp_hilo_f64(ac + ac)
    scale = _f64_from_bits((np.int64(k) + 1023) << 52)
    e_hi, e_lo = hi * scale, lo * scale
    d = _sadd(e_hi, 1.0)
    d_err = _sadd(_ssub(e_hi, d), 1.0) + e_lo
    q = _div(2.0, d)
    h = _ssub(1.0, q)
    big = _sadd(h, _ssub(_ssub(1.0, h), q) + 0.5 * q * q * d_err)
    y = _copysign(select(a < _TANH_SMALL, small, big), x)
    return select(x == x, y, x)


@_vm
def sigmoid_f32(x: np.float32) -> np.float32:
    # e = exp(-|x|) never overflows; x >= 0: 1/(1 + e), x < 0: e/(1 + e), so tiny results
    # keep full precision. q = num/d is corrected for the low parts of num and d = 1 + e:
    # (num + num_lo)/(d + d_err) ~ q + (num_lo - q d_err)/d, with 1/d = q (x >= 0) or
    # 1 - q (x < 0) -- accurate enough for a correction term.
    a = abs(x)
    ac = select(a < -_EXP_LO_F32, a, -_EXP_LO_F32)  # also maps NaN to a finite value
    hi, lo, k = _exp_hilo_f32(-ac)
    e_hi, e_lo = _ldexp_f32(hi, k), _ldexp_f32(lo, k)
    d = _sadd(_ONE_F32, e_hi)
    d_err = _sadd(_ssub(_ONE_F32, d), e_hi) + e_lo
    pos = x >= _ZERO_F32
    q = _div(select(pos, _ONE_F32, e_hi), d)
    num_lo = select(pos, _ZERO_F32, e_lo)
    y = q + (num_lo - q * d_err) * select(pos, q, _ONE_F32 - q)
    return select(x == x, y, x)


@_vm
def sigmoid_f64(x: float) -> float:
    a = abs(x)
    ac = select(a < -_EXP_LO_F64, a, -_EXP_LO_F64)
    hi, lo, k = _exp_hilo_f64(-ac)
    e_hi, e_lo = _ldexp_f64(hi, k), _ldexp_f64(lo, k)
    d = _sadd(1.0, e_hi)
    d_err = _sadd(_ssub(1.0, d), e_hi) + e_lo
    pos = x >= 0.0
    q = _div(select(pos, 1.0, e_hi), d)
    num_lo = select(pos, 0.0, e_lo)
    y = q + (num_lo - q * d_err) * select(pos, q, 1.0 - q)
    return select(x == x, y, x)


# --------------------------------------------------------------------------------------------
# erf
# --------------------------------------------------------------------------------------------

@_vm
def erf_f32(x: np.float32) -> np.float32:
    a = abs(x)
    small = a + a * _poly(a * a, _ERF_F32)
    ac = select(a < _ERF_CLAMP_F32, a, _ERF_CLAMP_F32)  # also maps NaN to a finite value
    t = _div(ac - _TWO_F32, ac + _TWO_F32)
    big = _ONE_F32 - _exp_core_f32(-(ac * ac)) * _poly(t, _ERFC_F32)
    y = _copysign(select(a < _F(_ERF_SMALL), small, big), x)
    return select(x == x, y, x)


@_vm
def erf_f64(x: float) -> float:
    a = abs(x)
    small = a + a * _poly(a * a, _ERF_F64)
    ac = select(a < _ERF_CLAMP_F64, a, _ERF_CLAMP_F64)
    t = _div(ac - 2.0, ac + 2.0)
    big = 1.0 - _exp_core_f64(-(ac * ac)) * _poly(t, _ERFC_F64)
    y = _copysign(select(a < _ERF_SMALL, small, big), x)
    return select(x == x, y, x)
