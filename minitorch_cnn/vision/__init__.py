"""``mt.vision``: torchvision's names for datasets and transforms (``mt.vision.datasets``, ``mt.vision.transforms``)."""

from . import datasets, functional, io, models, transforms, utils
