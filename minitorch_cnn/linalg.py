"""``mt.linalg``: torch.linalg's names (the ops live in ``ops/linalg.py``, ``ops/spectral.py``, ``ops/lu.py``,
``ops/triangular_solve.py``, ``ops/least_squares.py``, ``ops/linalg_composite.py``, ``ops/polar.py``,
``ops/matrix_exp.py`` and ``ops/householder.py``)."""

from .ops.householder import householder_product
from .ops.least_squares import lstsq, matrix_rank, pinv
from .ops.linalg import (
    LinAlgError,
    cholesky,
    det,
    eigvalsh,
    inv,
    matrix_norm,
    norm,
    slogdet,
    solve,
    svdvals,
    vector_norm,
)
from .ops.linalg_composite import (
    cholesky_ex,
    cond,
    diagonal,
    eig,
    eigvals,
    inv_ex,
    matrix_power,
    multi_dot,
    solve_ex,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
)
from .ops.lu import lu, lu_factor, lu_factor_ex, lu_solve
from .ops.matmul import matmul
from .ops.matrix_exp import matrix_exp
from .ops.polar import matrix_sqrth, polar
from .ops.products import linalg_cross as cross
from .ops.spectral import eigh, qr, svd
from .ops.triangular_solve import solve_triangular

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
           "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "matrix_sqrth", "multi_dot", "norm",
           "pinv", "polar", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
           "tensorsolve", "vander", "vecdot", "vector_norm"]
