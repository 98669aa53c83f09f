"""NDArray methods of MXNet that are not operators: ``slice_assign``,
``slice_assign_scalar``, ``tostype``, ``writable``, ``_fresh_grad``, ``as_nd_ndarray``,
``as_np_ndarray``, and ``all``/``any``, which NumPy's ``np.all(x)``/``np.any(x)`` call
(attached to NDArray by :mod:`tracegrad.nd`)."""

from __future__ import annotations

import builtins
from typing import Any

from tracegrad.ndarray import NDArray


def _key(begin: Any, end: Any, step: Any) -> tuple:
    begin, end = tuple(begin), tuple(end)
    step = tuple(step) if step else (None,) * len(begin)
    if not len(begin) == len(end) == len(step):
        raise ValueError(f"slice_assign: begin {begin}, end {end} and step {step} must have the "
                         "same length")
    return tuple(builtins.slice(b, e, s) for b, e, s in zip(begin, end, step))


def slice_assign(self: NDArray, rhs: Any, begin: Any, end: Any, step: Any) -> NDArray:
    """Write ``rhs`` into ``self[begin:end:step]`` (per axis) in place; returns self.

    Examples
    --------
    >>> from tracegrad import nd
    >>> x = nd.zeros((2, 3))
    >>> x.slice_assign(nd.ones((2, 2)), (0, 1), (2, 3), (None, None)).asnumpy().tolist()
    [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    """
    self[_key(begin, end, step)] = rhs
    return self


def slice_assign_scalar(self: NDArray, value: float, begin: Any, end: Any,
                        step: Any) -> NDArray:
    """Fill ``self[begin:end:step]`` (per axis) with ``value`` in place; returns self."""
    self[_key(begin, end, step)] = float(value)
    return self


def tostype(self: NDArray, stype: str) -> NDArray:
    """A copy in storage type ``stype``; tracegrad has dense ('default') storage only."""
    if stype != "default":
        raise NotImplementedError(f"tostype({stype!r}): tracegrad has no sparse storage; "
                                  "only 'default' (dense) arrays exist")
    return self.copy()


def as_nd_ndarray(self: NDArray) -> NDArray:
    """The array itself (it is a classic nd array)."""
    return self


def as_np_ndarray(self: NDArray) -> NDArray:
    raise NotImplementedError("as_np_ndarray: tracegrad implements MXNet's nd API, not "
                              "mxnet.numpy; use asnumpy() for a NumPy array")


def _writable(self: NDArray) -> bool:
    """Whether the array can be written to (always: writes copy a shared buffer first)."""
    return True


writable = property(_writable)


def _get_fresh_grad(self: NDArray) -> int:
    """1 when ``backward()`` wrote this variable's gradient since it was attached or the flag
    was last cleared (``x._fresh_grad = False``, as gluon's Trainer does after a step), else
    0; 0 for an array that is not a variable. MXNet's NDArray._fresh_grad."""
    from tracegrad.autograd import FRESH_GRADS

    return int(FRESH_GRADS.get(id(self)) is self)


def _set_fresh_grad(self: NDArray, state: Any) -> None:
    from tracegrad.autograd import FRESH_GRADS
    from tracegrad.errors import NotInGraphError
    from tracegrad.tape import VarNode

    if type(self._node) is not VarNode:
        raise NotInGraphError("_fresh_grad: this NDArray has not been marked as a variable "
                              "(attach_grad) and does not have gradient state")
    if state:
        FRESH_GRADS[id(self)] = self
    elif FRESH_GRADS.get(id(self)) is self:
        del FRESH_GRADS[id(self)]


_fresh_grad = property(_get_fresh_grad, _set_fresh_grad)


def _truth(name: str, reduce: str) -> Any:
    def method(self: NDArray, axis: Any = None, out: Any = None, keepdims: bool = False,
               **_: Any) -> NDArray:
        from tracegrad import ops

        return getattr(ops, reduce)(self != 0, axis=axis, keepdims=keepdims, out=out)

    method.__name__ = name
    method.__doc__ = (f"1 where {'every' if name == 'all' else 'some'} element along ``axis`` "
                      "is nonzero, else 0, in the array's dtype: what ``np.{name}(x)`` "
                      "returns for an MXNet NDArray (an NDArray, [0.] or [1.] for the whole "
                      "array).").replace("{name}", name)
    return method

METHODS = {"slice_assign": slice_assign, "slice_assign_scalar": slice_assign_scalar,
           "tostype": tostype, "as_nd_ndarray": as_nd_ndarray, "as_np_ndarray": as_np_ndarray,
           "writable": writable, "_fresh_grad": _fresh_grad, "all": _truth("all", "min"),
           "any": _truth("any", "max")}
