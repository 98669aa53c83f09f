"""A pool of large output buffers, reused once nothing refers to them any more.

On the benchmark machine, touching a fresh 40 MB array for the first time cost 30 ms of page
faults — more than the fused kernel that fills it. Buffers above a size are therefore cut
from pooled slabs: a slab is free again when no array made from it is alive, which its
reference count shows. Arrays handed out are views of a slab, so tracegrad's copy-on-write
never writes into one that something else still reads.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import Any

import numpy as np

MIN_BYTES = 1 << 16  # smaller arrays come from malloc, which is fast for them
MAX_PER_SIZE = 4  # slabs kept per size

_SLABS: dict[int, list[np.ndarray]] = {}
_LOCK = threading.Lock()


def empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Like ``np.empty``, reusing a free pooled slab for large arrays."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize  # np.prod costs microseconds per call
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    with _LOCK:  # finding a free slab and taking it (the view references it) is one step
        slabs = _SLABS.setdefault(nbytes, [])
        for slab in slabs:
            # references: the list, the loop variable and getrefcount's own argument
            if sys.getrefcount(slab) == 3:
                return slab.view(dtype).reshape(shape)
        slab = np.empty(nbytes, np.uint8)
        if len(slabs) < MAX_PER_SIZE:
            slabs.append(slab)
        return slab.view(dtype).reshape(shape)
