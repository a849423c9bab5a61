"""Helpers the torchvision model files share: channel rounding, the usual initialisations, and
``IntermediateLayerGetter`` (a model's children run in order, chosen outputs returned by name)."""

from __future__ import annotations

import math
from collections import OrderedDict

from ... import nn
from ...autograd import Tensor


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never more than 10% below
    ``v`` (torchvision's ``_make_divisible``, from the TensorFlow MobileNet code)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def init_mobile(model: nn.Module, linear_uniform: bool = False) -> None:
    """The MobileNet/EfficientNet family's init: convs Kaiming-normal (fan_out) with zero bias, norms 1 and 0,
    Linear N(0, 0.01) (MobileNets) or U(±1/√out_features) (EfficientNet, ``linear_uniform``) with zero bias."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if linear_uniform:
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
            else:
                nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def build(model_fn: type, weights: object, enum_cls: type, kwargs: dict, *args: object) -> nn.Module:
    """torchvision's builder steps: check ``weights``, drop ``progress``, fix ``num_classes`` to the weights',
    build ``model_fn(*args, **kwargs)`` and load the weights."""
    from ._weights import load_weights, num_classes_for

    weights = enum_cls.verify(weights)
    kwargs.pop("progress", None)  # torchvision's download progress bar: nothing is downloaded here
    num_classes_for(weights, kwargs)
    return load_weights(model_fn(*args, **kwargs), weights)


class IntermediateLayerGetter(nn.ModuleDict):
    """``model``'s direct children up to the last one named in ``return_layers``, run in registration order;
    forward returns an ordered dict {return_layers[name]: output of child ``name``} (torchvision's keys: the
    children keep their names)."""

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        if not set(return_layers).issubset([name for name, _ in model.named_children()]):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        remaining = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            remaining.pop(name, None)
            if not remaining:
                break
        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
