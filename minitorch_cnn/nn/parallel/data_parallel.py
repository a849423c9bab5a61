"""``DataParallel``: torch's wrapper, for the one device minitorch_cnn runs on.

Its point for ported scripts is the layout: the wrapped module sits at ``.module``, so the state_dict keys start
with ``module.`` and checkpoints move to and from a torch ``DataParallel`` by name. As torch's without CUDA, it
forwards straight to the module and ignores ``device_ids``; with one GPU it moves the inputs there first (torch's
single-device scatter). Replicating over several GPUs is not offered.
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ...autograd import Tensor
from ..module import Module


def _index(device: Any) -> int:
    """A GPU index from an int, 'cuda:i' or a device object."""
    if isinstance(device, int):
        return device
    return int(backend.Device(device).index or 0)


class DataParallel(Module):
    """``DataParallel(module, device_ids=None, output_device=None, dim=0)``; ``forward`` calls ``module``."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module to wrap, got {type(module).__name__}")
        self.module = module
        self.dim = dim
        if not backend.cuda_available():  # torch on a CPU-only machine: no devices, a plain pass-through
            self.device_ids, self.output_device = [], None
            return
        count = int(backend.require_cuda().cuda.runtime.getDeviceCount())
        ids = list(range(count)) if device_ids is None else [_index(d) for d in device_ids]
        if len(ids) > 1:
            raise NotImplementedError(f"DataParallel: replicas on {len(ids)} GPUs ({ids}) are not offered: "
                                      "minitorch_cnn runs on one device; pass device_ids=[0]")
        self.device_ids = ids
        self.output_device = ids[0] if output_device is None else _index(output_device)

    def _move(self, value: Any) -> Any:
        if isinstance(value, Tensor):
            return value.to(f"cuda:{self.device_ids[0]}")
        if isinstance(value, (list, tuple)):
            return type(value)(self._move(v) for v in value)
        if isinstance(value, dict):
            return {k: self._move(v) for k, v in value.items()}
        return value

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        where = f"cuda:{self.device_ids[0]}"
        for t in (*self.module.parameters(), *self.module.buffers()):
            if t.device.type != "cuda" or (t.device.index or 0) != self.device_ids[0]:
                raise RuntimeError(f"module must have its parameters and buffers on device {where} "
                                   f"(device_ids[0]) but found one of them on device: {t.device}")
        return self.module(*self._move(inputs), **self._move(kwargs))


def data_parallel(module: Module, inputs: Any, device_ids: Any = None, output_device: Any = None, dim: int = 0,
                  module_kwargs: Any = None) -> Any:
    """``torch.nn.parallel.data_parallel``, the functional form: ``module(*inputs, **module_kwargs)`` on the one
    GPU (inputs moved there, as ``DataParallel``). Without a GPU it raises as torch's does on a CPU-only machine
    (the scripts call it only when ``input.is_cuda``)."""
    if not backend.cuda_available():
        raise RuntimeError("device type could not be determined")
    wrapper = DataParallel(module, device_ids, output_device, dim)
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return wrapper(*inputs, **(module_kwargs or {}))
