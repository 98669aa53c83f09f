"""How generated kernels meet the target: the vector width their loops prefer per CPU, and
the float16 arrays numba's CPU target cannot take (:func:`call_adapter`).

LLVM's tuning for most AVX-512 Intel CPUs prefers 256-bit vectors (``prefer-256-bit``), so
their kernels vectorise at half the width the CPU has. Whether 512-bit vectors pay off was
measured per CPU on the fused kernels (docs/performance.md, "Intel and AMD"); where they do,
the kernel source calls ``prefer_vector_width(512)`` (a vmath intrinsic that sets LLVM's
``"prefer-vector-width"`` attribute on the kernel's functions only: the rest of the process,
including the user's own numba code, keeps numba's target). The call is part of the
generated source, so the choice is part of the kernel's cache key.

The CPU is the one numba compiles for: ``NUMBA_CPU_NAME`` (and ``NUMBA_CPU_FEATURES``) when
set (numba's own variables), else LLVM's name and features for the host. Reading them loads
llvmlite's LLVM library, not numba.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import numpy as np

# CPU name (LLVM's) -> preferred vector width in bits, where it differs from LLVM's tuning
# and the difference was measured to pay off. CPUs not listed keep LLVM's choice: 256 bits
# on AVX2 CPUs (all they have), 512 on znver4/znver5 (LLVM's tuning already prefers it),
# 256 on skylake-avx512/cascadelake/icelake (not measured here; these cores lower their
# clock for 512-bit instructions, which LLVM's preference accounts for).
PREFERRED_WIDTH: dict[str, int] = {
    "sapphirerapids": 512,
    "emeraldrapids": 512,
    "graniterapids": 512,
    "graniterapids-d": 512,
}
# Host CPU features that identify those cores whatever name LLVM gives them: under
# virtualisation the CPUID model can be another one (the Emerald Rapids Xeon these choices
# were measured on is "rocketlake" to LLVM). AVX512-FP16 exists on Sapphire Rapids and later
# Intel server cores only.
PREFER_512_FEATURES = ("+avx512fp16",)


@functools.lru_cache(maxsize=None)
def _cpu(name_variable: str, features_variable: str | None) -> tuple[str, str]:
    """(name, features) numba compiles for, from NUMBA_CPU_NAME / NUMBA_CPU_FEATURES."""
    name = name_variable.strip()
    if name and name != "host":  # a named CPU: its own features unless some are given
        return name, features_variable or ""
    from llvmlite import binding

    # (numba too reads an empty NUMBA_CPU_FEATURES as unset)
    features = features_variable or binding.get_host_cpu_features().flatten()
    return str(binding.get_host_cpu_name()), features


def _target() -> tuple[str, str]:
    return _cpu(os.environ.get("NUMBA_CPU_NAME", ""), os.environ.get("NUMBA_CPU_FEATURES"))


def cpu_name() -> str:
    """The CPU numba compiles for (see the module docstring)."""
    return _target()[0]


def preferred_vector_width() -> int | None:
    """The vector width (bits) generated kernels ask for on this CPU, or None for LLVM's
    default."""
    name, features = _target()
    if name in PREFERRED_WIDTH:
        return PREFERRED_WIDTH[name] or None  # 0: LLVM's choice
    if any(f in features.split(",") for f in PREFER_512_FEATURES):
        return 512
    return None


def call_adapter(fn: Callable, arrays: list[tuple[str, int]]) -> Callable:
    """``fn`` (a compiled kernel), or, if it takes arrays as uint16 bits (float16 arrays: see
    ``codegen.kernel_arguments``), a function that passes those arguments as uint16 views
    (a view of a uint16 array is the array itself). ``arrays`` are the kernel's (dtype, ndim)
    array arguments, first in its argument list."""
    views = [i for i, (dt, _) in enumerate(arrays) if dt == "uint16"]
    if not views:
        return fn
    u16 = np.dtype(np.uint16)

    def call(*args: Any) -> Any:
        args_ = list(args)
        for i in views:
            args_[i] = args_[i].view(u16)
        return fn(*args_)

    return call
