"""Nested containers of arrays (tuples, lists, dicts) flattened to a list of leaves.

The tree definition is hashable, so it can be part of a jit cache key.
"""

from __future__ import annotations

from typing import Any, Callable

TreeDef = Any  # nested tuples describing the structure; hashable


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, TreeDef]:
    leaves: list = []

    def walk(x: Any) -> TreeDef:
        if is_leaf is not None and is_leaf(x):
            leaves.append(x)
            return "*"
        if isinstance(x, (tuple, list)):
            return (type(x).__name__, tuple(walk(v) for v in x))
        if isinstance(x, dict):
            keys = sorted(x)
            return ("dict", tuple(keys), tuple(walk(x[k]) for k in keys))
        if x is None:
            return "None"
        leaves.append(x)
        return "*"

    return leaves, walk(tree)


def unflatten(treedef: TreeDef, leaves: list) -> Any:
    it = iter(leaves)

    def build(d: TreeDef) -> Any:
        if d == "*":
            return next(it)
        if d == "None":
            return None
        if d[0] == "dict":
            return {k: build(v) for k, v in zip(d[1], d[2])}
        items = [build(v) for v in d[1]]
        return tuple(items) if d[0] == "tuple" else items

    return build(treedef)
