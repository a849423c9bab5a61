"""``mt.backends``: which kernel implementation runs the hot loops (im2col/col2im, pooling).

    mt.backends.available()            # ['numpy', 'numba'] (+ 'cupy' with a GPU)
    mt.backends.set_kernels("numpy")   # every later call runs the NumPy reference; None: back to auto
    with mt.backends.use_kernels("numba"):
        ...

"auto" (the default, or ``$MINITORCH_KERNELS``) runs the fastest path present for each array's device.
"""

from .kernels.dispatch import available, selected, set_kernels, use_kernels

__all__ = ["available", "selected", "set_kernels", "use_kernels"]
