"""``gluon.data``: datasets, samplers and the DataLoader; ``vision`` for image data."""

from tracegrad.gluon.data import vision  # noqa: F401
from tracegrad.gluon.data.dataloader import DataLoader, default_batchify_fn
from tracegrad.gluon.data.dataset import ArrayDataset, Dataset, SimpleDataset
from tracegrad.gluon.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "DataLoader", "default_batchify_fn",
           "Sampler", "SequentialSampler", "RandomSampler", "BatchSampler", "vision"]
