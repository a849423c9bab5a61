"""Activations beyond the elementwise basics (relu, leaky_relu, sigmoid, tanh live in elementwise.py): GELU, SiLU,
and the piecewise-linear ones of the mobile networks: relu6, hardsigmoid, hardswish.

Each forward keeps what its derivative needs; formulas follow torch's kernels.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..kernels import logistic, special_math
from . import elementwise
from ._util import to_float
from .inplace_flag import maybe_in_place

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_COEF = 0.044715


@functools.cache
def _erf_gpu(xp: Any) -> Any:
    """The CUDA twin: an elementwise kernel over CUDA's erf/erff (``xp`` is the CuPy module)."""
    return xp.ElementwiseKernel("T x", "T y", "y = erf(x)", "minitorch_erf")


def _erf(a: Any) -> Any:
    """erf elementwise, in ``a``'s dtype, on ``a``'s device."""
    if isinstance(a, np.ndarray):
        return special_math.erf(a)
    return _erf_gpu(backend.array_module(a))(a)


class Gelu(Function):
    """GELU: x Φ(x), exact (erf) or torch's tanh approximation."""

    def forward(self, x: Any, approximate: str) -> Any:
        xp = backend.array_module(x)
        t = x.dtype.type
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            # y = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))
            self.th = xp.tanh(t(_SQRT_2_OVER_PI) * (x + t(_TANH_COEF) * x * x * x))
            return t(0.5) * x * (1 + self.th)
        # y = ½ x (1 + erf(x/√2))
        if isinstance(x, np.ndarray) and x.dtype == np.float32:  # one pass, erf in float32
            y, self.cdf = special_math.gelu_float32(x)
            return y
        self.cdf = t(0.5) * (1 + _erf(x * t(_SQRT_HALF)))
        return x * self.cdf

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        x = self.x
        t = x.dtype.type
        if self.approximate == "tanh":
            # dy/dx = ½ (1 + th) + ½ x (1 - th²) √(2/π) (1 + 3·0.044715 x²)
            th = self.th
            inner_d = t(_SQRT_2_OVER_PI) * (1 + t(3 * _TANH_COEF) * x * x)
            return g * (t(0.5) * (1 + th) + t(0.5) * x * (1 - th * th) * inner_d)
        # dy/dx = Φ(x) + x φ(x),  φ(x) = e^(-x²/2) / √(2π)
        if isinstance(g, np.ndarray) and g.dtype == x.dtype == np.float32 and g.shape == x.shape:  # one pass
            return special_math.gelu_backward_float32(g, x, self.cdf)
        pdf = t(_INV_SQRT_2PI) * xp.exp(t(-0.5) * x * x)
        return g * (self.cdf + x * pdf)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * GeluGrad.apply(self.input_tensor(0, self.x), self.approximate)


class GeluGrad(Function):
    """y' = dGELU/dx as a node, so GELU's backward is differentiable; its own derivative y'' is written out:

    exact:  y'' = φ(x) (2 - x²);   tanh:  y'' = (1 - th²) (u' + ½ x (u'' - 2 th u'²)),
    u = √(2/π) (x + 0.044715 x³).  (A third derivative is not offered: differentiating y'' raises.)
    """

    def forward(self, x: Any, approximate: str) -> Any:
        ctx = object.__new__(Gelu)
        ctx.forward(x, approximate)
        self.ctx = ctx
        return ctx.backward(backend.array_module(x).ones_like(x))

    def backward(self, h: Any) -> Any:
        xp = backend.array_module(h)
        x, t = self.ctx.x, self.ctx.x.dtype.type
        if self.ctx.approximate == "tanh":
            th = self.ctx.th
            du = t(_SQRT_2_OVER_PI) * (1 + t(3 * _TANH_COEF) * x * x)
            ddu = t(_SQRT_2_OVER_PI * 6 * _TANH_COEF) * x
            return h * ((1 - th * th) * (du + t(0.5) * x * (ddu - 2 * th * du * du)))
        pdf = t(_INV_SQRT_2PI) * xp.exp(t(-0.5) * x * x)
        return h * pdf * (2 - x * x)


class Silu(Function):
    """SiLU (swish): x σ(x);  dy/dx = σ(x) (1 + x (1 - σ(x)))."""

    def forward(self, x: Any) -> Any:
        self.x, self.sig = x, logistic.sigmoid(x)
        with np.errstate(invalid="ignore"):  # -inf · σ(-inf) = -inf · 0: NaN, as torch's, without NumPy's warning
            return x * self.sig

    def backward(self, g: Any) -> Any:
        # g σ (1 + x (1 - σ)) in place, in torch's order
        inner = 1 - self.sig
        inner *= self.x
        inner += 1
        out = g * self.sig
        out *= inner
        return out

    def backward_graph(self, g: Tensor) -> Tensor:
        x = self.input_tensor(0, self.x)
        sig = x.sigmoid()
        return g * sig * (1 + x * (1 - sig))


# torch's hardsigmoid backward multiplies by the float32 literal 1.0f/6.0f in every dtype (float64 too): the same
# constant here keeps float64 gradients equal to torch's, not 3e-8 relative away
_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))


class Hardsigmoid(Function):
    """y = min(max(x + 3, 0), 6) / 6;  dy/dx = 1/6 on -3 < x < 3, else 0 (torch's kernel, strict bounds, and its
    float32 constant for 1/6)."""

    def forward(self, x: Any) -> Any:
        xp = backend.array_module(x)
        t = x.dtype.type
        self.mask = (x > t(-3)) & (x < t(3))
        return xp.minimum(xp.maximum(x + t(3), t(0)), t(6)) / t(6)

    def backward(self, g: Any) -> Any:
        return g * self.mask * g.dtype.type(_ONE_SIXTH_F32)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * Tensor._wrap(self.mask.astype(g.dtype)) * _ONE_SIXTH_F32


class Hardswish(Function):
    """y = x min(max(x + 3, 0), 6) / 6;  dy/dx = 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, 1 from 3 on (torch's)."""

    def forward(self, x: Any) -> Any:
        xp = backend.array_module(x)
        t = x.dtype.type
        self.x = x
        return x * xp.minimum(xp.maximum(x + t(3), t(0)), t(6)) / t(6)

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        x = self.x
        t = x.dtype.type
        return xp.where(x <= t(-3), t(0), xp.where(x < t(3), g * (x / t(3) + t(0.5)), g))

    def backward_graph(self, g: Tensor) -> Tensor:
        x = self.input_tensor(0, self.x)
        t = self.x.dtype.type
        middle = Tensor._wrap(((self.x > t(-3)) & (self.x < t(3))).astype(self.x.dtype))
        above = Tensor._wrap((self.x >= t(3)).astype(self.x.dtype))
        return g * (middle * (x / 3 + 0.5) + above)


def _relu6(x: Tensor) -> Tensor:
    return elementwise.clamp(x, 0.0, 6.0)


def _hardsigmoid(x: Tensor) -> Tensor:
    return Hardsigmoid.apply(to_float(x))


def _hardswish(x: Tensor) -> Tensor:
    return Hardswish.apply(to_float(x))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """min(max(x, 0), 6), torch's hardtanh(x, 0, 6): gradient 1 on 0 < x < 6, else 0; ``inplace`` writes into
    ``input`` as torch's (HardtanhBackward0, ``inplace_flag``)."""
    return maybe_in_place(input, _relu6, (), inplace, "relu6_", "HardtanhBackward0")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """relu6(x + 3) / 6 of ``input`` (any shape); ``inplace`` as in ``relu6``."""
    return maybe_in_place(input, _hardsigmoid, (), inplace, "hardsigmoid_")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """x · relu6(x + 3) / 6 of ``input`` (any shape); ``inplace`` as in ``relu6``."""
    return maybe_in_place(input, _hardswish, (), inplace, "hardswish_")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002 - torch's name
    """GELU of ``input`` (any shape); ``approximate`` is 'none' (erf) or 'tanh', as torch."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate='{approximate}' is not valid: expected 'none' or 'tanh'")
    return Gelu.apply(to_float(input), approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """SiLU (x·sigmoid(x)) of ``input`` (any shape); ``inplace`` as in ``relu6`` (SiluBackward0)."""
    return maybe_in_place(input, _silu, (), inplace, "silu_")


def _silu(x: Tensor) -> Tensor:
    return Silu.apply(to_float(x))
