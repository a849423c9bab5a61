"""``mt.save``: torch's file format (torch.save since 1.6), written without torch.

The object is pickled (protocol 2) into ``<root>/data.pkl``; every Tensor becomes
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())`` whose storage is
a persistent id ``('storage', torch.FloatStorage, key, location, numel)``; the storage's bytes go, little-endian,
in the record ``<root>/data/<key>``. Tensors that view one array share one storage, as in torch, so a file keeps
tied weights tied. A ``Parameter`` becomes ``torch._utils._rebuild_parameter(tensor, requires_grad,
OrderedDict())``. NumPy scalars become Python numbers and our dtypes and devices torch's, so ``torch.load(f,
weights_only=True)`` reads a state_dict or checkpoint dict we wrote.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..nn.parameter import Parameter
from .names import DTYPE_NAMES, STORAGE_NAMES
from .records import write_records

FORMAT_VERSION = b"3\n"  # the "version" record torch 2.x writes


class _Global:
    """A global the pickle names (``GLOBAL module name``) without our importing it: torch's functions and
    classes, which need not be installed to be written."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:
        # pickle's save_reduce insists that the function of a reduction be callable; this one is only a name
        raise TypeError(f"{self.module}.{self.name} is a name written into a pickle, not a function")


class _StorageRef:
    """One storage of the file: its key (the record ``data/<key>``) and its flat array."""

    __slots__ = ("key", "array", "location")

    def __init__(self, key: str, array: np.ndarray, location: str) -> None:
        self.key, self.array, self.location = key, array, location


def _root_of(arr: np.ndarray) -> np.ndarray:
    """The ndarray at the bottom of ``arr``'s chain of views (the owner of the memory, as far as NumPy knows).

    The chain may pass through non-arrays that keep a ``base`` (``as_strided``'s DummyArray, which is how
    ``mt.load`` builds views), so those are walked through too.
    """
    node = arr.base
    while node is not None:
        if isinstance(node, np.ndarray):
            arr = node
        node = getattr(node, "base", None)
    return arr


class _TorchPickler(pickle._Pickler):  # noqa: SLF001 - the Python pickler lets us write GLOBALs for absent modules
    """Pickle with torch's reductions for our tensors, dtypes and devices, collecting storages as it goes."""

    dispatch = dict(pickle._Pickler.dispatch)  # noqa: SLF001

    def __init__(self, file: IO[bytes], protocol: int) -> None:
        super().__init__(file, protocol=protocol)
        self.storages: list[_StorageRef] = []
        self._by_root: dict[tuple[int, str], tuple[_StorageRef, np.ndarray]] = {}

    def _save_global_name(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = _save_global_name

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if isinstance(obj, np.generic):  # torch's weights_only loader refuses NumPy's scalar types
            obj = obj.item()
        elif isinstance(obj, backend.DType):  # mt.float32 and the like: torch.float32 in the file
            obj = _Global("torch", DTYPE_NAMES[obj.dtype])
        elif isinstance(obj, np.dtype) and obj in DTYPE_NAMES:  # a raw NumPy dtype too
            obj = _Global("torch", DTYPE_NAMES[obj])
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj: Any) -> tuple | None:
        if type(obj) is _StorageRef:
            name = STORAGE_NAMES[obj.array.dtype]
            return ("storage", _Global("torch", name), obj.key, obj.location, int(obj.array.size))
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, backend.Device):
            return (_Global("torch", "device"), (str(obj),))
        return NotImplemented

    def _reduce_tensor(self, t: Tensor) -> tuple:
        if isinstance(t, Parameter):
            plain = Tensor._wrap(t._data)
            return (_Global("torch._utils", "_rebuild_parameter"), (plain, t.requires_grad, OrderedDict()))
        arr = t._data
        if arr.dtype not in STORAGE_NAMES:
            raise TypeError(f"mt.save: tensors of dtype {arr.dtype} have no torch storage type")
        location = "cpu"
        if not isinstance(arr, np.ndarray):  # CuPy: torch records the device and the loader moves it back
            location = f"cuda:{arr.device.id}"
            arr = backend.move_to(arr, "cpu")
        storage, offset, strides = self._storage_of(arr, location)
        return (
            _Global("torch._utils", "_rebuild_tensor_v2"),
            (storage, offset, tuple(arr.shape), strides, bool(t.requires_grad), OrderedDict()),
        )

    def _storage_of(self, arr: np.ndarray, location: str) -> tuple[_StorageRef, int, tuple[int, ...]]:
        """The storage holding ``arr`` and ``arr``'s offset and strides in elements of it.

        Views of one array share its storage; an array whose layout torch cannot express (negative strides,
        a view of another dtype, an unaligned offset) gets a contiguous copy of its own.
        """
        item = arr.dtype.itemsize
        root = _root_of(arr)
        offset_bytes = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        shareable = (
            root.dtype == arr.dtype and root.flags.c_contiguous and offset_bytes % item == 0
            and all(s >= 0 and s % item == 0 for s in arr.strides) and root.dtype.isnative
        )
        if not shareable:
            root = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("="), copy=False)
            arr, offset_bytes = root, 0
        key = (id(root), location)
        if key not in self._by_root:
            ref = _StorageRef(str(len(self.storages)), root.reshape(-1), location)
            self.storages.append(ref)
            self._by_root[key] = (ref, root)  # keeps root alive so its id stays unique
        ref = self._by_root[key][0]
        return ref, offset_bytes // item, tuple(s // item for s in arr.strides)


def save(obj: Any, f: str | os.PathLike | IO[bytes], pickle_protocol: int = 2) -> None:
    """Save ``obj`` to ``f`` (a path or a binary file object) in torch's format, as ``torch.save``.

    ``torch.load(f)`` reads it back without our package when ``obj`` holds only tensors, Python containers and
    numbers (a ``state_dict``, an optimizer's ``state_dict``, a checkpoint dict); ``mt.load`` reads anything.
    """
    if pickle_protocol < 2:
        raise ValueError(f"mt.save: pickle_protocol must be 2 or more (torch's format), got {pickle_protocol}")
    buf = io.BytesIO()
    pickler = _TorchPickler(buf, pickle_protocol)
    pickler.dump(obj)
    if isinstance(f, (str, os.PathLike)):
        root = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    else:
        root = "archive"
    records = [(f"{root}/data.pkl", buf.getvalue()), (f"{root}/.format_version", b"1"),
               (f"{root}/.storage_alignment", b"64"), (f"{root}/byteorder", sys.byteorder.encode())]
    records += [(f"{root}/data/{s.key}", s.array.tobytes()) for s in pickler.storages]
    records += [(f"{root}/version", FORMAT_VERSION),
                (f"{root}/.data/serialization_id", str(int.from_bytes(os.urandom(16), "little")).zfill(40).encode())]
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            write_records(fh, records)
    else:
        write_records(f, records)
