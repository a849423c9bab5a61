"""How multiprocessing pickles tensors (its ``ForkingPickler``: process arguments under ``spawn``/``forkserver``,
Queues, Pipes), as torch's reductions: a tensor in shared memory travels as a duplicate of its segment's file
descriptor plus where it sits in the segment, and the receiver maps the same pages (a write on either side is seen
by the other); any other tensor is pickled by value, as ``pickle`` does. (torch moves such a tensor to shared
memory on the way; here ``share_memory_()`` it first to share it.)
"""

from __future__ import annotations

from multiprocessing.reduction import DupFd, ForkingPickler
from typing import Any

from ..autograd import Tensor
from ..backend import shared_memory
from ..nn.parameter import Parameter


def rebuild_shared_tensor(cls: type, fd: Any, nbytes: int, offset: int, shape: tuple, strides: tuple, dtype: str,
                          requires_grad: bool) -> Tensor:
    """The receiving side: the segment mapped from the descriptor, the tensor viewing it at ``offset``."""
    segment = shared_memory.attach(fd.detach(), nbytes)
    t = cls._wrap(shared_memory.array_on(segment, offset, shape, strides, dtype))
    t.requires_grad = requires_grad
    return t


def reduce_tensor(t: Tensor) -> tuple:
    """A shared tensor by descriptor, any other by value (``Tensor.__reduce_ex__``)."""
    found = shared_memory.segment_of(t._data)
    if found is None:
        return t.__reduce_ex__(2)
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does "
                           "not support crossing process boundaries.  If you just want to transfer the data, call "
                           "detach() on the tensor before serializing (e.g., putting it on the queue).")
    segment, offset = found
    a = t._data
    return (rebuild_shared_tensor, (type(t), DupFd(segment.fd), len(segment), offset, a.shape, a.strides,
                                    a.dtype.str, t.requires_grad))


def init_reductions() -> None:
    """Register the tensor reduction with multiprocessing's pickler (done when ``mt.multiprocessing`` loads)."""
    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, reduce_tensor)
