"""``mt.vision.models.VisionTransformer`` / ``vit_b_16`` against torchvision's: state_dict keys and shapes, the
printed model, initialisation, and on a small configuration outputs and every gradient (float64 to 1e-10,
float32 against the float64 truth) with torchvision's weights loaded."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torchvision

import minitorch_cnn as mt
from tests._attn_parity import parity

SMALL = {"image_size": 16, "patch_size": 8, "num_layers": 2, "num_heads": 2, "hidden_dim": 8, "mlp_dim": 16,
         "num_classes": 5}


def _models(lib: Any) -> Any:
    return torchvision.models if lib is torch else mt.vision.models


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("extra", [{}, {"representation_size": 6}])
def test_small_vision_transformer_matches_torchvision(extra: dict, dtype: Any) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 16))

    def make(lib: Any) -> Any:
        model = _models(lib).VisionTransformer(**SMALL, **extra)
        # torchvision zero-initialises the head: give it values so that gradients reach every layer
        lib.nn.init.normal_(model.heads.head.weight)
        return model

    parity(make, lambda lib, mod, x: mod(x), {"x": x}, dtype)


def test_vit_b_16_keys_shapes_and_print_are_torchvisions() -> None:
    ours, theirs = mt.vision.models.vit_b_16(weights=None), torchvision.models.vit_b_16(weights=None)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == \
        [tuple(v.shape) for v in theirs.state_dict().values()]
    assert repr(ours) == repr(theirs)
    assert sum(p.numel() for p in ours.parameters()) == 86_567_656


def test_init_and_bad_input_as_torchvision() -> None:
    m = mt.vision.models.VisionTransformer(**SMALL)
    assert not m.heads.head.weight.detach().numpy().any() and not m.class_token.detach().numpy().any()
    assert abs(float(m.encoder.pos_embedding.detach().numpy().std()) - 0.02) < 0.01
    with pytest.raises(AssertionError, match="Wrong image height! Expected 16 but got 32!"):
        m(mt.zeros(1, 3, 32, 16))
    with pytest.raises(AssertionError, match="Input shape indivisible by patch size!"):
        mt.vision.models.VisionTransformer(**{**SMALL, "patch_size": 5})
    with pytest.raises(FileNotFoundError, match="vit_b_16-c867db91.pth"):
        mt.vision.models.vit_b_16(weights="DEFAULT")
