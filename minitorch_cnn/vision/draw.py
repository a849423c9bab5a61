"""torchvision.utils' drawing: boxes, segmentation masks and keypoints on a (C, H, W) image, uint8 or float in
[0, 1]. Boxes and keypoints are drawn by Pillow's ImageDraw exactly as torchvision draws them (so the pixels, label
text included, are Pillow's); masks are blended in the image's dtype: out = image·(1 - α) + painted·α, truncated
back to the input dtype, with pixels under two or more masks painted black.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .io import _pil
from .transforms.dtype import to_dtype_image

Color = str | tuple[int, int, int]


def _pil_draw() -> Any:
    """PIL with ImageColor, ImageDraw and ImageFont loaded (the clear install error of ``io._pil`` without it)."""
    pil = _pil()
    import PIL.ImageColor  # noqa: F401 - loads the submodules onto the package
    import PIL.ImageDraw  # noqa: F401
    import PIL.ImageFont  # noqa: F401

    return pil


def _palette(num_objects: int) -> list[tuple[int, ...]]:
    palette = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1], dtype=np.int64)
    return [tuple(int(v) for v in (i * palette) % 255) for i in range(num_objects)]


def _parse_colors(colors: Color | list[Color] | None, num_objects: int, floating: bool = False) -> list[tuple]:
    """One RGB tuple per object from None (torchvision's palette), one color, or a list of colors (names or tuples);
    in [0, 1] for float images."""
    palette = colors is None
    if palette:
        colors = _palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"Number of colors must be equal or larger than the number of objects, but got "
                             f"{len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got {colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got {colors}.")
    else:
        colors = [colors] * num_objects
    parsed = [_pil_draw().ImageColor.getrgb(c) if isinstance(c, str) else c for c in colors]
    if not floating:
        return parsed
    if palette:  # torchvision's palette holds int64 tensors, and int64 tensor / 255 is a float32 division
        return [tuple(float(np.float32(v) / np.float32(255)) for v in c) for c in parsed]
    return [tuple(v / 255 for v in c) for c in parsed]


def _check_image(image: Any, rgb_only: bool) -> None:
    if not isinstance(image, Tensor):
        raise TypeError(f"The image must be a tensor, got {type(image)}")
    if not (image.dtype == np.uint8 or image.dtype.kind == "f"):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.ndim != 3:
        raise ValueError("Pass individual images, not batches")
    if rgb_only and image.shape[0] != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")
    if not rgb_only and image.shape[0] not in (1, 3):
        raise ValueError("Only grayscale and RGB images are supported")


def _to_pil(image: Tensor) -> Any:
    """A uint8 (3, H, W) image (float ones scaled as torchvision's ``to_dtype``) as a PIL RGB image."""
    arr = to_dtype_image(image, np.uint8, scale=True)._data if image.dtype.kind == "f" else image._data
    return _pil().Image.fromarray(np.ascontiguousarray(backend.move_to(arr, "cpu").transpose(1, 2, 0)))


def _from_pil(img: Any, like: Tensor) -> Tensor:
    out = Tensor._wrap(backend.move_to(np.array(img).transpose(2, 0, 1).copy(), like.device))
    return to_dtype_image(out, like.dtype, scale=True) if like.dtype.kind == "f" else out


def _dashed_line(draw: Any, xy: list[tuple], fill: Any, width: int, dash_length: float = 5,
                 space_length: float = 5) -> None:
    """A polyline drawn as dashes of ``dash_length`` separated by gaps of ``space_length`` (torchvision's)."""
    current_dash = True
    for (x1, y1), (x2, y2) in zip(xy[:-1], xy[1:], strict=True):
        segment_length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        while segment_length > 0:
            step = min(segment_length, dash_length if current_dash else space_length)
            angle = math.atan2(y2 - y1, x2 - x1)
            end_x, end_y = x1 + math.cos(angle) * step, y1 + math.sin(angle) * step
            if current_dash:
                draw.line([(x1, y1), (end_x, end_y)], fill, width, None)
            segment_length -= step
            x1, y1 = end_x, end_y
            current_dash = not current_dash


def _oriented_rectangle(draw: Any, xy: list[int], fill: Any, outline: Any, width: int) -> None:
    """A rotated box (x1, y1, ..., x4, y4): its first edge dashed (marking the orientation), the others solid,
    then filled (torchvision's ``_ImageDrawTV.oriented_rectangle``)."""
    _dashed_line(draw, [(xy[0], xy[1]), (xy[2], xy[3])], fill=outline, width=width)
    for i in range(2, len(xy), 2):
        draw.line(((xy[i], xy[i + 1]), (xy[(i + 2) % len(xy)], xy[(i + 3) % len(xy)])), width=width, fill=outline)
    draw.polygon(xy, fill=fill, outline=None, width=0)


def draw_bounding_boxes(image: Tensor, boxes: Tensor, labels: list[str] | None = None,
                        colors: Color | list[Color] | None = None, fill: bool | None = False, width: int = 1,
                        font: str | None = None, font_size: int | None = None,
                        label_colors: Color | list[Color] | None = None,
                        label_background_colors: Color | list[Color] | None = None,
                        fill_labels: bool = False) -> Tensor:
    """xyxy ``boxes`` (N, 4), or rotated ones (N, 8) as four corners (first edge dashed), outlined (and with
    ``fill`` shaded, alpha 100) on ``image`` (1 or 3, H, W), each with its optional label written inside the first
    corner in Pillow's default font (or the TrueType ``font``)."""
    _check_image(image, rgb_only=False)
    b = backend.move_to(boxes._data, "cpu")
    if b.shape[-1] == 4 and ((b[:, 0] > b[:, 2]).any() or (b[:, 1] > b[:, 3]).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use torchvision.ops.box_convert to "
                         "convert them")
    num_boxes = b.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. Please specify labels "
                         f"for each box.")
    box_colors = _parse_colors(colors, num_boxes)
    text_colors = (_parse_colors(label_colors if label_colors else "black", num_boxes)
                   if label_colors or fill_labels else list(box_colors))
    bg_colors = (_parse_colors(label_background_colors, num_boxes) if fill_labels and label_background_colors
                 else list(box_colors))
    pil = _pil_draw()
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.", stacklevel=2)
        txt_font = pil.ImageFont.load_default()
    else:
        txt_font = pil.ImageFont.truetype(font=font, size=font_size or 10)
    rgb = image if image.shape[0] == 3 else Tensor._wrap(image._data.repeat(3, axis=0))
    img = _to_pil(rgb)
    draw = pil.ImageDraw.Draw(img, "RGBA") if fill else pil.ImageDraw.Draw(img)
    for bbox, color, label, text_color, bg_color in zip(b.astype(np.int64).tolist(), box_colors, labels,
                                                        text_colors, bg_colors, strict=True):
        if len(bbox) > 4:
            _oriented_rectangle(draw, bbox, width=width, outline=color, fill=color + (100,) if fill else None)
        else:
            draw.rectangle(bbox, width=width, outline=color, fill=color + (100,) if fill else None)
        if label is not None:
            margin = width + 1
            if fill_labels:
                left, top, right, bottom = draw.textbbox((bbox[0] + margin, bbox[1] + margin), label, font=txt_font)
                draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=bg_color)
            draw.text((bbox[0] + margin, bbox[1] + margin), label, fill=text_color, font=txt_font)
    return _from_pil(img, image)


def draw_segmentation_masks(image: Tensor, masks: Tensor, alpha: float = 0.8,
                            colors: Color | list[Color] | None = None) -> Tensor:
    """Boolean ``masks`` (K, H, W) or (H, W) painted over the RGB ``image`` (3, H, W) with opacity ``alpha``."""
    _check_image(image, rgb_only=True)
    m = masks._data
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if m.dtype != np.bool_:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if tuple(m.shape[-2:]) != tuple(image.shape[-2:]):
        raise ValueError("The image and the masks must have the same height and width")
    if m.shape[0] == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image
    x = image._data
    xp = backend.array_module(x)
    floating = x.dtype.kind == "f"
    painted = x.copy()
    for mask, color in zip(m, _parse_colors(colors, m.shape[0], floating), strict=False):
        painted[:, mask] = xp.asarray(color, dtype=x.dtype)[:, None]
    painted[:, m.sum(axis=0) > 1] = 0
    work = x.dtype if floating else np.dtype(np.float32)  # uint8 · python float computes in float32, as torch
    out = x.astype(work) * work.type(1 - alpha) + painted.astype(work) * work.type(alpha)
    return Tensor._wrap(out.astype(x.dtype))


def draw_keypoints(image: Tensor, keypoints: Tensor, connectivity: list[tuple[int, int]] | None = None,
                   colors: Color | None = None, radius: int = 2, width: int = 3,
                   visibility: Tensor | None = None) -> Tensor:
    """Keypoints (N, K, 2) of N instances drawn as discs of ``radius`` on the RGB ``image`` (3, H, W), pairs in
    ``connectivity`` joined by lines of ``width``; invisible points (``visibility`` (N, K) False) and their lines
    are skipped."""
    _check_image(image, rgb_only=True)
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    vis = (np.ones(tuple(keypoints.shape[:-1]), dtype=bool) if visibility is None
           else backend.move_to(visibility._data, "cpu"))
    if vis.ndim == 3 and vis.shape[-1] == 1:
        vis = vis[..., 0]
    if vis.ndim != 2:
        raise ValueError(f"visibility must be of shape (num_instances, K). Got ndim={vis.ndim}")
    if tuple(vis.shape) != tuple(keypoints.shape[:-1]):
        raise ValueError(f"keypoints and visibility must have the same dimensionality for num_instances and K. Got "
                         f"visibility.shape={tuple(vis.shape)} and keypoints.shape={tuple(keypoints.shape)}")
    img = _to_pil(image)
    draw = _pil_draw().ImageDraw.Draw(img)
    for kpts, shown in zip(backend.move_to(keypoints._data, "cpu").astype(np.int64).tolist(),
                           vis.astype(bool).tolist(), strict=True):
        for (x, y), on in zip(kpts, shown, strict=True):
            if on:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors, outline=None, width=0)
        for a, b in connectivity or []:
            if shown[a] and shown[b]:
                draw.line(((kpts[a][0], kpts[a][1]), (kpts[b][0], kpts[b][1])), width=width)
    return _from_pil(img, image)


def _make_colorwheel() -> np.ndarray:
    """The 55 × 3 float32 optical-flow colour wheel of Baker et al. (2007), as torchvision builds it: red ->
    yellow -> green -> cyan -> blue -> magenta -> red in steps of 15, 6, 4, 11, 13 and 6."""
    steps = [(15, 0, 1, False), (6, 1, 0, True), (4, 1, 2, False), (11, 2, 1, True), (13, 2, 0, False),
             (6, 0, 2, True)]
    wheel = np.zeros((sum(s[0] for s in steps), 3), dtype=np.float32)
    col = 0
    for n, full, ramp, down in steps:
        frac = np.floor(np.float32(255) * np.arange(n).astype(np.float32) / np.float32(n))  # int64·255 / n in float32
        wheel[col:col + n, full] = 255
        wheel[col:col + n, ramp] = 255 - frac if down else frac
        col += n
    return wheel


def flow_to_image(flow: Tensor) -> Tensor:
    """Optical flow (2, H, W) or (N, 2, H, W), float32, as a uint8 RGB image (3, H, W) / (N, 3, H, W): the
    direction picks the hue on the colour wheel, the length (over the largest one) the saturation."""
    x = flow._data
    if x.dtype != np.float32:
        raise ValueError(f"Flow should be of dtype torch.float, got {flow.dtype}.")
    orig_shape = tuple(x.shape)
    xp = backend.array_module(x)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[1] != 2:
        raise ValueError(f"Input flow should have shape (2, H, W) or (N, 2, H, W), got {orig_shape}.")
    max_norm = xp.sqrt((x ** 2).sum(axis=1)).max()
    x = x / (max_norm + np.finfo(np.float32).eps)
    wheel = xp.asarray(_make_colorwheel())
    num_cols = wheel.shape[0]
    norm = xp.sqrt((x ** 2).sum(axis=1))
    a = xp.arctan2(-x[:, 1], -x[:, 0]) / np.float32(np.pi)
    fk = (a + 1) / 2 * (num_cols - 1)
    k0 = xp.floor(fk).astype(np.int64)
    k1 = k0 + 1
    k1[k1 == num_cols] = 0
    f = fk - k0.astype(np.float32)
    img = xp.zeros((x.shape[0], 3, *x.shape[2:]), dtype=np.uint8)
    for c in range(3):
        col = (1 - f) * (wheel[k0, c] / np.float32(255.0)) + f * (wheel[k1, c] / np.float32(255.0))
        img[:, c] = xp.floor(255 * (1 - norm * (1 - col))).astype(np.uint8)
    return Tensor._wrap(img[0] if len(orig_shape) == 3 else img)
