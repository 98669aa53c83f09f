"""``nd.linalg``: MXNet's linear-algebra namespace, the ``nd.linalg_*`` operators of
:mod:`tracegrad.ops_linalg` without the prefix (``nd.linalg.gemm2``, ``nd.linalg.potrf``,
...), plus ``syevd``."""

from __future__ import annotations

from tracegrad import ops_linalg as _ops

gemm = _ops.linalg_gemm
gemm2 = _ops.linalg_gemm2
potrf = _ops.linalg_potrf
potri = _ops.linalg_potri
trsm = _ops.linalg_trsm
trmm = _ops.linalg_trmm
syrk = _ops.linalg_syrk
sumlogdiag = _ops.linalg_sumlogdiag
inverse = _ops.linalg_inverse
det = _ops.linalg_det
slogdet = _ops.linalg_slogdet
extractdiag = _ops.linalg_extractdiag
makediag = _ops.linalg_makediag
extracttrian = _ops.linalg_extracttrian
maketrian = _ops.linalg_maketrian
gelqf = _ops.linalg_gelqf
syevd = _ops.linalg_syevd

__all__ = ["det", "extractdiag", "extracttrian", "gelqf", "gemm", "gemm2", "inverse",
           "makediag", "maketrian", "potrf", "potri", "slogdet", "sumlogdiag", "syevd", "syrk",
           "trmm", "trsm"]
