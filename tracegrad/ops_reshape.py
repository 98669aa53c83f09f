"""MXNet's ``Reshape`` shape codes, in the one helper that ``nd.reshape``, ``NDArray.reshape``
and ``nd.reshape_like`` use.

The codes (MXNet 1.x, ``Reshape``'s documentation), read left to right while a cursor walks
the input's dimensions:

* ``0`` copies the input dimension at the cursor;
* ``-1`` infers the dimension from the remaining size (at most one); it consumes one input
  dimension, like a positive size does;
* ``-2`` copies all the remaining input dimensions;
* ``-3`` merges the two input dimensions at the cursor into their product;
* ``-4, d1, d2`` splits the input dimension at the cursor into ``d1 * d2`` (either may be -1).

With ``reverse=True`` the input shape and the codes are both read right to left (the result
is reversed back), so ``0`` copies from the right: ``(10, 5, 4)`` reshaped with ``(-1, 0)``
is ``(40, 5)``, with ``reverse=True`` ``(50, 4)``.

As in MXNet, the inferred size is written at the position of the ``-1`` among the codes, which
is its position in the result unless a ``-2``, ``-3`` or ``-4`` before it changed the count:
``(2, 3, 4)`` with ``(-4, 2, 1, -1, 1, 1)`` is ``(2, 1, 1, 12, 1)``. Where that makes the
sizes disagree (``(-2, -1)``) MXNet fails or crashes; here it is a ValueError.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def _prod(dims: Sequence[int]) -> int:
    return int(np.prod(dims, dtype=np.int64))


def infer_reshape(old: Sequence[int], spec: Sequence[int], reverse: bool = False) -> tuple:
    """The shape ``spec`` (with MXNet's codes) asks for, given the input shape ``old``.

    Raises ValueError, naming both shapes, when the codes do not fit the input or the sizes
    do not match.
    """
    src = list(old)[::-1] if reverse else list(old)
    codes = list(spec)[::-1] if reverse else list(spec)
    shown = f"{tuple(spec)}" + (" (reverse=True)" if reverse else "")

    def bad(why: str) -> ValueError:
        return ValueError(f"reshape: cannot reshape an array of shape {tuple(old)} into "
                          f"{shown}: {why}")

    out: list[int] = []
    i = 0  # the cursor in the input's dimensions
    infer_at = None
    k = 0
    while k < len(codes):
        s = codes[k]
        if s == 0:
            if i >= len(src):
                raise bad("code 0 has no input dimension left to copy")
            out.append(src[i])
            i += 1
        elif s == -1:
            if infer_at is not None:
                raise bad("only one -1 is allowed (one dimension can be inferred)")
            infer_at = k  # MXNet's position: the code's index, not the output's (see above)
            out.append(1)
            i += 1
        elif s == -2:
            out.extend(src[i:])
            i = len(src)
        elif s == -3:
            if i + 1 >= len(src):
                raise bad("code -3 needs two input dimensions to merge")
            out.append(src[i] * src[i + 1])
            i += 2
        elif s == -4:
            if k + 2 >= len(codes):
                raise bad("code -4 must be followed by the two sizes to split into")
            if i >= len(src):
                raise bad("code -4 has no input dimension left to split")
            d0, d1, d2 = src[i], codes[k + 1], codes[k + 2]
            i += 1
            k += 2
            if d1 == -1 and d2 == -1:
                raise bad("the two sizes of a -4 split cannot both be -1")
            if d1 == -1:
                d1 = d0 // d2 if d2 else 0
            if d2 == -1:
                d2 = d0 // d1 if d1 else 0
            if d1 < 0 or d2 < 0 or d1 * d2 != d0:
                raise bad(f"split sizes {d1}, {d2} do not divide the dimension {d0}")
            out += [d1, d2]
        elif s > 0:
            out.append(int(s))
            i += 1
        else:
            raise bad(f"unknown code {s} (MXNet's codes are 0, -1, -2, -3, -4)")
        k += 1
    total = _prod(old)
    if infer_at is not None:
        if infer_at >= len(out):
            raise bad("the dimension to infer (-1) falls outside the result")
        rest = _prod(out)
        if rest == 0 or total % rest:
            raise bad(f"{total} elements cannot be split so (the other sizes give {rest})")
        out[infer_at] = total // rest
    if _prod(out) != total:
        raise bad(f"the result would have {_prod(out)} elements, the input has {total}")
    return tuple(out[::-1] if reverse else out)
