"""DataLoader(num_workers=N): worker processes as torch's (order, seeds, worker_init_fn, persistence, errors)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.utils.data import DataLoader, Dataset, TensorDataset, get_worker_info
from minitorch_cnn.vision import transforms as T


class Items(Dataset):
    """Item i is (i, the worker that made it, a draw from the worker's global generator)."""

    def __init__(self, n: int, bad: int = -1) -> None:
        self.n, self.bad = n, bad

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if i == self.bad:
            raise KeyError(f"item {i} is bad")
        info = get_worker_info()
        return float(i), (info.id if info else -1), float(mt.rand(1).item())


class TorchItems(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 10

    def __getitem__(self, i: int):
        return float(i), torch.utils.data.get_worker_info().id


def test_batches_come_in_order_from_round_robin_workers_as_torch():
    ours = [(x._data.tolist(), w._data.tolist()) for x, w, _ in DataLoader(Items(10), batch_size=3, num_workers=2)]
    theirs = [(x.tolist(), w.tolist()) for x, w in torch.utils.data.DataLoader(TorchItems(), batch_size=3,
                                                                                 num_workers=2)]
    assert ours == theirs  # batch k from worker k mod 2, in order
    assert get_worker_info() is None


def test_worker_seeds_are_base_plus_id_and_runs_reproduce():
    def init(worker_id: int) -> None:
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 3 and isinstance(info.dataset, Items)

    def run() -> list:
        mt.manual_seed(7)
        return [d._data.tolist() for _, _, d in DataLoader(Items(9), batch_size=2, num_workers=3,
                                                          worker_init_fn=init)]

    first = run()
    assert first == run() and len({v for batch in first for v in batch}) == 9  # workers draw different streams


class Seeds(Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> int:
        return get_worker_info().seed


def test_seeds_follow_torchs_rule():
    # torch: base_seed is one draw in [0, 2**63) per epoch from the loader's generator; worker i gets base_seed + i
    base = int(np.random.default_rng(3).integers(0, 2**63))
    seeds = [int(s._data[0]) for s in DataLoader(Seeds(), batch_size=1, num_workers=2, generator=3)]
    assert seeds == [base, base + 1, base, base + 1]


def test_persistent_workers_start_once_and_keep_their_streams():
    calls = []
    loader = DataLoader(Items(4), batch_size=2, num_workers=2, persistent_workers=True,
                        worker_init_fn=lambda i: calls.append(i))
    epochs = [[d._data.tolist() for _, _, d in loader] for _ in range(2)]
    pids = {p.pid for p in loader._pool.procs}
    next(iter(loader))  # an epoch abandoned after one batch...
    assert [[x._data.tolist() for x, _, _ in loader]] == [[[0.0, 1.0], [2.0, 3.0]]]  # ...leaves nothing behind
    assert {p.pid for p in loader._pool.procs} == pids and epochs[0] != epochs[1]
    loader._pool.close()


def test_a_worker_error_comes_back_with_its_traceback():
    with pytest.raises(KeyError, match="(?s)Caught KeyError in DataLoader worker process 0.*item 5 is bad"):
        list(DataLoader(Items(8, bad=5), batch_size=2, num_workers=2))
    with pytest.raises(ZeroDivisionError, match="worker process 0"):
        list(DataLoader(Items(2), num_workers=1, worker_init_fn=lambda i: 1 / 0))


class Slow(Items):
    def __getitem__(self, i: int):
        time.sleep(5)


class Dies(Items):
    def __getitem__(self, i: int):
        os._exit(3)


def test_timeouts_and_dead_workers_raise_instead_of_hanging():
    with pytest.raises(RuntimeError, match="timed out after 0.3 seconds"):
        list(DataLoader(Slow(2), num_workers=1, timeout=0.3))
    with pytest.raises(RuntimeError, match=r"exited unexpectedly with exit code 3"):
        list(DataLoader(Dies(2), num_workers=1))


@pytest.mark.parametrize("kwargs", [
    {"num_workers": 0, "prefetch_factor": 2}, {"num_workers": 0, "persistent_workers": True}, {"timeout": -1},
    {"num_workers": 1, "prefetch_factor": 0}, {"num_workers": 1, "prefetch_factor": -1},
])
def test_worker_options_rejected_as_torch(kwargs):
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(TorchItems(), **kwargs) if kwargs.get("prefetch_factor") != 0 else _torch_zero()
    with pytest.raises(ValueError, match="prefetch_factor|persistent_workers|timeout"):
        DataLoader(Items(2), **kwargs)


def _torch_zero():
    """torch accepts prefetch_factor=0 at construction and then never fetches; we refuse it up front."""
    raise ValueError("prefetch_factor=0")


def test_the_vectorised_batch_path_stays_in_the_calling_process():
    x = mt.tensor(np.random.default_rng(0).integers(0, 255, (6, 3, 8, 8)).astype(np.float32) / 255)
    ds = TensorDataset(x, mt.arange(6))
    mt.manual_seed(1)
    here = [b[0]._data for b in DataLoader(ds, batch_size=4, shuffle=True)]
    mt.manual_seed(1)
    pooled = DataLoader(ds, batch_size=4, shuffle=True, num_workers=2)
    assert all(np.array_equal(a, b[0]._data) for a, b in zip(here, pooled)) and pooled._pool is None
    assert T.Compose([T.RandomHorizontalFlip()]).batch is not None
