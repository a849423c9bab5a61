"""DistributedSampler gives torch's indices (padding, drop_last, striding, set_epoch shuffling) without torch; the
torch-generator randperm it rests on; the pieces of mt.distributed that need no MPI job."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from torch.utils.data.distributed import DistributedSampler as TorchDistributedSampler

import minitorch_cnn as mt
from minitorch_cnn.distributed import rendezvous
from minitorch_cnn.utils.data import DistributedSampler


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 97, 1000, 60000])
@pytest.mark.parametrize("seed", [0, 7, 2**32 + 5, 2**40 + 123])
def test_torch_randperm_is_reproduced(n: int, seed: int) -> None:
    expected = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    np.testing.assert_array_equal(mt.Generator().manual_seed(seed).permutation(n), expected)


@pytest.mark.parametrize("n", [1, 2, 5, 10, 11, 64, 101])
@pytest.mark.parametrize("world", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_distributed_sampler_indices_equal_torch(n: int, world: int, drop_last: bool, shuffle: bool) -> None:
    data = list(range(n))
    for rank in range(world):
        ours = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=shuffle, seed=3, drop_last=drop_last)
        theirs = TorchDistributedSampler(data, num_replicas=world, rank=rank, shuffle=shuffle, seed=3,
                                         drop_last=drop_last)
        for epoch in (0, 1, 5):
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs), (rank, epoch)
            assert len(ours) == len(theirs)


def test_distributed_sampler_in_a_dataloader_and_its_errors() -> None:
    loader = mt.utils.data.DataLoader(mt.utils.data.TensorDataset(mt.arange(10)), batch_size=2,
                                      sampler=DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[1, 3], [5, 7], [9]]
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        DistributedSampler(range(4))  # no process group in this process


def test_post_accumulate_grad_hook_sees_the_accumulated_gradient() -> None:
    w = mt.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 3).sum().backward()
    (w * w).sum().backward()
    assert seen == [[3.0, 3.0], [5.0, 7.0]]
    handle.remove()
    (w * 1).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(print)


def test_sync_batchnorm_without_a_process_group_is_batchnorm() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    sync, plain = mt.nn.SyncBatchNorm(3).double(), mt.nn.BatchNorm1d(3).double()
    for training in (True, False):
        sync.train(training)
        plain.train(training)
        np.testing.assert_array_equal(sync(mt.tensor(x)).detach().numpy(), plain(mt.tensor(x)).detach().numpy())
    with pytest.raises(ValueError, match="expected at least 2D input"):
        sync(mt.tensor([1.0, 2.0]))


def test_convert_sync_batchnorm_keeps_the_tensors() -> None:
    model = mt.nn.Sequential(mt.nn.Conv2d(1, 2, 3), mt.nn.BatchNorm2d(2), mt.nn.Sequential(mt.nn.BatchNorm1d(4)))
    model.eval()
    bn = model[1]
    converted = mt.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], mt.nn.SyncBatchNorm) and isinstance(converted[2][0], mt.nn.SyncBatchNorm)
    assert converted[1].weight is bn.weight and converted[1].running_var is bn.running_var
    assert not converted[1].training
    assert list(converted.state_dict()) == list(model.state_dict())


def test_rendezvous_hands_rank0_bytes_to_every_rank() -> None:
    """The TCP exchange the NCCL backend uses for its unique id outside mpiexec (no GPU needed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    got: dict = {}

    def rank(r: int) -> None:
        got[r] = rendezvous.share_from_rank0(b"id-bytes" if r == 0 else None, r, 3, "127.0.0.1", port, 20)

    threads = [threading.Thread(target=rank, args=(r,)) for r in (2, 1, 0)]  # the others try before rank 0 listens
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert got == {0: b"id-bytes", 1: b"id-bytes", 2: b"id-bytes"}
    with pytest.raises(mt.distributed.DistBackendError, match="could not reach rank 0"):
        rendezvous.share_from_rank0(None, 1, 2, "127.0.0.1", port, 0.3)


def test_ddp_needs_a_process_group() -> None:
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        mt.nn.parallel.DistributedDataParallel(mt.nn.Linear(2, 2))
    assert not mt.distributed.is_initialized()
