"""``MixUp`` (Zhang et al. 2018) and ``CutMix`` (Yun et al. 2019) on a batch, as torchvision's v2.

Called on ``(images, labels)`` (images (N, C, H, W), labels (N,) class indices or (N, num_classes)
probabilities), each mixes every image with the one before it in the batch (``roll(1, 0)``) and the labels
likewise, as one-hot probabilities:

- MixUp: x' = λ x + (1 - λ) roll(x);  y' = λ y + (1 - λ) roll(y),  λ ~ Beta(α, α);
- CutMix: x' = x with the box [y1:y2, x1:x2] taken from roll(x), the box centred at a uniform pixel with
  half-sides ⌊r W⌋, ⌊r H⌋, r = √(1 - λ) / 2, clipped to the image; y' mixes with λ' = 1 - box area / (H W).

``make_params(flat_inputs)`` draws (from the global generator: λ from NumPy's Beta, not torch's stream) and
``transform(inpt, params)`` applies, torchvision's public method names, so a given λ or box gives torch's numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .... import backend
from ....autograd import Tensor
from ....ops.indexing import one_hot
from ..base import ModuleTransform
from ..pil import is_pil_image
from ._sample import flatten


def _labels(sample: Any) -> Any:
    """torchvision's default labels getter: the second item of a tuple/list sample, or a dict's "labels"/"label"."""
    if isinstance(sample, (tuple, list)) and len(sample) >= 2:
        return sample[1]
    if isinstance(sample, dict):
        for key in sample:
            if isinstance(key, str) and key.lower() in ("labels", "label"):
                return sample[key]
    raise ValueError("Could not infer where the labels are in the sample. Try passing a callable as the "
                     "labels_getter parameter?")


class _MixBase(ModuleTransform):
    def __init__(self, *, alpha: float = 1.0, num_classes: int | None = None, labels_getter: Any = "default") -> None:
        self.alpha = float(alpha)
        if self.alpha <= 0:
            raise ValueError("alpha must be positive")  # Beta(α, α) needs α > 0, as torch.distributions checks
        self.num_classes = num_classes
        self._labels_getter = _labels if labels_getter == "default" else labels_getter

    def _lam(self) -> float:
        return float(backend.generator().beta(self.alpha, self.alpha))

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        if any(is_pil_image(leaf) for leaf in leaves):
            raise ValueError(f"{type(self).__name__}() does not support PIL images, bounding boxes and masks.")
        labels = self._labels_getter(sample)
        if not isinstance(labels, Tensor):
            raise ValueError(f"The labels must be a torch.Tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError(f"labels should be index based with shape (batch_size,) or probability based with shape "
                             f"(batch_size, num_classes), but got a tensor of shape {labels.shape} instead.")
        if labels.ndim == 2 and self.num_classes is not None and labels.shape[-1] != self.num_classes:
            raise ValueError(f"When passing 2D labels, the number of elements in last dimension must match "
                             f"num_classes: {labels.shape[-1]} != {self.num_classes}. You can Leave num_classes to "
                             f"None.")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        images = [leaf for leaf in leaves if isinstance(leaf, Tensor) and leaf is not labels and leaf.ndim >= 2]
        params = {"labels": labels, "batch_size": labels.shape[0], **self.make_params(images)}
        return rebuild([self.transform(leaf, params) if leaf is labels or any(leaf is im for im in images)
                        else leaf for leaf in leaves])

    def _check_image(self, inpt: Tensor, batch_size: int) -> None:
        if inpt.ndim != 4:
            raise ValueError(f"Expected a batched input with 4 dims, but got {inpt.ndim} dimensions instead.")
        if inpt.shape[0] != batch_size:
            raise ValueError(f"The batch size of the image or video does not match the batch size of the labels: "
                             f"{inpt.shape[0]} != {batch_size}.")

    def _mixup_label(self, label: Tensor, lam: float) -> Tensor:
        if label.ndim == 1:
            label = one_hot(label, num_classes=self.num_classes)
        x = label._data if label._data.dtype.kind == "f" else label._data.astype(np.float32)
        xp = backend.array_module(x)
        return Tensor._wrap(xp.roll(x, 1, 0) * x.dtype.type(1.0 - lam) + x * x.dtype.type(lam))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_MixBase):
    """x' = λ x + (1 - λ) roll(x), and the labels alike (see the module notes)."""

    def make_params(self, flat_inputs: list) -> dict:
        return {"lam": self._lam()}

    def transform(self, inpt: Any, params: dict) -> Any:
        lam = params["lam"]
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam)
        self._check_image(inpt, params["batch_size"])
        x = inpt._data
        if x.dtype.kind != "f":  # torch's in-place mul_ by a float refuses an integer image
            raise RuntimeError(f"result type Float can't be cast to the desired output type {inpt.dtype}")
        t = x.dtype.type
        return Tensor._wrap(backend.array_module(x).roll(x, 1, 0) * t(1.0 - lam) + x * t(lam))


class CutMix(_MixBase):
    """A box of roll(x) pasted into x, the labels mixed by the box's area (see the module notes)."""

    def make_params(self, flat_inputs: list) -> dict:
        lam = self._lam()
        height, width = flat_inputs[0].shape[-2:]
        gen = backend.generator()
        r_x, r_y = int(gen.integers(0, width)), int(gen.integers(0, height))
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half, r_h_half = int(r * width), int(r * height)
        x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
        x2, y2 = min(r_x + r_w_half, width), min(r_y + r_h_half, height)
        return {"box": (x1, y1, x2, y2), "lam_adjusted": float(1.0 - (x2 - x1) * (y2 - y1) / (width * height))}

    def transform(self, inpt: Any, params: dict) -> Any:
        if inpt is params["labels"]:
            return self._mixup_label(inpt, params["lam_adjusted"])
        self._check_image(inpt, params["batch_size"])
        x1, y1, x2, y2 = params["box"]
        x = inpt._data
        out = x.copy()
        out[..., y1:y2, x1:x2] = backend.array_module(x).roll(x, 1, 0)[..., y1:y2, x1:x2]
        return Tensor._wrap(out)
