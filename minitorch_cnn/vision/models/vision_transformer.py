"""torchvision's Vision Transformer (Dosovitskiy et al. 2020) with its state_dict keys: ``conv_proj`` (the patch
embedding), ``class_token``, ``encoder.pos_embedding``, ``encoder.layers.encoder_layer_{i}.{ln_1, self_attention,
ln_2, mlp.0, mlp.3}``, ``encoder.ln``, ``heads.head`` (``heads.pre_logits`` with ``representation_size``).

    x (N, 3, S, S) -> conv_proj (kernel = stride = patch) -> (N, (S/p)², D) -> [class token; patches]
    -> + pos_embedding -> dropout -> layers (pre-norm: x + attn(ln_1(x)), then x + mlp(ln_2(x))) -> ln -> x[:, 0]
    -> heads -> logits (N, num_classes)
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

from ... import nn
from ...autograd import Tensor
from ...ops.factories import empty, zeros
from ...ops.shape import cat
from ._legacy import handle_legacy_interface
from ._weights import Weights, WeightsEnum, num_classes_for

_LAYER_NORM = partial(nn.LayerNorm, eps=1e-6)  # torchvision's default norm_layer


class MLPBlock(nn.Sequential):
    """Linear(D, mlp_dim), GELU, Dropout, Linear(mlp_dim, D), Dropout: keys ``0`` and ``3`` as torchvision's.
    Init as torchvision: weights xavier_uniform_, biases normal(std=1e-6)."""

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(nn.Linear(in_dim, mlp_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(mlp_dim, in_dim),
                         nn.Dropout(dropout))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """Pre-norm transformer block on (N, L, D): x + dropout(attn(ln_1(x))), then + mlp(ln_2(·))."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads, dropout=attention_dropout,
                                                    batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torchvision's name
        if input.ndim != 3:
            raise AssertionError(f"Expected (batch_size, seq_length, hidden_dim) got {tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Positional embedding (1, L, D) ~ N(0, 0.02²), dropout, the blocks, a final norm."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int, mlp_dim: int,
                 dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                                                norm_layer))
            for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim != 3:
            raise AssertionError(f"Expected (batch_size, seq_length, hidden_dim) got {tuple(input.shape)}")
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """x (N, 3, image_size, image_size) -> logits (N, num_classes). Init as torchvision: conv_proj weight
    trunc_normal(std=√(1/fan_in)), bias 0; class token 0; pre_logits like conv_proj; the head all zeros."""

    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float = 0.0, attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: int | None = None,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM,
                 conv_stem_configs: Any = None) -> None:
        super().__init__()
        if image_size % patch_size != 0:
            raise AssertionError("Input shape indivisible by patch size!")
        if conv_stem_configs is not None:
            raise ValueError("conv_stem_configs (the ViT-C stem) is not offered: build the patch embedding with "
                             "conv_stem_configs=None")
        self.image_size, self.patch_size, self.hidden_dim = image_size, patch_size, hidden_dim
        self.mlp_dim, self.attention_dropout, self.dropout = mlp_dim, attention_dropout, dropout
        self.num_classes, self.representation_size, self.norm_layer = num_classes, representation_size, norm_layer
        self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(zeros(1, 1, hidden_dim))
        seq_length += 1
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                               norm_layer)
        self.seq_length = seq_length
        heads: OrderedDict = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)

        fan_in = 3 * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        if representation_size is not None:
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / self.heads.pre_logits.in_features))
            nn.init.zeros_(self.heads.pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) -> patch tokens (N, (H/p)·(W/p), D)."""
        if x.ndim != 4:
            raise RuntimeError(f"VisionTransformer: expected input (N, 3, {self.image_size}, {self.image_size}), got "
                               f"{tuple(x.shape)}")
        n, _, h, w = x.shape
        if h != self.image_size:
            raise AssertionError(f"Wrong image height! Expected {self.image_size} but got {h}!")
        if w != self.image_size:
            raise AssertionError(f"Wrong image width! Expected {self.image_size} but got {w}!")
        p = self.patch_size
        x = self.conv_proj(x).reshape(n, self.hidden_dim, (h // p) * (w // p))
        return x.permute(0, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        x = cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.heads(self.encoder(x)[:, 0])


def _vision_transformer(patch_size: int, num_layers: int, num_heads: int, hidden_dim: int, mlp_dim: int,
                        weights: WeightsEnum | None, kwargs: dict) -> VisionTransformer:
    kwargs.pop("progress", None)  # torchvision's download progress bar: nothing is downloaded here
    num_classes_for(weights, kwargs)
    state = None if weights is None else weights.get_state_dict()  # a missing file fails before 86 M parameters
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(image_size=image_size, patch_size=patch_size, num_layers=num_layers,
                              num_heads=num_heads, hidden_dim=hidden_dim, mlp_dim=mlp_dim, **kwargs)
    if state is not None:
        model.load_state_dict(state)
    return model


class ViT_B_16_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/vit_b_16-c867db91.pth")
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):  # noqa: N801
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/vit_b_32-d86f8d99.pth")
    DEFAULT = IMAGENET1K_V1


class ViT_L_16_Weights(WeightsEnum):  # noqa: N801
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/vit_l_16-852ce7e3.pth")
    DEFAULT = IMAGENET1K_V1


class ViT_L_32_Weights(WeightsEnum):  # noqa: N801
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/vit_l_32-c7638314.pth")
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(weights=("pretrained", ViT_B_16_Weights.IMAGENET1K_V1))
def vit_b_16(*, weights: ViT_B_16_Weights | str | None = None, **kwargs: Any) -> VisionTransformer:
    """ViT-B/16: 12 layers, 12 heads, D 768, MLP 3072 (86.6 M parameters at 1000 classes, 224²)."""
    return _vision_transformer(16, 12, 12, 768, 3072, ViT_B_16_Weights.verify(weights), kwargs)


@handle_legacy_interface(weights=("pretrained", ViT_B_32_Weights.IMAGENET1K_V1))
def vit_b_32(*, weights: ViT_B_32_Weights | str | None = None, **kwargs: Any) -> VisionTransformer:
    """ViT-B/32: 12 layers, 12 heads, D 768, MLP 3072."""
    return _vision_transformer(32, 12, 12, 768, 3072, ViT_B_32_Weights.verify(weights), kwargs)


@handle_legacy_interface(weights=("pretrained", ViT_L_16_Weights.IMAGENET1K_V1))
def vit_l_16(*, weights: ViT_L_16_Weights | str | None = None, **kwargs: Any) -> VisionTransformer:
    """ViT-L/16: 24 layers, 16 heads, D 1024, MLP 4096."""
    return _vision_transformer(16, 24, 16, 1024, 4096, ViT_L_16_Weights.verify(weights), kwargs)


@handle_legacy_interface(weights=("pretrained", ViT_L_32_Weights.IMAGENET1K_V1))
def vit_l_32(*, weights: ViT_L_32_Weights | str | None = None, **kwargs: Any) -> VisionTransformer:
    """ViT-L/32: 24 layers, 16 heads, D 1024, MLP 4096."""
    return _vision_transformer(32, 24, 16, 1024, 4096, ViT_L_32_Weights.verify(weights), kwargs)
