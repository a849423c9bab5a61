"""``GaussianBlur``, as torchvision's v2 (and v1's, ``GaussianBlurV1``): the blur of ``blur.py`` with σ drawn
uniformly from ``sigma`` per call (global generator)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .... import backend
from ....autograd import Tensor
from ..base import ModuleTransform
from ..blur import gaussian_blur
from ..pil import from_pil
from ._misc import to_image
from ._sample import f32_uniform as _f32_uniform
from ._sample import on_image


class GaussianBlur(ModuleTransform):
    """Blur with a σ drawn uniformly from ``sigma`` (a number: that σ) each call."""

    def __init__(self, kernel_size: int | Sequence[int], sigma: float | Sequence[float] = (0.1, 2.0)) -> None:
        ks = [kernel_size, kernel_size] if isinstance(kernel_size, int) else list(kernel_size)
        if len(ks) != 2:
            raise ValueError("Kernel size should be a tuple/list of two integers")
        if any(k <= 0 or k % 2 == 0 for k in ks):
            raise ValueError("Kernel size value should be an odd and positive number.")
        self.kernel_size = ks
        s = [float(sigma)] * 2 if isinstance(sigma, numbers.Number) else [float(v) for v in sigma]
        if len(s) == 1:
            s = s * 2
        if not 0.0 < s[0] <= s[1]:
            raise ValueError(f"sigma values should be positive and of the form (min, max). Got {s}")
        self.sigma = s

    def make_params(self, flat_inputs: list) -> dict:
        sigma = _f32_uniform(backend.generator(), self.sigma[0], self.sigma[1])
        return {"sigma": [sigma, sigma]}

    v1 = False

    def transform(self, inpt: Tensor, params: dict) -> Tensor:
        return gaussian_blur(inpt, self.kernel_size, params["sigma"], self.v1)

    def forward(self, *inputs: Any) -> Any:
        def one(img: Any) -> Any:
            if isinstance(img, Tensor):
                return self.transform(img, self.make_params([img]))
            chw = to_image(img)  # a PIL image or its stand-in array: blurred as a tensor, given back as an array
            out = self.transform(chw, self.make_params([chw]))._data
            return out[0] if out.shape[0] == 1 and np.ndim(from_pil(img)) == 2 else out.transpose(1, 2, 0)

        return on_image(one, inputs)

    def __repr__(self) -> str:
        return f"GaussianBlur(kernel_size={tuple(self.kernel_size)}, sigma={self.sigma})"


class GaussianBlurV1(GaussianBlur):
    """v1's ``GaussianBlur``: v1's kernel formula and repr; the same draw."""

    v1 = True

    def __repr__(self) -> str:
        return f"GaussianBlur(kernel_size={tuple(self.kernel_size)}, sigma={tuple(self.sigma)})"
