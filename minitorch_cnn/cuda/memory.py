"""``mt.cuda.empty_cache``: hand the memory pool's unused GPU blocks back to the driver, as
``torch.cuda.empty_cache`` releases the caching allocator's; a no-op without a GPU, as torch's is."""

from __future__ import annotations

from .. import backend


def empty_cache() -> None:
    """Free the cached, unoccupied blocks of CuPy's default memory pools (nothing to do on the CPU)."""
    if backend.cuda_available():
        cp = backend.require_cuda()
        cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()
