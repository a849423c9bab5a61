"""Dual-run scripts: the calls public PyTorch CNN scripts make, written once and run under ``torch`` and under
``minitorch_cnn`` by one switch (``lib``), with the same data and weights, asserting the same results.

Each body is our own script exercising what one public script does (named in its docstring); the only
harness line is ``lib.same_weights(model)`` (tests/_dual.py), which gives both libraries torch's initial weights.
Runs are in float64, so equal means to 1e-10; printed lines are compared as text, torch's ``torch.`` read as ``mt.``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _dual import Lib, assert_same, dual

RNG = np.random.default_rng(2026)


MNIST_X = RNG.standard_normal((12, 1, 28, 28))
MNIST_Y = RNG.integers(0, 10, 12)


def mnist_example(lib: Lib, p1: float, p2: float) -> dict:
    """pytorch/examples mnist/main.py: its Net, F.log_softmax + F.nll_loss, SGD with StepLR, the train/test
    loops and their log lines (the example's optimizer is Adadelta today; its 2019 version used SGD)."""
    nn, F, optim = lib.nn, lib.nn.functional, lib.optim
    from_numpy = lib.from_numpy

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(p1)
            self.dropout2 = nn.Dropout(p2)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = lib.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output

    data = lib.utils.data.TensorDataset(from_numpy(MNIST_X.copy()), from_numpy(MNIST_Y.copy()))
    train_loader = lib.utils.data.DataLoader(data, batch_size=4)
    model = Net()
    lib.same_weights(model)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    log, losses = [], []
    for epoch in range(1, 3):
        model.train()
        for batch_idx, (x, target) in enumerate(train_loader):
            optimizer.zero_grad()
            output = model(x)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            log.append(f"Train Epoch: {epoch} [{batch_idx * len(x)}/{len(train_loader.dataset)} "
                       f"({100.0 * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}")
        scheduler.step()
    model.eval()
    test_loss, correct = 0, 0
    with lib.no_grad():
        for x, target in train_loader:
            output = model(x)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(train_loader.dataset)
    log.append(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(train_loader.dataset)}")
    return {"losses": losses, "log": log if p1 == 0 else [], "fc2": model.fc2.weight,
            "lr": scheduler.get_last_lr()[0], "correct": correct}


def test_mnist_example_runs_the_same() -> None:
    theirs, ours = dual(mnist_example, 0.0, 0.0, float64=True)
    assert_same(theirs, ours)


def test_mnist_example_with_dropout_trains() -> None:
    """With the example's dropout the masks differ between libraries: the script runs and learns."""
    _, ours = dual(mnist_example, 0.25, 0.5, float64=True)
    assert len(ours["losses"]) == 6 and all(np.isfinite(ours["losses"])) and ours["lr"] == pytest.approx(0.0049)


BLITZ_X = RNG.standard_normal((1, 1, 32, 32))
BLITZ_G = RNG.standard_normal((1, 10))
BLITZ_T = RNG.standard_normal((1, 10))


def blitz_neural_networks(lib: Lib) -> dict:
    """The 60-minute blitz, "Neural Networks": the LeNet-like Net, out.backward(grad), MSELoss, reading
    loss.grad_fn and its next_functions, the hand-written update through .data, then optim.SGD."""
    nn, F, optim = lib.nn, lib.nn.functional, lib.optim

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, input: Any) -> Any:  # noqa: A002 - the tutorial's name
            c1 = F.relu(self.conv1(input))
            s2 = F.max_pool2d(c1, (2, 2))
            c3 = F.relu(self.conv2(s2))
            s4 = F.max_pool2d(c3, 2)
            s4 = lib.flatten(s4, 1)
            f5 = F.relu(self.fc1(s4))
            f6 = F.relu(self.fc2(f5))
            output = self.fc3(f6)
            return output

    net = Net()
    lib.same_weights(net)
    params = list(net.parameters())
    lines = [f"{len(params)} {params[0].size()}"]
    input = lib.tensor(BLITZ_X)  # noqa: A001 - the tutorial's name
    out = net(input)
    net.zero_grad()
    out.backward(lib.tensor(BLITZ_G))
    output = net(input)
    target = lib.tensor(BLITZ_T).view(1, -1)
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    lines.append(loss.grad_fn.name())
    lines.append(loss.grad_fn.next_functions[0][0].name())
    net.zero_grad()
    lines.append(f"conv1.bias.grad before backward {net.conv1.bias.grad}")
    loss.backward()
    bias_grad = net.conv1.bias.grad.clone()
    learning_rate = 0.01
    for f in net.parameters():
        f.data.sub_(f.grad.data * learning_rate)
    optimizer = optim.SGD(net.parameters(), lr=0.01)
    optimizer.zero_grad()
    output = net(input)
    loss = criterion(output, target)
    loss.backward()
    optimizer.step()
    return {"lines": lines, "bias_grad": bias_grad, "fc3": net.fc3.weight, "loss": loss.item()}


def test_blitz_neural_networks_runs_the_same() -> None:
    assert_same(*dual(blitz_neural_networks, float64=True))


CIFAR_X = RNG.standard_normal((8, 3, 32, 32))
CIFAR_Y = RNG.integers(0, 10, 8)


def blitz_cifar10(lib: Lib) -> dict:
    """The blitz's CIFAR-10 classifier: its Net, CrossEntropyLoss, SGD with momentum, the running-loss log line,
    torch.max(outputs.data, 1) and the accuracy count."""
    nn, F, optim = lib.nn, lib.nn.functional, lib.optim

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x: Any) -> Any:
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    net = Net()
    lib.same_weights(net)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    trainloader = lib.utils.data.DataLoader(
        lib.utils.data.TensorDataset(lib.tensor(CIFAR_X), lib.tensor(CIFAR_Y)), batch_size=4, shuffle=False)
    log = []
    for epoch in range(2):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            log.append(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 2:.3f}")
    correct, total = 0, 0
    with lib.no_grad():
        for images, labels in trainloader:
            outputs = net(images)
            _, predicted = lib.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return {"log": log, "correct": correct, "total": total, "fc3": net.fc3.weight}


def test_blitz_cifar10_runs_the_same() -> None:
    assert_same(*dual(blitz_cifar10, float64=True))


def tensor_and_autograd_basics(lib: Lib) -> dict:
    """The blitz's "Tensors" and "autograd" pages and the basics "Tensors" page: ones_like/rand_like, indexing
    assignment, cat, matmul/mul with out=, in-place add_, the NumPy bridge both ways, Q.backward(gradient)."""
    lines = []
    data = [[1, 2], [3, 4]]
    x_data = lib.tensor(data)
    x_ones = lib.ones_like(x_data)
    x_rand = lib.rand_like(x_data, dtype=lib.float)
    lines.append(f"Ones Tensor: \n {x_ones} \n{x_rand.shape} {x_rand.dtype}")
    shape = (2, 3)
    lines.append(f"{lib.rand(shape).shape} {lib.ones(shape)} {lib.zeros(shape)}")
    tensor = lib.ones(4, 4)
    lines.append(f"Shape of tensor: {tensor.shape}\nDatatype of tensor: {tensor.dtype}\nDevice: {tensor.device}")
    if lib.accelerator.is_available():
        tensor = tensor.to(lib.accelerator.current_accelerator())
    lines.append(f"First row: {tensor[0]}\nFirst column: {tensor[:, 0]}\nLast column: {tensor[..., -1]}")
    tensor[:, 1] = 0
    lines.append(str(tensor))
    t1 = lib.cat([tensor, tensor, tensor], dim=1)
    lines.append(str(t1))
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = lib.rand_like(y1)
    lib.matmul(tensor, tensor.T, out=y3)
    z1 = tensor * tensor
    z3 = lib.rand_like(tensor)
    lib.mul(tensor, tensor, out=z3)
    lines.append(f"{y1} {y2} {y3} {z1} {z3}")
    agg = tensor.sum()
    agg_item = agg.item()
    lines.append(f"{agg_item} {type(agg_item)}")
    tensor.add_(5)
    lines.append(f"{tensor} \n")
    t = lib.ones(5)
    n = t.numpy()
    t.add_(1)
    lines.append(f"t: {t}\nn: {n}")
    n = np.ones(5)
    t = lib.from_numpy(n)
    np.add(n, 1, out=n)
    lines.append(f"t: {t}\nn: {n}")
    a = lib.tensor([2.0, 3.0], requires_grad=True)
    b = lib.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a**3 - b**2  # noqa: N806 - the tutorial's name
    external_grad = lib.tensor([1.0, 1.0])
    Q.backward(gradient=external_grad)
    lines.append(f"{9 * a**2 == a.grad} {-2 * b == b.grad} {Q}")
    x = lib.ones(5)
    y = lib.zeros(3)
    w = lib.tensor(RNG_W, requires_grad=True)
    bb = lib.tensor(RNG_B, requires_grad=True)
    z = lib.matmul(x, w) + bb
    loss = ((z - y) ** 2).mean()
    lines.append(f"Gradient function for z = {z.grad_fn.name()}")
    loss.backward()
    with lib.no_grad():
        z = lib.matmul(x, w) + bb
    lines.append(f"{z.requires_grad} {z.detach().requires_grad}")
    inp = lib.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(lib.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(lib.ones_like(out), retain_graph=True)
    inp.grad.zero_()
    out.backward(lib.ones_like(out), retain_graph=True)
    return {"lines": lines, "w_grad": w.grad, "first": first, "again": inp.grad}


RNG_W, RNG_B = RNG.standard_normal((5, 3)), RNG.standard_normal(3)


def test_tensor_and_autograd_basics_run_the_same() -> None:
    assert_same(*dual(tensor_and_autograd_basics, float64=True))


FASHION_X = RNG.random((10, 1, 28, 28))
FASHION_Y = RNG.integers(0, 10, 10)


def basics_quickstart(lib: Lib) -> dict:
    """The basics quickstart / build-model / optimization pages: NeuralNetwork (Flatten + Sequential), the device
    from torch.accelerator, nn.Softmax(dim=1) and argmax(1), named_parameters, the train/test loops and their
    f-string log lines (``{loss:>7f}`` on a number, ``(pred.argmax(1) == y).type(torch.float)``)."""
    nn = lib.nn
    device = lib.accelerator.current_accelerator().type if lib.accelerator.is_available() else "cpu"

    class NeuralNetwork(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))

        def forward(self, x: Any) -> Any:
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork().to(device)
    lib.same_weights(model)
    lines = []
    X = lib.tensor(FASHION_X[:1], device=device)  # noqa: N806 - the tutorial's name
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    lines.append(f"Predicted class: {y_pred}")
    for name, param in model.named_parameters():
        lines.append(f"Layer: {name} | Size: {param.size()} | Values : {param[:2].shape} \n")
    dataset = lib.utils.data.TensorDataset(lib.tensor(FASHION_X), lib.tensor(FASHION_Y))
    dataloader = lib.utils.data.DataLoader(dataset, batch_size=4)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=1e-3)
    batch_size, size = 4, len(dataloader.dataset)
    for _ in range(2):
        model.train()
        for batch, (X, y) in enumerate(dataloader):  # noqa: N806
            X, y = X.to(device), y.to(device)  # noqa: N806
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss, current = loss.item(), batch * batch_size + len(X)
            lines.append(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
        model.eval()
        num_batches = len(dataloader)
        test_loss, correct = 0, 0
        with lib.no_grad():
            for X, y in dataloader:  # noqa: N806
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(lib.float).sum().item()
        test_loss /= num_batches
        correct /= size
        lines.append(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return {"lines": lines, "out": model.linear_relu_stack[4].weight}


def test_basics_quickstart_runs_the_same() -> None:
    assert_same(*dual(basics_quickstart, float64=True))


D2L_X = RNG.standard_normal((4, 1, 12, 12))
D2L_Y = RNG.integers(0, 10, 4)


def d2l_batchnorm_resnet(lib: Lib) -> dict:
    """d2l's CNN chapters without lazy modules (its first edition): batch norm from scratch (is_grad_enabled,
    mean over dims with keepdim, .data of the moving statistics), the Residual block with its in-place
    ``Y += X``, init by ``net.apply`` with xavier_uniform_, and SGD steps."""
    nn, F = lib.nn, lib.nn.functional

    def batch_norm(X: Any, gamma: Any, beta: Any, moving_mean: Any, moving_var: Any, eps: float,  # noqa: N803
                   momentum: float) -> Any:
        if not lib.is_grad_enabled():
            X_hat = (X - moving_mean) / lib.sqrt(moving_var + eps)  # noqa: N806
        else:
            assert len(X.shape) in (2, 4)
            if len(X.shape) == 2:
                mean = X.mean(dim=0)
                var = ((X - mean) ** 2).mean(dim=0)
            else:
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            X_hat = (X - mean) / lib.sqrt(var + eps)  # noqa: N806
            moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
            moving_var = (1.0 - momentum) * moving_var + momentum * var
        Y = gamma * X_hat + beta  # noqa: N806
        return Y, moving_mean.data, moving_var.data

    class BatchNorm(nn.Module):
        def __init__(self, num_features: int, num_dims: int) -> None:
            super().__init__()
            shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
            self.gamma = nn.Parameter(lib.ones(shape))
            self.beta = nn.Parameter(lib.zeros(shape))
            self.moving_mean = lib.zeros(shape)
            self.moving_var = lib.ones(shape)

        def forward(self, X: Any) -> Any:  # noqa: N803
            if self.moving_mean.device != X.device:
                self.moving_mean = self.moving_mean.to(X.device)
                self.moving_var = self.moving_var.to(X.device)
            Y, self.moving_mean, self.moving_var = batch_norm(  # noqa: N806
                X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
            return Y

    class Residual(nn.Module):
        def __init__(self, input_channels: int, num_channels: int, use_1x1conv: bool = False,
                     strides: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
            self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv \
                else None
            self.bn1 = nn.BatchNorm2d(num_channels)
            self.bn2 = nn.BatchNorm2d(num_channels)

        def forward(self, X: Any) -> Any:  # noqa: N803
            Y = F.relu(self.bn1(self.conv1(X)))  # noqa: N806
            Y = self.bn2(self.conv2(Y))  # noqa: N806
            if self.conv3:
                X = self.conv3(X)  # noqa: N806
            Y += X  # noqa: N806
            return F.relu(Y)

    net = nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1), BatchNorm(4, num_dims=4), nn.Sigmoid(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        Residual(4, 4), Residual(4, 6, use_1x1conv=True, strides=2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(6 * 1 * 1, 10))

    def init_cnn(module: Any) -> None:
        if type(module) is nn.Linear or type(module) is nn.Conv2d:
            nn.init.xavier_uniform_(module.weight)

    net.apply(init_cnn)
    lib.same_weights(net)
    X = lib.tensor(D2L_X)  # noqa: N806
    shapes = []
    for layer in net:
        X = layer(X)  # noqa: N806
        shapes.append(f"{layer.__class__.__name__} output shape:\t{X.shape}")
    optimizer = lib.optim.SGD(net.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        loss = F.cross_entropy(net(lib.tensor(D2L_X)), lib.tensor(D2L_Y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with lib.no_grad():
        eval_out = net.eval()(lib.tensor(D2L_X))
    return {"shapes": shapes, "losses": losses, "moving_mean": net[1].moving_mean, "eval": eval_out}


def test_d2l_batchnorm_and_resnet_blocks_run_the_same() -> None:
    assert_same(*dual(d2l_batchnorm_resnet, float64=True))


LAZY_X = RNG.standard_normal((4, 1, 28, 28))
LAZY_Y = RNG.integers(0, 10, 4)


def d2l_lazy_models(lib: Lib) -> dict:
    """d2l's second-edition CNN chapters: LeNet and BN-LeNet from lazy layers (shapes fixed at the first
    forward), the ResNet Residual block on LazyConv2d/LazyBatchNorm2d, the layer-by-layer shape summary, the
    dummy forward before init (d2l's apply_init) with xavier_uniform_, then SGD steps."""
    nn, F = lib.nn, lib.nn.functional

    class Residual(nn.Module):
        def __init__(self, num_channels: int, use_1x1conv: bool = False, strides: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
            self.bn1 = nn.LazyBatchNorm2d()
            self.bn2 = nn.LazyBatchNorm2d()

        def forward(self, X: Any) -> Any:  # noqa: N803
            Y = F.relu(self.bn1(self.conv1(X)))  # noqa: N806
            Y = self.bn2(self.conv2(Y))  # noqa: N806
            if self.conv3:
                X = self.conv3(X)  # noqa: N806
            Y += X  # noqa: N806
            return F.relu(Y)

    lenet = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), nn.Sigmoid(), nn.LazyLinear(10))
    bn_lenet = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.LazyLinear(120), nn.LazyBatchNorm1d(), nn.Sigmoid(), nn.LazyLinear(10))
    resnet = nn.Sequential(
        nn.LazyConv2d(8, kernel_size=7, stride=2, padding=3), nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1), Residual(8), Residual(12, use_1x1conv=True, strides=2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(10))

    def init_cnn(module: Any) -> None:
        if type(module) is nn.Linear or type(module) is nn.Conv2d:
            nn.init.xavier_uniform_(module.weight)

    out: dict = {"shapes": [], "losses": []}
    for net in (lenet, bn_lenet, resnet):
        net(lib.tensor(LAZY_X))  # d2l's apply_init: a dummy forward fixes the shapes
        net.apply(init_cnn)
        lib.same_weights(net)
        X = lib.tensor(LAZY_X)  # noqa: N806
        for layer in net:
            X = layer(X)  # noqa: N806
            out["shapes"].append(f"{layer.__class__.__name__} output shape:\t{X.shape}")
        optimizer = lib.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(2):
            loss = F.cross_entropy(net(lib.tensor(LAZY_X)), lib.tensor(LAZY_Y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            out["losses"].append(loss.item())
        out[f"last_{len(out['losses'])}"] = list(net.parameters())[-1]
    return out


def test_d2l_lazy_models_run_the_same() -> None:
    assert_same(*dual(d2l_lazy_models, float64=True))
