"""Torch twins of the model zoo and the tools that hold minitorch_cnn against them.

- ``models``: the torch twin of every model in ``minitorch_cnn.models`` (same state_dict keys); ``get_twin(name)``.
- ``transfer``: ``copy_weights(src, dst)`` either direction; ``compare_models`` / ``compare_state`` return a
  per-tensor table of relative errors (``Comparison``; ``print`` it).
- ``trajectory``: ``train_side_by_side`` runs both for many optimizer steps on the same batches.
- ``kinks``: traces the ReLU / max-pool decisions of both sides, to tell a well-posed gradient comparison.
- ``parity``: ``parity_report`` — layer by layer, where do ours and torch first diverge.
- ``data``: real MNIST / CIFAR-10 batches read with plain NumPy.

Needs torch; the framework itself never imports this package.
"""

from .kinks import count_flips, trace_decisions
from .models import TWINS, get_twin
from .parity import ParityReport, parity_report
from .trajectory import Trajectory, train_side_by_side
from .transfer import Comparison, Row, compare_models, compare_state, copy_weights, rel_err, state_arrays

__all__ = [
    "TWINS",
    "Comparison",
    "ParityReport",
    "Row",
    "Trajectory",
    "compare_models",
    "compare_state",
    "copy_weights",
    "count_flips",
    "get_twin",
    "parity_report",
    "rel_err",
    "state_arrays",
    "trace_decisions",
    "train_side_by_side",
]
