"""``Tensor``: an array (NumPy or CuPy) plus what autograd needs.

The math methods (``+``, ``.sum``, ``.view`` ...) are attached by the ops floor
(``minitorch_cnn/ops/methods.py``); this file holds only the data, the graph fields and the
autograd entry points.
"""

from __future__ import annotations

import warnings
from operator import attrgetter
from typing import Any

import numpy as np

from .. import backend
from ..utils.hooks import RemovableHandle
from .grad_mode import _enabled, _inference
from .size import Size
from .tensor_str import tensor_repr


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _legacy_shape(args: tuple) -> tuple[int, ...]:
    """The shape of ``Tensor(*sizes)``: ints, or one Size; a clear error for anything else or a negative size."""
    shape = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args
    if not all(_is_int(n) for n in shape):
        raise TypeError(f"new(): expected sizes as ints, got {shape}")
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    return tuple(int(n) for n in shape)


def _legacy_array(args: tuple) -> Any:
    """The array of torch's legacy constructor ``Tensor(*args)``, always in the default dtype: ``Tensor()`` empty,
    ``Tensor(2, 3)`` / ``Tensor(Size)`` that shape (torch leaves it uninitialised; zeros here), ``Tensor(data)`` a
    copy of a list, tuple or array of any dtype converted to the default dtype."""
    dtype = backend.get_default_dtype()
    if not args:
        return np.zeros(0, dtype=dtype)
    data = args[0]
    if len(args) > 1 or isinstance(data, Size) or _is_int(data):
        return np.zeros(_legacy_shape(args), dtype=dtype)
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(data, (list, tuple)):
        data = [d._data if isinstance(d, Tensor) else d for d in data]
    elif not hasattr(data, "shape") or isinstance(data, np.generic):  # a number: torch wants a sequence
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    xp = backend.array_module(data)
    arr = xp.asarray(data)
    backend.to_dtype(arr.dtype)  # a clear TypeError for strings, objects, complex...
    return arr.astype(dtype)


class Tensor:
    """A multi-dimensional array with autograd, like ``torch.Tensor``.

    ``_data`` is the raw array (NumPy or CuPy); ``data`` is torch's: a Tensor on the same storage, cut from the
    graph; ``grad_fn`` the Function that made it (None for leaves).

    ``Tensor(*args, device=None)`` is torch's legacy constructor (``_legacy_array``; new tensors take the default
    dtype whatever the data's), and ``Tensor(t)`` of a Tensor is ``t``'s alias (same storage, dtype and graph,
    torch's AliasBackward0). ``mt.tensor`` / ``mt.from_numpy`` keep the data's dtype.
    """

    # ``_output_nr``: which output of ``grad_fn`` this is (0 but for a custom Function with several outputs);
    # ``_base``: for a view, the tensor that owns its storage, and ``_base_fn`` that one's grad_fn when the view's
    # own was made (see autograd/views.py)
    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_output_nr", "_version_counter", "_hooks", "_retains",
                 "_post_hooks", "_base", "_base_fn", "_inference", "__weakref__")
    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor's reflected operators

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        if cls is Tensor and len(args) == 1 and isinstance(args[0], Tensor):
            alias = args[0][...]  # a view node (ops floor's indexing, attached to Tensor at import)
            device = kwargs.get("device")
            return alias if device is None else alias.to(device)
        return object.__new__(cls)  # subclasses (Parameter) have constructors of their own

    def __init__(self, *args: Any, device: Any = None) -> None:
        if len(args) == 1 and isinstance(args[0], Tensor):
            return  # __new__ returned the alias, already complete
        arr = _legacy_array(args)
        self._set(backend.move_to(arr, device) if device is not None else arr)

    def _set(self, arr: Any) -> None:
        """Make this a leaf that needs no grad around ``arr`` (for constructors of subclasses)."""
        self._data = arr
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._base = self._base_fn = None
        self._version_counter = [0]
        self._hooks = None
        self._retains = False
        self._post_hooks = None
        self._requires_grad = False
        self._inference = _inference[0]

    @classmethod
    def _wrap(cls, arr: Any) -> Tensor:
        """A leaf Tensor around ``arr`` with no checks (the hot path of every op)."""
        t = object.__new__(cls)
        t._data = arr
        t._requires_grad = False
        _GRAD_SET(t, None)  # the slot itself: the checked property setter would run a Python frame per op
        t.grad_fn = None
        t._output_nr = 0
        t._base = t._base_fn = None
        t._version_counter = [0]
        t._hooks = None
        t._retains = False
        t._post_hooks = None
        t._inference = _inference[0]
        return t

    # The version counter is a one-element list shared by a tensor, its views and its detach()es, as in
    # torch: an in-place write through any of them bumps it, and backward refuses saved arrays whose
    # version moved since the forward pass.
    @property
    def _version(self) -> int:
        return self._version_counter[0]

    @_version.setter
    def _version(self, value: int) -> None:
        self._version_counter[0] = value

    # ---- what it is -------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape (a ``Size``), or one dimension of it."""
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    @property
    def dtype(self) -> backend.DType:
        """``mt.float32`` and the like: prints as torch's dtypes, compares equal to NumPy's."""
        return backend.public_dtype(self._data.dtype)

    @property
    def device(self) -> backend.Device:
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def is_inference(self) -> bool:
        """torch's: whether this tensor was made inside ``inference_mode()``; a view or ``detach()`` takes the mark
        of the tensor it views, wherever it is made."""
        return self._inference

    def _is_view(self) -> bool:
        """torch's: whether this tensor is a view of another (its ``_base``), sharing that one's storage."""
        return self._base is not None

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format: Any = backend.contiguous_format) -> bool:
        return backend.memory_format.is_laid_out(self._data, memory_format)

    def stride(self, dim: int | None = None) -> Any:
        """Steps in elements between neighbours along each dim (or ``dim``), as torch's."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[dim]

    # ---- leaving the graph ------------------------------------------------------------
    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to a Python number")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return backend.move_to(self._data, "cpu").tolist()

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory on the CPU), as ``torch.Tensor.numpy``."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if not isinstance(self._data, np.ndarray):
            raise TypeError("can't convert cuda tensor to numpy: use tensor.cpu() first")
        return self._data

    @property
    def data(self) -> Tensor:
        """torch's ``.data``: the same storage, cut from the graph, with a version counter of its own.

        Unlike ``detach()``, an in-place write through ``.data`` is not seen by autograd (torch's rule: that is
        why ``p.data -= lr * p.grad`` inside a hand-written optimizer never trips the saved-tensor check).
        """
        t = Tensor._wrap(self._data)
        t._inference = self._inference
        return t

    @data.setter
    def data(self, value: Any) -> None:
        """``t.data = other``: ``t`` now holds ``other``'s storage (torch allows a new shape and dtype too)."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {_type_name(value)}")
        self._data = value._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy's view of the data (``np.asarray(t)``, matplotlib's ``imshow(t)``), as torch's CPU tensors."""
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __array_wrap__(self, arr: np.ndarray, context: Any = None, return_scalar: bool = False) -> Any:
        """A NumPy function's array result on a tensor (``np.transpose(t, axes)``, ``np.exp(t)``,
        ``np.maximum(t, 0)``) comes back as a Tensor, as torch's do; bool results as uint8 (torch's rule: NumPy
        comparisons on a tensor give a ByteTensor); a scalar result stays a scalar."""
        if return_scalar:
            return arr[()]
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8)
        return Tensor._wrap(np.ascontiguousarray(arr) if arr.ndim else arr)

    def detach(self) -> Tensor:
        """The same data (and version counter), cut from the graph."""
        t = Tensor._wrap(self._data)
        t._version_counter, t._inference = self._version_counter, self._inference
        return t

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {self._data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(_NON_LEAF_OFF)
        self._requires_grad = bool(requires_grad)
        return self

    # ---- autograd entry points --------------------------------------------------------
    # ``backward`` is attached by ``engine``, which imports this module (the way ``ops.methods`` attaches the maths)

    def register_hook(self, hook: Any) -> RemovableHandle:
        """``hook(grad) -> Tensor | None`` runs when this tensor's gradient is computed; a returned Tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters the hook, as in torch."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            self.grad_fn._add_tensor_hook(hook)
            return RemovableHandle(self.grad_fn._hooks, hook=hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook=hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> RemovableHandle:
        """``hook(tensor) -> None`` runs on this leaf after backward has accumulated into its ``.grad`` (what
        DistributedDataParallel reduces), as in torch. Returns a handle whose ``remove()`` unregisters it."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return RemovableHandle(self._post_hooks, hook=hook)

    @property
    def retains_grad(self) -> bool:
        return self._retains

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (after every hook has run, as in torch)."""
        if self.grad_fn is None or self._retains:
            return
        import weakref

        ref = weakref.ref(self)
        self._retains = True

        def keep(grad: Tensor) -> None:
            t = ref()
            if t is not None:
                t.grad = Tensor._wrap(grad._data.copy()) if t.grad is None else Tensor._wrap(t.grad._data + grad._data)

        keep.retains_grad = True  # Function._add_tensor_hook keeps it last
        self.grad_fn._add_tensor_hook(keep)

    # ---- in-place updates (optimizers, init) -------------------------------------------
    def _check_inplace(self) -> None:
        if _enabled[0] and self.requires_grad:
            if self.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            raise RuntimeError("in-place operations on tensors that are part of an autograd graph are not offered")

    def _check_writable(self, op: str = "") -> None:
        """Refuse a write into a read-only storage (an expand() view, whose elements share memory) before any work;
        ``op`` names the operation in the message."""
        if not getattr(self._data.flags, "writeable", True):  # CuPy's flags have no writeable
            raise RuntimeError(
                f"{op + ': ' if op else ''}in-place write into a read-only tensor of shape {tuple(self.shape)} (an "
                "expand() view: its elements share memory); call .clone() first"
            )

    def _set_(self, arr: Any) -> Tensor:
        """Write ``arr`` into this tensor's storage in place and bump its version."""
        self._check_inplace()
        return self._store(arr)

    def _store(self, arr: Any) -> Tensor:
        """Copy ``arr`` into this tensor's storage (shared with its views and aliases) and bump its version, without
        the graph checks (callers that record the write themselves, or write under no_grad)."""
        self._check_writable()
        self._data[...] = arr
        self._version_counter[0] += 1
        return self

    # ---- pickling and copy.deepcopy, as torch's: data, dtype, device and requires_grad, never the graph ----
    def __reduce_ex__(self, protocol: int) -> tuple:
        """A pickle holds the data (a CPU copy), the device and requires_grad; a non-leaf comes back a leaf."""
        host = backend.move_to(self._data, "cpu")
        return (_unpickle_tensor, (type(self), host, str(self.device), self.requires_grad))

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A leaf with a copy of the data (and of ``.grad``) on the same device; non-leaves raise, as in torch."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the "
                "moment.  If you were attempting to deepcopy a module, this may be because of a "
                "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        new = type(self)._wrap(self._data.copy())
        new._requires_grad = self._requires_grad
        memo[id(self)] = new
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        return new

    def __repr__(self) -> str:
        suffixes = []
        if self.device.type != "cpu":
            suffixes.append(f"device='{self.device}'")
        dt = self._data.dtype
        if (dt != backend.get_default_dtype() if self._data.size == 0
                else dt not in (backend.get_default_dtype(), np.int64, np.bool_)):
            suffixes.append(f"dtype={backend.public_dtype(dt)!r}")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        return tensor_repr(backend.move_to(self._data, "cpu"), suffixes)

    def __format__(self, spec: str) -> str:
        """torch's rule: a 0-d tensor formats as its number (``f"{loss:.4f}"``, ``f"{label}"`` prints ``0``);
        any other tensor only with an empty spec, as its repr."""
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


# ``grad`` is a slot; assignments go through a check, as torch's (a wrong-shaped .grad would be broadcast by step())
_grad_slot = Tensor.grad
_GRAD_SET = _grad_slot.__set__


def _get_grad(self: Tensor) -> Tensor | None:
    g = _grad_slot.__get__(self, Tensor)
    if g is None and self.grad_fn is not None and not self._retains:
        # torch's warning for a non-leaf's .grad, which backward never fills (retain_grad() would)
        warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
    return g


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you "
    "access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more informations."
)


def _set_grad(self: Tensor, value: Tensor | None) -> None:
    if value is not None:
        if not isinstance(value, Tensor):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {_type_name(value)}")
        if value._data.shape != self._data.shape:
            raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of size "
                               f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same "
                               "size")
        if value._data.dtype != self._data.dtype:
            raise RuntimeError(f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor with dtype "
                               f"'{self.dtype}'. The gradient must match the tensor's dtype")
        if type(value._data) is not type(self._data):
            raise RuntimeError(f"assigned grad has data located on {value.device}, different from the tensor's "
                               f"{self.device}")
    _grad_slot.__set__(self, value)


Tensor.grad = property(_get_grad, _set_grad, doc="The gradient accumulated by backward() (None until then).")

# ``requires_grad`` is read by every op: reads go straight to the ``_requires_grad`` slot (a C getter, no Python
# frame); assignments go through torch's checks. The graph's own code writes the slot.
_NON_LEAF_OFF = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph "
    "that doesn't require differentiation use var_no_grad = var.detach()."
)


def _set_requires_grad(self: Tensor, value: bool) -> None:
    if self.grad_fn is not None:  # torch refuses either way on a non-leaf, with a hint when switching off
        raise RuntimeError(_NON_LEAF_OFF if not value else "you can only change requires_grad flags of leaf variables.")
    if value and self._data.dtype.kind not in "fc":
        raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
    self._requires_grad = bool(value)


Tensor.requires_grad = property(attrgetter("_requires_grad"), _set_requires_grad,
                                doc="Whether ops on this tensor record a graph (settable on leaves only, as torch).")


def _unpickle_tensor(cls: type, arr: np.ndarray, device: str, requires_grad: bool) -> Tensor:
    """The inverse of ``Tensor.__reduce_ex__`` (a Parameter stays a Parameter)."""
    t = cls._wrap(backend.move_to(arr, device))
    t._requires_grad = requires_grad
    return t

