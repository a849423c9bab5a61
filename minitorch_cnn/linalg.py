"""``mt.linalg``: torch.linalg's names (the ops live in ``ops/linalg.py``, ``ops/matrix_exp.py`` and
``ops/householder.py``)."""

from .ops.householder import householder_product
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
from .ops.products import linalg_cross as cross

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "householder_product", "inv", "matrix_exp",
           "matrix_norm", "norm", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm"]
