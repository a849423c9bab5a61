"""Floor 2: the autograd core."""

from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor

__all__ = ["Function", "Tensor", "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]

from . import functional  # noqa: E402
from .engine import grad  # noqa: E402
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402

__all__ += ["GradcheckError", "functional", "grad", "gradcheck", "gradgradcheck"]
