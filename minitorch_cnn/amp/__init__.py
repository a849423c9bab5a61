"""``mt.amp``: mixed-precision training as scripts write it (``autocast``, ``GradScaler``), as ``torch.amp``.

Everything here computes in float32 or float64: an ``autocast`` that would lower precision is refused with a
clear error (or, for "cuda" without a GPU, disabled with torch's warning, as torch does); ``GradScaler`` does
torch's loss scaling, inf/NaN checks, step skipping and scale updates exactly, enabled or not.
"""

from .autocast_mode import autocast, is_autocast_enabled
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "is_autocast_enabled"]
