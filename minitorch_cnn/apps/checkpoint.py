"""Checkpoints: ``.npz`` files of a state_dict with torch's keys, plus optimizer, scheduler and RNG state; and
best weights as a torch ``.pt`` state_dict (``--save-format pt``).

Layout inside the file: ``model/<torch key>`` arrays, ``optim/state/<param index>/<name>`` arrays and one JSON
string ``meta`` holding everything else (param_groups, scheduler state, RNG state, epoch, history). Files are
written to a temporary file in the same folder and renamed over the target, so a crash never leaves half a file;
the temporary files a killed writer left (``<name>.<pid>.<random>.tmp``) are removed at the next write or resume.
Files get mode 0666 less the umask (0644 usually), as ``open`` gives ``history.json``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend
from ..serialization import load, save

MODEL = "model/"
_TEMP_NAME = re.compile(r"^.+\.(?:npz|pt|pth)\.(?:(\d+)\.)?[A-Za-z0-9_]+\.tmp$")  # <name>.[<pid>.]<random>.tmp
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
    """``write(f)`` into a temporary file beside ``path`` (``<name>.<pid>.<random>.tmp``, mode 0666 less the
    umask), fsync, then rename it over ``path``; then remove what killed writers left (``clean_stale_temps``)."""
    tmp = str(path.parent / f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)  # umask applies
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
    clean_stale_temps(path.parent)


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def clean_stale_temps(folder: str | Path) -> list[Path]:
    """Remove the ``*.tmp`` files of checkpoint writes whose process is gone (killed mid-write); returns them.

    A name without our pid field (older versions wrote ``<name>.<random>.tmp``) counts as stale.
    """
    removed = []
    for tmp in Path(folder).glob("*.tmp"):
        named = _TEMP_NAME.match(tmp.name)
        if named is None:
            continue  # not a checkpoint's
        pid = int(named[1]) if named[1] else None
        if pid is not None and (pid == os.getpid() or _alive(pid)):
            continue
        try:
            tmp.unlink()
        except FileNotFoundError:
            continue  # another cleaner was first
        removed.append(tmp)
    return removed


def _is_torch_file(path: Path) -> bool:
    """torch.save's format: a zip archive with ``<name>/data.pkl`` inside (ours is a zip of ``.npy`` files)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(name.endswith("/data.pkl") for name in z.namelist())


def load_checkpoint(path: str | Path) -> tuple[dict, dict | None, dict]:
    """Read a checkpoint: (model state_dict of NumPy arrays, optimizer state_dict or None, meta)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    if _is_torch_file(path):
        raise ValueError(f"checkpoint {path} is a torch.save file, not one of our .npz checkpoints: its weights load "
                         "with `evaluate --weights` (a torch state_dict), but it holds no optimizer state to resume")
    try:
        with np.load(path, allow_pickle=False) as z:
            files = {k: z[k] for k in z.files}
    except Exception as exc:  # noqa: BLE001 - any decoding failure means a damaged file
        raise ValueError(f"checkpoint {path} could not be read: {exc}") from exc
    meta = json.loads(str(files.pop("meta"))) if "meta" in files else {}
    model = {k[len(MODEL):]: v for k, v in files.items() if k.startswith(MODEL)}
    if not model:
        raise ValueError(f"checkpoint {path} holds no model weights (no '{MODEL}*' arrays): not one of our checkpoints")
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
    if path.suffix in (".pt", ".pth") or _is_torch_file(path):  # by content too: a .pt renamed .bin is still one
        obj = load(path, map_location="cpu", weights_only=True)
        if isinstance(obj, dict) and "state_dict" in obj:
            obj = obj["state_dict"]
        if not isinstance(obj, dict):
            raise ValueError(f"{path} does not hold a state_dict (a dict of tensors), got {type(obj).__name__}")
        return {k: _np(v) for k, v in obj.items()}
    return load_checkpoint(path)[0]
