"""nn.utils.rnn against torch's: pad_sequence, pack_padded_sequence (sorted and not), pad_packed_sequence,
pack_sequence, unpad/unpack_sequence, PackedSequence's fields and methods, the gradients through packing and
padding under random upstream gradients, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

F64 = np.float64


def _seqs(lengths: list[int], feat: tuple = (2,), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n,) + feat) for n in lengths]


def _same_packed(a: object, b: object) -> None:
    assert_close(a.data.detach(), b.data.detach(), F64, what="data")
    assert a.batch_sizes.tolist() == b.batch_sizes.tolist() and a.batch_sizes.dtype == mt.int64
    for name in ("sorted_indices", "unsorted_indices"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if y is not None:
            assert x.tolist() == y.tolist() and x.dtype == mt.int64, name


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first: bool, padding_side: str) -> None:
    seqs = _seqs([3, 5, 1], (2, 2))
    g = np.random.default_rng(1).standard_normal((3, 5, 2, 2) if batch_first else (5, 3, 2, 2))
    res = []
    for lib in (mt, torch):
        ts = [lib.tensor(s, requires_grad=True) for s in seqs]
        out = lib.nn.utils.rnn.pad_sequence(ts, batch_first=batch_first, padding_value=-1.5,
                                            padding_side=padding_side)
        res.append([out] + list(lib.autograd.grad(out, ts, lib.tensor(g))))
    for k, (a, b) in enumerate(zip(*res)):
        assert_close(a.detach(), b.detach(), F64, what=f"result {k}")


@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]), (False, [3, 5, 1, 3]),
                                                     (False, [2, 2, 2, 2])])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_then_pad_matches_torch(enforce_sorted: bool, lengths: list, batch_first: bool) -> None:
    x = np.random.default_rng(2).standard_normal((4, 6, 2) if batch_first else (6, 4, 2))
    rng = np.random.default_rng(3)
    got = {}
    for lib in (torch, mt):
        rnn = lib.nn.utils.rnn
        xs = lib.tensor(x, requires_grad=True)
        lens = lengths if lib is mt else torch.tensor(lengths)  # both forms, each library
        packed = rnn.pack_padded_sequence(xs, lens, batch_first=batch_first, enforce_sorted=enforce_sorted)
        padded, out_lens = rnn.pad_packed_sequence(packed, batch_first=batch_first, padding_value=0.5,
                                                   total_length=7)
        if lib is torch:
            g_data, g_pad = rng.standard_normal(tuple(packed.data.shape)), rng.standard_normal(tuple(padded.shape))
        (dx,) = lib.autograd.grad([packed.data, padded], [xs], [lib.tensor(g_data), lib.tensor(g_pad)])
        got[lib.__name__] = (packed, padded, out_lens, dx)
    a, b = got["minitorch_cnn"], got["torch"]
    _same_packed(a[0], b[0])
    assert_close(a[1].detach(), b[1].detach(), F64, what="padded")
    assert a[2].tolist() == b[2].tolist() and a[2].dtype == mt.int64
    assert_close(a[3], b[3], F64, what="dx")


def test_pack_sequence_unpack_and_unpad_match_torch() -> None:
    seqs = _seqs([2, 4, 3], (3,))
    a = mt.nn.utils.rnn.pack_sequence([mt.tensor(s) for s in seqs], enforce_sorted=False)
    b = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    _same_packed(a, b)
    for x, y in zip(mt.nn.utils.rnn.unpack_sequence(a), torch.nn.utils.rnn.unpack_sequence(b)):
        assert_close(x, y, F64)
    sorted_seqs = [mt.tensor(s) for s in _seqs([4, 3, 2])]
    _same_packed(mt.nn.utils.rnn.pack_sequence(sorted_seqs),
                 torch.nn.utils.rnn.pack_sequence([torch.tensor(s.numpy()) for s in sorted_seqs]))
    padded = np.random.default_rng(4).standard_normal((5, 3, 2))
    for x, y in zip(mt.nn.utils.rnn.unpad_sequence(mt.tensor(padded), mt.tensor([5, 2, 3])),
                    torch.nn.utils.rnn.unpad_sequence(torch.tensor(padded), torch.tensor([5, 2, 3]))):
        assert_close(x, y, F64)


def test_packed_sequence_fields_and_methods() -> None:
    p = mt.nn.utils.rnn.pack_sequence([mt.tensor(s) for s in _seqs([2, 3])], enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = p  # a named tuple, as torch's
    assert p.float().data.dtype == mt.float32 and p.float().double().data.dtype == mt.float64
    assert p.to(mt.float64) is p and p.to(mt.float32).sorted_indices.dtype == mt.int64
    assert not p.is_cuda and p.cpu() is p
    q = mt.nn.utils.rnn.PackedSequence(data, batch_sizes, sorted_indices)
    assert q.unsorted_indices.tolist() == unsorted_indices.tolist() == [1, 0]
    assert mt.nn.utils.rnn.PackedSequence((data, batch_sizes)).sorted_indices is None
    perm = mt.tensor([2, 0, 3, 1])
    assert mt.nn.utils.rnn.invert_permutation(perm).tolist() == \
        torch.nn.utils.rnn.invert_permutation(torch.tensor([2, 0, 3, 1])).tolist()


def _errors(fn: object) -> tuple:
    got = []
    for lib in (torch, mt):
        with pytest.raises(Exception) as e:
            fn(lib, lib.nn.utils.rnn)
        got.append(e.value)
    return got[0], got[1]


@pytest.mark.parametrize("call", [
    lambda L, R: R.pack_padded_sequence(L.zeros(5, 3, 2), [2, 4, 5]),
    lambda L, R: R.pack_padded_sequence(L.zeros(5, 3, 2), [2, 4, 0], enforce_sorted=False),
    lambda L, R: R.pack_padded_sequence(L.zeros(5, 3, 2), [5, 4]),
    lambda L, R: R.pack_padded_sequence(L.zeros(5, 3, 2), [[5, 4, 3]]),
    lambda L, R: R.pad_packed_sequence(R.pack_sequence([L.zeros(5, 2), L.zeros(3, 2)]), total_length=3),
    lambda L, R: R.pack_sequence([L.zeros(2, 3), L.zeros(4, 3)]),
    lambda L, R: R.pad_sequence([L.zeros(2, 3)], padding_side="mid"),
    lambda L, R: R.pad_sequence([]),
], ids=["unsorted", "zero-length", "lengths-count", "lengths-2d", "total-length", "pack-unsorted", "side", "empty"])
def test_errors_as_torch(call: object) -> None:
    theirs, ours = _errors(call)
    assert type(ours) is type(theirs)
    assert str(theirs).replace("Long tensor", "tensor") in str(ours), (str(ours), str(theirs))


def test_errors_where_torch_reads_past_or_broadcasts() -> None:
    """A length past the padded steps (torch packs without a check) and sequences whose trailing shapes differ
    (torch's message is a broadcast's) raise a clear error before any work."""
    with pytest.raises(RuntimeError, match="a sequence length 7 exceeds the 5 time steps"):
        mt.nn.utils.rnn.pack_padded_sequence(mt.zeros(5, 3, 2), [7, 4, 1])
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \(4, 2\), but every sequence must be"):
        mt.nn.utils.rnn.pad_sequence([mt.zeros(2, 3), mt.zeros(4, 2)])
