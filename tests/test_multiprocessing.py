"""mt.multiprocessing against torch.multiprocessing: the re-exported names, Tensor.share_memory_/is_shared and
Module.share_memory (a forked child's writes seen by the parent, an unshared tensor's not), spawn's error
reporting; and pytorch/examples' mnist_hogwild run with the fork start method, side by side with torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.multiprocessing as tmp

import minitorch_cnn as mt
from tests import _mp_workers
from tests._parity import assert_close

FORK = mt.multiprocessing.get_context("fork")
RNG = np.random.default_rng(23)


def _run_forked(target: object, *args: object) -> None:
    p = FORK.Process(target=target, args=args)
    p.start()
    p.join(timeout=120)
    assert p.exitcode == 0, f"child ended with {p.exitcode}"


def test_torch_names_are_there() -> None:
    for name in tmp.__all__:
        assert hasattr(mt.multiprocessing, name), name
    assert mt.multiprocessing.get_all_start_methods() == tmp.get_all_start_methods()
    assert mt.multiprocessing.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    assert mt.multiprocessing.get_sharing_strategy() == tmp.get_sharing_strategy()
    mt.multiprocessing.set_sharing_strategy("file_system")
    assert mt.multiprocessing.get_sharing_strategy() == "file_system"
    mt.multiprocessing.set_sharing_strategy("file_descriptor")
    with pytest.raises(AssertionError):
        mt.multiprocessing.set_sharing_strategy("bogus")


def _fill(t: mt.Tensor, value: float) -> None:
    t.fill_(value)


def test_share_memory_a_forked_child_writes_the_parent_sees() -> None:
    values = RNG.standard_normal((3, 4))
    t, tt = mt.tensor(values), torch.tensor(values)
    assert t.is_shared() == tt.is_shared() is False
    assert t.share_memory_() is t and tt.share_memory_() is tt
    assert t.is_shared() == tt.is_shared() is True
    assert t[1:].is_shared() == tt[1:].is_shared() is True
    np.testing.assert_array_equal(t.numpy(), values)
    _run_forked(_fill, t, 7.0)
    assert (t.numpy() == 7.0).all()
    private = mt.tensor(values)
    _run_forked(_fill, private, 7.0)
    np.testing.assert_array_equal(private.numpy(), values)  # a copy-on-write page of the child, not ours


def _sgd_steps(model: mt.nn.Module, batches: list) -> None:
    opt = mt.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    for x, y in batches:
        opt.zero_grad()
        mt.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


def test_module_share_memory_keeps_parameters_and_shares_them() -> None:
    model = mt.nn.Sequential(mt.nn.Linear(4, 6), mt.nn.BatchNorm1d(6), mt.nn.Linear(6, 3)).double()
    before = [id(p) for p in model.parameters()]
    values = [p.detach().numpy().copy() for p in model.parameters()]
    assert model.share_memory() is model
    assert [id(p) for p in model.parameters()] == before
    assert all(p.is_shared() for p in model.parameters()) and all(b.is_shared() for b in model.buffers())
    for p, v in zip(model.parameters(), values):
        np.testing.assert_array_equal(p.detach().numpy(), v)
    batches = [(mt.tensor(RNG.standard_normal((8, 4))), mt.tensor(RNG.integers(0, 3, 8))) for _ in range(3)]
    twin = mt.nn.Sequential(mt.nn.Linear(4, 6), mt.nn.BatchNorm1d(6), mt.nn.Linear(6, 3)).double()
    twin.load_state_dict(model.state_dict())
    _run_forked(_sgd_steps, model, batches)
    _sgd_steps(twin, batches)  # the same steps in this process: what the child must have left in shared memory
    for (k, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def _fails(i: int, message: str) -> None:
    if i == 1:
        raise ValueError(message)


def _exits(i: int) -> None:
    raise SystemExit(3)


def test_start_processes_reports_a_child_error_as_torch() -> None:
    with pytest.raises(mt.multiprocessing.ProcessRaisedException,
                       match=r"-- Process 1 terminated with the following error:\n(.|\n)*ValueError: boom"):
        mt.multiprocessing.start_processes(_fails, args=("boom",), nprocs=2, start_method="fork")
    with pytest.raises(mt.multiprocessing.ProcessExitedException, match="process 0 terminated with exit code 3"):
        mt.multiprocessing.start_processes(_exits, nprocs=1, start_method="fork")
    ctx = mt.multiprocessing.start_processes(_fails, args=("x",), nprocs=1, join=False, start_method="fork")
    assert len(ctx.pids()) == 1
    while not ctx.join():
        pass
    with pytest.warns(FutureWarning, match="This method only supports start_method=spawn"):  # torch's warning
        assert mt.multiprocessing.spawn(_fails, nprocs=0, start_method="fork", join=False).pids() == []


# ---- pytorch/examples mnist_hogwild, written once for either library -----------------------------------------

def _net(lib: object, p: float) -> object:
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d(p)
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x: object) -> object:
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, p=p, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    return Net().double()


def _train(rank: int, lib: object, model: object, dataset: object, seed: int, done: object) -> None:
    """mnist_hogwild's train(): seeded per rank, its own loader and optimizer, the shared model updated."""
    if lib is torch:
        torch.set_num_threads(1)  # a forked child must not enter the parent's OpenMP pool
    lib.manual_seed(seed + rank)
    loader = lib.utils.data.DataLoader(dataset, batch_size=16, shuffle=False)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    model.train()
    steps = 0
    for data, target in loader:
        optimizer.zero_grad()
        loss = lib.nn.functional.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        steps += 1
    done.put((rank, steps))


def _hogwild(lib: object, model: object, dataset: object, num_processes: int) -> list:
    mp = mt.multiprocessing if lib is mt else tmp
    ctx = mp.get_context("fork")
    done = ctx.Queue()
    model.share_memory()
    processes = []
    for rank in range(num_processes):
        p = ctx.Process(target=_train, args=(rank, lib, model, dataset, 1, done))
        p.start()
        processes.append(p)
    for p in processes:
        p.join(timeout=120)
        assert p.exitcode == 0, f"worker ended with {p.exitcode}"
    return sorted(done.get(timeout=5) for _ in processes)


def _data(lib: object, images: np.ndarray, labels: np.ndarray) -> object:
    return lib.utils.data.TensorDataset(lib.tensor(images), lib.tensor(labels))


def test_mnist_hogwild_one_worker_matches_torch() -> None:
    """Dropout off, one worker: the two runs are deterministic, so the weights the parent sees must agree."""
    images, labels = RNG.standard_normal((48, 1, 28, 28)), RNG.integers(0, 10, 48)
    theirs = _net(torch, 0.0)
    ours = _net(mt, 0.0)
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert _hogwild(torch, theirs, _data(torch, images, labels), 1) == [(0, 3)]
    assert _hogwild(mt, ours, _data(mt, images, labels), 1) == [(0, 3)]
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert_close(a, b, np.float64, what=k)


def test_mnist_hogwild_two_workers_train_the_shared_model() -> None:
    images, labels = RNG.standard_normal((64, 1, 28, 28)), RNG.integers(0, 10, 64)
    model = _net(mt, 0.5)
    model.eval()
    x, y = mt.tensor(images), mt.tensor(labels)
    before = mt.nn.functional.nll_loss(model(x), y).item()
    start = [p.detach().numpy().copy() for p in model.parameters()]
    assert _hogwild(mt, model, _data(mt, images, labels), 2) == [(0, 4), (1, 4)]
    model.eval()
    assert mt.nn.functional.nll_loss(model(x), y).item() < before
    assert all(not np.array_equal(p.detach().numpy(), s) for p, s in zip(model.parameters(), start))


def test_queues_pass_shared_tensors_by_descriptor() -> None:
    t = mt.zeros(3, 4, dtype=mt.float64).share_memory_()
    private = mt.zeros(2, dtype=mt.float64)  # not shared: pickled by value, the child writes its own copy
    queue = FORK.Queue()
    p = FORK.Process(target=_mp_workers.fill_from_queue, args=(queue, 5.0, 3))
    p.start()
    queue.put(t[1:, 2:])  # a view: its offset in the segment travels with the descriptor
    queue.put(t[0])
    queue.put(private)
    p.join(timeout=120)
    assert p.exitcode == 0
    want = np.zeros((3, 4))
    want[1:, 2:] = want[0] = 5.0
    np.testing.assert_array_equal(t.numpy(), want)
    assert (private.numpy() == 0).all()


def test_hogwild_with_the_spawn_method() -> None:
    """The spawned worker gets the shared parameters by descriptor (through its arguments), so the parent sees
    its training."""
    model = _mp_workers.Net().share_memory()
    data, target = mt.randn(32, 8), mt.randint(0, 3, (32,))
    before = mt.nn.functional.nll_loss(model(data), target).item()
    start = [p.detach().numpy().copy() for p in model.parameters()]
    mt.multiprocessing.spawn(_mp_workers.train, args=(model, data, target, 5), nprocs=1)
    assert mt.nn.functional.nll_loss(model(data), target).item() < before
    assert all(not np.array_equal(p.detach().numpy(), s) for p, s in zip(model.parameters(), start))
