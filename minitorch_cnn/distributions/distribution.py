"""``Distribution``: the base of ``mt.distributions`` (torch's interface: shapes, validation, sampling).

A distribution holds a batch of independent ones (``batch_shape``), each over events of ``event_shape``; a draw
of ``sample_shape`` has shape sample_shape + batch_shape + event_shape. ``rsample`` is reparameterised (a
differentiable function of the parameters and parameter-free noise from our RNG: other numbers than torch's, the
same law); ``sample`` is a draw without a graph. Validation is on by default (``__debug__``, as torch's): parameters
are checked against ``arg_constraints`` when made, values against ``support`` in ``log_prob``, with torch's
messages.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..autograd import Size, Tensor
from ..autograd.grad_mode import no_grad
from ..ops.factories import tensor
from . import constraints


def broadcast_all(*values: Any) -> tuple:
    """Tensors of one broadcast shape; numbers become tensors of the tensors' dtype (the default dtype if none)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, int, float)):
            raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                             "implementing __torch_function__.")
    like = tensors[0] if tensors else None
    values = [v if isinstance(v, Tensor) else tensor(float(v), dtype=like.dtype if like is not None else None,
                                                       device=like.device if like is not None else None)
              for v in values]
    shape = tuple(np.broadcast_shapes(*(tuple(v.shape) for v in values)))
    return tuple(v if tuple(v.shape) == shape else v.expand(*shape) for v in values)


lazy_property = functools.cached_property  # a parameter derived from the other one on first use


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    arg_constraints: dict = {}
    support: Any = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape: Any = (), event_shape: Any = (), validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        for param, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None), lazy_property):
                continue  # the one of probs/logits not given: derived from the checked one
            value = getattr(self, param)
            if not bool(constraint.check(value)._data.all()):
                raise ValueError(f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {self!r} to satisfy the constraint {constraint!r}, but found "
                                 f"invalid values:\n{value}")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        return self.sample(Size((n,)))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    def _extended_shape(self, sample_shape: Any = ()) -> Size:
        return Size(tuple(Size(sample_shape)) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value: Any) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        actual, event = tuple(value.shape), tuple(self._event_shape)
        if actual[len(actual) - len(event):] != event:
            raise ValueError(f"The right-most size of value must match event_shape: {value.size()} vs "
                             f"{self._event_shape}.")
        expected = tuple(self._batch_shape) + event
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {value.size()} vs "
                                 f"{Size(expected)}.")
        support = self.support
        if not bool(support.check(value)._data.all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {actual}) to be within the "
                             f"support ({support!r}) of the distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        shown = []
        for p in self.arg_constraints:
            if p in self.__dict__:
                v = self.__dict__[p]
                shown.append(f"{p}: {v.item() if v.ndim == 0 else (v if v.numel() == 1 else v.size())}")
        return f"{type(self).__name__}({', '.join(shown)})"
