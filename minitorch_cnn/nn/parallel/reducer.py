"""DistributedDataParallel's gradient reduction: buckets, readiness, and the all-reduce, torch's ``Reducer``.

Parameters go into buckets in reverse registration order (the order backward produces their gradients), a new
bucket starting once one holds ``bucket_cap`` bytes (the first one 1 MiB, as torch's ``_DEFAULT_FIRST_BUCKET_BYTES``)
or the dtype changes. A hook after each parameter's gradient is accumulated copies ``grad · (1/world_size)`` into
its bucket (torch multiplies while copying, so 2 ranks give torch's bits: ``a·½ + b·½``); a bucket whose
gradients are all in is all-reduced (SUM, started non-blocking), buckets always in order so every rank issues
the same collectives; when the last is started, all are waited on and the sums copied back into ``.grad``.

When the reduction runs: this framework's backward accumulates every leaf's ``.grad`` after its sweep (see
``autograd/engine.py``), so the hooks all fire once backward's compute is over and the reduction follows backward
rather than overlapping it. Buckets are still started as they fill, so the MPI library can move one while the
next is being copied in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import distributed as dist
from ...autograd import Tensor
from ...backend import array_module, move_to
from ..parameter import Parameter

FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    """Parameters (indices into the reducer's list) sharing one flat array that is all-reduced at once."""

    def __init__(self, indices: list[int], params: Sequence[Parameter]) -> None:
        self.indices = indices
        sizes = [params[i].numel() for i in indices]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        first = params[indices[0]]._data
        self.flat = array_module(first).empty(self.offsets[-1], dtype=first.dtype)
        self.pending = len(indices)
        self.work: Any = None


class Reducer:
    """Averages the gradients of ``params`` over the ranks after each backward that ``prepare`` announced."""

    def __init__(self, named_params: Sequence[tuple[str, Parameter]], bucket_cap_bytes: int) -> None:
        self.names = [n for n, _ in named_params]
        self.params = [p for _, p in named_params]
        self.world_size = dist.get_world_size()
        self.buckets = self._assign(bucket_cap_bytes)
        self.bucket_of = {i: b for b in self.buckets for i in b.indices}
        self.expect = False  # a forward announced a backward whose gradients must be reduced
        self.ready: set[int] = set()
        self.unused: list[int] = []  # this iteration's parameters that the output does not depend on
        self.next_bucket = 0
        self.handles = [p.register_post_accumulate_grad_hook(lambda p, i=i: self._mark_ready(i))
                        for i, p in enumerate(self.params)]

    def _assign(self, cap: int) -> list[_Bucket]:
        buckets, current, size, limit = [], [], 0, FIRST_BUCKET_BYTES
        for i in reversed(range(len(self.params))):
            p = self.params[i]
            if current and (p.dtype != self.params[current[0]].dtype or p.device != self.params[current[0]].device):
                buckets.append(current)
                current, size = [], 0
            current.append(i)
            size += p.numel() * p.dtype.itemsize
            if size >= limit:
                buckets.append(current)
                current, size, limit = [], 0, cap
        if current:
            buckets.append(current)
        return [_Bucket(idx, self.params) for idx in buckets]

    def prepare(self, used: set[int] | None) -> None:
        """A forward is about to make a backward whose gradients are reduced. ``used``: the parameters the output
        depends on (find_unused_parameters), the others counted as ready with a zero gradient; None: all."""
        if self.expect and self.ready:
            missing = [self.names[i] for i in range(len(self.params)) if i not in self.ready]
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                f"`DistributedDataParallel`. Parameters that did not receive a gradient: {', '.join(missing)}"
            )
        self.expect, self.ready, self.next_bucket = True, set(), 0
        for b in self.buckets:
            b.pending, b.work = len(b.indices), None
        self.unused = [] if used is None else [i for i in range(len(self.params)) if i not in used]

    def _mark_ready(self, i: int) -> None:
        if not self.expect:
            return
        if i in self.ready:
            raise RuntimeError(
                f"Expected to mark a variable ready only once: parameter {self.names[i]} got its gradient twice in "
                "one iteration (backward through the DDP output twice, or a reentrant backward)"
            )
        self.ready.add(i)
        self.bucket_of[i].pending -= 1
        if len(self.ready) == len(self.params) - len(self.unused) and self.unused:
            for j in self.unused:  # the unused ones join with zero gradients once all others are in
                self.ready.add(j)
                self.bucket_of[j].pending -= 1
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            self._launch(self.buckets[self.next_bucket])
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _launch(self, b: _Bucket) -> None:
        scale = b.flat.dtype.type(1.0 / self.world_size)
        for k, i in enumerate(b.indices):
            view, g = b.flat[b.offsets[k] : b.offsets[k + 1]], self.params[i].grad
            if g is None:
                view[...] = 0
            else:
                array_module(view).multiply(g._data.reshape(-1), scale, out=view)
        b.work = dist.all_reduce(Tensor._wrap(b.flat), async_op=True)

    def _finalize(self) -> None:
        used_somewhere = None
        if self.unused:
            flags = np.ones(len(self.params), dtype=np.int32)
            flags[self.unused] = 0
            flags_t = Tensor._wrap(move_to(flags, self.params[0].device))
            dist.all_reduce(flags_t, dist.ReduceOp.MAX)
            used_somewhere = move_to(flags_t._data, "cpu")
        for b in self.buckets:
            b.work.wait()
            for k, i in enumerate(b.indices):
                if used_somewhere is not None and not used_somewhere[i]:
                    continue  # unused on every rank: its .grad stays as it was, as in torch
                p = self.params[i]
                reduced = b.flat[b.offsets[k] : b.offsets[k + 1]].reshape(p.shape)
                if p.grad is None:
                    p.grad = Tensor._wrap(reduced.copy())
                else:
                    p.grad._data[...] = reduced
        self.expect = False

    def remove_hooks(self) -> None:
        for h in self.handles:
            h.remove()
