"""Image transforms that apply to arrays, as ``gluon.data.vision.transforms``: ``ToTensor``,
``Normalize``, ``Cast``, ``Compose``, ``RandomApply``, the random flips and ``CenterCrop``
(of a crop no larger than the image: resizing is not provided). They are Blocks, as in
MXNet; random choices come from NumPy's global generator (``mx.random.seed`` seeds it).

>>> import numpy as np
>>> from tracegrad import image, nd
>>> from tracegrad.gluon.data.vision import transforms
>>> t = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.5)])
>>> img = nd.array(np.full((2, 2, 1), 255), dtype="uint8")
>>> t(img).shape, t(img).asnumpy().ravel().tolist()
((1, 2, 2), [1.0, 1.0, 1.0, 1.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import image
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
    float32 values in [0, 1] (``nd.image.to_tensor``)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return image.to_tensor(x)


class Normalize(HybridBlock):
    """``(x - mean) / std`` per channel of a (C, H, W) or (N, C, H, W) tensor
    (``nd.image.normalize``)."""

    def __init__(self, mean: Any = 0.0, std: Any = 1.0) -> None:
        super().__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return image.normalize(x, mean=self._mean, std=self._std)


class RandomApply(Sequential):
    """``transforms`` applied with probability ``p``, else the input as it is."""

    def __init__(self, transforms: Any, p: float = 0.5) -> None:
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x: Any) -> Any:
        return x if self.p < np.random.random() else self.transforms(x)


class RandomFlipLeftRight(HybridBlock):
    """Reverse the width axis with probability 1/2 (``nd.image.random_flip_left_right``)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return image.random_flip_left_right(x)


class RandomFlipTopBottom(HybridBlock):
    """Reverse the height axis with probability 1/2 (``nd.image.random_flip_top_bottom``)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return image.random_flip_top_bottom(x)


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
