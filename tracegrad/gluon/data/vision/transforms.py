"""Image transforms that apply to arrays, as ``gluon.data.vision.transforms``: ``ToTensor``,
``Normalize``, ``Cast``, ``Compose``. They are Blocks, as in MXNet.

>>> import numpy as np
>>> from tracegrad import nd
>>> from tracegrad.gluon.data.vision import transforms
>>> t = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.5)])
>>> img = nd.array(np.full((2, 2, 1), 255), dtype="uint8")
>>> t(img).shape, t(img).asnumpy().ravel().tolist()
((1, 2, 2), [1.0, 1.0, 1.0, 1.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import nd
from tracegrad.gluon.block import Block, HybridBlock
from tracegrad.gluon.nn.basic_layers import Sequential

__all__ = ["Compose", "Cast", "ToTensor", "Normalize"]


class Compose(Sequential):
    """The transforms applied in order."""

    def __init__(self, transforms: list) -> None:
        super().__init__()
        with self.name_scope():
            for t in transforms:
                if not isinstance(t, Block):
                    from tracegrad.gluon.nn.basic_layers import Lambda

                    t = Lambda(t)
                self.add(t)


class Cast(HybridBlock):
    """Convert to ``dtype`` (float32 by default)."""

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x.astype(self._dtype)


class ToTensor(HybridBlock):
    """(H, W, C) (or (N, H, W, C)) values in [0, 255] to (C, H, W) (or (N, C, H, W))
    float32 values in [0, 1]."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if not isinstance(x, nd.NDArray):
            x = nd.array(np.asarray(x), dtype=np.asarray(x).dtype)
        y = x.astype("float32") / 255.0
        if y.ndim == 3:
            return nd.transpose(y, (2, 0, 1))
        if y.ndim == 4:
            return nd.transpose(y, (0, 3, 1, 2))
        raise ValueError(f"ToTensor expects (H, W, C) or (N, H, W, C) input, got shape "
                         f"{x.shape}")


class Normalize(HybridBlock):
    """``(x - mean) / std`` per channel of a (C, H, W) or (N, C, H, W) tensor."""

    def __init__(self, mean: Any = 0.0, std: Any = 1.0) -> None:
        super().__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        caxis = 0 if x.ndim == 3 else 1
        shape = [1] * x.ndim
        mean = np.asarray(self._mean, dtype=np.float32).reshape(-1)
        std = np.asarray(self._std, dtype=np.float32).reshape(-1)
        shape[caxis] = max(mean.size, std.size)
        mean = np.broadcast_to(mean, (shape[caxis],)).reshape(shape)
        std = np.broadcast_to(std, (shape[caxis],)).reshape(shape)
        return (x - nd.array(mean)) / nd.array(std)
