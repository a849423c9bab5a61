"""The matrix exponential, ``torch.linalg.matrix_exp`` (also ``mt.matrix_exp`` and ``Tensor.matrix_exp``).

A: (*, n, n).  forward  E = exp(A) = Σ_k A^k / k!, by scaling and squaring with Padé approximants (Higham 2005,
"The scaling and squaring method for the matrix exponential revisited"): the smallest degree m ∈ {3, 5, 7, 9, 13}
whose bound θ_m holds the 1-norm, else degree 13 on A / 2^s with s = ⌈log2(‖A‖₁ / θ₁₃)⌉ and the result squared
s times; r_m(A) = (V - U)⁻¹ (V + U) with U the odd, V the even part of the Padé numerator. One degree and s are
chosen for the whole batch (the largest norm's), which only ever adds accuracy to the smaller matrices.

backward (as torch, Mathias 1996): the Fréchet derivative L(Aᵀ, G) read off a block exponential

    dA = [exp([[Aᵀ, G], [0, Aᵀ]])]_{upper right n×n block}

and the same formula in differentiable ops gives the second order, since the op differentiates itself.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from .linalg import _check_matrix, _mT
from .shape import cat, narrow

_THETA = {3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1, 9: 2.097847961257068,
          13: 5.371920351148152}
_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0, 110880.0, 3960.0, 90.0,
        1.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
         10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0),
}


def _expm(a: Any) -> Any:
    """exp(a) for a (*, n, n) array (NumPy or CuPy)."""
    xp = backend.array_module(a)
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    eye = xp.eye(n, dtype=a.dtype)
    norm = float(xp.abs(a).sum(axis=-2).max())
    m = next((d for d in (3, 5, 7, 9) if norm <= _THETA[d]), 13)
    s = max(0, math.ceil(math.log2(norm / _THETA[13]))) if m == 13 else 0
    a = a / 2.0 ** s if s else a
    b = _PADE[m]
    a2 = a @ a
    if m < 13:
        powers = [eye, a2]
        while len(powers) < (m + 1) // 2:
            powers.append(powers[-1] @ a2)
        u = a @ sum(b[2 * k + 1] * p for k, p in enumerate(powers))
        v = sum(b[2 * k] * p for k, p in enumerate(powers))
    else:
        a4 = a2 @ a2
        a6 = a4 @ a2
        u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
        v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


def _block(at: Any, g: Any, xp: Any) -> Any:
    """[[Aᵀ, G], [0, Aᵀ]] as one (*, 2n, 2n) array."""
    zeros = xp.zeros_like(at)
    return xp.concatenate([xp.concatenate([at, g], axis=-1), xp.concatenate([zeros, at], axis=-1)], axis=-2)


class MatrixExp(Function):
    torch_name = "LinalgMatrixExpBackward0"

    def forward(self, a: Any) -> Any:
        self.a = a
        return _expm(a)

    def backward(self, g: Any) -> Any:
        n = self.a.shape[-1]
        return _expm(_block(_mT(self.a), g, backend.array_module(g)))[..., :n, n:]

    def backward_graph(self, g: Tensor) -> Tensor:
        n = self.a.shape[-1]
        at = self.input_tensor(0, self.a).transpose(-1, -2)
        zeros = Tensor._wrap(backend.array_module(self.a).zeros_like(self.a))
        block = cat([cat([at, g], dim=-1), cat([zeros, at], dim=-1)], dim=-2)
        return narrow(narrow(MatrixExp.apply(block), -2, 0, n), -1, n, n)


def matrix_exp(A: Tensor) -> Tensor:  # noqa: N803 - torch's argument name
    """exp(A) of each square matrix in the last two dimensions."""
    _check_matrix(A, "matrix_exp")
    return MatrixExp.apply(A)


METHODS = {"matrix_exp": matrix_exp}
