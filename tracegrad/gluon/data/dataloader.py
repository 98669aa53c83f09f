"""``DataLoader``: batches of a dataset, optionally loaded by worker processes.

With ``num_workers > 0`` the batches are made by a pool of processes started with the
*fork* method; each worker gets the batch's indices, reads the samples and stacks them with
NumPy (no tracegrad operation, so a worker never compiles or touches numba's state), and
the batches come back in order. NDArrays are rebuilt in the main process.

>>> import numpy as np
>>> from tracegrad.gluon.data import ArrayDataset, DataLoader
>>> ds = ArrayDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
>>> [(x.shape, y.asnumpy().tolist()) for x, y in DataLoader(ds, batch_size=2)]
[((2, 2), [0, 1]), ((2, 2), [2, 3]), ((1, 2), [4])]
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from tracegrad import nd
from tracegrad.gluon.data import sampler as _sampler
from tracegrad.ndarray import NDArray

__all__ = ["DataLoader", "default_batchify_fn"]


def _as_numpy(x: Any) -> Any:
    if isinstance(x, NDArray):
        return x.asnumpy()
    if isinstance(x, (tuple, list)):
        return type(x)(_as_numpy(v) for v in x)
    return x


def _stack_numpy(data: list) -> Any:
    """The samples stacked along a new first axis, as NumPy (tuples stacked per field, into
    a list, as MXNet's default_batchify_fn)."""
    first = data[0]
    if isinstance(first, tuple):
        return [_stack_numpy(list(field)) for field in zip(*data)]
    if isinstance(first, NDArray):
        return np.stack([d.asnumpy() for d in data])
    return np.asarray(data)


def _to_nd(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return nd.array(x, dtype=x.dtype)
    if isinstance(x, tuple):
        return tuple(_to_nd(v) for v in x)
    if isinstance(x, list):
        return [_to_nd(v) for v in x]
    return x


def default_batchify_fn(data: list) -> Any:
    """Stack samples into a batch NDArray (tuples field by field, as a list), keeping the
    dtype."""
    return _to_nd(_stack_numpy(data))


_WORKER: dict = {}


def _worker_init(dataset: Any, batchify_fn: Callable | None) -> None:
    _WORKER["dataset"] = dataset
    _WORKER["batchify_fn"] = batchify_fn


def _worker_fn(indices: list) -> Any:
    dataset = _WORKER["dataset"]
    samples = [dataset[i] for i in indices]
    fn = _WORKER["batchify_fn"]
    return _stack_numpy(samples) if fn is None else _as_numpy(fn(samples))


class DataLoader:
    """Batches from ``dataset``: ``batch_size`` samples each, in order or shuffled, or as
    a ``sampler`` / ``batch_sampler`` says; ``last_batch`` is ``'keep'`` (default),
    ``'discard'`` or ``'rollover'``; ``batchify_fn`` makes a batch of a list of samples;
    ``num_workers`` worker processes load batches in parallel."""

    def __init__(self, dataset: Any, batch_size: int | None = None, shuffle: bool = False,
                 sampler: Any = None, last_batch: str | None = None, batch_sampler: Any = None,
                 batchify_fn: Callable | None = None, num_workers: int = 0,
                 pin_memory: bool = False, pin_device_id: int = 0, prefetch: int | None = None,
                 thread_pool: bool = False, timeout: int = 120, **_: Any) -> None:
        self._dataset = dataset
        self._timeout = timeout
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless batch_sampler is "
                                 "specified")
            if sampler is None:
                sampler = _sampler.RandomSampler(len(dataset)) if shuffle else \
                    _sampler.SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            batch_sampler = _sampler.BatchSampler(sampler, batch_size,
                                                  last_batch if last_batch else "keep")
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must not be "
                             "specified if batch_sampler is specified.")
        self._batch_sampler = batch_sampler
        self._num_workers = num_workers if num_workers >= 0 else 0
        self._batchify_fn = batchify_fn
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * self._num_workers)
        self._pool: Any = None

    def _get_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing  # only for workers: 8 ms of `import tracegrad` otherwise

            ctx = multiprocessing.get_context("fork")
            self._pool = ctx.Pool(self._num_workers, initializer=_worker_init,
                                  initargs=(self._dataset, self._batchify_fn))
        return self._pool

    def __iter__(self) -> Iterator:
        if self._num_workers == 0:
            fn = self._batchify_fn or default_batchify_fn
            for batch in self._batch_sampler:
                yield fn([self._dataset[idx] for idx in batch])
            return
        pool = self._get_pool()
        for result in pool.imap(_worker_fn, iter(self._batch_sampler)):
            yield _to_nd(result)

    def __len__(self) -> int:
        return len(self._batch_sampler)

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.terminate()
            self._pool = None
