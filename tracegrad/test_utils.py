"""The parts of ``mxnet.test_utils`` that test files of MXNet code use: tolerances per dtype,
``assert_almost_equal`` (NDArrays or NumPy arrays), ``same``, ``assert_exception``, random
arrays and shapes, and the default context.

>>> from tracegrad import nd, test_utils
>>> test_utils.assert_almost_equal(nd.array([1.0, 2.0]), [1.00001, 2.0])
>>> test_utils.same(nd.array([1, 2]).asnumpy(), [1.0, 2.0])
True
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from tracegrad.context import CPU, Context
from tracegrad.ndarray import NDArray

__all__ = ["default_context", "set_default_context", "default_dtype", "default_rtols",
           "default_atols", "get_tolerance", "get_tols", "get_rtol", "get_atol", "same",
           "almost_equal", "assert_almost_equal", "assert_allclose", "assert_exception",
           "rand_ndarray", "rand_shape_2d", "rand_shape_3d", "rand_shape_nd"]

_FLOAT_RTOL = {"float16": 1e-2, "float32": 1e-4, "float64": 1e-5}
_FLOAT_ATOL = {"float16": 1e-1, "float32": 1e-3, "float64": 1e-20}


def default_context() -> Context:
    """The context tests run on: ``cpu(0)``."""
    return CPU


def set_default_context(ctx: Any) -> None:
    """Accepted for the CPU (the only context); another device is a
    :class:`~tracegrad.context.DeviceError`."""
    Context(ctx)


def default_dtype() -> type:
    return np.float32


def _by_dtype(floats: dict) -> dict:
    ints = ("bool", "int8", "uint8", "int32", "uint32", "int64", "uint64")
    return {**{np.dtype(k): v for k, v in floats.items()}, **{np.dtype(k): 0 for k in ints}}


def default_rtols() -> dict:
    """Relative tolerance per dtype (MXNet's: float16 1e-2, float32 1e-4, float64 1e-5)."""
    return _by_dtype(_FLOAT_RTOL)


def default_atols() -> dict:
    """Absolute tolerance per dtype (MXNet's: float16 1e-1, float32 1e-3, float64 1e-20)."""
    return _by_dtype(_FLOAT_ATOL)


def get_tolerance(dat: Any, tol: Any, default_tol: dict) -> float:
    """``tol`` itself if it is a number, else its entry (or the default) for dat's dtype."""
    if isinstance(tol, numbers.Number):
        return float(tol)  # type: ignore[arg-type]
    dtype = np.dtype(getattr(dat, "dtype", np.asarray(dat).dtype))
    return (tol or {}).get(dtype, default_tol[dtype])


def get_tols(x: Any, y: Any, rtol: Any, atol: Any) -> tuple[float, float]:
    """The tolerances for comparing x and y: the larger of the two dtypes' (or the given)."""
    return (max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols())),
            max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols())))


def get_rtol(rtol: float | None = None, dtype: Any = np.float64) -> float:
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_atol(atol: float | None = None, dtype: Any = np.float64) -> float:
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def _host(x: Any) -> np.ndarray:
    return x.asnumpy() if isinstance(x, NDArray) else np.asarray(x)


def same(a: Any, b: Any) -> bool:
    """Whether a and b have equal shapes and values."""
    return bool(np.array_equal(_host(a), _host(b)))


def almost_equal(a: Any, b: Any, rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = False, use_broadcast: bool = True) -> bool:
    """``np.allclose`` with float64's default tolerances (MXNet's, whatever the dtypes)."""
    a, b = _host(a), _host(b)
    if not use_broadcast and a.shape != b.shape:
        return False
    return bool(np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol),
                            equal_nan=equal_nan))


def assert_almost_equal(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                        names: tuple[str, str] = ("a", "b"), equal_nan: bool = False,
                        use_broadcast: bool = True, mismatches: tuple[int, int] = (10, 10)
                        ) -> None:
    """Raise AssertionError unless ``|a - b| <= atol + rtol * |b|`` everywhere, with the
    tolerances of both dtypes (:func:`get_tols`) unless given. The message names the worst
    element, its position and how many elements are off."""
    rtol, atol = get_tols(a, b, rtol, atol)
    x, y = _host(a), _host(b)
    if not use_broadcast and x.shape != y.shape:
        raise AssertionError(f"{names[0]}.shape = {x.shape} and {names[1]}.shape = {y.shape} "
                             "are not equal")
    if x.dtype == np.bool_ and y.dtype == np.bool_:
        np.testing.assert_equal(x, y)
        return
    if np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    x, y = np.broadcast_arrays(x.astype(np.float64), y.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = np.abs(x - y) / (atol + rtol * np.abs(y))
    bad = ~np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    excess = np.where(np.isnan(excess), np.inf, excess)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(np.where(bad, excess, -1.0)),
                                                   x.shape)) if x.ndim else ()
    raise AssertionError(
        f"Error {float(excess[worst]):f} exceeds tolerance rtol={rtol:e}, atol={atol:e} "
        f"(mismatch {100.0 * bad.sum() / max(bad.size, 1):f}%).\nLocation of maximum error: "
        f"{worst}, {names[0]}={float(x[worst]):.8f}, {names[1]}={float(y[worst]):.8f}")


def assert_allclose(a: Any, b: Any, rtol: float = 1e-07, atol: float = 0,
                    equal_nan: bool = True) -> None:
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_exception(f: Callable, exception_type: type, *args: Any, **kwargs: Any) -> None:
    """Raise AssertionError unless ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise "
                         f"{exception_type.__name__}")


def rand_ndarray(shape: Any, stype: str = "default", density: float | None = None,
                 dtype: Any = None, modifier_func: Callable | None = None,
                 shuffle_csr_indices: bool = False, distribution: str | None = None,
                 ctx: Any = None) -> NDArray:
    """A dense array of uniform [0, 1) values (``modifier_func`` applied to them). Sparse
    storage types do not exist in tracegrad."""
    if stype != "default":
        raise NotImplementedError(f"rand_ndarray: stype {stype!r}: tracegrad has dense arrays "
                                  "only")
    if ctx is not None:
        Context(ctx)
    values = np.random.uniform(size=shape)
    if modifier_func is not None:
        values = np.vectorize(modifier_func)(values)
    return NDArray(values.astype(np.dtype(dtype or np.float32)))


def rand_shape_2d(dim0: int = 10, dim1: int = 10, allow_zero_size: bool = False) -> tuple:
    low = 0 if allow_zero_size else 1
    return np.random.randint(low, dim0 + 1), np.random.randint(low, dim1 + 1)


def rand_shape_3d(dim0: int = 10, dim1: int = 10, dim2: int = 10,
                  allow_zero_size: bool = False) -> tuple:
    low = 0 if allow_zero_size else 1
    return (np.random.randint(low, dim0 + 1), np.random.randint(low, dim1 + 1),
            np.random.randint(low, dim2 + 1))


def rand_shape_nd(num_dim: int, dim: int = 10, allow_zero_size: bool = False) -> tuple:
    low = 0 if allow_zero_size else 1
    return tuple(int(n) for n in np.random.randint(low, dim + 1, size=num_dim))

