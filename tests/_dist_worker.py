"""One rank of a distributed test, started by ``mpiexec -n N python tests/_dist_worker.py MODE SPEC OUT``.

Modes: ``train`` (DDP steps from a spec file, final state written per rank), ``syncbn`` (SyncBatchNorm forward
and backward on this rank's slice), ``collectives`` (the collectives' results and errors, asserted here),
``unused`` (find_unused_parameters), ``threads``, ``nccl``, and the failures ``fail``, ``late``, ``absent``,
``mismatch``.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import minitorch_cnn as mt
import minitorch_cnn.distributed as dist
from minitorch_cnn.nn.parallel import DistributedDataParallel as DDP


def report(line: str) -> None:
    """Print ``line`` and write it to this rank's own file in ``$DIST_REPORTS`` (when set): the ranks share one
    stdout pipe, and under load mpiexec may forward their lines cut into one another."""
    print(line, flush=True)
    folder = os.environ.get("DIST_REPORTS")
    if folder:
        with open(os.path.join(folder, f"rank{os.environ.get('PMI_RANK', os.environ.get('RANK', '0'))}"), "a") as f:
            f.write(line + "\n")


def build_model() -> mt.nn.Module:
    """The test CNN: (B, 3, 8, 8) -> (B, 5); its torch twin is ``_torch_ddp_worker.build_model``."""
    nn = mt.nn
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64, 5)).double()


def make_optimizer(name: str, params: list) -> mt.optim.Optimizer:
    if name == "sgd":
        return mt.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-3)
    return mt.optim.Adam(params, lr=1e-2)


def load_initial(model: mt.nn.Module, init: dict, rank: int) -> None:
    """Rank 0 gets the spec's state; the others a perturbed one, which DDP must overwrite with rank 0's."""
    model.load_state_dict({k: mt.tensor(v + rank) for k, v in init.items()})


def run_steps(model: mt.nn.Module, opt: mt.optim.Optimizer, xs: np.ndarray, ys: np.ndarray, nosync: set) -> None:
    """One optimizer step per row of xs (micro-batches, B, 3, 8, 8); a step in ``nosync`` accumulates its first
    micro-batch under ``no_sync()`` and reduces at its second."""
    for step in range(xs.shape[0]):
        if step in nosync:
            with model.no_sync():
                mt.nn.functional.cross_entropy(model(mt.tensor(xs[step, 0])), mt.tensor(ys[step, 0])).backward()
            mt.nn.functional.cross_entropy(model(mt.tensor(xs[step, 1])), mt.tensor(ys[step, 1])).backward()
        else:
            mt.nn.functional.cross_entropy(model(mt.tensor(xs[step, 0])), mt.tensor(ys[step, 0])).backward()
        opt.step()
        opt.zero_grad()


def train(spec_path: str, out: str) -> None:
    """For each optimizer of the spec: a fresh model, DDP, the steps; rank r writes out/rank{r}_{optimizer}.npz."""
    spec = dict(np.load(spec_path, allow_pickle=True))
    dist.init_process_group("mpi", timeout=60)
    rank = dist.get_rank()
    for name in spec["optimizers"].tolist():
        model = build_model()
        load_initial(model, spec["init"].item(), rank)
        ddp = DDP(model, bucket_cap_mb=float(spec["bucket_cap_mb"]))
        opt = make_optimizer(name, list(ddp.parameters()))
        run_steps(ddp, opt, spec["x"][:, rank], spec["y"][:, rank], set(spec["nosync"].tolist()))
        np.savez(f"{out}/rank{rank}_{name}.npz", **{k: v.numpy() for k, v in model.state_dict().items()})


def syncbn(spec_path: str, out: str) -> None:
    spec = dict(np.load(spec_path, allow_pickle=True))
    dist.init_process_group("mpi", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    model = mt.nn.SyncBatchNorm.convert_sync_batchnorm(mt.nn.Sequential(mt.nn.BatchNorm2d(3).double()))
    model[0].weight._data[...] = spec["weight"]
    model[0].bias._data[...] = spec["bias"]
    rows = np.array_split(np.arange(spec["x"].shape[0]), world)[rank]
    x = mt.tensor(spec["x"][rows], requires_grad=True)
    y = model(x)
    y.backward(mt.tensor(spec["g"][rows]))
    np.savez(f"{out}/rank{rank}.npz", y=y.detach().numpy(), dx=x.grad.numpy(), dw=model[0].weight.grad.numpy(),
             db=model[0].bias.grad.numpy(), running_mean=model[0].running_mean.numpy(),
             running_var=model[0].running_var.numpy())


def expect_error(kind: type, words: str, fn, *args, **kwargs) -> None:  # noqa: ANN001
    try:
        fn(*args, **kwargs)
    except kind as e:
        assert words in str(e), f"{fn.__name__}: {e!r} does not say {words!r}"
        return
    raise AssertionError(f"{fn.__name__}{args} raised nothing, expected {kind.__name__}")


def collectives() -> None:
    expect_error(ValueError, "has not been initialized", dist.get_rank)
    dist.init_process_group("mpi", timeout=60)
    expect_error(RuntimeError, "twice", dist.init_process_group, "mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    t = mt.tensor(np.arange(6.0).reshape(2, 3) * (rank + 1))
    dist.all_reduce(t)
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0).reshape(2, 3) * sum(range(1, world + 1)))
    for op, fold in ((dist.ReduceOp.MAX, max), (dist.ReduceOp.MIN, min), (dist.ReduceOp.PRODUCT, np.prod)):
        v = mt.tensor([float(rank + 2)])
        dist.all_reduce(v, op)
        assert v.item() == fold([r + 2.0 for r in range(world)]), (op, v.item())
    strided = mt.tensor(np.arange(12.0).reshape(3, 4)).transpose(0, 1)  # not contiguous: staged and copied back
    dist.all_reduce(strided)
    np.testing.assert_array_equal(strided.numpy(), np.arange(12.0).reshape(3, 4).T * world)
    work = dist.all_reduce(mt.tensor([1]), async_op=True)
    assert work.wait()
    expect_error(ValueError, "ReduceOp.AVG is not supported", dist.all_reduce, mt.tensor([1.0]), dist.ReduceOp.AVG)
    expect_error(TypeError, "expects a Tensor", dist.all_reduce, np.ones(2))
    b = mt.tensor(np.full(4, float(rank)))
    dist.broadcast(b, world - 1)
    np.testing.assert_array_equal(b.numpy(), np.full(4, world - 1.0))
    expect_error(ValueError, "out of range", dist.broadcast, b, world)
    outs = [mt.zeros(2, dtype=mt.int64) for _ in range(world)]
    dist.all_gather(outs, mt.tensor([rank, 10 * rank]))
    assert [o.tolist() for o in outs] == [[r, 10 * r] for r in range(world)]
    expect_error(ValueError, "must hold world_size", dist.all_gather, outs[:-1], mt.tensor([0, 0]))
    objs = [{"from": rank}, [rank] * 3] if rank == 0 else [None, None]
    dist.broadcast_object_list(objs, src=0)
    assert objs == [{"from": 0}, [0, 0, 0]]
    gathered = [None] * world
    dist.all_gather_object(gathered, ("rank", rank, "x" * (100 * rank)))
    assert gathered == [("rank", r, "x" * (100 * r)) for r in range(world)]
    dist.barrier()
    dist.destroy_process_group()
    assert not dist.is_initialized()
    report("collectives OK")


def unused() -> None:
    """A parameter the loss does not use: without find_unused_parameters the next forward says so; with it the
    used gradients are averaged and the unused one stays None."""
    dist.init_process_group("mpi", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()

    class TwoHeads(mt.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used, self.spare = mt.nn.Linear(3, 2).double(), mt.nn.Linear(3, 2).double()

        def forward(self, x: mt.Tensor) -> mt.Tensor:
            return self.used(x)

    x = mt.tensor(np.full((4, 3), rank + 1.0))
    strict = DDP(TwoHeads())
    strict(x).sum().backward()
    expect_error(RuntimeError, "spare.weight", strict, x)
    model = TwoHeads()
    ddp = DDP(model, find_unused_parameters=True)
    ddp(x).sum().backward()
    assert model.spare.weight.grad is None
    mean_x = np.mean([r + 1.0 for r in range(world)])
    np.testing.assert_allclose(model.used.weight.grad.numpy(), np.full((2, 3), 4 * mean_x), rtol=1e-15)
    report("unused OK")


def nccl() -> None:
    """The NCCL backend on one GPU (rank and world size from RANK/WORLD_SIZE, the id over MASTER_ADDR/PORT)."""
    dist.init_process_group("nccl", timeout=60)
    assert dist.get_backend() == "nccl" and dist.get_world_size() == 1
    t = mt.tensor([1.0, 2.0], device="cuda")
    dist.all_reduce(t)
    dist.broadcast(t, 0)
    outs = [mt.zeros(2, device="cuda")]
    dist.all_gather(outs, t)
    assert t.tolist() == outs[0].tolist() == [1.0, 2.0]
    expect_error(ValueError, "communicates CUDA tensors", dist.all_reduce, mt.tensor([1.0]))
    objs = [{"a": 1}]
    dist.broadcast_object_list(objs)
    gathered = [None]
    dist.all_gather_object(gathered, "x")
    assert objs == [{"a": 1}] and gathered == ["x"]
    x, y = mt.tensor(np.ones((2, 3, 8, 8)), device="cuda"), mt.tensor([1, 2], device="cuda")
    alone, model = build_model().to("cuda"), build_model().to("cuda")
    model.load_state_dict(alone.state_dict())
    mt.nn.functional.cross_entropy(alone(x), y).backward()
    mt.nn.functional.cross_entropy(DDP(model)(x), y).backward()
    for a, b in zip(alone.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.grad.cpu().numpy(), b.grad.cpu().numpy())
    dist.destroy_process_group()
    report("nccl OK")


def threads() -> None:
    """Print the package's and Numba's thread counts this rank runs with after init_process_group."""
    dist.init_process_group("mpi", timeout=60)
    import numba

    report(f"threads {mt.get_num_threads()} {numba.get_num_threads()}")


def fail() -> None:
    dist.init_process_group("mpi", timeout=60)
    if dist.get_rank() == 1:
        raise ValueError("rank 1 fails on purpose")
    dist.all_reduce(mt.tensor([1.0]))


def late() -> None:
    dist.init_process_group("mpi", timeout=2)
    if dist.get_rank() == 1:
        time.sleep(60)
    dist.all_reduce(mt.tensor([1.0]))


def absent() -> None:
    """Rank 1 never reaches init_process_group (MPI_Init waits for every rank, without a timeout of its own)."""
    if int(os.environ["PMI_RANK"]) == 1:
        time.sleep(60)
    dist.init_process_group("mpi", timeout=2)


def mismatch() -> None:
    dist.init_process_group("mpi", timeout=60)
    DDP(mt.nn.Linear(4, 2 + dist.get_rank()).double())


if __name__ == "__main__":
    MODES = {"train": train, "syncbn": syncbn, "collectives": collectives, "unused": unused, "nccl": nccl,
             "threads": threads, "fail": fail, "late": late, "absent": absent,
             "mismatch": mismatch}
    MODES[sys.argv[1]](*sys.argv[2:])
