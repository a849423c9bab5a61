"""Where a parity run is well-posed: both sides take the same ReLU and max-pool decisions.

ReLU's derivative jumps at 0 and max-pool's gradient goes to one argmax, so where an activation lies within
rounding of a kink (|v| ~ 1e-7·scale in float32) or a window's two largest values are that close, the two
frameworks may legitimately decide differently, and one flipped element sends a different gradient down through
every layer below it (BatchNorm spreads it over the whole channel). A model with a million activations meets such
a point in about every other batch in float32. Gradient parity is a statement about the arithmetic, so it is
checked on batches where every decision agrees; ``trace_decisions`` records them on both sides to tell.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from minitorch_cnn.ops.elementwise import Relu
from minitorch_cnn.ops.pooling import MaxPool2d

_aten = torch.ops.aten


def _cpu(a: Any) -> np.ndarray:
    return np.asarray(a.get() if hasattr(a, "get") else a)


@contextmanager
def _record_ours(log: list[tuple[str, np.ndarray]]) -> Iterator[None]:
    """Log ours' ReLU masks (input > 0) and max-pool argmaxes, in execution order."""
    relu_apply, pool_apply = Relu.__dict__.get("apply"), MaxPool2d.__dict__.get("apply")
    run_relu, run_pool = Relu.apply, MaxPool2d.apply  # the bound originals

    def relu(cls: type, a: Any, *args: Any, **kwargs: Any) -> Any:
        log.append(("relu", _cpu(a._data) > 0))
        return run_relu(a, *args, **kwargs)

    def pool(cls: type, x: Any, y: Any, indices: Any, *args: Any, **kwargs: Any) -> Any:
        log.append(("max_pool2d", _cpu(indices)))
        return run_pool(x, y, indices, *args, **kwargs)

    Relu.apply, MaxPool2d.apply = classmethod(relu), classmethod(pool)
    try:
        yield
    finally:
        for cls, orig in ((Relu, relu_apply), (MaxPool2d, pool_apply)):
            if orig is None:
                del cls.apply
            else:
                cls.apply = orig


class _RecordTorch(TorchDispatchMode):
    """Log torch's ReLU masks and max-pool argmaxes (flat into H·W, as ours), in execution order."""

    def __init__(self, log: list[tuple[str, np.ndarray]]) -> None:
        super().__init__()
        self.log = log

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if func is _aten.relu.default:
            self.log.append(("relu", (args[0] > 0).cpu().numpy()))
        elif func is _aten.max_pool2d_with_indices.default:
            self.log.append(("max_pool2d", out[1].cpu().numpy()))
        elif func is _aten.max_pool2d.default:
            raise RuntimeError("max_pool2d ran without indices (input not requiring grad?): cannot trace its argmax")
        return out


@contextmanager
def trace_decisions(ours_log: list, torch_log: list) -> Iterator[None]:
    """Within the block, record every ReLU mask and max-pool argmax of ours and of torch."""
    with _record_ours(ours_log), _RecordTorch(torch_log):
        yield


def count_flips(ours_log: list[tuple[str, np.ndarray]], torch_log: list[tuple[str, np.ndarray]]) -> int:
    """How many ReLU / max-pool decisions differ between the two traces (which must have the same ops)."""
    kinds_o, kinds_t = [k for k, _ in ours_log], [k for k, _ in torch_log]
    if kinds_o != kinds_t or any(a.shape != b.shape for (_, a), (_, b) in zip(ours_log, torch_log)):
        raise ValueError(f"the two forward passes differ in their ReLU/max-pool ops: ours {kinds_o}, torch {kinds_t}")
    return int(sum(np.count_nonzero(a != b) for (_, a), (_, b) in zip(ours_log, torch_log)))
