"""``F.embedding_bag`` and ``nn.EmbeddingBag`` against torch: every mode, offsets and 2-D input, include_last_offset,
padding_idx, per_sample_weights, scale_grad_by_freq, max_norm; float64 values and gradients (random upstream
gradient) to 1e-10, float32 judged against float64; torch's errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt
import minitorch_cnn.nn.functional as F

F64 = np.float64


def _both(a: np.ndarray, grad: bool = False) -> tuple:
    t = torch.tensor(a, requires_grad=grad)
    m = mt.tensor(a, requires_grad=grad)
    return t, m


CASES = [  # (input, offsets or None, kwargs)
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 4], {}),
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 3, 3, 6], {}),  # an empty bag
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 5, 8], {"include_last_offset": True}),
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 5, 6], {"include_last_offset": True}),  # the last bag runs to the end
    ([1, 2, 4, 2, 4, 3, 2, 2], [0, 4, 5], {"padding_idx": 2}),  # a bag of padding only
    ([1, 2, 4, 9, 4, 3, 2, 9], [0, 4], {"padding_idx": -1}),
    ([[1, 2, 4], [4, 3, 9], [0, 0, 5]], None, {}),
    ([[1, 2, 4], [4, 3, 9], [0, 0, 5]], None, {"include_last_offset": True}),  # ignored for 2-D, as torch's
    ([[1, 2, 4], [4, 3, 9], [0, 0, 5]], None, {"padding_idx": 0}),
]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_values_and_grad(mode: str, case: int) -> None:
    inp, offs, kw = CASES[case]
    rng = np.random.default_rng(case)
    w = rng.standard_normal((10, 5))
    w[3, 1] = w[4, 1] = 7.0  # a tie in max mode: the first position wins
    tw, mw = _both(w, grad=True)
    ti, mi = torch.tensor(inp), mt.tensor(inp)
    to = None if offs is None else torch.tensor(offs)
    mo = None if offs is None else mt.tensor(offs)
    t = TF.embedding_bag(ti, tw, to, mode=mode, **kw)
    m = F.embedding_bag(mi, mw, mo, mode=mode, **kw)
    assert tuple(m.shape) == tuple(t.shape)
    assert_close(m, t, F64)
    g = rng.standard_normal(tuple(t.shape))
    t.backward(torch.tensor(g))
    m.backward(mt.tensor(g))
    assert_close(mw.grad, tw.grad, F64, what="dweight")


@pytest.mark.parametrize("case", [0, 1, 4, 6, 8])
def test_per_sample_weights(case: int) -> None:
    inp, offs, kw = CASES[case]
    rng = np.random.default_rng(10 + case)
    w = rng.standard_normal((10, 4))
    s = rng.standard_normal(np.shape(inp))
    tw, mw = _both(w, grad=True)
    ts, ms = _both(s, grad=True)
    to = None if offs is None else torch.tensor(offs)
    mo = None if offs is None else mt.tensor(offs)
    t = TF.embedding_bag(torch.tensor(inp), tw, to, mode="sum", per_sample_weights=ts, **kw)
    m = F.embedding_bag(mt.tensor(inp), mw, mo, mode="sum", per_sample_weights=ms, **kw)
    assert_close(m, t, F64)
    g = rng.standard_normal(tuple(t.shape))
    t.backward(torch.tensor(g))
    m.backward(mt.tensor(g))
    assert_close(mw.grad, tw.grad, F64, what="dweight")
    assert_close(ms.grad, ts.grad, F64, what="dper_sample_weights")


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_and_max_norm(mode: str) -> None:
    rng = np.random.default_rng(3)
    w = rng.standard_normal((10, 4)) * 2
    inp, offs = [1, 2, 1, 5, 1, 3, 2], [0, 3, 5]
    tw, mw = _both(w, grad=True)
    t = TF.embedding_bag(torch.tensor(inp), tw, torch.tensor(offs), mode=mode, scale_grad_by_freq=True)
    m = F.embedding_bag(mt.tensor(inp), mw, mt.tensor(offs), mode=mode, scale_grad_by_freq=True)
    g = rng.standard_normal(tuple(t.shape))
    t.backward(torch.tensor(g))
    m.backward(mt.tensor(g))
    assert_close(mw.grad, tw.grad, F64, what="dweight")
    tw2, mw2 = torch.tensor(w), mt.tensor(w)
    t = TF.embedding_bag(torch.tensor(inp), tw2, torch.tensor(offs), mode=mode, max_norm=1.5, norm_type=1.0)
    m = F.embedding_bag(mt.tensor(inp), mw2, mt.tensor(offs), mode=mode, max_norm=1.5, norm_type=1.0)
    assert_close(m, t, F64)
    assert_close(mw2, tw2, F64, what="renormalised table")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_float32(mode: str) -> None:
    rng = np.random.default_rng(5)
    w = rng.standard_normal((20, 6)).astype(np.float32)
    inp, offs = rng.integers(0, 20, 30), [0, 7, 7, 19]
    m32 = F.embedding_bag(mt.tensor(inp), mt.tensor(w), mt.tensor(offs), mode=mode)
    m64 = F.embedding_bag(mt.tensor(inp), mt.tensor(w.astype(F64)), mt.tensor(offs), mode=mode)
    t32 = TF.embedding_bag(torch.tensor(inp), torch.tensor(w), torch.tensor(offs), mode=mode)
    assert m32.dtype == mt.float32
    assert_f32_close(m32, m64, torch32=t32)


def test_module_matches_torch() -> None:
    torch.manual_seed(0)
    t = torch.nn.EmbeddingBag(12, 4, mode="sum", padding_idx=3).double()
    m = mt.nn.EmbeddingBag(12, 4, mode="sum", padding_idx=3).double()
    assert m.weight[3].abs().sum().item() == 0.0
    m.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert repr(m) == repr(t)
    inp, offs = [1, 3, 4, 11, 3, 0], [0, 2]
    assert_close(m(mt.tensor(inp), mt.tensor(offs)), t(torch.tensor(inp), torch.tensor(offs)), F64)
    w = np.random.default_rng(1).standard_normal((5, 3))
    tp = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="max")
    mp = mt.nn.EmbeddingBag.from_pretrained(mt.tensor(w), mode="max")
    assert mp.weight.requires_grad is tp.weight.requires_grad is False
    assert repr(mp) == repr(tp)
    assert_close(mp(mt.tensor([[0, 4], [2, 1]])), tp(torch.tensor([[0, 4], [2, 1]])), F64)


def test_default_init_is_standard_normal() -> None:
    mt.manual_seed(0)
    w = mt.nn.EmbeddingBag(400, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


BAD = [
    (lambda L: ([1, 2], None, {}), ValueError, "offsets has to be a 1D Tensor but got None"),
    (lambda L: ([[1, 2]], L.tensor([0]), {}), ValueError, "if input is 2D, then offsets has to be None"),
    (lambda L: ([[[1, 2]]], None, {}), ValueError, "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    (lambda L: ([1, 2], L.tensor([[0]]), {}), ValueError, "offsets has to be a 1D Tensor"),
    (lambda L: ([1, 2], L.tensor([0]), {"mode": "foo"}), ValueError, "mode has to be one of sum, mean or max"),
    (lambda L: ([1, 2], L.tensor([0]), {"per_sample_weights": L.ones(2)}), NotImplementedError,
     "only supported for mode='sum'"),
    (lambda L: ([1, 2], L.tensor([0]), {"mode": "sum", "per_sample_weights": L.ones(3)}), ValueError,
     "must have the same shape as the input"),
    (lambda L: ([1, 2], L.tensor([1]), {}), RuntimeError, "offsets\\[0\\] has to be 0"),
    (lambda L: ([1, 2], L.tensor([0, 3]), {}), RuntimeError, "offsets\\[-1\\] can not be greater"),
    (lambda L: ([1, 12], L.tensor([0]), {}), RuntimeError, "Index 1 of input takes value 12 which is not in"),
    (lambda L: ([1, 2], L.tensor([0]), {"mode": "max", "scale_grad_by_freq": True}), ValueError,
     "max mode does not support scaling"),
    (lambda L: ([1, 2], L.tensor([0]), {"padding_idx": 10}), RuntimeError,
     "padding_idx must be within the number of embeddings, -10 through 9, but got 10"),
]


@pytest.mark.parametrize("case", range(len(BAD)))
def test_bad_input(case: int) -> None:
    make, exc, msg = BAD[case]
    for L, fn in ((torch, TF.embedding_bag), (mt, F.embedding_bag)):
        inp, offs, kw = make(L)
        with pytest.raises(exc, match=msg):
            fn(L.tensor(inp), L.randn(10, 3), offs, **kw)


def test_int32_indices_and_grad_fn() -> None:
    w = np.random.default_rng(2).standard_normal((6, 3))
    tw, mw = _both(w, grad=True)
    t = TF.embedding_bag(torch.tensor([1, 2, 5], dtype=torch.int32), tw, torch.tensor([0, 1]), mode="sum")
    m = F.embedding_bag(mt.tensor([1, 2, 5], dtype=mt.int32), mw, mt.tensor([0, 1]), mode="sum")
    assert_close(m, t, F64)
    assert m.grad_fn.name() == type(t.grad_fn).__name__


def test_decreasing_offsets_refused() -> None:
    with pytest.raises(RuntimeError, match="offsets must be non-decreasing"):
        F.embedding_bag(mt.tensor([1, 2, 3]), mt.randn(10, 3), mt.tensor([0, 2, 1]))


def test_per_sample_weights_dtype_refused() -> None:
    msg = "Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
    msg += "'per_sample_weights'"
    for L, fn in ((torch, TF.embedding_bag), (mt, F.embedding_bag)):
        with pytest.raises(RuntimeError, match=msg):
            fn(L.tensor([1, 2]), L.randn(5, 2, dtype=L.float64), L.tensor([0]), mode="sum",
               per_sample_weights=L.ones(2, dtype=L.float32))


def test_float_indices_refused() -> None:
    msg = "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int"
    for L, fn in ((torch, TF.embedding_bag), (mt, F.embedding_bag)):
        with pytest.raises(RuntimeError, match=msg):
            fn(L.tensor([1.0, 2.0]), L.randn(10, 3), L.tensor([0]))
