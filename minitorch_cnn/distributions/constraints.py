"""The sets a distribution's parameters and values must lie in (``torch.distributions.constraints``).

``check(value)`` is a boolean Tensor (one entry per event: event dimensions are reduced), used by the argument
and sample validation; the reprs are torch's, as they appear in its error messages.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Tensor
from ..ops.linalg_composite import has_cholesky


def _data(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


def _bool(arr: Any) -> Tensor:
    return Tensor._wrap(backend.array_module(arr).asarray(arr, dtype=bool))


class Constraint:
    is_discrete = False
    event_dim = 0

    def check(self, value: Any) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """Set by other parameters (Uniform's low < high): checked by the distribution itself, not here."""

    def __init__(self, is_discrete: bool = False, event_dim: int = 0) -> None:
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def check(self, value: Any) -> Tensor:
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint: Any) -> bool:
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    def check(self, value: Any) -> Tensor:
        v = _data(value)
        return _bool(v == v)  # not NaN


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value: Any) -> Tensor:
        v = _data(value)
        return _bool((v == 0) | (v == 1))


class _GreaterThan(Constraint):
    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound

    def check(self, value: Any) -> Tensor:
        return _bool(_data(self.lower_bound) < _data(value))

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def check(self, value: Any) -> Tensor:
        return _bool(_data(value) < _data(self.upper_bound))

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    """[lower_bound, upper_bound], both ends in."""

    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value: Any) -> Tensor:
        v = _data(value)
        return _bool((_data(self.lower_bound) <= v) & (v <= _data(self.upper_bound)))

    def __repr__(self) -> str:
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound: int, upper_bound: int) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value: Any) -> Tensor:
        v = _data(value)
        return _bool((v % 1 == 0) & (self.lower_bound <= v) & (v <= self.upper_bound))

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Simplex(Constraint):
    """Non-negative entries along the last dimension, summing to 1 (to 1e-6, torch's tolerance)."""

    event_dim = 1

    def check(self, value: Any) -> Tensor:
        v = _data(value)
        xp = backend.array_module(v)
        return _bool(xp.all(v >= 0, axis=-1) & (xp.abs(v.sum(-1) - 1) < 1e-6))


class _Multinomial(Constraint):
    """Non-negative counts along the last dimension summing to at most ``upper_bound`` (torch's check)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: int) -> None:
        self.upper_bound = upper_bound

    def check(self, value: Any) -> Tensor:
        v = _data(value)
        xp = backend.array_module(v)
        return _bool(xp.all(v >= 0, axis=-1) & (v.sum(-1) <= self.upper_bound))


class _IndependentConstraint(Constraint):
    """``base`` on each element, all of the last ``reinterpreted_batch_ndims`` dimensions at once."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base, self.reinterpreted_batch_ndims = base, reinterpreted_batch_ndims
        self.is_discrete, self.event_dim = base.is_discrete, base.event_dim + reinterpreted_batch_ndims

    def check(self, value: Any) -> Tensor:
        ok = self.base.check(value)._data
        n = self.reinterpreted_batch_ndims
        return _bool(ok.reshape(ok.shape[:ok.ndim - n] + (-1,)).all(-1) if n else ok)

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base!r}, {self.reinterpreted_batch_ndims})"


class _LowerCholesky(Constraint):
    """Lower-triangular with a positive diagonal."""

    event_dim = 2

    def check(self, value: Any) -> Tensor:
        v = _data(value)
        xp = backend.array_module(v)
        lower = (xp.tril(v) == v).reshape(v.shape[:-2] + (-1,)).all(-1)
        return _bool(lower & (xp.diagonal(v, axis1=-2, axis2=-1) > 0).all(-1))


class _PositiveDefinite(Constraint):
    """Symmetric (to 1e-6, torch's tolerance) with a Cholesky factor."""

    event_dim = 2

    def check(self, value: Any) -> Tensor:
        v = _data(value)
        xp = backend.array_module(v)
        sym = xp.isclose(v, v.swapaxes(-1, -2), atol=1e-6).reshape(v.shape[:-2] + (-1,)).all(-1)
        flat = v.reshape((-1,) + v.shape[-2:])
        ok = xp.array([bool(s) and has_cholesky(xp, m) for s, m in zip(sym.reshape(-1), flat)], dtype=bool)
        return _bool(ok.reshape(v.shape[:-2]))


dependent = _Dependent()
real = _Real()
boolean = _Boolean()
positive = _GreaterThan(0.0)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
greater_than = _GreaterThan
less_than = _LessThan
interval = _Interval
integer_interval = _IntegerInterval
independent = _IndependentConstraint
multinomial = _Multinomial
real_vector = _IndependentConstraint(real, 1)
