"""``FakeData``: random images for smoke tests, as ``torchvision.datasets.FakeData``.

Item ``i`` is drawn from a generator seeded with ``i + random_offset`` (so it is the same every time and the global
generator is left alone): an image ~ N(0, 1) of ``image_size`` (C, H, W), turned into a PIL image as
``ToPILImage`` does ((x·255) cast to uint8), and a target uniform in [0, num_classes) (a 0-d int64 Tensor for
``target_transform``, returned as a Python int via ``.item()``). The numbers differ from
torchvision's: its items come from torch's own generator stream, ours from ``mt``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...backend import Generator
from ...ops.factories import randint, randn
from ..transforms.pil import to_pil_image
from .vision import VisionDataset


class FakeData(VisionDataset):
    """``size`` random (PIL image, int target) pairs; see the module notes."""

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224), num_classes: int = 10,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 random_offset: int = 0) -> None:
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        gen = Generator()
        gen.manual_seed(index + self.random_offset)
        img = to_pil_image(randn(*self.image_size, generator=gen))
        target = randint(0, self.num_classes, size=(1,), generator=gen)[0]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)  # a 0-d int64 Tensor in, anything with .item() out, as torchvision
        return img, target.item()

    def __len__(self) -> int:
        return self.size
