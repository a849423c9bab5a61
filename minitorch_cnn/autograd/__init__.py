"""Floor 2: the autograd core."""

from . import (
    ctx_function,  # noqa: F401 - registers torch's custom-Function API with Function
    views,  # noqa: F401 - registers the re-derivation of stale views with Function
)
from .function import Function
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .size import Size
from .tensor import Tensor
from .tensor_str import get_printoptions, set_printoptions

__all__ = ["Function", "Size", "Tensor", "enable_grad", "get_printoptions", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "no_grad", "set_grad_enabled", "set_printoptions"]


def Variable(data: Tensor, requires_grad: bool = False) -> Tensor:  # noqa: N802 - torch's name
    """torch's old ``Variable(t)``: since torch 0.4 a Variable is a Tensor; as torch, a new tensor on ``t``'s
    storage, a leaf, requiring grad when asked (``t`` itself is left as it was)."""
    out = data.detach()
    return out.requires_grad_(True) if requires_grad else out


__all__ += ["Variable"]

from . import functional, graph  # noqa: E402
from .engine import grad  # noqa: E402
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402

__all__ += ["GradcheckError", "functional", "grad", "gradcheck", "gradgradcheck", "graph"]

from .anomaly_mode import (  # noqa: E402
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)

__all__ += ["detect_anomaly", "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "set_detect_anomaly"]
