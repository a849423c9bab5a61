"""v1's random containers: ``RandomApply`` (all of its transforms, in order, with probability p: applied unless
p < u for one uniform draw u), ``RandomChoice`` (one transform, picked with weights ``p``, uniform when None),
``RandomOrder`` (all, in a random permutation). torchvision draws the pick and the order from Python's ``random``
module and the gate from torch's generator; here every draw comes from the global generator (``mt.manual_seed``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import backend
from .base import Image, ModuleTransform, Transform


def _listing(transforms: Sequence[Callable]) -> str:
    return "".join(f"\n    {t}" for t in transforms)


class RandomApply(ModuleTransform):
    """All of ``transforms`` (in order) with probability ``p``, else none."""

    random = True

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        self.transforms, self.p = transforms, p

    def forward(self, img: Image) -> Image:
        if self.p < backend.generator().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(\n    p={self.p}{_listing(self.transforms)}\n)"


class RandomTransforms(Transform):
    """Base of ``RandomChoice`` and ``RandomOrder``: a sequence of transforms."""

    random = True

    def __init__(self, transforms: Sequence[Callable]) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_listing(self.transforms)}\n)"


class RandomChoice(RandomTransforms):
    """One of ``transforms``, picked with relative weights ``p`` (equal when None)."""

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None) -> None:
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def forward(self, *args: Any) -> Any:
        weights = None
        if self.p is not None:
            if len(self.p) != len(self.transforms):
                raise ValueError("The number of weights does not match the population")
            weights = np.asarray(self.p, dtype=np.float64) / float(sum(self.p))
        k = int(backend.generator().choice(len(self.transforms), p=weights))
        return self.transforms[k](*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"


class RandomOrder(RandomTransforms):
    """All of ``transforms``, in a random order."""

    def forward(self, img: Image) -> Image:
        for i in backend.generator().permutation(len(self.transforms)).tolist():
            img = self.transforms[i](img)
        return img
