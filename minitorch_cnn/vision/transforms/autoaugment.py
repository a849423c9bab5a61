"""v1's AutoAugment, RandAugment and TrivialAugmentWide (``torchvision.transforms``; ``v2`` holds v2's): v1's
magnitude tables, draws, reprs and operations (``augmix.apply_op_v1``: v1's functions, Solarize thresholds in
uint8 units, a Tensor's fill made one float per channel).

Draws (global generator), per call: AutoAugment a sub-policy (uniform), two float32 uniforms (step i runs when
u_i <= its probability) and two signs (a signed magnitude is negated when its sign is 0); RandAugment ``num_ops``
operations (uniform) at the fixed ``magnitude`` bin, each signed one negated when a fair bit is 1; TrivialAugmentWide
one operation and one bin (uniform), negated likewise. ``make_params`` gives the (operation, magnitude) steps
and ``apply_ops`` applies them, so a given draw gives torchvision's pixels. Images: Tensors, PIL images and their
arrays (Pillow's operations, as torchvision's PIL path), alone or in a v2 sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from . import colour
from .augmix import apply_op_v1
from .base import Image, ModuleTransform
from .pil import from_pil
from .v2._auto_augment import _POLICIES, AutoAugmentPolicy, _parse_policy
from .v2._sample import on_image
from .warp import InterpolationMode, _hw, torch_linspace

Space = dict[str, tuple[np.ndarray | None, bool]]


def _lin(lo: float, hi: float, bins: int) -> np.ndarray:
    return torch_linspace(lo, hi, bins, np.dtype(np.float32))


def _posterize(bins: int, span: int) -> np.ndarray:
    """8 - round(i / ((bins - 1) / span)) (float32 division, round half even), as torchvision's table."""
    return (8 - np.round(np.arange(bins).astype(np.float32) / np.float32((bins - 1) / span))).astype(np.int32)


def _common(bins: int, height: int, width: int) -> Space:
    return {"ShearX": (_lin(0.0, 0.3, bins), True), "ShearY": (_lin(0.0, 0.3, bins), True),
            "TranslateX": (_lin(0.0, 150.0 / 331.0 * width, bins), True),
            "TranslateY": (_lin(0.0, 150.0 / 331.0 * height, bins), True),
            "Rotate": (_lin(0.0, 30.0, bins), True), "Brightness": (_lin(0.0, 0.9, bins), True),
            "Color": (_lin(0.0, 0.9, bins), True), "Contrast": (_lin(0.0, 0.9, bins), True),
            "Sharpness": (_lin(0.0, 0.9, bins), True), "Posterize": (_posterize(bins, 4), False),
            "Solarize": (_lin(255.0, 0.0, bins), False), "AutoContrast": (None, False), "Equalize": (None, False)}


def apply_op(img: Any, op: str, magnitude: float, interpolation: Any, fill: Any) -> Any:
    """v1's ``_apply_op``, with Invert and Identity."""
    if op == "Identity":
        return img
    if op == "Invert":
        return colour.invert(img)
    return apply_op_v1(img, op, magnitude, interpolation, fill)


class _AutoAugmentV1(ModuleTransform):
    random = True

    def __init__(self, interpolation: Any, fill: Any) -> None:
        self.interpolation, self.fill = interpolation, fill

    def make_params(self, height: int, width: int) -> list[tuple[str, float]]:
        raise NotImplementedError

    def apply_ops(self, img: Image, steps: list[tuple[str, float]]) -> Image:
        fill = self.fill
        if isinstance(img, Tensor):  # one float per channel
            channels = 1 if img.ndim == 2 else img.shape[-3]
            fill = [float(fill)] * channels if isinstance(fill, (int, float)) else \
                None if fill is None else [float(f) for f in fill]
        for op, magnitude in steps:
            img = apply_op(img, op, magnitude, self.interpolation, fill)
        return img

    def forward(self, *inputs: Any) -> Any:
        return on_image(lambda img: self.apply_ops(from_pil(img), self.make_params(*_hw(img))), inputs)

    def _mode(self) -> InterpolationMode:
        return InterpolationMode(getattr(self.interpolation, "value", self.interpolation))


def _signed(table: np.ndarray | None, signed: bool, index: int | None, negate: bool) -> float:
    magnitude = 0.0 if table is None or index is None else float(table[index])
    return -magnitude if signed and negate else magnitude


class AutoAugment(_AutoAugmentV1):
    """One of the policy's sub-policies at random, each step with its probability (see the module notes)."""

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = None) -> None:
        super().__init__(interpolation, fill)
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy, self.policies = policy, _parse_policy(_POLICIES[policy])

    def space(self, bins: int, height: int, width: int) -> Space:
        return {**_common(bins, height, width), "Invert": (None, False)}

    @staticmethod
    def get_params(transform_num: int) -> tuple[int, np.ndarray, np.ndarray]:
        """(sub-policy index, two float32 uniforms, two signs in {0, 1})."""
        gen = backend.generator()
        policy_id = int(gen.integers(transform_num))
        return policy_id, gen.random(2).astype(np.float32), gen.integers(2, size=2)

    def make_params(self, height: int, width: int) -> list[tuple[str, float]]:
        policy_id, probs, signs = self.get_params(len(self.policies))
        space = self.space(10, height, width)
        return [(op, _signed(space[op][0], space[op][1], index, signs[i] == 0))
                for i, (op, p, index) in enumerate(self.policies[policy_id]) if probs[i] <= p]

    def __repr__(self) -> str:
        return f"AutoAugment(policy={self.policy}, fill={self.fill})"


class RandAugment(_AutoAugmentV1):
    """``num_ops`` operations drawn uniformly, each at bin ``magnitude`` of ``num_magnitude_bins``."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = None) -> None:
        super().__init__(interpolation, fill)
        self.num_ops, self.magnitude, self.num_magnitude_bins = num_ops, magnitude, num_magnitude_bins

    def space(self, bins: int, height: int, width: int) -> Space:
        return {"Identity": (None, False), **_common(bins, height, width)}

    def make_params(self, height: int, width: int) -> list[tuple[str, float]]:
        gen = backend.generator()
        space = self.space(self.num_magnitude_bins, height, width)
        names, steps = list(space), []
        for _ in range(self.num_ops):
            op = names[int(gen.integers(len(names)))]
            table, signed = space[op]
            steps.append((op, _signed(table, signed, self.magnitude, signed and bool(gen.integers(2)))))
        return steps

    def __repr__(self) -> str:
        return (f"RandAugment(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self._mode()}, fill={self.fill})")


class TrivialAugmentWide(_AutoAugmentV1):
    """One operation drawn uniformly at a magnitude bin drawn uniformly, from the wide ranges."""

    def __init__(self, num_magnitude_bins: int = 31, interpolation: Any = InterpolationMode.NEAREST,
                 fill: Any = None) -> None:
        super().__init__(interpolation, fill)
        self.num_magnitude_bins = num_magnitude_bins

    def space(self, bins: int) -> Space:
        wide = {name: (_lin(0.0, 0.99, bins), True) for name in ("ShearX", "ShearY")}
        wide.update({"TranslateX": (_lin(0.0, 32.0, bins), True), "TranslateY": (_lin(0.0, 32.0, bins), True),
                     "Rotate": (_lin(0.0, 135.0, bins), True)})
        wide.update({name: (_lin(0.0, 0.99, bins), True) for name in ("Brightness", "Color", "Contrast",
                                                                        "Sharpness")})
        return {"Identity": (None, False), **wide, "Posterize": (_posterize(bins, 6), False),
                "Solarize": (_lin(255.0, 0.0, bins), False), "AutoContrast": (None, False),
                "Equalize": (None, False)}

    def make_params(self, height: int, width: int) -> list[tuple[str, float]]:
        gen = backend.generator()
        space = self.space(self.num_magnitude_bins)
        names = list(space)
        op = names[int(gen.integers(len(names)))]
        table, signed = space[op]
        index = None if table is None else int(gen.integers(len(table)))
        return [(op, _signed(table, signed, index, signed and bool(gen.integers(2))))]

    def __repr__(self) -> str:
        return (f"TrivialAugmentWide(num_magnitude_bins={self.num_magnitude_bins}, interpolation={self._mode()}, "
                f"fill={self.fill})")
