"""Every ISA path of the conv micro-kernels this CPU can run, held against torch and against each other.

The kernels take the widest vectors the host has (512-bit with AVX-512, else 256-bit); ``set_isa("avx2")`` forces
the narrower code, compiled as an AVX2-only CPU runs it, so one AVX-512 machine tests both paths.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minitorch_cnn as mt
import minitorch_cnn.nn.functional as F
from minitorch_cnn.kernels import microkernel, use_kernels
from tests._parity import assert_close, assert_f32_close

ISAS = microkernel.available_isas()


@pytest.fixture(params=ISAS)
def isa(request):
    if microkernel.output_block_kernel(np.float32)[0] is None:
        pytest.skip("llvmlite could not compile the micro-kernels here: every conv runs im2col + GEMM")
    microkernel.set_isa(request.param)
    yield request.param
    microkernel.set_isa(None)


def test_the_widest_isa_the_host_runs_is_the_default():
    assert microkernel.isa() == ISAS[-1]
    assert ISAS[0] == "avx2"


def test_an_isa_the_host_lacks_is_refused(monkeypatch):
    monkeypatch.setattr(microkernel, "_host_features", lambda: {"avx2": True, "avx512f": False})
    with pytest.raises(ValueError, match="'avx512' cannot run on this CPU"):
        microkernel.set_isa("avx512")
    with pytest.raises(ValueError, match="cannot run on this CPU"):
        microkernel.set_isa("sse9")
    monkeypatch.setattr(microkernel, "_forced", ["avx512"])  # as MINITORCH_ISA=avx512 on such a CPU
    with pytest.raises(ValueError, match="MINITORCH_ISA='avx512'"):
        microkernel.isa()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_isa_is_compiled_with_its_own_vectors(isa, dtype):
    """The narrow path really is AVX2 code (no zmm registers, no EVEX-only instructions); the wide one uses zmm."""
    asm = microkernel.assembly(dtype, isa)
    assert ("zmm" in asm) == (isa == "avx512")
    tile, nr = microkernel.output_block_kernel(dtype)
    dots, lanes = microkernel.weight_grad_kernel(dtype)
    assert lanes == microkernel.ISA_BITS[isa] // (8 * np.dtype(dtype).itemsize) and nr == 3 * lanes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, K", [(1, 3), (4, 75)])
def test_tile_kernel_on_each_isa(isa, dtype, rows, K):
    tile, nr = microkernel.output_block_kernel(dtype)
    rng = np.random.default_rng(rows + K)
    A = rng.standard_normal((4, K)).astype(dtype)
    X = rng.standard_normal(400).astype(dtype)
    offs = rng.integers(0, 400 - nr, K).astype(np.int64)
    C = np.full((4, nr), 7.0, dtype)
    tile(rows, K, A.ctypes.data, K, X.ctypes.data, offs.ctypes.data, C.ctypes.data, nr)
    truth = A.astype(np.float64) @ X[offs[:, None] + np.arange(nr)].astype(np.float64)
    cond = np.abs(A).astype(np.float64) @ np.abs(X[offs[:, None] + np.arange(nr)]).astype(np.float64)
    if dtype == np.float64:
        assert_close(C[:rows], truth[:rows], np.float64, what=f"tile {isa}")
    else:
        assert_f32_close(C[:rows], truth[:rows], cond=cond[:rows], what=f"tile {isa}")
    assert (C[rows:] == 7).all()


# (shape, out channels, kernel, padding, stride): narrow layers, the last by phases at stride 2; wide ones on
# planes the tiles suit (forward and dx tiled, dW tiled up to 64 channels, else rows)
CONVS = [((2, 1, 12, 12), 6, 5, 2, 1), ((2, 12, 9, 9), 12, 5, 1, 1), ((3, 9, 7, 7), 5, 3, 1, 1),
         ((2, 6, 10, 9), 8, 3, 1, 2), ((2, 64, 16, 16), 64, 3, 1, 1), ((2, 72, 16, 16), 96, 3, 1, 1)]


def _conv_step(x, w, b, g, padding, stride, lib_conv):
    y = lib_conv(x, w, b, padding=padding, stride=stride)
    y.backward(g)
    return [y, x.grad, w.grad, b.grad]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, O, k, p, s", CONVS)
def test_conv_forward_and_backward_on_each_isa_match_torch(isa, dtype, shape, O, k, p, s):
    """Forward, dx, dW and db with a random upstream gradient: float64 against torch's float64 (1e-10); float32
    against the float64 truth, bounded by torch's own float32 error or the magnitudes summed."""
    rng = np.random.default_rng(sum(shape) + O)
    arrays = [rng.standard_normal(shape), rng.standard_normal((O, shape[1], k, k)), rng.standard_normal(O)]
    out = ((shape[2] + 2 * p - k) // s + 1, (shape[3] + 2 * p - k) // s + 1)
    g = rng.standard_normal((shape[0], O, *out))
    # the float64 truth on the very inputs the run gets (float32 ones upcast), and its condition: the same conv and
    # gradients on |x|, |w|, |b| and |g|, the magnitude of every result's terms
    arrays, g = [a.astype(dtype).astype(np.float64) for a in arrays], g.astype(dtype).astype(np.float64)
    truth, cond = (_conv_step(*[torch.tensor(f(a), requires_grad=True) for a in arrays], torch.tensor(f(g)), p, s,
                              TF.conv2d) for f in (np.asarray, np.abs))
    with use_kernels("numba"):
        ours = _conv_step(*[mt.tensor(a.astype(dtype), requires_grad=True) for a in arrays], mt.tensor(g.astype(dtype)),
                          p, s, F.conv2d)
    names = ("y", "dx", "dW", "db")
    if dtype == np.float64:
        for name, a, t in zip(names, ours, truth):
            assert_close(a, t, np.float64, what=f"{name} {isa}")
        return
    t32 = _conv_step(*[torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays],
                     torch.tensor(g.astype(dtype)), p, s, TF.conv2d)
    for name, a, t, t_32, c in zip(names, ours, truth, t32, cond):
        assert_f32_close(a, t.detach(), torch32=t_32.detach(), cond=c.detach(), what=f"{name} {isa}")


@pytest.mark.skipif(len(ISAS) < 2, reason="this CPU runs one ISA only: there is no second path to compare")
def test_the_isa_paths_agree_with_each_other():
    """A LeNet-5 training step's loss and gradients in float64 on every ISA: the same to rounding."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 1, 28, 28)), rng.integers(0, 10, 4)
    results = {}
    for name in ISAS:
        microkernel.set_isa(name)
        try:
            mt.manual_seed(0)
            model = mt.models.get_model("lenet5").double()
            with use_kernels("numba"):
                loss = F.cross_entropy(model(mt.tensor(x)), mt.tensor(y))
                loss.backward()
            results[name] = [loss] + [p.grad for p in model.parameters()]
        finally:
            microkernel.set_isa(None)
    first, *others = ISAS
    for name in others:
        for a, b in zip(results[name], results[first]):
            assert_close(a, b, np.float64, what=f"{name} vs {first}")
