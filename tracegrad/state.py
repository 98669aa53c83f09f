"""The autograd recording and training flags, kept per thread and per asyncio task.

A ``contextvars.ContextVar`` holds a ``(recording, training)`` pair, so two threads can each
record their own graph without seeing the other's state.
"""

from __future__ import annotations

from contextvars import ContextVar

# (recording, training). Read on every eager op, so it is one lookup of one tuple.
FLAGS: ContextVar[tuple[bool, bool]] = ContextVar("tracegrad_autograd", default=(False, False))


def is_recording() -> bool:
    """Whether operations are being recorded for backward (inside ``autograd.record()``)."""
    return FLAGS.get()[0]


def is_training() -> bool:
    """Whether layers such as Dropout behave as in training."""
    return FLAGS.get()[1]


def set_recording(is_recording: bool) -> bool:
    """Turn recording on or off; returns the previous value."""
    rec, train = FLAGS.get()
    FLAGS.set((bool(is_recording), train))
    return rec


def set_training(train_mode: bool) -> bool:
    """Turn training mode on or off; returns the previous value."""
    rec, train = FLAGS.get()
    FLAGS.set((rec, bool(train_mode)))
    return train


class _Scope:
    """Context manager that sets the flags on entry and restores them on exit."""

    def __init__(self, recording: bool | None, training: bool | None) -> None:
        self._want = (recording, training)
        self._saved: tuple[bool, bool] | None = None

    def __enter__(self) -> _Scope:
        self._saved = FLAGS.get()
        rec, train = self._saved
        want_rec, want_train = self._want
        FLAGS.set((rec if want_rec is None else want_rec,
                   train if want_train is None else want_train))
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._saved is not None
        FLAGS.set(self._saved)


def record(train_mode: bool = True) -> _Scope:
    """Record operations for ``backward`` inside the ``with`` block.

    Examples
    --------
    >>> from tracegrad import autograd, nd
    >>> x = nd.array([1.0, 2.0]); x.attach_grad()
    >>> with autograd.record():
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad.asnumpy().tolist()
    [2.0, 4.0]
    """
    return _Scope(True, train_mode)


def pause(train_mode: bool = False) -> _Scope:
    """Stop recording inside the ``with`` block (e.g. for metrics inside a training step).

    >>> from tracegrad import autograd
    >>> with autograd.record():
    ...     with autograd.pause():
    ...         autograd.is_recording()
    False
    """
    return _Scope(False, train_mode)


def train_mode() -> _Scope:
    """Training behaviour (e.g. Dropout active) inside the block, recording unchanged."""
    return _Scope(None, True)


def predict_mode() -> _Scope:
    """Inference behaviour (e.g. Dropout is identity) inside the block, recording unchanged."""
    return _Scope(None, False)
