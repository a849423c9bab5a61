"""The warps behind ``rotate``, ``affine`` and ``perspective``, as torchvision's tensor kernels.

The warp (torchvision's ``_get_inverse_affine_matrix``, ``_affine_grid``, ``_apply_grid_transform``): the inverse
map M (output pixel -> input pixel, centre-relative, rotation R(angle) with shear, scale and translation) is applied
to the centred grid of output pixel centres, normalised by half the input size, and the input sampled there by
``F.grid_sample(align_corners=False, padding_mode="zeros")`` (nearest or bilinear). A ``fill`` is put where the
warp left the image, via a ones channel warped alongside (nearest: mask < 0.5 takes fill; bilinear: v1's
img·mask + (1 - mask)·fill, v2's (img - fill)·mask + fill, which round differently). Integer images are warped in
float32 and rounded back. All arithmetic is in the image's float dtype (float32 for integers).

perspective: the 8 coefficients c solve (least squares, float64, rounded to float32) the map from the end corners
to the start corners; output pixel centre (x, y) samples the input at
((c0 x + c1 y + c2) / (c6 x + c7 y + 1), (c3 x + c4 y + c5) / (c6 x + c7 y + 1)), normalised by half the size.

The arrays standing in for PIL images (and PIL images) are warped by Pillow (imported lazily), as torchvision
warps PIL images: ``Image.rotate`` / ``Image.transform(AFFINE | PERSPECTIVE)`` with the matrix about (W/2, H/2)
and the fill given per band; Pillow's rounding and bilinear resampling are its own (they differ from the tensor
kernel at a small share of pixels for nearest, at most for bilinear), so arrays get exactly what torchvision gives
the PIL image.
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...autograd import Tensor
from ...ops.factories import torch_linspace
from ...ops.grid_sample import grid_sample
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
        kind = pil.Image.AFFINE if how == "affine" else pil.Image.PERSPECTIVE
        out = img.transform(img.size, kind, kwargs["matrix"], resample, fillcolor=fill)
    return np.asarray(out)


def _warp_grid(image: Tensor, gx: np.ndarray, gy: np.ndarray, mode: str, fill: Any, v1: bool) -> Tensor:
    """A (..., C, H, W) Tensor image sampled at the normalised grid (gx, gy), each (oh, ow), with ``fill`` put
    where the grid left the image (v1's bilinear blend img·mask + (1 - mask)·fill, or v2's (img - fill)·mask + fill)."""
    if image.ndim < 3:
        raise ValueError(f"a Tensor image must be (..., C, H, W), got shape {tuple(image.shape)}")
    x = np.asarray(image._data)
    shape = x.shape
    c, h, w = shape[-3:]
    oh, ow = gx.shape
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != c:
        raise ValueError(f"The number of elements in 'fill' cannot broadcast to match the number of channels of the "
                         f"image ({len(fill)} != {c})")
    fp = x.dtype.kind == "f"
    dtype = x.dtype if fp else np.dtype(np.float32)
    flat = x.reshape(-1, c, h, w).astype(dtype, copy=False)
    if fill is not None:
        flat = np.concatenate([flat, np.ones((flat.shape[0], 1, h, w), dtype=dtype)], axis=1)
    out = _sample(flat, gx.astype(dtype, copy=False), gy.astype(dtype, copy=False), mode)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:]
        fills = np.asarray(fill if isinstance(fill, (tuple, list)) else [float(fill)], dtype=dtype).reshape(1, -1,
                                                                                                              1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, np.broadcast_to(fills, out.shape), out)
        elif v1:
            out = out * mask + (dtype.type(1.0) - mask) * fills
        else:
            out = (out - fills) * mask + fills
    if not fp:
        out = np.round(out).astype(x.dtype)
    return Tensor._wrap(out.reshape(shape[:-3] + (c, oh, ow)))


def _warp(image: Tensor, matrix: list[float], mode: str, fill: Any, size: tuple[int, int] | None = None,
          v1: bool = False) -> Tensor:
    """A (..., C, H, W) Tensor image warped by ``matrix`` to ``size`` = (ow, oh)."""
    h, w = image.shape[-2:]
    ow, oh = size if size is not None else (w, h)
    dtype = image._data.dtype if image._data.dtype.kind == "f" else np.dtype(np.float32)
    return _warp_grid(image, *_grid(matrix, dtype, w, h, ow, oh), mode, fill, v1)


def _center(center: Sequence[float] | None, w: int, h: int) -> list[float]:
    return [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h))]


def _hw(image: Any) -> tuple[int, int]:
    arr = from_pil(image)
    return tuple(arr.shape[-2:]) if isinstance(arr, Tensor) else tuple(arr.shape[:2])


def _rotate(img: Any, angle: float, interpolation: Any, expand: bool, center: Sequence[float] | None, fill: Any,
            v1: bool) -> Any:
    """``img`` rotated counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre), v1's
    kernel (always the warp; ``v1=False``: v2's fill blend)."""
    mode = _mode(interpolation)
    if not isinstance(img, Tensor):
        return _pil_warp(img, "rotate", mode, fill, angle=angle, expand=expand, center=center)
    h, w = _hw(img)
    matrix = inverse_affine_matrix(_center(center, w, h), -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    size = _expanded_size(matrix, w, h) if expand else None
    return _warp(img, matrix, mode, fill, size, v1)


def rotate(img: Any, angle: float, interpolation: Any = "nearest", expand: bool = False,
           center: Sequence[float] | None = None, fill: Any = None) -> Any:
    """v1's ``rotate``: counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre)."""
    return _rotate(img, angle, interpolation, expand, center, fill, v1=True)


def rotate_v2(img: Any, angle: float, interpolation: Any = "nearest", expand: bool = False,
              center: Sequence[float] | None = None, fill: Any = None) -> Any:
    """v2's ``rotate``: about the centre, multiples of 90 degrees are exact transposes (90 and 270 only for a
    square image or with ``expand``), as torchvision's fast path; otherwise v1's warp."""
    angle = angle % 360
    if center is None and isinstance(img, Tensor):
        turns = {0: 0, 180: 2} | ({90: 1, 270: 3} if expand or img.shape[-1] == img.shape[-2] else {})
        if angle in turns:
            return Tensor._wrap(np.ascontiguousarray(np.rot90(np.asarray(img._data), turns[angle], axes=(-2, -1))))
    return _rotate(img, angle, interpolation, expand, center, fill, v1=False)


def _parse_shear(shear: Any) -> list[float]:
    if isinstance(shear, numbers.Number):
        return [float(shear), 0.0]
    shear = [float(s) for s in shear]
    if len(shear) == 1:
        return [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    return shear


def _affine(img: Any, angle: float, translate: Sequence[float], scale: float, shear: Any, interpolation: Any,
            fill: Any, center: Sequence[float] | None, v1: bool) -> Any:
    """``img`` rotated by ``angle``, translated by ``translate`` pixels, scaled and sheared (degrees), about
    ``center``; the output keeps the input size (``v1=False``: v2's fill blend)."""
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
    return _warp(img, matrix, mode, fill, v1=v1)


def affine(img: Any, angle: float, translate: Sequence[float], scale: float, shear: Any,
           interpolation: Any = "nearest", fill: Any = None, center: Sequence[float] | None = None) -> Any:
    """v1's ``affine``: rotation by ``angle``, translation by ``translate`` pixels, ``scale`` and ``shear``."""
    return _affine(img, angle, translate, scale, shear, interpolation, fill, center, v1=True)


def affine_v2(img: Any, angle: float, translate: Sequence[float], scale: float, shear: Any,
              interpolation: Any = "nearest", fill: Any = None, center: Sequence[float] | None = None) -> Any:
    """v2's ``affine``: v1's warp with v2's bilinear fill blend."""
    return _affine(img, angle, translate, scale, shear, interpolation, fill, center, v1=False)


def perspective_coeffs(startpoints: Sequence[Sequence[float]], endpoints: Sequence[Sequence[float]]) -> list[float]:
    """The 8 coefficients of the map from output (end) points to input (start) points, least squares in float64
    rounded to float32, as torchvision's ``_get_perspective_coeffs``."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
                         f"{len(endpoints)} endpoints.")
    a = np.zeros((8, 8), dtype=np.float64)
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a[2 * i + 1] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b = np.asarray(startpoints, dtype=np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].astype(np.float32).tolist()


def perspective(img: Any, startpoints: Sequence[Sequence[int]], endpoints: Sequence[Sequence[int]],
                interpolation: Any = "bilinear", fill: Any = None) -> Any:
    """v1's ``perspective``: ``img`` warped so that ``startpoints`` (four corners [x, y]) land on ``endpoints``."""
    return _perspective(img, perspective_coeffs(startpoints, endpoints), interpolation, fill, v1=True)


def perspective_v2(img: Any, startpoints: Sequence[Sequence[int]] | None, endpoints: Sequence[Sequence[int]] | None,
                   interpolation: Any = "bilinear", fill: Any = None,
                   coefficients: Sequence[float] | None = None) -> Any:
    """v2's ``perspective``: as v1's (or by the 8 ``coefficients`` themselves), with v2's fill blend."""
    if coefficients is not None:
        if startpoints is not None and endpoints is not None:
            raise ValueError("The startpoints/endpoints and the coefficients shouldn't be defined concurrently.")
        if len(coefficients) != 8:
            raise ValueError("Argument coefficients should have 8 float values")
        coeffs = list(coefficients)
    elif startpoints is not None and endpoints is not None:
        coeffs = perspective_coeffs(startpoints, endpoints)
    else:
        raise ValueError("Either the startpoints/endpoints or the coefficients must have non `None` values.")
    return _perspective(img, coeffs, interpolation, fill, v1=False)


def _perspective(img: Any, coeffs: list[float], interpolation: Any, fill: Any, v1: bool) -> Any:
    """Output pixel centre (x, y) samples the input at ((c0 x + c1 y + c2) / (c6 x + c7 y + 1),
    (c3 x + c4 y + c5) / (c6 x + c7 y + 1)), normalised by half the size."""
    mode = _mode(interpolation)
    if not isinstance(img, Tensor):
        return _pil_warp(img, "perspective", mode, fill, matrix=coeffs)
    h, w = img.shape[-2:]
    dtype = img._data.dtype if img._data.dtype.kind == "f" else np.dtype(np.float32)
    t = dtype.type
    base = np.empty((h * w, 3), dtype=dtype)
    base[:, 0] = np.tile(np.arange(w, dtype=dtype) + t(0.5), h)
    base[:, 1] = np.repeat(np.arange(h, dtype=dtype) + t(0.5), w)
    base[:, 2] = 1
    theta1 = np.asarray(coeffs[:6], dtype=dtype).reshape(2, 3).T / np.array([t(0.5 * w), t(0.5 * h)], dtype=dtype)
    theta2 = np.asarray([coeffs[6], coeffs[7], 1.0], dtype=dtype)[:, None]
    grid = (base @ theta1) / (base @ theta2) - t(1.0)
    return _warp_grid(img, grid[:, 0].reshape(h, w), grid[:, 1].reshape(h, w), mode, fill, v1)


def _elastic_tensor(img: Tensor, displacement: Tensor, interpolation: Any, fill: Any, v1: bool) -> Tensor:
    """``img`` sampled at the identity grid (pixel centres, normalised to (-1, 1)) plus ``displacement`` (1, H, W, 2):
    v1 adds float32's identity to the displacement in their promoted dtype and warps the image in that dtype; v2
    builds the identity in the image's float dtype (float32 for integers) and adds the displacement cast to it."""
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    mode = _mode(interpolation)
    h, w = img.shape[-2:]
    if tuple(displacement.shape) != (1, h, w, 2):
        raise ValueError(f"Argument displacement shape should be {(1, h, w, 2)}, but given {tuple(displacement.shape)}")
    x, d = img._data, np.asarray(displacement._data)
    image_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    base = np.dtype(np.float32) if v1 else image_dtype
    dtype = np.result_type(base, d.dtype) if v1 else image_dtype
    xs = torch_linspace((1 - w) / w, (w - 1) / w, w, base).astype(dtype)
    ys = torch_linspace((1 - h) / h, (h - 1) / h, h, base).astype(dtype)
    gx = xs[None, :] + d[0, :, :, 0].astype(dtype)
    gy = ys[:, None] + d[0, :, :, 1].astype(dtype)
    if x.dtype == dtype or (x.dtype.kind != "f" and dtype == np.float32):
        return _warp_grid(img, gx, gy, mode, fill, v1)
    out = _warp_grid(Tensor._wrap(x.astype(dtype)), gx, gy, mode, fill, v1)._data
    return Tensor._wrap((out if x.dtype.kind == "f" else np.round(out)).astype(x.dtype))


def _elastic(img: Any, displacement: Tensor, interpolation: Any, fill: Any, v1: bool) -> Any:
    """A Tensor warped as it is; a PIL image (or its array) warped as its (C, H, W) tensor, given back as an array."""
    if isinstance(img, Tensor):
        return _elastic_tensor(img, displacement, interpolation, fill, v1)
    arr = from_pil(img)
    chw = Tensor._wrap(np.ascontiguousarray(np.atleast_3d(arr).transpose(2, 0, 1)))
    out = _elastic_tensor(chw, displacement, interpolation, fill, v1)._data
    return out[0] if arr.ndim == 2 else out.transpose(1, 2, 0)


def elastic_transform(img: Any, displacement: Tensor, interpolation: Any = "bilinear", fill: Any = None) -> Any:
    """v1's ``elastic_transform``: every pixel moved by ``displacement`` (1, H, W, 2), in normalised coordinates
    (x then y)."""
    return _elastic(img, displacement, interpolation, fill, v1=True)


def elastic_v2(img: Any, displacement: Tensor, interpolation: Any = "bilinear", fill: Any = None) -> Any:
    """v2's ``elastic``: v1's with v2's grid dtype and fill blend."""
    return _elastic(img, displacement, interpolation, fill, v1=False)
