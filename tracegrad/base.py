"""``mx.base``'s error class: MXNet raises ``MXNetError`` (a RuntimeError) for what its engine
rejects; tracegrad's corresponding errors derive from RuntimeError, so ``except
mx.base.MXNetError`` catches them.

>>> import tracegrad as mx
>>> try:
...     mx.nd.zeros((1,), ctx=mx.gpu())
... except mx.base.MXNetError:
...     print("no GPU: using the CPU")
no GPU: using the CPU
"""

MXNetError = RuntimeError

__all__ = ["MXNetError"]
