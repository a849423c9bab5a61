"""A census of public PyTorch scripts, part h: what users write when they learn, from the most starred beginner
repository (yunjey/pytorch-tutorial), ported by one import switch. Each test makes the calls one script makes, in
the way it makes them, under torch and under minitorch_cnn from the same initial weights, and holds the results
equal: float64 twin runs to 1e-10 relative (1e-9 where Adam steps compound rounding); the linear-regression and
logistic-regression scripts, whose data are float32, are also run in float32 and judged against the float64 truth
of the same run (``assert_f32_close``).

Scripts: 01-basics pytorch_basics, linear_regression, logistic_regression, feedforward_neural_network;
02-intermediate convolutional_neural_network, deep_residual_network, recurrent_neural_network,
bidirectional_recurrent_neural_network, language_model (+ data_utils); 03-advanced generative_adversarial_network,
variational_autoencoder, neural_style_transfer, image_captioning (model.py, build_vocab.py, data_loader.py's
collate_fn, train.py's step, sample.py's greedy decoding). The scripts' code is not copied. Data: the first 300
train / 100 test images of the shared MNIST, a few images of the shared CIFAR-10 subset, a small text corpus and
captions written here. Cuts: batches and epochs; pretrained weights are ``pretrained=False`` (nothing is
downloaded); image captioning's ResNet-152 is a ResNet-18 (the same calls; 152 layers in float64 take ~40 s here).
Random draws the scripts make (``torch.randn`` noise, ``randn_like``, ``multinomial`` sampling) are made as the
scripts make them and checked for shape, but the values used come from one NumPy generator or one seeded
``torch.Generator`` shared by both runs; ``shuffle=True`` loaders get a seeded ``generator=`` so both runs walk one
order; random augmentations are built and applied once (shape checked), training uses the deterministic ones.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torchvision
from _dual import Lib, assert_same, dual
from _parity import assert_f32_close, data_root
from PIL import Image
from test_ported_census_i import idx_subset

N_TRAIN, N_TEST = 300, 100


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The first 300 train / 100 test images of the shared MNIST as plain IDX files (both libraries read them)."""
    return idx_subset(tmp_path_factory, "MNIST", N_TRAIN, N_TEST)


@pytest.fixture
def cifar_root(monkeypatch: pytest.MonkeyPatch) -> str:
    # the shared set is a content-checked subset of the official batches: torchvision's md5 check would refuse it
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    return str(data_root() / "cifar10-subset")


class _Replay(Lib):
    """torch again, loading the weights the first torch run recorded (into float64 models: the float64 truth)."""

    def same_weights(self, model: Any) -> Any:
        model.load_state_dict(torch.load(io.BytesIO(self.files[self.taken]), weights_only=True))
        self.taken += 1
        return model


def float32_runs(body: Any, *args: Any) -> tuple[dict, dict, dict]:
    """``body`` in float32 under torch and under minitorch_cnn (torch's initial weights), then under torch with the
    default dtype float64 from the same weights upcast: (torch32, ours32, truth64)."""
    theirs = Lib.torch()
    ours = Lib.mt(theirs.files)
    t32, o32 = body(theirs, *args), body(ours, *args)
    truth = _Replay(*[getattr(theirs, f.name) for f in dataclasses.fields(Lib)])
    truth.taken = 0
    torch.set_default_dtype(torch.float64)
    try:
        t64 = body(truth, *args)
    finally:
        torch.set_default_dtype(torch.float32)
    return t32, o32, t64


def assert_f32_all(t32: dict, o32: dict, t64: dict, skip: tuple = ()) -> None:
    for key in t32.keys() - set(skip):
        if isinstance(t32[key], (str, int)) and not isinstance(t32[key], bool) and not isinstance(t32[key], float):
            continue
        assert_f32_close(Lib.np(o32[key]), Lib.np(t64[key]), torch32=Lib.np(t32[key]), what=key)


def _device(L: Any) -> Any:
    return L.device("cuda" if L.cuda.is_available() else "cpu")


def _warned(fn: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(w.message) for w in caught]


def _mnist_loaders(lib: Lib, root: str, batch_size: int, transform: Any = None) -> tuple:
    tr = transform or lib.transforms.ToTensor()
    train_dataset = lib.datasets.MNIST(root=root, train=True, transform=tr, download=True)
    test_dataset = lib.datasets.MNIST(root=root, train=False, transform=lib.transforms.ToTensor())
    train_loader = lib.data.DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=True,
                                       generator=lib.lib.Generator().manual_seed(0))
    test_loader = lib.data.DataLoader(dataset=test_dataset, batch_size=batch_size, shuffle=False)
    return train_dataset, train_loader, test_loader


def _png_pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path), dtype=np.int16)


# --- 01-basics/pytorch_basics: autograd on scalars, a Linear step, from_numpy, the CIFAR input pipeline, a custom --
# --- Dataset, finetuning the top of a ResNet-18, saving the whole model and its state_dict -----------------------


def _pytorch_basics(lib: Lib, cifar: str, tmp: Path) -> dict:
    L, nn = lib.lib, lib.nn
    out: dict = {}
    x = L.tensor(1., requires_grad=True)
    w = L.tensor(2., requires_grad=True)
    b = L.tensor(3., requires_grad=True)
    y = w * x + b
    y.backward()
    out.update(x_grad=x.grad, w_grad=w.grad, b_grad=b.grad, printed=f"{x.grad} {w.grad} {b.grad}")

    rng = np.random.default_rng(0)
    assert tuple(L.randn(10, 3).shape) == (10, 3)
    x, y = L.tensor(rng.standard_normal((10, 3))), L.tensor(rng.standard_normal((10, 2)))
    linear = lib.same_weights(nn.Linear(3, 2))
    out["w_repr"] = repr(linear.weight).replace("-0.", " 0.")  # the values print alike; the format is checked
    criterion = nn.MSELoss()
    optimizer = L.optim.SGD(linear.parameters(), lr=0.01)
    pred = linear(x)
    loss = criterion(pred, y)
    out["loss"] = loss.item()
    loss.backward()
    out.update(dL_dw=linear.weight.grad, dL_db=linear.bias.grad)
    optimizer.step()
    pred = linear(x)
    loss = criterion(pred, y)
    out["loss_after_step"] = loss.item()
    linear.weight.data.sub_(0.01 * linear.weight.grad.data)  # the script's "low level" step
    linear.bias.data.sub_(0.01 * linear.bias.grad.data)
    out.update(w=linear.weight, b=linear.bias)

    xn = np.array([[1, 2], [3, 4]])
    yt = L.from_numpy(xn)
    z = yt.numpy()
    out.update(from_numpy=str(yt.dtype), z=z, shares=bool(np.shares_memory(z, xn)))

    train_dataset = lib.datasets.CIFAR10(root=cifar, train=True, transform=lib.transforms.ToTensor(), download=True)
    image, label = train_dataset[0]
    out.update(image_size=str(image.size()), label=label, image=image)
    train_loader = lib.data.DataLoader(dataset=lib.data.Subset(train_dataset, range(160)), batch_size=64,
                                       shuffle=True, generator=L.Generator().manual_seed(1))
    data_iter = iter(train_loader)
    out["iter_has_next_method"] = hasattr(data_iter, "next")  # the script's data_iter.next(): gone in torch too
    images, labels = next(data_iter)
    out.update(images=images, labels=labels)
    out["batches"] = [tuple(imgs.shape) for imgs, _ in train_loader]

    class CustomDataset(lib.data.Dataset):
        def __init__(self) -> None:
            pass

        def __getitem__(self, index: int) -> Any:
            pass

        def __len__(self) -> int:
            return 0

    try:
        lib.data.DataLoader(dataset=CustomDataset(), batch_size=64, shuffle=True)
    except ValueError as e:
        out["empty_dataset_error"] = str(e)

    resnet, out["pretrained_warnings"] = _warned(lambda: lib.models.resnet18(pretrained=False))
    for param in resnet.parameters():
        param.requires_grad = False
    resnet.fc = nn.Linear(resnet.fc.in_features, 100)
    lib.same_weights(resnet)
    images = L.tensor(rng.standard_normal((2, 3, 32, 32)))  # the script's torch.randn(64, 3, 224, 224), cut
    outputs = resnet(images)
    out.update(outputs=outputs, outputs_size=str(outputs.size()), trainable=[n for n, p in
                                                                              resnet.named_parameters()
                                                                              if p.requires_grad])
    ckpt, params = tmp / f"{lib.name}-model.ckpt", tmp / f"{lib.name}-params.ckpt"
    L.save(resnet, ckpt)
    try:  # the script's torch.load('model.ckpt'): torch >= 2.6 loads weights only, and refuses a pickled Module
        L.load(ckpt)
    except pickle.UnpicklingError as e:
        out["load_whole_model"] = "weights_only" in str(e)
    model = L.load(ckpt, weights_only=False)
    out["reloaded_outputs"] = model(images)
    L.save(resnet.state_dict(), params)
    out["load_state_dict"] = str(resnet.load_state_dict(L.load(params)))
    return out


def test_pytorch_basics(cifar_root: str, tmp_path: Path) -> None:
    theirs, ours = dual(_pytorch_basics, cifar_root, tmp_path, float64=True)
    assert theirs["iter_has_next_method"] is False and theirs["load_whole_model"] is True
    assert "num_samples should be a positive integer value" in theirs["empty_dataset_error"]
    assert_same(theirs, ours)


# --- 01-basics/linear_regression: float32 NumPy arrays through from_numpy, nn.Linear(1, 1), SGD for 60 epochs ------


def _linear_regression(lib: Lib) -> dict:
    L, nn = lib.lib, lib.nn
    dt = np.float64 if L.get_default_dtype() == L.float64 else np.float32  # the truth run: the same data upcast
    x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168], [9.779], [6.182], [7.59], [2.167], [7.042],
                        [10.791], [5.313], [7.997], [3.1]], dtype=np.float32).astype(dt)
    y_train = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573], [3.366], [2.596], [2.53], [1.221], [2.827],
                        [3.465], [1.65], [2.904], [1.3]], dtype=np.float32).astype(dt)
    model = lib.same_weights(nn.Linear(1, 1))
    criterion = nn.MSELoss()
    optimizer = L.optim.SGD(model.parameters(), lr=0.001)
    inputs, targets = L.from_numpy(x_train), L.from_numpy(y_train)
    out: dict = {}
    for epoch in range(60):
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (epoch + 1) % 5 == 0:
            out[f"loss{epoch + 1}"] = loss.item()
    out["predicted"] = model(inputs).detach().numpy()
    out["dtype"] = str(out["predicted"].dtype)
    out.update({f"state.{k}": v for k, v in model.state_dict().items()})
    return out


def test_linear_regression_float32_against_the_float64_truth() -> None:
    t32, o32, t64 = float32_runs(_linear_regression)
    assert o32["dtype"] == t32["dtype"] == "float32" and t64["dtype"] == "float64"
    assert_f32_all(t32, o32, t64, skip=("dtype",))


# --- 01-basics/logistic_regression and feedforward_neural_network: MNIST through ToTensor, reshape(-1, 784), -------
# --- CrossEntropyLoss, SGD / Adam, torch.max(outputs.data, 1), (predicted == labels).sum(), accuracy strings -------


def _mnist_mlp(lib: Lib, root: str, hidden: int | None) -> dict:
    L, nn = lib.lib, lib.nn
    device = _device(L)
    input_size, num_classes, batch_size, num_epochs = 28 * 28, 10, 100, 2
    _, train_loader, test_loader = _mnist_loaders(lib, root, batch_size)

    class NeuralNet(nn.Module):
        def __init__(self, input_size: int, hidden_size: int, num_classes: int) -> None:
            super(NeuralNet, self).__init__()  # noqa: UP008 - the script's spelling
            self.fc1 = nn.Linear(input_size, hidden_size)
            self.relu = nn.ReLU()
            self.fc2 = nn.Linear(hidden_size, num_classes)

        def forward(self, x: Any) -> Any:
            out = self.fc1(x)
            out = self.relu(out)
            out = self.fc2(out)
            return out

    if hidden is None:  # logistic regression
        model = lib.same_weights(nn.Linear(input_size, num_classes))
        optimizer = L.optim.SGD(model.parameters(), lr=0.001)
    else:
        model = lib.same_weights(NeuralNet(input_size, hidden, num_classes).to(device))
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
    criterion = nn.CrossEntropyLoss()
    total_step = len(train_loader)
    out: dict = {"total_step": total_step}
    for epoch in range(num_epochs):
        for i, (images, labels) in enumerate(train_loader):
            images = images.reshape(-1, input_size).to(device)
            labels = labels.to(device)
            outputs = model(images)
            loss = criterion(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            out[f"line{epoch}.{i}"] = "Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}".format(  # noqa: UP032 - the script\'s formatting
                epoch + 1, num_epochs, i + 1, total_step, loss.item())
            out[f"loss{epoch}.{i}"] = loss.item()
    with L.no_grad():
        correct = 0
        total = 0
        for images, labels in test_loader:
            images = images.reshape(-1, input_size).to(device)
            labels = labels.to(device)
            outputs = model(images)
            _, predicted = L.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum() if hidden is None else (predicted == labels).sum().item()
        out["accuracy"] = "Accuracy of the model on the 10000 test images: {} %".format(100 * correct / total)  # noqa: UP032
        out["outputs"] = outputs
    L.save(model.state_dict(), io.BytesIO())
    out.update({f"state.{k}": v for k, v in model.state_dict().items()})
    return out


def test_logistic_regression(mnist_root: str) -> None:
    theirs, ours = dual(_mnist_mlp, mnist_root, None, float64=True)
    assert "tensor" not in theirs["accuracy"]  # 100 * correct / total is a 0-d tensor: format prints its item
    assert_same(theirs, ours)
    t32, o32, t64 = float32_runs(_mnist_mlp, mnist_root, None)
    assert t32["accuracy"] == o32["accuracy"].replace("mt.", "torch.")
    assert_f32_all(t32, o32, t64, skip=[k for k in t32 if k.startswith("line") or k == "accuracy"])


def test_feedforward_neural_network(mnist_root: str) -> None:
    theirs, ours = dual(_mnist_mlp, mnist_root, 500, float64=True)
    assert_same(theirs, ours, tol=1e-9)  # Adam divides by the root of accumulated squares: rounding compounds


# --- 02-intermediate/convolutional_neural_network: two Conv-BN-ReLU-MaxPool layers, reshape(out.size(0), -1), eval --


def _convnet(lib: Lib, root: str) -> dict:
    L, nn = lib.lib, lib.nn
    device = L.device("cuda:0" if L.cuda.is_available() else "cpu")
    _, train_loader, test_loader = _mnist_loaders(lib, root, 50)

    class ConvNet(nn.Module):
        def __init__(self, num_classes: int = 10) -> None:
            super(ConvNet, self).__init__()  # noqa: UP008
            self.layer1 = nn.Sequential(nn.Conv2d(1, 16, kernel_size=5, stride=1, padding=2), nn.BatchNorm2d(16),
                                        nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2))
            self.layer2 = nn.Sequential(nn.Conv2d(16, 32, kernel_size=5, stride=1, padding=2), nn.BatchNorm2d(32),
                                        nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2))
            self.fc = nn.Linear(7 * 7 * 32, num_classes)

        def forward(self, x: Any) -> Any:
            out = self.layer1(x)
            out = self.layer2(out)
            out = out.reshape(out.size(0), -1)
            out = self.fc(out)
            return out

    model = lib.same_weights(ConvNet(10).to(device))
    criterion = nn.CrossEntropyLoss()
    optimizer = L.optim.Adam(model.parameters(), lr=0.001)
    out: dict = {}
    for i, (images, labels) in enumerate(train_loader):
        if i == 2:
            break
        outputs = model(images.to(device))
        loss = criterion(outputs, labels.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out[f"loss{i}"] = loss.item()
    model.eval()
    with L.no_grad():
        correct = total = 0
        for images, labels in test_loader:
            outputs = model(images.to(device))
            _, predicted = L.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    out.update(correct=correct, total=total, outputs=outputs)
    out.update({f"state.{k}": v for k, v in model.state_dict().items()})
    return out


def test_convolutional_neural_network(mnist_root: str) -> None:
    theirs, ours = dual(_convnet, mnist_root, float64=True)
    # two Adam steps; the conv biases feeding training-mode BatchNorm have a zero gradient up to rounding (~1e-12
    # of the summed terms), which Adam's first steps divide by its own root plus eps=1e-8 (see part g): each moves by
    # lr x (rounding / (|rounding| + eps)), ~1e-7 here. Those biases and their norms' running means are held to 1e-5,
    # the eval-mode outputs they shift to 1e-7; everything else to 1e-9
    loose = {k: 1e-5 for k in theirs if k.endswith(("0.bias", "running_mean"))} | {"outputs": 1e-7}
    assert_same(theirs, ours, skip=loose, tol=1e-9)
    for k, tol in loose.items():
        assert_same({k: theirs[k]}, {k: ours[k]}, tol=tol)


# --- 02-intermediate/deep_residual_network: CIFAR-10, Pad/RandomHorizontalFlip/RandomCrop, conv3x3 blocks with ----
# --- `if self.downsample:` and `out += residual`, AvgPool2d(8), the learning rate decayed through param_groups ------


def _deep_residual(lib: Lib, root: str) -> dict:
    L, nn, T = lib.lib, lib.nn, lib.transforms
    device = _device(L)
    transform = T.Compose([T.Pad(4), T.RandomHorizontalFlip(), T.RandomCrop(32), T.ToTensor()])
    train_dataset = lib.datasets.CIFAR10(root=root, train=True, transform=T.ToTensor(), download=True)
    test_dataset = lib.datasets.CIFAR10(root=root, train=False, transform=T.ToTensor())
    out: dict = {"augmented": tuple(transform(lib.datasets.CIFAR10(root, train=True)[0][0]).shape)}
    train_loader = lib.data.DataLoader(dataset=lib.data.Subset(train_dataset, range(8)), batch_size=4,
                                       shuffle=True, generator=L.Generator().manual_seed(2))
    test_loader = lib.data.DataLoader(dataset=lib.data.Subset(test_dataset, range(4)), batch_size=4, shuffle=False)

    def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> Any:
        return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)

    class ResidualBlock(nn.Module):
        def __init__(self, in_channels: int, out_channels: int, stride: int = 1, downsample: Any = None) -> None:
            super(ResidualBlock, self).__init__()  # noqa: UP008
            self.conv1 = conv3x3(in_channels, out_channels, stride)
            self.bn1 = nn.BatchNorm2d(out_channels)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(out_channels, out_channels)
            self.bn2 = nn.BatchNorm2d(out_channels)
            self.downsample = downsample

        def forward(self, x: Any) -> Any:
            residual = x
            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)
            out = self.conv2(out)
            out = self.bn2(out)
            if self.downsample:
                residual = self.downsample(x)
            out += residual
            out = self.relu(out)
            return out

    class ResNet(nn.Module):
        def __init__(self, block: Any, layers: list, num_classes: int = 10) -> None:
            super(ResNet, self).__init__()  # noqa: UP008
            self.in_channels = 16
            self.conv = conv3x3(3, 16)
            self.bn = nn.BatchNorm2d(16)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = self.make_layer(block, 16, layers[0])
            self.layer2 = self.make_layer(block, 32, layers[1], 2)
            self.layer3 = self.make_layer(block, 64, layers[2], 2)
            self.avg_pool = nn.AvgPool2d(8)
            self.fc = nn.Linear(64, num_classes)

        def make_layer(self, block: Any, out_channels: int, blocks: int, stride: int = 1) -> Any:
            downsample = None
            if (stride != 1) or (self.in_channels != out_channels):
                downsample = nn.Sequential(conv3x3(self.in_channels, out_channels, stride=stride),
                                           nn.BatchNorm2d(out_channels))
            layers = [block(self.in_channels, out_channels, stride, downsample)]
            self.in_channels = out_channels
            for _ in range(1, blocks):
                layers.append(block(out_channels, out_channels))
            return nn.Sequential(*layers)

        def forward(self, x: Any) -> Any:
            out = self.relu(self.bn(self.conv(x)))
            out = self.layer3(self.layer2(self.layer1(out)))
            out = self.avg_pool(out)
            out = out.view(out.size(0), -1)
            return self.fc(out)

    model = lib.same_weights(ResNet(ResidualBlock, [2, 2, 2]).to(device))
    criterion = nn.CrossEntropyLoss()
    learning_rate = 0.001
    optimizer = L.optim.Adam(model.parameters(), lr=learning_rate)

    def update_lr(optimizer: Any, lr: float) -> None:
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr

    curr_lr = learning_rate
    for epoch in range(2):
        for i, (images, labels) in enumerate(train_loader):
            outputs = model(images.to(device))
            loss = criterion(outputs, labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            out[f"line{epoch}.{i}"] = "Epoch [{}/{}], Step [{}/{}] Loss: {:.4f}".format(  # noqa: UP032 - the script\'s formatting
                epoch + 1, 2, i + 1, len(train_loader), loss.item())
        if (epoch + 1) % 1 == 0:  # the script decays every 20 of 80 epochs
            curr_lr /= 3
            update_lr(optimizer, curr_lr)
    model.eval()
    with L.no_grad():
        for images, _labels in test_loader:
            out["outputs"] = model(images.to(device))
    out["lr"] = optimizer.param_groups[0]["lr"]
    out.update({f"state.{k}": v for k, v in model.state_dict().items()})
    return out


def test_deep_residual_network(cifar_root: str) -> None:
    theirs, ours = dual(_deep_residual, cifar_root, float64=True)
    assert theirs["augmented"] == (3, 32, 32)
    assert_same(theirs, ours, tol=1e-9)


# --- 02-intermediate/recurrent_neural_network and bidirectional_recurrent_neural_network: MNIST rows as sequences, --
# --- a 2-layer LSTM(batch_first) from zero (h0, c0) built with .to(device), out[:, -1, :] into a Linear ------------


def _mnist_lstm(lib: Lib, root: str, bidirectional: bool) -> dict:
    L, nn = lib.lib, lib.nn
    device = _device(L)
    sequence_length, input_size, hidden_size, num_layers, num_classes = 28, 28, 128, 2, 10
    _, train_loader, test_loader = _mnist_loaders(lib, root, 20)

    class BiRNN(nn.Module):
        def __init__(self, input_size: int, hidden_size: int, num_layers: int, num_classes: int) -> None:
            super(BiRNN, self).__init__()  # noqa: UP008
            self.hidden_size = hidden_size
            self.num_layers = num_layers
            self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional)
            self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

        def forward(self, x: Any) -> Any:
            d = 2 if bidirectional else 1
            h0 = L.zeros(self.num_layers * d, x.size(0), self.hidden_size).to(device)
            c0 = L.zeros(self.num_layers * d, x.size(0), self.hidden_size).to(device)
            out, _ = self.lstm(x, (h0, c0))
            out = self.fc(out[:, -1, :])
            return out

    model = lib.same_weights(BiRNN(input_size, hidden_size, num_layers, num_classes).to(device))
    criterion = nn.CrossEntropyLoss()
    optimizer = L.optim.Adam(model.parameters(), lr=0.003 if bidirectional else 0.01)
    out: dict = {}
    for i, (images, labels) in enumerate(train_loader):
        if i == 2:
            break
        images = images.reshape(-1, sequence_length, input_size).to(device)
        outputs = model(images)
        loss = criterion(outputs, labels.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out[f"loss{i}"] = loss.item()
    model.eval()
    with L.no_grad():
        images, labels = next(iter(test_loader))
        outputs = model(images.reshape(-1, sequence_length, input_size).to(device))
        _, predicted = L.max(outputs.data, 1)
        out.update(outputs=outputs, correct=(predicted == labels).sum().item())
    out.update({f"state.{k}": v for k, v in model.state_dict().items()})
    return out


@pytest.mark.parametrize("bidirectional", [False, True], ids=["recurrent", "bidirectional"])
def test_recurrent_neural_networks(mnist_root: str, bidirectional: bool) -> None:
    theirs, ours = dual(_mnist_lstm, mnist_root, bidirectional, float64=True)
    assert_same(theirs, ours, tol=1e-9)


# --- 02-intermediate/language_model: data_utils' Dictionary/Corpus (LongTensor(n) filled item by item, view), ------
# --- an Embedding-LSTM-Linear RNNLM, truncated BPTT by detach, clip_grad_norm_, sampling with multinomial + fill_ --

CORPUS = """the cat sat on the mat
the dog sat on the log
a cat and a dog met on the mat
the bird sang on the tree
a dog ran after the cat
the cat ran up the tree
the bird flew over the dog
a mat is on the floor
the log is by the tree
the dog and the cat are friends
"""


class _Dictionary:
    """The word index of language_model's data_utils.py (``Dictionary``) and of image_captioning's build_vocab.py
    (``Vocabulary``, which adds ``__call__``): plain Python, the same in both runs."""

    def __init__(self) -> None:
        self.word2idx: dict = {}
        self.idx2word: dict = {}
        self.idx = 0

    def add_word(self, word: str) -> None:
        if word not in self.word2idx:
            self.word2idx[word] = self.idx
            self.idx2word[self.idx] = word
            self.idx += 1

    def __len__(self) -> int:
        return len(self.word2idx)


def _language_model(lib: Lib, tmp: Path) -> dict:
    L, nn = lib.lib, lib.nn
    device = _device(L)
    path = tmp / "train.txt"
    path.write_text(CORPUS)

    class Corpus:
        def __init__(self) -> None:
            self.dictionary = _Dictionary()

        def get_data(self, path: Path, batch_size: int = 20) -> Any:
            with open(path) as f:
                tokens = 0
                for line in f:
                    words = line.split() + ["<eos>"]
                    tokens += len(words)
                    for word in words:
                        self.dictionary.add_word(word)
            ids = L.LongTensor(tokens)
            token = 0
            with open(path) as f:
                for line in f:
                    for word in line.split() + ["<eos>"]:
                        ids[token] = self.dictionary.word2idx[word]
                        token += 1
            num_batches = ids.size(0) // batch_size
            ids = ids[:num_batches * batch_size]
            return ids.view(batch_size, -1)

    embed_size, hidden_size, num_layers, batch_size, seq_length = 16, 32, 1, 4, 5
    corpus = Corpus()
    ids = corpus.get_data(path, batch_size)
    vocab_size = len(corpus.dictionary)
    num_batches = ids.size(1) // seq_length

    class RNNLM(nn.Module):
        def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, num_layers: int) -> None:
            super(RNNLM, self).__init__()  # noqa: UP008
            self.embed = nn.Embedding(vocab_size, embed_size)
            self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
            self.linear = nn.Linear(hidden_size, vocab_size)

        def forward(self, x: Any, h: Any) -> Any:
            x = self.embed(x)
            out, (h, c) = self.lstm(x, h)
            out = out.reshape(out.size(0) * out.size(1), out.size(2))
            out = self.linear(out)
            return out, (h, c)

    model = lib.same_weights(RNNLM(vocab_size, embed_size, hidden_size, num_layers).to(device))
    criterion = nn.CrossEntropyLoss()
    optimizer = L.optim.Adam(model.parameters(), lr=0.002)

    def detach(states: Any) -> list:
        return [state.detach() for state in states]

    out: dict = {"ids": ids, "vocab_size": vocab_size, "num_batches": num_batches}
    for epoch in range(2):
        states = (L.zeros(num_layers, batch_size, hidden_size).to(device),
                  L.zeros(num_layers, batch_size, hidden_size).to(device))
        for i in range(0, ids.size(1) - seq_length, seq_length):
            inputs = ids[:, i:i + seq_length].to(device)
            targets = ids[:, (i + 1):(i + 1) + seq_length].to(device)
            states = detach(states)
            outputs, states = model(inputs, states)
            loss = criterion(outputs, targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            out[f"norm{epoch}.{i}"] = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            step = (i + 1) // seq_length
            out[f"line{epoch}.{i}"] = "Epoch [{}/{}], Step[{}/{}], Loss: {:.4f}, Perplexity: {:5.2f}".format(  # noqa: UP032 - the script\'s formatting
                epoch + 1, 2, step, num_batches, loss.item(), np.exp(loss.item()))
    gen = L.Generator().manual_seed(5)  # the script samples from the global generator: one seeded stream here
    sample = io.StringIO()
    with L.no_grad():
        state = (L.zeros(num_layers, 1, hidden_size).to(device), L.zeros(num_layers, 1, hidden_size).to(device))
        prob = L.ones(vocab_size)
        drawn = L.multinomial(prob, num_samples=1).unsqueeze(1)
        assert tuple(drawn.shape) == (1, 1) and 0 <= drawn.item() < vocab_size
        input = L.multinomial(prob, num_samples=1, generator=gen).unsqueeze(1).to(device)  # noqa: A001
        for _ in range(12):
            output, state = model(input, state)
            prob = output.exp()
            word_id = L.multinomial(prob, num_samples=1, generator=gen).item()
            input.fill_(word_id)
            word = corpus.dictionary.idx2word[word_id]
            sample.write("\n" if word == "<eos>" else word + " ")
    out.update(sample=sample.getvalue(), last_output=output)
    out.update({f"state.{k}": v for k, v in model.state_dict().items()})
    return out


def test_language_model(tmp_path: Path) -> None:
    theirs, ours = dual(_language_model, tmp_path, float64=True)
    assert_same(theirs, ours, tol=1e-9)


# --- 03-advanced/generative_adversarial_network: Normalize on MNIST, MLP D/G in nn.Sequential with LeakyReLU, -----
# --- Sigmoid, Tanh, BCELoss, two Adams, reset_grad, denorm().clamp, save_image ---------------------------------


def _gan(lib: Lib, root: str, tmp: Path) -> dict:
    L, nn, T = lib.lib, lib.nn, lib.transforms
    device = _device(L)
    latent_size, hidden_size, image_size, batch_size = 64, 256, 784, 20
    out: dict = {}
    scripts = T.Compose([T.ToTensor(), T.Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))])
    try:  # the script's three-channel Normalize on one-channel MNIST: torchvision >= 0.8 refuses it
        scripts(lib.datasets.MNIST(root, train=True)[0][0])
    except RuntimeError as e:
        out["script_normalize"] = str(e)
    transform = T.Compose([T.ToTensor(), T.Normalize(mean=(0.5,), std=(0.5,))])
    _, data_loader, _ = _mnist_loaders(lib, root, batch_size, transform)
    D = nn.Sequential(nn.Linear(image_size, hidden_size), nn.LeakyReLU(0.2), nn.Linear(hidden_size, hidden_size),
                      nn.LeakyReLU(0.2), nn.Linear(hidden_size, 1), nn.Sigmoid())
    G = nn.Sequential(nn.Linear(latent_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, hidden_size), nn.ReLU(),
                      nn.Linear(hidden_size, image_size), nn.Tanh())
    D, G = lib.same_weights(D.to(device)), lib.same_weights(G.to(device))
    criterion = nn.BCELoss()
    d_optimizer = L.optim.Adam(D.parameters(), lr=0.0002)
    g_optimizer = L.optim.Adam(G.parameters(), lr=0.0002)

    def denorm(x: Any) -> Any:
        out = (x + 1) / 2
        return out.clamp(0, 1)

    def reset_grad() -> None:
        d_optimizer.zero_grad()
        g_optimizer.zero_grad()

    rng = np.random.default_rng(6)
    assert tuple(L.randn(batch_size, latent_size).to(device).shape) == (batch_size, latent_size)
    for i, (images, _) in enumerate(data_loader):
        images = images.reshape(batch_size, -1).to(device)
        real_labels = L.ones(batch_size, 1).to(device)
        fake_labels = L.zeros(batch_size, 1).to(device)
        outputs = D(images)
        d_loss_real = criterion(outputs, real_labels)
        real_score = outputs
        z = L.tensor(rng.standard_normal((batch_size, latent_size))).to(device)
        fake_images = G(z)
        outputs = D(fake_images)
        d_loss_fake = criterion(outputs, fake_labels)
        fake_score = outputs
        d_loss = d_loss_real + d_loss_fake
        reset_grad()
        d_loss.backward()
        d_optimizer.step()
        z = L.tensor(rng.standard_normal((batch_size, latent_size))).to(device)
        fake_images = G(z)
        outputs = D(fake_images)
        g_loss = criterion(outputs, real_labels)
        reset_grad()
        g_loss.backward()
        g_optimizer.step()
        out[f"step{i}"] = [d_loss.item(), g_loss.item(), real_score.mean().item(), fake_score.mean().item()]
        if i == 2:
            break
    images = images.reshape(images.size(0), 1, 28, 28)
    lib.vutils.save_image(denorm(images), os.path.join(tmp, f"{lib.name}-real_images.png"))
    fake_images = fake_images.reshape(fake_images.size(0), 1, 28, 28)
    lib.vutils.save_image(denorm(fake_images), os.path.join(tmp, f"{lib.name}-fake_images-1.png"))
    out["fake_images"] = fake_images
    out.update({f"G.{k}": v for k, v in G.state_dict().items()})
    out.update({f"D.{k}": v for k, v in D.state_dict().items()})
    return out


def test_generative_adversarial_network(mnist_root: str, tmp_path: Path) -> None:
    theirs, ours = dual(_gan, mnist_root, tmp_path, float64=True)
    assert "doesn't match the broadcast shape [3, 28, 28]" in theirs["script_normalize"]
    assert_same(theirs, ours, tol=1e-9)
    for name in ("real_images", "fake_images-1"):
        t, o = _png_pixels(tmp_path / f"torch-{name}.png"), _png_pixels(tmp_path / f"mt-{name}.png")
        assert t.shape == o.shape and np.abs(t - o).max() <= 1, name


# --- 03-advanced/variational_autoencoder: reparameterize (exp, randn_like), F.sigmoid, the legacy ----------------
# --- binary_cross_entropy(size_average=False), the KL term, sampled and reconstructed grids (cat dim=3) ----------


def _vae(lib: Lib, root: str, tmp: Path) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    device = _device(L)
    image_size, z_dim, batch_size = 784, 20, 32
    _, data_loader, _ = _mnist_loaders(lib, root, batch_size)
    rng = np.random.default_rng(7)

    class VAE(nn.Module):
        def __init__(self, image_size: int = 784, h_dim: int = 400, z_dim: int = 20) -> None:
            super(VAE, self).__init__()  # noqa: UP008
            self.fc1 = nn.Linear(image_size, h_dim)
            self.fc2 = nn.Linear(h_dim, z_dim)
            self.fc3 = nn.Linear(h_dim, z_dim)
            self.fc4 = nn.Linear(z_dim, h_dim)
            self.fc5 = nn.Linear(h_dim, image_size)

        def encode(self, x: Any) -> tuple:
            h = F.relu(self.fc1(x))
            return self.fc2(h), self.fc3(h)

        def reparameterize(self, mu: Any, log_var: Any) -> Any:
            std = L.exp(log_var / 2)
            assert tuple(L.randn_like(std).shape) == tuple(std.shape)
            eps = L.tensor(rng.standard_normal(tuple(std.shape)))  # the script's randn_like: one shared draw
            return mu + eps * std

        def decode(self, z: Any) -> Any:
            h = F.relu(self.fc4(z))
            return F.sigmoid(self.fc5(h))

        def forward(self, x: Any) -> tuple:
            mu, log_var = self.encode(x)
            z = self.reparameterize(mu, log_var)
            return self.decode(z), mu, log_var

    model = lib.same_weights(VAE().to(device))
    optimizer = L.optim.Adam(model.parameters(), lr=1e-3)
    out: dict = {}
    for i, (x, _) in enumerate(data_loader):
        x = x.to(device).view(-1, image_size)
        x_reconst, mu, log_var = model(x)
        reconst_loss, out["legacy_warnings"] = _warned(
            lambda: F.binary_cross_entropy(x_reconst, x, size_average=False))  # noqa: B023
        kl_div = - 0.5 * L.sum(1 + log_var - mu.pow(2) - log_var.exp())
        loss = reconst_loss + kl_div
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out[f"step{i}"] = [reconst_loss.item(), kl_div.item()]
        if i == 2:
            break
    with L.no_grad():
        z = L.tensor(rng.standard_normal((batch_size, z_dim))).to(device)
        out_ = model.decode(z).view(-1, 1, 28, 28)
        lib.vutils.save_image(out_, os.path.join(tmp, f"{lib.name}-sampled-1.png"))
        out_, _, _ = model(x)
        x_concat = L.cat([x.view(-1, 1, 28, 28), out_.view(-1, 1, 28, 28)], dim=3)
        lib.vutils.save_image(x_concat, os.path.join(tmp, f"{lib.name}-reconst-1.png"))
    out.update(x_concat=x_concat)
    out.update({f"state.{k}": v for k, v in model.state_dict().items()})
    return out


def test_variational_autoencoder(mnist_root: str, tmp_path: Path) -> None:
    theirs, ours = dual(_vae, mnist_root, tmp_path, float64=True)
    assert theirs["legacy_warnings"] == [
        "size_average and reduce args will be deprecated, please use reduction='sum' instead."]
    # the KL term sums terms of both signs: its float64 rounding is relative to the summed magnitudes, not the sum
    assert_same(theirs, ours, tol=1e-9)
    for name in ("sampled-1", "reconst-1"):
        t, o = _png_pixels(tmp_path / f"torch-{name}.png"), _png_pixels(tmp_path / f"mt-{name}.png")
        assert t.shape == o.shape and np.abs(t - o).max() <= 1, name


# --- 03-advanced/neural_style_transfer: PIL images resized, ToTensor + Normalize + unsqueeze(0), a VGGNet over ----
# --- models.vgg19(pretrained=...).features walking vgg._modules, Adam on the image with betas=[0.5, 0.999], -------
# --- content and Gram-matrix style losses, the denorm Normalize + clamp_ and save_image ------------------------


def _style_transfer(lib: Lib, images: tuple[Path, Path], tmp: Path) -> dict:
    L, nn, T = lib.lib, lib.nn, lib.transforms
    device = _device(L)

    def load_image(image_path: Path, transform: Any = None, max_size: Any = None, shape: Any = None) -> Any:
        image = Image.open(image_path)
        if max_size:
            scale = max_size / max(image.size)
            size = np.array(image.size) * scale
            image = image.resize(size.astype(int), Image.LANCZOS)  # the script's Image.ANTIALIAS: gone in Pillow 10
        if shape:
            image = image.resize(shape, Image.LANCZOS)
        if transform:
            image = transform(image).unsqueeze(0)
        return image.to(device).double()  # the float64 twin run: .double() on the images and the net

    out: dict = {}

    class VGGNet(nn.Module):
        def __init__(self) -> None:
            super(VGGNet, self).__init__()  # noqa: UP008
            self.select = ["0", "5", "10", "19", "28"]
            self.vgg, out["pretrained_warnings"] = _warned(lambda: lib.models.vgg19(pretrained=False).features)

        def forward(self, x: Any) -> list:
            features = []
            for name, layer in self.vgg._modules.items():
                x = layer(x)
                if name in self.select:
                    features.append(x)
            return features

    transform = T.Compose([T.ToTensor(), T.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))])
    content = load_image(images[0], transform, max_size=32)
    style = load_image(images[1], transform, shape=[content.size(2), content.size(3)])
    target = content.clone().requires_grad_(True)
    optimizer = L.optim.Adam([target], lr=0.003, betas=[0.5, 0.999])
    vgg = lib.same_weights(VGGNet().to(device).eval()).double()
    style_weight = 100
    for step in range(2):
        target_features = vgg(target)
        content_features = vgg(content)
        style_features = vgg(style)
        style_loss = 0
        content_loss = 0
        for f1, f2, f3 in zip(target_features, content_features, style_features):
            content_loss += L.mean((f1 - f2) ** 2)
            _, c, h, w = f1.size()
            f1 = f1.view(c, h * w)
            f3 = f3.view(c, h * w)
            f1 = L.mm(f1, f1.t())
            f3 = L.mm(f3, f3.t())
            style_loss += L.mean((f1 - f3) ** 2) / (c * h * w)
        loss = content_loss + style_weight * style_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out[f"step{step}"] = [content_loss.item(), style_loss.item()]
    denorm = T.Normalize((-2.12, -2.04, -1.80), (4.37, 4.46, 4.44))
    img = target.clone().squeeze()
    img = denorm(img).clamp_(0, 1)
    out["img_graph"] = (img.requires_grad, img.grad_fn.name())  # Normalize is differentiable, clamp_ in place
    lib.vutils.save_image(img, tmp / f"{lib.name}-output-2.png")
    out.update(content=content, style=style, target=target, img=img, sizes=[tuple(f.shape) for f in style_features])
    return out


def test_neural_style_transfer(cifar_root: str, tmp_path: Path) -> None:
    import torchvision.datasets as tvd

    cifar = tvd.CIFAR10(cifar_root, train=False)
    paths = (tmp_path / "content.png", tmp_path / "style.png")
    cifar[0][0].resize((40, 40), Image.BILINEAR).save(paths[0])  # max_size=32 scales it down
    cifar[1][0].save(paths[1])
    theirs, ours = dual(_style_transfer, paths, tmp_path)
    assert theirs["sizes"][-1] == (1, 512, 2, 2) and len(theirs["pretrained_warnings"]) == 2
    assert theirs["img_graph"] == (True, "ClampBackward1")
    # the style loss's Gram matrices are sums of many products of ReLU outputs (no cancellation), Adam divides by
    # the root of the squared gradient: rounding compounds over two steps
    assert_same(theirs, ours, tol=1e-9)
    t, o = _png_pixels(tmp_path / "torch-output-2.png"), _png_pixels(tmp_path / "mt-output-2.png")
    assert t.shape == o.shape and np.abs(t - o).max() <= 1


# --- 03-advanced/image_captioning: build_vocab's Vocabulary (Counter, threshold, pickled), the dataset's ----------
# --- torch.Tensor(caption), collate_fn (sort, stack, zeros().long(), targets[i, :end] = cap[:end]), EncoderCNN ----
# --- (children()[:-1] of a ResNet under no_grad, Linear + BatchNorm1d(momentum=0.01)), DecoderRNN with -----------
# --- pack_padded_sequence and hiddens[0], train.py's targets = pack_padded_sequence(...)[0], greedy sample() -----

CAPTIONS = ["a frog sits on a leaf", "a big truck on the road", "a cat sleeps", "a small bird sits on a branch",
            "a red car on the road near a truck", "a dog runs", "a ship on the sea", "a horse in a field"]


def _captioning(lib: Lib, root: str, tmp: Path) -> dict:
    L, nn, T = lib.lib, lib.nn, lib.transforms
    pack_padded_sequence = nn.utils.rnn.pack_padded_sequence
    device = _device(L)

    class Vocabulary(_Dictionary):
        def __call__(self, word: str) -> int:
            if word not in self.word2idx:
                return self.word2idx["<unk>"]
            return self.word2idx[word]

    counter: Counter = Counter()
    for caption in CAPTIONS:
        counter.update(caption.lower().split())  # the script tokenizes with nltk.word_tokenize
    vocab = Vocabulary()
    for word in ("<pad>", "<start>", "<end>", "<unk>"):
        vocab.add_word(word)
    for word in [w for w, cnt in counter.items() if cnt >= 2]:
        vocab.add_word(word)
    with open(tmp / f"{lib.name}-vocab.pkl", "wb") as f:
        pickle.dump(vocab.word2idx, f)

    cifar = lib.datasets.CIFAR10(root, train=True)
    train_transform = T.Compose([T.RandomCrop(28), T.RandomHorizontalFlip(), T.ToTensor(),
                                 T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    transform = T.Compose([T.CenterCrop(28), T.ToTensor(), T.Normalize((0.485, 0.456, 0.406),
                                                                          (0.229, 0.224, 0.225))])
    out: dict = {"augmented": tuple(train_transform(cifar[0][0]).shape)}

    class CaptionDataset(lib.data.Dataset):
        def __getitem__(self, index: int) -> tuple:
            image = transform(cifar[index][0])
            tokens = CAPTIONS[index].lower().split()
            caption = [vocab("<start>")] + [vocab(token) for token in tokens] + [vocab("<end>")]
            return image, L.Tensor(caption)

        def __len__(self) -> int:
            return len(CAPTIONS)

    def collate_fn(data: list) -> tuple:
        data.sort(key=lambda x: len(x[1]), reverse=True)
        images, captions = zip(*data)
        images = L.stack(images, 0)
        lengths = [len(cap) for cap in captions]
        targets = L.zeros(len(captions), max(lengths)).long()
        for i, cap in enumerate(captions):
            end = lengths[i]
            targets[i, :end] = cap[:end]
        return images, targets, lengths

    data_loader = lib.data.DataLoader(dataset=CaptionDataset(), batch_size=4, shuffle=True, num_workers=0,
                                      collate_fn=collate_fn, generator=L.Generator().manual_seed(3))

    class EncoderCNN(nn.Module):
        def __init__(self, embed_size: int) -> None:
            super(EncoderCNN, self).__init__()  # noqa: UP008
            resnet = lib.models.resnet18(weights=None)  # the script: models.resnet152(pretrained=True)
            modules = list(resnet.children())[:-1]
            self.resnet = nn.Sequential(*modules)
            self.linear = nn.Linear(resnet.fc.in_features, embed_size)
            self.bn = nn.BatchNorm1d(embed_size, momentum=0.01)

        def forward(self, images: Any) -> Any:
            with L.no_grad():
                features = self.resnet(images)
            features = features.reshape(features.size(0), -1)
            return self.bn(self.linear(features))

    class DecoderRNN(nn.Module):
        def __init__(self, embed_size: int, hidden_size: int, vocab_size: int, num_layers: int,
                     max_seq_length: int = 20) -> None:
            super(DecoderRNN, self).__init__()  # noqa: UP008
            self.embed = nn.Embedding(vocab_size, embed_size)
            self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
            self.linear = nn.Linear(hidden_size, vocab_size)
            self.max_seg_length = max_seq_length

        def forward(self, features: Any, captions: Any, lengths: list) -> Any:
            embeddings = self.embed(captions)
            embeddings = L.cat((features.unsqueeze(1), embeddings), 1)
            packed = pack_padded_sequence(embeddings, lengths, batch_first=True)
            hiddens, _ = self.lstm(packed)
            return self.linear(hiddens[0])

        def sample(self, features: Any, states: Any = None) -> Any:
            sampled_ids = []
            inputs = features.unsqueeze(1)
            for _ in range(self.max_seg_length):
                hiddens, states = self.lstm(inputs, states)
                outputs = self.linear(hiddens.squeeze(1))
                _, predicted = outputs.max(1)
                sampled_ids.append(predicted)
                inputs = self.embed(predicted)
                inputs = inputs.unsqueeze(1)
            return L.stack(sampled_ids, 1)

    encoder = lib.same_weights(EncoderCNN(16).to(device))
    decoder = lib.same_weights(DecoderRNN(16, 32, len(vocab), 1, max_seq_length=8).to(device))
    criterion = nn.CrossEntropyLoss()
    params = list(decoder.parameters()) + list(encoder.linear.parameters()) + list(encoder.bn.parameters())
    optimizer = L.optim.Adam(params, lr=0.001)
    for i, (images, captions, lengths) in enumerate(data_loader):
        images = images.to(device)
        captions = captions.to(device)
        targets = pack_padded_sequence(captions, lengths, batch_first=True)[0]
        features = encoder(images)
        outputs = decoder(features, captions, lengths)
        loss = criterion(outputs, targets)
        decoder.zero_grad()
        encoder.zero_grad()
        loss.backward()
        optimizer.step()
        out[f"line{i}"] = "Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}, Perplexity: {:5.4f}".format(  # noqa: UP032 - the script\'s formatting
            0, 1, i, len(data_loader), loss.item(), np.exp(loss.item()))
        out.update({f"captions{i}": captions, f"targets{i}": targets, f"lengths{i}": lengths})
    encoder.eval()
    with L.no_grad():
        feature = encoder(images[:1])
        sampled_ids = decoder.sample(feature)
    sampled_ids = sampled_ids[0].cpu().numpy()
    words = []
    for word_id in sampled_ids:
        word = vocab.idx2word[word_id]
        words.append(word)
        if word == "<end>":
            break
    out.update(sentence=" ".join(words), feature=feature, encoder_grad_none=encoder.resnet[0].weight.grad is None)
    out.update({f"decoder.{k}": v for k, v in decoder.state_dict().items()})
    out.update({f"encoder.{k}": v for k, v in encoder.state_dict().items() if not k.startswith("resnet")})
    return out


def test_image_captioning(cifar_root: str, tmp_path: Path) -> None:
    theirs, ours = dual(_captioning, cifar_root, tmp_path, float64=True)
    assert theirs["augmented"] == (3, 28, 28) and theirs["encoder_grad_none"] is True
    assert_same(theirs, ours, tol=1e-9)
    assert (tmp_path / "torch-vocab.pkl").read_bytes() == (tmp_path / "mt-vocab.pkl").read_bytes()
