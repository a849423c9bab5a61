"""Rotations and affine warps, as torchvision's tensor kernels: ``rotate``, ``affine``, ``RandomRotation``,
``RandomAffine``.

The warp (torchvision's ``_get_inverse_affine_matrix``, ``_affine_grid``, ``_apply_grid_transform``): the inverse
map M (output pixel -> input pixel, centre-relative, rotation R(angle) with shear, scale and translation) is applied
to the centred grid of output pixel centres, normalised by half the input size, and the input sampled there by
``F.grid_sample(align_corners=False, padding_mode="zeros")`` (nearest or bilinear). A ``fill`` is put where the
warp left the image, via a ones channel warped alongside (nearest: mask < 0.5 takes fill; bilinear:
mask (img - fill) + fill). Integer images are warped in float32 and rounded back. All arithmetic is in the
image's float dtype (float32 for integers).

The arrays standing in for PIL images (and PIL images) are warped by Pillow (imported lazily), as torchvision
warps PIL images: ``Image.rotate`` / ``Image.transform(AFFINE)`` with the matrix about (W/2, H/2) and the fill
given per band; Pillow's rounding and bilinear resampling are its own (they differ from the tensor kernel at a
small share of pixels for nearest, at most for bilinear), so arrays get exactly what torchvision gives the PIL image.
Random parameters are drawn from the global generator, as float32 uniforms like torchvision's.
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from ...ops.grid_sample import grid_sample
from .base import Transform
from .pil import from_pil


class InterpolationMode(enum.Enum):
    """torchvision's interpolation names (the warps here take NEAREST and BILINEAR)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _mode(interpolation: Any) -> str:
    mode = getattr(interpolation, "value", interpolation)
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    return mode


def inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float], scale: float,
                          shear: Sequence[float]) -> list[float]:
    """The 2×3 map from output to input pixel coordinates (centre-relative): (RSS)⁻¹ about the centre, after
    undoing the translation; RSS = rotation by ``angle`` degrees with shear (sx, sy) degrees, scaled."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _expanded_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """(w, h) of the output holding the whole warped image (``expand=True``), as torchvision computes it, in
    float32, with the corners' coordinates cut to 1e-4 before rounding outwards."""
    half_w, half_h = 0.5 * w, 0.5 * h
    pts = np.array([[-half_w, -half_h, 1.0], [-half_w, half_h, 1.0], [half_w, half_h, 1.0],
                    [half_w, -half_h, 1.0]], dtype=np.float32)
    new = pts @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    halfs = np.array([half_w, half_h], dtype=np.float32)
    lo, hi = new.min(axis=0) + halfs, new.max(axis=0) + halfs
    tol = np.float32(1e-4)
    inv = np.float32(1.0 / 1e-4)
    cmax = np.ceil(np.trunc(hi * inv) * tol)
    cmin = np.floor(np.trunc(lo * inv) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def _grid(matrix: list[float], dtype: np.dtype, w: int, h: int, ow: int, oh: int) -> tuple[np.ndarray, np.ndarray]:
    """The normalised sampling grid (x, y), each (oh, ow): centred output pixel centres through ``matrix``,
    divided by (w/2, h/2)."""
    t = dtype.type
    theta = np.asarray(matrix, dtype=dtype).reshape(2, 3)
    xs = np.linspace((1.0 - ow) * 0.5, (ow - 1.0) * 0.5, ow).astype(dtype)
    ys = np.linspace((1.0 - oh) * 0.5, (oh - 1.0) * 0.5, oh).astype(dtype)
    base = np.empty((oh, ow, 3), dtype=dtype)
    base[..., 0], base[..., 1], base[..., 2] = xs[None, :], ys[:, None], 1
    out = base.reshape(-1, 3) @ (theta.T / np.array([t(0.5 * w), t(0.5 * h)], dtype=dtype))
    return out[:, 0].reshape(oh, ow), out[:, 1].reshape(oh, ow)


def _sample(x: np.ndarray, gx: np.ndarray, gy: np.ndarray, mode: str) -> np.ndarray:
    """grid_sample(x (N, C, H, W), grid, align_corners=False, padding_mode="zeros") -> (N, C, oh, ow): the op."""
    grid = np.broadcast_to(np.stack([gx, gy], axis=-1)[None], (x.shape[0],) + gx.shape + (2,))
    return grid_sample(Tensor._wrap(np.ascontiguousarray(x)), Tensor._wrap(np.ascontiguousarray(grid)), mode=mode,
                       padding_mode="zeros", align_corners=False)._data


def _pil_warp(image: Any, how: str, mode: str, fill: Any, **kwargs: Any) -> np.ndarray:
    """An (H, W[, C]) array (or PIL image) warped by Pillow as torchvision warps a PIL image; the array back."""
    from ..io import _pil

    pil = _pil()
    arr = from_pil(image)
    if not isinstance(arr, np.ndarray) or arr.ndim not in (2, 3):
        raise TypeError(f"expected a (..., C, H, W) Tensor or an (H, W[, C]) array image, got {type(image)}")
    img = pil.Image.fromarray(arr)
    bands = len(img.getbands())
    fill = 0 if fill is None else fill
    if isinstance(fill, (int, float)) and bands > 1:
        fill = (fill,) * bands
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * bands
        elif len(fill) != bands:
            raise ValueError(f"The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {bands})")
    if img.mode != "F":
        fill = tuple(int(v) for v in fill) if isinstance(fill, (list, tuple)) else int(fill)
    resample = pil.Image.NEAREST if mode == "nearest" else pil.Image.BILINEAR
    if how == "rotate":
        out = img.rotate(kwargs["angle"], resample, kwargs["expand"], kwargs["center"], fillcolor=fill)
    else:
        out = img.transform(img.size, pil.Image.AFFINE, kwargs["matrix"], resample, fillcolor=fill)
    return np.asarray(out)


def _warp(image: Tensor, matrix: list[float], mode: str, fill: Any, size: tuple[int, int] | None = None) -> Tensor:
    """A (..., C, H, W) Tensor image warped by ``matrix`` to ``size`` = (ow, oh)."""
    if image.ndim < 3:
        raise ValueError(f"a Tensor image must be (..., C, H, W), got shape {tuple(image.shape)}")
    x = np.asarray(image._data)
    shape = x.shape
    c, h, w = shape[-3:]
    ow, oh = size if size is not None else (w, h)
    fp = x.dtype.kind == "f"
    dtype = x.dtype if fp else np.dtype(np.float32)
    flat = x.reshape(-1, c, h, w).astype(dtype, copy=False)
    if fill is not None:
        flat = np.concatenate([flat, np.ones((flat.shape[0], 1, h, w), dtype=dtype)], axis=1)
    gx, gy = _grid(matrix, dtype, w, h, ow, oh)
    out = _sample(flat, gx, gy, mode)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:]
        fills = np.asarray(fill if isinstance(fill, (tuple, list)) else [float(fill)], dtype=dtype).reshape(1, -1,
                                                                                                              1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, np.broadcast_to(fills, out.shape), out)
        else:
            out = (out - fills) * mask + fills
    if not fp:
        out = np.round(out).astype(x.dtype)
    return Tensor._wrap(out.reshape(shape[:-3] + (c, oh, ow)))


def _center(center: Sequence[float] | None, w: int, h: int) -> list[float]:
    return [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h))]


def _hw(image: Any) -> tuple[int, int]:
    arr = from_pil(image)
    return tuple(arr.shape[-2:]) if isinstance(arr, Tensor) else tuple(arr.shape[:2])


def rotate(img: Any, angle: float, interpolation: Any = "nearest", expand: bool = False,
           center: Sequence[float] | None = None, fill: Any = None) -> Any:
    """``img`` rotated counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre), v1's
    kernel (always the warp)."""
    mode = _mode(interpolation)
    if not isinstance(img, Tensor):
        return _pil_warp(img, "rotate", mode, fill, angle=angle, expand=expand, center=center)
    h, w = _hw(img)
    matrix = inverse_affine_matrix(_center(center, w, h), -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    size = _expanded_size(matrix, w, h) if expand else None
    return _warp(img, matrix, mode, fill, size)


def rotate_v2(img: Any, angle: float, interpolation: Any = "nearest", expand: bool = False,
              center: Sequence[float] | None = None, fill: Any = None) -> Any:
    """v2's ``rotate``: about the centre, multiples of 90 degrees are exact transposes (90 and 270 only for a
    square image or with ``expand``), as torchvision's fast path; otherwise v1's warp."""
    angle = angle % 360
    if center is None and isinstance(img, Tensor):
        turns = {0: 0, 180: 2} | ({90: 1, 270: 3} if expand or img.shape[-1] == img.shape[-2] else {})
        if angle in turns:
            return Tensor._wrap(np.ascontiguousarray(np.rot90(np.asarray(img._data), turns[angle], axes=(-2, -1))))
    return rotate(img, angle, interpolation, expand, center, fill)


def _parse_shear(shear: Any) -> list[float]:
    if isinstance(shear, numbers.Number):
        return [float(shear), 0.0]
    shear = [float(s) for s in shear]
    if len(shear) == 1:
        return [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    return shear


def affine(img: Any, angle: float, translate: Sequence[float], scale: float, shear: Any,
           interpolation: Any = "nearest", fill: Any = None, center: Sequence[float] | None = None) -> Any:
    """``img`` rotated by ``angle``, translated by ``translate`` pixels, scaled and sheared (degrees), about
    ``center``; the output keeps the input size."""
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    mode = _mode(interpolation)
    h, w = _hw(img)
    if not isinstance(img, Tensor):  # Pillow's matrix is about (W/2, H/2) in pixels, torchvision's PIL rule
        centre = [w * 0.5, h * 0.5] if center is None else list(center)
        matrix = inverse_affine_matrix(centre, float(angle), [float(t) for t in translate], scale,
                                       _parse_shear(shear))
        return _pil_warp(img, "affine", mode, fill, matrix=matrix)
    matrix = inverse_affine_matrix(_center(center, w, h), float(angle), [float(t) for t in translate], scale,
                                   _parse_shear(shear))
    return _warp(img, matrix, mode, fill)


def _f32_uniform(gen: Any, low: float, high: float) -> float:
    return float(np.float32(gen.uniform(low, high)))


def _setup_angle(x: Any, name: str, req_sizes: tuple = (2,)) -> list[float]:
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return [-float(x), float(x)]
    if not isinstance(x, Sequence) or len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {' or '.join(str(s) for s in req_sizes)}.")
    return [float(d) for d in x]


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` ((-d, d) for a number)."""

    random = True

    def __init__(self, degrees: Any, interpolation: Any = InterpolationMode.NEAREST, expand: bool = False,
                 center: Sequence[float] | None = None, fill: Any = 0) -> None:
        self.degrees = _setup_angle(degrees, "degrees")
        self.interpolation, self.expand, self.center, self.fill = interpolation, expand, center, fill
        _mode(interpolation)
        if center is not None and len(center) != 2:
            raise ValueError("center should be a sequence of length 2.")

    def draw(self, dims: tuple) -> float:
        return _f32_uniform(backend.generator(), self.degrees[0], self.degrees[1])

    def make_params(self, flat_inputs: list) -> dict:
        return {"angle": self.draw(())}

    def apply(self, img: Any, angle: float) -> Any:
        return rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def transform(self, inpt: Any, params: dict) -> Any:
        return self.apply(inpt, params["angle"])

    def __call__(self, img: Any) -> Any:
        return self.apply(img, self.draw(()))

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return (f"RandomRotation(degrees={self.degrees}, interpolation={mode}, expand={self.expand}, "
                f"fill={self.fill})")


class RandomAffine(Transform):
    """Rotation from ``degrees``, translation up to ``translate`` × (W, H) pixels (rounded), scale from ``scale``,
    shear from ``shear`` (x only for two values, x and y for four), each drawn uniformly."""

    random = True

    def __init__(self, degrees: Any, translate: Sequence[float] | None = None, scale: Sequence[float] | None = None,
                 shear: Any = None, interpolation: Any = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Sequence[float] | None = None) -> None:
        self.degrees = _setup_angle(degrees, "degrees")
        if translate is not None:
            if len(translate) != 2:
                raise ValueError("translate should be a sequence of length 2.")
            if any(not 0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            if len(scale) != 2:
                raise ValueError("scale should be a sequence of length 2.")
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.translate, self.scale = translate, scale
        self.shear = _setup_angle(shear, "shear", (2, 4)) if shear is not None else None
        self.interpolation, self.fill, self.center = interpolation, fill, center
        _mode(interpolation)

    def draw(self, dims: tuple) -> dict:
        gen = backend.generator()
        height, width = dims[-2:]
        angle = _f32_uniform(gen, self.degrees[0], self.degrees[1])
        translate = (0, 0)
        if self.translate is not None:
            max_dx, max_dy = float(self.translate[0] * width), float(self.translate[1] * height)
            translate = (int(round(_f32_uniform(gen, -max_dx, max_dx))), int(round(_f32_uniform(gen, -max_dy,
                                                                                                 max_dy))))
        scale = _f32_uniform(gen, self.scale[0], self.scale[1]) if self.scale is not None else 1.0
        shear = [0.0, 0.0]
        if self.shear is not None:
            shear[0] = _f32_uniform(gen, self.shear[0], self.shear[1])
            if len(self.shear) == 4:
                shear[1] = _f32_uniform(gen, self.shear[2], self.shear[3])
        return {"angle": angle, "translate": translate, "scale": scale, "shear": tuple(shear)}

    def make_params(self, flat_inputs: list) -> dict:
        return self.draw(_hw(flat_inputs[0]))

    def apply(self, img: Any, params: dict) -> Any:
        return affine(img, params["angle"], list(params["translate"]), params["scale"], list(params["shear"]),
                      self.interpolation, self.fill, self.center)

    def transform(self, inpt: Any, params: dict) -> Any:
        return self.apply(inpt, params)

    def __call__(self, img: Any) -> Any:
        return self.apply(img, self.draw(_hw(img)))

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return (f"RandomAffine(degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"shear={self.shear}, interpolation={mode}, fill={self.fill})")
