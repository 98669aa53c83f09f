"""MXNet 1.9's LAMB update phases and the multi-tensor optimizer operators
(``multi_sgd_update`` and friends, ``multi_sum_sq``, ``multi_lars``, ``all_finite``,
``reset_arrays``). Conventions as in :mod:`tracegrad.optimizer_ops`: state arrays are updated
in place, the new weights are returned (or written into ``out``), hyper-parameters are float32
values, nothing is recorded by autograd.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.ndarray import NDArray, _user_line, _wrap
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.optimizer_ops import (
    _clip,
    _data,
    _p,
    _result,
    _set,
    mp_sgd_mom_update,
    mp_sgd_update,
    sgd_mom_update,
    sgd_update,
)


def _lamb1(w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, beta1: float,
           beta2: float, epsilon: float, t: int, bias_correction: bool, wd: float,
           rescale_grad: float, clip_gradient: float,
           dt: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = _clip(_p(rescale_grad, dt) * g, clip_gradient, dt)
    b1, b2 = _p(beta1, dt), _p(beta2, dt)
    new_m = b1 * m + (1 - b1) * g
    new_v = b2 * v + (1 - b2) * g * g
    mh, vh = new_m, new_v
    if bias_correction:
        mh = new_m / (1 - b1 ** int(t))
        vh = new_v / (1 - b2 ** int(t))
    return new_m, new_v, mh / (np.sqrt(vh) + _p(epsilon, dt)) + _p(wd, dt) * w


def lamb_update_phase1(weight: NDArray, grad: NDArray, mean: NDArray, var: NDArray, t: int,
                       wd: float, beta1: float = 0.9, beta2: float = 0.999,
                       epsilon: float = 1e-6, bias_correction: bool = True,
                       rescale_grad: float = 1.0, clip_gradient: float = -1.0, out: Any = None,
                       **kwargs: Any) -> NDArray:
    """LAMB's first phase: updates mean and var (Adam's moments, bias-corrected when
    ``bias_correction``) and returns the step direction g = mean / (sqrt(var) + epsilon) +
    wd * weight."""
    reject_unknown("nd.lamb_update_phase1", kwargs)
    w, g, m, v = _data("nd.lamb_update_phase1", {"weight": weight, "grad": grad, "mean": mean,
                                                 "var": var})
    new_m, new_v, step = _lamb1(w, g, m, v, beta1, beta2, epsilon, t, bias_correction, wd,
                                rescale_grad, clip_gradient, w.dtype)
    _set("nd.lamb_update_phase1", mean, new_m)
    _set("nd.lamb_update_phase1", var, new_v)
    return _result("nd.lamb_update_phase1", step, w.dtype, out)


def _lamb2(w: np.ndarray, g: np.ndarray, r1: NDArray, r2: NDArray, lr: float,
           lower_bound: float, upper_bound: float, dt: Any) -> np.ndarray:
    for r in (r1, r2):
        r._traced_conversion("nd.lamb_update_phase2")
    a = np.asarray(r1._data, dtype=dt).reshape(-1)[0]
    b = np.asarray(r2._data, dtype=dt).reshape(-1)[0]
    if lower_bound >= 0:
        a = max(a, _p(lower_bound, dt))
    if upper_bound >= 0:
        a = min(a, _p(upper_bound, dt))
    lr_ = _p(lr, dt)
    if a != 0 and b != 0:
        lr_ = lr_ * (a / b)
    return w - lr_ * g


def lamb_update_phase2(weight: NDArray, g: NDArray, r1: NDArray, r2: NDArray, lr: float,
                       lower_bound: float = -1.0, upper_bound: float = -1.0, out: Any = None,
                       **kwargs: Any) -> NDArray:
    """LAMB's second phase: weight -= lr * (r1 / r2) * g, where r1 (the weight's norm,
    clipped to [lower_bound, upper_bound] when those are >= 0) and r2 (the norm of g) are
    one-element arrays; lr alone when either is 0."""
    reject_unknown("nd.lamb_update_phase2", kwargs)
    w, gd = _data("nd.lamb_update_phase2", {"weight": weight, "g": g})
    return _result("nd.lamb_update_phase2",
                   _lamb2(w, gd, r1, r2, lr, lower_bound, upper_bound, w.dtype), w.dtype, out)


def mp_lamb_update_phase1(weight: NDArray, grad: NDArray, mean: NDArray, var: NDArray,
                          weight32: NDArray, t: int, wd: float, beta1: float = 0.9,
                          beta2: float = 0.999, epsilon: float = 1e-6,
                          bias_correction: bool = True, rescale_grad: float = 1.0,
                          clip_gradient: float = -1.0, out: Any = None,
                          **kwargs: Any) -> NDArray:
    """lamb_update_phase1 in float32 on the master weights ``weight32``; returns float32."""
    reject_unknown("nd.mp_lamb_update_phase1", kwargs)
    w, g, m, v, w32 = _data("nd.mp_lamb_update_phase1",
                            {"weight": weight, "grad": grad, "mean": mean, "var": var,
                             "weight32": weight32},
                            {"mean": np.float32, "var": np.float32, "weight32": np.float32})
    new_m, new_v, step = _lamb1(w32, g.astype(np.float32), m, v, beta1, beta2, epsilon, t,
                                bias_correction, wd, rescale_grad, clip_gradient, np.float32)
    _set("nd.mp_lamb_update_phase1", mean, new_m)
    _set("nd.mp_lamb_update_phase1", var, new_v)
    return _result("nd.mp_lamb_update_phase1", step, np.float32, out)


def mp_lamb_update_phase2(weight: NDArray, g: NDArray, r1: NDArray, r2: NDArray,
                          weight32: NDArray, lr: float, lower_bound: float = -1.0,
                          upper_bound: float = -1.0, out: Any = None, **kwargs: Any) -> NDArray:
    """lamb_update_phase2 from the float32 master weights: returns
    weight32 - lr * (r1 / r2) * g in the weight's dtype. As in MXNet 1.9, ``weight32`` itself
    is *not* updated (the caller copies the result back, e.g. ``weight32[:] = out``, to keep
    a master copy)."""
    reject_unknown("nd.mp_lamb_update_phase2", kwargs)
    w, gd, w32 = _data("nd.mp_lamb_update_phase2", {"weight": weight, "g": g,
                                                    "weight32": weight32},
                       {"g": np.float32, "weight32": np.float32})
    new = _lamb2(w32, gd, r1, r2, lr, lower_bound, upper_bound, np.float32)
    return _result("nd.mp_lamb_update_phase2", new, w.dtype, out)


def _groups(op: str, data: tuple, size: int, num_weights: int) -> list[tuple]:
    if len(data) != size * num_weights:
        raise ValueError(f"{op}: num_weights={num_weights} needs {size * num_weights} arrays "
                         f"(groups of {size}), got {len(data)} (at {_user_line()})")
    return [tuple(data[i:i + size]) for i in range(0, len(data), size)]


def _scalars(op: str, name: str, values: Any, n: int) -> list[float]:
    if isinstance(values, NDArray):
        values = values.asnumpy().reshape(-1).tolist()
    values = [float(v) for v in values]
    if len(values) != n:
        raise ValueError(f"{op}: {name} has {len(values)} values for {n} weights")
    return values


def _multi(op: str, single: Any, size: int, data: tuple, lrs: Any, wds: Any, num_weights: int,
           out: Any, preloaded: bool, **params: Any) -> list[NDArray]:
    if preloaded:
        if len(data) < 2:
            raise ValueError(f"{op}: the learning rates and weight decays come last in data")
        data, (lrs, wds) = data[:-2], data[-2:]
    groups = _groups(op, data, size, num_weights)
    lrs, wds = _scalars(op, "lrs", lrs, num_weights), _scalars(op, "wds", wds, num_weights)
    outs = list(out) if isinstance(out, (list, tuple)) else [None] * num_weights if out is None \
        else [out]
    if len(outs) != num_weights:
        raise ValueError(f"{op}: out must be a list of {num_weights} arrays")
    return [single(*group, lr=lr, wd=wd, out=o, **params)
            for group, lr, wd, o in zip(groups, lrs, wds, outs)]


def _multi_op(name: str, single: Any, size: int, preloaded: bool, momentum: bool) -> Any:
    what = ("weight, grad" + (", mom" if momentum else "") +
            (", weight32" if "mp_" in name else ""))

    def op(*data: Any, lrs: Any = None, wds: Any = None, rescale_grad: float = 1.0,
           clip_gradient: float = -1.0, num_weights: int = 1, out: Any = None,
           **kwargs: Any) -> list[NDArray]:
        allowed = ("name", "momentum") if momentum else ("name",)
        reject_unknown(f"nd.{name}", kwargs, allowed)
        params = {"momentum": kwargs["momentum"]} if "momentum" in kwargs else {}
        if not preloaded and (lrs is None or wds is None):
            raise TypeError(f"nd.{name}: lrs and wds (one per weight) are required")
        return _multi(f"nd.{name}", single, size, data, lrs, wds, num_weights, out, preloaded,
                      rescale_grad=rescale_grad, clip_gradient=clip_gradient, **params)

    op.__name__ = op.__qualname__ = name
    source = "the last two arrays of data (NDArrays)" if preloaded else "lrs and wds"
    op.__doc__ = (f"``{single.__name__}`` for ``num_weights`` groups ({what}) at once, with "
                  f"one learning rate and weight decay per weight from {source}; returns the "
                  "list of new weights (written into the list ``out`` when given).")
    return op


multi_sgd_update = _multi_op("multi_sgd_update", sgd_update, 2, False, False)
multi_sgd_mom_update = _multi_op("multi_sgd_mom_update", sgd_mom_update, 3, False, True)
multi_mp_sgd_update = _multi_op("multi_mp_sgd_update", mp_sgd_update, 3, False, False)
multi_mp_sgd_mom_update = _multi_op("multi_mp_sgd_mom_update", mp_sgd_mom_update, 4, False,
                                    True)
preloaded_multi_sgd_update = _multi_op("preloaded_multi_sgd_update", sgd_update, 2, True,
                                       False)
preloaded_multi_sgd_mom_update = _multi_op("preloaded_multi_sgd_mom_update", sgd_mom_update, 3,
                                           True, True)
preloaded_multi_mp_sgd_update = _multi_op("preloaded_multi_mp_sgd_update", mp_sgd_update, 3,
                                          True, False)
preloaded_multi_mp_sgd_mom_update = _multi_op("preloaded_multi_mp_sgd_mom_update",
                                              mp_sgd_mom_update, 4, True, True)


def _count(op: str, data: tuple, num_arrays: int | None) -> None:
    if num_arrays is not None and num_arrays != len(data):
        raise ValueError(f"{op}: num_arrays={num_arrays} but {len(data)} arrays were given")
    for a in data:
        if not isinstance(a, NDArray):
            raise TypeError(f"{op}: the arrays must be NDArrays, got {type(a).__name__}")
        a._traced_conversion(op)


def _finite_flag(op: str, data: tuple, init_output: bool, out: Any) -> NDArray:
    finite = all(bool(np.isfinite(a._data).all()) for a in data)
    if not init_output and out is not None:  # MXNet only ever writes a 0 then
        if not finite:
            write_out(op, _wrap(np.zeros(1, dtype=np.float32)), out)
        return out
    return write_out(op, _wrap(np.array([1.0 if finite else 0.0], dtype=np.float32)), out)


def all_finite(data: NDArray, init_output: bool = True, out: Any = None,
               **kwargs: Any) -> NDArray:
    """[1.0] (float32) when every element is finite, else [0.0] (for mixed precision).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.all_finite(nd.array([1.0, float("inf")])).asnumpy().tolist()
    [0.0]
    """
    reject_unknown("nd.all_finite", kwargs)
    _count("nd.all_finite", (data,), None)
    return _finite_flag("nd.all_finite", (data,), init_output, out)


def multi_all_finite(*data: NDArray, num_arrays: int = 1, init_output: bool = True,
                     out: Any = None, **kwargs: Any) -> NDArray:
    """[1.0] when every element of every array is finite, else [0.0]."""
    reject_unknown("nd.multi_all_finite", kwargs)
    _count("nd.multi_all_finite", data, num_arrays)
    return _finite_flag("nd.multi_all_finite", data, init_output, out)


def multi_sum_sq(*data: NDArray, num_arrays: int, out: Any = None, **kwargs: Any) -> NDArray:
    """The sum of squares of each array, as a float32 array of shape (num_arrays,).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.multi_sum_sq(nd.array([1, 2]), nd.array([3]), num_arrays=2).asnumpy().tolist()
    [5.0, 9.0]
    """
    reject_unknown("nd.multi_sum_sq", kwargs)
    _count("nd.multi_sum_sq", data, num_arrays)
    sums = [np.sum(np.square(a._data, dtype=np.float64)) for a in data]
    return write_out("nd.multi_sum_sq", _wrap(np.asarray(sums, dtype=np.float32)), out)


def reset_arrays(*data: NDArray, num_arrays: int, **kwargs: Any) -> list:
    """Set every array to zeros, in place (returns an empty list, as MXNet)."""
    reject_unknown("nd.reset_arrays", kwargs)
    _count("nd.reset_arrays", data, num_arrays)
    for a in data:
        _set("nd.reset_arrays", a, np.zeros(a.shape, dtype=np.dtype(a.dtype)))
    return []


def multi_lars(lrs: NDArray, weights_sum_sq: NDArray, grads_sum_sq: NDArray, wds: NDArray,
               eta: float, eps: float, rescale_grad: float = 1.0, out: Any = None,
               **kwargs: Any) -> NDArray:
    """LARS learning rates: lr * eta * norm(w) / (norm(g) * rescale_grad + wd * norm(w) + eps)
    where both sums of squares are positive, else lr."""
    reject_unknown("nd.multi_lars", kwargs)
    lr, w2, g2, wd = _data("nd.multi_lars", {"lrs": lrs, "weights_sum_sq": weights_sum_sq,
                                             "grads_sum_sq": grads_sum_sq, "wds": wds})
    dt = lr.dtype
    wn, gn = np.sqrt(w2), np.sqrt(g2)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = lr * _p(eta, dt) * wn / (gn * _p(rescale_grad, dt) + wd * wn + _p(eps, dt))
    return write_out("nd.multi_lars", _wrap(np.where((w2 > 0) & (g2 > 0), scaled, lr)), out)


__all__ = ["lamb_update_phase1", "lamb_update_phase2", "mp_lamb_update_phase1",
           "mp_lamb_update_phase2", "multi_sgd_update", "multi_sgd_mom_update",
           "multi_mp_sgd_update", "multi_mp_sgd_mom_update", "preloaded_multi_sgd_update",
           "preloaded_multi_sgd_mom_update", "preloaded_multi_mp_sgd_update",
           "preloaded_multi_mp_sgd_mom_update", "all_finite", "multi_all_finite", "multi_sum_sq",
           "reset_arrays", "multi_lars"]
