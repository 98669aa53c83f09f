"""Every autograd test starts outside record/train scopes and leaves the state at its default."""

import pytest

from tests.tracegrad.autograd.helpers import flags
from tracegrad import autograd


@pytest.fixture(autouse=True)
def _default_state():
    assert flags() == (False, False), "a previous test leaked autograd state"
    yield
    autograd.set_recording(False)
    autograd.set_training(False)
