"""A census of public PyTorch scripts, part g: fast CIFAR-10 training scripts, ported by one import switch. Each
test makes the calls one script makes, in the way it makes them, under torch and under minitorch_cnn from the same
initial weights (float64), and holds the results equal to 1e-10 relative.

Scripts: the "ResNet-9 / DAWNBench" notebook (Jovian's "Classifying CIFAR10 images using ResNets, regularization
and data augmentation", after David Page); airbench / hlb-CIFAR10 idioms (frozen BatchNorm scales, channels_last,
label smoothing, nesterov SGD with per-group weight decay, an EMA of the weights, flip-and-translate TTA, a
whitening first conv from patch covariances); kuangliu/pytorch-cifar's utils and resume path beyond part c
(`progress_bar`, `get_mean_and_std`, `init_params` with the deprecated `nn.init` names, resuming `start_epoch` and
the cosine schedule). The scripts' code is not copied; models and data are cut small (a few CIFAR-10 batches of the
shared subset). Random augmentations are built as the scripts build them but the loaders use deterministic
transforms, so that both runs see the same pixels.
"""

from __future__ import annotations

import copy
import io
import os
import sys
from typing import Any

import numpy as np
import pytest
import torch
import torchvision
from _dual import Lib, assert_same, dual
from _parity import assert_close, assert_f32_close, data_root

import minitorch_cnn as mt

F64 = np.float64


@pytest.fixture
def cifar_root(monkeypatch: pytest.MonkeyPatch) -> str:
    # the shared set is a content-checked subset of the official batches: torchvision's md5 check would refuse it
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    return str(data_root() / "cifar10-subset")


# --- the ResNet-9 / DAWNBench notebook: conv_bn blocks, residual adds, OneCycleLR, clip_grad_value_, Adam with ------
# --- weight decay, get_lr from param_groups, DeviceDataLoader, @no_grad evaluate, stacked batch losses ---------------


def _resnet9(lib: Lib, root: str) -> dict:
    L, nn, F, tt = lib.lib, lib.nn, lib.F, lib.transforms

    stats = ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
    train_tfms = tt.Compose([tt.RandomCrop(32, padding=4, padding_mode="reflect"), tt.RandomHorizontalFlip(),
                             tt.ToTensor(), tt.Normalize(*stats, inplace=True)])
    valid_tfms = tt.Compose([tt.ToTensor(), tt.Normalize(*stats)])
    res: dict = {"train_tfms": len(train_tfms.transforms)}
    # the notebook trains on train_tfms (random crops and flips, each library's own draws): valid_tfms here for both
    train_ds = lib.data.Subset(lib.datasets.CIFAR10(root, train=True, transform=valid_tfms), range(8))
    valid_ds = lib.data.Subset(lib.datasets.CIFAR10(root, train=False, transform=valid_tfms), range(4))
    batch_size = 4
    train_dl = lib.data.DataLoader(train_ds, batch_size, shuffle=False, num_workers=0, pin_memory=True)
    valid_dl = lib.data.DataLoader(valid_ds, batch_size * 2, num_workers=0, pin_memory=True)

    def get_default_device() -> Any:
        return L.device("cuda") if L.cuda.is_available() else L.device("cpu")

    def to_device(data: Any, device: Any) -> Any:
        if isinstance(data, (list, tuple)):
            return [to_device(x, device) for x in data]
        return data.to(device, non_blocking=True)

    class DeviceDataLoader:
        def __init__(self, dl: Any, device: Any) -> None:
            self.dl, self.device = dl, device

        def __iter__(self) -> Any:
            for b in self.dl:
                yield to_device(b, self.device)

        def __len__(self) -> int:
            return len(self.dl)

    device = get_default_device()
    res["device"] = str(device)
    train_dl, valid_dl = DeviceDataLoader(train_dl, device), DeviceDataLoader(valid_dl, device)

    def accuracy(outputs: Any, labels: Any) -> Any:
        _, preds = L.max(outputs, dim=1)
        return L.tensor(L.sum(preds == labels).item() / len(preds))

    class ImageClassificationBase(nn.Module):
        def training_step(self, batch: Any) -> Any:
            images, labels = batch
            return F.cross_entropy(self(images.double()), labels)

        def validation_step(self, batch: Any) -> dict:
            images, labels = batch
            out = self(images.double())
            return {"val_loss": F.cross_entropy(out, labels).detach(), "val_acc": accuracy(out, labels)}

        def validation_epoch_end(self, outputs: list) -> dict:
            epoch_loss = L.stack([x["val_loss"] for x in outputs]).mean()
            epoch_acc = L.stack([x["val_acc"] for x in outputs]).mean()
            return {"val_loss": epoch_loss.item(), "val_acc": epoch_acc.item()}

        def epoch_end(self, epoch: int, result: dict) -> str:
            return "Epoch [{}], last_lr: {:.5f}, train_loss: {:.4f}, val_loss: {:.4f}, val_acc: {:.4f}".format(
                epoch, result["lrs"][-1], result["train_loss"], result["val_loss"], result["val_acc"])

    def conv_block(in_channels: int, out_channels: int, pool: bool = False) -> Any:
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
                  nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]
        if pool:
            layers.append(nn.MaxPool2d(2))
        return nn.Sequential(*layers)

    class ResNet9(ImageClassificationBase):
        # the notebook's widths are 64..512; an eighth of them here, the same code
        def __init__(self, in_channels: int, num_classes: int) -> None:
            super().__init__()
            self.conv1 = conv_block(in_channels, 8)
            self.conv2 = conv_block(8, 16, pool=True)
            self.res1 = nn.Sequential(conv_block(16, 16), conv_block(16, 16))
            self.conv3 = conv_block(16, 32, pool=True)
            self.conv4 = conv_block(32, 64, pool=True)
            self.res2 = nn.Sequential(conv_block(64, 64), conv_block(64, 64))
            self.classifier = nn.Sequential(nn.MaxPool2d(4), nn.Flatten(), nn.Dropout(0.2),
                                            nn.Linear(64, num_classes))

        def forward(self, xb: Any) -> Any:
            out = self.conv1(xb)
            out = self.conv2(out)
            out = self.res1(out) + out
            out = self.conv3(out)
            out = self.conv4(out)
            out = self.res2(out) + out
            return self.classifier(out)

    model = to_device(ResNet9(3, 10), device).double()
    model = lib.same_weights(model)
    model.classifier[2].p = 0.0  # the two libraries draw different dropout masks
    res["repr"] = repr(model.res1)

    @L.no_grad()
    def evaluate(model: Any, val_loader: Any) -> dict:
        model.eval()
        outputs = [model.validation_step(batch) for batch in val_loader]
        return model.validation_epoch_end(outputs)

    def get_lr(optimizer: Any) -> float:
        for param_group in optimizer.param_groups:
            return param_group["lr"]
        raise AssertionError

    def fit_one_cycle(epochs: int, max_lr: float, model: Any, train_loader: Any, val_loader: Any,
                      weight_decay: float = 0, grad_clip: float | None = None, opt_func: Any = lib.optim.SGD) -> list:
        history = []
        optimizer = opt_func(model.parameters(), max_lr, weight_decay=weight_decay)
        sched = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr, epochs=epochs,
                                                  steps_per_epoch=len(train_loader))
        for epoch in range(epochs):
            model.train()
            train_losses, lrs = [], []
            for batch in train_loader:
                loss = model.training_step(batch)
                train_losses.append(loss)
                loss.backward()
                if grad_clip:
                    nn.utils.clip_grad_value_(model.parameters(), grad_clip)
                optimizer.step()
                optimizer.zero_grad()
                lrs.append(get_lr(optimizer))
                sched.step()
            result = evaluate(model, val_loader)
            result["train_loss"] = L.stack(train_losses).mean().item()
            result["lrs"] = lrs
            res[f"line{epoch}"] = model.epoch_end(epoch, result)
            history.append(result)
        return history

    L.cuda.empty_cache()
    history = [evaluate(model, valid_dl)]
    history += fit_one_cycle(2, 0.01, model, train_dl, valid_dl, grad_clip=0.1, weight_decay=1e-4,
                             opt_func=lib.optim.Adam)
    res["history"] = history
    res["val_losses"] = [x["val_loss"] for x in history]
    res["train_losses"] = [x.get("train_loss") for x in history]
    res["lrs"] = np.concatenate([x.get("lrs", []) for x in history]).tolist()
    res["state"] = dict(model.state_dict())
    return res


def test_resnet9_dawnbench_notebook(cifar_root: str) -> None:
    theirs, ours = dual(_resnet9, cifar_root)
    assert ours["train_tfms"] == theirs["train_tfms"] == 4
    assert ours["device"] == theirs["device"] == "cpu"
    assert ours["repr"] == theirs["repr"]
    assert ours["line1"] == theirs["line1"]
    assert_same(theirs, ours, skip=("repr", "history", "line0", "line1", "state"))
    state = theirs["state"]
    for key, value in state.items():
        if key.endswith("running_mean"):
            # a running mean averages the batch means of its channel, which cancel (values of both signs): held to
            # 1e-10 of the magnitude of what it averages, |mean| + std (the running var's root), per channel
            cond = np.abs(Lib.np(value)) + np.sqrt(Lib.np(state[key.replace("running_mean", "running_var")]))
            assert_f32_close(Lib.np(ours["state"][key]), Lib.np(value), cond=cond, rtol=1e-10, what=key)
            continue
        # a conv bias feeding a training-mode BatchNorm has a gradient of zero up to rounding (BatchNorm subtracts
        # it back out), so Adam's steps on it are weight decay plus rounding normalised by its own square root:
        # no float64 truth exists for it to 1e-10; the two libraries' rounding (and thread count) set it, to 1e-9
        drifts = key.endswith(".0.bias") and not key.startswith("classifier")
        assert_close(Lib.np(ours["state"][key]), Lib.np(value), F64, tol=1e-7 if drifts else None, what=key)
    for t, o in zip(theirs["history"], ours["history"]):
        assert_same(t, o)


# --- airbench / hlb-CIFAR10: bias-free convs with dirac_ init and padding='same', BatchNorm with frozen scales -----
# --- (momentum, eps), channels_last, label smoothing with reduction='none', nesterov SGD over per-group lr and ------
# --- weight decay, LambdaLR over np.interp, an EMA of the weights by lerp_, flip-and-translate TTA, whitening -------


def _airbench(lib: Lib, root: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    L.backends.cudnn.benchmark = True
    L.backends.cuda.matmul.allow_tf32 = True
    res: dict = {"tf32": L.get_float32_matmul_precision()}
    dset = lib.datasets.CIFAR10(root, train=True)
    images = L.tensor(dset.data[:16])
    labels = L.tensor(dset.targets[:16])
    images = (images.float() / 255).permute(0, 3, 1, 2).to(memory_format=L.channels_last).double()
    CIFAR_MEAN = L.tensor((0.4914, 0.4822, 0.4465), dtype=L.float64)
    CIFAR_STD = L.tensor((0.2470, 0.2435, 0.2616), dtype=L.float64)
    images = (images - CIFAR_MEAN.view(1, -1, 1, 1)) / CIFAR_STD.view(1, -1, 1, 1)
    res["cl"] = images.is_contiguous(memory_format=L.channels_last)

    def batch_flip_lr(inputs: Any, mask: Any) -> Any:
        # airbench draws the mask with torch.rand_like; one shared draw here
        return L.where(mask.view(-1, 1, 1, 1), inputs.flip(-1), inputs)

    def batch_crop(images: Any, crop_size: int, shifts: np.ndarray) -> Any:
        padded = F.pad(images, (1,) * 4, "reflect")  # the loader pads once, then crops 32 of 34 per batch
        return L.stack([padded[i, :, dy:dy + crop_size, dx:dx + crop_size] for i, (dy, dx) in enumerate(shifts)])

    class BatchNorm(nn.BatchNorm2d):
        def __init__(self, num_features: int, momentum: float = 0.6, eps: float = 1e-12,
                     weight: bool = False, bias: bool = True) -> None:
            super().__init__(num_features, eps=eps, momentum=1 - momentum)
            self.weight.requires_grad = weight
            self.bias.requires_grad = bias

    class Conv(nn.Conv2d):
        def __init__(self, in_channels: int, out_channels: int) -> None:
            super().__init__(in_channels, out_channels, kernel_size=3, padding="same", bias=False)

        def reset_parameters(self) -> None:
            super().reset_parameters()
            w = self.weight.data
            L.nn.init.dirac_(w[:w.size(1)])

    class ConvGroup(nn.Module):
        def __init__(self, channels_in: int, channels_out: int) -> None:
            super().__init__()
            self.conv1 = Conv(channels_in, channels_out)
            self.pool = nn.MaxPool2d(2)
            self.norm1 = BatchNorm(channels_out)
            self.conv2 = Conv(channels_out, channels_out)
            self.norm2 = BatchNorm(channels_out)
            self.activ = nn.GELU()

        def forward(self, x: Any) -> Any:
            x = self.conv1(x)
            x = self.pool(x)
            x = self.norm1(x)
            x = self.activ(x)
            x = self.conv2(x)
            x = self.norm2(x)
            return self.activ(x)

    class Mul(nn.Module):
        def __init__(self, scale: float) -> None:
            super().__init__()
            self.scale = scale

        def forward(self, x: Any) -> Any:
            return x * self.scale

    whiten_kernel_size, widths = 2, {"block1": 8, "block2": 16, "block3": 16}
    whiten_width = 2 * 3 * whiten_kernel_size ** 2
    net = nn.Sequential(
        nn.Conv2d(3, whiten_width, whiten_kernel_size, padding=0, bias=True), nn.GELU(),
        ConvGroup(whiten_width, widths["block1"]), ConvGroup(widths["block1"], widths["block2"]),
        ConvGroup(widths["block2"], widths["block3"]), nn.MaxPool2d(3), nn.Flatten(),
        nn.Linear(widths["block3"], 10, bias=False), Mul(1 / 9))
    net[0].weight.requires_grad = False
    net = net.double().to(memory_format=L.channels_last)

    def get_patches(x: Any, patch_shape: tuple) -> Any:
        c, (h, w) = x.shape[1], patch_shape
        return x.unfold(2, h, 1).unfold(3, w, 1).transpose(1, 3).reshape(-1, c, h, w).double()

    def get_whitening_parameters(patches: Any) -> tuple:
        n, c, h, w = patches.shape
        patches_flat = patches.view(n, -1)
        est_patch_covariance = (patches_flat.T @ patches_flat) / n
        eigenvalues, eigenvectors = L.linalg.eigh(est_patch_covariance, UPLO="U")
        return eigenvalues.flip(0).view(-1, 1, 1, 1), eigenvectors.T.reshape(c * h * w, c, h, w).flip(0)

    def init_whitening_conv(layer: Any, train_set: Any, eps: float = 5e-4) -> None:
        patches = get_patches(train_set, patch_shape=layer.weight.data.shape[2:])
        eigenvalues, eigenvectors = get_whitening_parameters(patches)
        eigenvectors_scaled = eigenvectors / L.sqrt(eigenvalues + eps)
        layer.weight.data[:] = L.cat((eigenvectors_scaled, -eigenvectors_scaled))

    init_whitening_conv(net[0], images[:8])
    res["whiten"] = net[0].weight.detach().clone()
    # eigenvectors are defined up to sign: the two libraries' LAPACK calls may pick different ones, so the run
    # goes on from torch's whitening weights (compared up to sign in the test)
    net = lib.same_weights(net)
    res["frozen"] = [n for n, p in net.named_parameters() if not p.requires_grad]

    batch_size, lr, momentum, wd, bias_scaler, ema_decay = 8, 11.5 / 1024, 0.85, 0.0153 * 1024, 64.0, 0.5
    lr_biases, wd = lr * bias_scaler, wd / batch_size
    norm_biases = [p for k, p in net.named_parameters() if "norm" in k and p.requires_grad]
    other_params = [p for k, p in net.named_parameters() if "norm" not in k and p.requires_grad]
    param_configs = [dict(params=norm_biases, lr=lr_biases, weight_decay=wd / lr_biases),
                     dict(params=other_params, lr=lr, weight_decay=wd / lr)]
    optimizer = lib.optim.SGD(param_configs, momentum=momentum, nesterov=True)
    total_train_steps = 4

    def get_lr(step: int) -> float:
        return float(np.interp(step, [0, total_train_steps * 0.2, total_train_steps], [0.2, 1, 0]))

    scheduler = lib.optim.lr_scheduler.LambdaLR(optimizer, get_lr)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2, reduction="none")
    net_ema = copy.deepcopy(net)
    stream = np.random.default_rng(0)
    res["losses"] = []
    for _step in range(total_train_steps):
        idx = stream.permutation(16)[:batch_size]
        inputs = batch_crop(images[L.tensor(idx)], 32, stream.integers(0, 3, size=(batch_size, 2)))
        inputs = batch_flip_lr(inputs, L.tensor(stream.random(batch_size) < 0.5))
        net.train()
        outputs = net(inputs.contiguous(memory_format=L.channels_last))
        loss = loss_fn(outputs, labels[L.tensor(idx)]).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        res["losses"].append(loss.item())
        with L.no_grad():
            # the EMA weight as a 0-d tensor (default float32 beside float64 weights), as scripts keeping the
            # decay in a tensor write it; the buffers copied
            weight = L.tensor(1 - ema_decay)
            for p_ema, p in zip(net_ema.parameters(), net.parameters()):
                p_ema.lerp_(p, weight)
            for b_ema, b in zip(net_ema.buffers(), net.buffers()):
                b_ema.copy_(b)
    res["lrs"] = [g["lr"] for g in optimizer.param_groups]
    res["momentum_buffer"] = optimizer.state[other_params[0]]["momentum_buffer"]

    def infer(inputs: Any, net: Any) -> Any:
        net.eval()
        with L.no_grad():
            logits = net(inputs)
            logits_flip = net(L.flip(inputs, dims=[-1]))
            padded = F.pad(inputs, (1,) * 4, "reflect")
            logits_tr = [net(padded[:, :, 0:32, 0:32]), net(padded[:, :, 2:34, 2:34])]
            logits_tr_flip = [net(L.flip(t, dims=[-1])) for t in (padded[:, :, 0:32, 0:32],)]
        return 0.25 * logits + 0.25 * logits_flip + 0.25 * (sum(logits_tr) / 2) + 0.25 * logits_tr_flip[0]

    test_inputs = images[8:].contiguous(memory_format=L.channels_last)
    res["logits"] = infer(test_inputs, net_ema)
    res["acc"] = (res["logits"].argmax(1) == labels[8:]).float().mean().item()
    res["ema_state"] = dict(net_ema.state_dict())
    return res


def test_airbench_hlb_cifar10_idioms(cifar_root: str) -> None:
    try:
        theirs, ours = dual(_airbench, cifar_root)
    finally:
        for lib in (torch, mt):
            lib.set_float32_matmul_precision("highest")
    assert ours["tf32"] == theirs["tf32"] == "high"
    assert ours["cl"] is theirs["cl"] is True
    assert ours["frozen"] == theirs["frozen"] == ["0.weight", "2.norm1.weight", "2.norm2.weight", "3.norm1.weight",
                                                  "3.norm2.weight", "4.norm1.weight", "4.norm2.weight"]
    t, o = Lib.np(theirs["whiten"]), Lib.np(ours["whiten"])
    signs = np.sign((t * o).sum(axis=(1, 2, 3), keepdims=True))
    assert_close(o * signs, t, F64, tol=1e-8, what="whitening weights up to each eigenvector's sign")
    assert_same(theirs, ours, skip=("whiten", "cl", "frozen"))


# --- kuangliu/pytorch-cifar beyond part c: utils.py's get_mean_and_std, init_params with the deprecated nn.init ----
# --- names (and its `if m.bias:` on a tensor), progress_bar's sys.stdout writes, blocks from its other models -------
# --- (SENet, ShuffleNet, EfficientNet's swish and drop_connect, DLA's Root), resuming start_epoch from ckpt.pth -----

TOTAL_BAR_LENGTH = 65.0


def format_time(seconds: float) -> str:
    days = int(seconds / 3600 / 24)
    seconds = seconds - days * 3600 * 24
    hours = int(seconds / 3600)
    seconds = seconds - hours * 3600
    minutes = int(seconds / 60)
    seconds = seconds - minutes * 60
    secondsf = int(seconds)
    millis = int((seconds - secondsf) * 1000)
    parts = [f"{days}D", f"{hours}h", f"{minutes}m", f"{secondsf}s", f"{millis}ms"]
    kept = [p for p, v in zip(parts, (days, hours, minutes, secondsf, millis)) if v > 0][:2]
    return "".join(kept) or "0ms"


def progress_bar(current: int, total: int, msg: str | None = None, step_time: float = 0.0) -> None:
    """utils.progress_bar as the script writes it (its clock replaced by a given step time, for equal output)."""
    cur_len = int(TOTAL_BAR_LENGTH * current / total)
    rest_len = int(TOTAL_BAR_LENGTH - cur_len) - 1
    sys.stdout.write(" [")
    for _ in range(cur_len):
        sys.stdout.write("=")
    sys.stdout.write(">")
    for _ in range(rest_len):
        sys.stdout.write(".")
    sys.stdout.write("]")
    parts = ["  Step: %s" % format_time(step_time)]  # noqa: UP031 - the script's format
    if msg:
        parts.append(" | " + msg)
    sys.stdout.write("".join(parts))
    sys.stdout.write(" %d/%d " % (current + 1, total))  # noqa: UP031 - the script's format
    sys.stdout.write("\r" if current < total - 1 else "\n")
    sys.stdout.flush()


def _kuangliu_utils(lib: Lib, root: str, ckpt_dir: str) -> dict:
    L, nn, F, init = lib.lib, lib.nn, lib.F, lib.nn.init
    T = lib.transforms
    res: dict = {}
    transform = T.Compose([T.ToTensor(), T.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))])
    trainset = lib.data.Subset(lib.datasets.CIFAR10(root, train=True, transform=transform), range(8))

    def get_mean_and_std(dataset: Any, cast: Any = lambda t: t) -> tuple:  # cast: the test's, for the twin
        dataloader = lib.data.DataLoader(dataset, batch_size=1, shuffle=False, num_workers=0)
        mean, std = cast(L.zeros(3)), cast(L.zeros(3))
        for inputs, _targets in dataloader:
            inputs = cast(inputs)
            for i in range(3):
                mean[i] += inputs[:, i, :, :].mean()
                std[i] += inputs[:, i, :, :].std()
        mean.div_(len(dataset))
        std.div_(len(dataset))
        return mean, std

    res["mean_std"] = list(get_mean_and_std(trainset))
    # the test's own lines: the float64 twin (the truth), and the mean of |pixel| per channel, the magnitude of the
    # normalised pixels (both signs) each mean sums
    double = lambda t: t.double()  # noqa: E731 - the twin's one difference
    res["mean_std64"] = list(get_mean_and_std(trainset, double))
    res["mean_terms"] = get_mean_and_std([(x.abs(), y) for x, y in trainset], double)[0]

    def swish(x: Any) -> Any:
        return x * x.sigmoid()

    def drop_connect(x: Any, drop_ratio: float) -> Any:
        keep_ratio = 1.0 - drop_ratio
        mask = L.empty([x.shape[0], 1, 1, 1], dtype=x.dtype, device=x.device)
        mask.bernoulli_(keep_ratio)
        x.div_(keep_ratio)
        x.mul_(mask)
        return x

    class SE(nn.Module):  # EfficientNet's and RegNet's squeeze-excitation
        def __init__(self, in_channels: int, se_channels: int) -> None:
            super().__init__()
            self.se1 = nn.Conv2d(in_channels, se_channels, kernel_size=1, bias=True)
            self.se2 = nn.Conv2d(se_channels, in_channels, kernel_size=1, bias=True)

        def forward(self, x: Any) -> Any:
            out = F.adaptive_avg_pool2d(x, (1, 1))
            out = swish(self.se1(out))
            out = self.se2(out).sigmoid()
            return x * out

    class ShuffleBlock(nn.Module):
        def __init__(self, groups: int) -> None:
            super().__init__()
            self.groups = groups

        def forward(self, x: Any) -> Any:
            N, C, H, W = x.size()
            g = self.groups
            return x.view(N, g, C // g, H, W).permute(0, 2, 1, 3, 4).reshape(N, C, H, W)

    class SEPreActBlock(nn.Module):  # SENet's PreActBlock
        def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
            super().__init__()
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False, groups=2)
            if stride != 1 or in_planes != planes:
                self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False))
            self.fc1 = nn.Conv2d(planes, planes // 4, kernel_size=1)
            self.fc2 = nn.Conv2d(planes // 4, planes, kernel_size=1)
            self.shuffle = ShuffleBlock(groups=2)

        def forward(self, x: Any) -> Any:
            out = F.relu(self.bn1(x))
            shortcut = self.shortcut(out) if hasattr(self, "shortcut") else x
            out = self.conv1(out)
            out = self.conv2(self.shuffle(F.relu(self.bn2(out))))
            w = F.avg_pool2d(out, out.size(2))
            w = F.relu(self.fc1(w))
            w = F.sigmoid(self.fc2(w))
            out = out * w
            out += shortcut
            return out

    class Root(nn.Module):  # DLA's Root
        def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1) -> None:
            super().__init__()
            self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=1,
                                  padding=(kernel_size - 1) // 2, bias=False)
            self.bn = nn.BatchNorm2d(out_channels)

        def forward(self, xs: list) -> Any:
            x = L.cat(xs, 1)
            return F.relu(self.bn(self.conv(x)))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
            self.block = SEPreActBlock(8, 16, stride=2)
            self.se = SE(16, 4)
            self.root = Root(32, 16)
            self.drop_rate = 0.0
            self.linear = nn.Linear(16, 10)

        def forward(self, x: Any) -> Any:
            out = self.conv1(x)
            a = self.block(out)
            b = swish(self.se(a))
            if self.training and self.drop_rate > 0:
                b = drop_connect(b, self.drop_rate)
            out = self.root([a, b])
            out = F.adaptive_avg_pool2d(out, 1)
            out = out.view(out.size(0), -1)
            return self.linear(out)

    def init_params(net: Any) -> None:
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal(m.weight, mode="fan_out")
                if m.bias:
                    init.constant(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                init.constant(m.weight, 1)
                init.constant(m.bias, 0)
            elif isinstance(m, nn.Linear):
                init.normal(m.weight, std=1e-3)
                if m.bias:
                    init.constant(m.bias, 0)

    net = Net().double()
    try:  # the SE convs have biases: `if m.bias:` asks a tensor of several values for its truth
        init_params(net)
    except RuntimeError as e:
        res["init_error"] = str(e)
    net.se = nn.Identity()
    net.block.fc1 = nn.Conv2d(16, 4, kernel_size=1, bias=False)
    net.block.fc2 = nn.Conv2d(4, 16, kernel_size=1, bias=False)
    net.linear = nn.Linear(16, 10, bias=False)
    net = net.double()
    init_params(net)
    conv_w = net.conv1.weight.detach()
    res["kaiming_std"] = round(float(conv_w.std()) / (2 / (8 * 9)) ** 0.5, 0)
    res["bn_ones"] = bool((net.block.bn2.weight == 1).all())
    net = lib.same_weights(net)
    net.drop_rate = 0.0

    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scheduler = L.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
    loader = lib.data.DataLoader(trainset, batch_size=4, shuffle=False, num_workers=0)
    out = io.StringIO()
    best_acc, start_epoch = 0, 0

    def train_and_test(epoch: int) -> None:
        nonlocal best_acc
        net.train()
        train_loss = correct = total = 0
        for batch_idx, (inputs, targets) in enumerate(loader):
            optimizer.zero_grad()
            outputs = net(inputs.double())
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
            progress_bar(batch_idx, len(loader), "Loss: %.3f | Acc: %.3f%% (%d/%d)"  # noqa: UP031
                         % (train_loss / (batch_idx + 1), 100. * correct / total, correct, total))
        acc = 100. * correct / total
        res[f"loss{epoch}"] = train_loss
        if acc >= best_acc:
            state = {"net": net.state_dict(), "acc": acc, "epoch": epoch}
            if not os.path.isdir(ckpt_dir):
                os.mkdir(ckpt_dir)
            L.save(state, os.path.join(ckpt_dir, "ckpt.pth"))
            best_acc = acc

    stdout, sys.stdout = sys.stdout, out
    try:
        for epoch in range(start_epoch, start_epoch + 2):
            train_and_test(epoch)
            scheduler.step()
        res["lr"] = scheduler.get_last_lr()
        # --resume: a fresh net, best_acc and start_epoch from the checkpoint, a fresh optimizer and schedule
        assert os.path.isdir(ckpt_dir), "Error: no checkpoint directory found!"
        checkpoint = L.load(os.path.join(ckpt_dir, "ckpt.pth"))
        net.load_state_dict(checkpoint["net"])
        best_acc, start_epoch = checkpoint["acc"], checkpoint["epoch"]
        res["resumed"] = (best_acc, start_epoch)
        optimizer = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        scheduler = L.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
        for epoch in range(start_epoch, start_epoch + 1):
            train_and_test(epoch + 10)
            scheduler.step()
    finally:
        sys.stdout = stdout
    res["stdout"] = out.getvalue()
    res["state"] = dict(net.state_dict())
    return res


def test_kuangliu_utils_and_resume(cifar_root: str, tmp_path: Any) -> None:
    theirs, ours = dual(_kuangliu_utils, cifar_root, str(tmp_path / "checkpoint"))
    assert ours["init_error"] == theirs["init_error"]
    assert "ambiguous" in theirs["init_error"]
    assert ours["kaiming_std"] == theirs["kaiming_std"] == 1.0
    assert ours["stdout"] == theirs["stdout"] and theirs["stdout"].count("Loss: ") == 6
    # ToTensor gives float32 images, so the per-channel means and stds are float32 sums: judged against their float64
    # twin (ours and torch's equal to 1e-10), the means (of normalised pixels, which cancel) at 1e-5 of the mean
    # |pixel|, the stds at 1e-5 of themselves, or within 4x torch's own float32 error of the truth
    o32, t32, t64 = ours["mean_std"], theirs["mean_std"], theirs["mean_std64"]
    assert_f32_close(Lib.np(o32[0]), Lib.np(t64[0]), torch32=Lib.np(t32[0]), cond=Lib.np(theirs["mean_terms"]),
                     what="means")
    assert_f32_close(Lib.np(o32[1]), Lib.np(t64[1]), torch32=Lib.np(t32[1]), what="stds")
    assert_same(theirs, ours, skip=("init_error", "stdout", "mean_std"))
    ckpt = torch.load(tmp_path / "checkpoint" / "ckpt.pth", weights_only=True)
    assert set(ckpt) == {"net", "acc", "epoch"}
