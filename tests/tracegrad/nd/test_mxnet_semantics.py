"""nd behaviours checked against real MXNet 1.9.1 (issue 13): every expected value here is
what MXNet gave for the same code (the differential harness, tests/mxnet, runs it live)."""

import numpy as np
import pytest

from tracegrad import nd

# -- reshape codes ----------------------------------------------------------------------------

# (input shape, codes, reverse, MXNet's result shape)
RESHAPES = [
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (-4, -1, 1, -2), False, (2, 1, 3, 4)),
    ((2, 3, 4), (0, -4, 3, -1, -2), False, (2, 3, 1, 4)),
    ((2, 3, 4), (-4, 2, -1, -2), False, (2, 1, 3, 4)),
    ((2, 3, 4), (0, 0, -4, 2, 2), False, (2, 3, 2, 2)),
    ((2, 3, 4), (1, -1, -4, 2, 2), False, (1, 6, 2, 2)),
    ((2, 3, 4), (-3, -1), False, (6, 4)),
    ((2, 3, 4), (0, -3), False, (2, 12)),
    ((2, 3, 4), (-1, 0), False, (8, 3)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    ((2, 3, 4), (0, -1), True, (3, 8)),
    ((2, 3, 4), (-1, -3), True, (2, 12)),
    ((2, 3, 4), (1, -1, 0), True, (1, 6, 4)),
    ((2, 3, 4), (2, -2), False, (2, 3, 4)),
    ((2, 3, 4), (-2, 1), False, (2, 3, 4, 1)),
    ((2, 3, 4), (4, 0, -1), False, (4, 3, 2)),
    ((2, 3, 4), (2, 3, 4, -1), False, (2, 3, 4, 1)),
    ((4, 3), (0, 0, 1), False, (4, 3, 1)),
    ((6,), (-4, 2, 3), False, (2, 3)),
    # MXNet writes the inferred size at the -1's index among the codes
    ((2, 3, 4), (-4, 2, 1, -1, 1, 1), False, (2, 1, 1, 12, 1)),
]
# codes MXNet rejects (or, for nd.reshape, crashes on)
BAD_RESHAPES = [
    ((2, 3, 4), (-2, -1), False), ((2, 3, 4), (-4, 2, 2, -2), False),
    ((2, 3, 4), (-4, -1, -1, -2), False), ((2, 3, 4), (-1, -1), False),
    ((2, 3, 4), (0, 0, 0, 0), False), ((2, 3, 4), (-3, -3), False), ((2, 3, 4), (5, -1), False),
    ((2, 3, 4), (-5,), False), ((2, 3, 4), (-4, 1), False), ((2, 3, 4), (-4, 1, 2, -1), False),
    ((2, 3, 4), (-4, 1, 2, -2), True), ((2, 3, 4), (0, -4, 3, -1, -2), True),
]


@pytest.mark.parametrize("old, codes, reverse, expected", RESHAPES,
                         ids=[f"{o}-{c}-{r}" for o, c, r, _ in RESHAPES])
def test_reshape_codes(old, codes, reverse, expected):
    x = nd.arange(int(np.prod(old))).reshape(old)
    for y in (x.reshape(codes, reverse=reverse), nd.reshape(x, shape=codes, reverse=reverse)):
        assert y.shape == expected
        np.testing.assert_array_equal(y.asnumpy().ravel(), np.arange(x.size))
    if not reverse:
        assert x.reshape(*codes).shape == expected


@pytest.mark.parametrize("old, codes, reverse", BAD_RESHAPES,
                         ids=[f"{o}-{c}-{r}" for o, c, r in BAD_RESHAPES])
def test_reshape_codes_mxnet_rejects(old, codes, reverse):
    with pytest.raises(ValueError, match="reshape"):
        nd.zeros(old).reshape(codes, reverse=reverse)


def test_reshape_like_uses_the_same_rule():
    y = nd.reshape_like(nd.ones((30, 7)), nd.ones((15, 2, 4)), lhs_begin=0, lhs_end=1,
                        rhs_begin=0, rhs_end=2)
    assert y.shape == (15, 2, 7)
    with pytest.raises(ValueError):
        nd.reshape_like(nd.ones((30, 7)), nd.ones((4, 4)))
