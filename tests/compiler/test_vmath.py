"""Accuracy, special values and vectorisation of compiler.vmath.

Every function is evaluated inside a numba loop compiled with vmath.FASTMATH (how generated
kernels use it) on a random sample over the whole finite range (random bit patterns, i.e.
log-uniform magnitudes), a dense sample of the interesting region, and special values. The
error is measured in ulps of the result dtype against float64 (for float32) or 80-bit long
double (for float64) references. Kernels are compiled once per session and shared.
"""

from __future__ import annotations

import math
import re

import numba
import numpy as np
import pytest

from tracegrad._compiler.backends.numba_cpu import vmath

LD = np.longdouble
F32, F64 = np.float32, np.float64
DTYPES = {"float32": F32, "float64": F64}
SUFFIX = {"float32": "f32", "float64": "f64"}
NAMES = ["exp", "log", "log1p", "expm1", "tanh", "sigmoid", "erf", "pow"]
N_RANDOM = 100_000  # per sample kind and dtype

# Max ulp error asserted per (name, dtype); measured maxima are in docs/vmath.md.
BOUNDS = {
    ("exp", "float32"): 1.0, ("exp", "float64"): 1.0,
    ("log", "float32"): 1.0, ("log", "float64"): 1.0,
    ("log1p", "float32"): 1.0, ("log1p", "float64"): 1.0,
    ("expm1", "float32"): 1.0, ("expm1", "float64"): 1.0,
    ("tanh", "float32"): 1.0, ("tanh", "float64"): 1.0,
    ("sigmoid", "float32"): 1.5, ("sigmoid", "float64"): 1.5,
    ("erf", "float32"): 1.5, ("erf", "float64"): 1.5,
    ("pow", "float32"): 1.0, ("pow", "float64"): 1.5,
}

# "Interesting" input interval per function and dtype, sampled uniformly.
REGIONS = {
    "exp": {"float32": (-104.0, 89.0), "float64": (-746.0, 710.0)},
    "log": {"float32": (0.0, 4.0), "float64": (0.0, 4.0)},
    "log1p": {"float32": (-1.0, 4.0), "float64": (-1.0, 4.0)},
    "expm1": {"float32": (-20.0, 89.0), "float64": (-40.0, 710.0)},
    "tanh": {"float32": (-10.0, 10.0), "float64": (-20.0, 20.0)},
    "sigmoid": {"float32": (-105.0, 20.0), "float64": (-750.0, 40.0)},
    "erf": {"float32": (-4.5, 4.5), "float64": (-6.5, 6.5)},
}


# ------------------------------------------------------------------------------------------
# references
# ------------------------------------------------------------------------------------------

_PI_LD = np.arccos(LD(-1))


def _erf_ld(x: np.ndarray) -> np.ndarray:
    """erf in long double: the all-positive series for |x| < 3, 1 - continued-fraction erfc
    above (neither SciPy nor mpmath is available)."""
    x = np.asarray(x, LD)
    a = np.abs(x)
    out = np.ones_like(a)
    lo = a < 3
    z = a[lo] * a[lo]
    term, s = a[lo].copy(), a[lo].copy()
    for n in range(1, 100):  # sum 2^n a^(2n+1) / (2n+1)!!, converged for a < 3
        term = term * (2 * z) / (2 * n + 1)
        s = s + term
    out[lo] = 2 / np.sqrt(_PI_LD) * np.exp(-z) * s
    mid = (a >= 3) & (a < 7)
    b = a[mid]
    t = b.copy()
    for n in range(400, 0, -1):  # erfc = exp(-b^2)/sqrt(pi) / (b + (1/2)/(b + 1/(b + ...)))
        t = b + LD(n) / 2 / t
    out[mid] = 1 - np.exp(-b * b) / np.sqrt(_PI_LD) / t
    out = np.where(np.isnan(x), x, out)
    return np.copysign(out, x)


def _ref(name: str, dtype: str, *args: np.ndarray) -> np.ndarray:
    """High-precision reference: float64 for float32 inputs, long double for float64."""
    hp = F64 if dtype == "float32" else LD
    a = [v.astype(hp) for v in args]
    with np.errstate(all="ignore"):
        if name == "sigmoid":
            return 1 / (1 + np.exp(-a[0]))
        if name == "erf":
            if dtype == "float32":
                return np.array([math.erf(v) for v in a[0]], F64)
            return _erf_ld(a[0])
        if name == "pow":
            return np.power(a[0], a[1])
        return getattr(np, name)(a[0])


def _numpy_same_dtype(name: str, dtype: str, *args: np.ndarray) -> np.ndarray:
    """What NumPy itself returns in the input dtype (reference rounded for sigmoid / erf)."""
    with np.errstate(all="ignore"):
        if name in ("sigmoid", "erf"):
            return _ref(name, dtype, *args).astype(DTYPES[dtype])
        if name == "pow":
            return np.power(*args)
        return getattr(np, name)(args[0])


def ulp_error(y: np.ndarray, ref: np.ndarray, dtype: str) -> np.ndarray:
    """|y - ref| in ulps of dtype at ref; inf where y and round(ref) differ in class
    (NaN / inf / finite)."""
    dt = DTYPES[dtype]
    p, emin = (24, -149) if dt is F32 else (53, -1074)
    with np.errstate(over="ignore"):
        rounded = ref.astype(dt)
    err = np.zeros(y.shape, LD)
    fin = np.isfinite(rounded) & np.isfinite(y)
    _, e = np.frexp(np.abs(ref[fin]).astype(LD))
    ulp = np.ldexp(LD(1), np.maximum(e.astype(np.int64) - p, emin))
    err[fin] = np.abs(y[fin].astype(LD) - ref[fin].astype(LD)) / ulp
    nf = ~fin
    same = (np.isnan(rounded[nf]) & np.isnan(y[nf])) | (rounded[nf] == y[nf])
    err[np.flatnonzero(nf)[~same]] = np.inf
    return err


# ------------------------------------------------------------------------------------------
# kernels (compiled once per session)
# ------------------------------------------------------------------------------------------

_KERNELS: dict = {}


def kernel(name: str, dtype: str, fastmath=vmath.FASTMATH):
    key = (name, dtype, str(sorted(fastmath)) if fastmath else "")
    if key not in _KERNELS:
        fn = vmath.FUNCTIONS[(name, dtype)]
        if name == "pow":
            def body(x, y, out):
                for i in range(x.size):
                    out[i] = fn(x[i], y[i])
        else:
            def body(x, out):
                for i in range(x.size):
                    out[i] = fn(x[i])
        _KERNELS[key] = numba.njit(fastmath=fastmath)(body)
    return _KERNELS[key]


def evaluate(name: str, dtype: str, *args: np.ndarray, fastmath=vmath.FASTMATH) -> np.ndarray:
    out = np.empty_like(args[0])
    kernel(name, dtype, fastmath)(*args, out)
    return out


# ------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------

def special_values(dtype: str) -> np.ndarray:
    dt = DTYPES[dtype]
    fi = np.finfo(dt)
    v = [0.0, fi.smallest_subnormal, fi.smallest_normal, fi.tiny * 3.5, fi.eps, 0.5, 1.0, 2.0,
         fi.max, np.inf, np.nan]
    v = np.array(v, dt)
    return np.concatenate([v, -v])


# inputs around each function's over/underflow and saturation thresholds
THRESHOLDS = {
    "float32": {
        "exp": [88.72283, 88.72284, 89.0, -87.33654, -103.27893, -103.97208, -103.972084, -104.0],
        "expm1": [88.72283, 88.72284, -17.32868, -17.3287, -88.0, -104.0],
        "log": [1.0, 1.0000001, 0.99999994],
        "log1p": [-1.0, -0.99999994, -1.0000001, 2.0**-25, -(2.0**-25), 3.4e38],
        "tanh": [1.0, 0.99999994, 0.8964794, 9.010913, 9.1, 2.0**-12],
        "sigmoid": [-87.33654, -103.27893, -103.97208, -104.0, 16.635532, 17.0, 88.8],
        "erf": [0.84375, 0.8437499, 3.9192059, 3.92, 4.0, 5.0],
    },
    "float64": {
        "exp": [709.782712893384, 709.7827128933841, -708.3964185322641, -744.4400719213812,
                -745.1332191019411, -745.1332191019412, -746.0],
        "expm1": [709.782712893384, 709.7827128933841, -37.42994775023705, -38.0, -746.0],
        "log": [1.0, 1.0000000000000002, 0.9999999999999999],
        "log1p": [-1.0, -0.9999999999999999, -1.0000000000000002, 2.0**-54, 1.7e308],
        "tanh": [0.55, 0.5499999999999999, 19.06154746539849, 19.1, 2.0**-27],
        "sigmoid": [-708.3964185322641, -744.4400719213812, -745.1332191019412, -746.0,
                    36.7368005696771, 37.0, 710.0],
        "erf": [0.84375, 0.8437499999999999, 5.921587195794507, 5.93, 6.0, 27.0],
    },
}


def sample(name: str, dtype: str) -> np.ndarray:
    dt = DTYPES[dtype]
    rng = np.random.default_rng(sum(map(ord, name + dtype)))
    ity = np.uint32 if dt is F32 else np.uint64
    bits = rng.integers(0, np.iinfo(ity).max, N_RANDOM, dtype=ity, endpoint=True)
    full = bits.view(dt)  # log-uniform magnitudes over the whole range, both signs
    lo, hi = REGIONS[name][dtype]
    region = rng.uniform(lo, hi, N_RANDOM).astype(dt)
    near0 = (rng.uniform(-1, 1, N_RANDOM // 10) * 2.0 ** -rng.uniform(0, 30, N_RANDOM // 10))
    th = np.array(THRESHOLDS[dtype].get(name, []), dt)
    x = np.concatenate([full[np.isfinite(full)], region, near0.astype(dt), th, -th,
                        np.nextafter(th, dt(np.inf)), np.nextafter(th, dt(-np.inf))])
    return np.concatenate([x, special_values(dtype)])


def pow_sample(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """x over the whole range; y so that y*log|x| spans the finite result range (plus some
    integer y, needed for negative x), and x near 1 with huge y."""
    dt = DTYPES[dtype]
    rng = np.random.default_rng(7 if dt is F32 else 8)
    ity = np.uint32 if dt is F32 else np.uint64
    x = rng.integers(0, np.iinfo(ity).max, N_RANDOM, dtype=ity, endpoint=True).view(dt)
    x = np.where(np.isfinite(x), x, dt(3))
    x[: N_RANDOM // 4] = (rng.uniform(0.5, 2, N_RANDOM // 4)
                          * rng.choice([-1, 1], N_RANDOM // 4)).astype(dt)
    x[N_RANDOM // 4: N_RANDOM // 3] = 1 + rng.uniform(-1e-3, 1e-3, N_RANDOM // 3 - N_RANDOM // 4)
    lmax = 110 if dt is F32 else 750
    with np.errstate(all="ignore"):
        lx = np.log(np.abs(x.astype(F64)))
        y = rng.uniform(-lmax, lmax, x.size) / np.where(lx == 0, 1, lx)
    y = np.where(rng.random(x.size) < 0.3, np.round(y), y)
    y = np.where(np.isfinite(y) & (np.abs(y) < np.finfo(dt).max), y, 2).astype(dt)
    return x, y


# ------------------------------------------------------------------------------------------
# tests
# ------------------------------------------------------------------------------------------

CASES = [(n, d) for n in NAMES for d in DTYPES]


def test_function_table_complete() -> None:
    assert set(vmath.FUNCTIONS) == set(CASES)
    for (name, dtype), fn in vmath.FUNCTIONS.items():
        assert fn is getattr(vmath, f"{name}_{SUFFIX[dtype]}")
    assert vmath.FASTMATH == {"nsz", "arcp", "contract", "afn", "reassoc"}


@pytest.mark.parametrize("name,dtype", [c for c in CASES if c[0] != "pow"])
def test_ulp_error(name: str, dtype: str) -> None:
    x = sample(name, dtype)
    y = evaluate(name, dtype, x)
    err = ulp_error(y, _ref(name, dtype, x), dtype)
    worst = int(np.argmax(err))
    assert err[worst] <= BOUNDS[(name, dtype)], (
        f"{name}_{dtype}: {float(err[worst]):.3f} ulp at x={x[worst]!r} -> {y[worst]!r}")


def test_pow_ulp_error() -> None:
    for dtype in DTYPES:
        x, yy = pow_sample(dtype)
        out = evaluate("pow", dtype, x, yy)
        err = ulp_error(out, _ref("pow", dtype, x, yy), dtype)
        worst = int(np.argmax(err))
        assert err[worst] <= BOUNDS[("pow", dtype)], (
            f"pow_{dtype}: {float(err[worst]):.3f} ulp at x={x[worst]!r} y={yy[worst]!r}")


def _assert_same_class(got: np.ndarray, want: np.ndarray, args: tuple) -> None:
    """NaN where numpy gives NaN, same infinities, same sign of zero."""
    for i in range(got.size):
        g, w = got[i], want[i]
        where = ", ".join(f"{a[i]!r}" for a in args)
        if np.isnan(w) or np.isnan(g):
            assert np.isnan(w) and np.isnan(g), f"({where}): got {g!r}, numpy {w!r}"
        elif np.isinf(w) or np.isinf(g) or w == 0 or g == 0:
            assert g == w and np.signbit(g) == np.signbit(w), f"({where}): got {g!r}, numpy {w!r}"


@pytest.mark.parametrize("name,dtype", [c for c in CASES if c[0] != "pow"])
def test_special_values(name: str, dtype: str) -> None:
    dt = DTYPES[dtype]
    th = np.array(THRESHOLDS[dtype].get(name, []), dt)
    x = np.concatenate([special_values(dtype), th, -th])
    y = evaluate(name, dtype, x)
    want = _numpy_same_dtype(name, dtype, x)
    _assert_same_class(y, want, (x,))
    fin = np.isfinite(want) & (want != 0)
    err = ulp_error(y[fin], _ref(name, dtype, x[fin]), dtype)
    assert np.max(err) <= BOUNDS[(name, dtype)], x[fin][np.argmax(err)]


def test_pow_special_values() -> None:
    for dtype, dt in DTYPES.items():
        fi = np.finfo(dt)
        v = np.array([0.0, fi.smallest_subnormal, 0.5, 1.0, 1.5, 2.0, 3.0, fi.max, np.inf,
                      np.nan], dt)
        xs = np.concatenate([v, -v, np.array([-8.0, 8.0, 10.0, 0.1], dt)])
        ys = np.concatenate([v, -v, np.array([1 / 3, 2.5, 127.0, -127.0, 1e10, -1e10, 0.25,
                                              2.0**63, -(2.0**63), 2.0**63 + 2.0**11], dt)])
        x, y = (a.ravel() for a in np.meshgrid(xs, ys))
        got = evaluate("pow", dtype, x, y)
        want = _numpy_same_dtype("pow", dtype, x, y)
        _assert_same_class(got, want, (x, y))
        # finite results against the high-precision reference (glibc's powl itself gets
        # some infinite-base cases wrong, e.g. powl(-inf, -2^63) = inf)
        fin = np.isfinite(want) & (want != 0)
        x, y = x[fin], y[fin]
        err = ulp_error(got[fin], _ref("pow", dtype, x, y), dtype)
        assert np.max(err) <= BOUNDS[("pow", dtype)], (x[np.argmax(err)], y[np.argmax(err)])


@pytest.mark.parametrize("name,dtype", CASES)
def test_loop_vectorises(name: str, dtype: str) -> None:
    """The kernel's LLVM IR has 256/512-bit vectors of the dtype and no libm calls."""
    k = kernel(name, dtype)
    if not k.signatures:
        x = np.ones(4, DTYPES[dtype])
        evaluate(name, dtype, *([x] * (2 if name == "pow" else 1)))
    ll = k.inspect_llvm(k.signatures[0])
    elem = "float" if dtype == "float32" else "double"
    widths = {int(w) for w in re.findall(rf"<(\d+) x {elem}>", ll)}
    assert widths & ({8, 16} if dtype == "float32" else {4, 8}), widths
    libm = re.findall(r"call [^@\n]*@(exp|log|tanh|pow|erf|expm1|log1p)f?\(", ll)
    assert not libm, libm
    if dtype == "float32" and name != "pow":  # no silent promotion to float64
        assert "<16 x double>" not in ll and "<8 x double>" not in ll


def test_exp_and_tanh_loops_vectorise_as_float_vectors() -> None:
    """The acceptance check from the brief, spelled out: a float32 exp loop and a tanh loop."""
    for name in ("exp", "tanh"):
        evaluate(name, "float32", np.ones(64, F32))
        k = kernel(name, "float32")
        ll = k.inspect_llvm(k.signatures[0])
        assert "<8 x float>" in ll or "<16 x float>" in ll


def test_fastmath_keeps_nan_checks() -> None:
    """Without 'nnan', isnan and x != x still work inside FASTMATH kernels."""

    @numba.njit(fastmath=vmath.FASTMATH)
    def count_nan(x):
        n = 0
        for i in range(x.size):
            n += np.isnan(x[i]) + (x[i] != x[i])
        return n

    assert count_nan(np.array([1.0, np.nan, np.inf, np.nan], F32)) == 4


@pytest.mark.parametrize("name", ["exp", "log1p", "tanh", "sigmoid", "pow"])
def test_strict_ieee_caller(name: str) -> None:
    """Inlined into a kernel without fastmath the functions are at least as accurate."""
    dtype = "float32"
    args = pow_sample(dtype) if name == "pow" else (sample(name, dtype),)
    got = evaluate(name, dtype, *args, fastmath=False)
    err = ulp_error(got, _ref(name, dtype, *args), dtype)
    assert np.max(err) <= BOUNDS[(name, dtype)]


# ------------------------------------------------------------------------------------------
# what generated kernels call besides the math
# ------------------------------------------------------------------------------------------

def test_strict_add_and_sub_are_not_reassociated() -> None:
    """(x + big) - big and (x - m) - c stay as written inside a FASTMATH loop (fastmath
    folded the first to x and hoisted m + c out of the second)."""

    @numba.njit(fastmath=vmath.FASTMATH)
    def f(x, big, m, c, out1, out2):
        for i in range(x.size):
            out1[i] = vmath.strict_sub(vmath.strict_add(x[i], big), big)
            out2[i] = vmath.strict_sub(vmath.strict_sub(x[i], m), c)

    x = np.random.default_rng(0).normal(size=1000).astype(F32) + F32(1e4)
    big, m, c = F32(1e8), F32(1e4), F32(0.123456)
    out1, out2 = np.empty_like(x), np.empty_like(x)
    f(x, big, m, c, out1, out2)
    np.testing.assert_array_equal(out1, (x + big) - big)
    np.testing.assert_array_equal(out2, (x - m) - c)


def test_round_f16_rounds_like_numpy() -> None:
    @numba.njit
    def f(x, out):
        for i in range(x.size):
            out[i] = vmath.round_f16(x[i])

    rng = np.random.default_rng(1)
    x = np.concatenate([
        rng.integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32).view(F32),
        rng.uniform(-70000, 70000, 100_000).astype(F32),
        np.array([0.0, -0.0, np.inf, -np.inf, 65504, 65520, 65519.99, 6e-8, 2.9e-8], F32)])
    out = np.empty_like(x)
    f(x, out)
    with np.errstate(over="ignore"):
        want = x.astype(np.float16).astype(F32)
    np.testing.assert_array_equal(out, want)  # NaN == NaN for assert_array_equal
    num = ~np.isnan(want)
    assert np.array_equal(np.signbit(out[num]), np.signbit(want[num]))


def test_prefer_vector_width_marks_only_its_function() -> None:
    @numba.njit(fastmath=vmath.FASTMATH)
    def marked(x):
        vmath.prefer_vector_width(512)
        s = F32(0.0)
        for i in range(x.size):
            s += x[i]
        return s

    @numba.njit(fastmath=vmath.FASTMATH)
    def plain(x):
        s = F32(0.0)
        for i in range(x.size):
            s += x[i]
        return s

    x = np.ones(100, F32)
    assert marked(x) == plain(x) == 100
    assert '"prefer-vector-width"="512"' in marked.inspect_llvm(marked.signatures[0])
    assert "prefer-vector-width" not in plain.inspect_llvm(plain.signatures[0])
