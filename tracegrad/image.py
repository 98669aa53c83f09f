"""``nd.image`` (MXNet 1.x): image operators on (H, W, C) arrays, or (N, H, W, C) batches.

``to_tensor`` and ``normalize`` make network input; ``crop`` and the flips move pixels;
``random_brightness``, ``random_contrast``, ``random_saturation`` and the lighting noise
change colours by a factor drawn uniformly from ``[min_factor, max_factor]`` (NumPy's
global generator; ``mx.random.seed`` seeds it). Integer images keep their dtype: results
are clipped to its range and truncated, as MXNet does. Resizing and hue are not provided.

>>> import numpy as np
>>> from tracegrad import nd
>>> img = nd.array(np.array([[[172, 192, 195]]]), dtype="uint8")
>>> nd.image.random_brightness(img, 1.3, 1.3).asnumpy().tolist()
[[[223, 249, 253]]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops, random
from tracegrad.ndarray import NDArray
from tracegrad.opargs import reject_unknown
from tracegrad.ops_shape import slice_axis

__all__ = ["to_tensor", "normalize", "crop", "flip_left_right", "flip_top_bottom",
           "random_flip_left_right", "random_flip_top_bottom", "random_brightness",
           "random_contrast", "random_saturation", "adjust_lighting", "random_lighting"]

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # RGB -> gray
# AlexNet's PCA of ImageNet's RGB values (MXNet's lighting noise)
_EIGVAL = np.array([55.46, 4.794, 1.148], dtype=np.float32)
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                    [-0.5836, -0.6948, 0.4203]], dtype=np.float32)


def _image(x: Any, op: str) -> NDArray:
    x = x if isinstance(x, NDArray) else NDArray(np.asarray(x))
    if x.ndim not in (3, 4):
        raise ValueError(f"nd.image.{op}: images are (H, W, C) or (N, H, W, C), got shape "
                         f"{x.shape}")
    return x


def _like_input(x: NDArray, values: NDArray) -> NDArray:
    """``values`` (float) in x's dtype: integer images are clipped and truncated."""
    dt = np.dtype(x.dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return ops.clip(values, float(info.min), float(info.max)).astype(dt)
    return values.astype(dt)


def to_tensor(data: Any, **kwargs: Any) -> NDArray:
    """(H, W, C) values in [0, 255] to (C, H, W) float32 in [0, 1] (batches likewise)."""
    reject_unknown("nd.image.to_tensor", kwargs)
    x = _image(data, "to_tensor").astype("float32") / 255.0
    return ops.transpose(x, (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2))


def normalize(data: Any, mean: Any = 0.0, std: Any = 1.0, **kwargs: Any) -> NDArray:
    """``(x - mean) / std`` per channel of a (C, H, W) or (N, C, H, W) tensor."""
    reject_unknown("nd.image.normalize", kwargs)
    x = data if isinstance(data, NDArray) else NDArray(np.asarray(data))
    shape = [1] * x.ndim
    shape[0 if x.ndim == 3 else 1] = -1
    m = NDArray(np.asarray(mean, dtype=np.float32).reshape(shape))
    s = NDArray(np.asarray(std, dtype=np.float32).reshape(shape))
    return (x - m) / s


def crop(data: Any, x: int, y: int, width: int, height: int, **kwargs: Any) -> NDArray:
    """The ``width`` x ``height`` region whose top left corner is column ``x``, row ``y``."""
    reject_unknown("nd.image.crop", kwargs)
    img = _image(data, "crop")
    rows, cols = (0, 1) if img.ndim == 3 else (1, 2)
    if x < 0 or y < 0 or x + width > img.shape[cols] or y + height > img.shape[rows]:
        raise ValueError(f"nd.image.crop: the region ({x}, {y}, {width}, {height}) is outside "
                         f"the image of shape {img.shape}")
    out = slice_axis(img, axis=rows, begin=y, end=y + height)
    return slice_axis(out, axis=cols, begin=x, end=x + width)


def flip_left_right(data: Any, **kwargs: Any) -> NDArray:
    reject_unknown("nd.image.flip_left_right", kwargs)
    img = _image(data, "flip_left_right")
    return ops.flip(img, axis=img.ndim - 2)


def flip_top_bottom(data: Any, **kwargs: Any) -> NDArray:
    reject_unknown("nd.image.flip_top_bottom", kwargs)
    img = _image(data, "flip_top_bottom")
    return ops.flip(img, axis=img.ndim - 3)


def _either(x: NDArray, flipped: NDArray) -> NDArray:
    """``flipped`` or ``x``, each with probability 1/2: a random draw of the graph, so a
    hybridized (jit) transform draws again at every call instead of freezing one choice."""
    coin = random.uniform(0.0, 1.0, shape=(1,) * x.ndim) < 0.5
    return ops.where(ops.broadcast_to(coin, x.shape), flipped, x)


def random_flip_left_right(data: Any, **kwargs: Any) -> NDArray:
    """:func:`flip_left_right` with probability 1/2."""
    img = _image(data, "random_flip_left_right")
    return _either(img, flip_left_right(img, **kwargs))


def random_flip_top_bottom(data: Any, **kwargs: Any) -> NDArray:
    """:func:`flip_top_bottom` with probability 1/2."""
    img = _image(data, "random_flip_top_bottom")
    return _either(img, flip_top_bottom(img, **kwargs))


def _factor(min_factor: float, max_factor: float, op: str) -> NDArray:
    """A factor drawn uniformly (a random draw of the graph, as in :func:`_either`)."""
    if min_factor > max_factor:
        raise ValueError(f"nd.image.{op}: min_factor {min_factor} > max_factor {max_factor}")
    return random.uniform(float(min_factor), float(max_factor), shape=(1,))


def _gray(img: NDArray) -> NDArray:
    """Luma ``0.299 R + 0.587 G + 0.114 B`` per pixel, keeping a channel axis of 1."""
    return ops.sum(img * NDArray(_LUMA), axis=-1, keepdims=True)


def random_brightness(data: Any, min_factor: float, max_factor: float,
                      **kwargs: Any) -> NDArray:
    """``x * alpha``."""
    reject_unknown("nd.image.random_brightness", kwargs)
    img = _image(data, "random_brightness")
    alpha = _factor(min_factor, max_factor, "random_brightness")
    return _like_input(img, img.astype("float32") * alpha)


def random_contrast(data: Any, min_factor: float, max_factor: float,
                    **kwargs: Any) -> NDArray:
    """``x * alpha + mean_gray * (1 - alpha)``, with the image's mean luma."""
    reject_unknown("nd.image.random_contrast", kwargs)
    img = _image(data, "random_contrast")
    alpha = _factor(min_factor, max_factor, "random_contrast")
    x = img.astype("float32")
    axes = (0, 1, 2) if img.ndim == 3 else (1, 2, 3)
    mean = ops.mean(_gray(x), axis=axes, keepdims=True)
    return _like_input(img, x * alpha + mean * (1.0 - alpha))


def random_saturation(data: Any, min_factor: float, max_factor: float,
                      **kwargs: Any) -> NDArray:
    """``x * alpha + gray * (1 - alpha)``, with each pixel's luma."""
    reject_unknown("nd.image.random_saturation", kwargs)
    img = _image(data, "random_saturation")
    alpha = _factor(min_factor, max_factor, "random_saturation")
    x = img.astype("float32")
    return _like_input(img, x * alpha + _gray(x) * (1.0 - alpha))


def adjust_lighting(data: Any, alpha: Any, **kwargs: Any) -> NDArray:
    """AlexNet's lighting noise: ``x + eigvec @ (alpha * eigval)`` (ImageNet's RGB PCA)."""
    reject_unknown("nd.image.adjust_lighting", kwargs)
    img = _image(data, "adjust_lighting")
    shift = _EIGVEC @ (np.asarray(alpha, dtype=np.float32).reshape(3) * _EIGVAL)
    return _like_input(img, img.astype("float32") + NDArray(shift.astype(np.float32)))


def random_lighting(data: Any, alpha_std: float = 0.05, **kwargs: Any) -> NDArray:
    """:func:`adjust_lighting` with ``alpha`` drawn from N(0, alpha_std) per channel."""
    reject_unknown("nd.image.random_lighting", kwargs)
    img = _image(data, "random_lighting")
    alpha = random.normal(0.0, float(alpha_std), shape=(3,))
    shift = ops.dot(NDArray(_EIGVEC), alpha * NDArray(_EIGVAL))
    return _like_input(img, img.astype("float32") + shift)
