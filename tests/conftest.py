import numpy as np
import pytest

import tracegrad  # noqa: F401  (registers NDArray with the compiler)


@pytest.fixture(autouse=True)
def _reset_numpy_seed():
    np.random.seed(0)
    yield
