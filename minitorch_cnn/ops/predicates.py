"""What kind of number each element is: ``isnan``, ``isinf``, ``isposinf``, ``isneginf``, ``isfinite``,
``isreal``, ``signbit`` (bool tensors, no gradient), and ``nan_to_num``, which replaces the non-finite ones:

    y = nan_to_num(x) = x where finite, else nan / posinf / neginf (defaults 0 and the dtype's largest and lowest)
    dy/dx = 1 where x is finite, 0 elsewhere (torch's ``grad * isfinite(x)``)

Integer and bool tensors hold only finite, non-NaN, real numbers: the predicates answer accordingly and
``nan_to_num`` copies them.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from . import inplace
from ._util import out_arg
from .pointwise_base import require_tensor


def _predicate(name: str, on_float: Any, on_other: bool, doc: str) -> Any:
    def op(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        require_tensor(name, input)
        x = input._data
        xp = backend.array_module(x)
        if x.dtype.kind == "f":
            return Tensor._wrap(on_float(xp, x))
        return Tensor._wrap((xp.ones if on_other else xp.zeros)(x.shape, dtype=bool))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc + " A bool tensor, no gradient."
    return op


isnan = _predicate("isnan", lambda xp, x: xp.isnan(x), False, "True where x is NaN.")
isinf = _predicate("isinf", lambda xp, x: xp.isinf(x), False, "True where x is +inf or -inf.")
isposinf = _predicate("isposinf", lambda xp, x: xp.isinf(x) & (x > 0), False, "True where x is +inf.")
isneginf = _predicate("isneginf", lambda xp, x: xp.isinf(x) & (x < 0), False, "True where x is -inf.")
isfinite = _predicate("isfinite", lambda xp, x: xp.isfinite(x), True, "True where x is neither inf nor NaN.")
isreal = _predicate("isreal", lambda xp, x: xp.ones(x.shape, dtype=bool), True,
                    "True everywhere (every tensor here is real).")


def signbit(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """True where the sign bit is set (negative numbers, -0.0, and NaNs carrying it); a bool tensor."""
    require_tensor("signbit", input)
    x = input._data
    xp = backend.array_module(x)
    if x.dtype.kind == "b":
        return Tensor._wrap(xp.zeros(x.shape, dtype=bool))
    return Tensor._wrap(xp.signbit(x))


class NanToNum(Function):
    def forward(self, x: Any, nan: float, posinf: float | None, neginf: float | None) -> Any:
        xp = backend.array_module(x)
        self.finite = xp.isfinite(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g: Any) -> Any:
        return g * self.finite

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * self.finite.astype(g.dtype)


@out_arg
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,  # noqa: A002 - torch's name
               neginf: float | None = None) -> Tensor:
    """NaN → ``nan``, +inf → ``posinf``, -inf → ``neginf`` (defaults: 0, the dtype's largest and lowest finite)."""
    require_tensor("nan_to_num", input)
    if input._data.dtype.kind != "f":
        return Tensor._wrap(input._data.copy())
    return NanToNum.apply(input, nan, posinf, neginf)


METHODS: dict[str, Any] = {
    "isnan": isnan, "isinf": isinf, "isposinf": isposinf, "isneginf": isneginf, "isfinite": isfinite,
    "isreal": isreal, "signbit": signbit, "nan_to_num": nan_to_num,
    "nan_to_num_": inplace.inplace(nan_to_num, "nan_to_num_"),
}
