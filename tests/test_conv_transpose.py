"""ConvTranspose2d / F.conv_transpose2d against torch (float64 exact, float32 against the float64 truth) and
against our own conv2d's input gradient on the same weights; the module's init, output_size and errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _grad_parity import function_parity, layer_parity  # noqa: E402
from _parity import assert_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as F  # noqa: E402
from minitorch_cnn.kernels import dispatch, threadpool, use_kernels  # noqa: E402

# (N, C_in, C_out, H, W, k, stride, padding, output_padding, dilation, groups)
CASES = [
    (2, 4, 6, 5, 4, 3, 2, 1, 1, 1, 2),
    (1, 3, 2, 4, 4, 2, 1, 0, 0, 2, 1),
    (2, 2, 4, 3, 5, 3, 3, 2, 2, 1, 1),
    (2, 6, 3, 4, 4, 3, 2, 0, 1, 2, 3),
    (3, 2, 2, 2, 3, (1, 3), (1, 2), (0, 1), (0, 1), 1, 1),
]


@pytest.mark.parametrize("case", CASES)
def test_conv_transpose2d_matches_torch(case):
    N, ci, co, H, W, k, s, p, op, d, G = case
    kk = k if isinstance(k, tuple) else (k, k)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((N, ci, H, W)), rng.standard_normal((ci, co // G, *kk)), rng.standard_normal(co)]
    function_parity(lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, G, d),
                    lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, s, p, op, G, d),
                    arrays, [True, True, True], what=f"conv_transpose2d {case}")


@pytest.mark.parametrize("case", CASES[:4])
def test_conv_transpose2d_is_conv2d_input_gradient(case):
    """The transposed conv of g is our conv2d's dL/dx for upstream g, with the same weight (no bias)."""
    N, ci, co, H, W, k, s, p, op, d, G = case
    rng = np.random.default_rng(1)
    w = mt.tensor(rng.standard_normal((ci, co // G, k, k)))
    g = mt.tensor(rng.standard_normal((N, ci, H, W)))
    y = F.conv_transpose2d(g, w, None, s, p, op, G, d)
    x = mt.tensor(np.zeros(tuple(y.shape)), requires_grad=True)
    out = F.conv2d(x, w, None, s, p, d, G)
    assert tuple(out.shape) == tuple(g.shape)
    out.backward(g)
    assert_close(y, x.grad, np.float64, what="conv_transpose2d vs conv2d dx")


@pytest.mark.parametrize("path", dispatch.available("cpu"))
@pytest.mark.parametrize("workers", [1, 3])
def test_every_kernel_path_and_batch_split(path, workers):
    """Each CPU kernel path (the numpy reference, Numba), with the batch whole or split over 3 threads."""
    N, ci, co, H, W, k, s, p, op, d, G = CASES[0]
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal((5, ci, H, W)), rng.standard_normal((ci, co // G, k, k)), rng.standard_normal(co)]
    with use_kernels(path), threadpool.set_workers(workers):
        function_parity(lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, G, d),
                        lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, s, p, op, G, d),
                        arrays, [True, True, True], what=f"conv_transpose2d {path} {workers} threads")


def test_unbatched_and_no_bias():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((3, 4, 4)), rng.standard_normal((3, 2, 3, 3))]
    function_parity(lambda x, w: F.conv_transpose2d(x, w, stride=2),
                    lambda x, w: torch.nn.functional.conv_transpose2d(x, w, stride=2), arrays, [True, True])


def test_module_matches_torch_with_its_init():
    layer_parity(lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                 np.random.default_rng(3).standard_normal((2, 4, 3, 3)), what="ConvTranspose2d")
    mt.manual_seed(5)
    ours = mt.nn.ConvTranspose2d(3, 5, (2, 3))
    assert tuple(ours.weight.shape) == (3, 5, 2, 3) and tuple(ours.bias.shape) == (5,)
    bound = 1 / np.sqrt(5 * 6)  # fan_in from dim 1 as torch computes it
    assert np.abs(ours.bias.detach().numpy()).max() <= bound >= np.abs(ours.weight.detach().numpy()).max()
    assert repr(ours) == repr(torch.nn.ConvTranspose2d(3, 5, (2, 3)))


def test_output_size_picks_the_output_padding():
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    ours = mt.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((1, 2, 4, 4))
    for size in [(8, 8), (7, 8), [1, 3, 8, 7]]:
        yo, yt = ours(mt.tensor(x), output_size=size), theirs(torch.tensor(x), output_size=size)
        assert_close(yo, yt, np.float64, what=f"output_size={size}")
    with pytest.raises(ValueError, match="valid sizes range"):
        ours(mt.tensor(x), output_size=(9, 9))


def test_bad_input_errors():
    w = mt.zeros(2, 3, 3, 3)
    with pytest.raises(RuntimeError, match="expects 2 input channels"):
        F.conv_transpose2d(mt.zeros(1, 3, 4, 4), w)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(mt.zeros(1, 2, 4, 4), w, stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="bias must be"):
        F.conv_transpose2d(mt.zeros(1, 2, 4, 4), w, mt.zeros(2))
    with pytest.raises(ValueError, match="divisible"):
        mt.nn.ConvTranspose2d(3, 4, 3, groups=2)


def test_finite_differences():
    """Independent of torch: central differences (float64) through every input, a non-contiguous input too."""
    rng = np.random.default_rng(6)
    x = mt.from_numpy(np.asfortranarray(rng.standard_normal((2, 4, 3, 3)))).requires_grad_(True)
    w = mt.tensor(rng.standard_normal((4, 1, 2, 3)), requires_grad=True)
    b = mt.tensor(rng.standard_normal(2), requires_grad=True)
    assert mt.autograd.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, 2, (1, 0), 1, 2, (1, 2)), [x, w, b])
