"""``mt.nn.utils.rnn``: sequences of different lengths as one padded tensor or one ``PackedSequence``.

A packed sequence is time-major: ``data`` (sum of lengths, *) holds, for t = 0, 1, ..., the t-th element of every
sequence at least t + 1 long, in batch order; ``batch_sizes[t]`` (an int64 CPU tensor) counts them, so it never
grows. Its sequences are sorted longest first; ``sorted_indices`` (None when the caller sorted them) says where in
the caller's batch each came from and ``unsorted_indices`` inverts it. Every function here is made of
differentiable ops (slicing, cat, stack, indexing), so gradients flow through packing and padding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from ...autograd import Tensor
from ...ops.factories import as_tensor, full
from ...ops.shape import cat, stack

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
    "pad_sequence", "unpack_sequence", "unpad_sequence",
]


class PackedSequence_(NamedTuple):  # noqa: N801 - torch's name
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """A batch of sequences packed time-major (see the module docstring); made by :func:`pack_padded_sequence`
    or :func:`pack_sequence`, accepted by ``RNN``, ``LSTM`` and ``GRU``. ``PackedSequence(data, batch_sizes,
    sorted_indices)`` fills ``unsorted_indices`` in; ``PackedSequence((data, batch_sizes))`` is torch's other
    form."""

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor, indices: Any = None) -> PackedSequence:
        move = (lambda t: t) if indices is None else indices
        return type(self)(data, self.batch_sizes, None if self.sorted_indices is None else move(self.sorted_indices),
                          None if self.unsorted_indices is None else move(self.unsorted_indices))

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(...)``; the indices follow to its device (never its dtype), ``batch_sizes`` stays on the
        CPU. Returns ``self`` when ``data`` does not change, as torch."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return self._with_data(data, lambda t: t.to(data.device))

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:  # noqa: A003 - torch's name
        return self._with_data(self.data.float())

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None for None)."""
    if permutation is None:
        return None
    perm = permutation.cpu().numpy()
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.shape[0], dtype=perm.dtype)
    return as_tensor(inv, device=permutation.device)


def _lengths(lengths: Any) -> np.ndarray:
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device.type} tensor")
        return lengths.cpu().numpy().astype(np.int64)
    arr = np.asarray(lengths, dtype=np.int64)
    if arr.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D cpu tensor")
    return arr


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,  # noqa: A002 - torch's name
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack ``input`` (T, B, *) (or (B, T, *) with ``batch_first``) whose sequence b is ``lengths[b]`` long.
    ``enforce_sorted``: the lengths must already decrease; otherwise they are sorted (stable, longest first)."""
    lens = _lengths(lengths)
    if input.dim() < 2:
        raise IndexError(f"pack_padded_sequence: expected input of at least 2 dimensions (time and batch), got "
                         f"{input.dim()}")
    x = input.transpose(0, 1) if batch_first else input
    steps, batch = x.shape[0], x.shape[1]
    if lens.shape[0] != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
                           f"(batch_size={batch})")
    if batch and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if batch and lens.max() > steps:
        raise RuntimeError(f"pack_padded_sequence: a sequence length {int(lens.max())} exceeds the {steps} time "
                           "steps of the padded input")
    sorted_indices = None
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
    else:
        order = np.argsort(-lens, kind="stable")  # torch's sort: ties keep their order
        lens = lens[order]
        sorted_indices = as_tensor(order, device=input.device)
        x = x[:, sorted_indices]
    batch_sizes = (lens[None, :] > np.arange(int(lens[0]) if batch else 0)[:, None]).sum(1)
    data = cat([x[t, :int(bs)] for t, bs in enumerate(batch_sizes)], 0)
    return PackedSequence(data, as_tensor(batch_sizes.astype(np.int64)), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: (padded (T, B, *) or (B, T, *), lengths int64 (B,)), in the caller's
    original batch order; T is the longest length, or ``total_length``."""
    data, batch_sizes = sequence.data, sequence.batch_sizes.numpy().astype(np.int64)
    steps = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    batch, feat = int(batch_sizes[0]), tuple(data.shape[1:])
    rows, start = [], 0
    for bs in batch_sizes:
        bs = int(bs)
        step = data[start:start + bs]
        start += bs
        if bs < batch:
            step = cat([step, full((batch - bs, *feat), padding_value, dtype=data.dtype, device=data.device)], 0)
        rows.append(step)
    if steps > len(rows):
        rows += [full((batch, *feat), padding_value, dtype=data.dtype, device=data.device)] * (steps - len(rows))
    padded = stack(rows, 1 if batch_first else 0)
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded[unsorted] if batch_first else padded[:, unsorted]
        lengths = lengths[unsorted.cpu().numpy()]
    return padded, as_tensor(lengths)


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Sequences (L_i, *) padded with ``padding_value`` to the longest and stacked: (L, B, *), or (B, L, *) with
    ``batch_first``; ``padding_side='left'`` pads before each sequence instead of after."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    seqs = list(sequences)  # a Tensor is its rows, as torch reads it
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    trail = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if s.dim() == 0 or tuple(s.shape[1:]) != trail:
            raise RuntimeError(f"pad_sequence: sequence {i} has shape {tuple(s.shape)}, but every sequence must be "
                               f"(length, *{trail}) as sequence 0 {tuple(seqs[0].shape)}")
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        if s.shape[0] < longest:
            fill = full((longest - s.shape[0], *trail), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *), longest first unless ``enforce_sorted=False``."""
    lengths = [v.shape[0] for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The list of sequences (lengths[b], *) that :func:`pad_sequence` padded."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b, :int(n)] for b, n in enumerate(_lengths(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences that :func:`pack_sequence` packed, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
