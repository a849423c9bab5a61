"""``mt.vision``: torchvision's names for datasets and transforms (``mt.vision.datasets``, ``mt.vision.transforms``)."""

from . import datasets, io, models, ops, transforms, utils
