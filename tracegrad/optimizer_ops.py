"""MXNet 1.9's fused optimizer updates (``nd.sgd_update``, ``nd.adam_update``, ...).

Each takes the weight, its gradient and the optimizer's state arrays, updates the state
arrays in place, and returns the new weight — written into ``out`` when given (usually the
weight itself: ``nd.sgd_update(w, g, lr=0.1, out=w)``). The arithmetic is MXNet's, step for
step, in the weight's dtype (the ``mp_`` variants compute in float32 on the ``weight32``
master copy); the hyper-parameters are float32 values, as MXNet stores them, so float64
weights see the same learning rate ``float32(0.1)`` as in MXNet. ``clip_gradient`` (and
``clip_weights``) clip when >= 0 (0 clips everything to 0, as in MXNet's code); -1 turns it
off. ``lazy_update`` only matters for sparse gradients, which tracegrad does not have.

They are not recorded by autograd, and they need concrete arrays (inside ``jit`` they make
the function run eagerly, like any in-place write).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.ndarray import NDArray, _user_line, _wrap
from tracegrad.opargs import reject_unknown, write_out


def _data(op: str, arrays: dict[str, Any], dtypes: dict[str, Any] | None = None) -> list:
    """The NumPy data of ``arrays`` (name -> NDArray), all of the first one's shape; float
    dtypes, equal to the first one's unless ``dtypes`` names the required one."""
    first_name, first = next(iter(arrays.items()))
    out = []
    for name, a in arrays.items():
        if not isinstance(a, NDArray):
            raise TypeError(f"{op}: {name} must be an NDArray, got {type(a).__name__} (at "
                            f"{_user_line()})")
        a._traced_conversion(f"{op} (an optimizer update, in place)")
        if a.shape != first.shape:
            raise ValueError(f"{op}: {name} has shape {a.shape}, {first_name} has shape "
                             f"{first.shape} (at {_user_line()})")
        want = np.dtype((dtypes or {}).get(name, first.dtype))
        if np.dtype(a.dtype) != want or want.kind != "f":
            raise TypeError(f"{op}: {name} has dtype {np.dtype(a.dtype).name}, expected "
                            f"{want.name} (a float dtype) (at {_user_line()})")
        out.append(a._data)
    return out


def _set(op: str, state: NDArray, value: np.ndarray) -> None:
    """Write ``value`` into the state array ``state`` (in place, as MXNet does)."""
    state._check_inplace(op)
    state._own()
    np.copyto(state._data, value, casting="unsafe")


def _result(op: str, value: np.ndarray, dtype: Any, out: Any) -> NDArray:
    return write_out(op, _wrap(np.asarray(value).astype(dtype, copy=False)), out)


def _p(value: float, dtype: Any) -> Any:
    """A hyper-parameter as MXNet has it: a float32, converted to the computation's dtype."""
    return np.dtype(dtype).type(np.float32(value))


def _clip(x: np.ndarray, bound: float, dtype: Any) -> np.ndarray:
    if bound < 0:
        return x
    b = _p(bound, dtype)
    return np.minimum(np.maximum(x, -b), b)


def _rescaled(g: np.ndarray, w: np.ndarray, rescale_grad: float, wd: float,
              clip_gradient: float, dt: Any, wd_first: bool) -> np.ndarray:
    """rescale_grad * g, clipped, with wd * w added before (adam, rmsprop, ftml) or after
    (nag) the clipping."""
    g = _p(rescale_grad, dt) * g
    if wd_first:
        return _clip(g + _p(wd, dt) * w, clip_gradient, dt)
    return _clip(g, clip_gradient, dt) + _p(wd, dt) * w


def _sgd(w: np.ndarray, g: np.ndarray, lr: float, wd: float, rescale_grad: float,
         clip_gradient: float, dt: Any) -> np.ndarray:
    lr_, wd_ = _p(lr, dt), _p(wd, dt)
    if clip_gradient >= 0:
        return (1 - lr_ * wd_) * w - lr_ * _clip(_p(rescale_grad, dt) * g, clip_gradient, dt)
    return (1 - lr_ * wd_) * w - (lr_ * _p(rescale_grad, dt)) * g


def _sgd_mom(w: np.ndarray, g: np.ndarray, mom: np.ndarray, lr: float, momentum: float,
             wd: float, rescale_grad: float, clip_gradient: float, dt: Any) -> np.ndarray:
    lr_, wd_, m_ = _p(lr, dt), _p(wd, dt), _p(momentum, dt)
    if clip_gradient >= 0:
        step = lr_ * _clip(_p(rescale_grad, dt) * g, clip_gradient, dt)
    else:
        step = (lr_ * _p(rescale_grad, dt)) * g
    return m_ * mom - (lr_ * wd_) * w - step


def sgd_update(weight: NDArray, grad: NDArray, lr: float, wd: float = 0.0,
               rescale_grad: float = 1.0, clip_gradient: float = -1.0, lazy_update: bool = True,
               out: Any = None, **kwargs: Any) -> NDArray:
    """weight = (1 - lr * wd) * weight - lr * clip(rescale_grad * grad).

    Examples
    --------
    >>> from tracegrad import nd
    >>> w = nd.array([1.0, 2.0])
    >>> nd.sgd_update(w, nd.array([0.5, -3.0]), lr=0.1, out=w).asnumpy().tolist()
    [0.949999988079071, 2.299999952316284]
    """
    reject_unknown("nd.sgd_update", kwargs)
    w, g = _data("nd.sgd_update", {"weight": weight, "grad": grad})
    return _result("nd.sgd_update", _sgd(w, g, lr, wd, rescale_grad, clip_gradient, w.dtype),
                   w.dtype, out)


def sgd_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float,
                   momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, lazy_update: bool = True, out: Any = None,
                   **kwargs: Any) -> NDArray:
    """mom = momentum * mom - lr * wd * weight - lr * clip(rescale_grad * grad);
    weight += mom."""
    reject_unknown("nd.sgd_mom_update", kwargs)
    w, g, m = _data("nd.sgd_mom_update", {"weight": weight, "grad": grad, "mom": mom})
    new_m = _sgd_mom(w, g, m, lr, momentum, wd, rescale_grad, clip_gradient, w.dtype)
    _set("nd.sgd_mom_update", mom, new_m)
    return _result("nd.sgd_mom_update", w + new_m, w.dtype, out)


def mp_sgd_update(weight: NDArray, grad: NDArray, weight32: NDArray, lr: float,
                  wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                  lazy_update: bool = True, out: Any = None, **kwargs: Any) -> NDArray:
    """sgd_update on the float32 master weights ``weight32`` (updated in place); returns
    them in the weight's dtype (float16 training)."""
    reject_unknown("nd.mp_sgd_update", kwargs)
    w, g, w32 = _data("nd.mp_sgd_update", {"weight": weight, "grad": grad, "weight32": weight32},
                      {"weight32": np.float32})
    new = _sgd(w32, g.astype(np.float32), lr, wd, rescale_grad, clip_gradient, np.float32)
    _set("nd.mp_sgd_update", weight32, new)
    return _result("nd.mp_sgd_update", new, w.dtype, out)


def mp_sgd_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, weight32: NDArray,
                      lr: float, momentum: float = 0.0, wd: float = 0.0,
                      rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                      lazy_update: bool = True, out: Any = None, **kwargs: Any) -> NDArray:
    """sgd_mom_update on the float32 master weights ``weight32`` and float32 ``mom``."""
    reject_unknown("nd.mp_sgd_mom_update", kwargs)
    w, g, m, w32 = _data("nd.mp_sgd_mom_update", {"weight": weight, "grad": grad, "mom": mom,
                                                  "weight32": weight32},
                         {"mom": np.float32, "weight32": np.float32})
    new_m = _sgd_mom(w32, g.astype(np.float32), m, lr, momentum, wd, rescale_grad,
                     clip_gradient, np.float32)
    _set("nd.mp_sgd_mom_update", mom, new_m)
    _set("nd.mp_sgd_mom_update", weight32, w32 + new_m)
    return _result("nd.mp_sgd_mom_update", w32 + new_m, w.dtype, out)


def _nag(w: np.ndarray, g: np.ndarray, mom: np.ndarray, lr: float, momentum: float, wd: float,
         rescale_grad: float, clip_gradient: float, dt: Any,
         aliased: bool) -> tuple[np.ndarray, np.ndarray]:
    # MXNet's state is the (negative) velocity: mom = momentum * mom - lr * g. Its kernel
    # writes the new weight before it updates mom, so with out=weight (``aliased``) the
    # weight decay term of mom reads the *new* weight; this reproduces that.
    m_, lr_, wd_ = _p(momentum, dt), _p(lr, dt), _p(wd, dt)
    decayed = m_ * mom
    g = _clip(_p(rescale_grad, dt) * g, clip_gradient, dt)
    new_w = w - decayed + (m_ + 1) * (decayed - lr_ * (g + wd_ * w))
    return decayed - lr_ * (g + wd_ * (new_w if aliased else w)), new_w


def nag_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float,
                   momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, out: Any = None, **kwargs: Any) -> NDArray:
    """Nesterov momentum: g = clip(rescale_grad * grad) + wd * weight;
    mom = momentum * mom - lr * g; weight += momentum * mom - lr * g (with the new mom)."""
    reject_unknown("nd.nag_mom_update", kwargs)
    w, g, m = _data("nd.nag_mom_update", {"weight": weight, "grad": grad, "mom": mom})
    new_m, new_w = _nag(w, g, m, lr, momentum, wd, rescale_grad, clip_gradient, w.dtype,
                        out is weight)
    _set("nd.nag_mom_update", mom, new_m)
    return _result("nd.nag_mom_update", new_w, w.dtype, out)


def mp_nag_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, weight32: NDArray,
                      lr: float, momentum: float = 0.0, wd: float = 0.0,
                      rescale_grad: float = 1.0, clip_gradient: float = -1.0, out: Any = None,
                      **kwargs: Any) -> NDArray:
    """nag_mom_update on the float32 master weights ``weight32`` and float32 ``mom``."""
    reject_unknown("nd.mp_nag_mom_update", kwargs)
    w, g, m, w32 = _data("nd.mp_nag_mom_update", {"weight": weight, "grad": grad, "mom": mom,
                                                  "weight32": weight32},
                         {"mom": np.float32, "weight32": np.float32})
    new_m, new_w = _nag(w32, g.astype(np.float32), m, lr, momentum, wd, rescale_grad,
                        clip_gradient, np.float32, True)  # MXNet: always the new w
    _set("nd.mp_nag_mom_update", mom, new_m)
    _set("nd.mp_nag_mom_update", weight32, new_w)
    return _result("nd.mp_nag_mom_update", new_w, w.dtype, out)


def adam_update(weight: NDArray, grad: NDArray, mean: NDArray, var: NDArray, lr: float,
                beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                lazy_update: bool = True, out: Any = None, **kwargs: Any) -> NDArray:
    """g = clip(rescale_grad * grad + wd * weight); mean = beta1 * mean + (1 - beta1) * g;
    var = beta2 * var + (1 - beta2) * g^2; weight -= lr * mean / (sqrt(var) + epsilon).
    (No bias correction: MXNet's Adam optimizer folds it into lr.)"""
    reject_unknown("nd.adam_update", kwargs)
    w, g, m, v = _data("nd.adam_update", {"weight": weight, "grad": grad, "mean": mean,
                                          "var": var})
    dt = w.dtype
    g = _rescaled(g, w, rescale_grad, wd, clip_gradient, dt, wd_first=True)
    b1, b2 = _p(beta1, dt), _p(beta2, dt)
    new_m = b1 * m + (1 - b1) * g
    new_v = b2 * v + (1 - b2) * g * g
    _set("nd.adam_update", mean, new_m)
    _set("nd.adam_update", var, new_v)
    new_w = w - _p(lr, dt) * new_m / (np.sqrt(new_v) + _p(epsilon, dt))
    return _result("nd.adam_update", new_w, dt, out)


def rmsprop_update(weight: NDArray, grad: NDArray, n: NDArray, lr: float, gamma1: float = 0.95,
                   epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, clip_weights: float = -1.0, out: Any = None,
                   **kwargs: Any) -> NDArray:
    """g = clip(rescale_grad * grad + wd * weight); n = (1 - gamma1) * g^2 + gamma1 * n;
    weight -= lr * g / sqrt(n + epsilon), clipped to ``clip_weights``."""
    reject_unknown("nd.rmsprop_update", kwargs)
    w, g, s = _data("nd.rmsprop_update", {"weight": weight, "grad": grad, "n": n})
    dt = w.dtype
    g = _rescaled(g, w, rescale_grad, wd, clip_gradient, dt, wd_first=True)
    g1 = _p(gamma1, dt)
    new_n = (1 - g1) * g * g + g1 * s
    _set("nd.rmsprop_update", n, new_n)
    new_w = _clip(w - _p(lr, dt) * (g / np.sqrt(new_n + _p(epsilon, dt))), clip_weights, dt)
    return _result("nd.rmsprop_update", new_w, dt, out)


def rmspropalex_update(weight: NDArray, grad: NDArray, n: NDArray, g: NDArray, delta: NDArray,
                       lr: float, gamma1: float = 0.95, gamma2: float = 0.9,
                       epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
                       clip_gradient: float = -1.0, clip_weights: float = -1.0,
                       out: Any = None, **kwargs: Any) -> NDArray:
    """Graves' RMSProp: n and g average g^2 and g, delta = gamma2 * delta - lr * g /
    sqrt(n - g^2 + epsilon), weight += delta (clipped to ``clip_weights``)."""
    reject_unknown("nd.rmspropalex_update", kwargs)
    w, gr, s_n, s_g, d = _data("nd.rmspropalex_update", {"weight": weight, "grad": grad, "n": n,
                                                         "g": g, "delta": delta})
    dt = w.dtype
    gr = _rescaled(gr, w, rescale_grad, wd, clip_gradient, dt, wd_first=True)
    g1, g2 = _p(gamma1, dt), _p(gamma2, dt)
    new_n = (1 - g1) * gr * gr + g1 * s_n
    new_g = (1 - g1) * gr + g1 * s_g
    new_d = g2 * d - _p(lr, dt) * (gr / np.sqrt(new_n - new_g * new_g + _p(epsilon, dt)))
    _set("nd.rmspropalex_update", n, new_n)
    _set("nd.rmspropalex_update", g, new_g)
    _set("nd.rmspropalex_update", delta, new_d)
    return _result("nd.rmspropalex_update", _clip(w + new_d, clip_weights, dt), dt, out)


def ftrl_update(weight: NDArray, grad: NDArray, z: NDArray, n: NDArray, lr: float,
                lamda1: float = 0.01, beta: float = 1.0, wd: float = 0.0,
                rescale_grad: float = 1.0, clip_gradient: float = -1.0, out: Any = None,
                **kwargs: Any) -> NDArray:
    """FTRL-proximal: z += g - (sqrt(n + g^2) - sqrt(n)) * weight / lr; n += g^2;
    weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) where abs(z) > lamda1,
    else 0."""
    reject_unknown("nd.ftrl_update", kwargs)
    w, g, s_z, s_n = _data("nd.ftrl_update", {"weight": weight, "grad": grad, "z": z, "n": n})
    dt = w.dtype
    g = _clip(_p(rescale_grad, dt) * g, clip_gradient, dt)
    lr_, l1 = _p(lr, dt), _p(lamda1, dt)
    new_z = s_z + (g - (np.sqrt(s_n + g * g) - np.sqrt(s_n)) * w / lr_)
    new_n = s_n + g * g
    _set("nd.ftrl_update", z, new_z)
    _set("nd.ftrl_update", n, new_n)
    new_w = (np.sign(new_z) * l1 - new_z) / ((_p(beta, dt) + np.sqrt(new_n)) / lr_ +
                                              _p(wd, dt)) * (np.abs(new_z) > l1)
    return _result("nd.ftrl_update", new_w, dt, out)


def ftml_update(weight: NDArray, grad: NDArray, d: NDArray, v: NDArray, z: NDArray, lr: float,
                t: int, beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8,
                wd: float = 0.0, rescale_grad: float = 1.0, clip_grad: float = -1.0,
                out: Any = None, **kwargs: Any) -> NDArray:
    """Follow the Moving Leader, step ``t`` (from 1): v = beta2 v + (1 - beta2) g^2;
    d_t = (1 - beta1^t) / lr * (sqrt(v / (1 - beta2^t)) + epsilon);
    z = beta1 z + (1 - beta1) g - (d_t - beta1 d) weight; weight = -z / d_t."""
    reject_unknown("nd.ftml_update", kwargs)
    w, g, s_d, s_v, s_z = _data("nd.ftml_update", {"weight": weight, "grad": grad, "d": d,
                                                   "v": v, "z": z})
    dt = w.dtype
    g = _rescaled(g, w, rescale_grad, wd, clip_grad, dt, wd_first=True)
    b1, b2 = _p(beta1, dt), _p(beta2, dt)
    new_v = b2 * s_v + (1 - b2) * g * g
    d_t = (1 - b1 ** int(t)) / _p(lr, dt) * (np.sqrt(new_v / (1 - b2 ** int(t))) +
                                               np.dtype(dt).type(epsilon))
    new_z = b1 * s_z + (1 - b1) * g - (d_t - b1 * s_d) * w
    _set("nd.ftml_update", v, new_v)
    _set("nd.ftml_update", d, d_t)
    _set("nd.ftml_update", z, new_z)
    return _result("nd.ftml_update", -new_z / d_t, dt, out)


def signsgd_update(weight: NDArray, grad: NDArray, lr: float, wd: float = 0.0,
                   rescale_grad: float = 1.0, clip_gradient: float = -1.0, out: Any = None,
                   **kwargs: Any) -> NDArray:
    """weight = (1 - lr * wd) * weight - lr * sign(grad)."""
    reject_unknown("nd.signsgd_update", kwargs)
    w, g = _data("nd.signsgd_update", {"weight": weight, "grad": grad})
    dt = w.dtype
    lr_ = _p(lr, dt)
    return _result("nd.signsgd_update", (1 - lr_ * _p(wd, dt)) * w - lr_ * np.sign(g), dt, out)


def signum_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float,
                  momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                  clip_gradient: float = -1.0, wd_lh: float = 0.0, out: Any = None,
                  **kwargs: Any) -> NDArray:
    """mom = momentum * mom - (1 - momentum) * (wd * weight + clip(rescale_grad * grad));
    weight = (1 - lr * wd_lh) * weight + lr * sign(mom)."""
    reject_unknown("nd.signum_update", kwargs)
    w, g, m = _data("nd.signum_update", {"weight": weight, "grad": grad, "mom": mom})
    dt = w.dtype
    mo = _p(momentum, dt)
    new_m = (mo * m - (1 - mo) * _p(wd, dt) * w -
             (1 - mo) * _clip(_p(rescale_grad, dt) * g, clip_gradient, dt))
    _set("nd.signum_update", mom, new_m)
    lr_ = _p(lr, dt)
    return _result("nd.signum_update", (1 - lr_ * _p(wd_lh, dt)) * w + lr_ * np.sign(new_m),
                   dt, out)


__all__ = ["sgd_update", "sgd_mom_update", "mp_sgd_update", "mp_sgd_mom_update",
           "nag_mom_update", "mp_nag_mom_update", "adam_update", "rmsprop_update",
           "rmspropalex_update", "ftrl_update", "ftml_update", "signsgd_update",
           "signum_update"]
