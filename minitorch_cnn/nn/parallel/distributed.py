"""``DistributedDataParallel``: one model replica per rank, gradients averaged over the ranks, torch's rules.

At construction the ranks check that they hold the same model (names, shapes, dtypes) and take rank 0's
parameters and buffers. Before each forward that follows a synchronised one, rank 0's buffers (BatchNorm's
running statistics) are broadcast (``broadcast_buffers=True``). A forward with grad enabled and outside
``no_sync()`` announces a backward whose gradients the :class:`~.reducer.Reducer` averages; inside ``no_sync()``
gradients accumulate locally and the next synchronised backward reduces the accumulated sum.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ... import distributed as dist
from ...autograd import Tensor, is_grad_enabled
from ...autograd.edge import Edge
from ...backend import array_module
from ..module import Module
from .reducer import Reducer


def _broadcast_coalesced(tensors: list[Tensor], src: int) -> None:
    """Overwrite ``tensors`` with rank ``src``'s: one broadcast per dtype, of their values laid end to end.
    Written under the tensors' version counters, as torch's buffer sync is (not an autograd-visible change)."""
    groups: dict[Any, list[Tensor]] = {}
    for t in tensors:
        groups.setdefault((t.dtype, t.device.type), []).append(t)
    for group in groups.values():
        flat = array_module(group[0]._data).concatenate([t._data.reshape(-1) for t in group])  # a fresh array
        dist.broadcast(Tensor._wrap(flat), src)
        offset = 0
        for t in group:
            n = t.numel()
            t._data[...] = flat[offset : offset + n].reshape(t.shape)
            offset += n


def _reachable_leaves(output: Any) -> set[int]:
    """ids of the leaf tensors that the Tensors in ``output`` (nested in tuples, lists, dicts) depend on."""
    stack, seen_fn, leaves = [output], set(), set()
    while stack:
        obj = stack.pop()
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (Tensor, Edge)):
            fn = obj.grad_fn
            if fn is None:
                leaves.add(id(obj))
            elif id(fn) not in seen_fn:
                seen_fn.add(id(fn))
                stack.extend(t for t in fn.inputs if t is not None)
    return leaves


class DistributedDataParallel(Module):
    """Data-parallel training of ``module`` over the default process group (torch's ``DistributedDataParallel``).

    ``module`` must already be on this rank's device (so ``device_ids``/``output_device`` have nothing to move).
    Its state_dict keys gain the prefix ``module.``, as torch's. bucket_cap_mb: gradient bucket size in MiB
    (default 25); find_unused_parameters: parameters the output does not depend on count as reduced with a zero
    gradient instead of stalling the reduction (a parameter unused on every rank keeps its ``.grad``).
    ``gradient_as_bucket_view`` and ``static_graph`` are torch's memory and speed hints: accepted, and the results
    are the same without them.
    """

    def __init__(self, module: Module, device_ids: list | None = None, output_device: Any = None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group.")
        if process_group is not None:
            raise ValueError("DistributedDataParallel: mt.distributed has only the default process group: pass "
                             "process_group=None")
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        if dim != 0:
            raise ValueError(f"DistributedDataParallel splits nothing here: dim must be 0, got {dim}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view, self.static_graph = gradient_as_bucket_view, static_graph
        self.device_ids, self.output_device = device_ids, output_device
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self._verify_same_model()
        _broadcast_coalesced(list(module.parameters()) + list(module.buffers()), 0)
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        object.__setattr__(self, "reducer", Reducer(named, cap))

    def _verify_same_model(self) -> None:
        """Every rank must hold the same parameters and buffers (names, shapes, dtypes): say where they differ."""
        mine = [("parameter", n, tuple(p.shape), str(p.dtype)) for n, p in self.module.named_parameters()]
        mine += [("buffer", n, tuple(b.shape), str(b.dtype)) for n, b in self.module.named_buffers()]
        everyone: list = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, mine)
        for rank, theirs in enumerate(everyone):
            if theirs == everyone[0]:
                continue
            if len(theirs) != len(everyone[0]):
                detail = f"rank 0 has {len(everyone[0])} parameters and buffers, rank {rank} has {len(theirs)}"
            else:
                a, b = next((a, b) for a, b in zip(everyone[0], theirs) if a != b)
                detail = f"rank 0 has {a[0]} '{a[1]}' {a[2]} {a[3]}, rank {rank} has {b[0]} '{b[1]}' {b[2]} {b[3]}"
            raise RuntimeError(f"DistributedDataParallel expects the same model on every rank, but {detail}")

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Forwards (and their backwards) inside accumulate gradients locally, unreduced."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if self.require_forward_param_sync and self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_coalesced(buffers, 0)
        output = self.module(*inputs, **kwargs)
        if sync:
            self.require_forward_param_sync = True
            used = None
            if self.find_unused_parameters:
                reached = _reachable_leaves(output)
                used = {i for i, p in enumerate(self.reducer.params) if id(p) in reached}
            self.reducer.prepare(used)
        else:
            self.require_forward_param_sync = False
        return output
