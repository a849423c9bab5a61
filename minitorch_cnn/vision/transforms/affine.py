"""``RandomRotation`` and ``RandomAffine``: their draws (from the global generator, as float32 uniforms like
torchvision's) and the warps of ``warp.py``."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend
from .base import ModuleTransform
from .warp import InterpolationMode, _hw, _mode, affine, rotate


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


class RandomRotation(ModuleTransform):
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

    def apply_one(self, img: Any, angle: float) -> Any:
        return rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def transform(self, inpt: Any, params: dict) -> Any:
        return self.apply_one(inpt, params["angle"])

    def forward(self, img: Any) -> Any:
        return self.apply_one(img, self.draw(()))

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return (f"RandomRotation(degrees={self.degrees}, interpolation={mode}, expand={self.expand}, "
                f"fill={self.fill})")


class RandomAffine(ModuleTransform):
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

    def apply_one(self, img: Any, params: dict) -> Any:
        return affine(img, params["angle"], list(params["translate"]), params["scale"], list(params["shear"]),
                      self.interpolation, self.fill, self.center)

    def transform(self, inpt: Any, params: dict) -> Any:
        return self.apply_one(inpt, params)

    def forward(self, img: Any) -> Any:
        return self.apply_one(img, self.draw(_hw(img)))

    def __repr__(self) -> str:  # v1's: only what differs from the defaults
        mode = getattr(self.interpolation, "value", self.interpolation)
        parts = [f"degrees={self.degrees}"] + [f"{name}={value}" for name, value in (
            ("translate", self.translate), ("scale", self.scale), ("shear", self.shear)) if value is not None]
        parts += [f"interpolation={mode}"] if mode != InterpolationMode.NEAREST.value else []
        parts += [f"fill={self.fill}"] if self.fill != 0 else []
        parts += [f"center={self.center}"] if self.center is not None else []
        return f"{type(self).__name__}({', '.join(parts)})"
