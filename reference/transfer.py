"""Move weights between a minitorch_cnn model and its torch twin, and compare the two tensor by tensor.

Both sides are addressed by state_dict key (parameters and buffers, BatchNorm's running statistics and
``num_batches_tracked`` included), so the only contract is that the two models have the same keys.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch

import minitorch_cnn as mt

from .kinks import count_flips, trace_decisions


def is_torch(model: Any) -> bool:
    return isinstance(model, torch.nn.Module)


def to_numpy(t: Any) -> np.ndarray:
    """The NumPy array of a torch or minitorch tensor, sharing memory when it lives on the CPU."""
    return np.asarray(t.detach().cpu().numpy())


def state_arrays(model: Any) -> dict[str, np.ndarray]:
    """The model's state_dict as NumPy arrays (sharing the model's memory on the CPU), in the model's key order."""
    return {k: to_numpy(v) for k, v in model.state_dict().items()}


def _check_same_keys(src_keys: list[str], dst_keys: list[str], src: Any, dst: Any) -> None:
    missing = [k for k in dst_keys if k not in src_keys]
    unexpected = [k for k in src_keys if k not in dst_keys]
    if missing or unexpected:
        raise KeyError(
            f"state_dict keys differ between {type(src).__name__} (source) and {type(dst).__name__} (destination): "
            f"missing in source {missing}, not in destination {unexpected}"
        )


def copy_weights(src: Any, dst: Any) -> None:
    """Copy every parameter and buffer of ``src`` into ``dst`` by state_dict key, either direction.

    src, dst: a minitorch_cnn and a torch module (or two of the same kind). Values are cast to the dtype and
    moved to the device of the destination tensor; the keys must match exactly (checked before anything is copied).
    """
    arrays = state_arrays(src)
    dst_keys = list(dst.state_dict())
    _check_same_keys(list(arrays), dst_keys, src, dst)
    # both load_state_dicts copy into the existing tensors, casting dtype and moving device as they go
    dst.load_state_dict({k: torch.from_numpy(v) if is_torch(dst) else v for k, v in arrays.items()}, strict=True)


def max_abs(a: np.ndarray) -> float:
    """max|a| without a temporary array (0 for an empty one)."""
    return float(max(a.max(), -a.min())) if a.size else 0.0


def rel_err(ours: np.ndarray, theirs: np.ndarray) -> float:
    """max|a - b| / max|b| (absolute error when b is all zeros); in the arrays' own float dtype when they share one."""
    a, b = np.asarray(ours), np.asarray(theirs)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: ours {a.shape}, torch {b.shape}")
    if a.dtype != b.dtype or a.dtype.kind != "f":
        a, b = a.astype(np.float64), b.astype(np.float64)
    diff = np.asarray(a - b)  # 0-d inputs give a scalar
    np.abs(diff, out=diff)
    d, scale = max_abs(diff), max_abs(b)
    return d / scale if scale > 0 else d


class Row(NamedTuple):
    """One compared tensor: its relative error and the largest magnitude on each side."""

    name: str
    shape: tuple[int, ...]
    err: float
    max_ours: float
    max_torch: float


@dataclass
class Comparison:
    """Relative errors, one row per tensor: max|ours - torch| / max|torch|."""

    rows: list[Row] = field(default_factory=list)
    flips: int | None = None  # ReLU / max-pool decisions taken differently (when traced, see ``kinks``)

    def add(self, name: str, ours: Any, theirs: Any) -> None:
        if ours is None or theirs is None:
            if ours is not theirs:  # one side has it, the other does not: a real difference
                side = "ours" if ours is None else "torch"
                self.rows.append(Row(f"{name} (missing in {side})", (), float("inf"), 0.0, 0.0))
            return
        self.add_arrays(name, to_numpy(ours), to_numpy(theirs))

    def add_arrays(self, name: str, ours: np.ndarray, theirs: np.ndarray) -> None:
        err = rel_err(ours, theirs)
        self.rows.append(Row(name, tuple(theirs.shape), err, max_abs(ours), max_abs(theirs)))

    def worst(self, prefix: str = "") -> float:
        """The largest error among rows whose name starts with ``prefix``."""
        return max((r.err for r in self.rows if r.name.startswith(prefix)), default=0.0)

    def above(self, tol: float, prefix: str = "", skip: tuple[str, ...] = ()) -> list[Row]:
        """The rows (named with ``prefix``, not in ``skip``) whose error exceeds ``tol``."""
        return [r for r in self.rows if r.name.startswith(prefix) and r.name not in skip and not r.err <= tol]

    def vanishing(self, ratio: float, prefix: str = "grad/") -> list[Row]:
        """Rows (with ``prefix``) whose torch values are all below ``ratio`` × the largest among those rows.

        A conv bias followed by BatchNorm has a gradient that is zero in exact arithmetic (BN removes the mean);
        both sides hold rounding noise there, so its relative error means nothing and it is checked instead as
        "ours vanishes too" against the scale of the whole model's gradients.
        """
        rows = [r for r in self.rows if r.name.startswith(prefix)]
        scale = max((r.max_torch for r in rows), default=0.0)
        return [r for r in rows if r.max_torch < ratio * scale]

    def failures(self, tol: float) -> list[Row]:
        """The rows that break ``tol``: relative error above it, or, for a vanishing gradient (see ``vanishing``),
        ours not vanishing at the same ``tol`` × scale."""
        zero = self.vanishing(tol)
        scale = max((r.max_torch for r in self.rows if r.name.startswith("grad/")), default=0.0)
        return self.above(tol, skip=tuple(r.name for r in zero)) + [r for r in zero if not r.max_ours <= tol * scale]

    def __str__(self) -> str:
        width = max([len(r.name) for r in self.rows] + [6])
        lines = [f"{'tensor':<{width}}  {'shape':<20}  rel. error  max|torch|", "-" * (width + 46)]
        lines += [f"{r.name:<{width}}  {str(r.shape):<20}  {r.err:.3e}  {r.max_torch:.3e}" for r in self.rows]
        if self.flips is not None:
            lines.append(f"ReLU / max-pool decisions taken differently: {self.flips}")
        return "\n".join(lines)


def compare_state(ours: Any, twin: Any) -> Comparison:
    """Every parameter and buffer of the two models (``num_batches_tracked`` included), by state_dict key."""
    a, b = state_arrays(ours), state_arrays(twin)
    _check_same_keys(list(a), list(b), ours, twin)
    cmp = Comparison()
    for k, v in b.items():
        cmp.add_arrays(k, a[k], v)
    return cmp


def _loss_fns(ours: Any, loss: str | None) -> tuple[Any, Any]:
    name = loss or ("nll_loss" if getattr(ours, "returns_log_probs", False) else "cross_entropy")
    if name not in ("cross_entropy", "nll_loss"):
        raise ValueError(f"loss must be 'cross_entropy' or 'nll_loss', got {name!r}")
    return getattr(mt.nn.functional, name), getattr(torch.nn.functional, name)


def _dtype_device(ours: Any) -> tuple[Any, Any]:
    p = next(iter(ours.parameters()))
    return p.dtype, p.device


def forward_backward(
    ours: Any, twin: Any, x: np.ndarray, target: np.ndarray, loss: str | None = None, trace: bool = False
) -> dict:
    """One forward, loss and backward on each side from the same arrays; returns the tensors of both.

    x: (N, C, H, W) cast to the models' dtype; target: (N,) class indices. Gradients are zeroed first.
    ``trace``: also count the ReLU / max-pool decisions the two forwards took differently (``"flips"``).
    """
    ours_loss_fn, torch_loss_fn = _loss_fns(ours, loss)
    dtype, device = _dtype_device(ours)
    t_param = next(iter(twin.parameters()))
    xo = mt.tensor(np.asarray(x, dtype=dtype)).to(device)
    xo.requires_grad_(True)
    xt = torch.tensor(np.asarray(x), dtype=t_param.dtype, device=t_param.device, requires_grad=True)
    yo = mt.tensor(np.asarray(target, dtype=np.int64)).to(device)
    yt = torch.tensor(np.asarray(target, dtype=np.int64), device=t_param.device)
    ours.zero_grad()
    twin.zero_grad()
    ours_log: list = []
    torch_log: list = []
    with trace_decisions(ours_log, torch_log) if trace else nullcontext():
        out_o, out_t = ours(xo), twin(xt)
    loss_o, loss_t = ours_loss_fn(out_o, yo), torch_loss_fn(out_t, yt)
    loss_o.backward()
    loss_t.backward()
    flips = count_flips(ours_log, torch_log) if trace else None
    return {"output": (out_o, out_t), "loss": (loss_o, loss_t), "input": (xo, xt), "flips": flips}


def compare_models(
    ours: Any, twin: Any, x: np.ndarray, target: np.ndarray, loss: str | None = None, trace: bool = False
) -> Comparison:
    """Run both models on the same batch and compare output, loss, every gradient and every buffer.

    Rows: ``output``, ``loss``, ``grad/input``, ``grad/<param>`` for each parameter, ``buffer/<name>`` for each
    floating buffer after the forward pass (BatchNorm's running statistics in training mode). ``loss`` is
    'cross_entropy' or 'nll_loss'; by default nll_loss for models with ``returns_log_probs``. ``trace`` also
    counts the ReLU / max-pool decisions taken differently (``Comparison.flips``; see ``kinks``).
    """
    _check_same_keys(list(twin.state_dict()), list(ours.state_dict()), twin, ours)
    run = forward_backward(ours, twin, x, target, loss, trace)
    cmp = Comparison(flips=run["flips"])
    cmp.add("output", *run["output"])
    cmp.add("loss", *run["loss"])
    xo, xt = run["input"]
    cmp.add("grad/input", xo.grad, xt.grad)
    ours_params = dict(ours.named_parameters())
    for name, p in twin.named_parameters():
        cmp.add(f"grad/{name}", ours_params[name].grad, p.grad)
    ours_buffers = dict(ours.named_buffers())
    for name, b in twin.named_buffers():
        if b.is_floating_point():
            cmp.add(f"buffer/{name}", ours_buffers[name], b)
    return cmp
