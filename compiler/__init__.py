"""tracegrad's compiler, installed as ``tracegrad._compiler``; it never imports the front end.

Importing it registers every primitive (``call`` included). The folders are the pipeline:
``core``/``ir``/``prims`` (declarations) → ``frontend`` (tracing, interpreter, autodiff) →
``opt`` (graph passes) → ``schedule`` (fusion) → ``backends`` → ``tiers`` → ``executor``.
"""

from . import executor, prims  # noqa: F401  (registers the primitives and `call`)
