"""Public PyTorch CNN scripts, ported by one import switch: each test writes the calls one script makes, in the way
it makes them, runs them under torch and under minitorch_cnn from the same initial weights, and holds every
result equal (float64: 1e-10 relative; where a chain of steps amplifies rounding, the bound says why).

Each test names the script it mirrors. The scripts' own code is not copied: data are a few batches of the packaged
MNIST sample (or the shared CIFAR-10 subset), models are the scripts' architectures at their sizes unless stated,
and dropout is set to p=0 where a script uses it (the two libraries draw different masks).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import torch
import torchvision
from _dual import Lib, assert_same, dual, unpacked_sample
from _parity import assert_close, data_root
from PIL import Image

import minitorch_cnn as mt

F64 = np.float64


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(unpacked_sample(tmp_path_factory.mktemp("mnist")))


def _no_dropout(model: object) -> None:
    for m in model.modules():
        if "Dropout" in type(m).__name__:
            m.p = 0.0


# --- pytorch/examples mnist/main.py: Adadelta + StepLR, nll_loss on log_softmax, the test loop's counting -------


def _examples_mnist(lib: Lib, root: str) -> dict:
    nn, F, L = lib.nn, lib.F, lib.lib

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: object) -> object:
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = L.flatten(self.dropout1(x), 1)
            x = self.fc2(self.dropout2(F.relu(self.fc1(x))))
            return F.log_softmax(x, dim=1)

    L.manual_seed(1)
    transform = lib.transforms.Compose([lib.transforms.ToTensor(), lib.transforms.Normalize((0.1307,), (0.3081,))])
    train = lib.datasets.MNIST(root, train=True, download=True, transform=transform)
    test = lib.datasets.MNIST(root, train=False, transform=transform)
    train_loader = lib.data.DataLoader(lib.data.Subset(train, range(4)), batch_size=2)
    test_loader = lib.data.DataLoader(lib.data.Subset(test, range(6)), batch_size=3)
    device = L.device("cpu")
    model = lib.same_weights(Net().double().to(device))
    _no_dropout(model)
    optimizer = lib.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    out: dict = {"losses": []}
    for _ in range(2):
        model.train()
        for data, target in train_loader:
            data, target = data.to(device).double(), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            out["losses"].append(loss.item())
        scheduler.step()
    model.eval()
    test_loss, correct = 0.0, 0
    with L.no_grad():
        for data, target in test_loader:
            output = model(data.double())
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    out.update(test_loss=test_loss, correct=correct, lr=scheduler.get_last_lr()[0])
    out.update({k: v for k, v in model.state_dict().items()})
    return out


def test_examples_mnist_main(mnist_root: str) -> None:
    theirs, ours = dual(_examples_mnist, mnist_root)
    assert isinstance(ours["correct"], int)
    # four Adadelta steps at lr=1: the updates divide by accumulated squares, which multiplies rounding
    assert_same(theirs, ours, tol=1e-9)


# --- the blitz's tensor_tutorial and the basics' tensorqs_tutorial: factories, indexing, out=, in place, numpy ----


def _tensors(lib: Lib) -> dict:
    L = lib.lib
    data = [[1, 2], [3, 4]]
    x_data = L.tensor(data)
    x_np = L.from_numpy(np.array(data))
    out = {"ones_like": L.ones_like(x_data), "x_np": x_np, "x_dtype": str(x_data.dtype).split(".")[-1],
           "rand_like": (tuple(L.rand_like(x_data, dtype=L.float).shape), str(L.rand_like(x_data, dtype=L.float)
                                                                              .dtype).split(".")[-1])}
    shape = (2, 3,)
    out["zeros"] = L.zeros(shape) + L.ones(shape)
    tensor = L.arange(16, dtype=L.float64).reshape(4, 4) / 7
    out["row"], out["col"], out["last"] = tensor[0], tensor[:, 0], tensor[..., -1]
    tensor[:, 1] = 0
    out["cat"] = L.cat([tensor, tensor, tensor], dim=1)
    y3 = L.rand_like(tensor)
    r = L.matmul(tensor, tensor.T, out=y3)
    out["matmul_out"], out["out_is_y3"] = y3, r is y3
    out["y1"], out["y2"] = tensor @ tensor.T, tensor.matmul(tensor.T)
    z3 = L.rand_like(tensor)
    L.mul(tensor, tensor, out=z3)
    out["mul_out"], out["z2"] = z3, tensor.mul(tensor)
    agg_item = tensor.sum().item()
    out["item_type"] = type(agg_item).__name__
    out["agg"] = agg_item
    before = tensor
    tensor.add_(5)
    out["add_"], out["same_object"] = before, before is tensor
    t = L.ones(5)
    n = t.numpy()
    t.add_(1)
    out["numpy_shares"] = n.copy()
    n = np.ones(5)
    t = L.from_numpy(n)
    np.add(n, 1, out=n)
    out["from_numpy_shares"] = t
    out["fstring"] = f"{tensor.sum():.4f} {tensor[0, 0].item():>7f}"
    return out


def test_blitz_tensor_tutorial_and_basics_tensors() -> None:
    assert_same(*dual(_tensors))


# --- the blitz's autograd_tutorial: resnet18 backward + SGD, Q.backward(gradient=), freezing all but a new fc -----


def _blitz_autograd(lib: Lib) -> dict:
    L, nn = lib.lib, lib.nn
    L.manual_seed(0)
    model = lib.same_weights(lib.models.resnet18(weights=None).double())
    rng = np.random.default_rng(0)
    data = L.tensor(rng.random((1, 3, 64, 64)))
    labels = L.tensor(rng.random((1, 1000)))
    upstream = L.tensor(rng.standard_normal((1, 1000)))
    prediction = model(data)
    loss = ((prediction - labels) * upstream).sum()  # the tutorial's .sum(), weighted by a random upstream gradient
    loss.backward()
    opt = L.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    opt.step()
    out = {"prediction": prediction, "conv1.grad": model.conv1.weight.grad, "fc.weight": model.fc.weight,
           "bn1.weight": model.bn1.weight, "layer4.0.conv2.weight": model.layer4[0].conv2.weight}
    a = L.tensor([2., 3.], dtype=L.float64, requires_grad=True)
    b = L.tensor([6., 4.], dtype=L.float64, requires_grad=True)
    Q = 3 * a**3 - b**2
    external_grad = L.tensor(rng.standard_normal(2))
    Q.backward(gradient=external_grad)
    out.update({"a.grad": a.grad, "b.grad": b.grad, "9a2": 9 * a**2 * external_grad})
    x, z = L.rand(5, 5), L.rand((5, 5), requires_grad=True)
    out["requires"] = ((x + x).requires_grad, (x + z).requires_grad)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = lib.same_weights(nn.Linear(512, 10).double())
    frozen = lib.np(model.layer1[0].conv1.weight).copy()
    optimizer = lib.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    (model(data) * L.tensor(rng.standard_normal((1, 10)))).sum().backward()
    optimizer.step()
    still = bool((lib.np(model.layer1[0].conv1.weight) == frozen).all())
    out.update({"new fc": model.fc.weight, "frozen unchanged": still,
                "frozen grad": model.layer1[0].conv1.weight.grad is None})
    return out


def test_blitz_autograd_tutorial() -> None:
    theirs, ours = dual(_blitz_autograd)
    assert_close(ours["a.grad"], ours["9a2"], F64, what="9a^2 == a.grad")
    assert_same(theirs, ours)


# --- the blitz's neural_networks_tutorial: out.backward(randn), MSELoss, grad_fn walk, f.data.sub_, optim.SGD ----


def _blitz_nn(lib: Lib) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, input: object) -> object:
            s2 = F.max_pool2d(F.relu(self.conv1(input)), (2, 2))
            s4 = L.flatten(F.max_pool2d(F.relu(self.conv2(s2)), 2), 1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(s4)))))

    net = lib.same_weights(Net().double())
    params = list(net.parameters())
    rng = np.random.default_rng(1)
    input = L.tensor(rng.standard_normal((1, 1, 32, 32)))
    out = net(input)
    net.zero_grad()
    out.backward(L.tensor(rng.standard_normal((1, 10))))
    res = {"n_params": len(params), "size": list(params[0].size()), "out": out, "fc1 grad": net.fc1.weight.grad}
    target = L.tensor(rng.standard_normal(10)).view(1, -1)
    criterion = nn.MSELoss()
    loss = criterion(net(input), target)
    res["grad_fn"] = (loss.grad_fn.name(), loss.grad_fn.next_functions[0][0].name())
    net.zero_grad()
    res["bias grad before"] = net.conv1.bias.grad
    loss.backward()
    res["bias grad after"] = net.conv1.bias.grad
    learning_rate = 0.01
    for f in net.parameters():
        f.data.sub_(f.grad.data * learning_rate)
    optimizer = lib.optim.SGD(net.parameters(), lr=0.01)
    optimizer.zero_grad()
    criterion(net(input), target).backward()
    optimizer.step()
    res.update(net.state_dict())
    return res


def test_blitz_neural_networks_tutorial() -> None:
    theirs, ours = dual(_blitz_nn)
    assert theirs["grad_fn"] == ("MseLossBackward0", "AddmmBackward0") and theirs["bias grad before"] is None
    assert_same(theirs, ours)


# --- the blitz's cifar10_tutorial: CIFAR10 + DataLoader, make_grid, SGD momentum, save/load, per-class counts ----


def _blitz_cifar10(lib: Lib, root: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    transform = lib.transforms.Compose([lib.transforms.ToTensor(),
                                        lib.transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    trainset = lib.datasets.CIFAR10(root=root, train=True, download=False, transform=transform)
    trainloader = lib.data.DataLoader(lib.data.Subset(trainset, range(16)), batch_size=4, shuffle=False)
    classes = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    images, labels = next(iter(trainloader))
    res = {"grid": lib.vutils.make_grid(images / 2 + 0.5),
           "names": " ".join(f"{classes[labels[j]]:5s}" for j in range(4))}

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x: object) -> object:
            x = self.pool(F.relu(self.conv2(self.pool(F.relu(self.conv1(x))))))
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(L.flatten(x, 1))))))

    net = lib.same_weights(Net().double())
    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    running_loss = 0.0
    for inputs, labels in trainloader:
        optimizer.zero_grad()
        loss = criterion(net(inputs.double()), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    res["running_loss"] = running_loss
    buf = io.BytesIO()
    L.save(net.state_dict(), buf)
    net2 = Net().double()
    net2.load_state_dict(L.load(io.BytesIO(buf.getvalue()), weights_only=True))
    correct_pred = {name: 0 for name in classes}
    total = correct = 0
    with L.no_grad():
        for images, labels in trainloader:
            outputs = net2(images.double())
            _, predictions = L.max(outputs, 1)
            total += labels.size(0)
            correct += (predictions == labels).sum().item()
            for label, prediction in zip(labels, predictions):
                if label == prediction:
                    correct_pred[classes[label]] += 1
    res.update(correct=correct, total=total, per_class=correct_pred, outputs=outputs)
    res.update(net2.state_dict())
    return res


def test_blitz_cifar10_tutorial(monkeypatch: pytest.MonkeyPatch) -> None:
    root = data_root() / "cifar10-subset"
    # the shared set is a content-checked subset of the official batches: torchvision's md5 check would refuse it
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    theirs, ours = dual(_blitz_cifar10, str(root))
    assert_same(theirs, ours)


# --- the basics: quickstart + optimization (Flatten/Sequential MLP, SGD loop, test loop, f-strings, save/load), ---
# --- buildmodel (Softmax(dim=1), named_parameters), transforms (target_transform Lambda with scatter_) ----------


def _basics(lib: Lib, root: str) -> dict:
    L, nn = lib.lib, lib.nn
    tr = lib.transforms
    data = lib.datasets.MNIST(root=root, train=False, download=True, transform=tr.ToTensor(),
                              target_transform=tr.Lambda(
                                  lambda y: L.zeros(10, dtype=L.float).scatter_(0, L.tensor(y), value=1)))
    res: dict = {"onehot": data[0][1]}
    test_data = lib.data.Subset(lib.datasets.MNIST(root=root, train=False, transform=tr.ToTensor()), range(40))
    loader = lib.data.DataLoader(test_data, batch_size=8)
    X, y = next(iter(loader))
    res["shapes"] = f"Shape of X [N, C, H, W]: {X.shape} | {list(X.size())} | Shape of y: {y.shape}"

    class NeuralNetwork(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512),
                                                   nn.ReLU(), nn.Linear(512, 10))

        def forward(self, x: object) -> object:
            return self.linear_relu_stack(self.flatten(x))

    device = L.accelerator.current_accelerator().type if L.accelerator.is_available() else "cpu"
    model = lib.same_weights(NeuralNetwork().double().to(device))
    res["names"] = [(name, list(p.size())) for name, p in model.named_parameters()]
    res["first rows"] = model.linear_relu_stack[0].weight[:2]
    probab = nn.Softmax(dim=1)(model(X.double()))
    res["softmax"], res["argmax"] = probab, probab.argmax(1)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = L.optim.SGD(model.parameters(), lr=1e-1)
    size, logs = len(loader.dataset), []
    model.train()
    for batch, (X, y) in enumerate(loader):
        loss = loss_fn(model(X.double()), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss, current = loss.item(), (batch + 1) * len(X)
        logs.append(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
    res["logs"] = logs
    model.eval()
    test_loss, correct = 0.0, 0
    with L.no_grad():
        for X, y in loader:
            pred = model(X.double())
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(L.float).sum().item()
    res["test"] = f"Accuracy: {(100 * correct / size):>0.1f}%, Avg loss: {test_loss / len(loader):>8f}"
    buf = io.BytesIO()
    L.save(model.state_dict(), buf)
    res["file"] = buf.getvalue()
    model = NeuralNetwork().double()
    model.load_state_dict(L.load(io.BytesIO(buf.getvalue()), weights_only=True))
    classes = [str(i) for i in range(10)]
    x, y = test_data[0][0], test_data[0][1]
    with L.no_grad():
        pred = model(x.double())
        res["predicted"] = (classes[pred[0].argmax(0)], classes[y])
    res["logits"] = pred
    return res


def test_basics_quickstart_optimization_buildmodel_transforms(mnist_root: str) -> None:
    theirs, ours = dual(_basics, mnist_root)
    assert_same(theirs, ours, skip=("file",))
    # each side's file loads in the other library with the same tensors
    assert_same(torch.load(io.BytesIO(ours["file"]), weights_only=True),
                mt.load(io.BytesIO(theirs["file"]), weights_only=True))


# --- the basics' autograd tutorial: BCE-with-logits, grad_fn, no_grad/detach, eye + pow + t, backward twice -------


def _basics_autograd(lib: Lib) -> dict:
    L = lib.lib
    rng = np.random.default_rng(2)
    x = L.ones(5, dtype=L.float64)
    y = L.tensor(rng.random(3))
    w = L.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    b = L.tensor(rng.standard_normal(3), requires_grad=True)
    z = L.matmul(x, w) + b
    loss = lib.F.binary_cross_entropy_with_logits(z, y)
    res = {"grad_fn": z.grad_fn.name(), "loss": loss}
    loss.backward()
    res.update({"w.grad": w.grad, "b.grad": b.grad})
    with L.no_grad():
        z = L.matmul(x, w) + b
    res["requires"] = (z.requires_grad, (L.matmul(x, w) + b).detach().requires_grad)
    inp = L.eye(4, 5, dtype=L.float64, requires_grad=True)
    out = (inp + 1).pow(2).t()
    g = L.tensor(rng.standard_normal((5, 4)))
    out.backward(g, retain_graph=True)
    res["first"] = inp.grad.clone()
    out.backward(L.ones_like(out), retain_graph=True)
    res["second"] = inp.grad.clone()
    inp.grad.zero_()
    out.backward(g, retain_graph=True)
    res["after zero"] = inp.grad
    return res


def test_basics_autograd_tutorial() -> None:
    theirs, ours = dual(_basics_autograd)
    assert theirs["grad_fn"] == "AddBackward0" and theirs["requires"] == (False, False)
    assert_same(theirs, ours)


# --- the basics' saveloadrun tutorial: torchvision.models state_dict and whole-model files --------------------------


def test_basics_saveloadrun(tmp_path: object) -> None:
    tmodel = torchvision.models.resnet18(weights=None).double()  # the tutorial's vgg16 (138M weights) is too slow
    path = str(tmp_path / "model_weights.pth")
    torch.save(tmodel.state_dict(), path)
    model = mt.vision.models.resnet18().double()
    model.load_state_dict(mt.load(path, weights_only=True))
    model.eval()
    tmodel.eval()
    x = np.random.default_rng(3).random((1, 3, 32, 32))
    assert_close(model(mt.tensor(x)), tmodel(torch.tensor(x)), F64, what="resnet18 after load")
    whole = str(tmp_path / "model.pth")
    mt.save(model, whole)
    again = mt.load(whole, weights_only=False)
    assert type(again) is type(model)
    assert_close(again(mt.tensor(x)), tmodel(torch.tensor(x)), F64, what="whole-model file")


# --- d2l's CNN chapters: LeNet and BatchNorm (scratch and Lazy*) and ResNet on lazy modules, d2l's Trainer step ---


def _d2l_parts(lib: Lib) -> tuple:
    """d2l's Classifier loss/accuracy, init_cnn and its Trainer's gradient clipping, as the chapters use them."""
    L, nn, F = lib.lib, lib.nn, lib.F

    def init_cnn(module: object) -> None:
        if type(module) == nn.Linear or type(module) == nn.Conv2d:  # noqa: E721 - d2l's own test
            nn.init.xavier_uniform_(module.weight)

    def loss_fn(Y_hat: object, Y: object) -> object:
        return F.cross_entropy(Y_hat.reshape((-1, Y_hat.shape[-1])), Y.reshape((-1,)), reduction="mean")

    def accuracy(Y_hat: object, Y: object) -> object:
        preds = Y_hat.reshape((-1, Y_hat.shape[-1])).argmax(axis=1).type(Y.dtype)
        return (preds == Y.reshape(-1)).type(L.float32).mean()

    def clip_gradients(grad_clip_val: float, model: object) -> None:
        params = [p for p in model.parameters() if p.requires_grad]
        norm = L.sqrt(sum(L.sum(p.grad ** 2) for p in params))
        if norm > grad_clip_val:
            for param in params:
                param.grad[:] *= grad_clip_val / norm

    return init_cnn, loss_fn, accuracy, clip_gradients


def _d2l_fit(lib: Lib, net: object, root: str, size: int, steps: int, clip: float, fresh: Any = None) -> dict:
    """d2l's flow: FashionMNIST-style loader with Resize, apply_init (a forward to fix the lazy shapes, then
    init_cnn), torch's weights copied in, then the Trainer's steps with backward + clipping + step under no_grad.
    ``fresh(net)`` resets what the state_dict does not carry (the scratch BatchNorm's moving statistics, which the
    summary forward gathered under each library's own random weights)."""
    L = lib.lib
    init_cnn, loss_fn, accuracy, clip_gradients = _d2l_parts(lib)
    trans = lib.transforms.Compose([lib.transforms.Resize((size, size)), lib.transforms.ToTensor()])
    data = lib.data.Subset(lib.datasets.MNIST(root=root, train=True, transform=trans, download=True), range(8 * steps))
    loader = lib.data.DataLoader(data, 8, shuffle=False)
    shapes = []
    X = L.tensor(np.random.default_rng(4).standard_normal((2, 1, size, size)))  # d2l's layer_summary
    for layer in net:
        X = layer(X)
        shapes.append((layer.__class__.__name__, list(X.shape)))
    net.apply(init_cnn)
    lib.same_weights(net)
    if fresh is not None:
        fresh(net)
    optim = L.optim.SGD(net.parameters(), lr=0.1)
    res: dict = {"shapes": shapes, "losses": [], "acc": []}
    net.train()
    for X, Y in loader:
        Y_hat = net(X.double())
        loss = loss_fn(Y_hat, Y)
        optim.zero_grad()
        with L.no_grad():
            loss.backward()
            clip_gradients(clip, net)
            optim.step()
        res["losses"].append(loss)
        res["acc"].append(accuracy(Y_hat, Y))
    net.eval()
    with L.no_grad():
        res["eval"] = net(X.double())
    res.update(net.state_dict())
    return res


def _d2l_lenet(lib: Lib, root: str) -> dict:
    nn = lib.nn
    net = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), nn.Sigmoid(), nn.LazyLinear(10)).double()
    return _d2l_fit(lib, net, root, 28, 3, clip=0.5)


def _d2l_batchnorm(lib: Lib, root: str) -> dict:
    L, nn = lib.lib, lib.nn

    def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):  # noqa: ANN001, ANN202 - d2l's
        if not L.is_grad_enabled():
            X_hat = (X - moving_mean) / L.sqrt(moving_var + eps)
        else:
            if len(X.shape) == 2:
                mean = X.mean(dim=0)
                var = ((X - mean) ** 2).mean(dim=0)
            else:
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            X_hat = (X - mean) / L.sqrt(var + eps)
            moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
            moving_var = (1.0 - momentum) * moving_var + momentum * var
        return gamma * X_hat + beta, moving_mean.data, moving_var.data

    class BatchNorm(nn.Module):
        def __init__(self, num_features: int, num_dims: int) -> None:
            super().__init__()
            shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
            self.gamma = nn.Parameter(L.ones(shape, dtype=L.float64))
            self.beta = nn.Parameter(L.zeros(shape, dtype=L.float64))
            self.moving_mean = L.zeros(shape, dtype=L.float64)
            self.moving_var = L.ones(shape, dtype=L.float64)

        def reset(self) -> None:
            self.moving_mean, self.moving_var = L.zeros_like(self.moving_mean), L.ones_like(self.moving_var)

        def forward(self, X: object) -> object:
            if self.moving_mean.device != X.device:
                self.moving_mean = self.moving_mean.to(X.device)
                self.moving_var = self.moving_var.to(X.device)
            Y, self.moving_mean, self.moving_var = batch_norm(
                X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
            return Y

    scratch = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5), BatchNorm(6, num_dims=4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), BatchNorm(16, num_dims=4), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
        nn.LazyLinear(120), BatchNorm(120, num_dims=2), nn.Sigmoid(), nn.LazyLinear(10)).double()
    res = {"scratch " + k: v for k, v in _d2l_fit(
        lib, scratch, root, 28, 2, clip=1.0, fresh=lambda net: [m.reset() for m in net if isinstance(m, BatchNorm)]
    ).items()}
    res["moving_mean"] = scratch[1].moving_mean
    concise = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
        nn.LazyLinear(120), nn.LazyBatchNorm1d(), nn.Sigmoid(), nn.LazyLinear(10)).double()
    res.update({"concise " + k: v for k, v in _d2l_fit(lib, concise, root, 28, 2, clip=1.0).items()})
    return res


def _d2l_resnet(lib: Lib, root: str) -> dict:
    nn, F = lib.nn, lib.F

    class Residual(nn.Module):
        def __init__(self, num_channels: int, use_1x1conv: bool = False, strides: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
            self.bn1 = nn.LazyBatchNorm2d()
            self.bn2 = nn.LazyBatchNorm2d()

        def forward(self, X: object) -> object:
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return F.relu(Y)

    net = nn.Sequential(nn.Sequential(nn.LazyConv2d(8, kernel_size=7, stride=2, padding=3), nn.LazyBatchNorm2d(),
                                      nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
    for i, (num_channels, first) in enumerate(((8, True), (16, False))):
        net.add_module(f"b{i + 2}", nn.Sequential(Residual(num_channels, use_1x1conv=not first,
                                                           strides=1 if first else 2), Residual(num_channels)))
    net.add_module("last", nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(10)))
    return _d2l_fit(lib, net.double(), root, 32, 2, clip=1.0)


@pytest.mark.parametrize("chapter", [_d2l_lenet, _d2l_batchnorm, _d2l_resnet], ids=["lenet", "batchnorm", "resnet"])
def test_d2l_chapters(chapter: object, mnist_root: str) -> None:
    assert_same(*dual(chapter, mnist_root))


# --- a WGAN-GP loop (the PyTorch-GAN wgan_gp.py pattern): autograd.grad(create_graph=True) gradient penalty, -------
# --- Variable, BatchNorm1d(n, 0.8), LeakyReLU(inplace=True), Adam betas, n_critic, save_image(normalize=True) -----


def _wgan_gp(lib: Lib, root: str, out_dir: str) -> dict:
    L, nn = lib.lib, lib.nn
    latent, img_shape = 8, (1, 28, 28)

    def block(in_feat: int, out_feat: int, normalize: bool = True) -> list:
        layers = [nn.Linear(in_feat, out_feat)]
        if normalize:
            layers.append(nn.BatchNorm1d(out_feat, 0.8))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
        return layers

    generator = lib.same_weights(nn.Sequential(*block(latent, 16, normalize=False), *block(16, 32),
                                               nn.Linear(32, int(np.prod(img_shape))), nn.Tanh()).double())
    discriminator = lib.same_weights(nn.Sequential(nn.Linear(int(np.prod(img_shape)), 16),
                                                   nn.LeakyReLU(0.2, inplace=True), nn.Linear(16, 1)).double())
    tr = lib.transforms
    data = lib.datasets.MNIST(root, train=True, download=True,
                              transform=tr.Compose([tr.Resize(28), tr.ToTensor(), tr.Normalize([0.5], [0.5])]))
    loader = lib.data.DataLoader(lib.data.Subset(data, range(12)), batch_size=4, shuffle=False)
    optimizer_G = L.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizer_D = L.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    rng = np.random.default_rng(5)

    def D(img: object) -> object:
        return discriminator(img.view(img.shape[0], -1))

    def compute_gradient_penalty(real_samples: object, fake_samples: object) -> object:
        alpha = L.tensor(rng.random((real_samples.size(0), 1, 1, 1)))
        interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
        d_interpolates = D(interpolates)
        fake = L.autograd.Variable(L.ones(real_samples.shape[0], 1, dtype=L.float64).fill_(1.0), requires_grad=False)
        gradients = L.autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=fake,
                                    create_graph=True, retain_graph=True)[0]
        gradients = gradients.view(gradients.size(0), -1)
        return ((gradients.norm(2, dim=1) - 1) ** 2).mean()

    res: dict = {"d_loss": [], "g_loss": []}
    for i, (imgs, _) in enumerate(loader):
        real_imgs = L.autograd.Variable(imgs.double())
        optimizer_D.zero_grad()
        z = L.autograd.Variable(L.tensor(rng.normal(0, 1, (imgs.shape[0], latent))))
        fake_imgs = generator(z).view(imgs.shape[0], *img_shape)
        gradient_penalty = compute_gradient_penalty(real_imgs.data, fake_imgs.data)
        d_loss = -L.mean(D(real_imgs)) + L.mean(D(fake_imgs)) + 10 * gradient_penalty
        d_loss.backward()
        optimizer_D.step()
        res["d_loss"].append(d_loss)
        optimizer_G.zero_grad()
        if i % 2 == 0:
            fake_imgs = generator(z).view(imgs.shape[0], *img_shape)
            g_loss = -L.mean(D(fake_imgs))
            g_loss.backward()
            optimizer_G.step()
            res["g_loss"].append(g_loss)
    lib.vutils.save_image(fake_imgs.data[:4], f"{out_dir}/{lib.name}.png", nrow=2, normalize=True)
    res["grid"] = lib.vutils.make_grid(fake_imgs.data[:4], nrow=2, normalize=True)
    res.update({"G." + k: v for k, v in generator.state_dict().items()})
    res.update({"D." + k: v for k, v in discriminator.state_dict().items()})
    return res


def test_wgan_gp_loop(mnist_root: str, tmp_path: object) -> None:
    assert_same(*dual(_wgan_gp, mnist_root, str(tmp_path)), tol=1e-8)  # Adam steps on a penalty of second order
    ours_png = np.asarray(Image.open(tmp_path / "mt.png"))
    theirs_png = np.asarray(Image.open(tmp_path / "torch.png"))
    assert np.abs(ours_png.astype(int) - theirs_png.astype(int)).max() <= 1  # a pixel may round the other way


# --- a Hessian analysis script (PyHessian's pattern): backward(create_graph=True), power iteration and Hutchinson --
# --- trace with autograd.grad(grads, params, grad_outputs=v), randint_like Rademacher vectors, functional.hessian --


def _hessian(lib: Lib, root: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 5)
            self.bn1 = nn.BatchNorm2d(4)
            self.fc = nn.Linear(4 * 12 * 12, 10)

        def forward(self, x: object) -> object:
            x = F.max_pool2d(L.tanh(self.bn1(self.conv1(x))), 2)
            return self.fc(x.view(x.size(0), -1))

    data = lib.datasets.MNIST(root, train=True, download=True, transform=lib.transforms.ToTensor())
    inputs, targets = next(iter(lib.data.DataLoader(data, batch_size=8, shuffle=False)))
    model = lib.same_weights(Net().double())
    model.eval()
    loss = nn.CrossEntropyLoss()(model(inputs.double()), targets)
    loss.backward(create_graph=True)
    params = [p for p in model.parameters() if p.requires_grad]
    gradsH = [p.grad + 0. for p in params]

    def group_product(xs: list, ys: list) -> object:
        return sum([L.sum(x * y) for (x, y) in zip(xs, ys)])

    def normalization(v: list) -> list:
        s = group_product(v, v) ** 0.5
        return [vi / (s.cpu().item() + 1e-6) for vi in v]

    rng = np.random.default_rng(6)
    v = normalization([L.tensor(rng.standard_normal(tuple(p.size()))) for p in params])
    eigen = []
    for _ in range(4):
        model.zero_grad()
        Hv = L.autograd.grad(gradsH, params, grad_outputs=v, retain_graph=True)
        eigen.append(group_product(Hv, v).cpu().item())
        v = normalization(Hv)
    signs = [L.randint_like(p, high=2) for p in params]  # Hutchinson's Rademacher draw, each library's own RNG
    for v_i in signs:
        v_i[v_i == 0] = -1
    # the trace estimate with shared signs (the same masking, on draws both sides agree on)
    v = [L.tensor(rng.integers(0, 2, tuple(p.size())).astype(np.float64)) for p in params]
    for v_i in v:
        v_i[v_i == 0] = -1
    Hv = L.autograd.grad(gradsH, params, grad_outputs=v, retain_graph=True)
    trace = group_product(Hv, v).cpu().item()
    x = L.tensor(rng.standard_normal(3))
    f = lambda x: (x.tanh() * x.exp() ** 2).sum()  # noqa: E731 - the scripts' one-liner
    _, hvp = L.autograd.functional.hvp(f, x, L.tensor(rng.standard_normal(3)))
    res = {"eigen": eigen, "signs": sorted({float(s) for v_i in signs for s in lib.np(v_i).ravel()}),
           "trace": trace, "hessian": L.autograd.functional.hessian(f, x), "hvp": hvp}
    res.update({f"grad {i}": g for i, g in enumerate(gradsH)})
    return res


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")  # torch's, as the script
def test_hessian_analysis(mnist_root: str) -> None:
    theirs, ours = dual(_hessian, mnist_root)
    assert theirs["signs"] == [-1.0, 1.0]
    assert_same(theirs, ours)


# --- the tensorboard tutorial: make_grid, view(-1, 16*4*4), data[perm][:n], per-row softmax(...)[i].item(), --------
# --- torch.cat of torch.stack, pr-curve inputs; the writer's add_image/add_graph/add_scalar (tensorboardX for torch) -


def _tensorboard(lib: Lib, root: str, log_dir: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    if lib.name == "torch":
        from tensorboardX import SummaryWriter  # torch.utils.tensorboard needs the tensorboard package
    else:
        from minitorch_cnn.utils.tensorboard import SummaryWriter
    tr = lib.transforms
    trainset = lib.datasets.MNIST(root, download=True, train=True,
                                  transform=tr.Compose([tr.ToTensor(), tr.Normalize((0.5,), (0.5,))]))
    loader = lib.data.DataLoader(lib.data.Subset(trainset, range(12)), batch_size=4, shuffle=False)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 4 * 4, 10)

        def forward(self, x: object) -> object:
            x = self.pool(F.relu(self.conv2(self.pool(F.relu(self.conv1(x))))))
            return self.fc1(x.view(-1, 16 * 4 * 4))

    net = lib.same_weights(Net().double())
    writer = SummaryWriter(f"{log_dir}/{lib.name}")
    images, labels = next(iter(loader))
    img_grid = lib.vutils.make_grid(images)
    writer.add_image("four_mnist_images", img_grid)
    if lib.name == "mt":  # tensorboardX's add_graph for torch imports torch.utils.tensorboard, absent here
        writer.add_graph(net, images.double())
    perm = L.tensor(np.random.default_rng(7).permutation(len(trainset.data)))
    picked, picked_labels = trainset.data[perm][:20], trainset.targets[perm][:20]
    res: dict = {"grid": img_grid, "picked": picked.view(-1, 28 * 28), "picked labels": picked_labels,
                 "unsqueezed": list(picked.unsqueeze(1).shape)}
    optimizer = L.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    class_probs, class_label = [], []
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        output = net(inputs.double())
        loss = nn.CrossEntropyLoss()(output, labels)
        loss.backward()
        optimizer.step()
        writer.add_scalar("training loss", loss.item(), i)
        _, preds_tensor = L.max(output, 1)
        preds = np.squeeze(preds_tensor.numpy())
        res[f"probs {i}"] = [F.softmax(el, dim=0)[p].item() for p, el in zip(preds, output)]
        with L.no_grad():
            class_probs.append([F.softmax(el, dim=0) for el in net(inputs.double())])
            class_label.append(labels)
    writer.close()
    test_probs = L.cat([L.stack(batch) for batch in class_probs])
    test_label = L.cat(class_label)
    res["truth 3"], res["probs 3"] = test_label == 3, test_probs[:, 3]
    return res


def test_tensorboard_tutorial(mnist_root: str, tmp_path: object) -> None:
    theirs, ours = dual(_tensorboard, mnist_root, str(tmp_path))
    assert theirs["unsqueezed"] == [20, 1, 28, 28]
    assert_same(theirs, ours)
    events = list((tmp_path / "mt").glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 0


# --- the transfer-learning tutorial: torchvision resnet18, a new fc, frozen backbone, set_grad_enabled(phase), ------
# --- torch.sum(preds == labels.data), running_corrects.double(), StepLR, best weights through a temporary file -----


def _transfer(lib: Lib, tmp: str) -> dict:
    L, nn = lib.lib, lib.nn
    rng = np.random.default_rng(8)
    norm = lib.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    # 64×64 so that layer4's BatchNorm (train mode, 2 samples a batch) normalises 2·2·2 values a channel: at
    # 32×32 it saw 2, (x - mean)/std of two numbers is ±1 whatever they are, and rounding is all that is left
    images = norm(L.tensor(rng.random((8, 3, 64, 64))))
    labels = L.tensor(rng.integers(0, 2, 8))
    split = {"train": lib.data.TensorDataset(images[:4], labels[:4]), "val": lib.data.TensorDataset(images[4:],
                                                                                                    labels[4:])}
    loaders = {x: lib.data.DataLoader(split[x], batch_size=2, shuffle=False) for x in split}
    sizes = {x: len(split[x]) for x in split}
    model = lib.models.resnet18(weights=None)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, 2)
    model = lib.same_weights(model.double())
    criterion = nn.CrossEntropyLoss()
    optimizer = L.optim.SGD(model.fc.parameters(), lr=0.1, momentum=0.9)
    scheduler = L.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    best_path = f"{tmp}/{lib.name}_best.pt"
    L.save(model.state_dict(), best_path)
    best_acc, logs = 0.0, []
    for _ in range(2):
        for phase in ["train", "val"]:
            model.train() if phase == "train" else model.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, targets in loaders[phase]:
                optimizer.zero_grad()
                with L.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, preds = L.max(outputs, 1)
                    loss = criterion(outputs, targets)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += L.sum(preds == targets.data)
            if phase == "train":
                scheduler.step()
            epoch_acc = running_corrects.double() / sizes[phase]
            logs.append(f"{phase} Loss: {running_loss / sizes[phase]:.4f} Acc: {epoch_acc:.4f}")
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                L.save(model.state_dict(), best_path)
    model.load_state_dict(L.load(best_path, weights_only=True))
    res = {"logs": logs, "frozen": [n for n, p in model.named_parameters() if not p.requires_grad][:3]}
    res.update({k: v for k, v in model.state_dict().items() if k.startswith(("fc.", "bn1.", "layer4.1.bn2"))})
    return res


def test_transfer_learning_tutorial(tmp_path: object) -> None:
    assert_same(*dual(_transfer, str(tmp_path)))
