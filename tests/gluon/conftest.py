import pytest

from tracegrad import autograd
from tracegrad._compiler import executor


@pytest.fixture
def interpreter():
    """Run compiled graphs on the reference interpreter (no numba compilation)."""
    executor.set_backend("interpreter")
    yield
    executor.set_backend(None)


@pytest.fixture(autouse=True)
def _clean_flags():
    yield
    autograd.set_recording(False)
    autograd.set_training(False)
