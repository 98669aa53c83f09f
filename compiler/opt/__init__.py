"""Graph passes: each is a function from a graph to an equivalent graph."""

from .passes import check_graph, cse, dce, fold_constants, optimize, same_results, simplify

__all__ = ["check_graph", "cse", "dce", "fold_constants", "optimize", "same_results", "simplify"]
