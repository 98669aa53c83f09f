"""The numba-CPU lowering table: which primitives this backend fuses, and how."""

from __future__ import annotations

from ...ir import Eqn

_FUSED_MOVEMENT = ("broadcast_to", "reshape")
_REDUCTIONS = ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod")


def can_fuse(e: Eqn) -> bool:
    """Whether a loop body of this backend can compute ``e`` (fusion asks)."""
    if e.prim.kind == "elementwise":
        return e.prim.scalar is not None
    return e.prim.name in _REDUCTIONS or e.prim.name in _FUSED_MOVEMENT
