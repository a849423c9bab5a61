"""mt.vision.models against torchvision: same keys and shapes, and a torchvision file gives torch's numbers.

A random-init torchvision model (float64, BN running statistics randomised) is saved with ``torch.save`` and read
with ``mt.load`` into ours; outputs, the input gradient and every parameter gradient (random upstream gradient)
must agree to 1e-10. Inputs are the smallest each network takes, to keep the test fast.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

import minitorch_cnn as mt
from tests._vision_parity import assert_torchvision_parity


@pytest.mark.parametrize("name", ["resnet34", "vgg11_bn"])
def test_state_dict_keys_and_shapes_match_torchvision(name: str) -> None:
    """The whole key list; our VGG-11 stands for the VGG class (the classifier allocates 120 M weights)."""
    with torch.device("meta"):  # no memory, no init: only the keys and shapes
        theirs = getattr(torchvision.models, name)()
    ours = getattr(mt.vision.models, name)()
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]


def _features(name: str) -> tuple[torch.nn.Module, mt.nn.Module]:
    """torchvision's and our VGG ``features`` (all the convolutions) for configuration D, with and without BN."""
    cfg, bn = "D", name.endswith("_bn")
    theirs = torch.nn.Module()
    theirs.features = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs[cfg], batch_norm=bn)
    ours = mt.nn.Module()
    ours.features = mt.vision.models.vgg.make_layers(mt.vision.models.vgg._CFGS[cfg], batch_norm=bn)
    theirs.forward, ours.forward = theirs.features.forward, ours.features.forward
    return theirs, ours


@pytest.mark.parametrize(("name", "side"), [("resnet18", 64), ("resnet50", 32), ("alexnet", 63), ("vgg16", 32),
                                            ("vgg16_bn", 32)])
def test_torchvision_file_gives_torch_numbers(name: str, side: int, tmp_path) -> None:
    """VGG: its features (the 13 convolutions, 15 M weights) stand for the model; the classifier's three Linear
    layers are AlexNet's, checked there, and would cost 1 GB per copy in float64."""
    torch.manual_seed(0)
    if name.startswith("vgg"):
        theirs, ours = _features(name)
    else:
        theirs, ours = getattr(torchvision.models, name)(weights=None), getattr(mt.vision.models, name)(weights=None)
    assert_torchvision_parity(theirs, ours, name, side)
    # and back: our state_dict, written by mt.save, is torch's bit for bit
    mt.save(ours.state_dict(), tmp_path / "back.pt")
    back = torch.load(tmp_path / "back.pt", weights_only=True)
    expected_sd = theirs.state_dict()
    assert list(back) == list(expected_sd)
    assert all(torch.equal(back[k], v) for k, v in expected_sd.items())


def test_pretrained_weights_not_on_disk_say_how_to_supply_them(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("MINITORCH_WEIGHTS", raising=False)
    with pytest.raises(FileNotFoundError, match=r"resnet18-f37072fd\.pth.*load_state_dict\(mt\.load"):
        mt.vision.models.resnet18(weights=mt.vision.models.ResNet18_Weights.DEFAULT)
    with pytest.raises(TypeError, match="ResNet18_Weights"):
        mt.vision.models.resnet18(weights="IMAGENET9")


def test_pretrained_weights_load_from_torch_cache(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A file torchvision cached (here: written by torch.save under its name) is what weights=... loads."""
    torch.manual_seed(1)
    theirs = torchvision.models.resnet18()
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(theirs.state_dict(), tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ours = mt.vision.models.resnet18(weights="IMAGENET1K_V1")
    np.testing.assert_array_equal(ours.fc.bias._data, theirs.fc.bias.detach().numpy())
