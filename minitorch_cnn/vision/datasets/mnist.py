"""MNIST, Fashion-MNIST, Kuzushiji-MNIST and EMNIST from torchvision's on-disk layout: IDX files in
``root/<ClassName>/raw/``.

Each file may be the plain IDX file (what torchvision's download leaves after extracting) or its ``.gz``
(the official download, read without unpacking). ``.data`` is a uint8 Tensor (N, 28, 28) and ``.targets``
an int64 Tensor (N,), as torchvision's; an item is ``(image, target)`` with the image an (H, W) uint8 array
(the stand-in for torchvision's PIL image) before ``transform``.
"""

from __future__ import annotations

import gzip
import os
import shutil
import string
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ...autograd import Tensor
from .utils import download_and_extract_archive, extract_archive
from .vision import VisionDataset, image_batch

# IDX type codes (the third magic byte) and their big-endian element types
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def sample_root() -> Path:
    """The data root of the small real MNIST sample shipped in the package (``<it>/MNIST/raw/*.gz``).

    It holds the first 5,000 training and first 1,000 test images of the official files; see its README.md.
    """
    return Path(__file__).resolve().parents[2] / "data"


def _read_bytes(path: str) -> bytes:
    if not path.endswith(".gz"):
        with open(path, "rb") as f:
            return f.read()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise RuntimeError(f"{path}: corrupt or truncated gzip file ({type(exc).__name__}: {exc})") from exc


def read_idx(path: str) -> np.ndarray:
    """An IDX file (plain or ``.gz``) as a native-endian array of the shape in its header.

    Raises RuntimeError naming the file when the magic number is wrong or the size disagrees with the header.
    """
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise RuntimeError(f"{path}: not an IDX file (magic bytes {raw[:4].hex() or 'missing'})")
    ndim, header = raw[3], 4 + 4 * raw[3]
    if len(raw) < header:
        raise RuntimeError(f"{path}: IDX header cut short ({len(raw)} bytes, {ndim} dimensions announced)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != count * dtype.itemsize:
        raise RuntimeError(
            f"{path}: IDX header announces shape {shape} ({count * dtype.itemsize} bytes of data) "
            f"but the file holds {len(raw) - header} bytes of data"
        )
    return np.frombuffer(raw, dtype, count, header).astype(dtype.newbyteorder("=")).reshape(shape)


def _raw(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class MNIST(VisionDataset):
    """The MNIST digits (60,000 train / 10,000 test), as ``torchvision.datasets.MNIST``.

    root: the folder holding ``MNIST/raw``. download: fetch the missing files from ``mirrors`` (tried in
    order), check each against its md5 and unpack it; nothing happens when the files are already there.
    A corrupt file raises RuntimeError naming it.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(
        self,
        root: str | Path,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"{self._missing_message()}. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _find(self, gz_name: str) -> str | None:
        """The plain IDX file if present (faster to read), else the ``.gz``, else None."""
        plain = os.path.join(self.raw_folder, gz_name[: -len(".gz")])
        for path in (plain, plain + ".gz"):
            if os.path.isfile(path):
                return path
        return None

    def _check_exists(self) -> bool:
        return all(self._find(f) is not None for f, _ in self.resources)

    def _missing_message(self) -> str:
        missing = [f for f, _ in self.resources if self._find(f) is None]
        return f"Dataset not found: {missing} missing in {self.raw_folder} (plain or .gz)"

    def _image_label_paths(self) -> tuple[str, str]:
        prefix = "train" if self.train else "t10k"
        return self._find(f"{prefix}-images-idx3-ubyte.gz"), self._find(f"{prefix}-labels-idx1-ubyte.gz")

    def _load_data(self) -> tuple[Tensor, Tensor]:
        image_path, label_path = self._image_label_paths()
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.dtype != np.uint8 or images.ndim != 3:
            raise RuntimeError(f"{image_path}: expected uint8 images (N, H, W), got {images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise RuntimeError(f"{label_path}: expected uint8 labels (N,), got {labels.dtype} {labels.shape}")
        if len(images) != len(labels):
            raise RuntimeError(f"{image_path} holds {len(images)} images but {label_path} {len(labels)} labels")
        return Tensor._wrap(images), Tensor._wrap(labels.astype(np.int64))

    def download(self) -> None:
        """Fetch, md5-check and unpack every file, trying each mirror in turn; skipped when all are present."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                try:
                    download_and_extract_archive(f"{mirror}{filename}", self.raw_folder, filename=filename, md5=md5)
                    break
                except RuntimeError as exc:
                    errors.append(f"Tried {mirror}, got:\n{exc}")
            else:
                raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(errors))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = _raw(self.data)[index].copy(), int(_raw(self.targets)[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def get_batch(self, indices: np.ndarray) -> list[Any] | None:
        """[images, targets] for ``indices`` at once, equal to collating the items; None when the transforms
        cannot work on a batch (the loader then goes item by item)."""
        return image_batch(self, _raw(self.data), indices, _raw(self.targets)[indices])

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same layout and sizes as MNIST), as ``torchvision.datasets.FashionMNIST``."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (cursive Japanese, MNIST's layout and sizes), as ``torchvision.datasets.KMNIST``."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """EMNIST (Cohen et al. 2017), as ``torchvision.datasets.EMNIST``: one of six ``split``s, read from
    ``EMNIST/raw/emnist-{split}-{train,test}-{images-idx3,labels-idx1}-ubyte`` (plain or ``.gz``), the images as
    stored (transposed with respect to MNIST's, as torchvision leaves them). ``download=True`` fetches the official
    zip (535 MB, md5-checked) and unpacks its ``gzip/*.gz`` files into ``raw``, as torchvision does."""

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A", *string.ascii_lowercase],
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root: str | Path, split: str, **kwargs: Any) -> None:
        if split not in self.splits:
            valid = "', '".join(self.splits)
            raise ValueError(f"Unknown value '{split}' for argument split. Valid values are {{'{valid}'}}.")
        self.split = split
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    def _names(self) -> list[str]:
        prefix = f"emnist-{self.split}-{'train' if self.train else 'test'}"
        return [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]

    def _check_exists(self) -> bool:
        return all(self._find(name) is not None for name in self._names())

    def _missing_message(self) -> str:
        missing = [name[: -len(".gz")] for name in self._names() if self._find(name) is None]
        return f"Dataset not found: {missing} missing in {self.raw_folder} (plain or .gz)"

    def _image_label_paths(self) -> tuple[str, str]:
        images, labels = self._names()
        return self._find(images), self._find(labels)

    def download(self) -> None:
        """Fetch and md5-check the zip, unpack it and decompress its ``gzip/*.gz`` into ``raw``; skipped when the
        split's files are present."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        download_and_extract_archive(self.url, download_root=self.raw_folder, md5=self.md5)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in sorted(os.listdir(gzip_folder)):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)
        shutil.rmtree(gzip_folder)
