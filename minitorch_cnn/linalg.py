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
from .ops.products import linalg_cross as cross

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "matrix_norm", "norm", "qr", "slogdet",
           "solve", "svd", "svdvals", "vector_norm"]
