"""The regularised incomplete gamma functions P(a, x) = γ(a, x)/Γ(a) (``igamma``) and Q(a, x) = 1 - P (``igammac``)
elementwise, by torch's case analysis (``ATen/native/Math.h`` calc_igamma / calc_igammac, from SciPy's and the
Cephes Math Library's igam: 3-clause BSD, Copyright (c) 2018 Steven Moshier): the power series of P for small x,
the continued fraction of Q for large x, the series of Q near x ≤ 1.1 (and their complements). torch also switches
to a uniform asymptotic series for a > 20 with x near a (|x - a|/a < 0.3, or < 4.5/√a for a > 200), accurate there
to ~2e-9 relative only; these series converge there too (a few more terms), to ~1e-13 of the exact value.

Numba ufuncs over float64, compiled on first use (never at import) and cached on disk; CuPy arrays go to
``cupyx.scipy.special.gammainc`` / ``gammaincc``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def apply(name: str, a: Any, x: Any) -> Any:
    """``igamma`` or ``igammac`` of broadcast floating arrays, in their common dtype."""
    dtype = np.result_type(a, x)
    if isinstance(a, np.ndarray) and isinstance(x, np.ndarray):
        from . import incomplete_gamma_scalar  # Numba-compiled at its import: loaded only when asked for

        with np.errstate(all="ignore"):
            out = getattr(incomplete_gamma_scalar, name)(a.astype(np.float64), x.astype(np.float64))
        return np.asarray(out, dtype=dtype)
    from cupyx.scipy import special  # a CuPy array implies CuPy is installed

    return getattr(special, {"igamma": "gammainc", "igammac": "gammaincc"}[name])(a, x).astype(dtype)
