"""Hold ResNet-18 against its torch twin, layer by layer, in float64.

The twin is built by torch (torch's init), its weights copied into ours; one forward, cross-entropy and backward
run on both from the same batch, and the report lists for each layer call the relative error of its
output (forward), of dL/d(output) and of dL/d(input), then every parameter gradient and BatchNorm buffer.
Forward rows are checked in execution order, gradients in backward order (closest to the loss first); the
first row past tolerance would be marked "<-- first divergence". The same, from the command line:
``minitorch-cnn parity resnet18 --batch 2``.

Run: python examples/parity_resnet18.py   (exit status 0 when every row is within 1e-9)
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

import minitorch_cnn as mt
from reference import get_twin
from reference.parity import parity_report


def main() -> int:
    torch.manual_seed(0)
    ours, twin = mt.models.get_model("resnet18"), get_twin("resnet18")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 3, 32, 32)), rng.integers(0, 10, 2)
    start = time.perf_counter()
    report = parity_report(ours, twin, x, y, dtype="float64")
    report.show()
    worst = max(e for r in report.rows for e in r.errors.values() if e is not None)
    print(f"worst relative error over {len(report.rows)} rows: {worst:.2e} ({time.perf_counter() - start:.1f} s)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
