"""AugMix (Hendrycks et al. 2020), as torchvision's v1 ``AugMix`` (``v2/_augmix.py`` holds v2's).

Draws (global generator): m ~ Dirichlet(α, α) and w ~ Dirichlet(α · 1_width) per image of the batch (float32),
then for each of ``mixture_width`` chains a depth (``chain_depth``, or uniform in {1, 2, 3}) and per step an
operation (uniform over the augmentation space), a magnitude (uniform over the first ``severity`` of 10 bins,
float32 ``linspace`` tables as torchvision's) and, for signed operations, a sign.
Mix: out = m₀·x + Σᵢ m₁·wᵢ·chainᵢ(x), in float32 (float64 for float64 images), cast back to the image dtype
(truncating integers). The chains apply the same operations to every image of a batch. A PIL image (or its
array) is mixed as its (C, H, W) tensor and given back as an array.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from . import colour
from .base import Image, ModuleTransform
from .pil import from_pil
from .warp import InterpolationMode, affine, rotate, torch_linspace

_F32 = np.dtype(np.float32)


def _lin(lo: float, hi: float) -> np.ndarray:
    return torch_linspace(lo, hi, 10, _F32)


def _posterize_bits() -> np.ndarray:
    """4 - round(i / (9 / 4)) for the 10 bins, as torchvision computes it (float32 division, round half even)."""
    return (4 - np.round(np.arange(10).astype(np.float32) / np.float32(9 / 4))).astype(np.int32)


def apply_op_v1(img: Tensor, op: str, magnitude: float, interpolation: Any, fill: Any) -> Tensor:
    """torchvision's v1 ``_apply_op`` with v1's functions (shears in degrees of atan(magnitude) about the corner)."""
    if op in ("ShearX", "ShearY"):
        shear = math.degrees(math.atan(magnitude))
        return affine(img, 0.0, [0, 0], 1.0, [shear, 0.0] if op == "ShearX" else [0.0, shear], interpolation,
                      fill, center=[0, 0])
    if op in ("TranslateX", "TranslateY"):
        move = [int(magnitude), 0] if op == "TranslateX" else [0, int(magnitude)]
        return affine(img, 0.0, move, 1.0, [0.0, 0.0], interpolation, fill)
    if op == "Rotate":
        return rotate(img, magnitude, interpolation, fill=fill)
    factor = {"Brightness": colour.adjust_brightness, "Color": colour.adjust_saturation,
              "Contrast": colour.adjust_contrast, "Sharpness": colour.adjust_sharpness}
    if op in factor:
        return factor[op](img, 1.0 + magnitude)
    if op == "Posterize":
        return colour.posterize(img, int(magnitude))
    if op == "Solarize":
        return colour.solarize(img, magnitude)
    return {"AutoContrast": colour.autocontrast, "Equalize": colour.equalize}[op](img)


class AugMix(ModuleTransform):
    """See the module notes."""

    random = True

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1, alpha: float = 1.0,
                 all_ops: bool = True, interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None) -> None:
        if not 1 <= severity <= 10:
            raise ValueError(f"The severity must be between [1, 10]. Got {severity} instead.")
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.alpha, self.all_ops, self.interpolation, self.fill = alpha, all_ops, interpolation, fill

    def space(self, height: int, width: int) -> dict[str, tuple[np.ndarray | None, bool]]:
        """op -> (magnitude table or None, signed), in torchvision's order."""
        ops = {"ShearX": (_lin(0.0, 0.3), True), "ShearY": (_lin(0.0, 0.3), True),
               "TranslateX": (_lin(0.0, width / 3.0), True), "TranslateY": (_lin(0.0, height / 3.0), True),
               "Rotate": (_lin(0.0, 30.0), True), "Posterize": (_posterize_bits(), False),
               "Solarize": (_lin(255.0, 0.0), False), "AutoContrast": (None, False), "Equalize": (None, False)}
        if self.all_ops:
            ops.update({name: (_lin(0.0, 0.9), True) for name in ("Brightness", "Color", "Contrast", "Sharpness")})
        return ops

    def negate(self, gen: np.random.Generator) -> bool:
        """Whether a signed magnitude is negated (v1: ``randint(2)`` is 1)."""
        return bool(gen.integers(2))

    def apply_op(self, img: Tensor, op: str, magnitude: float, fill: Any) -> Tensor:
        return apply_op_v1(img, op, magnitude, self.interpolation, fill)

    def make_params(self, batch: int, height: int, width: int) -> dict:
        """The draws for a batch of ``batch`` images of (height, width): m (batch, 2), weights (batch, width) =
        Dirichlet draws times m[:, 1], and the chains as lists of (op, magnitude)."""
        gen = backend.generator()
        alpha = float(self.alpha)
        m = gen.dirichlet([alpha, alpha], size=batch).astype(np.float32)
        weights = gen.dirichlet([alpha] * self.mixture_width, size=batch).astype(np.float32) * m[:, 1:]
        space = self.space(height, width)
        names = list(space)
        chains = []
        for _ in range(self.mixture_width):
            depth = self.chain_depth if self.chain_depth > 0 else int(gen.integers(1, 4))
            chain = []
            for _ in range(depth):
                op = names[int(gen.integers(len(names)))]
                table, signed = space[op]
                magnitude = 0.0 if table is None else float(table[int(gen.integers(self.severity))])
                if table is not None and signed and self.negate(gen):
                    magnitude *= -1.0
                chain.append((op, magnitude))
            chains.append(chain)
        return {"m": m, "weights": weights, "chains": chains}

    def fill_for(self, channels: int) -> Any:
        if isinstance(self.fill, (int, float)):
            return [float(self.fill)] * channels
        return None if self.fill is None else [float(f) for f in self.fill]

    def mix(self, img: Tensor, params: dict) -> Tensor:
        """The mixture of ``img`` (..., C, H, W) and its chains (see the module notes)."""
        shape = tuple(img.shape)
        batch = Tensor._wrap(img._data.reshape((1,) * max(4 - img.ndim, 0) + shape))
        dims = (batch.shape[0],) + (1,) * (batch.ndim - 1)
        mixed = params["m"][:, 0].reshape(dims) * batch._data
        fill = self.fill_for(shape[-3])
        for i, chain in enumerate(params["chains"]):
            aug = batch
            for op, magnitude in chain:
                aug = self.apply_op(aug, op, magnitude, fill)
            mixed += params["weights"][:, i].reshape(dims) * aug._data
        return Tensor._wrap(mixed.reshape(shape).astype(img._data.dtype))

    def forward(self, img: Image) -> Image:
        arr = from_pil(img)
        x = arr if isinstance(arr, Tensor) else Tensor._wrap(np.ascontiguousarray(np.atleast_3d(arr).transpose(2, 0,
                                                                                                              1)))
        n = x.shape[0] if x.ndim > 3 else 1
        out = self.mix(x, self.make_params(n, *x.shape[-2:]))
        if isinstance(arr, Tensor):
            return out
        return out._data[0] if arr.ndim == 2 else out._data.transpose(1, 2, 0)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={InterpolationMode(getattr(self.interpolation, 'value', self.interpolation))}, "
                f"fill={self.fill})")
