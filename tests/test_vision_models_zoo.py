"""The rest of mt.vision.models against torchvision: MobileNetV2/V3, EfficientNet-B0, SqueezeNet, DenseNet,
ShuffleNetV2, ResNeXt and Wide ResNet.

Keys and shapes: the whole list, from a torchvision model built on the meta device (no memory, no init).
Numbers: a random-init torchvision model in float64, BN running statistics randomised, saved with ``torch.save``
and read with ``mt.load`` into ours; outputs, the input gradient and every parameter gradient (random upstream
gradient) must agree to 1e-10. Models whose builder is cheap run whole on 32×32 inputs; DenseNet-121, ResNeXt-50 and
Wide ResNet-50 (8-69 M weights, seconds of init each) run as the same classes at fewer blocks, which goes through
every code path the full ones take.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torchvision

import minitorch_cnn as mt
from tests._parity import assert_close
from tests._vision_parity import assert_torchvision_parity

FULL = ["mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "squeezenet1_0", "squeezenet1_1",
        "shufflenet_v2_x0_5", "shufflenet_v2_x1_0"]
ALL = [*FULL, "mobilenet_v3_large", "densenet121", "resnet101", "resnext50_32x4d", "wide_resnet50_2"]


@pytest.mark.parametrize("name", ALL)
def test_state_dict_keys_and_shapes_match_torchvision(name: str) -> None:
    with torch.device("meta"):
        theirs = getattr(torchvision.models, name)(num_classes=10)
    ours = getattr(mt.vision.models, name)(num_classes=10)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]


def _small(lib: object, name: str) -> object:
    """DenseNet at fewer and narrower blocks; ResNeXt's and Wide ResNet's Bottleneck (grouped or widened 3×3) as
    two blocks, a strided one with its downsample and a plain one: the ResNet around them is resnet50's, and the
    key test above holds its wiring (groups and width reach every block)."""
    models = lib.vision.models if lib is mt else torchvision.models
    nn = lib.nn
    if name == "densenet":
        return models.DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, bn_size=2, num_classes=10)
    block = mt.vision.models.Bottleneck if lib is mt else torchvision.models.resnet.Bottleneck
    groups, base_width = {"resnext": (4, 4), "wide": (1, 128)}[name]
    down = nn.Sequential(nn.Conv2d(3, 64, 1, stride=2, bias=False), nn.BatchNorm2d(64))
    return nn.Sequential(block(3, 16, 2, down, groups=groups, base_width=base_width),
                         block(64, 16, groups=groups, base_width=base_width))


@pytest.mark.parametrize("name", FULL)
def test_torchvision_file_gives_torch_numbers(name: str) -> None:
    torch.manual_seed(0)
    assert_torchvision_parity(getattr(torchvision.models, name)(weights=None, num_classes=10),
           getattr(mt.vision.models, name)(weights=None, num_classes=10), name)


@pytest.mark.parametrize("name", ["densenet", "resnext", "wide"])
def test_big_families_give_torch_numbers_at_fewer_blocks(name: str) -> None:
    torch.manual_seed(0)
    assert_torchvision_parity(_small(torch, name), _small(mt, name), name, side=16)


def test_train_mode_batchnorm_and_stochastic_depth() -> None:
    """EfficientNet in train mode with stochastic depth off (its draws differ): batch statistics and running-stat
    updates as torch's. A block's expand conv sees the previous block's BN output, zero-mean per channel, through
    a bias-free 1×1 conv: the running means there are 0 in exact arithmetic and rounding noise (1e-17) in both
    libraries, so running means are compared to the scale of the running variances, not to themselves."""
    torch.manual_seed(0)
    theirs = torchvision.models.efficientnet_b0(num_classes=10, stochastic_depth_prob=0.0, dropout=0.0).double()
    ours = mt.vision.models.efficientnet_b0(num_classes=10, stochastic_depth_prob=0.0, dropout=0.0).double()
    buf = io.BytesIO()
    torch.save(theirs.state_dict(), buf)
    ours.load_state_dict(mt.load(io.BytesIO(buf.getvalue())))
    x = np.random.default_rng(1).standard_normal((4, 3, 64, 64))
    out_t, out_m = theirs(torch.tensor(x)), ours(mt.tensor(x))
    assert_close(out_m, out_t.detach(), np.float64, what="train-mode output")
    buffers = dict(theirs.named_buffers())
    for key, b in ours.named_buffers():
        if key.endswith("running_mean"):
            scale = float(buffers[key.replace("running_mean", "running_var")].abs().max())
            assert np.abs(b._data - buffers[key].numpy()).max() <= 1e-10 * scale, key
        else:
            assert_close(b, buffers[key], np.float64, what=key)


def test_stochastic_depth_statistics_and_errors() -> None:
    mt.manual_seed(0)
    x = mt.ones(4000, 3)
    y = mt.vision.ops.stochastic_depth(x, 0.25, "row")
    rows = y._data[:, 0]
    assert set(np.unique(rows).tolist()) <= {0.0, float(np.float32(1) / np.float32(0.75))}
    assert np.all(y._data == rows[:, None])
    assert abs((rows > 0).mean() - 0.75) < 0.03
    assert mt.vision.ops.stochastic_depth(x, 0.25, "row", training=False) is x
    assert np.unique(mt.vision.ops.stochastic_depth(x, 0.5, "batch")._data).size == 1
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1, but got 1.5"):
        mt.vision.ops.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row', but got col"):
        mt.vision.ops.StochasticDepth(0.1, "col").train()(x)
    assert repr(mt.vision.ops.StochasticDepth(0.1, "row")) == repr(torchvision.ops.StochasticDepth(0.1, "row"))


def test_builders_check_their_arguments() -> None:
    with pytest.raises(ValueError, match="The parameter 'groups' expected value 32 but got 8 instead."):
        mt.vision.models.resnext50_32x4d(groups=8)
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        mt.vision.models.ResNet(mt.vision.models.BasicBlock, [1, 1, 1, 1], groups=2)
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version 2_0"):
        mt.vision.models.SqueezeNet("2_0")
    with pytest.raises(ValueError, match="num_classes=10 does not match the 1000 classes"):
        mt.vision.models.mobilenet_v2(weights="DEFAULT", num_classes=10)


def test_densenet_published_keys_are_renamed(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """torchvision's densenet121 file predates num_batches_tracked and has 'norm.1'-style keys; weights=...
    renames them as torchvision does."""
    with torch.device("meta"):
        sd = torchvision.models.densenet121().state_dict()
    old = {k.replace("norm1.", "norm.1.").replace("conv2.", "conv.2.") if "denselayer" in k else k:
           torch.zeros(v.shape) for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(old, tmp_path / "hub" / "checkpoints" / "densenet121-a639ec97.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    model = mt.vision.models.densenet121(weights=mt.vision.models.DenseNet121_Weights.IMAGENET1K_V1)
    assert float(model.features.denseblock1.denselayer1.norm1.weight.abs().sum()) == 0.0
