"""``mt.backends.cuda``: the cuBLAS switches fast training scripts set, as ``torch.backends.cuda.matmul``.

``matmul.allow_tf32`` is another spelling of the float32 matmul precision, as torch's: reading it says whether the
precision is below "highest", setting True asks for "high" and False for "highest"
(``mt.set_float32_matmul_precision``, which records the request: results here stay full float32). The fp16/bf16
reduced-precision-reduction flags are recorded only (no half-precision matmuls run here). Any other attribute is
torch's ``AttributeError: Unknown attribute``.
"""

from __future__ import annotations

from typing import Any

from .. import global_flags

_REDUCTION = {"allow_fp16_reduced_precision_reduction": [True, True],
              "allow_bf16_reduced_precision_reduction": [True, True]}


def _parse_reduction(value: Any, name: str) -> list[bool]:
    """A bool, or a list/tuple of one or two bools (allow_reduced_precision, allow_splitk), as torch's."""
    def ensure_bool(obj: Any, which: str) -> bool:
        if isinstance(obj, bool):
            return obj
        raise TypeError(f"{name} expects a bool for {which}, but got {type(obj)!r}")

    if isinstance(value, bool):
        return [value, True]
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"{name} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{name} expects at most two boolean arguments")
        first = ensure_bool(value[0], "allow_reduced_precision")
        splitk = True if len(value) == 1 else ensure_bool(value[1], "allow_splitk")
        if first and not splitk:
            raise RuntimeError("allow_splitk=False is not supported when reduced precision reductions are enabled")
        return [first, splitk]
    raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got {type(value)!r}")


class CuBLASModule:
    """``torch.backends.cuda.matmul``: attribute reads and writes of the cuBLAS flags."""

    def __getattr__(self, name: str) -> bool:
        if name == "allow_tf32":
            return global_flags.get_float32_matmul_precision() != "highest"
        if name in _REDUCTION:
            return _REDUCTION[name][0]
        if name.endswith("_split_k") and name[:-len("_split_k")] in _REDUCTION:
            return _REDUCTION[name[:-len("_split_k")]][1]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "allow_tf32":
            if not isinstance(value, bool):
                raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got {type(value).__name__}")
            global_flags.set_float32_matmul_precision("high" if value else "highest")
        elif name in _REDUCTION:
            _REDUCTION[name][:] = _parse_reduction(value, name)
        else:
            raise AttributeError(f"Unknown attribute {name}")


matmul = CuBLASModule()
