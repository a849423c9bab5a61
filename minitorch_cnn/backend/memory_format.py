"""Memory formats: how an (N, C, H, W) tensor's elements lie in memory, as torch's ``memory_format``.

``contiguous_format`` is row-major NCHW; ``channels_last`` keeps the shape (N, C, H, W) but stores the elements in
NHWC order (strides ``(H·W·C, 1, W·C, C)``), which NumPy expresses as a transposed view of an NHWC array. Values
never depend on the format. Here the format is set by ``.contiguous(memory_format=)`` and ``.to(memory_format=)``
(tensors and modules) and read by ``.is_contiguous(memory_format=)`` and ``.stride()``; the ops compute from
any layout and return row-major results (torch's convolutions and elementwise ops keep channels_last instead), so
the layout of op outputs is the one difference a stride check can see.
"""

from __future__ import annotations

from typing import Any


class MemoryFormat:
    """One of ``mt.contiguous_format``, ``mt.channels_last``, ``mt.preserve_format``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"mt.{self.name}"


contiguous_format = MemoryFormat("contiguous_format")
channels_last = MemoryFormat("channels_last")
preserve_format = MemoryFormat("preserve_format")


def _check(memory_format: Any) -> MemoryFormat:
    if not isinstance(memory_format, MemoryFormat):
        raise TypeError(f"memory_format must be an mt.memory_format (mt.contiguous_format, mt.channels_last, "
                        f"mt.preserve_format), got {type(memory_format).__name__}")
    return memory_format


def is_laid_out(arr: Any, memory_format: Any) -> bool:
    """Whether ``arr`` is contiguous in ``memory_format`` (channels_last: NHWC order; only 4-d arrays can be)."""
    fmt = _check(memory_format)
    if fmt is channels_last:
        return arr.ndim == 4 and bool(arr.transpose(0, 2, 3, 1).flags.c_contiguous)
    if fmt is preserve_format:
        raise RuntimeError("is_contiguous: preserve_format is not a layout to check against")
    return bool(arr.flags.c_contiguous)


def lay_out(arr: Any, memory_format: Any, xp: Any) -> Any:
    """``arr`` with its elements in ``memory_format``'s order (the same array when they already are)."""
    fmt = _check(memory_format)
    if fmt is preserve_format or is_laid_out(arr, fmt):
        return arr
    if fmt is channels_last:
        if arr.ndim != 4:
            raise RuntimeError("required rank 4 tensor to use channels_last format")
        return xp.ascontiguousarray(arr.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return xp.ascontiguousarray(arr)
