"""Time compiler.vmath against numba's libm lowering and NumPy on 1e7 float32 values.

Usage: .venv/bin/python benchmarks/bench_vmath.py [--n N] [--repeat R] [--all] [--widths]

For each function three single-threaded variants run on the same input:
  numba+np  a numba loop calling np.<fn> (lowered to a scalar libm call, not vectorised)
  numba+vm  the same loop calling compiler.vmath.<fn>_f32 (inlined, vectorised)
  numpy     NumPy's own ufunc (for sigmoid: 1/(1+exp(-x)) with in-place ufuncs)
Times are the best of --repeat runs, in milliseconds.

--widths instead times the vmath loop per vector width: LLVM's choice for this CPU, and the
loop marked prefer_vector_width(256) / (512), against NumPy, interleaved (round k runs each
variant once), reporting medians and the float32 lanes of each loop.

--kernel times the generated fused softplus value-and-gradient kernel (float32), serial and
parallel, at 1e5 and 1e7 elements, with LLVM's vector width and with 512-bit vectors
(numba_cpu/target.py chooses per CPU), interleaved, medians (and minima).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Callable

import numba
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tracegrad._compiler.backends.numba_cpu import vmath  # noqa: E402

FM = vmath.FASTMATH


def _loop(fn: Callable) -> Callable:
    @numba.njit(fastmath=FM)
    def kernel(x: np.ndarray, out: np.ndarray) -> None:
        for i in range(x.size):
            out[i] = fn(x[i])

    return kernel


@numba.njit(inline="always")
def _np_exp(x):
    return np.exp(x)


@numba.njit(inline="always")
def _np_tanh(x):
    return np.tanh(x)


@numba.njit(inline="always")
def _np_log1p(x):
    return np.log1p(x)


@numba.njit(inline="always")
def _np_log(x):
    return np.log(x)


@numba.njit(inline="always")
def _np_expm1(x):
    return np.expm1(x)


@numba.njit(inline="always")
def _np_sigmoid(x):
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-x))


@numba.njit(inline="always")
def _np_erf(x):
    return math.erf(x)


def _numpy_sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


CASES = [
    # name, numba+np scalar fn, vmath fn, numpy equivalent (None: none), input range
    ("exp", _np_exp, vmath.exp_f32, np.exp, (-20.0, 20.0)),
    ("tanh", _np_tanh, vmath.tanh_f32, np.tanh, (-5.0, 5.0)),
    ("log1p", _np_log1p, vmath.log1p_f32, np.log1p, (-0.5, 100.0)),
]
MORE_CASES = [  # --all
    ("log", _np_log, vmath.log_f32, np.log, (0.0, 100.0)),
    ("expm1", _np_expm1, vmath.expm1_f32, np.expm1, (-20.0, 20.0)),
    ("sigmoid", _np_sigmoid, vmath.sigmoid_f32, _numpy_sigmoid, (-20.0, 20.0)),
    ("erf", _np_erf, vmath.erf_f32, None, (-5.0, 5.0)),
]


def best_ms(f: Callable[[], object], repeat: int) -> float:
    f()  # warm-up (and JIT compile)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def _loop_width(fn: Callable, width: int | None) -> Callable:
    """The vmath loop, marked to prefer ``width``-bit vectors (None: LLVM's choice)."""
    if width is None:
        return _loop(fn)
    if width == 256:
        @numba.njit(fastmath=FM)
        def k256(x: np.ndarray, out: np.ndarray) -> None:
            vmath.prefer_vector_width(256)
            for i in range(x.size):
                out[i] = fn(x[i])

        return k256

    @numba.njit(fastmath=FM)
    def k512(x: np.ndarray, out: np.ndarray) -> None:
        vmath.prefer_vector_width(512)
        for i in range(x.size):
            out[i] = fn(x[i])

    return k512


def widths_main(args: argparse.Namespace) -> None:
    import re

    from tracegrad._compiler.backends.numba_cpu import target

    rng = np.random.default_rng(0)
    print(f"n={args.n:.0e} float32, median of {args.repeat} interleaved rounds, single "
          f"thread, cpu {target.cpu_name()}, numpy {np.__version__}, numba {numba.__version__}")
    header = f"{'fn':<8} {'llvm':>12} {'256':>12} {'512':>12} {'numpy':>8}"
    print(header + "   (ms [float32 lanes])")
    print("-" * len(header))
    for name, _, vm_scalar, numpy_fn, (lo, hi) in CASES + (MORE_CASES if args.all else []):
        x = rng.uniform(lo, hi, args.n).astype(np.float32)
        out = np.empty_like(x)
        loops = {w: _loop_width(vm_scalar, w) for w in (None, 256, 512)}
        lanes = {}
        for w, k in loops.items():
            k(x, out)
            ll = k.inspect_llvm(k.signatures[0])
            lanes[w] = max([int(m) for m in re.findall(r"<(\d+) x float>", ll)], default=1)
        times: dict[object, list[float]] = {w: [] for w in [*loops, "numpy"]}
        for _ in range(args.repeat):
            for w, k in loops.items():
                t0 = time.perf_counter()
                k(x, out)
                times[w].append(time.perf_counter() - t0)
            if numpy_fn is not None:
                t0 = time.perf_counter()
                numpy_fn(x, out=out)
                times["numpy"].append(time.perf_counter() - t0)
        med = {w: float(np.median(t)) * 1e3 if t else float("nan") for w, t in times.items()}
        cells = " ".join(f"{med[w]:7.2f} [{lanes[w]:2d}]" for w in loops)
        print(f"{name:<8} {cells} {med['numpy']:8.2f}")


def kernel_main(args: argparse.Namespace) -> None:
    import importlib.util
    import re
    import tempfile

    import tracegrad
    from tracegrad import nd
    from tracegrad._compiler import settings
    from tracegrad._compiler.backends.numba_cpu import codegen, target
    from tracegrad._compiler.backends.numba_cpu.lowering import can_fuse
    from tracegrad._compiler.schedule.fusion import fuse

    def softplus_loss(w, x):  # tests/functions.py
        return (nd.log1p(nd.exp(-w * x)) + 0.5 * nd.tanh(x) ** 2).sum()

    low = tracegrad.value_and_grad(softplus_loss, argnums=1).lower(nd.ones(8), nd.ones(8))
    (k,) = fuse(low.optimized_ir, can_fuse).kernels
    cpu = target.cpu_name()
    saved = dict(target.PREFERRED_WIDTH)
    kernels = {}
    f32 = numba.types.Array(numba.float32, 1, "C")
    folder = tempfile.mkdtemp()
    for width in ("llvm", 512):
        target.PREFERRED_WIDTH.clear()
        target.PREFERRED_WIDTH[cpu] = 0 if width == "llvm" else 512  # 0: no hint
        src, consts = codegen.kernel_source(k)
        path = os.path.join(folder, f"softplus_{width}.py")
        with open(path, "w") as f:
            f.write(src)
        spec = importlib.util.spec_from_file_location(f"softplus_{width}", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        opts = dict(settings.NJIT_OPTIONS, fastmath=FM)
        sig = (f32,) * 4 + (numba.int64,) * 2 + (numba.float64,) * len(consts)
        pair = []
        for variant in ("serial", "parallel"):
            d = numba.njit(parallel=variant == "parallel", **opts)(
                getattr(mod, f"kernel_{variant}"))
            d.compile(sig)
            ll = "\n".join(d.inspect_llvm().values())
            lanes = max([int(m) for m in re.findall(r"<(\d+) x float>", ll)], default=1)
            pair.append((variant, d, lanes))
        kernels[width] = (pair, [c for c, _ in consts])
    target.PREFERRED_WIDTH.clear()
    target.PREFERRED_WIDTH.update(saved)
    nch = numba.get_num_threads() * 4
    print(f"fused softplus value_and_grad kernel, float32, cpu {cpu}, {numba.get_num_threads()} "
          f"threads, median (min) of {args.repeat} interleaved rounds, ms")
    rng = np.random.default_rng(0)
    for n in (10 ** 5, 10 ** 7):
        w = rng.normal(size=n).astype(np.float32)
        x = rng.normal(size=n).astype(np.float32)
        y0, y1 = np.empty(1, np.float32), np.empty(n, np.float32)
        reps = max(1, 10 ** 7 // n)
        times: dict[tuple, list[float]] = {}
        for _ in range(args.repeat):
            for width, (pair, consts) in kernels.items():
                for variant, d, _ in pair:
                    chunks = nch if variant == "parallel" else 1
                    d(w, x, y0, y1, n, chunks, *consts)
                    t0 = time.perf_counter()
                    for _ in range(reps):
                        d(w, x, y0, y1, n, chunks, *consts)
                    times.setdefault((width, variant), []).append(
                        (time.perf_counter() - t0) / reps)
        for width, (pair, _) in kernels.items():
            cells = []
            for variant, _, lanes in pair:
                t = times[(width, variant)]
                cells.append(f"{variant} {np.median(t) * 1e3:8.3f} ({min(t) * 1e3:8.3f})")
            print(f"n={n:.0e} width {width!s:>4} [{pair[0][2]:2d} lanes]  " + "  ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--all", action="store_true", help="also log, expm1, sigmoid, erf")
    ap.add_argument("--widths", action="store_true",
                    help="time the vmath loops per vector width (LLVM's, 256, 512)")
    ap.add_argument("--kernel", action="store_true",
                    help="time the fused softplus kernel with LLVM's width and 512 bits")
    args = ap.parse_args()
    if args.kernel:
        kernel_main(args)
        return
    if args.widths:
        widths_main(args)
        return

    rng = np.random.default_rng(0)
    print(f"n={args.n:.0e} float32, best of {args.repeat}, single thread, "
          f"numpy {np.__version__}, numba {numba.__version__}")
    header = f"{'fn':<8} {'numba+np':>9} {'numba+vm':>9} {'numpy':>8} {'np/vm':>7} {'numpy/vm':>9}"
    print(header)
    print("-" * len(header))
    for name, np_scalar, vm_scalar, numpy_fn, (lo, hi) in CASES + (MORE_CASES if args.all else []):
        x = rng.uniform(lo, hi, args.n).astype(np.float32)
        out = np.empty_like(x)
        k_np, k_vm = _loop(np_scalar), _loop(vm_scalar)
        t_np = best_ms(lambda: k_np(x, out), args.repeat)
        t_vm = best_ms(lambda: k_vm(x, out), args.repeat)
        if numpy_fn is None:
            print(f"{name:<8} {t_np:9.2f} {t_vm:9.2f} {'-':>8} {t_np / t_vm:7.2f} {'-':>9}")
            continue
        t_numpy = best_ms(lambda: numpy_fn(x, out=out), args.repeat)
        print(f"{name:<8} {t_np:9.2f} {t_vm:9.2f} {t_numpy:8.2f} {t_np / t_vm:7.2f} "
              f"{t_numpy / t_vm:9.2f}")


if __name__ == "__main__":
    main()
