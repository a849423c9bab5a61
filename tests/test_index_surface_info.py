"""Construction and tensor-information surface against torch: range, logspace, frombuffer, windows, type
promotion questions, seeds, and Tensor attributes/legacy methods (element_size ... new, apply_, sum_to_size)."""

from __future__ import annotations

import array
import warnings

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

WINDOWS = ["hann_window", "hamming_window", "bartlett_window", "blackman_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", [0, 1, 2, 7, 64])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(name, n, periodic):
    truth = getattr(torch, name)(n, periodic, dtype=torch.float64)
    ours64 = getattr(mt, name)(n, periodic, dtype=mt.float64)
    assert ours64.dtype == mt.float64
    assert_close(ours64, truth, np.float64, what=name)
    ours32 = getattr(mt, name)(n, periodic=periodic)
    assert ours32.dtype == mt.float32
    assert_f32_close(ours32, truth, torch32=getattr(torch, name)(n, periodic), what=name)


def test_window_parameters_match_torch():
    assert_close(mt.hamming_window(9, False, 0.6, 0.3, dtype=mt.float64),
                 torch.hamming_window(9, False, 0.6, 0.3, dtype=torch.float64), np.float64)
    assert_close(mt.kaiser_window(9, True, 5.0, dtype=mt.float64),
                 torch.kaiser_window(9, True, 5.0, dtype=torch.float64), np.float64)


@pytest.mark.parametrize("args", [(0, 1, 0.3), (1, 4), (5, -1, -1.5), (-2.5, 2.5, 0.5)])
def test_range_matches_torch(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = mt.range(*args, dtype=mt.float64), torch.range(*args, dtype=torch.float64)
        assert mt.range(*args).dtype == mt.float32
    assert_close(ours, theirs, np.float64)
    with pytest.warns(UserWarning, match="deprecated"):
        mt.range(0, 1)


@pytest.mark.parametrize("args, kw", [((0, 2, 5), {}), ((0, 3, 4), {"base": 2}), ((-1, 1, 1), {}),
                                      ((1.5, -2, 8), {"base": 3.0}), ((0, 1, 0), {})])
def test_logspace_matches_torch(args, kw):
    assert_close(mt.logspace(*args, **kw, dtype=mt.float64), torch.logspace(*args, **kw, dtype=torch.float64),
                 np.float64)
    assert mt.logspace(*args, **kw).dtype == mt.float32


def test_frombuffer_shares_memory_as_torch():
    buf = bytearray(np.arange(6, dtype=np.int32).tobytes())
    ours = mt.frombuffer(buf, dtype=mt.int32, count=3, offset=4)
    theirs = torch.frombuffer(bytearray(buf), dtype=torch.int32, count=3, offset=4)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    buf[4] = 9
    assert ours[0].item() == 9
    f = mt.frombuffer(array.array("d", [1.5, 2.5]), dtype=mt.float64)
    assert f.tolist() == [1.5, 2.5]
    with pytest.raises(ValueError, match="must be a multiple of element size"):
        mt.frombuffer(bytearray(5), dtype=mt.int32)


OPERANDS = [
    (np.int32, (3,)), (np.float64, ()), (np.int64, ()), (np.uint8, (2,)), (np.bool_, (2,)), (np.float16, (2,)),
]
NUMBERS = [2, 2.5, True]


def _both(dt, shape):
    a = np.ones(shape, dtype=dt)
    return mt.tensor(a), torch.from_numpy(a)


@pytest.mark.parametrize("i", range(len(OPERANDS)))
@pytest.mark.parametrize("j", range(len(OPERANDS) + len(NUMBERS)))
def test_result_type_matches_torch(i, j):
    a, ta = _both(*OPERANDS[i])
    b, tb = _both(*OPERANDS[j]) if j < len(OPERANDS) else (NUMBERS[j - len(OPERANDS)],) * 2
    assert str(mt.result_type(a, b)).split(".")[1] == str(torch.result_type(ta, tb)).split(".")[1]
    assert str(mt.result_type(b, a)).split(".")[1] == str(torch.result_type(tb, ta)).split(".")[1]


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("x", DTYPES)
@pytest.mark.parametrize("y", DTYPES)
def test_promote_types_and_can_cast_match_torch(x, y):
    ours = mt.promote_types(getattr(mt, x if x != "bool" else "bool_"), getattr(mt, y if y != "bool" else "bool_"))
    assert str(ours).split(".")[1] == str(torch.promote_types(getattr(torch, x), getattr(torch, y))).split(".")[1]
    assert mt.can_cast(getattr(mt, x if x != "bool" else "bool_"), getattr(mt, y if y != "bool" else "bool_")) == \
        torch.can_cast(getattr(torch, x), getattr(torch, y))


def test_seed_and_initial_seed():
    mt.manual_seed(1234)
    assert mt.initial_seed() == 1234
    s = mt.seed()
    assert mt.initial_seed() == s and 0 <= s < 2**63
    a = mt.rand(3)
    mt.manual_seed(s)
    np.testing.assert_array_equal(mt.rand(3).numpy(), a.numpy())


def test_number_and_type_questions_match_torch():
    for lib in (mt, torch):
        x = lib.zeros(2, 3, dtype=lib.float64)
        assert lib.numel(x) == 6 and lib.is_floating_point(x) and not lib.is_complex(x)
        assert lib.is_nonzero(lib.tensor([1.5])) and not lib.tensor(0).is_nonzero()
        for bad, msg in ((lib.tensor([1, 2]), "more than one value"), (lib.tensor([]), "no values")):
            with pytest.raises(RuntimeError, match=msg):
                lib.is_nonzero(bad)


def _info(lib):
    x = lib.arange(24, dtype=lib.float64).reshape(4, 6)
    v = x[1:, 2:]
    out = [x.element_size(), x.itemsize, x.nbytes, x.nelement(), x.ndimension(), v.storage_offset(),
           x.t().storage_offset(), x[2].storage_offset(), x.is_cpu, x.get_device(),
           v.data_ptr() - x.data_ptr(), x.is_same_size(x.t()), x.is_same_size(x * 2), x.is_pinned(),
           x.pin_memory() is x if lib is mt else True]
    for dt in ("uint8", "int8", "int16", "int64", "float32", "bool"):
        out.append(lib.zeros(1, dtype=getattr(lib, dt if dt != "bool" or lib is torch else "bool_")).is_signed())
    for cast in ("byte", "char", "short"):
        out.append(str(getattr(x, cast)().dtype).split(".")[1])
    return out


def test_tensor_attributes_match_torch():
    assert _info(mt) == _info(torch)


def test_legacy_new_apply_map_match_torch():
    res = []
    for lib in (mt, torch):
        x = lib.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=lib.float64)
        a, b, c = x.new(2, 3), x.new([1, 2]), x.new()
        d = x.new(lib.Size([4]))
        y = x.clone().apply_(lambda v: v * v + 1)
        z = x.clone().map_(lib.tensor([10.0, 20.0], dtype=lib.float64), lambda p, q: p - q)
        res.append((tuple(a.shape), str(a.dtype).split(".")[1], b.tolist(), str(b.dtype).split(".")[1],
                    tuple(c.shape), tuple(d.shape), y.tolist(), z.tolist()))
    assert res[0] == res[1]


def test_sum_to_size_matches_torch_with_gradient():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    g = np.random.default_rng(4).standard_normal((3, 1))
    res = []
    for lib in (mt, torch):
        t = lib.tensor(x, requires_grad=True)
        y = t.sum_to_size(3, 1)
        y.backward(lib.tensor(g))
        res.append((y, t.grad, t.sum_to_size((1, 3, 4))))
        with pytest.raises(RuntimeError, match="is not expandable to size"):
            t.sum_to_size(5)
    for o, th in zip(*res):
        assert_close(o, th, np.float64)


BAD = [
    (lambda lib: lib.hann_window(-1), RuntimeError, "requires non-negative window_length"),
    (lambda lib: lib.hann_window(3, dtype=lib.int64), RuntimeError, "hann_window expects floating point dtypes"),
    (lambda lib: lib.range(0, 1, -1), RuntimeError, "upper bound and lower bound inconsistent with step sign"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_input_raises_as_torch(k):
    fn, exc, msg = BAD[k]
    for lib in (torch, mt):
        with pytest.raises(exc, match=msg):
            fn(lib)
