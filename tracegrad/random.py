"""Random arrays (``nd.random``) drawn from NumPy's global generator.

Inside ``jit`` these stay operations of the graph, so every call draws new numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad._compiler import prims as P
from tracegrad.ndarray import NDArray, _wrap
from tracegrad.opargs import reject_unknown, write_out


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the generator used by ``nd.random`` and Dropout."""
    np.random.seed(seed_state)


def _shape(shape: Any) -> tuple[int, ...]:
    if shape is None:
        return (1,)
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)


def uniform(low: Any = 0.0, high: Any = 1.0, shape: Any = None, dtype: Any = None,
            ctx: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from U[low, high); NDArray ``low`` and ``high`` draw one distribution per
    element (shape low.shape + shape), as ``nd.sample_uniform``."""
    reject_unknown("nd.random.uniform", kwargs)
    if isinstance(low, NDArray) or isinstance(high, NDArray):
        from tracegrad.random_nd import sample_uniform

        return sample_uniform(low, high, shape, dtype, out)
    return write_out("nd.random.uniform", _wrap(P.random_uniform(
        low=float(low), high=float(high), shape=_shape(shape),
        dtype=np.dtype(dtype or np.float32).name)), out)


def normal(loc: Any = 0.0, scale: Any = 1.0, shape: Any = None, dtype: Any = None,
           ctx: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from N(loc, scale**2); NDArray ``loc`` and ``scale`` draw one distribution per
    element, as ``nd.sample_normal``."""
    reject_unknown("nd.random.normal", kwargs)
    if isinstance(loc, NDArray) or isinstance(scale, NDArray):
        from tracegrad.random_nd import sample_normal

        return sample_normal(loc, scale, shape, dtype, out)
    if scale < 0:
        raise ValueError(f"normal: scale must be non-negative, got {scale}")
    return write_out("nd.random.normal", _wrap(P.random_normal(
        loc=float(loc), scale=float(scale), shape=_shape(shape),
        dtype=np.dtype(dtype or np.float32).name)), out)


def randint(low: int, high: int, shape: Any = None, dtype: Any = None, ctx: Any = None,
            out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Integers in [low, high), int32 by default as in MXNet."""
    reject_unknown("nd.random.randint", kwargs)
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    return write_out("nd.random.randint", _wrap(P.random_randint(
        low=int(low), high=int(high), shape=_shape(shape),
        dtype=np.dtype(dtype or np.int32).name)), out)


def shuffle(data: NDArray, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """A copy of ``data`` with its first axis randomly permuted."""
    reject_unknown("nd.random.shuffle", kwargs)
    arr = data.asnumpy()
    np.random.shuffle(arr)
    return write_out("nd.random.shuffle", NDArray(arr), out)


# -- the other distributions of mxnet.nd.random (the nd-level operators of random_nd.py do the
# drawing; NDArray parameters draw one distribution per element, as nd.sample_*) ------------

def _nd_module() -> Any:
    from tracegrad import random_nd

    return random_nd


def exponential(scale: Any = 1, shape: Any = None, dtype: Any = None, ctx: Any = None,
                out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the exponential distribution of mean ``scale`` (rate 1 / scale)."""
    reject_unknown("nd.random.exponential", kwargs)
    rnd = _nd_module()
    if isinstance(scale, NDArray):
        return rnd.sample_exponential(1.0 / scale, shape, dtype, out)
    return rnd.random_exponential(1.0 / float(scale), shape, ctx, dtype, out)


def gamma(alpha: Any = 1, beta: Any = 1, shape: Any = None, dtype: Any = None,
          ctx: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the gamma distribution of shape ``alpha`` and scale ``beta``."""
    reject_unknown("nd.random.gamma", kwargs)
    rnd = _nd_module()
    if isinstance(alpha, NDArray) or isinstance(beta, NDArray):
        return rnd.sample_gamma(alpha, beta, shape, dtype, out)
    return rnd.random_gamma(alpha, beta, shape, ctx, dtype, out)


def poisson(lam: Any = 1, shape: Any = None, dtype: Any = None, ctx: Any = None,
            out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the Poisson distribution of mean ``lam`` (as floats)."""
    reject_unknown("nd.random.poisson", kwargs)
    rnd = _nd_module()
    if isinstance(lam, NDArray):
        return rnd.sample_poisson(lam, shape, dtype, out)
    return rnd.random_poisson(lam, shape, ctx, dtype, out)


def negative_binomial(k: Any = 1, p: Any = 1, shape: Any = None, dtype: Any = None,
                      ctx: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The number of failures before ``k`` successes of probability ``p`` (as floats)."""
    reject_unknown("nd.random.negative_binomial", kwargs)
    rnd = _nd_module()
    if isinstance(k, NDArray) or isinstance(p, NDArray):
        return rnd.sample_negative_binomial(k, p, shape, dtype, out)
    return rnd.random_negative_binomial(k, p, shape, ctx, dtype, out)


def generalized_negative_binomial(mu: Any = 1, alpha: Any = 1, shape: Any = None,
                                  dtype: Any = None, ctx: Any = None,
                                  out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples of mean ``mu`` and variance mu + alpha mu^2 (a gamma-Poisson mixture)."""
    reject_unknown("nd.random.generalized_negative_binomial", kwargs)
    rnd = _nd_module()
    if isinstance(mu, NDArray) or isinstance(alpha, NDArray):
        return rnd.sample_generalized_negative_binomial(mu, alpha, shape, dtype, out)
    return rnd.random_generalized_negative_binomial(mu, alpha, shape, ctx, dtype, out)


def multinomial(data: Any, shape: Any = None, get_prob: bool = False, out: Any = None,
                dtype: Any = "int32", **kwargs: Any) -> Any:
    """Class indices drawn from the probabilities in the last axis of ``data`` (see
    ``nd.sample_multinomial``); ``get_prob=True`` also returns their log-probabilities."""
    reject_unknown("nd.random.multinomial", kwargs)
    return _nd_module().sample_multinomial(data, shape, get_prob, dtype, out)


def randn(*shape: int, loc: float = 0.0, scale: float = 1.0, dtype: Any = None,
          ctx: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from N(loc, scale^2) of the given shape (``randn(2, 3)``).

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.random.randn(2, 3).shape
    (2, 3)
    """
    reject_unknown("nd.random.randn", kwargs)
    if not shape:
        raise ValueError("nd.random.randn needs a shape: randn(d0, d1, ...)")
    if np.dtype(dtype or np.float32).kind != "f":
        raise TypeError(f"nd.random.randn: dtype must be a float type, not "
                        f"{np.dtype(dtype).name}")
    return normal(loc, scale, shape, dtype, ctx, out)


def _like(name: str, draw: Any, defaults: dict) -> Any:
    def op(data: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
        params = dict(defaults)
        kwargs.pop("name", None)
        for key, value in kwargs.items():
            if key not in params:
                raise TypeError(f"nd.random.{name}() got an unexpected keyword argument "
                                f"{key!r}")
            params[key] = value
        x = data if isinstance(data, NDArray) else NDArray(np.asarray(data, np.float32))
        return draw(*params.values(), shape=x.shape, dtype=np.dtype(x.dtype).name, out=out)

    op.__name__ = op.__qualname__ = name
    args = ", ".join(f"{k}={v}" for k, v in defaults.items())
    op.__doc__ = (f"Samples ({args}) of the shape and dtype of ``data``.\n\nExamples\n"
                  "--------\n>>> from tracegrad import nd\n"
                  f">>> nd.random.{name}(nd.zeros((2, 3))).shape\n(2, 3)")
    return op


uniform_like = _like("uniform_like", uniform, {"low": 0.0, "high": 1.0})
normal_like = _like("normal_like", normal, {"loc": 0.0, "scale": 1.0})
exponential_like = _like(
    "exponential_like", lambda lam, **kw: exponential(1.0 / float(lam), **kw), {"lam": 1.0})
gamma_like = _like("gamma_like", gamma, {"alpha": 1.0, "beta": 1.0})
poisson_like = _like("poisson_like", poisson, {"lam": 1.0})
negative_binomial_like = _like("negative_binomial_like", negative_binomial,
                               {"k": 1, "p": 1.0})
generalized_negative_binomial_like = _like(
    "generalized_negative_binomial_like", generalized_negative_binomial,
    {"mu": 1.0, "alpha": 1.0})


def current_context() -> Any:
    """The default context: ``cpu(0)``."""
    from tracegrad.ndarray import cpu

    return cpu(0)
