"""tracegrad's exceptions and warnings.

Errors that MXNet raises as ``MXNetError`` derive from ``RuntimeError`` here too, so code that
catches those keeps working; all of them derive from :class:`TracegradError`.
"""

from __future__ import annotations

from tracegrad._compiler.errors import (  # noqa: F401  (re-exported)
    CompilerError,
    CompilerWarning,
    ConcretizationError,
    GraphCheckError,
    SettingsError,
    TracegradError,
    TracerLeakError,
)


class NotInGraphError(TracegradError, RuntimeError):
    """backward/grad on an array that has no recorded graph leading to a variable."""


class GraphFreedError(NotInGraphError):
    """backward/grad through a graph that an earlier backward already freed."""


class InPlaceError(TracegradError, RuntimeError):
    """An in-place change to an array that the recorded graph still needs."""


class GradReqError(TracegradError, ValueError):
    """A misuse of ``grad_req`` (unknown value, or every variable set to 'null')."""


class HeadGradientError(TracegradError, ValueError):
    """A head gradient whose shape does not match its head."""


class StrictModeError(TracegradError, RuntimeError):
    """jit in strict mode met code it cannot trace, instead of falling back to eager."""


class FallbackWarning(UserWarning):
    """jit ran a call eagerly because the function needs concrete values (control flow)."""


class RecompileWarning(UserWarning):
    """A jitted function was traced for many different signatures (a Python int or a shape
    that changes on every call): each costs a trace, and only the latest are kept."""
