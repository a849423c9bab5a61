"""``repr(tensor)`` laid out as torch prints it, so a tutorial's printed output reads the same.

torch's rules: one format for all elements, chosen from the finite non-zero magnitudes: integral values print
as ``1.``; otherwise 4 decimals (``0.1006``), or scientific (``1.0000e-05``) when the magnitudes span more than
1000x, exceed 1e8 or go below 1e-4. Every element is right-aligned to the widest; 80 columns per line; above
1000 elements only the first and last 3 of each dimension print, around ``...``. ``set_printoptions`` changes
those numbers (precision, threshold, edgeitems, linewidth, a profile, or forcing sci_mode) as torch's does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
PRINT_OPTS: dict[str, Any] = {**_PROFILES["default"], "sci_mode": None}


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """torch's print options: a ``profile`` ("default", "short", "full") first, then each option given; sci_mode
    True/False forces scientific or fixed notation, None lets each tensor choose (always reset to None)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"Unknown profile {profile!r}: expected one of {sorted(_PROFILES)}")
        PRINT_OPTS.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTS[name] = value
    PRINT_OPTS["sci_mode"] = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as torch's ``get_printoptions``."""
    return dict(PRINT_OPTS)


def _summary_values(arr: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements that will print (edges only when summarizing), flattened."""
    if not summarize or arr.ndim == 0:
        return arr.reshape(-1)
    parts = []
    edge = PRINT_OPTS["edgeitems"]
    if arr.shape[0] > 2 * edge:
        rows = list(arr[:edge]) + list(arr[-edge:])
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
        if PRINT_OPTS["sci_mode"] is not None:
            self.sci_mode = PRINT_OPTS["sci_mode"]
        self.width = max((len(self._plain(v)) for v in nonzero.tolist()), default=1)

    def _plain(self, v: float) -> str:
        precision = PRINT_OPTS["precision"]
        if self.sci_mode:
            return f"{v:.{precision}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{precision}f}"

    def format(self, v: Any) -> str:
        if not self.floating:
            s = str(v)
        elif math.isinf(v) or math.isnan(v):
            s = str(v)
        else:
            s = self._plain(v)
        return " " * (self.width - len(s)) + s


def _vector(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, (PRINT_OPTS["linewidth"] - indent) // (fmt.width + 2))
    items = arr.tolist()
    edge = PRINT_OPTS["edgeitems"]
    if summarize and len(items) > 2 * edge:
        strs = [fmt.format(v) for v in items[:edge]] + [" ..."] + [fmt.format(v) for v in items[-edge:]]
    else:
        strs = [fmt.format(v) for v in items]
    lines = [", ".join(strs[i:i + per_line]) for i in range(0, len(strs), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    n, edge = arr.shape[0], PRINT_OPTS["edgeitems"]
    if summarize and n > 2 * edge:
        slices = ([_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(edge)] + ["..."]
                  + [_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(n - edge, n)])
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
        summarize = arr.size > PRINT_OPTS["threshold"]
        fmt = _Formatter(_summary_values(arr, summarize))
        body = _tensor_str(arr, len(prefix), summarize, fmt)
    # a suffix that would run past the line width goes on a line of its own, indented under the first element
    out = prefix + body
    last_line = len(out) - out.rfind("\n") + 1  # torch's count, +1 when there is no newline as when there is
    for s in suffixes:
        if last_line + len(s) + 2 > PRINT_OPTS["linewidth"]:
            out += ",\n" + " " * len(prefix) + s
            last_line = len(prefix) + len(s)
        else:
            out += ", " + s
            last_line += len(s) + 2
    return out + ")"
