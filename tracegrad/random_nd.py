"""The random operators MXNet 1.9 has at ``nd`` level: ``nd.uniform``/``nd.random_uniform``,
``nd.normal``/``nd.random_normal``, ``nd.random_randint``, ``nd.random_exponential``,
``nd.random_gamma``, ``nd.random_poisson``, ``nd.random_negative_binomial``,
``nd.random_generalized_negative_binomial``, the ``nd.sample_*`` operators (one distribution
per element of the parameter arrays) and ``nd.shuffle``.

They take MXNet's positional order (``low, high, shape, ctx, dtype``; note ``ctx`` before
``dtype``, unlike ``nd.random.uniform``) and ``out=``. Uniform, normal, randint and
exponential draws are primitives or composites of them, so a ``jit``-compiled function draws
fresh numbers on every call; gamma, Poisson, the negative binomials and multinomial draw from
NumPy eagerly (inside ``jit`` they make the function run eagerly rather than freeze one draw).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad import ops
from tracegrad import random as _random
from tracegrad._compiler import prims as P
from tracegrad._compiler.errors import ConcretizationError
from tracegrad._compiler.frontend.tracing import Tracer
from tracegrad.ndarray import NDArray, _user_line, _wrap
from tracegrad.opargs import int_tuple, reject_unknown, write_out


def _shape(shape: Any) -> tuple[int, ...]:
    if shape is None:
        return (1,)
    return int_tuple(shape, "nd.random")


def _dtype(dtype: Any, default: Any = np.float32) -> str:
    return np.dtype(default if dtype is None else dtype).name


def _eager(op: str) -> None:
    # a source primitive returns a tracer exactly when a trace is active
    if type(P.full(shape=(), dtype="float32", value=0.0)) is Tracer:
        raise ConcretizationError(f"{op} draws from NumPy eagerly (at {_user_line()})",
                                  source=_user_line(), reason=op)


def uniform(low: float = 0.0, high: float = 1.0, shape: Any = None, ctx: Any = None,
            dtype: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from U[low, high), float32 by default.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.uniform(0, 1, (2, 3)).shape
    (2, 3)
    """
    reject_unknown("nd.uniform", kwargs)
    return write_out("nd.uniform", _random.uniform(low, high, _shape(shape), dtype), out)


def normal(loc: float = 0.0, scale: float = 1.0, shape: Any = None, ctx: Any = None,
           dtype: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from N(loc, scale^2), float32 by default."""
    reject_unknown("nd.normal", kwargs)
    return write_out("nd.normal", _random.normal(loc, scale, _shape(shape), dtype), out)


random_uniform = uniform
random_normal = normal


def random_randint(low: int, high: int, shape: Any = None, ctx: Any = None, dtype: Any = None,
                   out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Integers in [low, high), int32 by default."""
    reject_unknown("nd.random_randint", kwargs)
    return write_out("nd.random_randint", _random.randint(low, high, _shape(shape), dtype), out)


def random_exponential(lam: float = 1.0, shape: Any = None, ctx: Any = None, dtype: Any = None,
                       out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the exponential distribution of rate ``lam`` (mean 1 / lam)."""
    reject_unknown("nd.random_exponential", kwargs)
    u = _random.uniform(0.0, 1.0, _shape(shape), dtype)
    return write_out("nd.random_exponential", -ops.log1p(-u) / float(lam), out)


def _numpy_draw(op: str, draw: Any, shape: Any, dtype: Any, out: Any) -> NDArray:
    _eager(op)
    return write_out(op, _wrap(np.asarray(draw(_shape(shape))).astype(_dtype(dtype))), out)


def random_gamma(alpha: float = 1.0, beta: float = 1.0, shape: Any = None, ctx: Any = None,
                 dtype: Any = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the gamma distribution of shape ``alpha`` and scale ``beta``."""
    reject_unknown("nd.random_gamma", kwargs)
    return _numpy_draw("nd.random_gamma", lambda s: np.random.gamma(alpha, beta, size=s),
                       shape, dtype, out)


def random_poisson(lam: float = 1.0, shape: Any = None, ctx: Any = None, dtype: Any = None,
                   out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the Poisson distribution of mean ``lam`` (as floats)."""
    reject_unknown("nd.random_poisson", kwargs)
    return _numpy_draw("nd.random_poisson", lambda s: np.random.poisson(lam, size=s), shape,
                       dtype, out)


def random_negative_binomial(k: float = 1, p: float = 1.0, shape: Any = None, ctx: Any = None,
                             dtype: Any = None, out: NDArray | None = None,
                             **kwargs: Any) -> NDArray:
    """The number of failures before ``k`` successes of probability ``p`` (as floats)."""
    reject_unknown("nd.random_negative_binomial", kwargs)
    return _numpy_draw("nd.random_negative_binomial",
                       lambda s: np.random.negative_binomial(k, p, size=s), shape, dtype, out)


def _gen_neg_binomial(mu: Any, alpha: Any, size: Any) -> np.ndarray:
    """Poisson draws whose means follow Gamma(1 / alpha, mu * alpha): mean mu, variance
    mu + alpha mu^2 (alpha = 0 is Poisson(mu))."""
    mu, alpha = np.broadcast_arrays(np.asarray(mu, dtype=np.float64),
                                    np.asarray(alpha, dtype=np.float64))
    mu, alpha = np.broadcast_to(mu, size), np.broadcast_to(alpha, size)
    safe = np.where(alpha > 0, alpha, 1.0)
    lam = np.where(alpha > 0, np.random.gamma(1.0 / safe, mu * safe), mu)
    return np.random.poisson(lam)


def random_generalized_negative_binomial(mu: float = 1.0, alpha: float = 1.0,
                                         shape: Any = None, ctx: Any = None, dtype: Any = None,
                                         out: NDArray | None = None,
                                         **kwargs: Any) -> NDArray:
    """Samples with mean ``mu`` and variance mu + alpha mu^2 (a gamma-Poisson mixture)."""
    reject_unknown("nd.random_generalized_negative_binomial", kwargs)
    return _numpy_draw("nd.random_generalized_negative_binomial",
                       lambda s: _gen_neg_binomial(mu, alpha, s), shape, dtype, out)


def _params(*arrays: Any) -> list[NDArray]:
    xs = [a if isinstance(a, NDArray) else NDArray(np.asarray(a, dtype=np.float32))
          for a in arrays]
    if len({x.shape for x in xs}) != 1:
        raise ValueError(f"nd.sample_*: the parameter arrays have different shapes "
                         f"{[x.shape for x in xs]}")
    return xs


def _sample_shape(param: NDArray, shape: Any) -> tuple[int, ...]:
    extra = () if shape is None else int_tuple(shape, "nd.sample")
    return param.shape + extra


def _expand(param: NDArray, full: tuple[int, ...]) -> NDArray:
    """The parameter broadcast over the trailing sample axes."""
    p = ops.reshape(param, param.shape + (1,) * (len(full) - param.ndim))
    return ops.broadcast_to(p, full)


def sample_uniform(low: Any, high: Any, shape: Any = None, dtype: Any = None,
                   out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """One U[low[i], high[i]) distribution per element: shape low.shape + shape.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.sample_uniform(nd.array([0, 10]), nd.array([1, 11]), shape=3).shape
    (2, 3)
    """
    reject_unknown("nd.sample_uniform", kwargs)
    lo, hi = _params(low, high)
    full = _sample_shape(lo, shape)
    u = _wrap(P.random_uniform(low=0.0, high=1.0, shape=full, dtype=_dtype(dtype)))
    res = _expand(lo, full).astype(u.dtype) + (_expand(hi, full) - _expand(lo, full)) * u
    return write_out("nd.sample_uniform", res.astype(u.dtype, copy=False), out)


def sample_normal(mu: Any, sigma: Any, shape: Any = None, dtype: Any = None,
                  out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """One N(mu[i], sigma[i]^2) distribution per element: shape mu.shape + shape."""
    reject_unknown("nd.sample_normal", kwargs)
    m, s = _params(mu, sigma)
    full = _sample_shape(m, shape)
    z = _wrap(P.random_normal(loc=0.0, scale=1.0, shape=full, dtype=_dtype(dtype)))
    res = _expand(m, full).astype(z.dtype) + _expand(s, full).astype(z.dtype) * z
    return write_out("nd.sample_normal", res, out)


def sample_exponential(lam: Any, shape: Any = None, dtype: Any = None,
                       out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """One exponential distribution of rate lam[i] per element."""
    reject_unknown("nd.sample_exponential", kwargs)
    (rate,) = _params(lam)
    full = _sample_shape(rate, shape)
    u = _wrap(P.random_uniform(low=0.0, high=1.0, shape=full, dtype=_dtype(dtype)))
    return write_out("nd.sample_exponential",
                     -ops.log1p(-u) / _expand(rate, full).astype(u.dtype), out)


def _numpy_sample(op: str, draw: Any, params: list[NDArray], shape: Any, dtype: Any,
                  out: Any) -> NDArray:
    _eager(op)
    full = _sample_shape(params[0], shape)
    values = [np.reshape(p.asnumpy(), p.shape + (1,) * (len(full) - p.ndim)) for p in params]
    return write_out(op, _wrap(np.asarray(draw(*values, full)).astype(_dtype(dtype))), out)


def sample_gamma(alpha: Any, beta: Any, shape: Any = None, dtype: Any = None,
                 out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """One gamma distribution (shape alpha[i], scale beta[i]) per element."""
    reject_unknown("nd.sample_gamma", kwargs)
    return _numpy_sample("nd.sample_gamma", lambda a, b, s: np.random.gamma(a, b, size=s),
                         _params(alpha, beta), shape, dtype, out)


def sample_poisson(lam: Any, shape: Any = None, dtype: Any = None, out: NDArray | None = None,
                   **kwargs: Any) -> NDArray:
    """One Poisson distribution of mean lam[i] per element."""
    reject_unknown("nd.sample_poisson", kwargs)
    return _numpy_sample("nd.sample_poisson", lambda m, s: np.random.poisson(m, size=s),
                         _params(lam), shape, dtype, out)


def sample_negative_binomial(k: Any, p: Any, shape: Any = None, dtype: Any = None,
                             out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """One negative binomial distribution (k[i], p[i]) per element."""
    reject_unknown("nd.sample_negative_binomial", kwargs)
    return _numpy_sample("nd.sample_negative_binomial",
                         lambda a, b, s: np.random.negative_binomial(a, b, size=s),
                         _params(k, p), shape, dtype, out)


def sample_generalized_negative_binomial(mu: Any, alpha: Any, shape: Any = None,
                                         dtype: Any = None, out: NDArray | None = None,
                                         **kwargs: Any) -> NDArray:
    """One generalized negative binomial distribution (mu[i], alpha[i]) per element."""
    reject_unknown("nd.sample_generalized_negative_binomial", kwargs)
    return _numpy_sample("nd.sample_generalized_negative_binomial", _gen_neg_binomial,
                         _params(mu, alpha), shape, dtype, out)


def sample_multinomial(data: Any, shape: Any = None, get_prob: bool = False,
                       dtype: Any = "int32", out: Any = None, **kwargs: Any) -> Any:
    """Indices drawn from the categorical distributions in the last axis of ``data``
    (probabilities): shape data.shape[:-1] + shape (``(1,)`` for one 1-D distribution and
    no ``shape``). ``get_prob=True`` also returns the log-probabilities of the draws."""
    reject_unknown("nd.sample_multinomial", kwargs)
    _eager("nd.sample_multinomial")
    probs = data.asnumpy() if isinstance(data, NDArray) else np.asarray(data)
    extra = () if shape is None else int_tuple(shape, "nd.sample_multinomial")
    rows = probs.reshape(-1, probs.shape[-1]).astype(np.float64)
    n = int(np.prod(extra, dtype=np.int64)) if extra else 1
    cdf = np.cumsum(rows, axis=1)
    u = np.random.uniform(size=(rows.shape[0], n)) * cdf[:, -1:]
    idx = np.minimum((u[:, :, None] >= cdf[:, None, :]).sum(axis=2), rows.shape[1] - 1)
    lead = probs.shape[:-1]
    out_shape = lead + extra if lead + extra else (1,)
    draws = idx.reshape(out_shape)
    res = write_out("nd.sample_multinomial", _wrap(draws.astype(_dtype(dtype))),
                    out[0] if get_prob and isinstance(out, (list, tuple)) else
                    None if get_prob else out)
    if not get_prob:
        return res
    logp = np.log(np.take_along_axis(rows, idx, axis=1)).reshape(out_shape)
    return [res, _wrap(logp.astype(probs.dtype if probs.dtype.kind == "f" else np.float32))]


def shuffle(data: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """A copy of ``data`` with its first axis randomly permuted."""
    reject_unknown("nd.shuffle", kwargs)
    _eager("nd.shuffle")
    return write_out("nd.shuffle", _random.shuffle(data), out)


__all__ = ["uniform", "normal", "random_uniform", "random_normal", "random_randint",
           "random_exponential", "random_gamma", "random_poisson", "random_negative_binomial",
           "random_generalized_negative_binomial", "sample_uniform", "sample_normal",
           "sample_exponential", "sample_gamma", "sample_poisson", "sample_negative_binomial",
           "sample_generalized_negative_binomial", "sample_multinomial", "shuffle"]
