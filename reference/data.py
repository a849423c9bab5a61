"""Real batches for parity runs, read with plain NumPy (independent of the framework's own data loaders).

MNIST comes from torchvision's ``MNIST/raw`` IDX files, CIFAR-10 from the ``cifar-10-batches-py`` pickles (the
subset in shared/data holds the first 1,000 images of each batch).
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR_MEAN = np.array([0.4914, 0.4822, 0.4465])
CIFAR_STD = np.array([0.2470, 0.2435, 0.2616])


def load_mnist(root: str | Path, count: int, train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` images, normalised: x (count, 1, 28, 28) float64, y (count,) int64.

    root: the directory holding ``MNIST/raw``.
    """
    prefix = "train" if train else "t10k"
    raw = Path(root) / "MNIST" / "raw"
    with gzip.open(raw / f"{prefix}-images-idx3-ubyte.gz", "rb") as f:
        images = np.frombuffer(f.read(16 + count * 784), dtype=np.uint8, offset=16)
    with gzip.open(raw / f"{prefix}-labels-idx1-ubyte.gz", "rb") as f:
        labels = np.frombuffer(f.read(8 + count), dtype=np.uint8, offset=8)
    x = (images.reshape(count, 1, 28, 28) / 255.0 - MNIST_MEAN) / MNIST_STD
    return x, labels.astype(np.int64)


def load_cifar10(root: str | Path, count: int, batch: str = "data_batch_1") -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` images of one batch file, normalised: x (count, 3, 32, 32) float64, y (count,) int64.

    root: the directory holding ``cifar-10-batches-py``.
    """
    with open(Path(root) / "cifar-10-batches-py" / batch, "rb") as f:
        entry = pickle.load(f, encoding="latin1")
    images = np.asarray(entry["data"][:count], dtype=np.float64).reshape(count, 3, 32, 32) / 255.0
    x = (images - CIFAR_MEAN[:, None, None]) / CIFAR_STD[:, None, None]
    return x, np.asarray(entry["labels"][:count], dtype=np.int64)


def resize_nearest(x: np.ndarray, size: int) -> np.ndarray:
    """x: (N, C, H, W) -> (N, C, size, size) by nearest-neighbour sampling (e.g. CIFAR 32 → AlexNet's 227)."""
    rows = np.arange(size) * x.shape[2] // size
    cols = np.arange(size) * x.shape[3] // size
    return x[:, :, rows][:, :, :, cols]


def dither(x: np.ndarray, scale: float = 1e-3, seed: int = 0) -> np.ndarray:
    """x plus Gaussian noise of std ``scale`` (1e-3 of a normalised unit is about a tenth of one grey level).

    MNIST's background is exactly constant, so neighbouring conv outputs tie exactly, and which one a max-pool
    routes the gradient to is then decided by the last bit of the conv's rounding, which differs between any two
    GEMM implementations (OpenBLAS computes identical patches 1 ulp apart in some blocks, torch does not). The
    dither makes every window's maximum clear, so a parity run compares the maths and not the tie-breaking.
    """
    return x + scale * np.random.default_rng(seed).standard_normal(x.shape)
