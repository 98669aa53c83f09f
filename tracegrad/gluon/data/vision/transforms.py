"""Image transforms that apply to arrays, as ``gluon.data.vision.transforms``: ``ToTensor``,
``Normalize``, ``Cast``, ``Compose``, ``RandomApply``, the random flips and ``CenterCrop``
(of a crop no larger than the image: resizing is not provided). They are Blocks, as in
MXNet; random choices come from NumPy's global generator (``mx.random.seed`` seeds it).

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
from tracegrad.gluon.nn.basic_layers import HybridSequential, Sequential

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "RandomApply", "RandomFlipLeftRight",
           "RandomFlipTopBottom", "CenterCrop", "HybridSequential"]


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


class RandomApply(Sequential):
    """``transforms`` applied with probability ``p``, else the input as it is."""

    def __init__(self, transforms: Any, p: float = 0.5) -> None:
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x: Any) -> Any:
        return x if self.p < np.random.random() else self.transforms(x)


class _RandomFlip(HybridBlock):
    """An image (H, W, C) or a batch (N, H, W, C) reversed along one spatial axis with
    probability 1/2 per call."""

    AXIS_FROM_END = 2

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if x.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: images are (H, W, C) or (N, H, W, C), "
                             f"got shape {x.shape}")
        if np.random.random() < 0.5:
            return F.flip(x, axis=x.ndim - self.AXIS_FROM_END)
        return x


class RandomFlipLeftRight(_RandomFlip):
    """Reverse the width axis with probability 1/2."""


class RandomFlipTopBottom(_RandomFlip):
    """Reverse the height axis with probability 1/2."""

    AXIS_FROM_END = 3


class CenterCrop(Block):
    """The central (height, width) = ``size`` of an (H, W, C) image (an int: square). A crop
    larger than the image needs resizing, which tracegrad does not provide."""

    def __init__(self, size: Any, interpolation: int = 1) -> None:
        super().__init__()
        self._size = (size, size) if isinstance(size, int) else tuple(size)
        self._interpolation = interpolation

    def forward(self, x: Any) -> Any:
        w, h = self._size  # MXNet's size is (width, height)
        height, width = x.shape[0], x.shape[1]
        if h > height or w > width:
            raise NotImplementedError(f"CenterCrop: a {w}x{h} crop of a {width}x{height} "
                                      "image needs resizing, which tracegrad does not provide")
        top, left = (height - h) // 2, (width - w) // 2
        return x[top:top + h, left:left + w]
