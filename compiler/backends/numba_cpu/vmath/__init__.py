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

from ..lowering import SUFFIX, VMATH
from ._llvm import (
    FASTMATH,
    fold_max,
    fold_min,
    from_f16_bits,
    maximum,
    minimum,
    prefer_vector_width,
    round_f16,
    scratch,
    select,
    strict_add,
    strict_sub,
    to_f16_bits,
)
from .elementary import (
    erf_f32,
    erf_f64,
    exp_f32,
    exp_f64,
    expm1_f32,
    expm1_f64,
    log1p_f32,
    log1p_f64,
    log_f32,
    log_f64,
    sigmoid_f32,
    sigmoid_f64,
    tanh_f32,
    tanh_f64,
)
from .power import pow_f32, pow_f64

__all__ = [
    "FASTMATH", "FUNCTIONS",
    "exp_f32", "exp_f64", "log_f32", "log_f64", "log1p_f32", "log1p_f64",
    "expm1_f32", "expm1_f64", "tanh_f32", "tanh_f64", "sigmoid_f32", "sigmoid_f64",
    "pow_f32", "pow_f64", "erf_f32", "erf_f64",
    # not math: what generated kernels call besides (see _llvm.py)
    "strict_add", "strict_sub", "round_f16", "from_f16_bits", "to_f16_bits",
    "prefer_vector_width", "fold_max", "fold_min", "select", "maximum", "minimum",
    "scratch",
]


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
