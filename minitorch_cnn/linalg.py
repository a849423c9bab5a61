"""``mt.linalg``: torch.linalg's names (the ops live in ``ops/linalg.py``)."""

from .ops.linalg import (
    LinAlgError,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_norm,
    norm,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    vector_norm,
)
from .ops.matrix_exp import matrix_exp

__all__ = ["LinAlgError", "cholesky", "det", "eigh", "eigvalsh", "inv", "matrix_exp", "matrix_norm", "norm", "qr",
           "slogdet", "solve", "svd", "svdvals", "vector_norm"]
