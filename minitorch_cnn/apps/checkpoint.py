"""Checkpoints: ``.npz`` files of a state_dict with torch's keys, plus optimizer, scheduler and RNG state; and
best weights as a torch ``.pt`` state_dict (``--save-format pt``).

Layout inside the file: ``model/<torch key>`` arrays, ``optim/state/<param index>/<name>`` arrays and one JSON
string ``meta`` holding everything else (param_groups, scheduler state, RNG state, epoch, history). Files are
written to a temporary file in the same folder and renamed over the target, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend
from ..serialization import load, save

MODEL = "model/"
OPTIM = "optim/state/"


def _np(x: Any) -> np.ndarray:
    """A NumPy array from our Tensor, a torch tensor, a CuPy or NumPy array."""
    if hasattr(x, "grad_fn") and hasattr(x, "_data"):
        x = x._data
    if type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy()
    return backend.move_to(x, "cpu") if not isinstance(x, np.ndarray) else x


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray) or hasattr(obj, "grad_fn"):
        return _np(obj).tolist()
    return obj


def _atomic_write(path: Path, write: Any) -> None:
    """``write(f)`` into a temporary file beside ``path``, fsync, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_state_pt(path: str | Path, model_state: dict) -> None:
    """Write a model state_dict atomically in torch's format: ``torch.load(path)`` gives it back as it is."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, lambda f: save(model_state, f))


def save_checkpoint(
    path: str | Path, model_state: dict, optimizer_state: dict | None = None, meta: dict | None = None
) -> None:
    """Write a checkpoint atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {MODEL + k: _np(v) for k, v in model_state.items()}
    info = dict(meta or {})
    if optimizer_state is not None:
        scalars = []
        for idx, st in optimizer_state["state"].items():
            for name, value in st.items():
                key = f"{OPTIM}{idx}/{name}"
                if isinstance(value, (int, float, np.number)):
                    scalars.append(key)  # restored as a Python number, not a 0-d array
                arrays[key] = np.asarray(value) if key in scalars else _np(value)
        info["param_groups"] = _jsonable(optimizer_state["param_groups"])
        info["optim_scalars"] = scalars
    arrays["meta"] = np.asarray(json.dumps(_jsonable(info)))
    _atomic_write(path, lambda f: np.savez(f, **arrays))


def load_checkpoint(path: str | Path) -> tuple[dict, dict | None, dict]:
    """Read a checkpoint: (model state_dict of NumPy arrays, optimizer state_dict or None, meta)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            files = {k: z[k] for k in z.files}
    except Exception as exc:  # noqa: BLE001 - any decoding failure means a damaged file
        raise ValueError(f"checkpoint {path} could not be read: {exc}") from exc
    meta = json.loads(str(files.pop("meta"))) if "meta" in files else {}
    model = {k[len(MODEL):]: v for k, v in files.items() if k.startswith(MODEL)}
    optim = None
    if "param_groups" in meta:
        state: dict[int, dict] = {}
        scalars = set(meta.pop("optim_scalars", []))
        for k, v in files.items():
            if k.startswith(OPTIM):
                idx, name = k[len(OPTIM):].split("/", 1)
                state.setdefault(int(idx), {})[name] = v.item() if k in scalars else v
        optim = {"state": state, "param_groups": meta.pop("param_groups")}
    return model, optim, meta


def load_state_file(path: str | Path) -> dict:
    """A model state_dict (NumPy arrays) from our ``.npz`` or from a ``.pt``/``.pth`` state_dict (torch's or
    ``--save-format pt``'s), read with ``mt.load``: no torch needed."""
    path = Path(path)
    if path.suffix in (".pt", ".pth"):
        obj = load(path, map_location="cpu", weights_only=True)
        if isinstance(obj, dict) and "state_dict" in obj:
            obj = obj["state_dict"]
        if not isinstance(obj, dict):
            raise ValueError(f"{path} does not hold a state_dict (a dict of tensors), got {type(obj).__name__}")
        return {k: _np(v) for k, v in obj.items()}
    return load_checkpoint(path)[0]
