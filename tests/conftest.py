import numpy as np
import pytest

import tracegrad  # noqa: F401  (registers NDArray with the compiler)

# Users get tiers on (the interpreter answers while kernels compile). The tests that check
# compiled kernels must see them on the first call, so the suite runs blocking; the tests
# of tiers switch them on themselves, and the examples (subprocesses) run with the default.
tracegrad.config.tiers = "blocking"


@pytest.fixture(autouse=True)
def _reset_numpy_seed():
    np.random.seed(0)
    yield
