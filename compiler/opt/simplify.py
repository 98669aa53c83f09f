"""Algebraic simplification: a table of small local rules, each keeping results identical.

NaN/Inf semantics: ``x*1``, ``x/1``, ``x-0``, ``x+0`` and ``neg(neg(x))`` are removed (``x+0``
can only turn a -0.0 result into +0.0). ``x*0`` is *not* folded to 0: it is NaN for x = NaN
or ±Inf. ``x+x`` becomes ``x*2`` and ``(x*a)*b`` becomes ``x*(a*b)`` only for powers of two
a, b >= 1, where both are exact. ``sum(broadcast_to(x))`` back to x's shape becomes
``x*copies``, equal up to the rounding of the sum. Each rule's docstring gives its argument.

:data:`RULES` is the table: each :class:`~.rule.Rule` names the primitives it is for (or all
elementwise ones). ``simplify`` runs the rules, in table order, on each equation, choosing by
the equation's primitive *at that moment*: a rule that turns the equation into another
primitive (``x**2`` into ``x*x``) hands it on to the later rules of that primitive. How a rule
answers (rewrite in place, replace, or keep and stop) is described in :mod:`.rule`.
"""

from __future__ import annotations

from typing import Sequence

from ..ir import Eqn, Graph
from .rewrite import Rewriter
from .rule import Context, Rule
from .rules_algebra import (
    add_self,
    add_zero,
    cube_as_mul,
    div_by_one,
    literal_last,
    matmul_by_scalar,
    merge_exact_scales,
    mul_by_one,
    neg_neg,
    pow_one,
    square_as_mul,
)
from .rules_layout import (
    hoist_broadcast,
    reshape_of_broadcast,
    reshape_of_reshape,
    same_shape,
    scalars_inline,
    sink_transpose,
    sum_of_broadcast,
    transpose_of_transpose,
    unbroadcast_sum_reshape,
)

RULES: tuple[Rule, ...] = (
    # every elementwise equation first: its operands in their simplest form
    scalars_inline,       # elementwise
    hoist_broadcast,      # elementwise -> broadcast_to
    # identities and rewrites of one primitive
    mul_by_one,           # mul
    div_by_one,           # div
    add_zero,             # add, sub
    pow_one,              # pow
    square_as_mul,        # pow -> mul
    cube_as_mul,          # pow -> mul
    neg_neg,              # neg
    same_shape,           # reshape, broadcast_to
    reshape_of_broadcast,  # reshape -> broadcast_to
    sink_transpose,       # transpose
    transpose_of_transpose,  # transpose
    matmul_by_scalar,     # matmul -> mul
    sum_of_broadcast,     # reduce_sum -> mul (before the reshape that becomes a reduce_sum)
    unbroadcast_sum_reshape,  # reshape -> reduce_sum
    reshape_of_reshape,   # reshape (after unbroadcast_sum_reshape has looked at the input)
    # canonical forms, also of the products made above
    add_self,             # add -> mul
    merge_exact_scales,   # mul
    literal_last,         # mul
)

RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}


def apply_rules(cx: Context, e: Eqn, rules: Sequence[Rule]) -> bool:
    """Run ``rules`` in order on ``e``; True when ``e`` is gone. A kept equation is recorded
    as the producer of its outputs unless a rule stopped the chain by answering False."""
    for r in rules:
        if r.applies(e):
            done = r(cx, e)
            if done is not None:
                return done
    cx.record(e)
    return False


def simplify(graph: Graph, rules: Sequence[Rule] = RULES) -> Graph:
    """Local algebraic rewrites; each keeps results identical (see the module doc).
    ``rules`` (the whole table by default) can be a subset, e.g. one rule to test it alone."""
    rw = Rewriter(graph)
    cx = Context(graph, rw)
    return rw.run(lambda _, e: apply_rules(cx, e, rules))
