"""``mt.special``: torch.special's names for the special functions (the ops live in ``ops/special_fns.py``,
``ops/unary_math.py``, ``ops/binary_math.py`` and ``ops/rounding.py``)."""

from .ops.binary_math import xlog1py, xlogy, zeta
from .ops.elementwise import sigmoid as expit
from .ops.incomplete_gamma import igamma as gammainc
from .ops.incomplete_gamma import igammac as gammaincc
from .ops.rounding import round  # noqa: A004 - torch's name
from .ops.special_fns import digamma, entr, erf, erfc, erfinv, i0, i0e, i1, i1e, multigammaln, ndtr, polygamma
from .ops.special_fns import digamma as psi
from .ops.special_fns import lgamma as gammaln
from .ops.unary_math import exp2, expm1, log1p, logit, sinc

__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i0e", "i1", "i1e",
           "log1p", "logit", "multigammaln", "ndtr", "polygamma", "psi", "round", "sinc", "xlog1py", "xlogy",
           "zeta"]
__all__ += ["gammainc", "gammaincc"]  # ops/incomplete_gamma.py
