"""v2's calling convention: a transform takes any sample (one image, or tuples, lists and dicts holding one with
labels and other data) and transforms the image in it, passing the rest through, as torchvision's v2 does for
plain tensors: the image is the first Tensor, NumPy image or PIL image found (depth first, in order).
``transform(img)`` returns the image; ``transform(img, label)`` returns both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ....autograd import Tensor
from ..base import ModuleTransform
from ..pil import from_pil, is_pil_image


def is_image(x: Any) -> bool:
    return (isinstance(x, Tensor) and x.ndim >= 2) or (isinstance(x, np.ndarray) and x.ndim in (2, 3)) or \
        is_pil_image(x)


def flatten(sample: Any) -> tuple[list, Callable[[list], Any]]:
    """The leaves of ``sample`` (nested tuples, lists, dicts) and a function that rebuilds it from new leaves."""
    if isinstance(sample, (tuple, list)):
        parts = [flatten(s) for s in sample]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves: list) -> Any:
            out, k = [], 0
            for (_, re), n in zip(parts, sizes):
                out.append(re(leaves[k:k + n]))
                k += n
            return type(sample)(out) if not hasattr(sample, "_fields") else type(sample)(*out)

        return [leaf for p in parts for leaf in p[0]], rebuild
    if isinstance(sample, dict):
        keys = list(sample)
        inner = flatten([sample[k] for k in keys])
        return inner[0], lambda leaves: dict(zip(keys, inner[1](leaves)))
    return [sample], lambda leaves: leaves[0]


def on_image(fn: Callable[[Any], Any], inputs: tuple) -> Any:
    """``fn`` applied to the image of the sample ``inputs`` (one argument: that argument), the rest unchanged."""
    sample = inputs[0] if len(inputs) == 1 else inputs
    leaves, rebuild = flatten(sample)
    k = next((i for i, leaf in enumerate(leaves) if is_image(leaf)), None)
    if k is None:
        return sample
    leaves[k] = fn(leaves[k])
    return rebuild(leaves)


class SampleTransform(ModuleTransform):
    """Mixin: v1 transforms called with v2's samples, as ``nn.Module``s (put first among the bases; its ``forward``
    hands the image to the v1 transform's own)."""

    def forward(self, *inputs: Any) -> Any:
        return on_image(super().forward, inputs)


def f32_uniform(gen: np.random.Generator, low: float, high: float) -> float:
    """A uniform draw rounded to float32, as torchvision's ``torch.empty(1).uniform_(low, high).item()`` gives:
    a factor of (1.3, 1.3) is then float32(1.3) here too, not 1.3."""
    return float(np.float32(gen.uniform(low, high)))


class Transform(ModuleTransform):
    """v2's base class for user transforms: ``make_params(flat_inputs)`` draws (``{}`` by default), then
    ``transform(inpt, params)`` is applied to the sample's image (the first image found; see ``on_image``)."""

    def make_params(self, flat_inputs: list) -> dict:
        return {}

    def transform(self, inpt: Any, params: dict) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define transform(inpt, params)")

    def forward(self, *inputs: Any) -> Any:
        return on_image(lambda img: self.transform(img, self.make_params([img])), inputs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _dims(flat_inputs: list) -> set[tuple[int, int, int]]:
    from_images = (from_pil(x) for x in flat_inputs if is_image(x))
    return {(1 if x.ndim == 2 else x.shape[-3], *x.shape[-2:]) if isinstance(x, Tensor) else
            (1 if x.ndim == 2 else x.shape[2], *x.shape[:2]) for x in from_images}


def query_chw(flat_inputs: list) -> tuple[int, int, int]:
    """(C, H, W) of the images among ``flat_inputs`` (all the same size)."""
    chws = _dims(flat_inputs)
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        listing = ", ".join(repr(str(c)) for c in sorted(chws))
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {listing}")
    return chws.pop()


def query_size(flat_inputs: list) -> tuple[int, int]:
    """(H, W) of the images among ``flat_inputs`` (all the same size)."""
    sizes = {chw[1:] for chw in _dims(flat_inputs)}
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        listing = ", ".join(repr(str(s)) for s in sorted(sizes))
        raise ValueError(f"Found multiple HxW dimensions in the sample: {listing}")
    return sizes.pop()


def is_pure_tensor(inpt: Any) -> bool:
    """Whether ``inpt`` is a Tensor (there are no tv_tensors here, so every Tensor is pure)."""
    return isinstance(inpt, Tensor)


def check_type(obj: Any, types_or_checks: tuple) -> bool:
    """Whether ``obj`` is an instance of one of the types or passes one of the checks."""
    return any(isinstance(obj, t) if isinstance(t, type) else t(obj) for t in types_or_checks)


def has_any(flat_inputs: list, *types_or_checks: Any) -> bool:
    """Whether some input matches some type or check."""
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def has_all(flat_inputs: list, *types_or_checks: Any) -> bool:
    """Whether every type or check is matched by some input."""
    return all(any(check_type(inpt, (t,)) for inpt in flat_inputs) for t in types_or_checks)
