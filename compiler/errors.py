"""Exception classes. tracegrad re-exports them; they all derive from TracegradError.

They live in ``compiler`` so that the compiler can raise them without importing tracegrad.
"""

from __future__ import annotations


class TracegradError(Exception):
    """Base class of every error tracegrad raises on purpose."""


class ConcretizationError(TracegradError):
    """A traced (symbolic) value was asked for its concrete data.

    ``jit`` catches it and runs the function eagerly instead; in strict mode it reaches the
    user, naming the line that needed the value.
    """

    def __init__(self, message: str, source: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.source = source
        self.reason = reason


class TracerLeakError(TracegradError):
    """A traced value escaped the function being traced and was used after tracing ended."""


class GraphCheckError(TracegradError):
    """The IR is malformed (a compiler bug, found by check_graph)."""


class SettingsError(TracegradError, ValueError):
    """A setting (a ``TRACEGRAD_*`` variable or ``tracegrad.config`` attribute) has a value
    it does not accept."""


class CompilerError(TracegradError, RuntimeError):
    """The compiler failed on a graph (a tracegrad bug). Raised in strict mode only; otherwise
    the graph runs on the interpreter and a :class:`CompilerWarning` says so."""


class CompilerWarning(UserWarning):
    """The compiler failed on a graph (a tracegrad bug); it runs on the interpreter instead,
    with the same results, more slowly."""


BUG_REPORT = ("This is a tracegrad bug: please report it with the output of "
              "`python -m tracegrad info` and the function that triggered it.")
