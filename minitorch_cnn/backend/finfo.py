"""``finfo`` / ``iinfo``: the limits of a dtype under torch's names (``torch.finfo(x.dtype).min`` is the usual
"minus infinity that stays finite" of attention masks)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtype import get_default_dtype, public_dtype, to_dtype


class finfo:  # noqa: N801 - torch's name
    """bits, eps, max, min, tiny (= smallest_normal), resolution and dtype of a floating dtype
    (the default dtype when none is given)."""

    def __init__(self, type: Any = None) -> None:  # noqa: A002 - torch's name
        dt = get_default_dtype() if type is None else to_dtype(type)
        if dt.kind != "f":
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{public_dtype(dt)}'")
        info = np.finfo(dt)
        self.bits, self.eps, self.max, self.min = info.bits, float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -info.precision
        self.dtype = str(public_dtype(dt)).replace("mt.", "")

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 - torch's name
    """bits, max, min and dtype of an integer dtype."""

    def __init__(self, type: Any) -> None:  # noqa: A002 - torch's name
        dt = to_dtype(type)
        if dt.kind == "b":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dt.kind not in "iu":
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            f"'{public_dtype(dt)}'")
        info = np.iinfo(dt)
        self.bits, self.max, self.min = info.bits, int(info.max), int(info.min)
        self.dtype = str(public_dtype(dt)).replace("mt.", "")

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
