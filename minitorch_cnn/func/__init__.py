"""``torch.func`` (functorch): function transforms that compose.

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``,
``functional_call``, ``stack_module_state``, ``replace_all_batch_norm_modules_``. Built on the tape autograd:
reverse mode with ``create_graph`` when nested (``_levels``), forward mode by the double-vjp trick (``jvp``), and
vmap as a loop over the mapped dimension (``vmap``); each file's docstring says what that costs and where it differs
from torch's batching.
"""

from .batch_norm import replace_all_batch_norm_modules_
from .functional_call import functional_call
from .grad import grad, grad_and_value
from .jacobian import hessian, jacfwd, jacrev
from .jvp import jvp
from .linearize import linearize
from .stack_module_state import stack_module_state
from .vjp import vjp
from .vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize",
           "replace_all_batch_norm_modules_", "stack_module_state", "vjp", "vmap"]
