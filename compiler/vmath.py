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

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

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


# --------------------------------------------------------------------------------------------
# LLVM-level helpers
# --------------------------------------------------------------------------------------------

_INT_OF = {types.float32: types.int32, types.float64: types.int64}


@intrinsic
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

    @intrinsic
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


@intrinsic
def _rint(typingctx, x):
    """Round to nearest integer (ties to even) via llvm.rint, which has vector forms."""
    if x not in _INT_OF:
        return None

    def codegen(context, builder, sig, args):
        fn = builder.module.declare_intrinsic("llvm.rint", [args[0].type])
        return builder.call(fn, [args[0]])

    return x(x), codegen


def _make_strict(op):
    @intrinsic
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


@intrinsic
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


@intrinsic
def _copysign(typingctx, mag, sgn):
    """|mag| with the sign bit of sgn, done on integer bits so 'nsz' cannot drop a -0."""
    if mag not in _INT_OF or mag != sgn:
        return None

    def codegen(context, builder, sig, args):
        ity = ir.IntType(mag.bitwidth)
        sign = ir.Constant(ity, 1 << (mag.bitwidth - 1))
        m = builder.and_(builder.bitcast(args[0], ity), ir.Constant(ity, (1 << (mag.bitwidth - 1)) - 1))
        s = builder.and_(builder.bitcast(args[1], ity), sign)
        return builder.bitcast(builder.or_(m, s), args[0].type)

    return mag(mag, sgn), codegen


# --------------------------------------------------------------------------------------------
# Constants. Coefficients are minimax fits (Remez exchange in 80-bit long double, f32 ones
# refitted after rounding each coefficient); see docs/vmath.md.
# --------------------------------------------------------------------------------------------

_F = np.float32
_ZERO_F32, _HALF_F32, _ONE_F32, _TWO_F32 = _F(0.0), _F(0.5), _F(1.0), _F(2.0)
_INF_F32, _NAN_F32 = _F(np.inf), _F(np.nan)
_INF_F64, _NAN_F64 = np.inf, np.nan

# ln2 = HI + LO with HI's low mantissa bits zero, so k * HI is exact for every k we produce.
_LN2HI_F32, _LN2LO_F32 = _F(0.693145751953125), _F(1.4286068e-06)
_LN2HI_F64 = float.fromhex("0x1.62e42fee00000p-1")
_LN2LO_F64 = float.fromhex("0x1.a39ef35793c76p-33")
_LOG2E_F32, _LOG2E_F64 = _F(1.442695), 1.4426950408889634

# exp: below LO the result rounds to +0, above HI to +inf; clamping keeps 2^k constructible.
_EXP_LO_F32, _EXP_HI_F32 = _F(-104.0), _F(89.0)
_EXP_LO_F64, _EXP_HI_F64 = -746.0, 710.0
# expm1 is -1 (after rounding) well above these.
_EXPM1_LO_F32, _EXPM1_LO_F64 = _F(-27.0), -40.0
# below these, log1p(x) and expm1(x) round to x (also keeps the sign of zero).
_TINY_F32, _TINY_F64 = _F(2.0**-25), 2.0**-54

_MIN_NORMAL_F32, _MIN_NORMAL_F64 = _F(2.0**-126), 2.0**-1022
_TWO25_F32, _TWO54_F64 = _F(2.0**25), 2.0**54
_SQRTH_BITS_F32 = np.int32(0x3F3504F3)  # bits of sqrt(1/2)
_SQRTH_BITS_F64 = np.int64(0x3FE6A09E667F3BCD)

# exp(r) = 1 + r + r^2 * P(r) on |r| <= ln2/2
_EXP_F32 = (_F(0.49999994), _F(0.16666517), _F(0.041668102), _F(0.0083691655), _F(0.0013838003))
_EXP_F64 = (0.500000000000001, 0.1666666666666667, 0.041666666666521336, 0.008333333333324873,
            0.0013888888948021753, 0.00019841269881297314, 2.4801487095707216e-05,
            2.7557246489533553e-06, 2.763274365649732e-07, 2.510892723450818e-08)
# expm1(r) = r + r^2/2 + r^3 * P(r) on |r| <= ln2/2
_EXPM1_F32 = (_F(0.16666636), _F(0.04166651), _F(0.00834151), _F(0.0013930543),
              _F(0.00015046223))
_EXPM1_F64 = (0.16666666666666674, 0.04166666666666673, 0.008333333333321964,
              0.0013888888888843205, 0.00019841269887542023, 2.480158741790184e-05,
              2.7557241185928936e-06, 2.7557188455462386e-07, 2.5110492077976413e-08,
              2.09423026425388e-09)
# log(1+f) = 2s + s*R(s^2), s = f/(2+f); R(z) = z * P(z), |s| <= 0.1716
_LOG_F32 = (_F(0.66666776), _F(0.3997758), _F(0.2987093))
_LOG_F64 = (0.6666666666666711, 0.39999999999514807, 0.2857142873014576, 0.22222199025838146,
            0.1818357375446798, 0.15313136801414431, 0.14810518272003353)
# tanh(x) = x + x^3 * P(x^2) on |x| <= 0.55
_TANH_F32 = (_F(-0.33333316), _F(0.13332544), _F(-0.053847548), _F(0.021050714),
             _F(-0.0062428494))
_TANH_SMALL_F32 = _F(0.55)
_TANH_CLAMP_F32, _TANH_CLAMP_F64 = _F(10.0), 20.0  # tanh rounds to 1 beyond these


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------

@_vm
def _ldexp_f32(p, k):
    """p * 2^k for k in [-252, 254] in two exact steps, so neither factor over/underflows and
    a subnormal result is rounded once."""
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
def _exp_core_f32(x):
    """exp(x) for finite x in [_EXP_LO_F32, _EXP_HI_F32]: x = k ln2 + r, exp = 2^k exp(r)."""
    kf = _rint(x * _LOG2E_F32)
    r = _ssub(_ssub(x, kf * _LN2HI_F32), kf * _LN2LO_F32)  # Cody-Waite: exact first step
    p = _ONE_F32 + (r + r * r * _poly(r, _EXP_F32))
    return _ldexp_f32(p, np.int32(kf))


@_vm
def _exp_core_f64(x):
    kf = _rint(x * _LOG2E_F64)
    r = _ssub(_ssub(x, kf * _LN2HI_F64), kf * _LN2LO_F64)
    p = 1.0 + (r + r * r * _poly(r, _EXP_F64))
    return _ldexp_f64(p, np.int32(kf))


@_vm
def _log_reduce_f32(x):
    """For positive normal x return (e, f) with x = 2^e (1 + f), 1 + f in [sqrt(1/2), sqrt(2))."""
    ix = np.int32(_bits(x) - _SQRTH_BITS_F32)
    m = _f32_from_bits((ix & 0x7FFFFF) + _SQRTH_BITS_F32)
    return _F(ix >> 23), m - _ONE_F32  # m - 1 is exact (Sterbenz)


@_vm
def _log_reduce_f64(x):
    ix = _bits(x) - _SQRTH_BITS_F64
    m = _f64_from_bits((ix & 0xFFFFFFFFFFFFF) + _SQRTH_BITS_F64)
    return np.float64(np.int32(ix >> 52)), m - 1.0


@_vm
def _log1p_small_f32(f):
    """log(1+f) for |f| <= sqrt(2)-1 as f - f^2/2 + s (f^2/2 + R(s^2)), s = f/(2+f)."""
    s = f / (_TWO_F32 + f)
    z = s * s
    hfsq = _HALF_F32 * f * f
    return f - hfsq + s * (hfsq + z * _poly(z, _LOG_F32))


@_vm
def _log1p_small_f64(f):
    s = f / (2.0 + f)
    z = s * s
    hfsq = 0.5 * f * f
    return f - hfsq + s * (hfsq + z * _poly(z, _LOG_F64))


# --------------------------------------------------------------------------------------------
# exp
# --------------------------------------------------------------------------------------------

@_vm
def exp_f32(x: np.float32) -> np.float32:
    # Clamping maps NaN to a finite value (no poison from the float->int cast); the last
    # select restores it. Overflow/underflow come out of the 2^k scaling.
    xc = x if x > _EXP_LO_F32 else _EXP_LO_F32
    xc = xc if xc < _EXP_HI_F32 else _EXP_HI_F32
    y = _exp_core_f32(xc)
    return y if x == x else x


@_vm
def exp_f64(x: np.float64) -> np.float64:
    xc = x if x > _EXP_LO_F64 else _EXP_LO_F64
    xc = xc if xc < _EXP_HI_F64 else _EXP_HI_F64
    y = _exp_core_f64(xc)
    return y if x == x else x


# --------------------------------------------------------------------------------------------
# log, log1p
# --------------------------------------------------------------------------------------------

@_vm
def log_f32(x: np.float32) -> np.float32:
    sub = x < _MIN_NORMAL_F32  # scale subnormals up so the exponent field is meaningful
    e, f = _log_reduce_f32(x * _TWO25_F32 if sub else x)
    e = e - _F(25.0) if sub else e
    # e*HI is exact; adding it last (unfused, unreassociated) keeps the small part's bits.
    y = _sadd(e * _LN2HI_F32, _log1p_small_f32(f) + e * _LN2LO_F32)
    y = y if x < _INF_F32 else x  # +inf, NaN
    return y if x > _ZERO_F32 else (-_INF_F32 if x == _ZERO_F32 else _NAN_F32)


@_vm
def log_f64(x: np.float64) -> np.float64:
    sub = x < _MIN_NORMAL_F64
    e, f = _log_reduce_f64(x * _TWO54_F64 if sub else x)
    e = e - 54.0 if sub else e
    y = _sadd(e * _LN2HI_F64, _log1p_small_f64(f) + e * _LN2LO_F64)
    y = y if x < _INF_F64 else x
    return y if x > 0.0 else (-_INF_F64 if x == 0.0 else _NAN_F64)


@_vm
def log1p_f32(x: np.float32) -> np.float32:
    # log1p(x) = log(u) + c/u with u = fl(1 + x) and c = (1 + x) - u computed exactly
    # (Fast2Sum: subtract from the larger-magnitude operand).
    u = _sadd(_ONE_F32, x)
    c = _ssub(x, _ssub(u, _ONE_F32)) if x < _ONE_F32 else _ssub(_ONE_F32, _ssub(u, x))
    e, f = _log_reduce_f32(u)  # u >= 2^-24 or u <= 0: never subnormal
    y = _sadd(e * _LN2HI_F32, _log1p_small_f32(f) + (e * _LN2LO_F32 + c / u))
    y = x if abs(x) < _TINY_F32 else y  # ±0, subnormals
    y = y if u < _INF_F32 else u
    return y if u > _ZERO_F32 else (-_INF_F32 if u == _ZERO_F32 else _NAN_F32)


@_vm
def log1p_f64(x: np.float64) -> np.float64:
    u = _sadd(1.0, x)
    c = _ssub(x, _ssub(u, 1.0)) if x < 1.0 else _ssub(1.0, _ssub(u, x))
    e, f = _log_reduce_f64(u)
    y = _sadd(e * _LN2HI_F64, _log1p_small_f64(f) + (e * _LN2LO_F64 + c / u))
    y = x if abs(x) < _TINY_F64 else y
    y = y if u < _INF_F64 else u
    return y if u > 0.0 else (-_INF_F64 if u == 0.0 else _NAN_F64)


# --------------------------------------------------------------------------------------------
# expm1
# --------------------------------------------------------------------------------------------

@_vm
def expm1_f32(x: np.float32) -> np.float32:
    xc = x if x > _EXPM1_LO_F32 else _EXPM1_LO_F32
    xc = xc if xc < _EXP_HI_F32 else _EXP_HI_F32
    kf = _rint(xc * _LOG2E_F32)
    r = _ssub(_ssub(xc, kf * _LN2HI_F32), kf * _LN2LO_F32)
    p = r + r * r * (_HALF_F32 + r * _poly(r, _EXPM1_F32))  # expm1(r)
    k = np.int32(kf)
    # expm1(x) = 2^k (p + (1 - 2^-k)); 1 - 2^-k is exact for |k| <= 24, so the only
    # rounding before the exact scaling is the one addition (no cancellation against 1).
    t = _ssub(_ONE_F32, _f32_from_bits((127 - min(k, 64)) << 23))
    y = _ldexp_f32(_sadd(p, t), k)
    y = x if abs(x) < _TINY_F32 else y
    return y if x == x else x


@_vm
def expm1_f64(x: np.float64) -> np.float64:
    xc = x if x > _EXPM1_LO_F64 else _EXPM1_LO_F64
    xc = xc if xc < _EXP_HI_F64 else _EXP_HI_F64
    kf = _rint(xc * _LOG2E_F64)
    r = _ssub(_ssub(xc, kf * _LN2HI_F64), kf * _LN2LO_F64)
    p = r + r * r * (0.5 + r * _poly(r, _EXPM1_F64))
    k = np.int32(kf)
    t = _ssub(1.0, _f64_from_bits((1023 - np.int64(min(k, 512))) << 52))
    y = _ldexp_f64(_sadd(p, t), k)
    y = x if abs(x) < _TINY_F64 else y
    return y if x == x else x


# --------------------------------------------------------------------------------------------
# tanh, sigmoid
# --------------------------------------------------------------------------------------------

@_vm
def tanh_f32(x: np.float32) -> np.float32:
    a = abs(x)
    a2 = a * a
    small = a + a * a2 * _poly(a2, _TANH_F32)  # |x| < 0.55: odd minimax polynomial
    ac = a if a < _TANH_CLAMP_F32 else _TANH_CLAMP_F32  # also maps NaN to a finite value
    big = _ONE_F32 - _TWO_F32 / (_exp_core_f32(ac + ac) + _ONE_F32)
    y = _copysign(small if a < _TANH_SMALL_F32 else big, x)
    return y if x == x else x


@_vm
def tanh_f64(x: np.float64) -> np.float64:
    a = abs(x)
    ac = a if a < _TANH_CLAMP_F64 else _TANH_CLAMP_F64
    t = expm1_f64(ac + ac)
    y = _copysign(t / (t + 2.0), x)
    return y if x == x else x


@_vm
def sigmoid_f32(x: np.float32) -> np.float32:
    # exp(-|x|) never overflows; for x < 0 use e/(1+e) so tiny results keep their precision.
    a = abs(x)
    ac = a if a < -_EXP_LO_F32 else -_EXP_LO_F32
    e = _exp_core_f32(-ac)
    y = (_ONE_F32 if x >= _ZERO_F32 else e) / (_ONE_F32 + e)
    return y if x == x else x


@_vm
def sigmoid_f64(x: np.float64) -> np.float64:
    a = abs(x)
    ac = a if a < -_EXP_LO_F64 else -_EXP_LO_F64
    e = _exp_core_f64(-ac)
    y = (1.0 if x >= 0.0 else e) / (1.0 + e)
    return y if x == x else x
