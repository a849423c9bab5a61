"""``mt.backends``: which kernel implementation runs the hot loops (im2col/col2im, pooling).

    mt.backends.available()            # ['numpy', 'numba'] (+ 'cupy' with a GPU)
    mt.backends.set_kernels("numpy")   # every later call runs the NumPy reference; None: back to auto
    with mt.backends.use_kernels("numba"):
        ...
    mt.backends.isa()                  # 'avx512' or 'avx2': the vector width of the compiled conv micro-kernels
    mt.backends.set_isa("avx2")        # force the narrower code (as an AVX2-only CPU runs it); None: the host's

"auto" (the default, or ``$MINITORCH_KERNELS``) runs the fastest path present for each array's device.
``mt.backends.cuda`` (its ``matmul`` flags), ``mt.backends.cudnn``, ``mt.backends.mha`` and ``mt.backends.mps``
are modules, as torch's are, so ``import
minitorch_cnn.backends.cudnn as cudnn`` works as scripts write it.
"""

from ..kernels.dispatch import available, selected, set_kernels, use_kernels
from ..kernels.microkernel import available_isas, isa, set_isa
from . import cuda, cudnn, mha, mps

__all__ = [
    "available", "available_isas", "cuda", "cudnn", "isa", "mha", "mps", "selected", "set_isa", "set_kernels",
    "use_kernels",
]
