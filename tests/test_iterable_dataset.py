"""IterableDataset, ChainDataset, a loader's mt.Generator and default_collate's strings against torch.utils.data:
the same batches (the order of a stream read by workers included), lengths and errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt


def _stream(lib: Any, start: int, end: int, split: bool) -> Any:
    """range(start, end) as an IterableDataset; ``split``: each worker yields its share (get_worker_info)."""

    class Stream(lib.utils.data.IterableDataset):
        def __iter__(self) -> Any:
            info = lib.utils.data.get_worker_info()
            if not split or info is None:
                return iter(range(start, end))
            per = int(math.ceil((end - start) / info.num_workers))
            lo = start + info.id * per
            return iter(range(lo, min(lo + per, end)))

    return Stream()


def _batches(loader: Any) -> list:
    return [b.tolist() if hasattr(b, "tolist") else b for b in loader]


@pytest.mark.parametrize(("workers", "batch_size", "drop_last", "split"), [
    (0, 1, False, False), (0, 3, False, False), (0, 3, True, False), (0, None, False, False),
    (2, 2, False, True), (3, 2, False, True), (2, 3, True, True), (2, 2, False, False),
])
def test_stream_batches_as_torch(workers: int, batch_size: int | None, drop_last: bool, split: bool) -> None:
    """Workers each read their copy; batches come from them in turn, skipping the ended (uneven shares
    included: 3 workers over 10 items get 4, 4, 2); without a split each worker yields everything, as torch's."""
    got = {}
    for lib in (torch, mt):
        loader = lib.utils.data.DataLoader(_stream(lib, 0, 10, split), batch_size=batch_size, drop_last=drop_last,
                                           num_workers=workers)
        got[lib.__name__] = _batches(loader)
    assert got["minitorch_cnn"] == got["torch"]


def test_persistent_workers_restart_the_stream_each_epoch() -> None:
    got = {}
    for lib in (torch, mt):
        loader = lib.utils.data.DataLoader(_stream(lib, 0, 5, True), batch_size=2, num_workers=2,
                                           persistent_workers=True)
        got[lib.__name__] = [_batches(loader) for _ in range(2)]
    assert got["minitorch_cnn"] == got["torch"]


def test_length_chain_and_errors() -> None:
    for lib in (torch, mt):
        data = lib.utils.data

        class Sized(data.IterableDataset):
            def __iter__(self) -> Any:
                return iter(range(7))

            def __len__(self) -> int:
                return 7

        assert len(data.DataLoader(Sized(), batch_size=3)) == 3
        assert len(data.DataLoader(Sized(), batch_size=3, drop_last=True)) == 2
        assert len(data.DataLoader(Sized(), batch_size=None)) == 7
        with pytest.raises(TypeError):
            len(data.DataLoader(_stream(lib, 0, 3, False)))
        assert [int(x) for x in data.DataLoader(Sized() + _stream(lib, 10, 12, False), batch_size=None)] == [
            0, 1, 2, 3, 4, 5, 6, 10, 11]
        with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
            data.DataLoader(Sized(), shuffle=True)
        with pytest.raises(ValueError, match="expected unspecified sampler option"):
            data.DataLoader(Sized(), sampler=range(3))
        with pytest.raises(ValueError, match="expected unspecified batch_sampler option"):
            data.DataLoader(Sized(), batch_sampler=[[0]])


def test_generator_shuffles_as_torch_and_reseeds_in_place() -> None:
    """A loader holding an mt.Generator shuffles as torch's with torch.Generator of the same seed, epoch after
    epoch, and ``manual_seed`` on the held generator restarts the sequence."""
    got = {}
    for lib in (torch, mt):
        g = lib.Generator().manual_seed(3)
        loader = lib.utils.data.DataLoader(list(range(10)), batch_size=4, shuffle=True, generator=g)
        first = [_batches(loader), _batches(loader)]
        g.manual_seed(3)
        assert _batches(loader) == first[0]
        got[lib.__name__] = first
    assert got["minitorch_cnn"] == got["torch"]
    with pytest.raises(RuntimeError, match="drawn on the CPU"):
        mt.Generator(device="cuda")


def test_collate_keeps_strings_as_given() -> None:
    """torch's default_collate returns a batch of strings as it came: a tuple from tuple samples, a list from
    dict samples; numbers and arrays become tensors of torch's dtypes."""
    batch = [("a", 1, np.float32(2.0), {"s": "x", "v": np.arange(2)}) for _ in range(2)]
    ours, theirs = mt.utils.data.default_collate(batch), torch.utils.data.default_collate(batch)
    assert ours[0] == theirs[0] == ("a", "a") and ours[3]["s"] == theirs[3]["s"] == ["x", "x"]
    for o, t in ((ours[1], theirs[1]), (ours[2], theirs[2]), (ours[3]["v"], theirs[3]["v"])):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(o.numpy(), t.numpy())
