"""The transform machinery (``Transform``, ``Compose``, ``Lambda``) and the deterministic transforms:
``ToTensor``, ``Normalize``, ``Resize``, ``Pad``, ``CenterCrop``. See the package docstring for the batch rules."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from ...nn.module import Module
from . import functional
from .dtype import convert_image_dtype
from .pil import from_pil, pil_to_tensor, to_pil_image

F = functional  # torchvision's customary alias

Image = Any  # an (H, W[, C]) array or a (..., C, H, W) Tensor
_CHUNK_BYTES = 2 << 20  # a Compose works on batches in chunks whose float32 images take about this much
Dims = tuple[int, int, int]  # (channels, height, width) of one image


def _batch_dims(batch: Any) -> Dims:
    """(C, H, W) of the images in an (N, H, W[, C]) array or an (N, C, H, W) Tensor."""
    if isinstance(batch, Tensor):
        if batch.ndim != 4:
            raise ValueError(f"batch: a Tensor batch must be (N, C, H, W), got {tuple(batch.shape)}")
        return tuple(batch.shape[1:])
    if not isinstance(batch, np.ndarray) or batch.ndim not in (3, 4):
        raise ValueError(f"batch: an array batch must be (N, H, W[, C]), got {getattr(batch, 'shape', batch)}")
    return (1 if batch.ndim == 3 else batch.shape[3], batch.shape[1], batch.shape[2])


def _batch_hax(batch: Any) -> tuple[Any, int]:
    """(raw array, height axis) of a batch."""
    return (batch._data, 2) if isinstance(batch, Tensor) else (batch, 1)


class Transform:
    """Base of the transforms here: ``forward`` is the transform (what a call runs); ``draw`` random decisions,
    then ``apply_one`` (one image) or ``apply_batch`` them.

    A deterministic transform draws nothing (None). ``out_dims`` says what (C, H, W) the output will have,
    so a Compose can draw every part's decisions for a whole batch before doing any array work. The transforms
    that torchvision makes ``nn.Module``s derive from ``ModuleTransform``; the rest (v1's Compose, Lambda,
    ToTensor, PILToTensor, ToPILImage, RandomChoice, RandomOrder) are plain callables, as there.
    """

    random = False

    @property
    def batchable(self) -> bool:
        """Whether ``batch`` gives what item-by-item calls give: ``apply_batch`` was written in a class at least as
        derived as the ones defining ``__call__``, ``forward`` and ``apply_one`` (a subclass overriding one alone, say
        to remap or edit images, must go item by item, else the loader's batch path would bypass the override)."""
        mro = type(self).__mro__
        names = ("__call__", "forward", "apply_one", "apply_batch")
        where = {name: next(i for i, c in enumerate(mro) if name in vars(c)) for name in names}
        return where["apply_batch"] <= min(where["__call__"], where["forward"], where["apply_one"])

    def draw(self, dims: Dims) -> Any:
        return None

    def out_dims(self, dims: Dims) -> Dims:
        return dims

    def apply_one(self, img: Image, params: Any) -> Image:
        raise NotImplementedError

    def apply_batch(self, batch: Any, params: list[Any]) -> Any:
        raise NotImplementedError

    def forward(self, img: Image) -> Image:
        img = from_pil(img)
        return self.apply_one(img, self.draw(tuple(F.get_dimensions(img))) if self.random else None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    @property
    def batch(self) -> Callable[[Any], Any] | None:
        """The batched form (see the module notes), or None when this transform cannot act on a batch."""
        return self._batch if self.batchable else None

    def _batch(self, images: Any) -> Any:
        """The transform of each of N images: (N, H, W[, C]) array or (N, C, H, W) Tensor in, a batch out."""
        dims = _batch_dims(images)
        return self.apply_batch(images, [self.draw(dims) for _ in range(len(images))] if self.random else None)


class ModuleTransform(Transform, Module):
    """A transform that is an ``nn.Module``, as torchvision's are: it goes in an ``nn.Sequential`` beside layers,
    has ``train``/``eval``/``to``/``apply(fn)``, an empty ``state_dict``, and runs forward hooks.

    Module's bookkeeping is set up in ``__new__``, so the transforms' own ``__init__`` (shared with the plain
    v1 bases of v2's classes) need not call ``Module.__init__``; unpickling goes through ``__new__`` too.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # torch's fast path: with no hooks a call is its forward (Module.__call__'s bookkeeping costs 0.7-2 µs a
        # call, 10-25% of a 28x28 image's four-transform pipeline; benchmarks/results/NOTES.md)
        d = self.__dict__
        if d["_forward_pre_hooks"] or d["_forward_hooks"] or d["_backward_hooks"] or d["_backward_pre_hooks"]:
            return Module.__call__(self, *args, **kwargs)
        return self.forward(*args, **kwargs)

    @property
    def batchable(self) -> bool:
        """As ``Transform.batchable``, and item by item while forward hooks are registered (the batch path would
        skip them)."""
        return super().batchable and not (self._forward_pre_hooks or self._forward_hooks)

    def __new__(cls, *args: Any, **kwargs: Any) -> ModuleTransform:
        self = super().__new__(cls)
        Module.__init__(self)
        return self


class Compose(Transform):
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)
        self.random = any(getattr(t, "random", True) for t in self.transforms)

    @property
    def batchable(self) -> bool:
        return super().batchable and all(isinstance(t, Transform) and t.batchable for t in self.transforms)

    def forward(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def draw(self, dims: Dims) -> list[Any]:
        params = []
        for t in self.transforms:
            params.append(t.draw(dims) if t.random else None)
            dims = t.out_dims(dims)
        return params

    def out_dims(self, dims: Dims) -> Dims:
        for t in self.transforms:
            dims = t.out_dims(dims)
        return dims

    def apply_one(self, img: Image, params: list[Any]) -> Image:
        for t, p in zip(self.transforms, params):
            img = t.apply_one(img, p)
        return img

    def apply_batch(self, batch: Any, params: list[list[Any]] | None) -> Any:
        # a few images at a time, so the intermediates stay in cache: a (64, 3, 227, 227) float32 batch is 40 MB,
        # and ToTensor and Normalize each pass over it (benchmarks/resize_pipeline.py: one whole batch ran at half
        # the rate of image-by-image calls)
        c, h, w = _batch_dims(batch)
        oc, oh, ow = self.out_dims((c, h, w))
        step = max(1, _CHUNK_BYTES // (4 * max(c * h * w, oc * oh * ow)))
        if len(batch) <= step:
            return self._apply_chunk(batch, params)
        parts = [self._apply_chunk(batch[i : i + step], None if params is None else params[i : i + step])
                 for i in range(0, len(batch), step)]
        if isinstance(parts[0], Tensor):
            return Tensor._wrap(backend.array_module(parts[0]._data).concatenate([p._data for p in parts]))
        return np.concatenate(parts)

    def _apply_chunk(self, batch: Any, params: list[list[Any]] | None) -> Any:
        per_part = list(zip(*params)) if params is not None else [None] * len(self.transforms)
        for t, p in zip(self.transforms, per_part):
            batch = t.apply_batch(batch, list(p) if t.random else None)
        return batch

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor(Transform):
    """(H, W) or (H, W, C) array -> (C, H, W) Tensor; uint8 pixels become floats in [0, 1] (x / 255)."""

    def forward(self, pic: np.ndarray) -> Tensor:
        return F.to_tensor(pic)

    def apply_one(self, pic: np.ndarray, params: None) -> Tensor:
        return F.to_tensor(pic)

    def apply_batch(self, pics: np.ndarray, params: None) -> Tensor:
        return F.to_tensor_batch(pics)

    def __repr__(self) -> str:
        return "ToTensor()"


class ToPILImage(Transform):
    """(C, H, W) Tensor or (H, W[, C]) array -> a ``PIL.Image``, as torchvision's: a float tensor becomes
    ``(x * 255)`` truncated to uint8 (``.byte()``), channels go last, one channel is mode 'L', 3 and 4 'RGB' and
    'RGBA' (``mode`` as torchvision checks it; see ``pil.py``). Pillow is needed; every transform here reads
    the image back as its array."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def forward(self, pic: Any) -> Any:
        return to_pil_image(pic, self.mode)

    def apply_one(self, pic: Any, params: None) -> Any:
        return self(pic)

    def __repr__(self) -> str:
        return f"ToPILImage(mode={self.mode})" if self.mode is not None else "ToPILImage()"


class PILToTensor(Transform):
    """A PIL image (or its stand-in array) -> (C, H, W) Tensor of the same dtype, values unscaled."""

    def forward(self, pic: Any) -> Tensor:
        return pil_to_tensor(pic)

    def __repr__(self) -> str:
        return "PILToTensor()"


class ConvertImageDtype(ModuleTransform):
    """v1's: a Tensor image as ``dtype`` with its values moved to the new range (uint8 -> float divides by 255;
    see ``dtype.py``)."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def forward(self, image: Tensor) -> Tensor:
        return convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return "ConvertImageDtype()"


class Normalize(ModuleTransform):
    """(x - mean[c]) / std[c] for each channel c of a (..., C, H, W) float Tensor."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace
        self._params: dict[Any, tuple[Any, Any]] = {}  # checked mean/std per (dtype, device, channels)

    def forward(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor) or tensor.ndim < 3:
            return F.normalize(tensor, self.mean, self.std, self.inplace)  # raises the right error
        key = (tensor.dtype, tensor.device.type, tensor.shape[-3])
        if key not in self._params:
            self._params[key] = F.normalize_params(tensor, self.mean, self.std)
        return F._normalize(tensor, *self._params[key], self.inplace)

    def apply_one(self, tensor: Tensor, params: None) -> Tensor:
        return self(tensor)

    def apply_batch(self, tensor: Tensor, params: None) -> Tensor:
        return self(tensor)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Resize(ModuleTransform):
    """Bilinear resize: ``size`` (h, w), or an int for the smaller edge keeping the aspect ratio.

    Antialiased as torchvision's default: on arrays it is Pillow's BILINEAR resize bit for bit, on Tensors
    torch's ``interpolate(..., antialias=True)``.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: str = "bilinear",
        max_size: int | None = None,
        antialias: bool | None = True,
    ) -> None:
        if not isinstance(size, (numbers.Integral, tuple, list)) or isinstance(size, bool):
            raise TypeError(f"Resize: size should be int or sequence, got {type(size).__name__}")
        if isinstance(size, (tuple, list)) and len(size) not in (1, 2):
            raise ValueError(f"Resize: if size is a sequence, it should have 1 or 2 values, got {size!r}")
        mode = getattr(interpolation, "value", interpolation)  # an InterpolationMode too
        if mode != "bilinear":
            raise ValueError(f"Resize: only interpolation='bilinear' is implemented, got {interpolation!r}")
        self.size, self.interpolation, self.max_size, self.antialias = size, mode, max_size, antialias

    def forward(self, img: Image) -> Image:
        return F.resize(from_pil(img), self.size, self.interpolation, self.max_size, self.antialias)

    def out_dims(self, dims: Dims) -> Dims:
        return (dims[0], *F.resized_output_size(dims[1], dims[2], self.size, self.max_size))

    def apply_one(self, img: Image, params: None) -> Image:
        return self(img)

    def apply_batch(self, batch: Any, params: None) -> Any:
        c, h, w = _batch_dims(batch)
        oh, ow = F.resized_output_size(h, w, self.size, self.max_size)
        if (oh, ow) == (h, w):
            return batch
        if isinstance(batch, Tensor):  # image by image: each one's passes stay in cache
            xp = backend.array_module(batch._data)
            return Tensor._wrap(xp.stack([F.resize_tensor_raw(x, oh, ow, bool(self.antialias)) for x in batch._data]))
        if batch.dtype != np.uint8:
            raise TypeError(f"Resize: an array batch must be uint8 (the PIL stand-in), got {batch.dtype}")
        return F.resize_pil_raw(batch, 1, oh, ow)

    def __repr__(self) -> str:
        return (f"Resize(size={self.size}, interpolation={self.interpolation}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class Pad(ModuleTransform):
    """Pad every side: an int, (left/right, top/bottom) or (left, top, right, bottom); see ``functional.pad``."""

    def __init__(self, padding: int | Sequence[int], fill: float | Sequence[float] = 0,
                 padding_mode: str = "constant") -> None:
        self.ltrb = F._parse_padding(padding)
        if padding_mode not in F.PAD_MODES:
            raise ValueError(f"Pad: padding_mode should be one of {F.PAD_MODES}, got {padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img: Image) -> Image:
        return F.pad(from_pil(img), self.padding, self.fill, self.padding_mode)

    def out_dims(self, dims: Dims) -> Dims:
        left, top, right, bottom = self.ltrb
        return (dims[0], dims[1] + top + bottom, dims[2] + left + right)

    def apply_one(self, img: Image, params: None) -> Image:
        return self(img)

    def apply_batch(self, batch: Any, params: None) -> Any:
        return _pad_batch(batch, self.ltrb, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


def _pad_batch(batch: Any, ltrb: Sequence[int], fill: Any, padding_mode: str) -> Any:
    arr, hax = _batch_hax(batch)
    sample = Tensor._wrap(arr[0]) if isinstance(batch, Tensor) else arr[0]
    out = F.pad_raw(arr, hax, ltrb, F.fill_value(fill, sample), padding_mode, tensor=isinstance(batch, Tensor))
    return Tensor._wrap(out) if isinstance(batch, Tensor) else out


class CenterCrop(ModuleTransform):
    """The central (h, w) window (an int gives a square); smaller images are zero-padded first."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = F.pair(size, "CenterCrop")

    def forward(self, img: Image) -> Image:
        return F.center_crop(from_pil(img), self.size)

    def out_dims(self, dims: Dims) -> Dims:
        return (dims[0], *self.size)

    def apply_one(self, img: Image, params: None) -> Image:
        return self(img)

    def apply_batch(self, batch: Any, params: None) -> Any:
        _, h, w = _batch_dims(batch)
        th, tw = self.size
        grow = F.center_crop_padding(h, w, th, tw)
        if grow is not None:
            batch = _pad_batch(batch, grow, 0, "constant")
            h, w = h + grow[1] + grow[3], w + grow[0] + grow[2]
        arr, hax = _batch_hax(batch)
        out = arr[F._window(hax, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)]
        return Tensor._wrap(out) if isinstance(batch, Tensor) else out

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


def _crop_corner(h: int, w: int, th: int, tw: int) -> tuple[int, int]:
    """A uniform random (top, left) for a (th, tw) window in (h, w); no draw when the window is the image."""
    if h < th or w < tw:
        raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than input image size {(h, w)}")
    if (h, w) == (th, tw):
        return 0, 0
    # one draw over all (top, left) pairs: uniform on the pairs, and half the cost of two draws
    top, left = divmod(int(backend.generator().integers(0, (h - th + 1) * (w - tw + 1))), w - tw + 1)
    return top, left


class Lambda(Transform):
    """A user function as a transform (item by item only: it has no batched form)."""

    batchable = False
    random = True  # unknown: it may draw random numbers itself

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def forward(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


__all__ = ["CenterCrop", "Compose", "ConvertImageDtype", "Lambda", "ModuleTransform", "Normalize", "Pad", "PILToTensor",
           "Resize", "ToPILImage", "ToTensor", "Transform"]
