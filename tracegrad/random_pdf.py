"""MXNet's ``random_pdf_*`` operators: the density (or probability mass) of samples under
distributions whose parameters are arrays, one distribution per element of the parameters
(the sample has the parameters' shape plus trailing axes of draws).

Each is a composite of the log-density (``gammaln`` for the normalising constants), so its
gradients with respect to the parameters and, for continuous distributions, the samples
are the derivatives; the samples of discrete distributions get no gradient, as in MXNet.
As MXNet's, the uniform and exponential densities do not check the support; the gamma
distribution's ``beta`` is its rate.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from tracegrad import ops
from tracegrad.ndarray import NDArray, _user_line
from tracegrad.opargs import reject_unknown, write_out
from tracegrad.ops import _nd
from tracegrad.ops_special import gammaln

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _arrays(op: str, sample: Any, params: tuple, event: int = 0) -> tuple:
    x = _nd(sample)
    ps = [_nd(p) for p in params]
    shape = ps[0].shape
    lead = shape[:len(shape) - event]
    for p in ps:
        if p.shape != shape:
            raise ValueError(f"{op}: the parameters have different shapes "
                             f"{[q.shape for q in ps]} (at {_user_line()})")
    if x.shape[:len(lead)] != lead or (event and x.shape[-event:] != shape[-event:]):
        raise ValueError(f"{op}: sample shape {x.shape} does not start with the parameters' "
                         f"shape {lead} (at {_user_line()})")
    extra = x.ndim - len(shape)
    expanded = [ops.reshape(p, lead + (1,) * extra + shape[len(lead):]) if extra else p
                for p in ps]
    return x, expanded


def _pdf(name: str, names: tuple[str, ...], logpdf: Callable, discrete: bool = False,
         doc: str = "") -> Any:
    def op(sample: Any = None, *args: Any, is_log: bool = False, out: NDArray | None = None,
           **kwargs: Any) -> NDArray:
        params = list(args) + [kwargs.pop(n) for n in names[len(args):] if n in kwargs]
        reject_unknown(f"nd.{name}", kwargs)
        if len(params) != len(names):
            raise TypeError(f"nd.{name} takes the sample and {', '.join(names)}")
        x, ps = _arrays(f"nd.{name}", sample, tuple(params))
        if discrete:
            x = ops.stop_gradient(x)
        lp = logpdf(x, *ps)
        res = lp if is_log else ops.exp(lp)
        return write_out(f"nd.{name}", ops.broadcast_to(res, x.shape), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"{doc} (its logarithm with ``is_log=True``); parameters {', '.join(names)}."
                  "\n\nExamples\n--------\n>>> from tracegrad import nd\n"
                  f">>> nd.{name}(nd.array([[1.0, 2.0]]), "
                  f"{', '.join('nd.array([0.5])' for _ in names)}).shape\n(1, 2)")
    return op


def _normal(x: NDArray, mu: NDArray, sigma: NDArray) -> NDArray:
    z = (x - mu) / sigma
    return -(z * z) * 0.5 - ops.log(sigma) - _HALF_LOG_2PI


def _uniform(x: NDArray, low: NDArray, high: NDArray) -> NDArray:
    return -ops.log(high - low) + x * 0.0


def _exponential(x: NDArray, lam: NDArray) -> NDArray:
    return ops.log(lam) - lam * x


def _gamma(x: NDArray, alpha: NDArray, beta: NDArray) -> NDArray:
    return alpha * ops.log(beta) + (alpha - 1.0) * ops.log(x) - beta * x - gammaln(alpha)


def _poisson(k: NDArray, lam: NDArray) -> NDArray:
    return k * ops.log(lam) - lam - gammaln(k + 1.0)


def _negative_binomial(x: NDArray, k: NDArray, p: NDArray) -> NDArray:
    return (gammaln(x + k) - gammaln(k) - gammaln(x + 1.0) + k * ops.log(p)
            + x * ops.log1p(-p))


def _generalized_negative_binomial(x: NDArray, mu: NDArray, alpha: NDArray) -> NDArray:
    k = 1.0 / alpha
    return _negative_binomial(x, k, 1.0 / (alpha * mu + 1.0))


random_pdf_normal = _pdf("random_pdf_normal", ("mu", "sigma"), _normal,
                         doc="The normal density N(mu, sigma^2) of the samples")
random_pdf_uniform = _pdf("random_pdf_uniform", ("low", "high"), _uniform,
                          doc="The uniform density 1 / (high - low) (support not checked)")
random_pdf_exponential = _pdf("random_pdf_exponential", ("lam",), _exponential,
                              doc="The exponential density lam exp(-lam x)")
random_pdf_gamma = _pdf("random_pdf_gamma", ("alpha", "beta"), _gamma,
                        doc="The gamma density of shape alpha and rate beta")
random_pdf_poisson = _pdf("random_pdf_poisson", ("lam",), _poisson, discrete=True,
                          doc="The Poisson probability lam^k exp(-lam) / k!")
random_pdf_negative_binomial = _pdf(
    "random_pdf_negative_binomial", ("k", "p"), _negative_binomial, discrete=True,
    doc="The probability of x failures before k successes of probability p")
random_pdf_generalized_negative_binomial = _pdf(
    "random_pdf_generalized_negative_binomial", ("mu", "alpha"),
    _generalized_negative_binomial, discrete=True,
    doc="The negative binomial probability of mean mu and variance mu + alpha mu^2")


def random_pdf_dirichlet(sample: Any = None, alpha: Any = None, is_log: bool = False,
                         out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The Dirichlet density of the samples (their last axis is the simplex coordinate;
    ``alpha`` has shape (..., K), the sample (..., draws..., K), the result (..., draws...));
    its logarithm with ``is_log=True``.

    Examples
    --------
    >>> from tracegrad import nd
    >>> nd.random_pdf_dirichlet(nd.array([[0.2, 0.8]]), nd.array([1.0, 1.0])).shape
    (1,)
    """
    reject_unknown("nd.random_pdf_dirichlet", kwargs)
    x, (a,) = _arrays("nd.random_pdf_dirichlet", sample, (alpha,), event=1)
    last = x.ndim - 1
    norm = gammaln(ops.sum(a, axis=last)) - ops.sum(gammaln(a), axis=last)
    lp = norm + ops.sum((a - 1.0) * ops.log(x), axis=last)
    res = lp if is_log else ops.exp(lp)
    return write_out("nd.random_pdf_dirichlet", res.astype(x.dtype, copy=False), out)


__all__ = ["random_pdf_normal", "random_pdf_uniform", "random_pdf_exponential",
           "random_pdf_gamma", "random_pdf_poisson", "random_pdf_negative_binomial",
           "random_pdf_generalized_negative_binomial", "random_pdf_dirichlet"]
