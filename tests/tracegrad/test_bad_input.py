"""Bad input gets an error that names the operation, the argument, the shapes and the user's
line (issue 10), instead of a NumPy message, a deep AttributeError or a silent truncation."""

import numpy as np
import pytest

import tracegrad
from tracegrad import nd

HERE = "test_bad_input.py:"


def test_batch_dot_mismatch_names_the_op_shapes_and_line():
    a, b = nd.ones((2, 3, 4)), nd.ones((2, 5, 6))
    with pytest.raises(ValueError) as info:
        nd.batch_dot(a, b)
    msg = str(info.value)
    assert "batch_dot" in msg and "(2, 3, 4)" in msg and "(2, 5, 6)" in msg and HERE in msg
    with pytest.raises(ValueError, match=r"batch_dot.*batch sizes are 2 and 3"):
        nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((3, 4, 5)))
    with pytest.raises(ValueError, match=r"batch_dot.*transpose_b=True"):
        nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((2, 4, 5)), transpose_b=True)
    assert nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((2, 5, 4)), transpose_b=True).shape == \
        (2, 3, 5)


def test_broadcast_to_mismatch_names_the_op_shapes_and_line():
    with pytest.raises(ValueError) as info:
        nd.broadcast_to(nd.ones((2, 3)), (4, 3, 4))
    msg = str(info.value)
    assert "broadcast_to" in msg and "(2, 3)" in msg and "(4, 3, 4)" in msg and HERE in msg
    with pytest.raises(ValueError, match="broadcast_to"):
        nd.ones((3,)).broadcast_to((2,))
    with pytest.raises(ValueError, match="broadcast_to"):
        tracegrad.jit(lambda x: nd.broadcast_to(x, (5, 2)))(nd.ones((3, 2)))
    # valid ones, including MXNet's 0 (keep this dimension)
    assert nd.broadcast_to(nd.ones((1, 3)), (4, 3)).shape == (4, 3)
    assert nd.broadcast_to(nd.ones((2, 1)), (0, 5)).shape == (2, 5)
    np.testing.assert_array_equal(nd.broadcast_to(nd.array([1.0, 2.0]), (2, 2)).asnumpy(),
                                  [[1, 2], [1, 2]])


def test_jit_with_a_none_argument_says_which():
    f = tracegrad.jit(lambda x, y: x + y)
    with pytest.raises(TypeError) as info:
        f(nd.ones(2), None)
    text = str(info.value) + "".join(getattr(info.value, "__notes__", []))
    assert "operand 1 is None" in text and "add" in text
    assert "None as argument 1" in text and "NDArrays, NumPy arrays, Python numbers" in text
    assert HERE in text
    # None an argument that the function handles is fine (an empty tree)
    g = tracegrad.jit(lambda x, mask: x * 2 if mask is None else x * mask)
    np.testing.assert_array_equal(g(nd.ones(2), None).asnumpy(), [2, 2])


def test_eager_none_operand():
    with pytest.raises(TypeError, match=r"mul: operand 1 is None"):
        nd.ones(2) * None


def test_grad_argnums_errors():
    x = nd.ones(2)
    with pytest.raises(TypeError, match=r"grad requires float inputs; argument 1 .*Python int"):
        tracegrad.grad(lambda a, n: (a * n).sum(), argnums=1)(x, 3)
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple of ints"):
        tracegrad.grad(lambda a: a.sum(), argnums="0")(x)
    with pytest.raises(ValueError, match="out of range"):
        tracegrad.grad(lambda a: a.sum(), argnums=3)(x)


@pytest.mark.parametrize("ret, what", [(lambda y: (y, y), "a tuple of 2 values"),
                                       (lambda y: None, "None"),
                                       (lambda y: [y, y * 2, y], "a list of 3 values")])
def test_grad_of_a_function_not_returning_one_value(ret, what):
    f = tracegrad.grad(lambda x: ret((x * x).sum()))
    with pytest.raises(ValueError) as info:
        f(nd.ones(3))
    msg = str(info.value)
    assert "one array of size 1" in msg and what in msg
    with pytest.raises(ValueError, match="one array of size 1"):
        tracegrad.value_and_grad(lambda x: ret((x * x).sum()))(nd.ones(3))


def test_grad_of_a_non_scalar_output():
    with pytest.raises(ValueError, match=r"one array of size 1.*shape"):
        tracegrad.grad(lambda x: x * 2)(nd.ones(3))


@pytest.mark.parametrize("make", [
    lambda: nd.zeros((2.5, 3)),
    lambda: nd.ones((2, 3.0)),
    lambda: nd.full((2.5,), 1.0),
    lambda: nd.empty((1.5, 2)),
    lambda: nd.zeros(2.5),
    lambda: nd.ones((2, 3)).reshape((3, 2.0)),
    lambda: nd.reshape(nd.ones(6), (2.5, -1)),
    lambda: nd.broadcast_to(nd.ones((1, 3)), (2.5, 3)),
    lambda: nd.tile(nd.ones(2), (2.5,)),
    lambda: nd.repeat(nd.ones(2), 2.5),
    lambda: nd.zeros((True, 2)),
])
def test_non_integer_shapes_are_rejected(make):
    with pytest.raises(TypeError, match=r"non-integer dimension") as info:
        make()
    assert HERE in str(info.value)


def test_negative_and_integer_like_shapes():
    with pytest.raises(ValueError, match="negative dimension"):
        nd.zeros((2, -3))
    assert nd.zeros((np.int64(2), 3)).shape == (2, 3)
    assert nd.ones(np.int32(4)).shape == (4,)
    assert nd.ones((2, 3)).reshape((-1,)).shape == (6,)
    assert nd.ones((2, 3, 4)).reshape((-3, 4)).shape == (6, 4)
