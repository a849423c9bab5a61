"""mt.distributed, DistributedDataParallel and SyncBatchNorm over MPI: ranks are ``mpiexec`` subprocesses running
``_dist_worker.py``; the references are a single-process twin (ours), torch's DDP over gloo on 2 local processes
(``_torch_ddp_worker.py``) and BatchNorm on the whole batch. Every subprocess has a timeout, so nothing hangs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from _parity import assert_close

pytest.importorskip("mpi4py", reason="the distributed tests need mpi4py and mpich: pip install -e '.[dist]'")
if shutil.which("mpiexec") is None:
    pytest.skip("the distributed tests need mpiexec (pip install mpich)", allow_module_level=True)

from _dist_worker import build_model, load_initial, make_optimizer  # noqa: E402

import minitorch_cnn as mt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _env(threads: str | None = "1", **extra: str) -> dict:
    """This environment with the tree on PYTHONPATH and ``threads`` per process (None: no thread variables)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]), **extra)
    for var in THREAD_VARIABLES:
        env.pop(var, None)
        if threads is not None:
            env[var] = threads
    return env


def mpirun(n: int, *args: str, timeout: float = 90, threads: str | None = "1") -> tuple[subprocess.CompletedProcess,
                                                                                        float]:
    """Run ``_dist_worker.py args`` on ``n`` ranks; (the finished process, seconds it took). The ranks' reports
    (``_dist_worker.report``) are in ``done.reports``, one list of lines per rank that reported, in rank order."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(["mpiexec", "-n", str(n), sys.executable, str(TESTS / "_dist_worker.py"), *args],
                              capture_output=True, text=True, timeout=timeout,
                              env=_env(threads, DIST_REPORTS=folder))
        done.reports = [(Path(folder) / name).read_text().splitlines() for name in sorted(os.listdir(folder))]
    return done, time.monotonic() - start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torch_ddp(world: int, spec: Path, out: Path) -> list[subprocess.Popen]:
    """Start torch's DDP over gloo on ``world`` local processes (wait on them with ``finish``)."""
    port = str(_free_port())
    return [subprocess.Popen([sys.executable, str(TESTS / "_torch_ddp_worker.py"), str(spec), str(out)],
                             env=_env(RANK=str(r), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=port),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(world)]


def finish(procs: list[subprocess.Popen], timeout: float = 90) -> None:
    try:
        for p in procs:
            _, err = p.communicate(timeout=timeout)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def make_spec(path: Path, world: int, optimizers: list[str], steps: int = 4) -> dict:
    """Initial state (torch's default init, seed 0), each rank's shards: x (steps, world, 2 micro-batches, 3, 3,
    8, 8), labels; step 1 accumulates under no_sync. A tiny bucket cap makes several buckets."""
    torch = pytest.importorskip("torch")
    from _torch_ddp_worker import build_model as torch_model

    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    spec = {
        "init": {k: v.numpy().copy() for k, v in torch_model().state_dict().items()},
        "x": rng.standard_normal((steps, world, 2, 3, 3, 8, 8)),
        "y": rng.integers(0, 5, (steps, world, 2, 3)),
        "nosync": np.array([1]), "optimizers": np.array(optimizers), "bucket_cap_mb": 0.001,
    }
    np.savez(path, **{k: np.array(v, dtype=object) if k == "init" else v for k, v in spec.items()})
    return spec


def twin(spec: dict, world: int, optimizer: str) -> dict:
    """One process doing what the ranks do together: each rank's gradients from its shards (its buffers starting
    from rank 0's, as DDP broadcasts them), then Σ_r grad_r · (1/world) in rank order, one optimizer step; the
    buffers kept are rank 0's."""
    model = build_model()
    load_initial(model, spec["init"], 0)
    opt = make_optimizer(optimizer, list(model.parameters()))
    params, buffers = list(model.parameters()), list(model.buffers())
    F = mt.nn.functional
    for step in range(spec["x"].shape[0]):
        start = [b._data.copy() for b in buffers]
        grads = {}
        for r in [*range(1, world), 0]:  # rank 0 last: its buffers are the ones that stay
            for b, s in zip(buffers, start):
                b._data[...] = s
            opt.zero_grad()
            for k in range(2 if step in spec["nosync"] else 1):
                F.cross_entropy(model(mt.tensor(spec["x"][step, r, k])), mt.tensor(spec["y"][step, r, k])).backward()
            grads[r] = [p.grad._data.copy() for p in params]
        for i, p in enumerate(params):
            scale = np.float64(1.0 / world)
            total = grads[0][i] * scale
            for r in range(1, world):
                total = total + grads[r][i] * scale
            p.grad._data[...] = total
        opt.step()
        opt.zero_grad()
    return {k: v.numpy() for k, v in model.state_dict().items()}


def _load(out: Path, world: int, optimizer: str = "") -> list[dict]:
    return [dict(np.load(out / f"rank{r}{optimizer and '_' + optimizer}.npz")) for r in range(world)]


def test_ddp_two_ranks_equal_torch_ddp_and_the_single_process_twin(tmp_path: Path) -> None:
    """SGD (momentum, weight decay) and Adam, 4 steps, one of them accumulating under no_sync, several buckets;
    rank 1 starts from other weights and buffers (DDP replaces them with rank 0's)."""
    spec = make_spec(tmp_path / "spec.npz", 2, ["sgd", "adam"])
    (tmp_path / "ours").mkdir()
    (tmp_path / "torch").mkdir()
    theirs = torch_ddp(2, tmp_path / "spec.npz", tmp_path / "torch")
    done, _ = mpirun(2, "train", str(tmp_path / "spec.npz"), str(tmp_path / "ours"))
    finish(theirs)
    assert done.returncode == 0, done.stderr
    names = [n for n, _ in build_model().named_parameters()]
    for optimizer in ["sgd", "adam"]:
        ours, ref = _load(tmp_path / "ours", 2, optimizer), _load(tmp_path / "torch", 2, optimizer)
        alone = twin(spec, 2, optimizer)
        assert sorted(ours[0]) == sorted(ref[0]) == sorted(alone)
        for k in ours[0]:
            if k in names:  # parameters agree on every rank, to the bit
                np.testing.assert_array_equal(ours[1][k], ours[0][k], err_msg=k)
            np.testing.assert_array_equal(ours[0][k], alone[k], err_msg=f"{optimizer} {k}: 2 ranks vs the twin")
            for r in range(2):  # buffers too: rank 1's are its own since the last broadcast, in torch as here
                assert_close(ours[r][k], ref[r][k], np.float64, what=f"{optimizer} rank {r} {k} vs torch DDP")
        assert not np.array_equal(ours[0]["0.weight"], spec["init"]["0.weight"])  # it trained


def test_ddp_three_ranks_agree_with_the_twin(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "spec.npz", 3, ["adam"], steps=3)
    done, _ = mpirun(3, "train", str(tmp_path / "spec.npz"), str(tmp_path))
    assert done.returncode == 0, done.stderr
    ours, alone = _load(tmp_path, 3, "adam"), twin(spec, 3, "adam")
    for k in alone:  # the 3-way sum's order is MPI's: equal to rounding, and identical on every rank
        if not k.endswith(("running_mean", "running_var", "num_batches_tracked")):
            np.testing.assert_array_equal(ours[1][k], ours[0][k], err_msg=k)
            np.testing.assert_array_equal(ours[2][k], ours[0][k], err_msg=k)
        assert_close(ours[0][k], alone[k], np.float64, tol=1e-12, what=k)


def test_sync_batchnorm_equals_batchnorm_on_the_whole_batch(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((7, 3, 4, 5)) * 3 + 1, rng.standard_normal((7, 3, 4, 5))
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    np.savez(tmp_path / "spec.npz", x=x, g=g, weight=weight, bias=bias)
    done, _ = mpirun(3, "syncbn", str(tmp_path / "spec.npz"), str(tmp_path))  # 3, 2 and 2 samples
    assert done.returncode == 0, done.stderr
    ranks = _load(tmp_path, 3)
    bn = mt.nn.BatchNorm2d(3).double()
    bn.weight._data[...], bn.bias._data[...] = weight, bias
    xt = mt.tensor(x, requires_grad=True)
    y = bn(xt)
    y.backward(mt.tensor(g))
    rows = np.array_split(np.arange(7), 3)
    for r, out in enumerate(ranks):
        assert_close(out["y"], y.detach().numpy()[rows[r]], np.float64, what=f"rank {r} output")
        assert_close(out["dx"], xt.grad.numpy()[rows[r]], np.float64, what=f"rank {r} input gradient")
        assert_close(out["running_mean"], bn.running_mean.numpy(), np.float64, what="running_mean")
        assert_close(out["running_var"], bn.running_var.numpy(), np.float64, what="running_var")
    # weight and bias gradients are each rank's own share (DDP sums them): together, BatchNorm's
    assert_close(sum(o["dw"] for o in ranks), bn.weight.grad.numpy(), np.float64, what="weight gradient")
    assert_close(sum(o["db"] for o in ranks), bn.bias.grad.numpy(), np.float64, what="bias gradient")


@pytest.mark.parametrize(("ranks", "mode"), [(3, "collectives"), (2, "unused")])
def test_collectives_and_unused_parameters(ranks: int, mode: str) -> None:
    done, _ = mpirun(ranks, mode)
    assert done.returncode == 0, done.stderr
    assert done.reports == [[f"{mode} OK"]] * ranks, done.stdout


@pytest.mark.parametrize(("mode", "says"), [
    ("fail", ["rank 1 raised ValueError", "Traceback", "rank 1 fails on purpose"]),
    ("late", ["all_reduce (rank 0 of 2) did not complete within 2 s", "DistBackendError"]),
    ("absent", ["Timeout (0:00:02)", "in _import_mpi_waiting_for_every_rank_to_reach_init_process_group"]),
    ("mismatch", ["expects the same model on every rank", "rank 0 has parameter 'weight' (2, 4) mt.float64, "
                  "rank 1 has parameter 'weight' (3, 4) mt.float64"]),
])
def test_a_failing_late_absent_or_different_rank_ends_the_job_with_a_clear_error(mode: str, says: list) -> None:
    done, seconds = mpirun(2, mode, timeout=60)
    assert done.returncode != 0
    for words in says:
        assert words in done.stderr, done.stderr
    assert seconds < 30  # the sleeping rank (60 s) was ended with the job, not waited for


def test_each_rank_caps_its_threads_to_its_share_of_the_cores() -> None:
    done, _ = mpirun(2, "threads", threads=None)
    assert done.returncode == 0, done.stderr
    share = max(1, len(os.sched_getaffinity(0)) // 2)
    assert len(done.reports) == 2, done.stdout
    for (line,) in done.reports:
        _, pool_threads, numba_threads = line.split()
        assert int(pool_threads) == share and int(numba_threads) == share, done.stdout


def test_train_command_with_nproc_starts_the_ranks_and_rank0_alone_writes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "minitorch_cnn.apps.cli", "train", "mnist_net", "--nproc", "2", "--max-batches", "2",
         "--val-split", "0", "--no-progress", "--no-plot", "--checkpoint-dir", str(run)],
        capture_output=True, text=True, timeout=120, env=_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("epoch 1: train loss") == 1  # rank 0 logs
    assert sorted(p.name for p in run.iterdir()) == ["best.npz", "history.json", "last.npz"]
    history = json.loads((run / "history.json").read_text())
    assert history["epochs"][0]["train_accuracy"] >= 0 and "test" in history


@pytest.mark.skipif(not mt.distributed.is_nccl_available(), reason="the NCCL backend needs a CUDA GPU and CuPy")
def test_nccl_backend_on_one_gpu() -> None:
    env = _env(RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()))
    done = subprocess.run([sys.executable, str(TESTS / "_dist_worker.py"), "nccl"], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "nccl OK" in done.stdout
