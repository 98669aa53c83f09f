"""MNIST and Fashion-MNIST read from a local folder holding the standard idx files
(``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``, ``t10k-...``).
tracegrad never downloads: put the files in ``root`` first.

A sample is ``(image, label)``: a uint8 NDArray of shape (28, 28, 1) and an int32 label,
as in MXNet; ``transform(data, label)`` is applied to each when given.
"""

from __future__ import annotations

import gzip
import os
import struct
from typing import Any, Callable

import numpy as np

from tracegrad import nd
from tracegrad.gluon.data.dataset import Dataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]


def read_idx(path: str) -> np.ndarray:
    """An idx file (optionally gzipped) as a NumPy array of its stored shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        zero, dtype_code, ndim = struct.unpack(">HBB", f.read(4))
        if zero != 0 or dtype_code != 0x08:
            raise ValueError(f"{path} is not an unsigned-byte idx file")
        shape = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        data = np.frombuffer(f.read(), dtype=np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape} but the file holds {data.size} "
                         "values")
    return data.reshape(shape)


class MNIST(Dataset):
    """The MNIST digits from ``root`` (``train=True``: the 60,000 training images)."""

    _default_root = os.path.join("~", ".mxnet", "datasets", "mnist")
    _files = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

    def __init__(self, root: str | None = None, train: bool = True,
                 transform: Callable | None = None) -> None:
        self._root = os.path.expanduser(root or self._default_root)
        self._train = train
        self._transform = transform
        self._data, self._label = self._get_data()

    def _find(self, name: str) -> str:
        for candidate in (name + ".gz", name):
            path = os.path.join(self._root, candidate)
            if os.path.exists(path):
                return path
        raise FileNotFoundError(
            f"{type(self).__name__}: {name}[.gz] is not in {self._root}. tracegrad does not "
            "download data sets; copy the four idx files (train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
            "into that folder, or pass root=.")

    def _get_data(self) -> tuple[Any, np.ndarray]:
        images, labels = self._files[self._train]
        label = read_idx(self._find(labels)).astype(np.int32)
        data = read_idx(self._find(images))
        data = data.reshape(len(label), data.shape[1], data.shape[2], 1)
        return nd.array(data, dtype=data.dtype), label

    def __getitem__(self, idx: int) -> Any:
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self) -> int:
        return len(self._label)


class FashionMNIST(MNIST):
    """Fashion-MNIST: the same files and layout as MNIST, from its own folder."""

    _default_root = os.path.join("~", ".mxnet", "datasets", "fashion-mnist")
