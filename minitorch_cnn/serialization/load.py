"""``mt.load``: reads torch's files (torch.save since 1.6, and ours) without importing torch.

Our own Unpickler reads ``<root>/data.pkl``: ``find_class`` resolves torch's names to ours (the rebuild functions,
storage classes, dtypes, ``torch.device``, ``torch.Size``) and, under ``weights_only=True`` (torch's default),
refuses every other global, so a file cannot run code on load; ``persistent_load`` reads each storage record once
so tensors that shared a storage in the file share an array here.
"""

from __future__ import annotations

import codecs
import io
import os
import pickle
import struct
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..nn.parameter import Parameter
from .names import DTYPES, STORAGE_DTYPES
from .records import RecordReader

MapLocation = str | backend.Device | dict | Callable | None


class _WeightsOnlyError(pickle.UnpicklingError):
    """A global outside the allow-list under weights_only=True (re-raised as it is, not as 'damaged')."""


class _StorageType:
    """What ``torch.FloatStorage`` & co. resolve to: the dtype of the storage's elements."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: np.dtype) -> None:
        self.name, self.dtype = name, dtype


def _as_strided(storage: Any, offset: int, size: tuple, stride: tuple) -> Any:
    """The view ``storage[offset + sum(i_k * stride_k)]`` of shape ``size``, after checking it stays inside."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or offset < 0 or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"damaged torch checkpoint: a tensor with size {size}, stride {stride}, offset {offset}")
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
        if last >= storage.size:
            raise RuntimeError(
                f"damaged torch checkpoint: a tensor of size {size}, stride {stride} at offset {offset} reaches "
                f"element {last} of a storage of {storage.size}"
            )
    xp = backend.array_module(storage)
    item = storage.dtype.itemsize
    return xp.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=tuple(s * item for s in stride))


def _rebuild_tensor_v2(storage: Any, storage_offset: int, size: tuple, stride: tuple, requires_grad: bool,
                       backward_hooks: Any, metadata: Any = None) -> Tensor:
    t = Tensor._wrap(_as_strided(storage, storage_offset, size, stride))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage: Any, storage_offset: int, size: tuple, stride: tuple) -> Tensor:
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, False, None)


def _rebuild_parameter(data: Tensor, requires_grad: bool, backward_hooks: Any) -> Parameter:
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_parameter_with_state(data: Tensor, requires_grad: bool, backward_hooks: Any, state: Any) -> Parameter:
    if state:
        raise RuntimeError(f"mt.load: a Parameter with extra Python attributes {list(state)} cannot be rebuilt here")
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_from_type_v2(func: Callable, new_type: type, args: tuple, state: Any) -> Tensor:
    t = func(*args)
    if new_type is Parameter and not isinstance(t, Parameter):
        t = Parameter(t, requires_grad=t.requires_grad)
    if state:
        raise RuntimeError(f"mt.load: a tensor with extra Python attributes {list(state)} cannot be rebuilt here")
    return t


def _torch_size(dims: tuple = ()) -> tuple:
    return tuple(dims)


def _allowed() -> dict[str, Any]:
    """torch's weights_only allow-list, each name resolved to our equivalent."""
    table: dict[str, Any] = {
        "collections.OrderedDict": OrderedDict,
        "collections.Counter": Counter,
        "_codecs.encode": codecs.encode,  # how protocol 2 writes bytes
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch.Size": _torch_size,
        "torch.device": backend.Device,
        "torch.Tensor": Tensor,
        "torch.nn.parameter.Parameter": Parameter,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
    }
    table.update({f"torch.{name}": _StorageType(name, dt) for name, dt in STORAGE_DTYPES.items()})
    table.update({f"torch.{name}": backend.public_dtype(dt) for name, dt in DTYPES.items()})  # as mt.float32
    return table


_ALLOWED = _allowed()
_TORCH_ONLY_DTYPES = {"bfloat16", "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf", "uint16",
                      "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "qint8", "quint8", "qint32"}


def _target_device(map_location: MapLocation, location: str) -> backend.Device:
    """Where a storage saved at ``location`` goes, under torch's map_location rules (str, device or dict)."""
    if isinstance(map_location, dict):
        map_location = map_location.get(location, location)
    target = backend.Device(map_location if map_location is not None else location)
    if target.type == "cuda" and not backend.cuda_available():
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but CUDA is not available here. If you are running "
            "on a CPU-only machine, please use mt.load with map_location='cpu' to map your storages to the CPU."
        )
    return target


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], records: RecordReader, map_location: MapLocation, weights_only: bool) -> None:
        super().__init__(file)
        self._records, self._map_location, self._weights_only = records, map_location, weights_only
        self._storages: dict[str, Any] = {}
        self._swap = records.has("byteorder") and records.read("byteorder").strip() == b"big"

    def find_class(self, module: str, name: str) -> Any:
        full = f"{module}.{name}"
        if full in _ALLOWED:
            return _ALLOWED[full]
        if module == "torch" and (name in _TORCH_ONLY_DTYPES or name.endswith("Storage")):
            raise RuntimeError(
                f"mt.load: this file holds torch.{name} data, a dtype minitorch_cnn does not have (it has "
                "float16/32/64, int8/16/32/64, uint8, bool): convert those tensors in torch (e.g. .float()) first"
            )
        if self._weights_only:
            raise _WeightsOnlyError(
                f"Weights only load failed: unsupported global {full}. mt.load(weights_only=True) reads only "
                "tensors, Python containers and numbers, dtypes, devices and OrderedDicts (torch's allow-list). "
                "If you trust where this file came from, load it with weights_only=False."
            )
        if module == "torch" or module.startswith("torch."):
            raise RuntimeError(
                f"mt.load: this file holds torch's own object {full}, which has no counterpart here; in torch, "
                "load it and torch.save its state_dict(), then load that into our module"
            )
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise RuntimeError(f"damaged torch checkpoint: unknown persistent id {pid!r} in data.pkl")
        _, storage_type, key, location, numel = pid
        if key in self._storages:
            return self._storages[key]
        if not isinstance(storage_type, _StorageType):
            raise RuntimeError(f"damaged torch checkpoint: storage {key} has the type {storage_type!r}")
        dtype = storage_type.dtype
        raw = self._records.read(f"data/{key}")
        if len(raw) != numel * dtype.itemsize:
            raise RuntimeError(
                f"damaged torch checkpoint: storage data/{key} holds {len(raw)} bytes, the pickle expects "
                f"{numel} elements of {dtype} ({numel * dtype.itemsize} bytes)"
            )
        arr = np.frombuffer(raw, dtype=dtype).copy()  # a writable array of its own
        if self._swap:
            arr = arr.byteswap()
        if callable(self._map_location):
            mapped = self._map_location(arr, location)
            arr = arr if mapped is None else mapped
        else:
            arr = backend.move_to(arr, _target_device(self._map_location, location))
        self._storages[key] = arr
        return arr


def _describe_foreign(head: bytes) -> str:
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy file (read it with np.load)"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff"):
        return "an image"
    return f"its first bytes are {head[:8]!r}"


def _open_records(fh: IO[bytes], name: str) -> RecordReader:
    """The zip reader for the seekable binary file ``fh``, or a clear error saying what the file is instead."""
    start = fh.tell()
    head = fh.read(512)
    fh.seek(start)
    if len(head) == 0:
        raise RuntimeError(f"mt.load: {name} is empty (0 bytes): not a checkpoint (was the save interrupted?)")
    if head[:2] == b"\x80\x02" or head[257:262] == b"ustar":
        raise RuntimeError(
            f"mt.load: {name} is in torch's legacy format (torch.save before 1.6, or _use_new_zipfile_serialization="
            "False), which is not supported: in torch, torch.load it and torch.save it again to get the zip format"
        )
    if not head.startswith(b"PK"):
        raise RuntimeError(f"mt.load: {name} is not a torch checkpoint: {_describe_foreign(head)}")
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise RuntimeError(
            f"mt.load: {name} is a damaged or truncated zip file ({exc}): not a readable checkpoint"
        ) from exc
    names = zf.namelist()
    if names and all(n.endswith(".npy") for n in names):
        raise RuntimeError(f"mt.load: {name} is a NumPy .npz archive, not a torch checkpoint (read it with np.load)")
    return RecordReader(zf)


def load(
    f: str | os.PathLike | IO[bytes], map_location: MapLocation = None, *, weights_only: bool | None = None
) -> Any:
    """Load an object saved by ``torch.save`` or ``mt.save`` from a path or binary file object, as ``torch.load``.

    Tensors come back as ours (Parameters as Parameters), on the device they were saved from unless
    ``map_location`` says otherwise: ``"cpu"``, ``"cuda"``, a device, a dict ``{saved: target}``, or a callable
    ``(numpy_storage, location) -> array``. ``weights_only`` (default True, as in torch) reads only tensors,
    containers, numbers, dtypes and devices; ``False`` unpickles anything (e.g. a whole module ``mt.save``
    wrote), so use it only for files you trust.
    """
    weights_only = True if weights_only is None else bool(weights_only)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load(fh, repr(os.fspath(f)), map_location, weights_only)
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())  # zip needs random access: a pipe or socket is read whole first
    return _load(f, "the file object", map_location, weights_only)


def _load(fh: IO[bytes], name: str, map_location: MapLocation, weights_only: bool) -> Any:
    records = _open_records(fh, name)
    try:
        pkl = records.read("data.pkl")
        return _Unpickler(io.BytesIO(pkl), records, map_location, weights_only).load()
    except _WeightsOnlyError:
        raise
    except (zipfile.BadZipFile, EOFError, pickle.UnpicklingError, ValueError, KeyError, IndexError, TypeError,
            struct.error) as exc:
        raise RuntimeError(f"mt.load: {name} is a damaged torch checkpoint: {type(exc).__name__}: {exc}") from exc
