"""MXNet's output layers, whose backward pass is a fixed loss gradient rather than the
derivative of their output: ``SoftmaxOutput`` (``Softmax``), ``LinearRegressionOutput``,
``LogisticRegressionOutput``, ``MAERegressionOutput``, ``SVMOutput``, ``MakeLoss`` and
``make_loss``; and ``softmax_cross_entropy`` (an ordinary composite).

The forward value is the layer's output (softmax probabilities, the data, its sigmoid); the
gradient that reaches ``data`` is, as in MXNet, the loss gradient (``softmax - one_hot(label)``,
``(output - label) / outputs per sample``, the hinge gradient, ``grad_scale``), *not* scaled
by the head gradient: ``nd.SoftmaxOutput(x, y) * 3`` sends the same gradient to ``x`` as
``nd.SoftmaxOutput(x, y)`` (``out_grad=True`` multiplies by the head gradient). That is not a
derivative, so it is not a registered primitive (the registry checks every primitive against
finite differences): ``_LOSS_OUTPUT`` lives here, like the primitives of user
``autograd.Function``s. It traces and compiles as any ``other`` primitive.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad._compiler.core import Primitive, ShapedArray
from tracegrad.ndarray import NDArray, _user_line, apply
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd


def _loss_impl(x: Any, value: Any, grad: Any, *, head: bool) -> np.ndarray:
    return np.array(value, copy=True)


def _loss_abstract(x: Any, value: Any, grad: Any, *, head: bool) -> ShapedArray:
    return ShapedArray(tuple(value.shape), np.dtype(value.dtype))


def _loss_vjp(g: Any, out: Any, x: Any, value: Any, grad: Any, *, head: bool) -> list:
    return [g * grad if head else grad, None, None]


_LOSS_OUTPUT = Primitive(
    "loss_output", "other", _loss_impl, _loss_abstract, _loss_vjp, nondiff_argnums=(1, 2),
    doc="value, with the gradient `grad` sent to x whatever the head gradient (out_grad: "
        "multiplied by it)")


def _output(x: NDArray, value: NDArray, grad: NDArray, head: bool = False) -> NDArray:
    grad = ops.reshape(grad.astype(x.dtype, copy=False), x.shape)
    return apply(_LOSS_OUTPUT, (x, ops.stop_gradient(value), ops.stop_gradient(grad)),
                 {"head": bool(head)})


def _ones(x: NDArray) -> NDArray:
    return NDArray(np.ones(x.shape, dtype=np.dtype(x.dtype)))


def _classes(label: NDArray, k: int, dtype: Any) -> NDArray:
    """One-hot rows of the (truncated) labels over k classes; out-of-range labels give 0."""
    lab = ops.expand_dims(label.astype(np.int64), -1)
    return (lab == NDArray(np.arange(k, dtype=np.int64))).astype(dtype)


def SoftmaxOutput(data: Any = None, label: Any = None, grad_scale: float = 1.0,
                  ignore_label: float = -1.0, multi_output: bool = False,
                  use_ignore: bool = False, preserve_shape: bool = False,
                  normalization: str = "null", out_grad: bool = False,
                  smooth_alpha: float = 0.0, out: NDArray | None = None,
                  **kwargs: Any) -> NDArray:
    """Softmax probabilities; the gradient to ``data`` is ``(softmax - one_hot(label)) *
    grad_scale / normalizer``. Softmax runs over the flattened sample (n, -1), over axis 1
    (``multi_output``; labels (n, ...)) or over the last axis (``preserve_shape``; labels
    data.shape[:-1]). Labels may also be probabilities of the data's shape. ``normalization``:
    ``null`` (``multi_output`` divides by the positions per sample), ``batch`` (by the number
    of labels), ``valid`` (by the labels not equal to ``ignore_label``); ``use_ignore`` zeroes
    the gradient of ignored labels; ``smooth_alpha`` moves that much of the target to the
    other classes.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.SoftmaxOutput(nd.array([[0.0, 0.0]]), nd.array([1])).asnumpy().tolist()
    [[0.5, 0.5]]
    """
    reject_unknown("nd.SoftmaxOutput", kwargs)
    if normalization not in ("null", "batch", "valid"):
        raise ValueError(f"nd.SoftmaxOutput: normalization must be 'null', 'batch' or "
                         f"'valid', not {normalization!r}")
    x, lab = _nd(data), _nd(label)
    shape = x.shape
    if multi_output:  # (n, k, d...) -> (n * d, k)
        k = shape[1]
        rows = ops.reshape(ops.swapaxes(ops.reshape(x, (shape[0], k, -1)), 1, 2), (-1, k))
        want = (shape[0],) + shape[2:]
    elif preserve_shape:
        k, rows, want = shape[-1], ops.reshape(x, (-1, shape[-1])), shape[:-1]
    else:
        rows = ops.reshape(x, (shape[0], -1))
        k, want = rows.shape[1], (shape[0],)
    p = ops.softmax(rows, axis=-1)
    if lab.shape == shape and not multi_output:  # probabilities
        target = ops.reshape(lab, rows.shape).astype(x.dtype)
        valid = None
    elif lab.shape == want:
        flat = ops.reshape(lab, (-1,))
        target = _classes(flat, k, x.dtype)
        if smooth_alpha and not multi_output:
            a = float(smooth_alpha)
            target = target * (1.0 - a - a / (k - 1)) + a / (k - 1)
        valid = (flat != float(ignore_label)).astype(x.dtype) if use_ignore else None
    else:
        raise ValueError(f"nd.SoftmaxOutput: label shape {lab.shape} does not fit data of shape "
                         f"{shape} (expected {want}) (at {_user_line()})")
    grad = p - target
    if valid is not None:
        grad = grad * ops.expand_dims(valid, -1)
    per_sample = rows.shape[0] // shape[0] if multi_output else 1
    if normalization == "batch":
        norm: Any = float(rows.shape[0])
    elif normalization == "valid":
        count = ops.sum(valid) if valid is not None else NDArray(
            np.asarray(float(rows.shape[0]), dtype=np.dtype(x.dtype)))
        norm = ops.maximum(count, 1.0)
    else:
        norm = float(per_sample)
    grad = grad * float(grad_scale) / norm
    if multi_output:
        grad = ops.swapaxes(ops.reshape(grad, (shape[0], -1, k)), 1, 2)
        p = ops.swapaxes(ops.reshape(p, (shape[0], -1, k)), 1, 2)
    res = _output(x, ops.reshape(p, shape), grad, head=out_grad)
    return write_out("nd.SoftmaxOutput", res, out)


Softmax = SoftmaxOutput


def _regression(name: str, forward: Any, gradient: Any, doc: str) -> Any:
    def op(data: Any = None, label: Any = None, grad_scale: float = 1.0,
           out: NDArray | None = None, **kwargs: Any) -> NDArray:
        reject_unknown(f"nd.{name}", kwargs)
        x, lab = _nd(data), _nd(label)
        if lab.shape != x.shape and not (x.shape[-1:] == (1,) and lab.shape == x.shape[:-1]):
            raise ValueError(f"nd.{name}: label shape {lab.shape} does not match data shape "
                             f"{x.shape} (at {_user_line()})")
        y = forward(x)
        per_sample = x.size // x.shape[0] if x.ndim else 1
        grad = gradient(y - ops.reshape(lab, x.shape).astype(x.dtype)) * \
            (float(grad_scale) / per_sample)
        return write_out(f"nd.{name}", _output(x, y, grad), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"{doc} The gradient to ``data`` is {gradient.__doc__} times grad_scale / "
                  "(outputs per sample), whatever the head gradient.\n\nExamples\n--------\n"
                  ">>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.array([[0.0, 2.0]]), nd.array([[1.0, 1.0]])).shape\n(1, 2)")
    return op


def _diff(d: NDArray) -> NDArray:
    """(output - label)"""
    return d


def _sign(d: NDArray) -> NDArray:
    """sign(output - label)"""
    return ops.sign(d)


LinearRegressionOutput = _regression("LinearRegressionOutput", lambda x: x, _diff,
                                     "The data (least squares regression).")
LogisticRegressionOutput = _regression("LogisticRegressionOutput", ops.sigmoid, _diff,
                                       "sigmoid(data) (logistic regression).")
MAERegressionOutput = _regression("MAERegressionOutput", lambda x: x, _sign,
                                  "The data (mean absolute error regression).")


def SVMOutput(data: Any = None, label: Any = None, margin: float = 1.0,
              regularization_coefficient: float = 1.0, use_linear: bool = False,
              out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The data; the gradient to ``data`` is that of a one-vs-all hinge loss (squared unless
    ``use_linear``) with the label's class as +1 and the others as -1, times
    ``regularization_coefficient``.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.SVMOutput(nd.array([[0.5, 2.0]]), nd.array([1])).asnumpy().tolist()
    [[0.5, 2.0]]
    """
    reject_unknown("nd.SVMOutput", kwargs)
    x, lab = _nd(data), _nd(label)
    rows = ops.reshape(x, (x.shape[0], -1))
    if lab.shape != (x.shape[0],):
        raise ValueError(f"nd.SVMOutput: label shape {lab.shape} must be ({x.shape[0]},) (at "
                         f"{_user_line()})")
    hot = _classes(lab, rows.shape[1], x.dtype)
    # +1 for the label's class, -1 for the others: the margin violation m - y x
    sign = hot * 2.0 - 1.0
    active = (float(margin) > rows * sign).astype(x.dtype)
    c = float(regularization_coefficient)
    if use_linear:
        grad = -sign * active * c
    else:
        grad = -sign * active * (float(margin) - rows * sign) * (2.0 * c)
    return write_out("nd.SVMOutput", _output(x, x, grad), out)


def MakeLoss(data: Any = None, grad_scale: float = 1.0, valid_thresh: float = 0.0,
             normalization: str = "null", out: NDArray | None = None,
             **kwargs: Any) -> NDArray:
    """The data, as a loss: the gradient to ``data`` is ``grad_scale`` (divided by the batch
    size, ``normalization="batch"``, or by the number of elements above ``valid_thresh``,
    ``"valid"``), whatever the head gradient.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.MakeLoss(nd.array([1.0, 2.0])).asnumpy().tolist()
    [1.0, 2.0]
    """
    reject_unknown("nd.MakeLoss", kwargs)
    x = _nd(data)
    scale: Any = float(grad_scale)
    if normalization == "batch":
        scale = scale / float(x.shape[0])
    elif normalization == "valid":
        count = ops.sum((x > float(valid_thresh)).astype(x.dtype))
        scale = ops.broadcast_to(scale / ops.maximum(count, 1.0), x.shape)
    elif normalization != "null":
        raise ValueError(f"nd.MakeLoss: normalization must be 'null', 'batch' or 'valid', not "
                         f"{normalization!r}")
    grad = _ones(x) * scale if not isinstance(scale, NDArray) else scale
    return write_out("nd.MakeLoss", _output(x, x, grad), out)


def make_loss(data: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The data, as a loss: the gradient to ``data`` is 1, whatever the head gradient.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.make_loss(nd.array([3.0])).asnumpy().tolist()
    [3.0]
    """
    reject_unknown("nd.make_loss", kwargs)
    x = _nd(data)
    return write_out("nd.make_loss", _output(x, x, _ones(x)), out)


def softmax_cross_entropy(data: Any = None, label: Any = None, out: NDArray | None = None,
                          **kwargs: Any) -> NDArray:
    """The summed cross entropy of softmax(data) (rows of a 2-D array) and the class
    labels, shape (1,); an ordinary composite (its gradient is the derivative).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.softmax_cross_entropy(nd.array([[0.0, 0.0]]), nd.array([1])).shape
    (1,)
    """
    reject_unknown("nd.softmax_cross_entropy", kwargs)
    x, lab = _nd(data), _nd(label)
    if x.ndim != 2 or lab.shape != (x.shape[0],):
        raise ValueError(f"nd.softmax_cross_entropy: data must be 2-D and label of shape "
                         f"(n,), got {x.shape} and {lab.shape} (at {_user_line()})")
    logp = ops.log_softmax(x, axis=-1)
    res = -ops.sum(ops.sum(logp * _classes(lab, x.shape[1], x.dtype), axis=1))
    return write_out("nd.softmax_cross_entropy", ops.reshape(res, (1,)), out)


__all__ = ["SoftmaxOutput", "Softmax", "LinearRegressionOutput", "LogisticRegressionOutput",
           "MAERegressionOutput", "SVMOutput", "MakeLoss", "make_loss", "softmax_cross_entropy"]
