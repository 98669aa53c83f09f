"""Optimizers, as ``mxnet.optimizer``: ``SGD``, ``NAG``, ``Adam``, ``RMSProp``, ``AdaGrad``,
``AdaDelta``, created by name with :func:`create` and applied by an :class:`Updater`
(``gluon.Trainer`` uses one).

SGD with momentum, NAG, Adam and RMSProp call MXNet's fused update operators
(``nd.sgd_mom_update``, ``nd.nag_mom_update``, ``nd.adam_update``, ``nd.rmsprop_update``,
``nd.rmspropalex_update``), as MXNet's optimizers do; plain SGD, AdaGrad and AdaDelta are
written here, as in MXNet. Each update follows MXNet 1.9.1 to the operation: the learning
rate and weight decay come
from ``learning_rate`` (or the ``lr_scheduler``) times the parameter's ``lr_mult`` and
``wd_mult``; the gradient is first multiplied by ``rescale_grad`` (``1/batch_size`` in
``Trainer.step``), then clipped to ``[-clip_gradient, clip_gradient]``; the arithmetic runs
in the weight's dtype, with the scalars rounded to it first, as MXNet's update kernels do.
The weight and the optimizer state are updated in place.

>>> from tracegrad import nd, optimizer
>>> sgd = optimizer.create("sgd", learning_rate=0.1, momentum=0.9)
>>> w, g = nd.ones(2), nd.array([1.0, -1.0])
>>> upd = optimizer.get_updater(sgd)
>>> upd(0, g, w); upd(0, g, w)
>>> [round(v, 4) for v in w.asnumpy().tolist()]
[0.71, 1.29]
"""

from __future__ import annotations

import math
import pickle
import warnings
from typing import Any

import numpy as np

from tracegrad import nd
from tracegrad.ndarray import NDArray, _wrap

__all__ = ["Optimizer", "SGD", "NAG", "Adam", "RMSProp", "AdaGrad", "AdaDelta", "Updater",
           "create", "register", "get_updater"]


def _zeros_like(weight: NDArray) -> NDArray:
    return _wrap(np.zeros(weight.shape, dtype=weight._data.dtype))


def _own(arr: NDArray) -> np.ndarray:
    """The array's buffer, made private first (nothing else sees the in-place update)."""
    arr._own()
    return arr._data


def _clip(x: np.ndarray, bound: Any) -> np.ndarray:
    return np.minimum(np.maximum(x, -bound), bound)


class Optimizer:
    """The base class: learning rate (or scheduler), weight decay, gradient rescaling and
    clipping, the update counts, and the per-parameter multipliers."""

    opt_registry: dict[str, type] = {}

    def __init__(self, rescale_grad: float = 1.0, param_idx2name: dict | None = None,
                 wd: float = 0.0, clip_gradient: float | None = None,
                 learning_rate: float | None = None, lr_scheduler: Any = None, sym: Any = None,
                 begin_num_update: int = 0, multi_precision: bool = False,
                 param_dict: dict | None = None) -> None:
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if self.lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if self.lr_scheduler is not None and learning_rate is not None:
            if self.lr_scheduler.base_lr != learning_rate:
                # MXNet prints this warning object; a library warns through `warnings`
                warnings.warn("learning rate from ``lr_scheduler`` has been overwritten by "
                              "``learning_rate`` in optimizer.", UserWarning, stacklevel=3)
                self.lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult: dict = {}
        self.wd_mult: dict = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: dict = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        self.idx2name = dict(param_idx2name or {})
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    @staticmethod
    def register(klass: type) -> type:
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            warnings.warn(f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is "
                          f"overriding existing optimizer {name}")
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        if name.lower() in Optimizer.opt_registry:
            return Optimizer.opt_registry[name.lower()](**kwargs)
        raise ValueError(f"Cannot find optimizer {name}")

    @property
    def learning_rate(self) -> float:
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return None

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        return self.create_state(index, weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        raise NotImplementedError()

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray,
                               state: Any) -> None:
        self.update(index, weight, grad, state)

    def set_learning_rate(self, lr: float) -> None:
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note "
                              "that set_learning_rate can mutate the value of the learning "
                              "rate of the optimizer only when the LRScheduler of the "
                              "optimizer is undefined.")
        self.lr = lr

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        self.lr_mult = dict(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        self.wd_mult = {n: 0.0 for n in self.idx2name.values()
                        if not (n.endswith("_weight") or n.endswith("_gamma"))}
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id: int) -> None:
        self._index_update_count = self._all_index_update_counts.setdefault(device_id, {})

    def _update_count(self, index: Any) -> None:
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lrs(self, indices: list) -> list[float]:
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        lrs = [lr for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                lrs[i] *= self.param_dict[index].lr_mult
            elif index in self.lr_mult:
                lrs[i] *= self.lr_mult[index]
            elif index in self.idx2name:
                lrs[i] *= self.lr_mult.get(self.idx2name[index], 1.0)
        return lrs

    def _get_lr(self, index: Any) -> float:
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: list) -> list[float]:
        wds = [self.wd for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                wds[i] *= self.param_dict[index].wd_mult
            elif index in self.wd_mult:
                wds[i] *= self.wd_mult[index]
            elif index in self.idx2name:
                wds[i] *= self.wd_mult.get(self.idx2name[index], 1.0)
        return wds

    def _get_wd(self, index: Any) -> float:
        return self._get_wds([index])[0]

    def _scalars(self, weight: NDArray, *values: Any) -> list:
        """The values as scalars of the weight's dtype (MXNet's kernels cast them)."""
        t = weight._data.dtype.type
        return [t(v) for v in values]

    def __getstate__(self) -> dict:
        ret = self.__dict__.copy()
        ret.pop("param_dict", None)
        return ret

    def __setstate__(self, state: dict) -> None:
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer


def _clip_arg(clip: float | None) -> float:
    """MXNet passes clip_gradient to its update ops only when set (-1: off)."""
    return float(clip) if clip else -1.0


@register
class SGD(Optimizer):
    """SGD with optional momentum: ``mom = momentum * mom - lr * wd * w - lr * g``,
    ``w += mom`` (g the rescaled, clipped gradient), as MXNet's multi-SGD kernels that
    Gluon's aggregated updates use."""

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = 4

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        indices = index if isinstance(index, (list, tuple)) else [index]
        weights = weight if isinstance(weight, (list, tuple)) else [weight]
        grads = grad if isinstance(grad, (list, tuple)) else [grad]
        states = state if isinstance(index, (list, tuple)) else [state]
        self._update_count(indices)
        for w, g, s, lr, wd in zip(weights, grads, states, self._get_lrs(list(indices)),
                                   self._get_wds(list(indices))):
            if s is not None and self.momentum > 0:
                nd.sgd_mom_update(w, g, s, lr=lr, momentum=self.momentum, wd=wd,
                                  rescale_grad=self.rescale_grad,
                                  clip_gradient=_clip_arg(self.clip_gradient), out=w)
            else:
                self._plain(w, g, lr, wd)

    def _plain(self, weight: NDArray, grad: NDArray, lr: float, wd: float) -> None:
        # multi_sgd_update: w + (0 - lr * wd * w - lr * g), which rounds differently from
        # sgd_update's (1 - lr * wd) * w - lr * g
        lr_, wd_, rs = self._scalars(weight, lr, wd, self.rescale_grad)
        w, g = _own(weight), grad._data
        if self.clip_gradient:
            step = lr_ * _clip(rs * g, weight._data.dtype.type(self.clip_gradient))
        else:
            step = (lr_ * rs) * g
        w += (weight._data.dtype.type(0) - (lr_ * wd_) * w) - step


@register
class NAG(Optimizer):
    """Nesterov momentum, MXNet's ``nag_mom_update`` applied in place (plain ``sgd_update``
    without momentum)."""

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_count(index)
        kw = {"lr": self._get_lr(index), "wd": self._get_wd(index),
              "rescale_grad": self.rescale_grad, "clip_gradient": _clip_arg(self.clip_gradient)}
        if state is not None and self.momentum > 0:
            nd.nag_mom_update(weight, grad, state, momentum=self.momentum, out=weight, **kw)
        else:
            nd.sgd_update(weight, grad, out=weight, **kw)


@register
class Adam(Optimizer):
    """Adam with MXNet's bias correction folded into the learning rate:
    ``lr * sqrt(1 - beta2^t) / (1 - beta1^t)``; ``wd * w`` is added to the gradient."""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        nd.adam_update(weight, grad, state[0], state[1], lr=lr, wd=wd, beta1=self.beta1,
                       beta2=self.beta2, epsilon=self.epsilon, rescale_grad=self.rescale_grad,
                       clip_gradient=_clip_arg(self.clip_gradient), out=weight)


@register
class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton), or Graves' centered variant with ``centered=True``."""

    def __init__(self, learning_rate: float = 0.001, gamma1: float = 0.9, gamma2: float = 0.9,
                 epsilon: float = 1e-8, centered: bool = False, clip_weights: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))
        return (_zeros_like(weight),)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_count(index)
        kw = {"lr": self._get_lr(index), "wd": self._get_wd(index), "gamma1": self.gamma1,
              "epsilon": self.epsilon, "rescale_grad": self.rescale_grad,
              "clip_gradient": _clip_arg(self.clip_gradient),
              "clip_weights": _clip_arg(self.clip_weights)}
        if not self.centered:
            nd.rmsprop_update(weight, grad, state[0], out=weight, **kw)
        else:
            nd.rmspropalex_update(weight, grad, state[0], state[1], state[2],
                                  gamma2=self.gamma2, out=weight, **kw)


@register
class AdaGrad(Optimizer):
    """AdaGrad: ``history += g²``, ``w -= lr * (g / sqrt(history + eps) + wd * w)``."""

    def __init__(self, eps: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_count(index)
        lr, wd, rs, eps = self._scalars(weight, self._get_lr(index), self._get_wd(index),
                                        self.rescale_grad, self.float_stable_eps)
        g = grad._data * rs
        if self.clip_gradient is not None:
            g = _clip(g, weight._data.dtype.type(self.clip_gradient))
        history = _own(state)
        history += np.square(g)
        div = g / np.sqrt(history + eps)
        w = _own(weight)
        w += (div + w * wd) * -lr


@register
class AdaDelta(Optimizer):
    """AdaDelta (no learning rate). As in MXNet, the gradient buffer itself is multiplied
    by ``rescale_grad``."""

    def __init__(self, rho: float = 0.90, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        wd = self._get_wd(index)
        self._update_count(index)
        wd_, rs, rho, eps, one_minus = self._scalars(weight, wd, self.rescale_grad, self.rho,
                                                     self.epsilon, 1.0 - self.rho)
        gbuf = _own(grad)
        gbuf *= rs
        g = gbuf
        if self.clip_gradient is not None:
            g = _clip(g, weight._data.dtype.type(self.clip_gradient))
        acc_g, acc_delta = _own(state[0]), _own(state[1])
        acc_g *= rho
        acc_g += one_minus * g * g
        delta = np.sqrt(acc_delta + eps) / np.sqrt(acc_g + eps) * g
        acc_delta *= rho
        acc_delta += one_minus * delta * delta
        w = _own(weight)
        w -= delta + wd_ * w


class Updater:
    """Applies an optimizer to (index, gradient, weight), keeping each index's state."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: dict = {}
        self.states_synced: dict = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        if not isinstance(index, (list, tuple)):
            indices, grads, weights = [index], [grad], [weight]
        else:
            indices, grads, weights = list(index), list(grad), list(weight)
        for i, idx in enumerate(indices):
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
        if self.aggregate_updates:
            by_type: dict = {}
            for i, w, g in zip(indices, weights, grads):
                by_type.setdefault(w._data.dtype, []).append((i, w, g))
            n = self.optimizer.aggregate_num
            for group in by_type.values():
                for k in range(0, len(group), n):
                    chunk = group[k:k + n]
                    idx, ws, gs = (list(t) for t in zip(*chunk))
                    self.optimizer.update_multi_precision(idx, ws, gs,
                                                          [self.states[i] for i in idx])
        else:
            for i, w, g in zip(indices, weights, grads):
                self.optimizer.update_multi_precision(i, w, g, self.states[i])

    def set_states(self, states: bytes) -> None:
        loaded = pickle.loads(states)
        if isinstance(loaded, tuple) and len(loaded) == 2:
            self.states, self.optimizer = loaded
        else:
            self.states = loaded
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        return pickle.dumps((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer: Optimizer) -> Updater:
    return Updater(optimizer)
