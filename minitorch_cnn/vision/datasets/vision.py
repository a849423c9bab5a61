"""The base of the image datasets, as ``torchvision.datasets.VisionDataset``: root, the transforms, the repr.

MNIST and CIFAR10 each set these the same way; here once, with torchvision's rules: ``root`` has ``~``
expanded when it is a string; ``transform``/``target_transform`` are also joined into ``transforms`` (one
callable on the pair), and passing ``transforms`` together with either of them is an error. ``image_batch``
is the vectorised batch the image datasets share with the loader.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ...autograd import Tensor
from ...utils.data import Dataset


def _indented(obj: Any, head: str) -> list[str]:
    """``repr(obj)`` after ``head``, its later lines aligned under the first."""
    lines = repr(obj).splitlines()
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]


class StandardTransform:
    """``transform`` on the input and ``target_transform`` on the target, as one callable on the pair."""

    def __init__(
        self, transform: Callable[[Any], Any] | None = None, target_transform: Callable[[Any], Any] | None = None
    ) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self) -> str:
        body = [type(self).__name__]
        if self.transform is not None:
            body += _indented(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += _indented(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """An image dataset under ``root``; subclasses load their files and define ``__getitem__`` and ``__len__``.

    ``extra_repr()`` adds lines to the repr (MNIST and CIFAR10: the split).
    """

    _repr_indent = 4

    def __init__(
        self,
        root: str | Path | None = None,
        transforms: Callable[[Any, Any], Any] | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        separate = transform is not None or target_transform is not None
        if transforms is not None and separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = StandardTransform(transform, target_transform) if separate else transforms

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            body.append(repr(self.transforms))  # one entry: only its first line is indented, as torchvision's
        return "\n".join([f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + line for line in body])


def image_batch(ds: VisionDataset, images: np.ndarray, indices: np.ndarray, targets: Any) -> list[Any] | None:
    """[images, targets] of ``indices`` at once, equal to collating the items: one fancy index, one batched
    transform. None when the transforms cannot work on a batch (the loader then goes item by item).

    images: the dataset's (N, ...) uint8 array; targets: the batch's targets, already picked.
    """
    if ds.target_transform is not None:
        return None
    imgs = images[indices]
    if ds.transform is not None:
        batch = getattr(ds.transform, "batch", None)
        if batch is None:
            return None
        imgs = batch(imgs)
    if not isinstance(imgs, Tensor):
        imgs = Tensor._wrap(imgs)
    return [imgs, Tensor._wrap(np.asarray(targets).astype(np.int64, copy=False))]
