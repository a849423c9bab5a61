"""The thread policy (``kernels.threads``, ``mt.set_num_threads``) and the split GEMM (``kernels.gemm``).

The policy is checked in fresh interpreters, as a user's script meets it: NumPy and torch imported before the
package, the environment's thread count set, then what OpenBLAS (seen through threadpoolctl, not through our own
binding), our pool and Numba were told. No timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minitorch_cnn as mt
from minitorch_cnn.kernels import gemm, threadpool, threads
from tests._parity import assert_close, assert_f32_close

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys
import numpy, torch  # before the package, as many scripts do
from threadpoolctl import threadpool_info

def numpy_blas_threads():
    return [d["num_threads"] for d in threadpool_info()
            if d["internal_api"] == "openblas" and "numpy" in d["filepath"]]

torch_threads = torch.get_num_threads()
import minitorch_cnn as mt
from minitorch_cnn.kernels import dispatch, threadpool
seen = {"after_import": [mt.get_num_threads(), threadpool.workers(), numpy_blas_threads()]}
mt.set_num_threads(1)
seen["set_1"] = [mt.get_num_threads(), threadpool.workers(), numpy_blas_threads()]
mt.set_num_threads(2)
dispatch.available("cpu")  # loads the Numba kernels, which take the package's count
import numba
seen["set_2"] = [mt.get_num_threads(), threadpool.workers(), numpy_blas_threads(), numba.get_num_threads()]
seen["torch"] = [torch_threads, torch.get_num_threads()]
print(json.dumps(seen))
"""


def _child(env: dict[str, str]) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env = {**clean, "PYTHONPATH": str(ROOT), **env}
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_policy_holds_when_numpy_and_torch_were_imported_first():
    pytest.importorskip("torch")
    pytest.importorskip("threadpoolctl")
    # OpenBLAS was told 3 threads by the environment before NumPy loaded; the package's count follows
    # OMP_NUM_THREADS (torch's knob), and NumPy's OpenBLAS is brought down to one thread anyway
    seen = _child({"OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "3", "NUMBA_NUM_THREADS": "2"})
    assert seen["after_import"] == [3, 3, [1]]
    assert seen["set_1"] == [1, 1, [1]]
    assert seen["set_2"] == [2, 2, [1], 2]  # Numba: the package's count, within NUMBA_NUM_THREADS
    assert seen["torch"][1] == seen["torch"][0]  # torch's own threads are torch's business


def test_default_count_reads_the_environment_then_the_cores(monkeypatch):
    for var in threads.ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert threads.default_threads() == cores
    monkeypatch.setenv("NUMBA_NUM_THREADS", "4")
    assert threads.default_threads() == 4
    monkeypatch.setenv("OMP_NUM_THREADS", "junk")  # not a positive integer: ignored, as torch ignores it
    assert threads.default_threads() == 4
    monkeypatch.setenv("OMP_NUM_THREADS", "5")  # torch's knob comes first
    assert threads.default_threads() == 5


@pytest.mark.parametrize("bad, message", [(0, "positive integer"), (-2, "positive integer"), (2.5, "expects an int")])
def test_set_num_threads_rejects_what_torch_rejects(bad, message):
    before = mt.get_num_threads()
    with pytest.raises(RuntimeError, match=message):
        mt.set_num_threads(bad)
    assert mt.get_num_threads() == before


def test_pool_follows_set_num_threads():
    before = mt.get_num_threads()
    try:
        mt.set_num_threads(3)
        assert mt.get_num_threads() == 3
        assert threadpool.workers() in (3, 1)  # 1: no OpenBLAS to make single-threaded (see the test above)
    finally:
        mt.set_num_threads(before)


def test_cli_threads_option(capsys):
    from minitorch_cnn.apps import cli

    before = mt.get_num_threads()
    try:
        assert cli.main(["--threads", "1", "models"]) == 0
        assert mt.get_num_threads() == 1
    finally:
        mt.set_num_threads(before)
    with pytest.raises(SystemExit):
        cli.main(["--threads", "0", "models"])
    assert "--threads must be a positive integer, got 0" in capsys.readouterr().err
    assert mt.get_num_threads() == before


@pytest.mark.parametrize("shape", [(5, 7, 9), (11, 3, 4), (1, 6, 2)])
def test_split_matmul_is_the_product(monkeypatch, shape):
    """Split by rows (M > N) and by columns, over three threads, every product split: float64 parity with NumPy."""
    monkeypatch.setattr(gemm, "SPLIT_MIN_MACS", 0)
    M, K, N = shape
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((M, K)), rng.standard_normal((N, K)).T  # b a transposed view, as Linear passes W.T
    with threadpool.set_workers(3):
        assert_close(gemm.matmul(a, b), a @ b, np.float64)
        assert_f32_close(gemm.matmul(a.astype(np.float32), b.astype(np.float32)), a @ b, cond=np.abs(a) @ np.abs(b))



@pytest.mark.parametrize("workers", [1, 2])
def test_turned_linear_matches_torch(monkeypatch, workers):
    """A Linear layer on a small batch (fewer rows than features: forward and dx made turned, dW not), every
    product taking the big-product paths, one and two threads: float64 parity with torch for y, dx, dW, db under
    a random upstream gradient, float32 against that truth (or torch's own float32 error), and the second-order
    gradient through dx."""
    import torch

    monkeypatch.setattr(gemm, "SPLIT_MIN_MACS", 0)
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((3, 40), (24, 40), (24,), (3, 24), (3, 40))]

    def torch_side(dtype: Any) -> list:
        xt, wt, bt = (torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays[:3])
        yt = torch.nn.functional.linear(xt, wt, bt)
        grads = torch.autograd.grad(yt, (xt, wt, bt), torch.tensor(arrays[3].astype(dtype)), create_graph=True)
        (ddwt,) = torch.autograd.grad(grads[0], wt, torch.tensor(arrays[4].astype(dtype)))
        return [t.detach().numpy() for t in (yt, *grads, ddwt)]

    truth, torch32 = torch_side(np.float64), torch_side(np.float32)
    with threadpool.set_workers(workers):
        for dtype in (np.float64, np.float32):
            xm, wm, bm = (mt.tensor(a.astype(dtype), requires_grad=True) for a in arrays[:3])
            y = mt.nn.functional.linear(xm, wm, bm)
            grads = mt.autograd.grad(y, (xm, wm, bm), mt.tensor(arrays[3].astype(dtype)), create_graph=True)
            (ddw,) = mt.autograd.grad(grads[0], wm, mt.tensor(arrays[4].astype(dtype)))
            for ours, want, t32 in zip((y, *grads, ddw), truth, torch32):
                if dtype is np.float64:
                    assert_close(ours.detach().numpy(), want, np.float64)
                else:
                    assert_f32_close(ours.detach().numpy(), want, torch32=t32)
