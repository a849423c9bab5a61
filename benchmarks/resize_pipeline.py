"""Images/s of Resize((227, 227)) + ToTensor + Normalize on the CIFAR-10 subset (one process, 1 BLAS thread), timed by
CPU time (the machine is shared with other jobs).

Ours through the DataLoader's batch path (batches of 64) and item by item; torchvision item by item on PIL
images (its usual pipeline). Usage: ``python benchmarks/resize_pipeline.py [--images N]``; prints a table and
writes ``benchmarks/results/resize_pipeline.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10-subset"
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def _rate(fn, n: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=512)
    args = parser.parse_args()
    import torch
    import torchvision
    from PIL import Image

    from minitorch_cnn.utils.data import DataLoader, Subset
    from minitorch_cnn.vision import datasets
    from minitorch_cnn.vision import transforms as T

    torch.set_num_threads(1)
    n = args.images
    ours_tf = T.Compose([T.Resize((227, 227)), T.ToTensor(), T.Normalize(MEAN, STD)])
    ds = Subset(datasets.CIFAR10(str(ROOT), train=True, transform=ours_tf), list(range(n)))
    tv_tf = torchvision.transforms.Compose([torchvision.transforms.Resize((227, 227)),
                                            torchvision.transforms.ToTensor(),
                                            torchvision.transforms.Normalize(MEAN, STD)])
    pil = [Image.fromarray(img) for img in ds.dataset.data[:n]]
    rates = {
        "ours_batch_path": _rate(lambda: [b for b in DataLoader(ds, batch_size=64)], n),
        "ours_item_by_item": _rate(lambda: [ours_tf(ds.dataset.data[i]) for i in range(n)], n),
        "torchvision_item_by_item": _rate(lambda: [tv_tf(im) for im in pil], n),
    }
    for name, rate in rates.items():
        print(f"{name:28s} {rate:9.0f} images/s")
    out = Path(__file__).resolve().parent / "results" / "resize_pipeline.json"
    out.write_text(json.dumps({"images": n, "images_per_s": rates, "note": "CPU time of one process (the 2-core "
                               "machine is shared: wall time is noisier); best of 3"}, indent=2) + "\n")


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
