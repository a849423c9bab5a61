"""``mt.backends``: which kernel implementation runs the hot loops (im2col/col2im, pooling).

    mt.backends.available()            # ['numpy', 'numba'] (+ 'cupy' with a GPU)
    mt.backends.set_kernels("numpy")   # every later call runs the NumPy reference; None: back to auto
    with mt.backends.use_kernels("numba"):
        ...

"auto" (the default, or ``$MINITORCH_KERNELS``) runs the fastest path present for each array's device.
"""

from .kernels.dispatch import available, selected, set_kernels, use_kernels

__all__ = ["available", "cudnn", "mps", "selected", "set_kernels", "use_kernels"]


class _Mps:
    """``mt.backends.mps``: Apple's Metal backend, which this library does not have."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class _Cudnn:
    """``mt.backends.cudnn``: scripts set ``benchmark``/``deterministic``; convolutions here do not go through
    cuDNN (our own kernels, deterministic already), so the flags are kept and change nothing."""

    benchmark = False
    deterministic = False
    enabled = True

    @staticmethod
    def is_available() -> bool:
        return False


mps = _Mps()
cudnn = _Cudnn()
