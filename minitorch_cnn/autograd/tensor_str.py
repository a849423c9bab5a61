"""``repr(tensor)`` laid out as torch prints it, so a tutorial's printed output reads the same.

torch's rules: one format for all elements, chosen from the finite non-zero magnitudes: integral values print
as ``1.``; otherwise 4 decimals (``0.1006``), or scientific (``1.0000e-05``) when the magnitudes span more than
1000x, exceed 1e8 or go below 1e-4. Every element is right-aligned to the widest; 80 columns per line; above
1000 elements only the first and last 3 of each dimension print, around ``...``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

LINEWIDTH = 80
THRESHOLD = 1000
EDGEITEMS = 3
PRECISION = 4


def _summary_values(arr: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements that will print (edges only when summarizing), flattened."""
    if not summarize or arr.ndim == 0:
        return arr.reshape(-1)
    parts = []
    if arr.shape[0] > 2 * EDGEITEMS:
        rows = list(arr[:EDGEITEMS]) + list(arr[-EDGEITEMS:])
    else:
        rows = list(arr)
    for r in rows:
        parts.append(_summary_values(np.asarray(r), summarize))
    return np.concatenate(parts) if parts else arr.reshape(-1)


class _Formatter:
    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode = True, False
        self.width = 1
        if not self.floating:
            self.width = max((len(str(v)) for v in values.tolist()), default=1)
            return
        vals = values.astype(np.float64)
        finite = vals[np.isfinite(vals)]
        nonzero = finite[finite != 0]  # torch sizes the columns from these alone: nan, inf and 0 are padded to them
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if nonzero.size:
            lo, hi = float(np.abs(nonzero).min()), float(np.abs(nonzero).max())
            if self.int_mode:
                self.sci_mode = hi / lo > 1000.0 or hi > 1e8
            else:
                self.sci_mode = hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4
        self.width = max((len(self._plain(v)) for v in nonzero.tolist()), default=1)

    def _plain(self, v: float) -> str:
        if self.sci_mode:
            return f"{v:.{PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{PRECISION}f}"

    def format(self, v: Any) -> str:
        if not self.floating:
            s = str(v)
        elif math.isinf(v) or math.isnan(v):
            s = str(v)
        else:
            s = self._plain(v)
        return " " * (self.width - len(s)) + s


def _vector(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
    items = arr.tolist()
    if summarize and len(items) > 2 * EDGEITEMS:
        strs = [fmt.format(v) for v in items[:EDGEITEMS]] + [" ..."] + [fmt.format(v) for v in items[-EDGEITEMS:]]
    else:
        strs = [fmt.format(v) for v in items]
    lines = [", ".join(strs[i:i + per_line]) for i in range(0, len(strs), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        slices = ([_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)] + ["..."]
                  + [_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)])
    else:
        slices = [_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def tensor_repr(arr: np.ndarray, suffixes: list[str]) -> str:
    """``tensor(<elements>, <suffixes>)`` for the host array ``arr``."""
    prefix = "tensor("
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes = [f"size={tuple(arr.shape)}"] + suffixes
    else:
        summarize = arr.size > THRESHOLD
        fmt = _Formatter(_summary_values(arr, summarize))
        body = _tensor_str(arr, len(prefix), summarize, fmt)
    # a suffix that would run past the line width goes on a line of its own, indented under the first element
    out = prefix + body
    last_line = len(out) - out.rfind("\n") + 1  # torch's count, +1 when there is no newline as when there is
    for s in suffixes:
        if last_line + len(s) + 2 > LINEWIDTH:
            out += ",\n" + " " * len(prefix) + s
            last_line = len(prefix) + len(s)
        else:
            out += ", " + s
            last_line += len(s) + 2
    return out + ")"
