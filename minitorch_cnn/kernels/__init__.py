"""Floor 2 (above backend, below autograd): the hot loops of conv and pooling, in interchangeable implementations.

``numpy_kernels`` is the readable reference; ``dispatch.get(name, arr)`` is the one place that picks the
implementation to run, by the array's type and the user's switch (``set_kernels``, ``use_kernels``,
``$MINITORCH_KERNELS``). ``conv_schedule`` runs a convolution's kernels over the thread pool in chunks;
``workspace`` recycles the big scratch buffers. ``threads`` is the thread policy, in force from here on:
importing the package applies it.
"""

from . import threads, workspace
from .dispatch import available, get, selected, set_kernels, use_kernels

__all__ = ["available", "get", "selected", "set_kernels", "threads", "use_kernels", "workspace"]

threads.set_num_threads(threads.default_threads())
