"""nn classes against torch: AdaptiveLogSoftmaxWithLoss (forward, loss, log_prob, predict, parameter gradients with
torch's weights copied in, state_dict keys), FractionalMaxPool3d / F.fractional_max_pool3d (same samples: values,
indices, gradients), CrossMapLRN2d (torch's legacy forward and backward), NLLLoss2d and Container; float64 to
1e-10, float32 against the float64 truth; torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _linalg_check import check
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

RNG = np.random.default_rng(31)


def _twin(dtype_t: torch.dtype, dtype_m: object, head_bias: bool) -> tuple:
    torch.manual_seed(0)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10], div_value=2.0, head_bias=head_bias).to(dtype_t)
    ours = mt.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10], div_value=2.0, head_bias=head_bias, dtype=dtype_m)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax(head_bias: bool) -> None:
    ours, theirs = _twin(torch.float64, mt.float64, head_bias)
    x = RNG.standard_normal((9, 16))
    target = np.array([0, 3, 4, 9, 10, 19, 2, 12, 5])
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_m, out_t = ours(xm, mt.tensor(target)), theirs(xt, torch.tensor(target))
    assert_close(out_m.output, out_t.output, np.float64, what="output")
    assert_close(out_m.loss, out_t.loss, np.float64, what="loss")
    g = RNG.standard_normal(9)
    ((out_m.output * mt.tensor(g)).sum() + out_m.loss).backward()
    ((out_t.output * torch.tensor(g)).sum() + out_t.loss).backward()
    assert_close(xm.grad, xt.grad, np.float64, what="input grad")
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad, np.float64, what=name)
    assert_close(ours.log_prob(mt.tensor(x)), theirs.log_prob(torch.tensor(x)), np.float64, what="log_prob")
    many = RNG.standard_normal((40, 16)) * 3
    assert ours.predict(mt.tensor(many)).numpy().tolist() == theirs.predict(torch.tensor(many)).tolist()
    one = ours(mt.tensor(x[0]), mt.tensor(target[0]))
    assert one.output.shape == () and abs(one.output.item() - out_t.output[0].item()) < 1e-12


def test_adaptive_log_softmax_float32_and_errors() -> None:
    ours, _ = _twin(torch.float64, mt.float64, False)
    ours32, _ = _twin(torch.float32, mt.float32, False)
    ours32.load_state_dict({k: v.float() for k, v in ours.state_dict().items()})
    x = RNG.standard_normal((6, 16)).astype(np.float32)
    target = mt.tensor(np.array([0, 5, 11, 19, 3, 4]))
    out32 = ours32(mt.tensor(x), target)
    truth = ours(mt.tensor(x.astype(np.float64)), target)
    assert out32.output.dtype == mt.float32
    assert_f32_close(out32.output, truth.output, what="float32 output")
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 19\], but values in range \[0, 20\]"):
        ours(mt.tensor(x.astype(np.float64)), mt.tensor(np.array([0, 1, 2, 3, 4, 20])))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique, positive integers"):
        mt.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])
    with pytest.raises(RuntimeError, match="Input and target should have the same size in the batch dimension"):
        ours(mt.ones(3, 16, dtype=mt.float64), mt.tensor(np.array([0, 1])))


@pytest.mark.parametrize("shape,kernel,out", [((2, 3, 7, 8, 9), (2, 3, 2), (4, 5, 6)), ((3, 6, 6, 6), 2, (3, 3, 3))])
def test_fractional_max_pool3d(shape: tuple, kernel: object, out: tuple) -> None:
    samples = RNG.random((shape[0] if len(shape) == 5 else 1, shape[-4], 3))

    def ours(x: mt.Tensor) -> mt.Tensor:
        return mt.nn.functional.fractional_max_pool3d(x, kernel, out, _random_samples=mt.tensor(samples).to(x.dtype))

    def theirs(x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.fractional_max_pool3d(x, kernel, out,
                                                         _random_samples=torch.tensor(samples).to(x.dtype))

    check(ours, theirs, [RNG.standard_normal(shape)])
    x = RNG.standard_normal(shape)
    _, idx = mt.nn.functional.fractional_max_pool3d_with_indices(mt.tensor(x), kernel, out,
                                                                 _random_samples=mt.tensor(samples))
    _, idx_t = torch.nn.functional.fractional_max_pool3d_with_indices(torch.tensor(x), kernel, out,
                                                                      _random_samples=torch.tensor(samples))
    assert idx.dtype == mt.int64 and idx.numpy().tolist() == idx_t.numpy().tolist()
    pool = mt.nn.FractionalMaxPool3d(kernel, output_ratio=0.5, return_indices=True)
    y, i = pool(mt.tensor(x))
    assert y.shape == torch.nn.FractionalMaxPool3d(kernel, output_ratio=0.5)(torch.tensor(x)).shape
    assert np.array_equal(np.take_along_axis(x.reshape(*x.shape[:-3], -1), i.numpy().reshape(*i.shape[:-3], -1), -1),
                          y.numpy().reshape(*y.shape[:-3], -1))


def test_fractional_max_pool3d_errors() -> None:
    with pytest.raises(ValueError, match="requires specifying either an output size, or a pooling ratio"):
        mt.nn.FractionalMaxPool3d(2)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        mt.nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(RuntimeError, match="Expected 4D or 5D tensor"):
        mt.nn.functional.fractional_max_pool3d(mt.ones(3, 4, 4), 2, 2)
    with pytest.raises(RuntimeError, match="pool time 4 too large relative to input time 4"):
        mt.nn.functional.fractional_max_pool3d(mt.ones(1, 1, 4, 4, 4), 4, 2)


@pytest.mark.parametrize("size", [2, 3, 5, 8])
def test_cross_map_lrn2d(size: int) -> None:
    check(lambda x: mt.nn.CrossMapLRN2d(size, 0.3, 0.75, 1.5)(x),
          lambda x: torch.nn.CrossMapLRN2d(size, 0.3, 0.75, 1.5)(x), [RNG.standard_normal((2, 7, 3, 4))])
    assert repr(mt.nn.CrossMapLRN2d(size)) == repr(torch.nn.CrossMapLRN2d(size))
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D instead"):
        mt.nn.CrossMapLRN2d(size)(mt.ones(2, 3, 4))


def test_nll_loss2d_and_container() -> None:
    logits = RNG.standard_normal((2, 4, 3, 3))
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    target = RNG.integers(0, 4, (2, 3, 3))
    check(lambda a: mt.nn.NLLLoss2d(ignore_index=2)(a, mt.tensor(target)),
          lambda a: torch.nn.NLLLoss2d(ignore_index=2)(a, torch.tensor(target)), [logp])
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        box = mt.nn.Container(fc=mt.nn.Linear(2, 3), act=mt.nn.ReLU())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box_t = torch.nn.Container(fc=torch.nn.Linear(2, 3), act=torch.nn.ReLU())
    assert list(box.state_dict()) == list(box_t.state_dict()) and repr(box) == repr(box_t).replace("torch", "mt")
