"""A user's first jit/grad calls, run from the user's own folder (see check_wheel.sh)."""

import sys
import time

import numpy as np

import tracegrad
from tracegrad import nd

assert "compiler" not in sys.modules, "a top-level 'compiler' module was imported"
f = tracegrad.value_and_grad(lambda w, x: (nd.log1p(nd.exp(-w * x)) + nd.tanh(x) ** 2).sum())
w, x = nd.array(np.linspace(-1, 1, 1000)), nd.array(np.linspace(0, 2, 1000))
value, grad = f(w, x)
for _ in range(600):  # with tiers on, the compile child fills the cache meanwhile
    if "compiled" in f.explain() or tracegrad.config.tiers != "on":
        break
    time.sleep(0.1)
    f(w, x)
expected = -x.asnumpy() / (1 + np.exp(w.asnumpy() * x.asnumpy()))
np.testing.assert_allclose(grad.asnumpy(), expected, rtol=1e-4, atol=1e-6)
assert "compiled" in f.explain(), f.explain()
g = tracegrad.jit(lambda a: nd.dot(a, a.T).sum())(nd.ones((3, 4)))
assert g.asscalar() == 36.0
print(f"smoke ({tracegrad.config.tiers}): OK, {tracegrad.cache_info()}")
