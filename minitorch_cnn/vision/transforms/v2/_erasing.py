"""``RandomErasing`` (Zhong et al. 2020), as torchvision's v2: with probability ``p``, a random box of area
fraction in ``scale`` and aspect ratio (log-uniform) in ``ratio`` (up to ten tries to fit) is set to ``value``
(per channel; "random": standard normal noise). Draws come from the global generator (``mt.manual_seed``);
``make_params``/``transform`` are torchvision's method names, so a given box gives torch's pixels."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .... import backend
from ....autograd import Tensor
from ..base import ModuleTransform
from ._sample import f32_uniform as _f32_uniform
from ._sample import on_image


def erase(image: Tensor, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Tensor:
    """``image[..., i:i+h, j:j+w] = v`` on a copy (or in place)."""
    out = image._data if inplace else image._data.copy()
    out[..., i:i + h, j:j + w] = v._data if isinstance(v, Tensor) else v
    return image if inplace else Tensor._wrap(out)


class RandomErasing(ModuleTransform):
    """See the module notes; an image with no box that fits after ten tries is returned unchanged."""

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33), ratio: Sequence[float] = (0.3, 3.3),
                 value: float | str | Sequence[float] = 0.0, inplace: bool = False) -> None:
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence) or not isinstance(ratio, Sequence):
            raise TypeError("Scale and ratio should be sequences")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p, self.scale, self.ratio, self.inplace = p, scale, ratio, inplace
        self.value = ([float(value)] if isinstance(value, numbers.Number) else None if isinstance(value, str)
                      else [float(v) for v in value])
        self._log_ratio = (math.log(ratio[0]), math.log(ratio[1]))

    def make_params(self, flat_inputs: list) -> dict:
        img_c, img_h, img_w = flat_inputs[0].shape[-3:]
        if self.value is not None and len(self.value) not in (1, img_c):
            raise ValueError(f"If value is a sequence, it should have either a single value or {img_c} (number of "
                             f"inpt channels)")
        gen = backend.generator()
        area = img_h * img_w
        for _ in range(10):
            erase_area = area * _f32_uniform(gen, self.scale[0], self.scale[1])
            aspect_ratio = float(np.exp(np.float32(_f32_uniform(gen, *self._log_ratio))))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if self.value is None:
                v = Tensor._wrap(gen.standard_normal((img_c, h, w)).astype(np.float32))
            else:
                v = Tensor._wrap(np.asarray(self.value, dtype=np.float32)[:, None, None])
            i = int(gen.integers(0, img_h - h + 1))
            j = int(gen.integers(0, img_w - w + 1))
            return {"i": i, "j": j, "h": h, "w": w, "v": v}
        return {"i": 0, "j": 0, "h": img_h, "w": img_w, "v": None}

    def transform(self, inpt: Tensor, params: dict) -> Tensor:
        if params["v"] is None:
            return inpt
        return erase(inpt, params["i"], params["j"], params["h"], params["w"], params["v"], self.inplace)

    def forward(self, *inputs: Any) -> Any:
        def one(img: Any) -> Any:
            if not isinstance(img, Tensor):
                raise TypeError(f"RandomErasing: the image should be a Tensor (after ToImage/ToTensor), got "
                                f"{type(img).__name__}")
            if backend.generator().random() >= self.p:
                return img
            return self.transform(img, self.make_params([img]))

        return on_image(one, inputs)

    def __repr__(self) -> str:
        return (f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, "
                f"inplace={self.inplace})")


class RandomErasingV1(RandomErasing):
    """v1's ``RandomErasing`` (Tensor images; the same algorithm), with v1's repr of ``value``."""

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33), ratio: Sequence[float] = (0.3, 3.3),
                 value: float | str | Sequence[float] = 0, inplace: bool = False) -> None:
        super().__init__(p, scale, ratio, value, inplace)
        self._given_value = value

    def __repr__(self) -> str:
        return (f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self._given_value}, "
                f"inplace={self.inplace})")
