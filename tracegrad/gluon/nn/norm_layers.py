"""Normalisation layers: ``BatchNorm`` (and ``BatchNormReLU``), ``LayerNorm``,
``InstanceNorm`` and ``GroupNorm``.

BatchNorm keeps running statistics (``running_mean``, ``running_var``) updated in training
mode only, with MXNet's rule ``running = running * momentum + batch * (1 - momentum)``
(the batch variance is the biased one); predicting uses them. MXNet's CPU kernel applies
the update during ``backward()``, its GPU kernel during the forward pass; tracegrad applies
it during the forward pass, so after a training step (forward under ``record()``, then
``backward()``) the values are MXNet's.

>>> from tracegrad import nd, autograd
>>> from tracegrad.gluon import nn
>>> bn = nn.BatchNorm(in_channels=2, momentum=0.8)
>>> bn.initialize()
>>> with autograd.record():
...     y = bn(nd.array([[0.0, 1.0], [2.0, 5.0], [4.0, 2.0], [7.0, 3.0]]))
>>> [round(v, 5) for v in bn.running_mean.data().asnumpy().tolist()]
[0.65, 0.55]
>>> [round(v, 5) for v in bn.running_var.data().asnumpy().tolist()]
[2.1375, 1.2375]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import nd
from tracegrad.gluon.block import HybridBlock

__all__ = ["BatchNorm", "BatchNormReLU", "LayerNorm", "InstanceNorm", "GroupNorm"]


class BatchNorm(HybridBlock):
    """Batch normalisation over every axis but ``axis`` (the channels)."""

    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5,
                 center: bool = True, scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"axis": axis, "eps": epsilon, "momentum": momentum,
                        "fix_gamma": not scale, "use_global_stats": use_global_stats}
        if in_channels != 0:
            self.in_channels = in_channels
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True, differentiable=center)
        self.running_mean = self.params.get("running_mean", grad_req="null",
                                            shape=(in_channels,),
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get("running_var", grad_req="null",
                                           shape=(in_channels,),
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def infer_shape(self, x: Any, *args: Any) -> None:
        c = x.shape[self._kwargs["axis"]]
        for p in (self.gamma, self.beta, self.running_mean, self.running_var):
            p.shape = (c,)

    def cast(self, dtype: Any) -> None:
        if np.dtype(dtype).name == "float16":
            dtype = "float32"
        super().cast(dtype)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any,
                       running_var: Any) -> Any:
        return nd.BatchNorm(x, gamma, beta, running_mean, running_var, **self._kwargs)

    def __repr__(self) -> str:
        c = self.gamma.shape[0]
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{self.__class__.__name__}({content}, in_channels={c if c else None})"


class BatchNormReLU(BatchNorm):
    """:class:`BatchNorm` followed by ``relu`` (MXNet's fused ``BatchNormWithReLU``)."""

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any,
                       running_var: Any) -> Any:
        return nd.relu(super().hybrid_forward(F, x, gamma, beta, running_mean, running_var))


class _AffineNorm(HybridBlock):
    """LayerNorm and InstanceNorm: ``gamma`` and ``beta`` of the size of ``axis`` (inferred
    at the first call when ``in_channels`` is 0), trained where ``scale``/``center``."""

    def __init__(self, axis: int, epsilon: float, center: bool, scale: bool,
                 beta_initializer: Any, gamma_initializer: Any, in_channels: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True)

    def infer_shape(self, x: Any, *args: Any) -> None:
        c = x.shape[self._axis]
        self.gamma.shape = (c,)
        self.beta.shape = (c,)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{self.__class__.__name__}({content}, in_channels={self.gamma.shape[0]})"


class LayerNorm(_AffineNorm):
    """Normalisation over ``axis`` (the last by default) of each sample."""

    def __init__(self, axis: int = -1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", in_channels: int = 0,
                 prefix: str | None = None, params: Any = None) -> None:
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         in_channels, prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, data: Any, gamma: Any, beta: Any) -> Any:
        return nd.LayerNorm(data, gamma, beta, axis=self._axis, eps=self._epsilon)


class InstanceNorm(_AffineNorm):
    """Normalisation of each sample and channel (``axis``) over the remaining axes; ``gamma``
    and ``beta`` per channel (gamma fixed at one unless ``scale=True``, as MXNet)."""

    def __init__(self, axis: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = False, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         in_channels, **kwargs)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        if self._axis == 1:
            return nd.InstanceNorm(x, gamma, beta, eps=self._epsilon)
        x = nd.swapaxes(x, 1, self._axis)
        return nd.swapaxes(nd.InstanceNorm(x, gamma, beta, eps=self._epsilon), 1, self._axis)


class GroupNorm(HybridBlock):
    """Normalisation of each sample over groups of ``num_groups`` channel groups; ``gamma``
    and ``beta`` have one value per group (MXNet 1.x's shapes)."""

    def __init__(self, num_groups: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", prefix: str | None = None,
                 params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center,
                        "scale": scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(num_groups,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(num_groups,), init=beta_initializer,
                                    allow_deferred_init=True)

    def hybrid_forward(self, F: Any, data: Any, gamma: Any, beta: Any) -> Any:
        return nd.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups,
                            eps=self._epsilon)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{self.__class__.__name__}({content})"
