"""Datasets: ``Dataset`` (with ``transform`` / ``transform_first``), ``SimpleDataset``,
``ArrayDataset``.

>>> import numpy as np
>>> from tracegrad.gluon.data import ArrayDataset
>>> ds = ArrayDataset(np.arange(6).reshape(3, 2), np.array([0, 1, 0]))
>>> len(ds), ds[1]
(3, (array([2, 3]), np.int64(1)))
>>> ds.transform_first(lambda x: x * 10)[1]
(array([20, 30]), np.int64(1))
"""

from __future__ import annotations

from typing import Any, Callable

from tracegrad.ndarray import NDArray

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset"]


class Dataset:
    """The abstract dataset: ``__getitem__`` and ``__len__``."""

    def __getitem__(self, idx: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def filter(self, fn: Callable[[Any], bool]) -> SimpleDataset:
        """The samples for which ``fn(sample)`` is true."""
        return SimpleDataset([self[i] for i in range(len(self)) if fn(self[i])])

    def take(self, count: int | None) -> SimpleDataset:
        """The first ``count`` samples (all of them for None)."""
        n = len(self) if count is None else min(count, len(self))
        return SimpleDataset([self[i] for i in range(n)])

    def transform(self, fn: Callable, lazy: bool = True) -> Dataset:
        """A dataset of ``fn(*sample)`` (``fn(sample)`` when a sample is not a tuple),
        computed on access (``lazy``) or now."""
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn: Callable, lazy: bool = True) -> Dataset:
        """Transform only the first element of each sample (the data, not the label)."""
        return self.transform(_TransformFirstClosure(fn), lazy)


class SimpleDataset(Dataset):
    """A dataset over any object with ``__getitem__`` and ``__len__`` (a list...)."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]


class _LazyTransformDataset(Dataset):
    def __init__(self, data: Dataset, fn: Callable) -> None:
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirstClosure:
    """Picklable (for worker processes) ``fn`` applied to the first element."""

    def __init__(self, fn: Callable) -> None:
        self._fn = fn

    def __call__(self, x: Any, *args: Any) -> Any:
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class ArrayDataset(Dataset):
    """Samples zipped from arrays of equal length: ``ds[i] = (a[i], b[i], ...)`` (just
    ``a[i]`` for one array). 1-D NDArrays are read as NumPy arrays, as MXNet does."""

    def __init__(self, *args: Any) -> None:
        if not args:
            raise AssertionError("Needs at least 1 arrays")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise AssertionError(f"All arrays must have the same length; array[0] has "
                                     f"length {self._length} while array[{i}] has "
                                     f"{len(data)}.")
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx: int) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length
