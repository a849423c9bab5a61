"""CIFAR-10 from torchvision's on-disk layout: the ``root/cifar-10-batches-py`` pickles.

``.data`` is a uint8 array (N, 32, 32, 3) and ``.targets`` a list of ints, as torchvision's; an item is
``(image, target)`` with the image an (H, W, 3) uint8 array (the stand-in for torchvision's PIL image).
Batches of any size load (torchvision's files hold 10,000 images each; a subset may hold fewer). Loading
checks the files' structure but not their md5, so re-cut batches load; ``download=True`` fetches the official
archive and checks its md5.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .utils import download_and_extract_archive
from .vision import VisionDataset, image_batch

# what a CIFAR pickle may name: NumPy's array reconstruction and nothing else (a pickle can run any callable)
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _load_pickle(path: str) -> Any:
    try:
        with open(path, "rb") as f:
            return _ArrayUnpickler(f, encoding="latin1").load()
    except OSError:
        raise
    except Exception as exc:  # a damaged pickle fails in many ways; all of them mean "this file is bad"
        raise RuntimeError(f"{path}: not a readable CIFAR pickle ({type(exc).__name__}: {exc})") from exc


class CIFAR10(VisionDataset):
    """CIFAR-10 (50,000 train / 10,000 test 32×32 colour images, 10 classes), as torchvision's ``CIFAR10``.

    root: the folder holding ``cifar-10-batches-py``. download: fetch ``url``, check ``tgz_md5`` and unpack,
    unless the batch files are already there.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

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
            raise RuntimeError(
                f"Dataset not found: {self._missing()} missing in {self._folder}. "
                f"You can use download=True to download it"
            )
        data, self.targets = [], []
        for name, _ in self.train_list if train else self.test_list:
            images, labels = self._read_batch(os.path.join(self._folder, name))
            data.append(images)
            self.targets.extend(labels)
        self.data = np.ascontiguousarray(np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        self._load_meta()

    @property
    def _folder(self) -> str:
        return os.path.join(self.root, self.base_folder)

    def _missing(self) -> list[str]:
        names = [n for n, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        return [n for n in names if not os.path.isfile(os.path.join(self._folder, n))]

    def _check_exists(self) -> bool:
        return not self._missing()

    @staticmethod
    def _read_batch(path: str) -> tuple[np.ndarray, list[int]]:
        entry = _load_pickle(path)
        if not isinstance(entry, dict) or "data" not in entry or "labels" not in entry:
            keys = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise RuntimeError(f"{path}: not a CIFAR-10 batch (expected a dict with 'data' and 'labels', got {keys})")
        images, labels = entry["data"], list(entry["labels"])
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 2 or (
            images.shape[1] != 3 * 32 * 32
        ):
            shape = getattr(images, "shape", type(images).__name__)
            raise RuntimeError(f"{path}: 'data' should be a uint8 array (N, 3072), got {shape}")
        if len(labels) != len(images):
            raise RuntimeError(f"{path}: {len(images)} images but {len(labels)} labels")
        return images, [int(y) for y in labels]

    def _load_meta(self) -> None:
        path = os.path.join(self._folder, self.meta["filename"])
        meta = _load_pickle(path)
        if not isinstance(meta, dict) or self.meta["key"] not in meta:
            raise RuntimeError(f"{path}: metadata without {self.meta['key']!r}")
        self.classes = list(meta[self.meta["key"]])
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def download(self) -> None:
        """Fetch and unpack the official archive (md5-checked), unless the batch files are already there."""
        if self._check_exists():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename, md5=self.tgz_md5)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index].copy(), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def get_batch(self, indices: np.ndarray) -> list[Any] | None:
        """[images, targets] for ``indices`` at once, equal to collating the items; None when the transforms
        cannot work on a batch. Targets are read from the ``targets`` list as it is now."""
        targets = np.fromiter((self.targets[i] for i in indices.tolist()), dtype=np.int64, count=len(indices))
        return image_batch(self, self.data, indices, targets)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
