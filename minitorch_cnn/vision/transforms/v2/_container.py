"""v2's containers: ``Compose`` (samples of several inputs flow through), ``RandomChoice``, ``RandomApply``,
``RandomOrder``. Their draws come from the global generator (``mt.manual_seed``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .... import backend
from ....nn.containers import ModuleList
from ....nn.module import Module
from .. import base as v1


def _listing(transforms: Sequence[Callable]) -> str:
    """v2's containers' ``extra_repr``: one indented line per transform."""
    return "\n".join(f"    {t}" for t in transforms)


def _run(transform: Callable, inputs: tuple) -> tuple:
    out = transform(*inputs)
    return out if len(inputs) > 1 else (out,)


class Compose(v1.ModuleTransform, v1.Compose):
    """Each transform in turn on the whole sample: ``Compose([...])(img)`` or ``Compose([...])(img, label)``."""

    def forward(self, *inputs: Any) -> Any:
        for t in self.transforms:
            inputs = _run(t, inputs)
        return inputs[0] if len(inputs) == 1 else inputs

    @property
    def batchable(self) -> bool:
        return False

    __repr__ = Module.__repr__  # v2's layout (an nn.Module's), not v1 Compose's

    def extra_repr(self) -> str:
        return _listing(self.transforms)


class RandomChoice(v1.ModuleTransform):
    """One of ``transforms``, picked with probabilities ``p`` (uniform when None; normalised to sum 1)."""

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}")
        self.transforms = list(transforms)
        total = sum(p)
        self.p = [prob / total for prob in p]

    def forward(self, *inputs: Any) -> Any:
        idx = int(backend.generator().choice(len(self.transforms), p=np.asarray(self.p)))
        return self.transforms[idx](*inputs)

    def __repr__(self) -> str:
        return f"RandomChoice(transforms={self.transforms}, p={self.p})"


class RandomApply(v1.ModuleTransform):
    """All of ``transforms`` (in order) with probability ``p``, else none."""

    def __init__(self, transforms: Sequence[Callable] | ModuleList, p: float = 0.5) -> None:
        if not isinstance(transforms, (Sequence, ModuleList)):
            raise TypeError("Argument transforms should be a sequence of callables or a `nn.ModuleList`")
        if not transforms:
            raise ValueError("Pass at least one transform")
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.transforms, self.p = transforms, p  # a ModuleList stays one (its transforms are children), as torch's

    def forward(self, *inputs: Any) -> Any:
        if backend.generator().random() >= self.p:
            return inputs[0] if len(inputs) == 1 else inputs
        for t in self.transforms:
            inputs = _run(t, inputs)
        return inputs[0] if len(inputs) == 1 else inputs

    def extra_repr(self) -> str:
        return _listing(self.transforms)


class RandomOrder(v1.ModuleTransform):
    """All of ``transforms`` in a random order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def forward(self, *inputs: Any) -> Any:
        for i in backend.generator().permutation(len(self.transforms)).tolist():
            inputs = _run(self.transforms[i], inputs)
        return inputs[0] if len(inputs) == 1 else inputs

    def __repr__(self) -> str:  # v2's Transform.extra_repr: its public list attributes
        return f"RandomOrder(transforms={self.transforms})"
