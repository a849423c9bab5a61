"""A census of public PyTorch scripts with recurrent layers, ported by one import switch: each test makes the calls
one script makes, in the way it makes them, under torch and under minitorch_cnn from the same initial weights, and
holds the results equal (float64: 1e-10 relative unless a bound says why).

Scripts: pytorch/examples mnist_rnn (an LSTM over image rows, batch_first, Adadelta + StepLR); pytorch/examples
time_sequence_prediction (two LSTMCells in double precision, LBFGS with a closure, predicting the future); the
"classifying names with a character-level RNN" tutorial (one-hot letters, its hand-rolled RNN with torch.cat and its
nn.RNN model, NLLLoss, topk); pytorch/examples word_language_model (Embedding -> LSTM/GRU/RNN -> tied Linear,
repackage_hidden, clip_grad_norm_, no_grad evaluation, perplexity). The scripts' own code is not copied; data are a
few batches of the shared MNIST, the script's own synthetic sines, a small list of names written here, and this
repository's README.md as the word corpus. Dropout is set to p=0 (the two libraries draw different masks).
"""

from __future__ import annotations

import gzip
import math
import random
import string
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _dual import Lib, assert_same, dual
from _parity import data_root


def _idx(path: Path, count: int, images: bool) -> np.ndarray:
    """The first ``count`` records of a gzipped IDX file (read only as far as needed)."""
    head, size = (16, 784) if images else (8, 1)
    with gzip.open(path, "rb") as f:
        raw = f.read(head + count * size)
    arr = np.frombuffer(raw, np.uint8, offset=head)
    return arr.reshape(count, 28, 28) if images else arr


def _write_idx(path: Path, arr: np.ndarray) -> None:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    path.write_bytes(header + arr.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The first 64 train and 32 test images of the shared MNIST, as the plain IDX files both libraries read."""
    src = data_root() / "MNIST" / "raw"
    raw = tmp_path_factory.mktemp("mnist") / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", 64), ("t10k", 32)):
        _write_idx(raw / f"{split}-images-idx3-ubyte", _idx(src / f"{split}-images-idx3-ubyte.gz", n, True))
        _write_idx(raw / f"{split}-labels-idx1-ubyte", _idx(src / f"{split}-labels-idx1-ubyte.gz", n, False))
    return str(raw.parents[1])


# --- pytorch/examples mnist_rnn: LSTM(28, 64, batch_first) over the rows, last step -> BatchNorm1d -> MLP --------


def _mnist_rnn(lib: Lib, root: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
            self.batchnorm = nn.BatchNorm1d(64)
            self.dropout1 = nn.Dropout2d(0.0)  # the script's 0.25 and 0.5: masks differ between libraries
            self.dropout2 = nn.Dropout2d(0.0)
            self.fc1 = nn.Linear(64, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, input: Any) -> Any:  # noqa: A002 - the script's name
            input = input.reshape(-1, 28, 28)  # noqa: A001
            output, hidden = self.rnn(input)
            output = output[:, -1, :]
            output = self.batchnorm(output)
            output = self.dropout1(output)
            output = self.fc1(output)
            output = F.relu(output)
            output = self.dropout2(output)
            output = self.fc2(output)
            return F.log_softmax(output, dim=1)

    L.manual_seed(1)
    tf = lib.transforms.Compose([lib.transforms.ToTensor(), lib.transforms.Normalize((0.1307,), (0.3081,))])
    train_loader = lib.data.DataLoader(lib.datasets.MNIST(root, train=True, download=False, transform=tf),
                                       batch_size=32, shuffle=True, generator=L.Generator().manual_seed(1))
    test_loader = lib.data.DataLoader(lib.datasets.MNIST(root, train=False, transform=tf), batch_size=32,
                                      shuffle=True, generator=L.Generator().manual_seed(2))
    device = L.device("cpu")
    model = lib.same_weights(Net().to(device))
    optimizer = lib.optim.Adadelta(model.parameters(), lr=0.1)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    out: dict = {"train_loss": [], "test_loss": [], "correct": [], "lr": []}
    for _epoch in range(1, 3):
        model.train()
        for data, target in train_loader:
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            out["train_loss"].append(loss.item())
        model.eval()
        test_loss, correct = 0.0, 0
        with L.no_grad():
            for data, target in test_loader:
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction="sum").item()
                pred = output.argmax(dim=1, keepdim=True)
                correct += pred.eq(target.view_as(pred)).sum().item()
        out["test_loss"].append(test_loss / len(test_loader.dataset))
        out["correct"].append(correct)
        scheduler.step()
        out["lr"].append(scheduler.get_last_lr()[0])
    out["state"] = {k: v for k, v in model.state_dict().items() if k != "batchnorm.num_batches_tracked"}
    out["batches_tracked"] = model.batchnorm.num_batches_tracked.item()
    return out


def test_mnist_rnn(mnist_root: str) -> None:
    theirs, ours = dual(_mnist_rnn, mnist_root, float64=True)
    assert_same(theirs, ours)


# --- pytorch/examples time_sequence_prediction: two LSTMCells, double, LBFGS with a closure, future steps ---------


def _sines() -> np.ndarray:
    """generate_sine_wave.py's data, cut to 8 waves of 31 points (the script's T = 20 period scale)."""
    rng = np.random.RandomState(2)
    period, length, count = 20, 31, 8
    x = np.empty((count, length), "int64")
    x[:] = np.array(range(length)) + rng.randint(-4 * period, 4 * period, count).reshape(count, 1)
    return np.sin(x / 1.0 / period).astype("float64")


def _time_sequence(lib: Lib, data: np.ndarray) -> dict:
    L, nn = lib.lib, lib.nn

    class Sequence(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm1 = nn.LSTMCell(1, 51)
            self.lstm2 = nn.LSTMCell(51, 51)
            self.linear = nn.Linear(51, 1)

        def forward(self, input: Any, future: int = 0) -> Any:  # noqa: A002 - the script's name
            outputs = []
            h_t = L.zeros(input.size(0), 51, dtype=L.double)
            c_t = L.zeros(input.size(0), 51, dtype=L.double)
            h_t2 = L.zeros(input.size(0), 51, dtype=L.double)
            c_t2 = L.zeros(input.size(0), 51, dtype=L.double)
            for input_t in input.split(1, dim=1):
                h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            for _ in range(future):
                h_t, c_t = self.lstm1(output, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            return L.cat(outputs, dim=1)

    L.manual_seed(0)
    input, target = L.from_numpy(data[3:, :-1]), L.from_numpy(data[3:, 1:])  # noqa: A001
    test_input, test_target = L.from_numpy(data[:3, :-1]), L.from_numpy(data[:3, 1:])
    seq = Sequence()
    seq.double()
    lib.same_weights(seq)
    criterion = nn.MSELoss()
    optimizer = lib.optim.LBFGS(seq.parameters(), lr=0.8, max_iter=4)
    out: dict = {"losses": [], "test_loss": [], "pred": []}
    for _ in range(2):
        def closure() -> Any:
            optimizer.zero_grad()
            loss = criterion(seq(input), target)
            out["losses"].append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with L.no_grad():
            future = 10
            pred = seq(test_input, future=future)
            out["test_loss"].append(criterion(pred[:, :-future], test_target).item())
            out["pred"].append(pred.detach().numpy())
    out["shape"] = tuple(out["pred"][-1].shape)
    out["state"] = seq.state_dict()
    return out


def test_time_sequence_prediction() -> None:
    theirs, ours = dual(_time_sequence, _sines())
    assert theirs["shape"] == (3, 40)
    assert_same(theirs, ours)


# --- the char-RNN name classification tutorial: one-hot letters, hand-rolled RNN and nn.RNN, NLLLoss, topk ---------

ALL_LETTERS = string.ascii_letters + " .,;'"
NAMES = {
    "English": ["Smith", "Johnson", "Williams", "Brown", "Taylor"],
    "French": ["Abadie", "Beaulieu", "Lefèvre", "Moreau", "Rousseau"],
    "Japanese": ["Abe", "Fujita", "Hayashi", "Inoue", "Nakamura"],
    "Polish": ["Adamczak", "Nowak", "Kowalski", "Wójcik", "Zieliński"],
}


def _unicode_to_ascii(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn" and c in ALL_LETTERS)


def _char_rnn(lib: Lib) -> dict:
    L, nn = lib.lib, lib.nn
    n_letters = len(ALL_LETTERS)
    category_lines = {k: [_unicode_to_ascii(n) for n in v] for k, v in NAMES.items()}
    all_categories = list(category_lines)
    n_categories = len(all_categories)

    def line_to_tensor(line: str) -> Any:
        tensor = L.zeros(len(line), 1, n_letters)
        for li, letter in enumerate(line):
            tensor[li][0][ALL_LETTERS.find(letter)] = 1
        return tensor

    class RNN(nn.Module):
        def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
            super().__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
            self.i2o = nn.Linear(input_size + hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, input: Any, hidden: Any) -> tuple:  # noqa: A002 - the tutorial's name
            combined = L.cat((input, hidden), 1)
            hidden = self.i2h(combined)
            return self.softmax(self.i2o(combined)), hidden

        def initHidden(self) -> Any:  # noqa: N802 - the tutorial's name
            return L.zeros(1, self.hidden_size)

    class CharRNN(nn.Module):
        def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
            super().__init__()
            self.rnn = nn.RNN(input_size, hidden_size)
            self.h2o = nn.Linear(hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, line_tensor: Any) -> Any:
            rnn_out, hidden = self.rnn(line_tensor)
            return self.softmax(self.h2o(hidden[0]))

    def category_from_output(output: Any) -> tuple:
        top_n, top_i = output.topk(1)
        category_i = top_i[0].item()
        return all_categories[category_i], category_i

    L.manual_seed(0)
    out: dict = {"shape": tuple(line_to_tensor("Jones").size()), "lines": [], "guesses": [], "losses": []}
    rnn = lib.same_weights(RNN(n_letters, 16, n_categories))
    criterion = nn.NLLLoss()
    rng = random.Random(1)
    for _ in range(12):
        category = rng.choice(all_categories)
        line = rng.choice(category_lines[category])
        category_tensor = L.tensor([all_categories.index(category)], dtype=L.long)
        line_tensor = line_to_tensor(line)
        hidden = rnn.initHidden()
        rnn.zero_grad()
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        loss = criterion(output, category_tensor)
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-0.005)
        out["lines"].append(line)
        out["guesses"].append(category_from_output(output))
        out["losses"].append(loss.item())
    char_rnn = lib.same_weights(CharRNN(n_letters, 16, n_categories))
    optimizer = L.optim.SGD(char_rnn.parameters(), lr=0.15)
    pairs = [(L.tensor([all_categories.index(c)], dtype=L.long), line_to_tensor(n))
             for c in all_categories for n in category_lines[c]]
    out["epoch_loss"] = []
    for _ in range(2):
        char_rnn.train()
        total = 0.0
        for label, text in pairs:
            loss = criterion(char_rnn(text), label)
            loss.backward()
            nn.utils.clip_grad_norm_(char_rnn.parameters(), 3)
            optimizer.step()
            optimizer.zero_grad()
            total += loss.item()
        out["epoch_loss"].append(total / len(pairs))
    confusion = L.zeros(n_categories, n_categories)
    char_rnn.eval()
    with L.no_grad():
        for label, text in pairs:
            guess, guess_i = category_from_output(char_rnn(text))
            confusion[label.item()][guess_i] += 1
    for i in range(n_categories):
        confusion[i] = confusion[i] / L.sum(confusion[i])
    out["confusion"] = confusion
    out["state"] = char_rnn.state_dict()
    return out


def test_char_rnn_name_classification() -> None:
    theirs, ours = dual(_char_rnn, float64=True)
    assert theirs["shape"] == (5, 1, len(ALL_LETTERS))
    assert_same(theirs, ours)


# --- pytorch/examples word_language_model: Embedding -> RNN -> tied Linear, truncated BPTT, perplexity -------------


def _corpus_lines() -> list[str]:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    return [line for line in readme.read_text(encoding="utf8").splitlines() if line.strip()][:60]


def _word_language_model(lib: Lib, lines: list[str], rnn_type: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F

    class Dictionary:
        def __init__(self) -> None:
            self.word2idx: dict = {}
            self.idx2word: list = []

        def add_word(self, word: str) -> int:
            if word not in self.word2idx:
                self.idx2word.append(word)
                self.word2idx[word] = len(self.idx2word) - 1
            return self.word2idx[word]

        def __len__(self) -> int:
            return len(self.idx2word)

    dictionary = Dictionary()

    def tokenize(part: list[str]) -> Any:
        idss = [L.tensor([dictionary.add_word(w) for w in line.split() + ["<eos>"]]).type(L.int64) for line in part]
        return L.cat(idss)

    class RNNModel(nn.Module):
        def __init__(self, rnn_type: str, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float = 0.5,
                     tie_weights: bool = False) -> None:
            super().__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            if rnn_type in ["LSTM", "GRU"]:
                self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
            else:
                nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
                self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie_weights:
                self.decoder.weight = self.encoder.weight
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)
            self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

        def forward(self, input: Any, hidden: Any) -> tuple:  # noqa: A002 - the script's name
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz: int) -> Any:
            weight = next(self.parameters())
            if self.rnn_type == "LSTM":
                return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    def batchify(data: Any, bsz: int) -> Any:
        nbatch = data.size(0) // bsz
        return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()

    def repackage_hidden(h: Any) -> Any:
        return h.detach() if isinstance(h, L.Tensor) else tuple(repackage_hidden(v) for v in h)

    bptt, clip, lr = 8, 0.25, 20.0

    def get_batch(source: Any, i: int) -> tuple:
        seq_len = min(bptt, len(source) - 1 - i)
        return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)

    L.manual_seed(1111)
    n = len(lines)
    train_data = batchify(tokenize(lines[: n * 3 // 5]), 8)
    val_data = batchify(tokenize(lines[n * 3 // 5:]), 4)
    ntokens = len(dictionary)
    model = lib.same_weights(RNNModel(rnn_type, ntokens, 16, 16, 2, dropout=0.0, tie_weights=True))
    criterion = nn.NLLLoss()
    out: dict = {"ntokens": ntokens, "train_ppl": [], "val_ppl": [],
                 "tied": model.decoder.weight is model.encoder.weight}

    def evaluate(data_source: Any) -> float:
        model.eval()
        total_loss = 0.0
        hidden = model.init_hidden(4)
        with L.no_grad():
            for i in range(0, min(data_source.size(0) - 1, 4 * bptt), bptt):
                data, targets = get_batch(data_source, i)
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(data) * criterion(output, targets).item()
        return total_loss / min(len(data_source) - 1, 4 * bptt)

    for _epoch in range(2):
        model.train()
        hidden = model.init_hidden(8)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            if batch == 3:
                break
            data, targets = get_batch(train_data, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            L.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            out["train_ppl"].append(math.exp(loss.item()))
        out["val_ppl"].append(math.exp(evaluate(val_data)))
    out["state"] = model.state_dict()
    return out


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH"])
def test_word_language_model(rnn_type: str) -> None:
    theirs, ours = dual(_word_language_model, _corpus_lines(), rnn_type, float64=True)
    assert theirs["tied"] and ours["tied"]
    assert_same(theirs, ours)
