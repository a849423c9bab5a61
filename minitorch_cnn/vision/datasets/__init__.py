"""``mt.vision.datasets``: MNIST, FashionMNIST, KMNIST, EMNIST and CIFAR10 in torchvision's on-disk layouts,
ImageFolder and DatasetFolder (a folder per class), FakeData, their ``VisionDataset`` base, and the sample."""

from .cifar import CIFAR10
from .fakedata import FakeData
from .folder import (
    IMG_EXTENSIONS,
    DatasetFolder,
    ImageFolder,
    default_loader,
    has_file_allowed_extension,
    make_dataset,
    pil_loader,
)
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST, read_idx, sample_root
from .utils import calculate_md5, check_integrity, download_and_extract_archive, download_url, extract_archive
from .vision import StandardTransform, VisionDataset

__all__ = [
    "CIFAR10", "MNIST", "DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader", "pil_loader",
    "has_file_allowed_extension", "make_dataset", "FashionMNIST", "StandardTransform", "VisionDataset", "read_idx",
    "sample_root",
    "calculate_md5", "check_integrity",
    "download_and_extract_archive", "download_url", "extract_archive",
]
__all__ += ["EMNIST", "FakeData", "KMNIST"]
