"""A census of public PyTorch scripts, part i: the "from scratch" chapters of Dive into Deep Learning (d2l.ai,
PyTorch edition), ported by one import switch. Each test makes the calls a chapter makes, in the way it makes them,
under torch and under minitorch_cnn from the same initial weights, and compares: float64 twin runs to 1e-10
relative; float32 runs of both libraries against the float64 truth of the same computation (``_f32_triple``).

The d2l helpers a chapter calls (``Accumulator``, ``accuracy``, ``sgd``, ``train_ch3``/``train_ch6``/``train_ch8``,
``grad_clipping``, ``Vocab``, ``sequence_mask``, ``masked_softmax``, ``train_seq2seq`` ...) are written out here, as
the book defines them; no ``d2l`` package. The chapters' code is not copied; data are cut small: 32 FashionMNIST
images from ``shared/data``, a few lines of text written for this file, a synthetic regression set for the
optimisation chapter in place of the airfoil data. Values a chapter draws at random outside ``nn`` modules'
initial weights (``torch.normal`` data and weights, ``torch.randn`` parameters, dropout masks, shuffles) come from
one NumPy stream both runs share (``_Draw``); Dropout modules run with ``p=0`` (their draws differ).
"""

from __future__ import annotations

import collections
import dataclasses
import io
import math
import re
import time
from typing import Any

import numpy as np
import pytest
import torch
from _dual import Lib, assert_same, dual
from _parity import assert_f32_close, data_root
from test_ported_census_b import _idx, _write_idx


class _Draw:
    """The chapter's random draws from one NumPy stream, rounded to float32 and made in the default dtype."""

    def __init__(self, L: Any, seed: int) -> None:
        self.L, self.rng = L, np.random.default_rng(seed)

    def _t(self, arr: np.ndarray, requires_grad: bool = False) -> Any:
        t = self.L.tensor(arr.astype(np.float32)).to(self.L.get_default_dtype())
        return t.requires_grad_(requires_grad)

    def normal(self, mean: float, std: float, size: Any, requires_grad: bool = False) -> Any:
        """torch.normal(mean, std, size=size, requires_grad=...)"""
        return self._t(self.rng.normal(mean, std, tuple(size)), requires_grad)

    def randn(self, *size: int, requires_grad: bool = False) -> Any:
        return self._t(self.rng.standard_normal(size), requires_grad)

    def rand(self, size: Any) -> Any:
        return self._t(self.rng.random(tuple(size)))


class Accumulator:
    """d2l.Accumulator: sums over n variables (each added through float())."""

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args: Any) -> None:
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]


class Timer:
    """d2l.Timer (its values are never compared)."""

    def __init__(self) -> None:
        self.times: list = []
        self.start()

    def start(self) -> None:
        self.tik = time.time()

    def stop(self) -> float:
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def sum(self) -> float:
        return sum(self.times) or 1e-9


def _d2l(lib: Lib) -> Any:
    """The d2l helpers of chapters 3-6 bound to one library, as the book writes them."""
    L, nn = lib.lib, lib.nn
    ns = type("d2l", (), {})

    def linreg(X: Any, w: Any, b: Any) -> Any:
        return L.matmul(X, w) + b

    def squared_loss(y_hat: Any, y: Any) -> Any:
        return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

    def sgd(params: Any, lr: float, batch_size: int) -> None:
        with L.no_grad():
            for param in params:
                param -= lr * param.grad / batch_size
                param.grad.zero_()

    def accuracy(y_hat: Any, y: Any) -> float:
        if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
            y_hat = y_hat.argmax(axis=1)
        cmp = y_hat.type(y.dtype) == y
        return float(cmp.type(y.dtype).sum())

    def evaluate_accuracy(net: Any, data_iter: Any) -> float:
        if isinstance(net, L.nn.Module):
            net.eval()
        metric = Accumulator(2)
        with L.no_grad():
            for X, y in data_iter:
                metric.add(accuracy(net(X), y), y.numel())
        return metric[0] / metric[1]

    def train_epoch_ch3(net: Any, train_iter: Any, loss: Any, updater: Any) -> tuple:
        if isinstance(net, L.nn.Module):
            net.train()
        metric = Accumulator(3)
        for X, y in train_iter:
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741 - d2l's name
            if isinstance(updater, L.optim.Optimizer):
                updater.zero_grad()
                l.mean().backward()
                updater.step()
            else:
                l.sum().backward()
                updater(X.shape[0])
            metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
        return metric[0] / metric[2], metric[1] / metric[2]

    def train_ch3(net: Any, train_iter: Any, test_iter: Any, loss: Any, num_epochs: int, updater: Any) -> list:
        log = []
        for _ in range(num_epochs):
            train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
            test_acc = evaluate_accuracy(net, test_iter)
            log.append(list(train_metrics + (test_acc,)))
        return log

    def evaluate_loss(net: Any, data_iter: Any, loss: Any) -> float:
        metric = Accumulator(2)
        for X, y in data_iter:
            out = net(X)
            y = y.reshape(out.shape)
            l = loss(out, y)  # noqa: E741 - d2l's name
            metric.add(l.sum(), l.numel())
        return metric[0] / metric[1]

    def load_array(data_arrays: tuple, batch_size: int, is_train: bool = True) -> Any:
        dataset = lib.data.TensorDataset(*data_arrays)
        return lib.data.DataLoader(dataset, batch_size, shuffle=False)  # is_train's shuffle draws differ

    def try_gpu(i: int = 0) -> Any:
        if L.cuda.device_count() >= i + 1:
            return L.device(f"cuda:{i}")
        return L.device("cpu")

    def evaluate_accuracy_gpu(net: Any, data_iter: Any, device: Any = None) -> float:
        if isinstance(net, nn.Module):
            net.eval()
            if not device:
                device = next(iter(net.parameters())).device
        metric = Accumulator(2)
        with L.no_grad():
            for X, y in data_iter:
                if isinstance(X, list):
                    X = [x.to(device) for x in X]
                else:
                    X = X.to(device)
                y = y.to(device)
                metric.add(accuracy(net(X), y), y.numel())
        return metric[0] / metric[1]

    def train_ch6(net: Any, train_iter: Any, test_iter: Any, num_epochs: int, lr: float, device: Any) -> dict:
        def init_weights(m: Any) -> None:
            if type(m) == nn.Linear or type(m) == nn.Conv2d:  # noqa: E721 - d2l's test
                nn.init.xavier_uniform_(m.weight)

        net.apply(init_weights)
        lib.same_weights(net)  # the one line added: torch's initial weights into ours
        out: dict = {"device": f"training on {device}", "log": []}
        net.to(device)
        optimizer = L.optim.SGD(net.parameters(), lr=lr)
        loss = nn.CrossEntropyLoss()
        timer, num_batches = Timer(), len(train_iter)
        for _ in range(num_epochs):
            metric = Accumulator(3)
            net.train()
            for i, (X, y) in enumerate(train_iter):
                timer.start()
                optimizer.zero_grad()
                X, y = X.to(device), y.to(device)
                y_hat = net(X)
                l = loss(y_hat, y)  # noqa: E741 - d2l's name
                l.backward()
                optimizer.step()
                with L.no_grad():
                    metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
                timer.stop()
                train_l = metric[0] / metric[2]
                train_acc = metric[1] / metric[2]
                if (i + 1) % (num_batches // 2) == 0 or i == num_batches - 1:
                    out["log"].append([train_l, train_acc])
            test_acc = evaluate_accuracy_gpu(net, test_iter)
        out["final"] = f"loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}"
        out["speed"] = f"{metric[2] * num_epochs / timer.sum():.1f} examples/sec on {device!s}".split()[-1]
        out["state"] = {k: v for k, v in net.state_dict().items() if "num_batches" not in k}
        return out

    for f in (linreg, squared_loss, sgd, accuracy, evaluate_accuracy, train_epoch_ch3, train_ch3, evaluate_loss,
              load_array, try_gpu, evaluate_accuracy_gpu, train_ch6):
        setattr(ns, f.__name__, staticmethod(f))
    return ns


@dataclasses.dataclass
class _Replay(Lib):
    """torch run in float64 from the float32 run's recorded weights: the truth of the float32 computation."""

    def same_weights(self, model: Any) -> Any:
        model.load_state_dict(torch.load(io.BytesIO(self.files[self.taken]), weights_only=True))
        self.taken += 1
        return model


def _f32_triple(body: Any, *args: Any) -> tuple:
    """``body`` under torch in float32 (recording its initial weights), under torch in float64 from those weights
    (the truth), and under minitorch_cnn in float32 from the same weights: (torch32, truth, ours32)."""
    t32 = Lib.torch()
    truth_lib = _Replay(**{f.name: getattr(t32, f.name) for f in dataclasses.fields(Lib)})
    ours = Lib.mt(t32.files)
    theirs = body(t32, *args)
    torch.set_default_dtype(torch.float64)
    try:
        truth = body(truth_lib, *args)
    finally:
        torch.set_default_dtype(torch.float32)
    return theirs, truth, body(ours, *args)


def _assert_f32(t32: Any, truth: Any, o32: Any, what: str = "", cond: Any = None) -> None:
    """Each number and tensor of ours within float32's bound of the float64 truth (or 4x torch's own float32
    error); counts, shapes and None exactly as torch's float32 run; text is not compared (its digits round).
    A trained model's ``state`` is judged at the scale of its largest entry (``cond``): a small parameter's
    rounding comes from the update steps, whose size the whole model sets, not from its own magnitude."""
    if isinstance(t32, str):
        return
    if isinstance(t32, dict):
        assert o32.keys() == t32.keys(), what
        for k in t32:
            scale = cond
            if k == "state":
                scale = max(float(np.abs(Lib.np(v)).max(initial=0.0)) for v in truth[k].values())
            _assert_f32(t32[k], truth[k], o32[k], f"{what}[{k!r}]", scale)
    elif isinstance(t32, (list, tuple)) and not all(isinstance(v, (int, float)) for v in t32):
        assert len(o32) == len(t32), what
        for i, (a, b, c) in enumerate(zip(t32, truth, o32)):
            _assert_f32(a, b, c, f"{what}[{i}]", cond)
    elif t32 is None or isinstance(t32, (int, bool)):
        assert o32 == t32, what
    else:
        assert_f32_close(Lib.np(o32), Lib.np(truth), torch32=Lib.np(t32), cond=cond, what=what)


def idx_subset(tmp_path_factory: pytest.TempPathFactory, dataset: str, n_train: int, n_test: int) -> str:
    """A root holding the first ``n_train`` train and ``n_test`` test records of the shared ``dataset`` (MNIST,
    FashionMNIST) as plain IDX files, which both libraries read."""
    src = data_root() / dataset / "raw"
    root = tmp_path_factory.mktemp(dataset.lower())
    raw = root / dataset / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        _write_idx(raw / f"{split}-images-idx3-ubyte", _idx(src / f"{split}-images-idx3-ubyte.gz", n, True))
        _write_idx(raw / f"{split}-labels-idx1-ubyte", _idx(src / f"{split}-labels-idx1-ubyte.gz", n, False))
    return str(root)


@pytest.fixture(scope="module")
def fashion(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The first 32 train and 16 test images of the shared FashionMNIST."""
    return idx_subset(tmp_path_factory, "FashionMNIST", 32, 16)


def load_data_fashion_mnist(lib: Lib, root: str, batch_size: int, resize: Any = None) -> tuple:
    """d2l.load_data_fashion_mnist (shuffle off: the two libraries' shuffles draw differently)."""
    trans = [lib.transforms.ToTensor()]
    if resize:
        trans.insert(0, lib.transforms.Resize(resize))
    trans = lib.transforms.Compose(trans)
    mnist_train = lib.datasets.FashionMNIST(root=root, train=True, transform=trans, download=False)
    mnist_test = lib.datasets.FashionMNIST(root=root, train=False, transform=trans, download=False)
    return (lib.data.DataLoader(mnist_train, batch_size, shuffle=False, num_workers=0),
            lib.data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=0))


# --- 3.2/3.3 linear regression from scratch and concise -----------------------------------------------------------


def _linear_regression(lib: Lib) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    draw = _Draw(L, 0)
    out: dict = {"log": []}

    def synthetic_data(w: Any, b: float, num_examples: int) -> tuple:
        X = draw.normal(0, 1, (num_examples, len(w)))
        y = L.matmul(X, w) + b
        y += draw.normal(0, 0.01, y.shape)
        return X, y.reshape((-1, 1))

    true_w = L.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 60)
    out["first"] = [features[0], labels[0]]

    def data_iter(batch_size: int, features: Any, labels: Any) -> Any:
        num_examples = len(features)
        indices = list(range(num_examples))
        indices = [indices[i] for i in draw.rng.permutation(num_examples)]  # random.shuffle(indices)
        for i in range(0, num_examples, batch_size):
            batch_indices = L.tensor(indices[i: min(i + batch_size, num_examples)])
            yield features[batch_indices], labels[batch_indices]

    batch_size = 10
    w = draw.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = L.zeros(1, requires_grad=True)
    lr, num_epochs, net, loss = 0.03, 3, d2l.linreg, d2l.squared_loss
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            l = loss(net(X, w, b), y)  # noqa: E741 - d2l's name
            l.sum().backward()
            d2l.sgd([w, b], lr, batch_size)
        with L.no_grad():
            train_l = loss(net(features, w, b), labels)
            out["log"].append(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")
    out["w_error"] = f"error in estimating w: {true_w - w.reshape(true_w.shape)}"
    out["b_error"] = true_b - b
    out["w"] = w

    # concise
    data_iter = d2l.load_array((features, labels), batch_size)
    out["batch"] = list(next(iter(data_iter)))
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    lib.same_weights(net)
    loss = nn.MSELoss()
    trainer = L.optim.SGD(net.parameters(), lr=0.03)
    for epoch in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y)  # noqa: E741 - d2l's name
            trainer.zero_grad()
            l.backward()
            trainer.step()
        l = loss(net(features), labels)  # noqa: E741 - d2l's name
        out["log"].append(f"epoch {epoch + 1}, loss {l:f}")
    w = net[0].weight.data
    out["concise_w_error"] = true_w - w.reshape(true_w.shape)
    out["concise_b_error"] = true_b - net[0].bias.data
    return out


def test_d2l_linear_regression() -> None:
    theirs, ours = dual(_linear_regression, float64=True)
    assert_same(theirs, ours)


def test_d2l_linear_regression_float32() -> None:
    _assert_f32(*_f32_triple(_linear_regression))


# --- 3.6/3.7 softmax regression from scratch and concise; 4.2/4.3 MLP from scratch and concise ----------------------

TEXT_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]


def _softmax_regression(lib: Lib, root: str) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    draw = _Draw(L, 1)
    out: dict = {}
    batch_size = 8
    train_iter, test_iter = load_data_fashion_mnist(lib, root, batch_size)
    X, y = next(iter(train_iter))
    out["shapes"] = f"{X.shape} {X.dtype} {y.shape} {y.dtype}"
    out["is_tensor"] = [L.is_tensor(img) and img.numpy().shape == (28, 28) for img in X.reshape(8, 28, 28)[:2]]
    num_inputs, num_outputs = 784, 10
    W = draw.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
    b = L.zeros(num_outputs, requires_grad=True)
    X = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out["sums"] = [X.sum(0, keepdim=True), X.sum(1, keepdim=True).T]

    def softmax(X: Any) -> Any:
        X_exp = L.exp(X)
        partition = X_exp.sum(1, keepdim=True)
        return X_exp / partition

    X = draw.normal(0, 1, (2, 5))
    X_prob = softmax(X)
    out["softmax"] = [X_prob, X_prob.sum(1)]

    def net(X: Any) -> Any:
        return softmax(L.matmul(X.reshape((-1, W.shape[0])), W) + b)

    y = L.tensor([0, 2])
    y_hat = L.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    out["picked"] = y_hat[[0, 1], y]

    def cross_entropy(y_hat: Any, y: Any) -> Any:
        return - L.log(y_hat[range(len(y_hat)), y])

    out["ce"] = cross_entropy(y_hat, y)
    out["acc"] = d2l.accuracy(y_hat, y) / len(y)
    out["acc_random"] = d2l.evaluate_accuracy(net, test_iter)
    lr = 0.1

    def updater(batch_size: int) -> None:
        return d2l.sgd([W, b], lr, batch_size)

    out["scratch_log"] = d2l.train_ch3(net, train_iter, test_iter, cross_entropy, 2, updater)
    out["W"], out["b"] = W, b
    for X, y in test_iter:  # noqa: B007 - d2l's predict_ch3 takes the first batch so
        break
    out["predicted_on"] = X.shape[0]
    trues = [TEXT_LABELS[int(i)] for i in y]
    preds = [TEXT_LABELS[int(i)] for i in net(X).argmax(axis=1)]
    out["titles"] = [true + "\n" + pred for true, pred in zip(trues, preds)]

    # concise
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

    def init_weights(m: Any) -> None:
        if type(m) == nn.Linear:  # noqa: E721 - d2l's test
            nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    lib.same_weights(net)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = L.optim.SGD(net.parameters(), lr=0.1)
    out["concise_log"] = d2l.train_ch3(net, train_iter, test_iter, loss, 2, trainer)
    out["concise_state"] = dict(net.state_dict())
    return out


def _train_concise(lib: Lib, d2l: Any, net: Any, train_iter: Any, test_iter: Any, loss: Any, num_epochs: int,
                   lr: float) -> list:
    """The concise MLP and dropout chapters' training: d2l's ``init_weights`` (normal, std 0.01, on every Linear's
    weight), SGD, ``train_ch3``; the log and the trained state."""
    nn = lib.nn

    def init_weights(m: Any) -> None:
        if type(m) == nn.Linear:  # noqa: E721 - d2l's test
            nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    lib.same_weights(net)
    trainer = lib.lib.optim.SGD(net.parameters(), lr=lr)
    return [d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer), dict(net.state_dict())]


def _mlp(lib: Lib, root: str) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    draw = _Draw(L, 2)
    out: dict = {}
    x = L.arange(-8.0, 8.0, 0.1, requires_grad=True)
    y = L.relu(x)
    y.backward(L.ones_like(x), retain_graph=True)
    out["relu"] = [y.detach(), x.grad.clone()]
    y = L.sigmoid(x)
    x.grad.data.zero_()
    y.backward(L.ones_like(x), retain_graph=True)
    out["sigmoid"] = [y.detach(), x.grad.clone()]
    y = L.tanh(x)
    x.grad.data.zero_()
    y.backward(L.ones_like(x), retain_graph=True)
    out["tanh"] = [y.detach(), x.grad.clone()]

    batch_size = 8
    train_iter, test_iter = load_data_fashion_mnist(lib, root, batch_size)
    num_inputs, num_outputs, num_hiddens = 784, 10, 32
    W1 = nn.Parameter(draw.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)
    b1 = nn.Parameter(L.zeros(num_hiddens, requires_grad=True))
    W2 = nn.Parameter(draw.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)
    b2 = nn.Parameter(L.zeros(num_outputs, requires_grad=True))
    params = [W1, b1, W2, b2]

    def relu(X: Any) -> Any:
        a = L.zeros_like(X)
        return L.max(X, a)

    def net(X: Any) -> Any:
        X = X.reshape((-1, num_inputs))
        H = relu(X @ W1 + b1)
        return (H @ W2 + b2)

    loss = nn.CrossEntropyLoss(reduction="none")
    num_epochs, lr = 2, 0.1
    updater = L.optim.SGD(params, lr=lr)
    out["scratch_log"] = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)
    out["params"] = params

    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    out["concise_log"], out["concise_state"] = _train_concise(lib, d2l, net, train_iter, test_iter, loss, num_epochs,
                                                              lr)
    return out


@pytest.mark.parametrize("chapter", [_softmax_regression, _mlp], ids=["softmax", "mlp"])
def test_d2l_softmax_and_mlp(chapter: Any, fashion: str) -> None:
    theirs, ours = dual(chapter, fashion, float64=True)
    assert_same(theirs, ours)


def test_d2l_softmax_float32(fashion: str) -> None:
    _assert_f32(*_f32_triple(_softmax_regression, fashion))


# --- 4.5 weight decay, 4.6 dropout from scratch, 4.8 numerical stability -------------------------------------------


def _weight_decay(lib: Lib) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    draw = _Draw(L, 3)
    out: dict = {}
    n_train, n_test, num_inputs, batch_size = 20, 40, 50, 5
    true_w, true_b = L.ones((num_inputs, 1)) * 0.01, 0.05

    def synthetic_data(w: Any, b: float, num_examples: int) -> tuple:
        X = draw.normal(0, 1, (num_examples, len(w)))
        y = L.matmul(X, w) + b
        y += draw.normal(0, 0.01, y.shape)
        return X, y.reshape((-1, 1))

    train_data = synthetic_data(true_w, true_b, n_train)
    train_iter = d2l.load_array(train_data, batch_size)
    test_data = synthetic_data(true_w, true_b, n_test)
    test_iter = d2l.load_array(test_data, batch_size, is_train=False)

    def init_params() -> list:
        w = draw.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
        b = L.zeros(1, requires_grad=True)
        return [w, b]

    def l2_penalty(w: Any) -> Any:
        return L.sum(w.pow(2)) / 2

    def train(lambd: float) -> list:
        w, b = init_params()
        net, loss = lambda X: d2l.linreg(X, w, b), d2l.squared_loss  # noqa: E731 - d2l's
        num_epochs, lr = 10, 0.003
        log = []
        for epoch in range(num_epochs):
            for X, y in train_iter:
                l = loss(net(X), y) + lambd * l2_penalty(w)  # noqa: E741 - d2l's name
                l.sum().backward()
                d2l.sgd([w, b], lr, batch_size)
            if (epoch + 1) % 5 == 0:
                log.append([d2l.evaluate_loss(net, train_iter, loss), d2l.evaluate_loss(net, test_iter, loss)])
        log.append(L.norm(w).item())  # print("L2 norm of w:", ...): the number (its 17 digits round by library)
        return log

    out["no_decay"], out["decay"] = train(lambd=0), train(lambd=3)

    def train_concise(wd: float) -> list:
        net = nn.Sequential(nn.Linear(num_inputs, 1))
        for param in net.parameters():
            param.data.normal_()
        lib.same_weights(net)
        loss = nn.MSELoss(reduction="none")
        num_epochs, lr = 10, 0.003
        trainer = L.optim.SGD([{"params": net[0].weight, "weight_decay": wd}, {"params": net[0].bias}], lr=lr)
        log = []
        for epoch in range(num_epochs):
            for X, y in train_iter:
                trainer.zero_grad()
                l = loss(net(X), y)  # noqa: E741 - d2l's name
                l.mean().backward()
                trainer.step()
            if (epoch + 1) % 5 == 0:
                log.append([d2l.evaluate_loss(net, train_iter, loss), d2l.evaluate_loss(net, test_iter, loss)])
        log.append(net[0].weight.norm().item())  # the printed number, compared as a number
        return log

    out["concise_0"], out["concise_3"] = train_concise(0), train_concise(3)
    return out


def _dropout(lib: Lib, root: str) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    draw = _Draw(L, 4)
    out: dict = {}

    def dropout_layer(X: Any, dropout: float) -> Any:
        assert 0 <= dropout <= 1
        if dropout == 1:
            return L.zeros_like(X)
        if dropout == 0:
            return X
        mask = (draw.rand(X.shape) > dropout).float()  # torch.rand(X.shape): the shared stream
        return mask * X / (1.0 - dropout)

    X = L.arange(16, dtype=L.float32).reshape((2, 8))
    out["layer"] = [dropout_layer(X, 0.), dropout_layer(X, 0.5), dropout_layer(X, 1.)]
    num_inputs, num_outputs, num_hiddens1, num_hiddens2 = 784, 10, 32, 16
    dropout1, dropout2 = 0.2, 0.5

    class Net(nn.Module):
        def __init__(self, num_inputs: int, num_outputs: int, num_hiddens1: int, num_hiddens2: int,
                     is_training: bool = True) -> None:
            super(Net, self).__init__()  # noqa: UP008 - d2l's
            self.num_inputs = num_inputs
            self.training = is_training
            self.lin1 = nn.Linear(num_inputs, num_hiddens1)
            self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
            self.lin3 = nn.Linear(num_hiddens2, num_outputs)
            self.relu = nn.ReLU()

        def forward(self, X: Any) -> Any:
            H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
            if self.training == True:  # noqa: E712 - d2l's test
                H1 = dropout_layer(H1, dropout1)
            H2 = self.relu(self.lin2(H1))
            if self.training == True:  # noqa: E712 - d2l's test
                H2 = dropout_layer(H2, dropout2)
            return self.lin3(H2)

    net = lib.same_weights(Net(num_inputs, num_outputs, num_hiddens1, num_hiddens2))
    num_epochs, lr, batch_size = 2, 0.5, 8
    loss = nn.CrossEntropyLoss(reduction="none")
    train_iter, test_iter = load_data_fashion_mnist(lib, root, batch_size)
    trainer = L.optim.SGD(net.parameters(), lr=lr)
    out["scratch_log"] = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
    out["scratch_state"] = dict(net.state_dict())

    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0),  # d2l's 0.2 and 0.5: draws
                        nn.Linear(32, 16), nn.ReLU(), nn.Dropout(0), nn.Linear(16, 10))
    out["concise_log"], out["concise_state"] = _train_concise(lib, d2l, net, train_iter, test_iter, loss, num_epochs,
                                                              lr)
    return out


def _numerical_stability(lib: Lib) -> dict:
    L = lib.lib
    draw = _Draw(L, 5)
    x = L.arange(-8.0, 8.0, 0.1, requires_grad=True)
    y = L.sigmoid(x)
    y.backward(L.ones_like(x))
    out = {"sigmoid": [x.detach().numpy(), y.detach().numpy(), x.grad.numpy()]}
    M = draw.normal(0, 1, size=(4, 4))
    out["single"] = M
    for _ in range(100):
        M = L.mm(M, draw.normal(0, 1, size=(4, 4)))
    out["after"] = M
    return out


def test_d2l_weight_decay_and_numerical_stability() -> None:
    assert_same(*dual(_weight_decay, float64=True))
    assert_same(*dual(_numerical_stability, float64=True))


def test_d2l_dropout(fashion: str) -> None:
    assert_same(*dual(_dropout, fashion, float64=True))


def test_d2l_weight_decay_float32() -> None:
    _assert_f32(*_f32_triple(_weight_decay))


# --- 6.6 LeNet, 7.1 AlexNet, 7.5 batch normalisation from scratch, 7.6 ResNet, each with train_ch6 ------------------


def _lenet(lib: Lib, root: str) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
    X = L.rand(size=(1, 1, 28, 28), dtype=L.get_default_dtype())  # the book's float32: the run's default dtype
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append(f"{layer.__class__.__name__} output shape: \t{X.shape}")
    train_iter, test_iter = load_data_fashion_mnist(lib, root, batch_size=8)
    out = d2l.train_ch6(net, train_iter, test_iter, 2, 0.9, d2l.try_gpu())
    out["shapes"] = shapes
    return out


def _alexnet(lib: Lib, root: str) -> dict:
    """AlexNet's layers and strides at 224 pixels, its widths cut by 16 (96 -> 6, ..., 4096 -> 64)."""
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=11, stride=4, padding=1), nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(6, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(16, 24, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(24, 24, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(24, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Linear(400, 64), nn.ReLU(), nn.Dropout(p=0),  # the book's p=0.5: the two libraries' draws differ
        nn.Linear(64, 64), nn.ReLU(), nn.Dropout(p=0),
        nn.Linear(64, 10))
    X = L.randn(1, 1, 224, 224)
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append(f"{layer.__class__.__name__} output shape:\t{X.shape}")
    train_iter, test_iter = load_data_fashion_mnist(lib, root, batch_size=8, resize=224)
    out = d2l.train_ch6(net, train_iter, test_iter, 1, 0.01, d2l.try_gpu())
    out["shapes"] = shapes
    return out


def _batch_norm_scratch(lib: Lib, root: str) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)

    def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):  # noqa: ANN001, ANN202 - d2l's
        if not L.is_grad_enabled():
            X_hat = (X - moving_mean) / L.sqrt(moving_var + eps)
        else:
            assert len(X.shape) in (2, 4)
            if len(X.shape) == 2:
                mean = X.mean(dim=0)
                var = ((X - mean) ** 2).mean(dim=0)
            else:
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            X_hat = (X - mean) / L.sqrt(var + eps)
            moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
            moving_var = momentum * moving_var + (1.0 - momentum) * var
        Y = gamma * X_hat + beta
        return Y, moving_mean.data, moving_var.data

    class BatchNorm(nn.Module):
        def __init__(self, num_features: int, num_dims: int) -> None:
            super().__init__()
            shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
            self.gamma = nn.Parameter(L.ones(shape))
            self.beta = nn.Parameter(L.zeros(shape))
            self.moving_mean = L.zeros(shape)
            self.moving_var = L.ones(shape)

        def forward(self, X: Any) -> Any:
            if self.moving_mean.device != X.device:
                self.moving_mean = self.moving_mean.to(X.device)
                self.moving_var = self.moving_var.to(X.device)
            Y, self.moving_mean, self.moving_var = batch_norm(
                X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.9)
            return Y

    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), BatchNorm(6, num_dims=4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), BatchNorm(16, num_dims=4), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), BatchNorm(120, num_dims=2), nn.Sigmoid(),
        nn.Linear(120, 84), BatchNorm(84, num_dims=2), nn.Sigmoid(), nn.Linear(84, 10))
    train_iter, test_iter = load_data_fashion_mnist(lib, root, batch_size=8)
    out = d2l.train_ch6(net, train_iter, test_iter, 2, 0.1, d2l.try_gpu())  # the book: lr 1.0 on 60,000 images
    out["gamma_beta"] = [net[1].gamma.reshape((-1,)), net[1].beta.reshape((-1,))]
    out["moving"] = [net[5].moving_mean.reshape((-1,)), net[13].moving_var.reshape((-1,))]

    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(), nn.Linear(84, 10))
    out["concise"] = d2l.train_ch6(net, train_iter, test_iter, 2, 0.1, d2l.try_gpu())
    return out


def _resnet(lib: Lib, root: str) -> dict:
    """The book's ResNet-18 layout (Residual, resnet_block, b1..b5), its widths cut by 8 and images at 48."""
    L, nn, F, d2l = lib.lib, lib.nn, lib.F, _d2l(lib)

    class Residual(nn.Module):
        def __init__(self, input_channels: int, num_channels: int, use_1x1conv: bool = False,
                     strides: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
            if use_1x1conv:
                self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
            else:
                self.conv3 = None
            self.bn1 = nn.BatchNorm2d(num_channels)
            self.bn2 = nn.BatchNorm2d(num_channels)

        def forward(self, X: Any) -> Any:
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return F.relu(Y)

    blk = Residual(3, 3)
    X = L.rand(4, 3, 6, 6)
    shapes = [tuple(blk(X).shape), tuple(Residual(3, 6, use_1x1conv=True, strides=2)(X).shape)]

    def resnet_block(input_channels: int, num_channels: int, num_residuals: int, first_block: bool = False) -> list:
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels, num_channels))
        return blk

    b1 = nn.Sequential(nn.Conv2d(1, 8, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(8), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(*resnet_block(8, 8, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(8, 16, 2))
    b4 = nn.Sequential(*resnet_block(16, 32, 2))
    b5 = nn.Sequential(*resnet_block(32, 64, 2))
    net = nn.Sequential(b1, b2, b3, b4, b5, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(64, 10))
    X = L.rand(size=(1, 1, 48, 48))
    for layer in net:
        X = layer(X)
        shapes.append(f"{layer.__class__.__name__} output shape:\t{X.shape}")
    train_iter, test_iter = load_data_fashion_mnist(lib, root, batch_size=8, resize=48)
    out = d2l.train_ch6(net, train_iter, test_iter, 1, 0.05, d2l.try_gpu())
    out["shapes"] = shapes
    return out


@pytest.mark.parametrize("chapter", [_lenet, _alexnet, _batch_norm_scratch, _resnet],
                         ids=["lenet", "alexnet", "batchnorm", "resnet"])
def test_d2l_train_ch6(chapter: Any, fashion: str) -> None:
    theirs, ours = dual(chapter, fashion, float64=True)
    assert theirs["speed"] == "cpu" and ours["speed"] == "cpu"
    assert_same(theirs, ours)


def test_d2l_batch_norm_scratch_float32(fashion: str) -> None:
    _assert_f32(*_f32_triple(_batch_norm_scratch, fashion))


# --- 8.2-8.6 text preprocessing, RNN from scratch and concise; 9.1/9.2 GRU and LSTM from scratch and concise ---------

TEXT = """The time traveller, for so it will be convenient to speak of him, was expounding a recondite matter
to us. His grey eyes shone and twinkled, and his usually pale face was flushed and animated.
The fire burned brightly, and the soft radiance of the incandescent lights in the lilies of silver
caught the bubbles that flashed and passed in our glasses. Our chairs, being his patents, embraced
and caressed us rather than submitted to be sat upon, and there was that luxurious after-dinner
atmosphere, when thought runs gracefully free of the trammels of precision."""


class Vocab:
    """d2l.Vocab: tokens sorted by frequency after ``<unk>`` and the reserved ones (plain Python)."""

    def __init__(self, tokens: Any = None, min_freq: int = 0, reserved_tokens: Any = None) -> None:
        tokens = [] if tokens is None else tokens
        reserved_tokens = [] if reserved_tokens is None else reserved_tokens
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        counter = collections.Counter(tokens)
        self._token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = ["<unk>"] + reserved_tokens
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}
        for token, freq in self._token_freqs:
            if freq < min_freq:
                break
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens: Any) -> Any:
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, 0)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices: Any) -> Any:
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[index] for index in indices]


def _rnn_tools(lib: Lib) -> Any:
    """The chapter 8 helpers: the sequential data iterator, predict_ch8, grad_clipping, train_ch8."""
    L, nn = lib.lib, lib.nn
    ns = type("d2l8", (), {})
    lines = [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in TEXT.split("\n")]
    tokens = [list(line) for line in lines]
    vocab = Vocab(tokens)
    corpus = [vocab[token] for line in tokens for token in line]

    def seq_data_iter_sequential(corpus: list, batch_size: int, num_steps: int, offset: int) -> Any:
        num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size  # offset: random.randint, fixed
        Xs = L.tensor(corpus[offset: offset + num_tokens])
        Ys = L.tensor(corpus[offset + 1: offset + 1 + num_tokens])
        Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
        num_batches = Xs.shape[1] // num_steps
        for i in range(0, num_steps * num_batches, num_steps):
            X = Xs[:, i: i + num_steps]
            Y = Ys[:, i: i + num_steps]
            yield X, Y

    class SeqDataLoader:
        def __init__(self, batch_size: int, num_steps: int) -> None:
            self.batch_size, self.num_steps = batch_size, num_steps

        def __iter__(self) -> Any:
            return seq_data_iter_sequential(corpus, self.batch_size, self.num_steps, 3)

    def predict_ch8(prefix: str, num_preds: int, net: Any, vocab: Vocab, device: Any) -> str:
        state = net.begin_state(batch_size=1, device=device)
        outputs = [vocab[prefix[0]]]
        get_input = lambda: L.tensor([outputs[-1]], device=device).reshape((1, 1))  # noqa: E731 - d2l's
        for y in prefix[1:]:
            _, state = net(get_input(), state)
            outputs.append(vocab[y])
        for _ in range(num_preds):
            y, state = net(get_input(), state)
            outputs.append(int(y.argmax(dim=1).reshape(1)))
        return "".join([vocab.idx_to_token[i] for i in outputs])

    def grad_clipping(net: Any, theta: float) -> None:
        if isinstance(net, nn.Module):
            params = [p for p in net.parameters() if p.requires_grad]
        else:
            params = net.params
        norm = L.sqrt(sum(L.sum((p.grad ** 2)) for p in params))  # noqa: UP034 - d2l's
        if norm > theta:
            for param in params:
                param.grad[:] *= theta / norm

    def sgd(params: Any, lr: float, batch_size: int) -> None:
        with L.no_grad():
            for param in params:
                param -= lr * param.grad / batch_size
                param.grad.zero_()

    def train_epoch_ch8(net: Any, train_iter: Any, loss: Any, updater: Any, device: Any,
                        use_random_iter: bool) -> tuple:
        state, timer = None, Timer()
        metric = Accumulator(2)
        for X, Y in train_iter:
            if state is None or use_random_iter:
                state = net.begin_state(batch_size=X.shape[0], device=device)
            else:
                if isinstance(net, nn.Module) and not isinstance(state, tuple):
                    state.detach_()
                else:
                    for s in state:
                        s.detach_()
            y = Y.T.reshape(-1)
            X, y = X.to(device), y.to(device)
            y_hat, state = net(X, state)
            l = loss(y_hat, y.long()).mean()  # noqa: E741 - d2l's name
            if isinstance(updater, L.optim.Optimizer):
                updater.zero_grad()
                l.backward()
                grad_clipping(net, 1)
                updater.step()
            else:
                l.backward()
                grad_clipping(net, 1)
                updater(batch_size=1)
            metric.add(l * y.numel(), y.numel())
        return math.exp(metric[0] / metric[1]), metric[1] / timer.stop()

    def train_ch8(net: Any, train_iter: Any, vocab: Vocab, lr: float, num_epochs: int, device: Any) -> dict:
        loss = nn.CrossEntropyLoss()
        if isinstance(net, nn.Module):
            updater = L.optim.SGD(net.parameters(), lr)
        else:
            updater = lambda batch_size: sgd(net.params, lr, batch_size)  # noqa: E731 - d2l's
        predict = lambda prefix: predict_ch8(prefix, 20, net, vocab, device)  # noqa: E731 - d2l's
        ppls = []
        for _ in range(num_epochs):
            ppl, _speed = train_epoch_ch8(net, train_iter, loss, updater, device, False)
            ppls.append(ppl)
        return {"ppl": ppls, "final": f"perplexity {ppl:.1f}", "time": predict("time traveller"),
                "traveller": predict("traveller")}

    for f in (predict_ch8, grad_clipping, train_ch8):
        setattr(ns, f.__name__, staticmethod(f))
    ns.vocab, ns.corpus, ns.loader, ns.lines = vocab, corpus, SeqDataLoader, lines
    return ns


def _rnn_scratch(lib: Lib, cell: str) -> dict:
    L, F = lib.lib, lib.F
    d2l = _rnn_tools(lib)
    draw = _Draw(L, 6)
    vocab, device = d2l.vocab, L.device("cpu")
    out: dict = {"vocab": [len(vocab), vocab._token_freqs[:5]],
                 "one_hot": F.one_hot(L.tensor([0, 2]), len(vocab))}
    X = L.arange(10).reshape((2, 5))
    out["one_hot_T"] = F.one_hot(X.T, 28).shape == (5, 2, 28)

    def normal(shape: tuple) -> Any:
        return draw.randn(*shape) * 0.01  # torch.randn(size=shape, device=device) * 0.01

    def get_rnn_params(vocab_size: int, num_hiddens: int, device: Any) -> list:
        num_inputs = num_outputs = vocab_size
        W_xh = normal((num_inputs, num_hiddens))
        W_hh = normal((num_hiddens, num_hiddens))
        b_h = L.zeros(num_hiddens, device=device)
        W_hq = normal((num_hiddens, num_outputs))
        b_q = L.zeros(num_outputs, device=device)
        params = [W_xh, W_hh, b_h, W_hq, b_q]
        for param in params:
            param.requires_grad_(True)
        return params

    def init_rnn_state(batch_size: int, num_hiddens: int, device: Any) -> tuple:
        return (L.zeros((batch_size, num_hiddens), device=device), )

    def rnn(inputs: Any, state: tuple, params: list) -> tuple:
        W_xh, W_hh, b_h, W_hq, b_q = params
        H, = state
        outputs = []
        for X in inputs:
            H = L.tanh(L.mm(X, W_xh) + L.mm(H, W_hh) + b_h)
            Y = L.mm(H, W_hq) + b_q
            outputs.append(Y)
        return L.cat(outputs, dim=0), (H,)

    def get_gru_params(vocab_size: int, num_hiddens: int, device: Any) -> list:
        num_inputs = num_outputs = vocab_size

        def three() -> tuple:
            return (normal((num_inputs, num_hiddens)), normal((num_hiddens, num_hiddens)),
                    L.zeros(num_hiddens, device=device))

        W_xz, W_hz, b_z = three()
        W_xr, W_hr, b_r = three()
        W_xh, W_hh, b_h = three()
        W_hq = normal((num_hiddens, num_outputs))
        b_q = L.zeros(num_outputs, device=device)
        params = [W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]
        for param in params:
            param.requires_grad_(True)
        return params

    def gru(inputs: Any, state: tuple, params: list) -> tuple:
        W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
        H, = state
        outputs = []
        for X in inputs:
            Z = L.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
            R = L.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
            H_tilda = L.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
            H = Z * H + (1 - Z) * H_tilda
            Y = H @ W_hq + b_q
            outputs.append(Y)
        return L.cat(outputs, dim=0), (H,)

    def get_lstm_params(vocab_size: int, num_hiddens: int, device: Any) -> list:
        num_inputs = num_outputs = vocab_size

        def three() -> tuple:
            return (normal((num_inputs, num_hiddens)), normal((num_hiddens, num_hiddens)),
                    L.zeros(num_hiddens, device=device))

        W_xi, W_hi, b_i = three()
        W_xf, W_hf, b_f = three()
        W_xo, W_ho, b_o = three()
        W_xc, W_hc, b_c = three()
        W_hq = normal((num_hiddens, num_outputs))
        b_q = L.zeros(num_outputs, device=device)
        params = [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q]
        for param in params:
            param.requires_grad_(True)
        return params

    def init_lstm_state(batch_size: int, num_hiddens: int, device: Any) -> tuple:
        return (L.zeros((batch_size, num_hiddens), device=device), L.zeros((batch_size, num_hiddens), device=device))

    def lstm(inputs: Any, state: tuple, params: list) -> tuple:
        [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q] = params
        (H, C) = state
        outputs = []
        for X in inputs:
            I = L.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)  # noqa: E741 - d2l's name
            F_ = L.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
            O = L.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)  # noqa: E741 - d2l's name
            C_tilda = L.tanh((X @ W_xc) + (H @ W_hc) + b_c)
            C = F_ * C + I * C_tilda
            H = O * L.tanh(C)
            Y = (H @ W_hq) + b_q
            outputs.append(Y)
        return L.cat(outputs, dim=0), (H, C)

    class RNNModelScratch:
        def __init__(self, vocab_size: int, num_hiddens: int, device: Any, get_params: Any, init_state: Any,
                     forward_fn: Any) -> None:
            self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
            self.params = get_params(vocab_size, num_hiddens, device)
            self.init_state, self.forward_fn = init_state, forward_fn

        def __call__(self, X: Any, state: Any) -> tuple:
            X = F.one_hot(X.T, self.vocab_size).type(L.get_default_dtype())  # the book's float32: the default
            return self.forward_fn(X, state, self.params)

        def begin_state(self, batch_size: int, device: Any) -> tuple:
            return self.init_state(batch_size, self.num_hiddens, device)

    parts = {"rnn": (get_rnn_params, init_rnn_state, rnn), "gru": (get_gru_params, init_rnn_state, gru),
             "lstm": (get_lstm_params, init_lstm_state, lstm)}[cell]
    num_hiddens = 16
    net = RNNModelScratch(len(vocab), num_hiddens, device, *parts)
    state = net.begin_state(X.shape[0], device)
    Y, new_state = net(X.to(device), state)
    out["shapes"] = [tuple(Y.shape), len(new_state), tuple(new_state[0].shape)]
    out["before"] = d2l.predict_ch8("time traveller ", 10, net, vocab, device)
    out["train"] = d2l.train_ch8(net, d2l.loader(2, 5), vocab, 1, 3, device)
    out["params"] = [p.detach() for p in net.params]
    return out


def _rnn_concise(lib: Lib, cell: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    d2l = _rnn_tools(lib)
    vocab, device, num_hiddens, batch_size, num_steps = d2l.vocab, L.device("cpu"), 16, 2, 5
    layer = {"rnn": lambda: nn.RNN(len(vocab), num_hiddens), "gru": lambda: nn.GRU(len(vocab), num_hiddens),
             "lstm": lambda: nn.LSTM(len(vocab), num_hiddens)}[cell]()
    out: dict = {}

    class RNNModel(nn.Module):
        def __init__(self, rnn_layer: Any, vocab_size: int, **kwargs: Any) -> None:
            super(RNNModel, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.rnn = rnn_layer
            self.vocab_size = vocab_size
            self.num_hiddens = self.rnn.hidden_size
            if not self.rnn.bidirectional:
                self.num_directions = 1
                self.linear = nn.Linear(self.num_hiddens, self.vocab_size)
            else:
                self.num_directions = 2
                self.linear = nn.Linear(self.num_hiddens * 2, self.vocab_size)

        def forward(self, inputs: Any, state: Any) -> tuple:
            X = F.one_hot(inputs.T.long(), self.vocab_size)
            X = X.to(L.get_default_dtype())  # the book's float32: the run's default
            Y, state = self.rnn(X, state)
            output = self.linear(Y.reshape((-1, Y.shape[-1])))
            return output, state

        def begin_state(self, device: Any, batch_size: int = 1) -> Any:
            if not isinstance(self.rnn, nn.LSTM):
                return L.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                               device=device)
            return (L.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                            device=device),
                    L.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                            device=device))

    if cell == "rnn":
        state = L.zeros((1, batch_size, num_hiddens))
        X = L.rand(size=(num_steps, batch_size, len(vocab)))
        Y, state_new = layer(X, state)
        out["shapes"] = [tuple(state.shape), tuple(Y.shape), tuple(state_new.shape)]
    net = RNNModel(layer, vocab_size=len(vocab))
    net = lib.same_weights(net.to(device))
    out["before"] = d2l.predict_ch8("time traveller", 10, net, vocab, device)
    out["train"] = d2l.train_ch8(net, d2l.loader(batch_size, num_steps), vocab, 1, 3, device)
    out["state"] = dict(net.state_dict())
    return out


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_d2l_rnn_scratch_and_concise(cell: str) -> None:
    assert_same(*dual(_rnn_scratch, cell, float64=True))
    assert_same(*dual(_rnn_concise, cell, float64=True))


def test_d2l_lstm_float32() -> None:
    _assert_f32(*_f32_triple(_rnn_scratch, "lstm"))
    _assert_f32(*_f32_triple(_rnn_concise, "lstm"))


# --- 9.5-9.7 machine translation data, encoder-decoder seq2seq; 10.3/10.4 attention scoring, Bahdanau attention;
# --- 10.5 multi-head attention; 10.6/10.7 positional encoding and the Transformer ---------------------------------

PAIRS = "Go.\tVa !\nHi.\tSalut !\nRun!\tCours\u202f!\nWho?\tQui ?\nWow!\tÇa alors\u202f!\nI won.\tJ'ai gagné.\n" \
        "Get up.\tLève-toi.\nI see.\tJe comprends.\nI try.\tJ'essaye.\nI ran.\tJ'ai couru.\nHe ran.\tIl a couru.\n" \
        "Go on.\tPoursuis.\nI left.\tJe suis parti.\nI lost.\tJ'ai perdu.\nI paid.\tJ'ai payé.\nBe nice.\tSois gentil !"


def _nmt_tools(lib: Lib) -> Any:
    """d2l's NMT data pipeline, masking and seq2seq training, bound to one library."""
    L, nn = lib.lib, lib.nn
    ns = type("d2l9", (), {})

    def preprocess_nmt(text: str) -> str:
        def no_space(char: str, prev_char: str) -> bool:
            return char in set(",.!?") and prev_char != " "
        text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
        out = [" " + char if i > 0 and no_space(char, text[i - 1]) else char for i, char in enumerate(text)]
        return "".join(out)

    def tokenize_nmt(text: str) -> tuple:
        source, target = [], []
        for line in text.split("\n"):
            parts = line.split("\t")
            if len(parts) == 2:
                source.append(parts[0].split(" "))
                target.append(parts[1].split(" "))
        return source, target

    def truncate_pad(line: list, num_steps: int, padding_token: int) -> list:
        if len(line) > num_steps:
            return line[:num_steps]
        return line + [padding_token] * (num_steps - len(line))

    def build_array_nmt(lines: list, vocab: Vocab, num_steps: int) -> tuple:
        lines = [vocab[line] for line in lines]
        lines = [line + [vocab["<eos>"]] for line in lines]
        array = L.tensor([truncate_pad(line, num_steps, vocab["<pad>"]) for line in lines])
        valid_len = (array != vocab["<pad>"]).type(L.int32).sum(1)
        return array, valid_len

    def load_data_nmt(batch_size: int, num_steps: int) -> tuple:
        source, target = tokenize_nmt(preprocess_nmt(PAIRS))
        src_vocab = Vocab(source, min_freq=0, reserved_tokens=["<pad>", "<bos>", "<eos>"])
        tgt_vocab = Vocab(target, min_freq=0, reserved_tokens=["<pad>", "<bos>", "<eos>"])
        src_array, src_valid_len = build_array_nmt(source, src_vocab, num_steps)
        tgt_array, tgt_valid_len = build_array_nmt(target, tgt_vocab, num_steps)
        data_arrays = (src_array, src_valid_len, tgt_array, tgt_valid_len)
        data_iter = lib.data.DataLoader(lib.data.TensorDataset(*data_arrays), batch_size, shuffle=False)
        return data_iter, src_vocab, tgt_vocab

    def sequence_mask(X: Any, valid_len: Any, value: float = 0) -> Any:
        maxlen = X.size(1)
        mask = L.arange((maxlen), dtype=L.float32, device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X

    def masked_softmax(X: Any, valid_lens: Any) -> Any:
        if valid_lens is None:
            return nn.functional.softmax(X, dim=-1)
        shape = X.shape
        if valid_lens.dim() == 1:
            valid_lens = L.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        X = sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)

    class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
        def forward(self, pred: Any, label: Any, valid_len: Any) -> Any:
            weights = L.ones_like(label)
            weights = sequence_mask(weights, valid_len)
            self.reduction = "none"
            unweighted_loss = super(MaskedSoftmaxCELoss, self).forward(  # noqa: UP008 - d2l's
                pred.permute(0, 2, 1), label)
            weighted_loss = (unweighted_loss * weights).mean(dim=1)
            return weighted_loss

    def grad_clipping(net: Any, theta: float) -> None:
        params = [p for p in net.parameters() if p.requires_grad]
        norm = L.sqrt(sum(L.sum((p.grad ** 2)) for p in params))  # noqa: UP034 - d2l's
        if norm > theta:
            for param in params:
                param.grad[:] *= theta / norm

    def train_seq2seq(net: Any, data_iter: Any, lr: float, num_epochs: int, tgt_vocab: Vocab, device: Any) -> list:
        def xavier_init_weights(m: Any) -> None:
            if type(m) == nn.Linear:  # noqa: E721 - d2l's test
                nn.init.xavier_uniform_(m.weight)
            if type(m) == nn.GRU:  # noqa: E721 - d2l's test
                for param in m._flat_weights_names:
                    if "weight" in param:
                        nn.init.xavier_uniform_(m._parameters[param])

        net.apply(xavier_init_weights)
        lib.same_weights(net)
        net.to(device)
        optimizer = L.optim.Adam(net.parameters(), lr=lr)
        loss = MaskedSoftmaxCELoss()
        net.train()
        log = []
        for _ in range(num_epochs):
            metric = Accumulator(2)
            for batch in data_iter:
                optimizer.zero_grad()
                X, X_valid_len, Y, Y_valid_len = [x.to(device) for x in batch]
                bos = L.tensor([tgt_vocab["<bos>"]] * Y.shape[0], device=device).reshape(-1, 1)
                dec_input = L.cat([bos, Y[:, :-1]], 1)
                Y_hat, _ = net(X, dec_input, X_valid_len)
                l = loss(Y_hat, Y, Y_valid_len)  # noqa: E741 - d2l's name
                l.sum().backward()
                grad_clipping(net, 1)
                num_tokens = Y_valid_len.sum()
                optimizer.step()
                with L.no_grad():
                    metric.add(l.sum(), num_tokens)
            log.append(metric[0] / metric[1])
        return log

    def predict_seq2seq(net: Any, src_sentence: str, src_vocab: Vocab, tgt_vocab: Vocab, num_steps: int,
                        device: Any, save_attention_weights: bool = False) -> tuple:
        net.eval()
        src_tokens = src_vocab[src_sentence.lower().split(" ")] + [src_vocab["<eos>"]]
        enc_valid_len = L.tensor([len(src_tokens)], device=device)
        src_tokens = truncate_pad(src_tokens, num_steps, src_vocab["<pad>"])
        enc_X = L.unsqueeze(L.tensor(src_tokens, dtype=L.long, device=device), dim=0)
        enc_outputs = net.encoder(enc_X, enc_valid_len)
        dec_state = net.decoder.init_state(enc_outputs, enc_valid_len)
        dec_X = L.unsqueeze(L.tensor([tgt_vocab["<bos>"]], dtype=L.long, device=device), dim=0)
        output_seq, attention_weight_seq = [], []
        for _ in range(num_steps):
            Y, dec_state = net.decoder(dec_X, dec_state)
            dec_X = Y.argmax(dim=2)
            pred = dec_X.squeeze(dim=0).type(L.int32).item()
            if save_attention_weights:
                attention_weight_seq.append(net.decoder.attention_weights)
            if pred == tgt_vocab["<eos>"]:
                break
            output_seq.append(pred)
        return " ".join(tgt_vocab.to_tokens(output_seq)), attention_weight_seq

    def bleu(pred_seq: str, label_seq: str, k: int) -> float:
        pred_tokens, label_tokens = pred_seq.split(" "), label_seq.split(" ")
        len_pred, len_label = len(pred_tokens), len(label_tokens)
        score = math.exp(min(0, 1 - len_label / len_pred))
        for n in range(1, min(k, len_pred) + 1):
            num_matches, label_subs = 0, collections.defaultdict(int)
            for i in range(len_label - n + 1):
                label_subs[" ".join(label_tokens[i: i + n])] += 1
            for i in range(len_pred - n + 1):
                if label_subs[" ".join(pred_tokens[i: i + n])] > 0:
                    num_matches += 1
                    label_subs[" ".join(pred_tokens[i: i + n])] -= 1
            score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
        return score

    class Encoder(nn.Module):
        def forward(self, X: Any, *args: Any) -> Any:
            raise NotImplementedError

    class Decoder(nn.Module):
        def init_state(self, enc_outputs: Any, *args: Any) -> Any:
            raise NotImplementedError

    class AttentionDecoder(Decoder):
        @property
        def attention_weights(self) -> Any:
            raise NotImplementedError

    class EncoderDecoder(nn.Module):
        def __init__(self, encoder: Any, decoder: Any, **kwargs: Any) -> None:
            super(EncoderDecoder, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.encoder = encoder
            self.decoder = decoder

        def forward(self, enc_X: Any, dec_X: Any, *args: Any) -> Any:
            enc_outputs = self.encoder(enc_X, *args)
            dec_state = self.decoder.init_state(enc_outputs, *args)
            return self.decoder(dec_X, dec_state)

    class Seq2SeqEncoder(Encoder):
        def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                     dropout: float = 0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.embedding = nn.Embedding(vocab_size, embed_size)
            self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)

        def forward(self, X: Any, *args: Any) -> tuple:
            X = self.embedding(X)
            X = X.permute(1, 0, 2)
            output, state = self.rnn(X)
            return output, state

    for f in (preprocess_nmt, tokenize_nmt, truncate_pad, build_array_nmt, load_data_nmt, sequence_mask,
              masked_softmax, grad_clipping, train_seq2seq, predict_seq2seq, bleu):
        setattr(ns, f.__name__, staticmethod(f))
    for c in (MaskedSoftmaxCELoss, Encoder, Decoder, AttentionDecoder, EncoderDecoder, Seq2SeqEncoder):
        setattr(ns, c.__name__, c)
    return ns


def _translate(lib: Lib, net: Any, d2l: Any, src_vocab: Vocab, tgt_vocab: Vocab, num_steps: int,
               save: bool = False) -> list:
    engs, fras = ["go .", "i lost .", "he ran .", "i see ."], ["va !", "j'ai perdu .", "il a couru .", "je comprends ."]
    out = []
    for eng, fra in zip(engs, fras):
        translation, attention = d2l.predict_seq2seq(net, eng, src_vocab, tgt_vocab, num_steps, L_device(lib), save)
        out.append(f"{eng} => {translation}, bleu {d2l.bleu(translation, fra, k=2):.3f}")
        if attention and attention[0] is not None:
            out.append(L_stack(lib, attention))
    return out


def L_device(lib: Lib) -> Any:  # noqa: N802 - a small helper named for what it wraps
    return lib.lib.device("cpu")


def L_stack(lib: Lib, attention: list) -> Any:  # noqa: N802
    """d2l's attention-weight plot input: ``torch.cat([step[0][0][0] for step in ...], 0)`` (one query a step)."""
    weights = [step if not isinstance(step, list) else step[0] for step in attention]
    return lib.lib.cat([w.reshape(-1, w.shape[-1])[-1:] for w in weights], 0)


def _seq2seq(lib: Lib) -> dict:
    L, nn = lib.lib, lib.nn
    d2l = _nmt_tools(lib)
    out: dict = {}
    source, target = d2l.tokenize_nmt(d2l.preprocess_nmt(PAIRS))
    out["prep"] = d2l.preprocess_nmt(PAIRS)[:60]
    out["tokens"] = [source[:3], target[:3]]
    src_vocab = Vocab(source, min_freq=0, reserved_tokens=["<pad>", "<bos>", "<eos>"])
    out["pad"] = d2l.truncate_pad(src_vocab[source[0]], 10, src_vocab["<pad>"])
    train_iter, src_vocab, tgt_vocab = d2l.load_data_nmt(batch_size=4, num_steps=6)
    for X, X_valid_len, Y, Y_valid_len in train_iter:
        out["batch"] = [X.type(L.int32), X_valid_len, Y.type(L.int32), Y_valid_len]
        break
    X = L.tensor([[1, 2, 3], [4, 5, 6]])
    out["mask"] = d2l.sequence_mask(X, L.tensor([1, 2]))
    X = L.ones(2, 3, 4)
    out["mask_value"] = d2l.sequence_mask(X, L.tensor([1, 2]), value=-1)
    loss = d2l.MaskedSoftmaxCELoss()
    out["loss"] = loss(L.ones(3, 4, 10), L.ones((3, 4), dtype=L.long), L.tensor([4, 2, 0]))

    class Seq2SeqDecoder(d2l.Decoder):
        def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                     dropout: float = 0, **kwargs: Any) -> None:
            super(Seq2SeqDecoder, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.embedding = nn.Embedding(vocab_size, embed_size)
            self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
            self.dense = nn.Linear(num_hiddens, vocab_size)

        def init_state(self, enc_outputs: Any, *args: Any) -> Any:
            return enc_outputs[1]

        def forward(self, X: Any, state: Any) -> tuple:
            X = self.embedding(X).permute(1, 0, 2)
            context = state[-1].repeat(X.shape[0], 1, 1)
            X_and_context = L.cat((X, context), 2)
            output, state = self.rnn(X_and_context, state)
            output = self.dense(output).permute(1, 0, 2)
            return output, state

    encoder = d2l.Seq2SeqEncoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    encoder.eval()
    lib.same_weights(encoder)
    X = L.zeros((4, 7), dtype=L.long)
    output, state = encoder(X)
    decoder = Seq2SeqDecoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    decoder.eval()
    lib.same_weights(decoder)
    state = decoder.init_state(encoder(X))
    dec_out, state = decoder(X, state)
    out["shapes"] = [tuple(output.shape), tuple(state.shape), tuple(dec_out.shape)]
    out["dec_out"] = dec_out

    embed_size, num_hiddens, num_layers, dropout = 8, 16, 2, 0  # the book's dropout 0.1: the draws differ
    lr, num_epochs, num_steps = 0.005, 4, 6
    encoder = d2l.Seq2SeqEncoder(len(src_vocab), embed_size, num_hiddens, num_layers, dropout)
    decoder = Seq2SeqDecoder(len(tgt_vocab), embed_size, num_hiddens, num_layers, dropout)
    net = d2l.EncoderDecoder(encoder, decoder)
    out["train"] = d2l.train_seq2seq(net, train_iter, lr, num_epochs, tgt_vocab, L_device(lib))
    out["translate"] = _translate(lib, net, d2l, src_vocab, tgt_vocab, num_steps)
    out["state"] = dict(net.state_dict())
    return out


def test_d2l_seq2seq() -> None:
    assert_same(*dual(_seq2seq, float64=True))


def _attention_parts(lib: Lib, d2l: Any) -> Any:
    """Chapter 10's scoring functions and multi-head attention, bound to one library."""
    L, nn = lib.lib, lib.nn
    ns = type("d2l10", (), {})

    class AdditiveAttention(nn.Module):
        def __init__(self, key_size: int, query_size: int, num_hiddens: int, dropout: float,
                     **kwargs: Any) -> None:
            super(AdditiveAttention, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
            self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
            self.w_v = nn.Linear(num_hiddens, 1, bias=False)
            self.dropout = nn.Dropout(dropout)

        def forward(self, queries: Any, keys: Any, values: Any, valid_lens: Any) -> Any:
            queries, keys = self.W_q(queries), self.W_k(keys)
            features = queries.unsqueeze(2) + keys.unsqueeze(1)
            features = L.tanh(features)
            scores = self.w_v(features).squeeze(-1)
            self.attention_weights = d2l.masked_softmax(scores, valid_lens)
            return L.bmm(self.dropout(self.attention_weights), values)

    class DotProductAttention(nn.Module):
        def __init__(self, dropout: float, **kwargs: Any) -> None:
            super(DotProductAttention, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.dropout = nn.Dropout(dropout)

        def forward(self, queries: Any, keys: Any, values: Any, valid_lens: Any = None) -> Any:
            d = queries.shape[-1]
            scores = L.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
            self.attention_weights = d2l.masked_softmax(scores, valid_lens)
            return L.bmm(self.dropout(self.attention_weights), values)

    def transpose_qkv(X: Any, num_heads: int) -> Any:
        X = X.reshape(X.shape[0], X.shape[1], num_heads, -1)
        X = X.permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(X: Any, num_heads: int) -> Any:
        X = X.reshape(-1, num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)

    class MultiHeadAttention(nn.Module):
        def __init__(self, key_size: int, query_size: int, value_size: int, num_hiddens: int, num_heads: int,
                     dropout: float, bias: bool = False, **kwargs: Any) -> None:
            super(MultiHeadAttention, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.num_heads = num_heads
            self.attention = DotProductAttention(dropout)
            self.W_q = nn.Linear(query_size, num_hiddens, bias=bias)
            self.W_k = nn.Linear(key_size, num_hiddens, bias=bias)
            self.W_v = nn.Linear(value_size, num_hiddens, bias=bias)
            self.W_o = nn.Linear(num_hiddens, num_hiddens, bias=bias)

        def forward(self, queries: Any, keys: Any, values: Any, valid_lens: Any) -> Any:
            queries = transpose_qkv(self.W_q(queries), self.num_heads)
            keys = transpose_qkv(self.W_k(keys), self.num_heads)
            values = transpose_qkv(self.W_v(values), self.num_heads)
            if valid_lens is not None:
                valid_lens = L.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
            output = self.attention(queries, keys, values, valid_lens)
            output_concat = transpose_output(output, self.num_heads)
            return self.W_o(output_concat)

    for c in (AdditiveAttention, DotProductAttention, MultiHeadAttention):
        setattr(ns, c.__name__, c)
    return ns


def _attention(lib: Lib) -> dict:
    """10.2 Nadaraya-Watson, 10.3 scoring functions, 10.4 Bahdanau attention trained on the toy pairs."""
    L, nn = lib.lib, lib.nn
    d2l = _nmt_tools(lib)
    att = _attention_parts(lib, d2l)
    draw = _Draw(L, 7)
    out: dict = {}
    n_train = 20
    x_train, _ = L.sort(draw.rand((n_train,)) * 5)

    def f(x: Any) -> Any:
        return 2 * L.sin(x) + x**0.8

    y_train = f(x_train) + draw.normal(0.0, 0.5, (n_train,))
    x_test = L.arange(0, 5, 0.1)
    y_truth = f(x_test)
    n_test = len(x_test)
    X_repeat = x_test.repeat_interleave(n_train).reshape((-1, n_train))
    attention_weights = nn.functional.softmax(-(X_repeat - x_train)**2 / 2, dim=1)
    out["nw"] = [L.matmul(attention_weights, y_train), y_truth, n_test]
    X, Y = L.ones((2, 1, 4)), L.ones((2, 4, 6))
    out["bmm"] = L.bmm(X, Y).shape == (2, 1, 6)
    weights, values = L.ones((2, 10)) * 0.1, L.arange(20.0).reshape((2, 10))
    out["bmm_unsq"] = L.bmm(weights.unsqueeze(1), values.unsqueeze(-1))

    class NWKernelRegression(nn.Module):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.w = nn.Parameter(draw.rand((1,)).requires_grad_(True))  # torch.rand((1,), requires_grad=True)

        def forward(self, queries: Any, keys: Any, values: Any) -> Any:
            queries = queries.repeat_interleave(keys.shape[1]).reshape((-1, keys.shape[1]))
            self.attention_weights = nn.functional.softmax(-((queries - keys) * self.w)**2 / 2, dim=1)
            return L.bmm(self.attention_weights.unsqueeze(1), values.unsqueeze(-1)).reshape(-1)

    X_tile = x_train.repeat((n_train, 1))
    Y_tile = y_train.repeat((n_train, 1))
    keys = X_tile[(1 - L.eye(n_train)).type(L.bool)].reshape((n_train, -1))
    values = Y_tile[(1 - L.eye(n_train)).type(L.bool)].reshape((n_train, -1))
    net = NWKernelRegression()
    loss = nn.MSELoss(reduction="none")
    trainer = L.optim.SGD(net.parameters(), lr=0.5)
    losses = []
    for _ in range(5):
        trainer.zero_grad()
        l = loss(net(x_train, keys, values), y_train)  # noqa: E741 - d2l's name
        l.sum().backward()
        trainer.step()
        losses.append(float(l.sum()))
    out["nw_train"] = [losses, net.w.detach()]
    keys = x_train.repeat((n_test, 1))
    values = y_train.repeat((n_test, 1))
    out["nw_pred"] = net(x_test, keys, values).unsqueeze(1).detach()

    out["masked"] = [d2l.masked_softmax(draw.rand((2, 2, 4)), L.tensor([2, 3])),
                     d2l.masked_softmax(draw.rand((2, 2, 4)), L.tensor([[1, 3], [2, 4]]))]
    queries, keys = draw.normal(0, 1, (2, 1, 20)), L.ones((2, 10, 2))
    values = L.arange(40, dtype=L.float32).reshape(1, 10, 4).repeat(2, 1, 1).to(L.get_default_dtype())
    valid_lens = L.tensor([2, 6])
    attention = att.AdditiveAttention(key_size=2, query_size=20, num_hiddens=8, dropout=0.1)
    attention.eval()
    lib.same_weights(attention)
    out["additive"] = [attention(queries, keys, values, valid_lens), attention.attention_weights]
    queries = draw.normal(0, 1, (2, 1, 2))
    attention = att.DotProductAttention(dropout=0.5)
    attention.eval()
    out["dot"] = [attention(queries, keys, values, valid_lens), attention.attention_weights]

    class Seq2SeqAttentionDecoder(d2l.AttentionDecoder):
        def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int,
                     dropout: float = 0, **kwargs: Any) -> None:
            super(Seq2SeqAttentionDecoder, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.attention = att.AdditiveAttention(num_hiddens, num_hiddens, num_hiddens, dropout)
            self.embedding = nn.Embedding(vocab_size, embed_size)
            self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
            self.dense = nn.Linear(num_hiddens, vocab_size)

        def init_state(self, enc_outputs: Any, enc_valid_lens: Any, *args: Any) -> tuple:
            outputs, hidden_state = enc_outputs
            return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)

        def forward(self, X: Any, state: Any) -> tuple:
            enc_outputs, hidden_state, enc_valid_lens = state
            X = self.embedding(X).permute(1, 0, 2)
            outputs, self._attention_weights = [], []
            for x in X:
                query = L.unsqueeze(hidden_state[-1], dim=1)
                context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)
                x = L.cat((context, L.unsqueeze(x, dim=1)), dim=-1)
                out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
                outputs.append(out)
                self._attention_weights.append(self.attention.attention_weights)
            outputs = self.dense(L.cat(outputs, dim=0))
            return outputs.permute(1, 0, 2), [enc_outputs, hidden_state, enc_valid_lens]

        @property
        def attention_weights(self) -> Any:
            return self._attention_weights

    encoder = d2l.Seq2SeqEncoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    encoder.eval()
    lib.same_weights(encoder)
    decoder = Seq2SeqAttentionDecoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    decoder.eval()
    lib.same_weights(decoder)
    X = L.zeros((4, 7), dtype=L.long)
    state = decoder.init_state(encoder(X), None)
    output, state = decoder(X, state)
    out["bahdanau_shapes"] = [tuple(output.shape), len(state), tuple(state[0].shape), len(state[1]),
                              tuple(state[1][0].shape)]
    train_iter, src_vocab, tgt_vocab = d2l.load_data_nmt(4, 6)
    encoder = d2l.Seq2SeqEncoder(len(src_vocab), 8, 16, 2, 0)
    decoder = Seq2SeqAttentionDecoder(len(tgt_vocab), 8, 16, 2, 0)
    net = d2l.EncoderDecoder(encoder, decoder)
    out["train"] = d2l.train_seq2seq(net, train_iter, 0.005, 3, tgt_vocab, L_device(lib))
    out["translate"] = _translate(lib, net, d2l, src_vocab, tgt_vocab, 6, save=True)
    return out


def test_d2l_attention_scoring_and_bahdanau() -> None:
    assert_same(*dual(_attention, float64=True))


def _transformer(lib: Lib) -> dict:
    """10.5 multi-head attention, 10.6 positional encoding, 10.7 the Transformer trained on the toy pairs."""
    L, nn = lib.lib, lib.nn
    d2l = _nmt_tools(lib)
    att = _attention_parts(lib, d2l)
    out: dict = {}
    num_hiddens, num_heads = 16, 4
    attention = att.MultiHeadAttention(num_hiddens, num_hiddens, num_hiddens, num_hiddens, num_heads, 0.5)
    attention.eval()
    lib.same_weights(attention)
    batch_size, num_queries = 2, 4
    num_kvpairs, valid_lens = 6, L.tensor([3, 2])
    X = L.ones((batch_size, num_queries, num_hiddens))
    Y = L.ones((batch_size, num_kvpairs, num_hiddens))
    out["mha"] = attention(X, Y, Y, valid_lens)

    class PositionalEncoding(nn.Module):
        def __init__(self, num_hiddens: int, dropout: float, max_len: int = 1000) -> None:
            super(PositionalEncoding, self).__init__()  # noqa: UP008 - d2l's
            self.dropout = nn.Dropout(dropout)
            self.P = L.zeros((1, max_len, num_hiddens))
            dtype = L.get_default_dtype()  # the book's float32 (whose sin rounds by library): the run's default
            X = L.arange(max_len, dtype=dtype).reshape(-1, 1) / L.pow(
                10000, L.arange(0, num_hiddens, 2, dtype=dtype) / num_hiddens)
            self.P[:, :, 0::2] = L.sin(X)
            self.P[:, :, 1::2] = L.cos(X)

        def forward(self, X: Any) -> Any:
            X = X + self.P[:, :X.shape[1], :].to(X.device)
            return self.dropout(X)

    encoding_dim, num_steps = 8, 20
    pos_encoding = PositionalEncoding(encoding_dim, 0)
    pos_encoding.eval()
    X = pos_encoding(L.zeros((1, num_steps, encoding_dim)))
    out["P"] = [X, pos_encoding.P[:, :X.shape[1], :]]
    out["binary"] = [f"{i} in binary is {i:>03b}" for i in range(8)]

    class PositionWiseFFN(nn.Module):
        def __init__(self, ffn_num_input: int, ffn_num_hiddens: int, ffn_num_outputs: int, **kwargs: Any) -> None:
            super(PositionWiseFFN, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.dense1 = nn.Linear(ffn_num_input, ffn_num_hiddens)
            self.relu = nn.ReLU()
            self.dense2 = nn.Linear(ffn_num_hiddens, ffn_num_outputs)

        def forward(self, X: Any) -> Any:
            return self.dense2(self.relu(self.dense1(X)))

    class AddNorm(nn.Module):
        def __init__(self, normalized_shape: Any, dropout: float, **kwargs: Any) -> None:
            super(AddNorm, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.dropout = nn.Dropout(dropout)
            self.ln = nn.LayerNorm(normalized_shape)

        def forward(self, X: Any, Y: Any) -> Any:
            return self.ln(self.dropout(Y) + X)

    ffn = PositionWiseFFN(4, 4, 8)
    ffn.eval()
    lib.same_weights(ffn)
    out["ffn"] = ffn(L.ones((2, 3, 4)))[0]
    ln, bn = nn.LayerNorm(2), nn.BatchNorm1d(2)
    X = L.tensor([[1, 2], [2, 3]], dtype=L.float32).to(L.get_default_dtype())
    out["ln_bn"] = [ln(X), bn(X)]
    add_norm = AddNorm([3, 4], 0.5)
    add_norm.eval()
    out["addnorm"] = add_norm(L.ones((2, 3, 4)), L.ones((2, 3, 4))).shape == (2, 3, 4)

    class EncoderBlock(nn.Module):
        def __init__(self, key_size, query_size, value_size, num_hiddens, norm_shape, ffn_num_input,  # noqa: ANN001
                     ffn_num_hiddens, num_heads, dropout, use_bias=False, **kwargs) -> None:  # noqa: ANN001, ANN003
            super(EncoderBlock, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.attention = att.MultiHeadAttention(key_size, query_size, value_size, num_hiddens, num_heads,
                                                    dropout, use_bias)
            self.addnorm1 = AddNorm(norm_shape, dropout)
            self.ffn = PositionWiseFFN(ffn_num_input, ffn_num_hiddens, num_hiddens)
            self.addnorm2 = AddNorm(norm_shape, dropout)

        def forward(self, X: Any, valid_lens: Any) -> Any:
            Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
            return self.addnorm2(Y, self.ffn(Y))

    class TransformerEncoder(d2l.Encoder):
        def __init__(self, vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape,  # noqa: ANN001
                     ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout, use_bias=False,  # noqa: ANN001
                     **kwargs) -> None:  # noqa: ANN003
            super(TransformerEncoder, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.num_hiddens = num_hiddens
            self.embedding = nn.Embedding(vocab_size, num_hiddens)
            self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
            self.blks = nn.Sequential()
            for i in range(num_layers):
                self.blks.add_module("block" + str(i), EncoderBlock(
                    key_size, query_size, value_size, num_hiddens, norm_shape, ffn_num_input, ffn_num_hiddens,
                    num_heads, dropout, use_bias))

        def forward(self, X: Any, valid_lens: Any, *args: Any) -> Any:
            X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
            self.attention_weights = [None] * len(self.blks)
            for i, blk in enumerate(self.blks):
                X = blk(X, valid_lens)
                self.attention_weights[i] = blk.attention.attention.attention_weights
            return X

    class DecoderBlock(nn.Module):
        def __init__(self, key_size, query_size, value_size, num_hiddens, norm_shape, ffn_num_input,  # noqa: ANN001
                     ffn_num_hiddens, num_heads, dropout, i, **kwargs) -> None:  # noqa: ANN001, ANN003
            super(DecoderBlock, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.i = i
            self.attention1 = att.MultiHeadAttention(key_size, query_size, value_size, num_hiddens, num_heads,
                                                     dropout)
            self.addnorm1 = AddNorm(norm_shape, dropout)
            self.attention2 = att.MultiHeadAttention(key_size, query_size, value_size, num_hiddens, num_heads,
                                                     dropout)
            self.addnorm2 = AddNorm(norm_shape, dropout)
            self.ffn = PositionWiseFFN(ffn_num_input, ffn_num_hiddens, num_hiddens)
            self.addnorm3 = AddNorm(norm_shape, dropout)

        def forward(self, X: Any, state: Any) -> tuple:
            enc_outputs, enc_valid_lens = state[0], state[1]
            if state[2][self.i] is None:
                key_values = X
            else:
                key_values = L.cat((state[2][self.i], X), axis=1)
            state[2][self.i] = key_values
            if self.training:
                batch_size, num_steps, _ = X.shape
                dec_valid_lens = L.arange(1, num_steps + 1, device=X.device).repeat(batch_size, 1)
            else:
                dec_valid_lens = None
            X2 = self.attention1(X, key_values, key_values, dec_valid_lens)
            Y = self.addnorm1(X, X2)
            Y2 = self.attention2(Y, enc_outputs, enc_outputs, enc_valid_lens)
            Z = self.addnorm2(Y, Y2)
            return self.addnorm3(Z, self.ffn(Z)), state

    class TransformerDecoder(d2l.AttentionDecoder):
        def __init__(self, vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape,  # noqa: ANN001
                     ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout, **kwargs) -> None:  # noqa: ANN001, ANN003, E501
            super(TransformerDecoder, self).__init__(**kwargs)  # noqa: UP008 - d2l's
            self.num_hiddens = num_hiddens
            self.num_layers = num_layers
            self.embedding = nn.Embedding(vocab_size, num_hiddens)
            self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
            self.blks = nn.Sequential()
            for i in range(num_layers):
                self.blks.add_module("block" + str(i), DecoderBlock(
                    key_size, query_size, value_size, num_hiddens, norm_shape, ffn_num_input, ffn_num_hiddens,
                    num_heads, dropout, i))
            self.dense = nn.Linear(num_hiddens, vocab_size)

        def init_state(self, enc_outputs: Any, enc_valid_lens: Any, *args: Any) -> list:
            return [enc_outputs, enc_valid_lens, [None] * self.num_layers]

        def forward(self, X: Any, state: Any) -> tuple:
            X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
            self._attention_weights = [[None] * len(self.blks) for _ in range(2)]
            for i, blk in enumerate(self.blks):
                X, state = blk(X, state)
                self._attention_weights[0][i] = blk.attention1.attention.attention_weights
                self._attention_weights[1][i] = blk.attention2.attention.attention_weights
            return self.dense(X), state

        @property
        def attention_weights(self) -> Any:
            return self._attention_weights

    X = L.ones((2, 100, 24))
    valid_lens = L.tensor([3, 2])
    encoder_blk = EncoderBlock(24, 24, 24, 24, [100, 24], 24, 48, 8, 0.5)
    encoder_blk.eval()
    lib.same_weights(encoder_blk)
    out["enc_blk"] = encoder_blk(X, valid_lens)[:, :3]
    decoder_blk = DecoderBlock(24, 24, 24, 24, [100, 24], 24, 48, 8, 0.5, 0)
    decoder_blk.eval()
    lib.same_weights(decoder_blk)
    state = [encoder_blk(X, valid_lens), valid_lens, [None]]
    out["dec_blk"] = decoder_blk(X, state)[0][:, :3]

    num_hiddens, num_layers, dropout, batch_size, num_steps = 16, 2, 0, 4, 6  # the book's dropout 0.1: draws
    lr, num_epochs = 0.005, 3
    ffn_num_input, ffn_num_hiddens, num_heads = 16, 32, 4
    key_size, query_size, value_size = 16, 16, 16
    norm_shape = [16]
    train_iter, src_vocab, tgt_vocab = d2l.load_data_nmt(batch_size, num_steps)
    encoder = TransformerEncoder(len(src_vocab), key_size, query_size, value_size, num_hiddens, norm_shape,
                                 ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout)
    decoder = TransformerDecoder(len(tgt_vocab), key_size, query_size, value_size, num_hiddens, norm_shape,
                                 ffn_num_input, ffn_num_hiddens, num_heads, num_layers, dropout)
    net = d2l.EncoderDecoder(encoder, decoder)
    out["train"] = d2l.train_seq2seq(net, train_iter, lr, num_epochs, tgt_vocab, L_device(lib))
    out["translate"] = _translate(lib, net, d2l, src_vocab, tgt_vocab, num_steps)
    enc_attention_weights = L.cat(net.encoder.attention_weights, 0).reshape((num_layers, num_heads, -1, num_steps))
    out["enc_attention"] = enc_attention_weights
    return out


def test_d2l_multihead_attention_and_transformer() -> None:
    assert_same(*dual(_transformer, float64=True))


def test_d2l_transformer_float32() -> None:
    _assert_f32(*_f32_triple(_transformer))


# --- 11.3-11.10 optimisation: gradient descent, Newton, momentum/Adagrad/RMSProp/Adadelta/Adam/Yogi from scratch
# --- (train_ch11) and concise (train_concise_ch11), 11.11 learning-rate schedulers -----------------------------------


def _optimization(lib: Lib) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    draw = _Draw(L, 8)
    out: dict = {}
    c = L.tensor(0.5)
    f = lambda x: L.cosh(c * x)  # noqa: E731 - d2l's
    f_grad = lambda x: c * L.sinh(c * x)  # noqa: E731 - d2l's
    f_hess = lambda x: c**2 * L.cosh(c * x)  # noqa: E731 - d2l's

    def newton(eta: float = 1) -> list:
        x = 10.0
        results = [x]
        for _ in range(10):
            x -= eta * f_grad(x) / f_hess(x)
            results.append(float(x))
        return results

    out["newton"] = [newton(), float(f(L.tensor(newton()[-1])))]

    def f_2d(x1: Any, x2: Any) -> Any:
        return 0.1 * x1 ** 2 + 2 * x2 ** 2

    x1, x2 = L.meshgrid(L.arange(-5.5, 1.0, 0.1), L.arange(-3.0, 1.0, 0.1), indexing="ij")
    out["contour"] = f_2d(x1, x2)

    # the airfoil set replaced by a synthetic one of the same layout: 5 standardised features, the target last
    data = draw.rng.standard_normal((300, 6)) @ draw.rng.standard_normal((6, 6))
    data = L.from_numpy(((data - data.mean(axis=0)) / data.std(axis=0)).astype(np.float32)).to(
        L.get_default_dtype())  # the book's genfromtxt(dtype=np.float32), in the run's default dtype
    data_iter = d2l.load_array((data[:200, :-1], data[:200, -1]), 10, is_train=True)
    feature_dim = data.shape[1] - 1

    def train_ch11(trainer_fn: Any, states: Any, hyperparams: dict, data_iter: Any, feature_dim: int,
                   num_epochs: int = 2) -> list:
        w = draw.normal(mean=0.0, std=0.01, size=(feature_dim, 1), requires_grad=True)
        b = L.zeros((1), requires_grad=True)
        net, loss = lambda X: d2l.linreg(X, w, b), d2l.squared_loss  # noqa: E731 - d2l's
        n, losses = 0, []
        for _ in range(num_epochs):
            for X, y in data_iter:
                l = loss(net(X), y).mean()  # noqa: E741 - d2l's name
                l.backward()
                trainer_fn([w, b], states, hyperparams)
                n += X.shape[0]
                if n % 50 == 0:
                    losses.append(d2l.evaluate_loss(net, data_iter, loss))
        return [losses, w.detach().clone(), b.detach().clone()]

    def sgd(params: list, states: Any, hyperparams: dict) -> None:
        for p in params:
            p.data.sub_(hyperparams["lr"] * p.grad)
            p.grad.data.zero_()

    def init_momentum_states(feature_dim: int) -> tuple:
        v_w = L.zeros((feature_dim, 1))
        v_b = L.zeros(1)
        return (v_w, v_b)

    def sgd_momentum(params: list, states: Any, hyperparams: dict) -> None:
        for p, v in zip(params, states):
            with L.no_grad():
                v[:] = hyperparams["momentum"] * v + p.grad
                p[:] -= hyperparams["lr"] * v
            p.grad.data.zero_()

    init_adagrad_states = init_rmsprop_states = init_momentum_states

    def adagrad(params: list, states: Any, hyperparams: dict) -> None:
        eps = 1e-6
        for p, s in zip(params, states):
            with L.no_grad():
                s[:] += L.square(p.grad)
                p[:] -= hyperparams["lr"] * p.grad / L.sqrt(s + eps)
            p.grad.data.zero_()

    def rmsprop(params: list, states: Any, hyperparams: dict) -> None:
        gamma, eps = hyperparams["gamma"], 1e-6
        for p, s in zip(params, states):
            with L.no_grad():
                s[:] = gamma * s + (1 - gamma) * L.square(p.grad)
                p[:] -= hyperparams["lr"] * p.grad / L.sqrt(s + eps)
            p.grad.data.zero_()

    def init_adadelta_states(feature_dim: int) -> tuple:
        s_w, s_b = L.zeros((feature_dim, 1)), L.zeros(1)
        delta_w, delta_b = L.zeros((feature_dim, 1)), L.zeros(1)
        return ((s_w, delta_w), (s_b, delta_b))

    def adadelta(params: list, states: Any, hyperparams: dict) -> None:
        rho, eps = hyperparams["rho"], 1e-5
        for p, (s, delta) in zip(params, states):
            with L.no_grad():
                s[:] = rho * s + (1 - rho) * L.square(p.grad)
                g = (L.sqrt(delta + eps) / L.sqrt(s + eps)) * p.grad
                p[:] -= g
                delta[:] = rho * delta + (1 - rho) * g * g
            p.grad.data.zero_()

    init_adam_states = init_adadelta_states

    def adam(params: list, states: Any, hyperparams: dict) -> None:
        beta1, beta2, eps = 0.9, 0.999, 1e-6
        for p, (v, s) in zip(params, states):
            with L.no_grad():
                v[:] = beta1 * v + (1 - beta1) * p.grad
                s[:] = beta2 * s + (1 - beta2) * L.square(p.grad)
                v_bias_corr = v / (1 - beta1 ** hyperparams["t"])
                s_bias_corr = s / (1 - beta2 ** hyperparams["t"])
                p[:] -= hyperparams["lr"] * v_bias_corr / (L.sqrt(s_bias_corr) + eps)
            p.grad.data.zero_()
        hyperparams["t"] += 1

    def yogi(params: list, states: Any, hyperparams: dict) -> None:
        beta1, beta2, eps = 0.9, 0.999, 1e-3
        for p, (v, s) in zip(params, states):
            with L.no_grad():
                v[:] = beta1 * v + (1 - beta1) * p.grad
                s[:] = s + (1 - beta2) * L.sign(L.square(p.grad) - s) * L.square(p.grad)
                v_bias_corr = v / (1 - beta1 ** hyperparams["t"])
                s_bias_corr = s / (1 - beta2 ** hyperparams["t"])
                p[:] -= hyperparams["lr"] * v_bias_corr / (L.sqrt(s_bias_corr) + eps)
            p.grad.data.zero_()
        hyperparams["t"] += 1

    out["scratch"] = {
        "sgd": train_ch11(sgd, None, {"lr": 0.05}, data_iter, feature_dim),
        "momentum": train_ch11(sgd_momentum, init_momentum_states(feature_dim), {"lr": 0.02, "momentum": 0.5},
                               data_iter, feature_dim),
        "adagrad": train_ch11(adagrad, init_adagrad_states(feature_dim), {"lr": 0.1}, data_iter, feature_dim),
        "rmsprop": train_ch11(rmsprop, init_rmsprop_states(feature_dim), {"lr": 0.01, "gamma": 0.9}, data_iter,
                              feature_dim),
        "adadelta": train_ch11(adadelta, init_adadelta_states(feature_dim), {"rho": 0.9}, data_iter, feature_dim),
        "adam": train_ch11(adam, init_adam_states(feature_dim), {"lr": 0.01, "t": 1}, data_iter, feature_dim),
        "yogi": train_ch11(yogi, init_adam_states(feature_dim), {"lr": 0.01, "t": 1}, data_iter, feature_dim),
    }

    def train_concise_ch11(trainer_fn: Any, hyperparams: dict, data_iter: Any, num_epochs: int = 2) -> list:
        net = nn.Sequential(nn.Linear(5, 1))

        def init_weights(module: Any) -> None:
            if type(module) == nn.Linear:  # noqa: E721 - d2l's test
                L.nn.init.normal_(module.weight, std=0.01)

        net.apply(init_weights)
        lib.same_weights(net)
        optimizer = trainer_fn(net.parameters(), **hyperparams)
        loss = nn.MSELoss(reduction="none")
        n, losses = 0, []
        for _ in range(num_epochs):
            for X, y in data_iter:
                optimizer.zero_grad()
                out = net(X)
                y = y.reshape(out.shape)
                l = loss(out, y)  # noqa: E741 - d2l's name
                l.mean().backward()
                optimizer.step()
                n += X.shape[0]
                if n % 50 == 0:
                    losses.append(d2l.evaluate_loss(net, data_iter, loss) / 2)
        return [losses, dict(net.state_dict())]

    optim = L.optim
    out["concise"] = {
        "sgd": train_concise_ch11(optim.SGD, {"lr": 0.01}, data_iter),
        "momentum": train_concise_ch11(optim.SGD, {"lr": 0.005, "momentum": 0.9}, data_iter),
        "adagrad": train_concise_ch11(optim.Adagrad, {"lr": 0.1}, data_iter),
        "rmsprop": train_concise_ch11(optim.RMSprop, {"lr": 0.01, "alpha": 0.9}, data_iter),
        "adadelta": train_concise_ch11(optim.Adadelta, {"rho": 0.9}, data_iter),
        "adam": train_concise_ch11(optim.Adam, {"lr": 0.01}, data_iter),
    }

    # 11.11: a hand-written scheduler writing param_groups, and MultiStepLR / the cosine schedule as the book uses them
    net = nn.Sequential(nn.Linear(5, 1))
    lib.same_weights(net)
    trainer = optim.SGD(net.parameters(), lr=0.3)

    class FactorScheduler:
        def __init__(self, factor: float = 1, stop_factor_lr: float = 1e-7, base_lr: float = 0.1) -> None:
            self.factor, self.stop_factor_lr, self.base_lr = factor, stop_factor_lr, base_lr

        def __call__(self, num_update: int) -> float:
            self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor)
            return self.base_lr

    scheduler = FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0)
    lrs = []
    loss = nn.MSELoss()
    for epoch in range(6):
        for X, y in data_iter:
            trainer.zero_grad()
            l = loss(net(X), y.reshape(-1, 1))  # noqa: E741 - d2l's name
            l.backward()
            trainer.step()
        for param_group in trainer.param_groups:
            param_group["lr"] = scheduler(epoch) / 10
        lrs.append(trainer.param_groups[0]["lr"])
    scheduler = optim.lr_scheduler.MultiStepLR(trainer, milestones=[2, 4], gamma=0.5)

    def get_lr(trainer: Any, scheduler: Any) -> float:
        lr = scheduler.get_last_lr()[0]
        trainer.step()
        scheduler.step()
        return lr

    out["schedules"] = [lrs, [get_lr(trainer, scheduler) for _ in range(6)], dict(net.state_dict())]
    return out


def test_d2l_optimization() -> None:
    assert_same(*dual(_optimization, float64=True))


def test_d2l_optimization_float32() -> None:
    _assert_f32(*_f32_triple(_optimization))


# --- 2.1-2.6 preliminaries (tensors, linear algebra, autograd, control flow, probability by Multinomial);
# --- 8.1 sequence models (a sine with noise, an MLP on tau lags, k-step predictions); 12.1 hybrid programming ------


def _preliminaries(lib: Lib) -> dict:
    L, nn, d2l = lib.lib, lib.nn, _d2l(lib)
    draw = _Draw(L, 9)
    out: dict = {}
    x = L.arange(12)
    out["x"] = [x, x.shape, x.numel()]
    X = x.reshape(3, 4)
    out["cat"] = [L.cat((X, X * 2), dim=0), L.cat((X, X * 2), dim=1), X == X, X.sum()]
    a, b = L.arange(3).reshape((3, 1)), L.arange(2).reshape((1, 2))
    out["broadcast"] = a + b
    Y = L.zeros_like(X)
    Y[:] = X + X
    X[1, 2] = 9
    X[0:2, :] = 12
    out["assign"] = [X, Y]
    A = X.numpy()
    B = L.tensor(A)
    out["numpy"] = [type(A).__name__, type(B).__name__, L.tensor([3.5]).item(), float(L.tensor([3.5])),
                    int(L.tensor([3.5]))]
    inputs = np.array([[3.0, 0.0, 1.0], [2.0, 1.0, 0.0], [4.0, 0.0, 1.0]])
    out["pandas"] = L.tensor(inputs.astype(float))
    A = L.arange(20, dtype=L.float32).reshape(5, 4).to(L.get_default_dtype())
    B = A.clone()
    out["linalg"] = [A.T, A * B, A.sum(axis=0), A.sum(axis=1), A.sum(axis=[0, 1]), A.mean(), A.mean(axis=0),
                     A.sum(axis=1, keepdims=True), A / A.sum(axis=1, keepdims=True), A.cumsum(axis=0),
                     L.mv(A, L.arange(4, dtype=A.dtype)), L.mm(A, L.ones(4, 3)),
                     L.dot(L.arange(4, dtype=A.dtype), L.ones(4)), L.norm(L.tensor([3.0, -4.0])),
                     L.abs(L.tensor([3.0, -4.0])).sum(), L.norm(L.ones((4, 9)))]
    x = L.arange(4.0)
    x.requires_grad_(True)
    y = 2 * L.dot(x, x)
    y.backward()
    grads = [x.grad.clone(), x.grad == 4 * x]
    x.grad.zero_()
    y = x.sum()
    y.backward()
    grads.append(x.grad.clone())
    x.grad.zero_()
    y = x * x
    y.backward(gradient=L.ones(len(y)))
    grads.append(x.grad.clone())
    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    grads += [x.grad == u]
    x.grad.zero_()
    y.sum().backward()
    grads += [x.grad == 2 * x]

    def f(a: Any) -> Any:
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        if b.sum() > 0:
            c = b
        else:
            c = 100 * b
        return c

    a = draw.randn(requires_grad=True)  # torch.randn(size=(), requires_grad=True)
    d = f(a)
    d.backward()
    grads += [a.grad == d / a, a.grad]
    out["autograd"] = grads

    fair_probs = L.ones([6]) / 6
    m = L.distributions.multinomial.Multinomial(1, fair_probs)
    one = m.sample()
    counts = L.distributions.multinomial.Multinomial(10, fair_probs).sample((500,))
    cum_counts = counts.cumsum(dim=0)
    estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
    out["dice"] = [tuple(one.shape), str(one.dtype), float(one.sum()), tuple(estimates.shape),
                   bool((counts.sum(1) == 10).all()), m.log_prob(L.tensor([0.0, 0.0, 1.0, 0.0, 0.0, 0.0])),
                   L.distributions.multinomial.Multinomial(10, fair_probs).entropy()]

    # 8.1: a noisy sine, features of tau lags, an MLP trained by Adam on squared loss, one-step and k-step predictions
    T, tau = 200, 4
    time_ = L.arange(1, T + 1, dtype=L.float32).to(L.get_default_dtype())
    x = L.sin(0.01 * time_) + draw.normal(0, 0.2, (T,))
    features = L.zeros((T - tau, tau))
    for i in range(tau):
        features[:, i] = x[i: T - tau + i]
    labels = x[tau:].reshape((-1, 1))
    batch_size, n_train = 16, 120
    train_iter = d2l.load_array((features[:n_train], labels[:n_train]), batch_size, is_train=True)

    def init_weights(m: Any) -> None:
        if type(m) == nn.Linear:  # noqa: E721 - d2l's test
            nn.init.xavier_uniform_(m.weight)

    net = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 1))
    net.apply(init_weights)
    lib.same_weights(net)
    loss = nn.MSELoss(reduction="none")
    trainer = L.optim.Adam(net.parameters(), 0.01)
    log = []
    for epoch in range(3):
        for X, y in train_iter:
            trainer.zero_grad()
            l = loss(net(X), y)  # noqa: E741 - d2l's name
            l.sum().backward()
            trainer.step()
        log.append(f"epoch {epoch + 1}, loss: {d2l.evaluate_loss(net, train_iter, loss):f}")
    onestep_preds = net(features)
    multistep_preds = L.zeros(T)
    multistep_preds[: n_train + tau] = x[: n_train + tau]
    for i in range(n_train + tau, T):
        multistep_preds[i] = net(multistep_preds[i - tau:i].reshape((1, -1)))
    max_steps = 8
    features = L.zeros((T - tau - max_steps + 1, tau + max_steps))
    for i in range(tau):
        features[:, i] = x[i: i + T - tau - max_steps + 1]
    for i in range(tau, tau + max_steps):
        features[:, i] = net(features[:, i - tau:i]).reshape(-1)
    out["sequence"] = [log, onestep_preds.detach(), multistep_preds.detach(), features.detach()]

    # 12.1: the scripted net computes what the net does
    net = nn.Sequential(nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 2))
    lib.same_weights(net)
    x = draw.randn(1, 512)
    out["hybrid"] = [net(x), L.jit.script(net)(x)]
    return out


def test_d2l_preliminaries_sequence_models_and_hybrid() -> None:
    theirs, ours = dual(_preliminaries, float64=True)
    assert_same(theirs, ours)


# --- the second edition's object-oriented scratch code: LinearRegressionScratch + SGD(HyperParameters) on d2l's
# --- Trainer (backward under no_grad, clip_gradients), RNNScratch/RNNLMScratch and GRUScratch -----------------------


def _second_edition(lib: Lib) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    draw = _Draw(L, 10)
    out: dict = {}

    class SGD:
        def __init__(self, params: list, lr: float) -> None:
            self.params, self.lr = params, lr

        def step(self) -> None:
            for param in self.params:
                param -= self.lr * param.grad

        def zero_grad(self) -> None:
            for param in self.params:
                if param.grad is not None:
                    param.grad.zero_()

    class LinearRegressionScratch(nn.Module):
        def __init__(self, num_inputs: int, lr: float, sigma: float = 0.01) -> None:
            super().__init__()
            self.lr = lr
            self.w = draw.normal(0, sigma, (num_inputs, 1), requires_grad=True)
            self.b = L.zeros(1, requires_grad=True)

        def forward(self, X: Any) -> Any:
            return L.matmul(X, self.w) + self.b

        def loss(self, y_hat: Any, y: Any) -> Any:
            l = (y_hat - y) ** 2 / 2  # noqa: E741 - d2l's name
            return l.mean()

        def configure_optimizers(self) -> SGD:
            return SGD([self.w, self.b], self.lr)

    def clip_gradients(grad_clip_val: float, model: Any) -> None:
        params = [p for p in model.parameters() if p.requires_grad]
        norm = L.sqrt(sum(L.sum((p.grad ** 2)) for p in params))  # noqa: UP034 - d2l's
        if norm > grad_clip_val:
            for param in params:
                param.grad[:] *= grad_clip_val / norm

    def fit(model: Any, batches: list, max_epochs: int, gradient_clip_val: float = 0) -> list:
        optim = model.configure_optimizers()
        losses = []
        for _ in range(max_epochs):
            model.train()
            for X, y in batches:
                loss = model.loss(model(X), y)
                optim.zero_grad()
                with L.no_grad():
                    loss.backward()
                    if gradient_clip_val > 0:
                        clip_gradients(gradient_clip_val, model)
                    optim.step()
                losses.append(loss)
        return losses

    w, b = L.tensor([2, -3.4]), 4.2
    X = draw.randn(60, len(w))
    y = L.matmul(X, w.reshape((-1, 1))) + b + draw.randn(60, 1) * 0.01
    order = L.tensor(draw.rng.permutation(60))  # torch.randperm(num_train): the shared stream
    batches = [(X[order[i: i + 10]], y[order[i: i + 10]]) for i in range(0, 60, 10)]
    model = LinearRegressionScratch(2, lr=0.03)
    out["linreg"] = [fit(model, batches, 3), model.w.detach(), model.b.detach()]

    class RNNScratch(nn.Module):
        def __init__(self, num_inputs: int, num_hiddens: int, sigma: float = 0.01) -> None:
            super().__init__()
            self.num_hiddens = num_hiddens
            self.W_xh = nn.Parameter(draw.randn(num_inputs, num_hiddens) * sigma)
            self.W_hh = nn.Parameter(draw.randn(num_hiddens, num_hiddens) * sigma)
            self.b_h = nn.Parameter(L.zeros(num_hiddens))

        def forward(self, inputs: Any, state: Any = None) -> tuple:
            if state is None:
                state = L.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
            else:
                state, = state
            outputs = []
            for X in inputs:
                state = L.tanh(L.matmul(X, self.W_xh) + L.matmul(state, self.W_hh) + self.b_h)
                outputs.append(state)
            return outputs, state

    class GRUScratch(nn.Module):
        def __init__(self, num_inputs: int, num_hiddens: int, sigma: float = 0.01) -> None:
            super().__init__()
            self.num_hiddens = num_hiddens
            init_weight = lambda *shape: nn.Parameter(draw.randn(*shape) * sigma)  # noqa: E731 - d2l's
            triple = lambda: (init_weight(num_inputs, num_hiddens), init_weight(num_hiddens, num_hiddens),  # noqa: E731
                              nn.Parameter(L.zeros(num_hiddens)))
            self.W_xz, self.W_hz, self.b_z = triple()
            self.W_xr, self.W_hr, self.b_r = triple()
            self.W_xh, self.W_hh, self.b_h = triple()

        def forward(self, inputs: Any, H: Any = None) -> tuple:
            if H is None:
                H = L.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
            outputs = []
            for X in inputs:
                Z = L.sigmoid(L.matmul(X, self.W_xz) + L.matmul(H, self.W_hz) + self.b_z)
                R = L.sigmoid(L.matmul(X, self.W_xr) + L.matmul(H, self.W_hr) + self.b_r)
                H_tilde = L.tanh(L.matmul(X, self.W_xh) + L.matmul(R * H, self.W_hh) + self.b_h)
                H = Z * H + (1 - Z) * H_tilde
                outputs.append(H)
            return outputs, H

    class RNNLMScratch(nn.Module):
        def __init__(self, rnn: Any, vocab_size: int, lr: float = 0.01) -> None:
            super().__init__()
            self.rnn, self.vocab_size, self.lr = rnn, vocab_size, lr
            self.W_hq = nn.Parameter(draw.randn(rnn.num_hiddens, vocab_size) * 0.01)
            self.b_q = nn.Parameter(L.zeros(vocab_size))

        def one_hot(self, X: Any) -> Any:
            return F.one_hot(X.T, self.vocab_size).type(L.get_default_dtype())  # the book's float32

        def output_layer(self, rnn_outputs: list) -> Any:
            outputs = [L.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
            return L.stack(outputs, 1)

        def forward(self, X: Any, state: Any = None) -> Any:
            embs = self.one_hot(X)
            rnn_outputs, _ = self.rnn(embs, state)
            return self.output_layer(rnn_outputs)

        def loss(self, Y_hat: Any, Y: Any) -> Any:
            Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
            Y = Y.reshape((-1,))
            return F.cross_entropy(Y_hat, Y, reduction="mean")

        def configure_optimizers(self) -> Any:
            return L.optim.SGD(self.parameters(), self.lr)

        def predict(self, prefix: str, num_preds: int, vocab: Vocab) -> str:
            state, outputs = None, [vocab[prefix[0]]]
            for i in range(len(prefix) + num_preds - 1):
                X = L.tensor([[outputs[-1]]])
                embs = self.one_hot(X)
                rnn_outputs, state = self.rnn(embs, state)
                if i < len(prefix) - 1:
                    outputs.append(vocab[prefix[i + 1]])
                else:
                    Y = self.output_layer(rnn_outputs)
                    outputs.append(int(Y.argmax(axis=2).reshape(1)))
            return "".join([vocab.idx_to_token[i] for i in outputs])

    tools = _rnn_tools(lib)
    vocab, corpus = tools.vocab, tools.corpus
    array = L.tensor([corpus[i: i + 6] for i in range(0, len(corpus) - 6, 3)])
    batches = [(array[i: i + 8, :-1], array[i: i + 8, 1:]) for i in range(0, 64, 8)]
    for name, cell in (("rnn", RNNScratch), ("gru", GRUScratch)):
        model = RNNLMScratch(cell(num_inputs=len(vocab), num_hiddens=16), vocab_size=len(vocab), lr=1)
        losses = fit(model, batches, 2, gradient_clip_val=1)
        out[name] = [losses, model.predict("it has", 10, vocab), dict(model.state_dict())]
    return out


def test_d2l_second_edition_scratch_modules() -> None:
    assert_same(*dual(_second_edition, float64=True))
