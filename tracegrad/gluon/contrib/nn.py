"""``gluon.contrib.nn``: ``Concurrent`` and ``HybridConcurrent`` (children side by side,
outputs concatenated), ``Identity``, ``SyncBatchNorm`` (BatchNorm: there is one device) and
the ``PixelShuffle`` layers (sub-pixel upsampling: channels moved into space).

>>> from tracegrad import nd
>>> from tracegrad.gluon.contrib.nn import PixelShuffle2D
>>> PixelShuffle2D(2)(nd.ones((1, 8, 3, 5))).shape
(1, 2, 6, 10)
"""

from __future__ import annotations

import math
from typing import Any

from tracegrad import nd
from tracegrad.gluon.block import HybridBlock
from tracegrad.gluon.nn import BatchNorm, HybridSequential, Sequential

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "SyncBatchNorm", "PixelShuffle1D",
           "PixelShuffle2D", "PixelShuffle3D"]


class Concurrent(Sequential):
    """Every child applied to the same input; their outputs concatenated along ``axis``."""

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return nd.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcurrent(HybridSequential):
    """The hybridizable :class:`Concurrent`."""

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """The input itself (a branch of a :class:`HybridConcurrent`, a skip connection)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x


class SyncBatchNorm(BatchNorm):
    """MXNet's cross-device BatchNorm; with one device (the CPU here) it is BatchNorm over
    axis 1. ``num_devices`` is accepted."""

    def __init__(self, in_channels: int = 0, num_devices: int | None = None,
                 momentum: float = 0.9, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", **kwargs: Any) -> None:
        super().__init__(axis=1, momentum=momentum, epsilon=epsilon, center=center,
                         scale=scale, use_global_stats=use_global_stats,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer,
                         in_channels=in_channels, **kwargs)


def _factors(factor: Any, n: int) -> tuple[int, ...]:
    factors = (int(factor),) * n if isinstance(factor, (int, float)) else \
        tuple(int(f) for f in factor)
    if len(factors) != n:
        raise ValueError(f"PixelShuffle{n}D: {n} factors are needed, got {factor!r}")
    return factors


class _PixelShuffle(HybridBlock):
    """Channels ``C * prod(factors)`` become ``C``, each spatial axis ``i`` grows by
    ``factors[i]`` (the channel block is ordered with the first axis' factor outermost)."""

    def __init__(self, factor: Any, dims: int) -> None:
        super().__init__()
        self._factors = _factors(factor, dims)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        f, n = self._factors, len(self._factors)
        batch, channels, *space = x.shape
        c = channels // math.prod(f)
        x = F.reshape(x, (batch, c, *f, *space))
        # (N, C, f1..fn, s1..sn) -> (N, C, s1, f1, ..., sn, fn)
        order = [0, 1] + [i for k in range(n) for i in (2 + n + k, 2 + k)]
        x = F.transpose(x, axes=tuple(order))
        return F.reshape(x, (batch, c, *[s * k for s, k in zip(space, f)]))

    def __repr__(self) -> str:
        shown = self._factors[0] if len(self._factors) == 1 else self._factors
        return f"{type(self).__name__}({shown})"


class PixelShuffle1D(_PixelShuffle):
    """(N, C * f, W) -> (N, C, W * f)."""

    def __init__(self, factor: int) -> None:
        super().__init__(factor, 1)


class PixelShuffle2D(_PixelShuffle):
    """(N, C * f1 * f2, H, W) -> (N, C, H * f1, W * f2)."""

    def __init__(self, factor: Any) -> None:
        super().__init__(factor, 2)


class PixelShuffle3D(_PixelShuffle):
    """(N, C * f1 * f2 * f3, D, H, W) -> (N, C, D * f1, H * f2, W * f3)."""

    def __init__(self, factor: Any) -> None:
        super().__init__(factor, 3)
