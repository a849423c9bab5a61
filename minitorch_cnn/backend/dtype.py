"""dtype policy, as torch's: float32 by default, float64 kept, torch's type promotion."""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_SUPPORTED = {float16, float32, float64, int32, int64, uint8, bool_, np.dtype(np.int8), np.dtype(np.int16)}
_default = float32


def get_default_dtype() -> np.dtype:
    """The dtype of new floating tensors (float32 unless changed)."""
    return _default


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of new floating tensors; only float32 and float64 are allowed, as in torch."""
    global _default
    dt = np.dtype(dtype)
    if dt not in (float32, float64):
        raise TypeError(f"set_default_dtype only supports float32 and float64, got {dt}")
    _default = dt


def to_dtype(dtype: Any) -> np.dtype:
    """A NumPy dtype from a dtype-like (np.float32, 'float64', ...), with a clear error if unsupported."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"unsupported dtype {dtype!r}") from exc
    if dt not in _SUPPORTED:
        raise TypeError(f"unsupported dtype {dt}: expected one of float16/32/64, int8/16/32/64, uint8, bool")
    return dt


def _rank(dt: np.dtype) -> int:
    return 0 if dt.kind == "b" else 1 if dt.kind in "iu" else 2


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch's promotion for two tensors: the higher category wins (bool < int < float), then the wider."""
    if a == b:
        return a
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return a if ra > rb else b
    return np.promote_types(a, b)


class DType:
    """A dtype as torch shows it: ``mt.float32`` prints as ``mt.float32`` (torch's ``torch.float32``), and is
    still NumPy's dtype everywhere one is taken (``np.dtype(mt.float32)``, ``arr.astype(t.dtype)``, ``==`` against
    ``np.float32`` or ``"float32"``): NumPy reads it through its ``.dtype`` attribute; other attributes
    (``kind``, ``itemsize``, ``type``) are NumPy's."""

    __slots__ = ("dtype", "_name")

    def __init__(self, np_dtype: np.dtype, name: str) -> None:
        self.dtype = np_dtype
        self._name = name

    def __repr__(self) -> str:
        return f"mt.{self._name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self.dtype == other.dtype
        try:
            return bool(self.dtype == np.dtype(other))
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "dtype":  # pickle/copy probe dunders before the slots are set
            raise AttributeError(name)
        return getattr(self.dtype, name)

    def __reduce__(self) -> tuple:
        return public_dtype, (self.dtype,)  # unpickles (and copies) to the one object for that dtype

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "if"

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize


_TORCH_NAMES = {float16: "float16", float32: "float32", float64: "float64", int32: "int32", int64: "int64",
                uint8: "uint8", bool_: "bool", np.dtype(np.int8): "int8", np.dtype(np.int16): "int16"}
_PUBLIC = {dt: DType(dt, name) for dt, name in _TORCH_NAMES.items()}


def public_dtype(dt: np.dtype) -> DType:
    """The ``mt.<name>`` object for a NumPy dtype (what ``Tensor.dtype`` returns)."""
    return _PUBLIC[np.dtype(dt)]
