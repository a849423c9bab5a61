"""The builders added to mt.vision.models against torchvision: ShuffleNetV2 1.5×/2.0×, ResNeXt-101, Wide
ResNet-101, DenseNet-161/169/201, MNASNet, EfficientNet-B1..B7 and V2-S/M/L, GoogLeNet and Inception-v3.

Every builder: the state_dict keys and shapes, and every BatchNorm's eps/momentum and Dropout's p, against a
torchvision model built on the meta device. Numbers (float64, torchvision's random weights saved with torch.save
and read with mt.load, outputs and every gradient to 1e-10) for one builder of each new class or configuration at
its smallest cheap input; the large ones share those classes and differ only in the configuration checked above.
"""

from __future__ import annotations

import io
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

import minitorch_cnn as mt
from tests._parity import assert_close
from tests._vision_parity import assert_torchvision_parity

NEW = ["shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet101_2",
       "densenet161", "densenet169", "densenet201", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
       *[f"efficientnet_b{i}" for i in range(1, 8)], "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
       "googlenet", "inception_v3"]
pytestmark = pytest.mark.filterwarnings("ignore:The default weight initialization:FutureWarning")


def _layer_settings(model: object) -> list[tuple]:
    out = []
    for name, m in model.named_modules():
        kind = type(m).__name__
        if kind.startswith("BatchNorm"):
            out.append((name, kind, m.eps, m.momentum))
        elif kind == "Dropout":
            out.append((name, kind, m.p))
    return out


@pytest.mark.parametrize("name", NEW)
def test_keys_shapes_and_layer_settings_match_torchvision(name: str) -> None:
    with torch.device("meta"):
        theirs = getattr(torchvision.models, name)(num_classes=10)
    ours = getattr(mt.vision.models, name)(num_classes=10)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert _layer_settings(ours) == _layer_settings(theirs)


@pytest.mark.parametrize("name,side", [("mnasnet0_5", 32), ("mnasnet1_3", 32), ("efficientnet_b1", 32),
                                       ("googlenet", 32), ("inception_v3", 75)])
def test_torchvision_file_gives_torch_numbers(name: str, side: int) -> None:
    torch.manual_seed(0)
    kw = {"aux_logits": False} if name in ("googlenet", "inception_v3") else {}  # eval: the aux heads are idle
    assert_torchvision_parity(getattr(torchvision.models, name)(num_classes=10, **kw),
                              getattr(mt.vision.models, name)(num_classes=10, **kw), name, side=side)


def _small_v2(lib: object) -> object:
    """EfficientNetV2's classes (FusedMBConv with and without expansion, then MBConv; BatchNorm eps 1e-3) at one
    block per stage."""
    models = lib.vision.models if lib is mt else torchvision.models
    mod = models.efficientnet
    fused = mod.FusedMBConvConfig if lib is torch else partial(mod.MBConvConfig, block=mod.FusedMBConv)
    setting = [fused(1, 3, 1, 16, 16, 1), fused(4, 3, 2, 16, 24, 1), mod.MBConvConfig(4, 3, 2, 24, 32, 2)]
    return models.EfficientNet(setting, 0.2, num_classes=10, last_channel=64,
                               norm_layer=partial(lib.nn.BatchNorm2d, eps=1e-3))


def test_efficientnet_v2_blocks_give_torch_numbers() -> None:
    torch.manual_seed(0)
    assert_torchvision_parity(_small_v2(torch), _small_v2(mt), "efficientnet_v2 blocks", side=16)


def _transfer(theirs: torch.nn.Module, ours: mt.nn.Module) -> None:
    blob = io.BytesIO()
    torch.save(theirs.state_dict(), blob)
    ours.load_state_dict(mt.load(io.BytesIO(blob.getvalue())))


def test_googlenet_training_returns_aux_logits_and_transform_input() -> None:
    torch.manual_seed(1)
    kw = {"num_classes": 5, "dropout": 0.0, "dropout_aux": 0.0, "transform_input": True, "init_weights": True}
    theirs, ours = torchvision.models.googlenet(**kw).double(), mt.vision.models.googlenet(**kw).double()
    _transfer(theirs, ours)
    x = np.random.default_rng(2).standard_normal((2, 3, 40, 40))
    t_out, m_out = theirs.train()(torch.tensor(x)), ours.train()(mt.tensor(x))
    assert type(m_out).__name__ == "GoogLeNetOutputs" and m_out._fields == t_out._fields
    for a, b in zip(m_out, t_out, strict=True):
        assert_close(a, b.detach(), np.float64)
    assert isinstance(ours.eval()(mt.tensor(x)), mt.Tensor)


def test_inception_aux_head_and_no_aux() -> None:
    torch.manual_seed(3)
    theirs = torchvision.models.inception.InceptionAux(768, 7).double().eval()
    ours = mt.vision.models.inception.InceptionAux(768, 7).double().eval()
    _transfer(theirs, ours)
    x = np.random.default_rng(4).standard_normal((2, 768, 17, 17))
    assert_close(ours(mt.tensor(x)), theirs(torch.tensor(x)).detach(), np.float64)
    model = mt.vision.models.inception_v3(aux_logits=False, init_weights=False)
    assert model.AuxLogits is None and not any(k.startswith("AuxLogits") for k in model.state_dict())
    with pytest.warns(FutureWarning, match="default weight initialization of inception_v3"):
        mt.vision.models.Inception3(num_classes=3)


@pytest.mark.parametrize("name,ask,aux", [("googlenet", False, False), ("googlenet", True, True),
                                          ("inception_v3", False, True)])
def test_weights_from_disk_follow_torchvisions_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                                     ask: bool, aux: bool) -> None:
    """A torchvision-layout file placed under the weights' own file name (random weights, never downloaded):
    transform_input switches on, the aux heads are loaded, then GoogLeNet drops them unless asked for
    (``aux_logits=True``) while Inception-v3 keeps them."""
    enum = mt.vision.models.get_model_weights(name)
    with pytest.raises(FileNotFoundError, match="downloads nothing"):
        monkeypatch.setenv("MINITORCH_WEIGHTS", str(tmp_path))
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
        mt.vision.models.get_model(name, weights="DEFAULT")
    torch.manual_seed(5)
    theirs = getattr(torchvision.models, name)(aux_logits=True, init_weights=False)
    torch.save(theirs.state_dict(), tmp_path / enum.DEFAULT.file_name)
    with warnings.catch_warnings(record=True):
        ours = mt.vision.models.get_model(name, weights=enum.DEFAULT, **({"aux_logits": True} if ask else {}))
    assert ours.transform_input and ours.aux_logits == aux
    assert sorted(ours.state_dict()) == sorted(k for k in theirs.state_dict() if aux or "aux" not in k.lower())
    key = "fc.weight"
    np.testing.assert_array_equal(ours.state_dict()[key].numpy(), theirs.state_dict()[key].numpy())
    for build in (getattr(torchvision.models, name), getattr(mt.vision.models, name)):  # raises before any download
        with pytest.raises(ValueError, match="The parameter 'aux_logits' expected value True but got False"):
            build(weights="DEFAULT", aux_logits=False)
