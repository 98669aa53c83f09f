"""Vectorisable scalar math for numba kernels.

numba lowers ``np.exp`` and friends to scalar libm calls, which LLVM cannot vectorise (no SVML
here). The functions below are written from plain arithmetic, integer bit tricks and LLVM
intrinsics that have vector forms (``llvm.rint``, ``llvm.fabs``), so once inlined into a
kernel's loop the loop vectorises.

Every function is ``njit(inline='always')``: numba inlines it at IR level, so it is compiled
with the *caller's* fastmath flags. Kernels should use :data:`FASTMATH`. Code that must not be
re-associated or contracted (exact range reduction, error-free sums, 2^k scaling) goes through
the ``_s*`` intrinsics, which emit IEEE operations that numba's fastmath pass leaves alone.

Design notes, accuracy table and benchmark numbers: ``docs/vmath.md``.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic as _numba_intrinsic

from .lowering import SUFFIX, VMATH

__all__ = [
    "FASTMATH", "FUNCTIONS",
    "exp_f32", "exp_f64", "log_f32", "log_f64", "log1p_f32", "log1p_f64",
    "expm1_f32", "expm1_f64", "tanh_f32", "tanh_f64", "sigmoid_f32", "sigmoid_f64",
    "pow_f32", "pow_f64", "erf_f32", "erf_f64",
]

# No 'nnan'/'ninf': with them LLVM may fold `x != x` to False and drop the inf/NaN selects
# below, silently breaking special values (and any isnan check in user kernels).
FASTMATH: set[str] = {"nsz", "arcp", "contract", "afn", "reassoc"}

_vm = numba.njit(inline="always", fastmath=FASTMATH, cache=False)
# Typed Any: mypy would check call sites against the typing-time signature (typingctx, ...).
_intrinsic: Any = _numba_intrinsic


# --------------------------------------------------------------------------------------------
# LLVM-level helpers
# --------------------------------------------------------------------------------------------

_INT_OF = {types.float32: types.int32, types.float64: types.int64}


@_intrinsic
def _bits(typingctx, x):
    """Reinterpret a float's bits as the signed integer of the same width."""
    if x not in _INT_OF:
        return None
    ity = _INT_OF[x]

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(ity.bitwidth))

    return ity(x), codegen


def _make_from_bits(fty):
    width = fty.bitwidth

    @_intrinsic
    def from_bits(typingctx, i):
        """Reinterpret integer bits (truncated / sign-extended to the float's width) as float."""
        if not isinstance(i, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            v, ity = args[0], ir.IntType(width)
            if i.bitwidth > width:
                v = builder.trunc(v, ity)
            elif i.bitwidth < width:
                v = builder.sext(v, ity) if i.signed else builder.zext(v, ity)
            return builder.bitcast(v, context.get_value_type(fty))

        return fty(i), codegen

    return from_bits


_f32_from_bits = _make_from_bits(types.float32)
_f64_from_bits = _make_from_bits(types.float64)


@_intrinsic
def _rint(typingctx, x):
    """Round to nearest integer (ties to even) via llvm.rint, which has vector forms."""
    if x not in _INT_OF:
        return None

    def codegen(context, builder, sig, args):
        fn = builder.module.declare_intrinsic("llvm.rint", [args[0].type])
        return builder.call(fn, [args[0]])

    return x(x), codegen


def _make_strict(op):
    @_intrinsic
    def strict(typingctx, a, b):
        """IEEE a (op) b that survives the kernel's fastmath flags.

        numba's fastmath pass only flags float instructions that carry no flag yet; 'afn' has
        no meaning for add/sub/mul, so this stays an exactly rounded, non-reassociable op.
        """
        if a not in _INT_OF or a != b:
            return None

        def codegen(context, builder, sig, args):
            return getattr(builder, op)(args[0], args[1], flags=("afn",))

        return a(a, b), codegen

    return strict


_sadd = _make_strict("fadd")
_ssub = _make_strict("fsub")
_smul = _make_strict("fmul")


@_intrinsic
def _div(typingctx, a, b):
    """Correctly rounded a / b (no reciprocal rewrite; same flag trick as _sadd) and without
    numba's ZeroDivisionError check, whose raise path blocks vectorisation. Division by zero
    gives IEEE inf/NaN, which the callers select away."""
    if a not in _INT_OF or a != b:
        return None

    def codegen(context, builder, sig, args):
        return builder.fdiv(args[0], args[1], flags=("afn",))

    return a(a, b), codegen


@_intrinsic
def _poly(typingctx, x, coeffs):
    """Horner evaluation c[0] + x*(c[1] + x*(c[2] + ...)) of a constant coefficient tuple."""
    if not (isinstance(coeffs, types.UniTuple) and coeffs.dtype == x and x in _INT_OF):
        return None
    n = coeffs.count

    def codegen(context, builder, sig, args):
        xv, cv = args
        acc = builder.extract_value(cv, n - 1)
        for i in range(n - 2, -1, -1):
            acc = builder.fadd(builder.fmul(acc, xv), builder.extract_value(cv, i))
        return acc

    return x(x, coeffs), codegen


@_intrinsic
def _copysign(typingctx, mag, sgn):
    """|mag| with the sign bit of sgn, done on integer bits so 'nsz' cannot drop a -0."""
    if mag not in _INT_OF or mag != sgn:
        return None

    def codegen(context, builder, sig, args):
        ity = ir.IntType(mag.bitwidth)
        sign = 1 << (mag.bitwidth - 1)
        m = builder.and_(builder.bitcast(args[0], ity), ir.Constant(ity, sign - 1))
        s = builder.and_(builder.bitcast(args[1], ity), ir.Constant(ity, sign))
        return builder.bitcast(builder.or_(m, s), args[0].type)

    return mag(mag, sgn), codegen


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
# tanh(x) = x + x^3 P(x^2), |x| <= 0.55
_TANH_SMALL = 0.55
_TANH_F32 = (_F(-0.33333316), _F(0.13332544), _F(-0.053847548), _F(0.021050714),
             _F(-0.0062428494))
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
    xc = x if x > _EXP_LO_F32 else _EXP_LO_F32
    xc = xc if xc < _EXP_HI_F32 else _EXP_HI_F32
    y = _exp_core_f32(xc)
    return y if x == x else x


@_vm
def exp_f64(x: float) -> float:
    xc = x if x > _EXP_LO_F64 else _EXP_LO_F64
    xc = xc if xc < _EXP_HI_F64 else _EXP_HI_F64
    y = _exp_core_f64(xc)
    return y if x == x else x


@_vm
def expm1_f32(x: np.float32) -> np.float32:
    xc = x if x > _EXPM1_LO_F32 else _EXPM1_LO_F32
    xc = xc if xc < _EXP_HI_F32 else _EXP_HI_F32
    kf, r, rl = _reduce_ln2_f32(xc)
    k = np.int32(kf)
    # expm1(x) = 2^k (t + expm1(r)), t = 1 - 2^-k. t (for k > 24) and t + r are formed
    # with their exact rounding errors (Fast2Sum: |t| >= |r| unless t = 0), so the only
    # rounding left is the final add: no cancellation against 1. exp(r + rl) - 1 adds
    # rl * e^r ~ rl * (1 + r).
    m = _f32_from_bits((127 - np.int32(kf if kf < _F(64.0) else _F(64.0))) << 23)  # 2^-k
    t = _ssub(_ONE_F32, m)
    t_err = _ssub(_ssub(_ONE_F32, t), m)
    s = _sadd(t, r)
    s_err = _sadd(_ssub(t, s), r)
    q = (s_err + t_err) + rl * (_ONE_F32 + r) + r * r * (_HALF_F32 + r * _poly(r, _EXPM1_F32))
    y = _ldexp_f32(_sadd(s, q), k)
    y = x if abs(x) < _TINY_F32 else y  # keeps -0 and subnormals exact
    return y if x == x else x


@_vm
def expm1_f64(x: float) -> float:
    xc = x if x > _EXPM1_LO_F64 else _EXPM1_LO_F64
    xc = xc if xc < _EXP_HI_F64 else _EXP_HI_F64
    kf, r, rl = _reduce_ln2_f64(xc)
    k = np.int32(kf)
    m = _f64_from_bits((1023 - np.int64(kf if kf < 512.0 else 512.0)) << 52)
    t = _ssub(1.0, m)
    t_err = _ssub(_ssub(1.0, t), m)
    s = _sadd(t, r)
    s_err = _sadd(_ssub(t, s), r)
    q = (s_err + t_err) + rl * (1.0 + r) + r * r * (0.5 + r * _poly(r, _EXPM1_F64))
    y = _ldexp_f64(_sadd(s, q), k)
    y = x if abs(x) < _TINY_F64 else y
    return y if x == x else x


# --------------------------------------------------------------------------------------------
# log, log1p
# --------------------------------------------------------------------------------------------

@_vm
def log_f32(x: np.float32) -> np.float32:
    sub = x < _MIN_NORMAL_F32  # scale subnormals up so the exponent field is meaningful
    e, f = _log_reduce_f32(x * _TWO25_F32 if sub else x)
    e = e - _F(25.0) if sub else e
    # log = e*HI + (f - (t - e*LO)): e*HI is exact and f exact, so adding them last,
    # unreassociated, leaves a single final rounding.
    y = _sadd(e * _LN2HI_F32, _ssub(f, _log1p_tail_f32(f) - e * _LN2LO_F32))
    y = y if x < _INF_F32 else x  # +inf, NaN
    return y if x > _ZERO_F32 else (-_INF_F32 if x == _ZERO_F32 else _NAN_F32)


@_vm
def log_f64(x: float) -> float:
    sub = x < _MIN_NORMAL_F64
    e, f = _log_reduce_f64(x * _TWO54_F64 if sub else x)
    e = e - 54.0 if sub else e
    y = _sadd(e * _LN2HI_F64, _ssub(f, _log1p_tail_f64(f) - e * _LN2LO_F64))
    y = y if x < _INF else x
    return y if x > 0.0 else (-_INF if x == 0.0 else _NAN)


@_vm
def log1p_f32(x: np.float32) -> np.float32:
    # log1p(x) = log(u) + c/u, u = fl(1 + x), c = (1 + x) - u exactly (Fast2Sum from the
    # larger operand). When u's exponent is 0, 1 + x is in [sqrt(1/2), sqrt(2)) and the
    # reduced argument is x itself, which avoids the cancellation between f and c.
    u = _sadd(_ONE_F32, x)
    c = _ssub(x, _ssub(u, _ONE_F32)) if x < _ONE_F32 else _ssub(_ONE_F32, _ssub(u, x))
    e, f = _log_reduce_f32(u)  # u >= 2^-24 or u <= 0: never subnormal
    direct = e == _ZERO_F32
    f = x if direct else f
    c = _ZERO_F32 if direct else _div(c, u)
    y = _sadd(e * _LN2HI_F32, _ssub(f, _log1p_tail_f32(f) - (e * _LN2LO_F32 + c)))
    y = x if abs(x) < _TINY_F32 else y  # keeps -0 and subnormals exact
    y = y if u < _INF_F32 else u
    return y if u > _ZERO_F32 else (-_INF_F32 if u == _ZERO_F32 else _NAN_F32)


@_vm
def log1p_f64(x: float) -> float:
    u = _sadd(1.0, x)
    c = _ssub(x, _ssub(u, 1.0)) if x < 1.0 else _ssub(1.0, _ssub(u, x))
    e, f = _log_reduce_f64(u)
    direct = e == 0.0
    f = x if direct else f
    c = 0.0 if direct else _div(c, u)
    y = _sadd(e * _LN2HI_F64, _ssub(f, _log1p_tail_f64(f) - (e * _LN2LO_F64 + c)))
    y = x if abs(x) < _TINY_F64 else y
    y = y if u < _INF else u
    return y if u > 0.0 else (-_INF if u == 0.0 else _NAN)


# --------------------------------------------------------------------------------------------
# tanh, sigmoid
# --------------------------------------------------------------------------------------------

@_vm
def tanh_f32(x: np.float32) -> np.float32:
    a = abs(x)
    a2 = a * a
    small = a + a * a2 * _poly(a2, _TANH_F32)
    # |x| >= 0.55: 1 - q, q = 2/(e + 1), e = exp(2|x|) = e_hi + e_lo >= 3. With
    # d + d_err = e + 1 exactly (Fast2Sum), 2/(d + d_err) ~ q - q^2 d_err / 2.
    ac = a if a < _TANH_CLAMP_F32 else _TANH_CLAMP_F32  # also maps NaN to a finite value
    hi, lo, k = _exp_hilo_f32(ac + ac)
    scale = _f32_from_bits((k + 127) << 23)  # 1 <= k <= 29: one exact multiplication
    e_hi, e_lo = hi * scale, lo * scale
    d = _sadd(e_hi, _ONE_F32)
    d_err = _sadd(_ssub(e_hi, d), _ONE_F32) + e_lo
    q = _div(_TWO_F32, d)
    h = _ssub(_ONE_F32, q)
    big = _sadd(h, _ssub(_ssub(_ONE_F32, h), q) + _HALF_F32 * q * q * d_err)  # 1 - q exact
    y = _copysign(small if a < _F(_TANH_SMALL) else big, x)
    return y if x == x else x


@_vm
def tanh_f64(x: float) -> float:
    a = abs(x)
    a2 = a * a
    small = a + a * a2 * _poly(a2, _TANH_F64)
    ac = a if a < _TANH_CLAMP_F64 else _TANH_CLAMP_F64
    hi, lo, k = _exp_hilo_f64(ac + ac)
    scale = _f64_from_bits((np.int64(k) + 1023) << 52)
    e_hi, e_lo = hi * scale, lo * scale
    d = _sadd(e_hi, 1.0)
    d_err = _sadd(_ssub(e_hi, d), 1.0) + e_lo
    q = _div(2.0, d)
    h = _ssub(1.0, q)
    big = _sadd(h, _ssub(_ssub(1.0, h), q) + 0.5 * q * q * d_err)
    y = _copysign(small if a < _TANH_SMALL else big, x)
    return y if x == x else x


@_vm
def sigmoid_f32(x: np.float32) -> np.float32:
    # e = exp(-|x|) never overflows; x >= 0: 1/(1 + e), x < 0: e/(1 + e), so tiny results
    # keep full precision. q = num/d is corrected for the low parts of num and d = 1 + e:
    # (num + num_lo)/(d + d_err) ~ q + (num_lo - q d_err)/d, with 1/d = q (x >= 0) or
    # 1 - q (x < 0) -- accurate enough for a correction term.
    a = abs(x)
    ac = a if a < -_EXP_LO_F32 else -_EXP_LO_F32  # also maps NaN to a finite value
    hi, lo, k = _exp_hilo_f32(-ac)
    e_hi, e_lo = _ldexp_f32(hi, k), _ldexp_f32(lo, k)
    d = _sadd(_ONE_F32, e_hi)
    d_err = _sadd(_ssub(_ONE_F32, d), e_hi) + e_lo
    pos = x >= _ZERO_F32
    q = _div(_ONE_F32 if pos else e_hi, d)
    num_lo = _ZERO_F32 if pos else e_lo
    y = q + (num_lo - q * d_err) * (q if pos else _ONE_F32 - q)
    return y if x == x else x


@_vm
def sigmoid_f64(x: float) -> float:
    a = abs(x)
    ac = a if a < -_EXP_LO_F64 else -_EXP_LO_F64
    hi, lo, k = _exp_hilo_f64(-ac)
    e_hi, e_lo = _ldexp_f64(hi, k), _ldexp_f64(lo, k)
    d = _sadd(1.0, e_hi)
    d_err = _sadd(_ssub(1.0, d), e_hi) + e_lo
    pos = x >= 0.0
    q = _div(1.0 if pos else e_hi, d)
    num_lo = 0.0 if pos else e_lo
    y = q + (num_lo - q * d_err) * (q if pos else 1.0 - q)
    return y if x == x else x


# --------------------------------------------------------------------------------------------
# erf
# --------------------------------------------------------------------------------------------

@_vm
def erf_f32(x: np.float32) -> np.float32:
    a = abs(x)
    small = a + a * _poly(a * a, _ERF_F32)
    ac = a if a < _ERF_CLAMP_F32 else _ERF_CLAMP_F32  # also maps NaN to a finite value
    t = _div(ac - _TWO_F32, ac + _TWO_F32)
    big = _ONE_F32 - _exp_core_f32(-(ac * ac)) * _poly(t, _ERFC_F32)
    y = _copysign(small if a < _F(_ERF_SMALL) else big, x)
    return y if x == x else x


@_vm
def erf_f64(x: float) -> float:
    a = abs(x)
    small = a + a * _poly(a * a, _ERF_F64)
    ac = a if a < _ERF_CLAMP_F64 else _ERF_CLAMP_F64
    t = _div(ac - 2.0, ac + 2.0)
    big = 1.0 - _exp_core_f64(-(ac * ac)) * _poly(t, _ERFC_F64)
    y = _copysign(small if a < _ERF_SMALL else big, x)
    return y if x == x else x


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
    v = c[1] if i == 1 else v
    v = c[2] if i == 2 else v
    v = c[3] if i == 3 else v
    v = c[4] if i == 4 else v
    v = c[5] if i == 5 else v
    v = c[6] if i == 6 else v
    return c[7] if i == 7 else v


@_vm
def _log_dd(ax):
    """log(ax) = hi + lo to ~2^-68 relative, for positive finite ax."""
    sub = ax < _MIN_NORMAL_F64
    ix = _bits(ax * _TWO54_F64 if sub else ax)
    e = (ix >> 52) - (1023 + 54 if sub else 1023)
    m = _f64_from_bits((ix & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)  # [1, 2)
    # nearest bp = 1 + j/8 from the top 4 mantissa bits; m >= 1.9375 moves to m/2 next to 1
    j = (((ix >> 48) & 15) + 1) >> 1
    top = j == 8
    m = m * 0.5 if top else m
    e = e + 1 if top else e
    j = 0 if top else j
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
    yc = y if y > -_POW_Y_CLAMP else -_POW_Y_CLAMP  # also maps NaN to a finite value
    yc = yc if yc < _POW_Y_CLAMP else _POW_Y_CLAMP
    ph, pl = _two_prod(yc, lh)
    pl = pl + yc * ll
    # exp(ph + pl): as _exp_core_f64 with pl folded into the reduced argument
    phc = ph if ph > _EXP_LO_F64 else _EXP_LO_F64
    phc = phc if phc < _EXP_HI_F64 else _EXP_HI_F64
    pl = pl if phc == ph else 0.0  # a clamped ph has a meaningless (huge) low part
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
    mag = (_INF if (y < 0.0) == (ax == 0.0) else 0.0) if edge else mag
    y_int = _rint(y) == y  # true for +-inf too, which count as even
    yh = 0.5 * y
    y_odd = y_int & (_rint(yh) != yh)
    r = _copysign(mag, x) if y_odd else mag  # (-x)^odd = -(x^odd), incl. -0 and -inf
    r = _NAN if (x < 0.0) & (x > -_INF) & (not y_int) else r
    r = _NAN if (x != x) | (y != y) else r
    return 1.0 if (y == 0.0) | (x == 1.0) else r


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
    yc = yd if yd > -_POW_Y_CLAMP_F32 else -_POW_Y_CLAMP_F32
    yc = yc if yc < _POW_Y_CLAMP_F32 else _POW_Y_CLAMP_F32
    p = yc * lg
    p = p if p > _EXP_LO_F64 else _EXP_LO_F64
    p = p if p < _EXP_HI_F64 else _EXP_HI_F64
    return np.float32(_pow_fix(xd, yd, _exp_core_f64(p)))


def _exported(names: tuple[str, ...]) -> dict[tuple[str, str], Any]:
    """(name, dtype) -> implementation, for the names the code generator calls as
    ``<name>_f32``/``<name>_f64`` (``lowering.VMATH``). The list lives in lowering only; a
    name without both implementations, or an implementation the list does not name, fails
    here at import rather than in a generated kernel."""
    wanted = {f"{n}_{sfx}" for n in names for sfx in SUFFIX.values()}
    exported = {n for n in __all__ if n.endswith(tuple(f"_{sfx}" for sfx in SUFFIX.values()))}
    missing = sorted(n for n in wanted if n not in globals() or n not in exported)
    if missing or exported != wanted:
        raise ImportError(f"lowering.VMATH and vmath disagree: missing {missing}, "
                          f"not in VMATH {sorted(exported - wanted)}")
    return {(n, dt): globals()[f"{n}_{sfx}"] for n in names for dt, sfx in SUFFIX.items()}


FUNCTIONS = _exported(VMATH)
