"""Shape ops: reshape/view, permute/transpose, expand, squeeze/unsqueeze, cat/stack, split/chunk, pad.

Views are free in NumPy; their backward undoes the view on the gradient.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ._util import dim_aliases, sum_to, unbroadcast
from .indexing import getitem

_ValuesIndices = namedtuple("values_indices", ["values", "indices"])


def namedtuple_values_indices(values: Tensor, indices: Tensor) -> Any:
    """``(values, indices)`` with torch's field names, as returned by ``max(dim=)``."""
    return _ValuesIndices(values, indices)


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    """``dim`` in [0, ndim) from a possibly negative index, or torch's IndexError (a 0-d tensor takes -1 and 0)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _shape_arg(shape: tuple) -> tuple:
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def _resolve_shape(shape: tuple, numel: int, src: tuple) -> tuple:
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred (-1)")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} (shape {src})")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} (shape {src})")
    return shape


class Reshape(Function):
    def forward(self, x: Any, shape: tuple) -> Any:
        self.src = x.shape
        return x.reshape(shape)

    def backward(self, g: Any) -> Any:
        return g.reshape(self.src)

    def backward_graph(self, g: Tensor) -> Tensor:
        return Reshape.apply(g, self.src)


# Views that torch names for how they were asked for (``x.unsqueeze(0)`` UnsqueezeBackward0, ``x.squeeze(1)``
# SqueezeBackward1, a reshape that had to copy UnsafeViewBackward0): the same node as Reshape under that name.
class Unsqueeze(Reshape):
    torch_name = "UnsqueezeBackward0"


class SqueezeAll(Reshape):
    torch_name = "SqueezeBackward0"


class SqueezeDim(Reshape):
    torch_name = "SqueezeBackward1"


class SqueezeDims(Reshape):
    torch_name = "SqueezeBackward2"


class UnsafeView(Reshape):
    torch_name = "UnsafeViewBackward0"


class ReshapeAlias(Reshape):
    torch_name = "ReshapeAliasBackward0"  # a reshape that views a non-contiguous tensor


class Permute(Function):
    def forward(self, x: Any, dims: tuple) -> Any:
        self.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return x.transpose(dims)

    def backward(self, g: Any) -> Any:
        return g.transpose(self.inverse)

    def backward_graph(self, g: Tensor) -> Tensor:
        return Permute.apply(g, self.inverse)


class Transpose(Permute):
    torch_name = "TransposeBackward0"


class T(Permute):
    torch_name = "TBackward0"


class Expand(Function):
    def forward(self, x: Any, shape: tuple) -> Any:
        self.src = x.shape
        return backend.array_module(x).broadcast_to(x, shape)

    def backward(self, g: Any) -> Any:
        return unbroadcast(g, self.src)

    def backward_graph(self, g: Tensor) -> Tensor:
        return sum_to(g, self.src)


class Contiguous(Function):
    """The same values laid out in ``memory_format`` (row-major by default); the gradient passes unchanged."""

    def forward(self, x: Any, memory_format: Any = backend.contiguous_format) -> Any:
        return backend.memory_format.lay_out(x, memory_format, backend.array_module(x))

    def backward(self, g: Any) -> Any:
        return g

    def backward_graph(self, g: Tensor) -> Tensor:
        return g


class Cat(Function):
    def forward(self, *arrays: Any, dim: int) -> Any:
        self.dim = dim
        self.bounds = []
        start = 0
        for a in arrays:
            self.bounds.append((start, start + a.shape[dim]))
            start += a.shape[dim]
        return backend.array_module(arrays[0]).concatenate(arrays, axis=dim)

    def backward(self, g: Any) -> tuple:
        index = [slice(None)] * g.ndim
        out = []
        for (lo, hi), need in zip(self.bounds, self.needs_input_grad):
            index[self.dim] = slice(lo, hi)
            out.append(g[tuple(index)] if need else None)
        return tuple(out)

    def backward_graph(self, g: Tensor) -> tuple:
        index = [slice(None)] * g.ndim
        out = []
        for (lo, hi), need in zip(self.bounds, self.needs_input_grad):
            index[self.dim] = slice(lo, hi)
            out.append(getitem(g, tuple(index)) if need else None)
        return tuple(out)


# ---- public functions --------------------------------------------------------------------
def reshape(x: Tensor, *shape: Any) -> Tensor:
    """A view where the layout allows (ViewBackward0, or torch's ReshapeAliasBackward0 for a non-contiguous x),
    else a contiguous copy reshaped, as torch's ``UnsafeViewBackward0(CloneBackward0)``."""
    shape = _resolve_shape(_shape_arg(shape), x._data.size, tuple(x.shape))
    if shape == x._data.shape:
        return x
    if x._data.flags.c_contiguous or x._data.size <= 1:
        return Reshape.apply(x, shape)
    if _viewable(x._data, shape):
        return ReshapeAlias.apply(x, shape)
    return UnsafeView.apply(Contiguous.apply(x), shape)


def view(x: Tensor, *shape: Any) -> Tensor:
    """As ``reshape``, but like torch refuses when the memory layout can't be viewed, and always a new view (even
    of ``x``'s own shape: a tensor of its own that shares x's storage and version counter, as torch)."""
    shape = _resolve_shape(_shape_arg(shape), x._data.size, tuple(x.shape))
    if not x._data.flags.c_contiguous and x._data.size > 1 and not _viewable(x._data, shape):
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride {tuple(x.shape)}: "
            "use .reshape(...) instead"
        )
    return Reshape.apply(x, shape)


def _viewable(arr: Any, shape: tuple) -> bool:
    """Whether ``arr`` can take ``shape`` without a copy (NumPy ≥ 2.1 says so through copy=False)."""
    try:
        if isinstance(arr, np.ndarray):
            np.reshape(arr, shape, copy=False)
        else:  # CuPy: setting the shape of a view raises when a copy would be needed
            v = arr.view()
            v.shape = shape
    except (ValueError, AttributeError):
        return False
    return True


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:  # torch: a scalar's dims are checked as a 1-d tensor's
        _wrap_dim(start_dim, 1, "flatten"), _wrap_dim(end_dim, 1, "flatten")
        return reshape(x, 1)
    s, e = _wrap_dim(start_dim, x.ndim, "flatten"), _wrap_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {tuple(x.shape)}")
    shape = x.shape[:s] + (math.prod(x.shape[s : e + 1]),) + x.shape[e + 1 :]
    return reshape(x, shape)


def unflatten(x: Tensor, dim: int, sizes: tuple) -> Tensor:
    d = _wrap_dim(dim, x.ndim, "unflatten")
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1 :])


def permute(x: Tensor, *dims: Any) -> Tensor:
    dims = _shape_arg(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute: got {len(dims)} dims {dims} for a tensor of shape {tuple(x.shape)}")
    dims = tuple(_wrap_dim(d, x.ndim, "permute") for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute: dims {dims} are not a permutation of the {x.ndim} dims of shape {tuple(x.shape)}")
    return Permute.apply(x, dims)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    dim0, dim1 = _wrap_dim(dim0, x.ndim, "transpose"), _wrap_dim(dim1, x.ndim, "transpose")
    if x.ndim < 2 or dim0 == dim1:
        return x
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Transpose.apply(x, tuple(dims))


def t(x: Tensor) -> Tensor:
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but got {x.ndim}")
    return T.apply(x, (1, 0)) if x.ndim == 2 else x


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view of ``length`` entries of ``dim`` from ``start`` (torch.narrow; a negative start counts from the
    end)."""
    d = _wrap_dim(dim, x.ndim, "narrow")
    n = x.shape[d]
    s = start + n if start < 0 else start
    if not 0 <= s <= n or length < 0 or s + length > n:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of dim {dim}")
    return getitem(x, (slice(None),) * d + (slice(s, s + length),))


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """The view at ``index`` of ``dim``, which it drops (torch.select, ``x[:, i]``)."""
    d = _wrap_dim(dim, x.ndim, "select")
    return getitem(x, (slice(None),) * d + (index,))


def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """The view with dims ``source`` moved to positions ``destination``, the others keeping their order
    (torch.movedim / moveaxis; ints or equal-length sequences)."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain the "
                           f"same number of dims as destination ({list(dst)} dims)")
    src = tuple(_wrap_dim(d, x.ndim, "movedim") for d in src)
    dst = tuple(_wrap_dim(d, x.ndim, "movedim") for d in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source ({list(src)}) or destination ({list(dst)})")
    rest = iter(d for d in range(x.ndim) if d not in src)
    placed = dict(zip(dst, src))
    return permute(x, *[placed[i] if i in placed else next(rest) for i in range(x.ndim)])


@dim_aliases
def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    if dim is None:
        shape, node = tuple(n for n in x.shape if n != 1), SqueezeAll
    else:
        dims = {_wrap_dim(d, x.ndim, "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)}
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
        node = SqueezeDim if isinstance(dim, int) else SqueezeDims
    return node.apply(x, shape)  # a new view even when nothing is squeezed, as torch


@dim_aliases
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    d = _wrap_dim(dim, x.ndim + 1, "unsqueeze")
    return Unsqueeze.apply(x, x.shape[:d] + (1,) + x.shape[d:])


def expand(x: Tensor, *shape: Any) -> Tensor:
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes {len(shape)} is less than the tensor's dims {x.ndim}")
    if any(s == -1 for s in shape[:lead]):
        raise RuntimeError(f"expand: size -1 isn't allowed in a new leading dim: {shape} for shape {tuple(x.shape)}")
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    for i, n in enumerate(x.shape):
        if n != 1 and n != full[i + lead]:
            raise RuntimeError(f"expand: cannot expand shape {tuple(x.shape)} to {full}")
    return Expand.apply(x, full) if full != x.shape else x


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other.shape)


def contiguous(x: Tensor, memory_format: Any = backend.contiguous_format) -> Tensor:
    """``x`` itself when already laid out in ``memory_format``, else a copy that is (see backend/memory_format)."""
    return x if backend.memory_format.is_laid_out(x._data, memory_format) else Contiguous.apply(x, memory_format)


@dim_aliases
def cat(tensors: Any, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    ref = tensors[0]
    if ref.ndim == 0:
        raise RuntimeError("cat: zero-dimensional tensor (at position 0) cannot be concatenated; use stack")
    d = _wrap_dim(dim, ref.ndim, "cat")
    for i, t_ in enumerate(tensors):
        if type(t_._data) is not type(ref._data) and t_.device != ref.device:
            raise RuntimeError(f"cat: tensor {i} is on {t_.device} but tensor 0 is on {ref.device}")
        if t_.ndim != ref.ndim or any(a != b for j, (a, b) in enumerate(zip(t_.shape, ref.shape)) if j != d):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {dim}: tensor 0 has shape "
                f"{tuple(ref.shape)}, tensor {i} has shape {tuple(t_.shape)}"
            )
    from ._util import cast

    dt = ref._data.dtype
    for t_ in tensors[1:]:
        dt = backend.promote_types(dt, t_._data.dtype)
    return Cat.apply(*[cast(t_, dt) for t_ in tensors], dim=d)


@dim_aliases
def stack(tensors: Any, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty list of Tensors")
    for i, t_ in enumerate(tensors):
        if t_.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {tuple(tensors[0].shape)} at entry 0 "
                f"and {tuple(t_.shape)} at entry {i}"
            )
    d = _wrap_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t_, d) for t_ in tensors], d)


@dim_aliases
def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    if x.ndim == 0:
        raise RuntimeError("split: expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and n > 0:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split: sizes {sizes} don't add up to {n}, the size of dim {dim}")
    from .indexing import getitem

    out, start = [], 0
    for s in sizes:
        index = (slice(None),) * d + (slice(start, start + s),)
        out.append(getitem(x, index))
        start += s
    return tuple(out)


@dim_aliases
def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    if x.ndim == 0:
        raise RuntimeError("chunk: expects at least a 1-dimensional tensor")
    n = x.shape[_wrap_dim(dim, x.ndim, "chunk")]
    return split(x, max(-(-n // chunks), 1), dim)


def pad(x: Tensor, pad: tuple, mode: str = "constant", value: float = 0.0) -> Tensor:  # noqa: A002
    """Constant padding, as torch.nn.functional.pad; ``pad`` pairs start at the last dim."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not offered; only 'constant'")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise RuntimeError(f"pad: padding length {len(pad)} must be even and at most 2 × {x.ndim} dims")
    pad = tuple(int(p) for p in pad)
    for i in range(len(pad) // 2):
        n, lo, hi = x.shape[x.ndim - 1 - i], pad[2 * i], pad[2 * i + 1]
        if n + min(lo, 0) + min(hi, 0) < 0:
            raise RuntimeError(
                f"pad: the input size {n} of dim {x.ndim - 1 - i} is smaller than the negative padding "
                f"({lo}, {hi}) crops away (input shape {tuple(x.shape)})"
            )
    return PadOp.apply(x, pad, value)


class PadOp(Function):
    """Constant pad with torch's pair order; negative pads crop."""

    def forward(self, x: Any, pads: tuple, value: float) -> Any:
        xp = backend.array_module(x)
        width = [(0, 0)] * x.ndim
        for i in range(len(pads) // 2):
            width[x.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
        self.src_shape = x.shape
        # crop first for negative pads, then pad with the positive parts
        self.crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(width, x.shape))
        self.width = [(max(lo, 0), max(hi, 0)) for lo, hi in width]
        return xp.pad(x[self.crop], self.width, mode="constant", constant_values=value)

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        inner = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.width))
        part = g[inner]
        if part.shape == self.src_shape:
            return part
        out = xp.zeros(self.src_shape, dtype=g.dtype)
        out[self.crop] = part
        return out

    def backward_graph(self, g: Tensor) -> Tensor:
        part = getitem(g, tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.width)))
        if tuple(part.shape) == self.src_shape:
            return part
        # the cropped border comes back as zeros: a pad by the crop's widths (torch's order: last dim first)
        pads = []
        for cut, n in reversed(list(zip(self.crop, self.src_shape))):
            pads += [cut.start, n - cut.stop]
        return PadOp.apply(part, tuple(pads), 0.0)


@dim_aliases
def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """torch's NumPy-named ``transpose``: a view with two dims swapped."""
    return transpose(x, axis0, axis1)


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """torch's ``repeat`` (NumPy's ``tile``): the tensor copied ``sizes[i]`` times along dim i; extra leading
    sizes add dims. Built from reshape/expand/reshape, so its gradient sums over the copies."""
    sizes = tuple(int(s) for s in _shape_arg(sizes))
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: number of repeat dims ({len(sizes)}) can not be smaller than the number of "
                           f"dimensions of the tensor ({x.ndim})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(sizes)}")
    src = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    spread = tuple(v for n in src for v in (1, n))  # (1, n0, 1, n1, ...): a unit dim before each to copy along
    big = tuple(v for r, n in zip(sizes, src) for v in (r, n))
    return reshape(expand(reshape(x, spread), big), tuple(r * n for r, n in zip(sizes, src)))


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: output i holds tensor i's values along dim i (``indexing="xy"``: the
    first two dims swapped, as NumPy's default). Views made by reshape + expand, as torch's."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be one of 'xy' or 'ij', got '{indexing}'")
    if any(t.ndim > 1 for t in tensors):
        raise RuntimeError("meshgrid: expects all tensors to be 0- or 1-dimensional")
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for t, a in zip(tensors, axes):
        shape = [1] * len(tensors)
        shape[a] = -1
        out.append(expand(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(out)
