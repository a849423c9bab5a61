"""v2's conversions: ``ToImage``, ``ToDtype``, ``ConvertImageDtype``, ``ToPureTensor``, ``ToTensor``; and
``Identity``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ....autograd import Tensor
from .. import base as v1
from ..dtype import to_dtype_image
from ..pil import from_pil, is_pil_image
from ._sample import SampleTransform, on_image


def to_image(inpt: Any) -> Tensor:
    """A PIL image or (H, W[, C]) array -> (C, H, W) Tensor of its dtype; a Tensor is returned as it is.
    torchvision wraps the result in ``tv_tensors.Image``; here it is a plain Tensor."""
    if isinstance(inpt, Tensor):
        return inpt
    if is_pil_image(inpt):
        inpt = from_pil(inpt)
    if not isinstance(inpt, np.ndarray):
        raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got {type(inpt)} "
                        f"instead.")
    arr = np.atleast_3d(inpt)
    return Tensor._wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))


class ToImage(SampleTransform, v1.Transform):
    """PIL image or array -> (C, H, W) Tensor, values and dtype kept (uint8 stays uint8)."""

    def forward(self, *inputs: Any) -> Any:
        return on_image(to_image, inputs)

    def __repr__(self) -> str:
        return "ToImage()"


class ToDtype(SampleTransform, v1.Transform):
    """The image as ``dtype``; ``scale=True`` moves its values to the new range (uint8 -> float: x · (1/255))."""

    def __init__(self, dtype: Any, scale: bool = False) -> None:
        if isinstance(dtype, dict):
            raise TypeError("ToDtype: a dict of dtypes per tv_tensor type has no meaning here (there are no "
                            "tv_tensors); pass the image's dtype")
        self.dtype, self.scale = dtype, scale

    def forward(self, *inputs: Any) -> Any:
        return on_image(lambda img: to_dtype_image(img, self.dtype, self.scale), inputs)

    def __repr__(self) -> str:
        return f"ToDtype(scale={self.scale})"


class ConvertImageDtype(SampleTransform, v1.Transform):
    """v2's: ``ToDtype(dtype, scale=True)``."""

    def __init__(self, dtype: Any = np.float32) -> None:
        self.dtype = dtype

    def forward(self, *inputs: Any) -> Any:
        return on_image(lambda img: to_dtype_image(img, self.dtype, scale=True), inputs)

    def __repr__(self) -> str:
        return "ConvertImageDtype()"


class ToPureTensor(v1.ModuleTransform):
    """torchvision strips the tv_tensor wrapper; here every image is a plain Tensor already: the identity."""

    def forward(self, *inputs: Any) -> Any:
        return inputs[0] if len(inputs) == 1 else inputs

    def __repr__(self) -> str:
        return "ToPureTensor()"


class Identity(v1.ModuleTransform):
    """The sample as it is."""

    def forward(self, *inputs: Any) -> Any:
        return inputs[0] if len(inputs) == 1 else inputs

    def __repr__(self) -> str:
        return "Identity()"


class ToTensor(SampleTransform, v1.ToTensor):
    """[deprecated in v2] v1's ``ToTensor`` (uint8 -> float / 255), with torchvision's deprecation warning."""

    def __init__(self) -> None:
        warnings.warn("The transform `ToTensor()` is deprecated and will be removed in a future release. Instead, "
                      "please use `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])`.Output is "
                      "equivalent up to float precision.", stacklevel=2)
