"""Zero-copy exchange with NumPy and other DLPack libraries: ``nd.from_numpy``,
``nd.from_dlpack``, ``nd.to_dlpack_for_read``/``to_dlpack_for_write`` and the DLPack protocol
of NDArray (``__dlpack__``, ``__dlpack_device__``), so ``np.from_dlpack(x)`` works.

tracegrad's arrays never share writes (see docs/from_mxnet.md): an array made without a copy
shares the buffer for reading, and copies it the first time it is written to. As in MXNet,
``from_numpy`` marks the NumPy array read-only, so it cannot change under the NDArray either.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.ndarray import NDArray, _user_line, _wrap

_CPU = (1, 0)  # (kDLCPU, device 0)


def from_numpy(ndarray: np.ndarray, zero_copy: bool = True, array_cls: type = NDArray) -> NDArray:
    """An NDArray over a NumPy array, keeping its dtype and shape. With ``zero_copy`` (the
    default) the buffer is shared, the array must be C-contiguous and becomes read-only.

    Examples
    --------
    >>> import numpy as np
    >>> from tracegrad import nd
    >>> a = np.arange(3.0)
    >>> x = nd.from_numpy(a)
    >>> x.dtype, a.flags.writeable
    (<class 'numpy.float64'>, False)
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"nd.from_numpy takes a NumPy array, got {type(ndarray).__name__}")
    if array_cls is not NDArray:
        raise TypeError("nd.from_numpy: array_cls must be tracegrad's NDArray")
    if not zero_copy:
        return _wrap(np.array(ndarray, copy=True))
    if not ndarray.flags.c_contiguous:
        raise ValueError("nd.from_numpy: only C-contiguous arrays are supported for zero-copy "
                         "(pass zero_copy=False, or np.ascontiguousarray(a))")
    ndarray.flags.writeable = False
    return _wrap(ndarray.view())


class _Capsule:
    """A bare DLPack capsule dressed as a DLPack producer, for ``np.from_dlpack``."""

    def __init__(self, capsule: Any) -> None:
        self.capsule = capsule

    def __dlpack__(self, **_: Any) -> Any:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return _CPU


def from_dlpack(dlpack: Any) -> NDArray:
    """An NDArray sharing the memory of a DLPack capsule (from ``to_dlpack_for_read`` here,
    in MXNet or in another library) or of any object with ``__dlpack__`` (NumPy, PyTorch CPU
    tensors, ...). A capsule can be consumed once.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.from_dlpack(nd.to_dlpack_for_read(nd.array([1, 2]))).asnumpy().tolist()
    [1.0, 2.0]
    """
    producer = dlpack if hasattr(dlpack, "__dlpack__") else _Capsule(dlpack)
    try:
        arr = np.from_dlpack(producer)
    except (ValueError, TypeError, BufferError) as e:
        raise ValueError(f"nd.from_dlpack: not a usable DLPack tensor ({e}); a DLPack capsule "
                         f"can be consumed only once (at {_user_line()})") from None
    return _wrap(arr)


def _exportable(x: NDArray) -> np.ndarray:
    x._traced_conversion("a DLPack export")
    d = x._data
    return d if d.flags.writeable else d.copy()  # DLPack's legacy capsule has no read-only flag


def to_dlpack_for_read(data: NDArray) -> Any:
    """A DLPack capsule ("dltensor") sharing the array's memory, to be read by the consumer.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.to_dlpack_for_read(nd.ones(2))  # doctest: +ELLIPSIS
    <capsule object "dltensor" at ...>
    """
    return _exportable(data).__dlpack__()


def to_dlpack_for_write(data: NDArray) -> Any:
    """A DLPack capsule the consumer may write through: the array gets a buffer of its own
    first, so the writes reach it (and nothing else)."""
    data._check_inplace("to_dlpack_for_write")
    data._own()
    return _exportable(data).__dlpack__()


def __dlpack__(self: NDArray, **kwargs: Any) -> Any:
    """The DLPack protocol: NumPy's export of the data (``np.from_dlpack(x)`` shares it)."""
    return _exportable(self).__dlpack__(**kwargs)


def __dlpack_device__(self: NDArray) -> tuple[int, int]:
    return _CPU


__all__ = ["from_numpy", "from_dlpack", "to_dlpack_for_read", "to_dlpack_for_write"]
