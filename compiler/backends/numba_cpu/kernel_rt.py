"""Scalar helpers that generated kernels import (``from compiler.kernel_rt import *``).

Each is ``njit(inline='always')``, so it is compiled into the kernel's loop with the kernel's
fastmath flags. ``mod`` takes the sign of the divisor (MXNet's rule: 0 for a zero divisor,
never -0 for operands of different signs). ``maximum``/``minimum``/``select`` come from vmath
(LLVM-level, NaN-propagating like NumPy's).
"""

from __future__ import annotations

import numba
import numpy as np

from .vmath import *  # noqa: F401,F403  (exp_f32, log_f64, ...)
from .vmath import FASTMATH

_inline = numba.njit(inline="always", fastmath=FASTMATH, cache=False)


@_inline
def sign(x):  # noqa: ANN001, ANN201
    return np.sign(x)


@_inline
def mod(a, b):  # noqa: ANN001, ANN201
    # MXNet's: 0 for b == 0, +0 for a zero result of operands of different signs
    if b == 0:
        return b - b
    r = np.fmod(a, b)
    if (a < 0) != (b < 0):
        r = r + (b if r != 0 else r - r)  # -0 + 0 is +0
    return r


@_inline
def round_half_away(x):  # noqa: ANN001, ANN201
    t = np.trunc(x)
    d = x - t
    if d == 0.5:
        return t + 1
    if d == -0.5:
        return t - 1
    return np.rint(x)
