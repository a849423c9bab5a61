"""Where does my backprop differ from torch? A layer-by-layer parity report of a model against its torch twin.

``parity_report(ours, twin, x, y)`` copies the twin's weights into ours, runs one forward, loss and backward on
each side from the same arrays, and compares, for every leaf module call (a layer), with max|a-b| / max|b|:

- ``forward``: the layer's output;
- ``grad_output``: dL/d(output), the gradient the rest of the network sends back to the layer (summed over every
  consumer of the output, as autograd sums it);
- ``grad_input``: dL/d(input) through this layer alone (the layer's input is routed through an identity op of its
  own, so a tensor read by two layers, as in a ResNet block, gives each layer its own share);

then the loss, every parameter gradient, every floating buffer after the step (BatchNorm's running statistics)
and the gradient of the model's input.

The first divergence, the row past ``tol`` that names the culprit, is looked for in this order:

1. forward, in execution order: each layer's output (and, after a module's last call, its buffers), then the loss.
   A wrong forward poisons everything after it, so it is reported first.
2. backward, in backward order (reverse execution order, closest to the loss first, as the gradient flows): for
   each layer its ``grad_output``, then its parameter gradients (at the module's first call, when they are
   complete), then its ``grad_input``. A layer whose ``grad_output`` agrees but whose ``grad_input`` or parameter
   gradients do not has a wrong backward; a failing ``grad_output`` with agreeing layers after it points at the
   code between them (a functional op in ``forward``, e.g. ``F.relu``, or the loss).
3. parameter gradients of modules that ran no call, then the input gradient.

Two things that are not bugs: a parameter gradient that is zero in exact arithmetic (a conv bias right before
BatchNorm) holds rounding noise on both sides and is measured against the largest parameter gradient instead of
itself; and in float32 a ReLU or max-pool input lying within rounding of its kink can take the other branch on one
side, which shows as a ``grad_output`` divergence at one element. float64 (the default, tolerance 1e-9) tells the
two apart: a real bug stays, a kink flip goes.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

import minitorch_cnn as mt

from .transfer import copy_weights, is_torch, rel_err, to_numpy

# a whole model's forward and backward (the parity command, tests/test_models_parity.py); one op is held to
# tests/_parity.py's TOL
TOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}
TORCH_DTYPE = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}
MARK = "<-- first divergence"


@dataclass
class Row:
    """One line of the report.

    section: "layer" (one leaf-module call), "loss", "param" (a parameter's gradient), "buffer" (a buffer's value
    after the step) or "input" (dL/dx of the model's input). errors: quantity -> relative error (None where
    neither side has the tensor, e.g. the gradient of a frozen parameter; inf where only one side has it).
    """

    section: str
    name: str
    type: str
    shape: tuple[int, ...]
    errors: dict[str, float | None] = field(default_factory=dict)
    note: str = ""


@dataclass
class Divergence:
    """The first quantity past tolerance, in the order documented at the top of this module."""

    row: Row
    quantity: str
    error: float
    tol: float

    @property
    def direction(self) -> str:
        return "forward" if self.quantity in ("forward", "value") else "backward"

    def explain(self) -> str:
        what = {
            "forward": "its output differs while everything before it agrees: its forward (or a functional op "
            "between it and the previous layer) is wrong",
            "value": "this buffer differs after the forward pass: the layer's update of it is wrong",
            "grad_output": "the gradient arriving at its output differs while the layers after it agree: the "
            "culprit is between this layer and the next (a functional op in forward(), or the loss)"
            "; in float32 it can also be a ReLU/max-pool input within rounding of its kink taking the other "
            "branch on one side: run in float64 to tell",
            "grad_input": "the gradient of its output agrees but the gradient it sends to its input does not: "
            "its backward is wrong",
            "grad": "this parameter's gradient differs while the gradient of the layer's output agrees: the "
            "layer's backward for this parameter is wrong",
        }[self.quantity]
        kind = f" ({self.row.type})" if self.row.type else ""
        return (
            f"first divergence ({self.direction}): {self.row.name}{kind}, {self.quantity}: relative error "
            f"{_fmt(self.error)} > tol {self.tol:g}; {what}"
        )

    def __str__(self) -> str:
        return self.explain()


def _fmt(err: float | None) -> str:
    if err is None:
        return "--"
    return "nan" if math.isnan(err) else f"{err:.2e}"


def _err(ours: Any, theirs: Any) -> float | None:
    """Relative error of two tensors (or None when neither exists; inf when only one does or shapes differ)."""
    if ours is None and theirs is None:
        return None
    if ours is None or theirs is None:
        return math.inf
    a, b = to_numpy(ours), to_numpy(theirs)
    if a.shape != b.shape:
        return math.inf
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return 0.0 if np.array_equal(a, b, equal_nan=True) else math.nan
    return rel_err(a, b)


def _param_rows(ours: dict, theirs: dict, tol: float) -> dict[str, Row]:
    """One row per parameter gradient, keyed by name.

    A gradient that is zero in exact arithmetic (a conv bias right before BatchNorm: BN removes the mean) holds
    rounding noise on both sides, so max|ours - torch| / max|torch| means nothing there. When torch's values are
    all below tol × S (S: the largest |gradient| of any parameter), the error is measured against S instead.
    """
    grads = {k: (None if p.grad is None else to_numpy(p.grad)) for k, p in theirs.items()}
    scale = max((float(np.max(np.abs(g))) for g in grads.values() if g is not None and g.size), default=0.0)
    rows = {}
    for name, p in theirs.items():
        g, mine = grads[name], ours[name].grad
        row = Row("param", name, "", tuple(p.shape), {"grad": _err(mine, p.grad)})
        if g is not None and mine is not None and g.size and float(np.max(np.abs(g))) < tol * scale:
            row.errors["grad"] = float(np.max(np.abs(to_numpy(mine) - g))) / scale
            row.note = "vanishing: error relative to the largest parameter gradient"
        rows[name] = row
    return rows


def _past(err: float | None, tol: float) -> bool:
    return err is not None and not err <= tol  # NaN counts as past


@dataclass
class ParityReport:
    """The rows of one comparison; ``ok`` when nothing is past ``tol``; ``first_failure`` names the culprit."""

    title: str
    dtype: str
    tol: float
    rows: list[Row]
    order: list[tuple[Row, str]]  # (row, quantity) in the order the first divergence is looked for

    @property
    def first_failure(self) -> Divergence | None:
        for row, q in self.order:
            err = row.errors.get(q)
            if _past(err, self.tol):
                return Divergence(row, q, err, self.tol)
        return None

    @property
    def ok(self) -> bool:
        return self.first_failure is None

    def failures(self) -> list[tuple[Row, str]]:
        """Every (row, quantity) past tolerance, in the order of ``order``."""
        return [(r, q) for r, q in self.order if _past(r.errors.get(q), self.tol)]

    def to_dict(self) -> dict:
        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return str(v)
            return v

        first = self.first_failure
        return {
            "title": self.title,
            "dtype": self.dtype,
            "tol": self.tol,
            "ok": self.ok,
            "first_failure": None if first is None else {
                "name": first.row.name, "type": first.row.type, "section": first.row.section,
                "quantity": first.quantity, "direction": first.direction, "error": clean(first.error),
            },
            "rows": [
                {**asdict(r), "shape": list(r.shape), "errors": {k: clean(v) for k, v in r.errors.items()}}
                for r in self.rows
            ],
        }

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def format(self, color: bool = False) -> str:
        """The report as a table; ``color`` adds ANSI colours (red: first divergence, yellow: other failures)."""
        first = self.first_failure
        failing = {(id(r), q) for r, q in self.failures()}
        red, yellow, reset = ("\033[1;31m", "\033[33m", "\033[0m") if color else ("", "", "")

        def cell(row: Row, q: str, width: int = 10) -> str:
            text = f"{_fmt(row.errors.get(q)):>{width}}"
            if first is not None and first.row is row and first.quantity == q:
                return f"{red}{text}{reset}"
            return f"{yellow}{text}{reset}" if (id(row), q) in failing else text

        def mark(row: Row) -> str:
            return f"  {red}{MARK} ({first.quantity}){reset}" if first is not None and first.row is row else ""

        def table(rows: list[Row], quantities: list[str], heads: list[str]) -> list[str]:
            wn = max([len(r.name) for r in rows] + [5])
            wt = max([len(r.type) for r in rows] + [4])
            ws = max([len(str(r.shape)) for r in rows] + [5])
            head = f"{'name':<{wn}}  {'type':<{wt}}  {'shape':<{ws}}" + "".join(f"  {h:>10}" for h in heads)
            out = [head, "-" * len(head)]
            for r in rows:
                line = f"{r.name:<{wn}}  {r.type:<{wt}}  {str(r.shape):<{ws}}"
                note = f"  ({r.note})" if r.note else ""
                out.append(line + "".join(f"  {cell(r, q)}" for q in quantities) + mark(r) + note)
            return out

        lines = [self.title, f"dtype {self.dtype}, tolerance {self.tol:g} (relative: max|ours - torch| / max|torch|)"]
        sections = [
            ("layers, in execution order (forward: output; grad out: dL/d output; grad in: dL/d input via this layer)",
             "layer", ["forward", "grad_output", "grad_input"], ["forward", "grad out", "grad in"]),
            ("loss", "loss", ["forward"], ["value"]),
            ("parameter gradients", "param", ["grad"], ["grad"]),
            ("buffers after the step", "buffer", ["value"], ["value"]),
            ("model input gradient", "input", ["grad"], ["grad"]),
        ]
        for caption, section, quantities, heads in sections:
            rows = [r for r in self.rows if r.section == section]
            if rows:
                lines += ["", caption] + table(rows, quantities, heads)
        lines.append("")
        if first is None:
            lines.append(f"OK: every row within {self.tol:g}")
        else:
            n = len(self.failures())
            lines.append(f"{red}{first.explain()}{reset}")
            lines.append(f"{n} quantit{'y' if n == 1 else 'ies'} past tolerance in all (later ones may only inherit "
                         "the first divergence)")
        return "\n".join(lines)

    def show(self, file: Any = None) -> None:
        """Print the table, in colour when the stream is a terminal."""
        stream = sys.stdout if file is None else file
        print(self.format(color=hasattr(stream, "isatty") and stream.isatty()), file=stream)

    def __str__(self) -> str:
        return self.format(color=False)


class _Recorder:
    """Hooks on every leaf module of one side that keep each call's output and input alias with retained grads."""

    def __init__(self, model: Any) -> None:
        self.calls: list[dict] = []
        self.handles: list[Any] = []
        self._pending: dict[int, Any] = {}
        for name, module in model.named_modules():
            if any(True for _ in module.children()):
                continue  # containers: their leaves are the layers
            label = name or type(model).__name__  # a model that is a single layer
            self.handles.append(module.register_forward_pre_hook(self._pre(id(module))))
            self.handles.append(module.register_forward_hook(self._post(label)))

    @staticmethod
    def _alias(x: Any) -> Any:
        """An identity op of the layer's own (a copy: a same-shape view may return x itself), so its .grad is
        dL/dx through this layer only, and in-place ops in the layer cannot touch the previous layer's output."""
        return x.clone()

    def _pre(self, key: int) -> Any:
        def hook(module: Any, inputs: tuple) -> tuple | None:
            if not inputs or not _is_tensor(inputs[0]) or not inputs[0].requires_grad:
                self._pending[key] = None
                return None
            alias = self._alias(inputs[0])
            alias.retain_grad()
            self._pending[key] = alias
            return (alias,) + tuple(inputs[1:])

        return hook

    def _post(self, label: str) -> Any:
        def hook(module: Any, inputs: tuple, output: Any) -> None:
            if _is_tensor(output) and output.requires_grad:
                output.retain_grad()
            self.calls.append(
                {"name": label, "module": module, "type": type(module).__name__,
                 "input": self._pending.pop(id(module), None), "output": output}
            )

        return hook

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles.clear()


def _is_tensor(x: Any) -> bool:
    return isinstance(x, (torch.Tensor, mt.Tensor))


def _grad(t: Any) -> Any:
    return None if t is None else t.grad


def _loss_fns(ours: Any, loss: Any) -> tuple[str, Any, Any]:
    """(name, ours, torch) loss functions from a name in both ``functional`` modules or a (ours, torch) pair."""
    if loss is None:
        loss = "nll_loss" if getattr(ours, "returns_log_probs", False) else "cross_entropy"
    if isinstance(loss, str):
        if not (hasattr(mt.nn.functional, loss) and hasattr(torch.nn.functional, loss)):
            raise ValueError(f"parity_report: loss {loss!r} is not a function of both mt.nn.functional and "
                             "torch.nn.functional; pass a name like 'cross_entropy' or a (ours_fn, torch_fn) pair")
        return loss, getattr(mt.nn.functional, loss), getattr(torch.nn.functional, loss)
    ours_fn, torch_fn = loss
    return getattr(ours_fn, "__name__", "loss"), ours_fn, torch_fn


def _unique_names(calls: list[dict]) -> None:
    """A module called more than once gets ``name#2``, ``name#3`` ... for its later calls."""
    seen: dict[str, int] = {}
    for c in calls:
        seen[c["name"]] = seen.get(c["name"], 0) + 1
        c["call"] = seen[c["name"]]
        if c["call"] > 1:
            c["name"] = f"{c['name']}#{c['call']}"


def parity_report(
    ours: Any,
    twin: torch.nn.Module,
    inputs: np.ndarray,
    target: np.ndarray,
    loss: Any = None,
    dtype: Any = None,
    tol: float | None = None,
    train: bool = True,
    copy: bool = True,
    title: str | None = None,
) -> ParityReport:
    """Compare one training step of ``ours`` and its torch ``twin``, layer by layer (see the module docstring).

    inputs: (N, C, H, W) array (any float dtype; cast to the models' dtype); target: (N,) class indices.
    loss: a name in both ``functional`` modules ('cross_entropy', 'nll_loss' ...) or an (ours_fn, torch_fn)
    pair; default nll_loss for models with ``returns_log_probs``, else cross_entropy. dtype: float64 or float32
    (both models are cast to it; default: the dtype of ours). tol: default 1e-9 for float64, 1e-4 for float32.
    train: run both in training mode (BatchNorm with batch statistics; build dropout models with p=0).
    copy: copy the twin's weights and buffers into ours first (reference.transfer.copy_weights).
    """
    if not is_torch(twin) or is_torch(ours):
        raise TypeError(
            f"parity_report(ours, twin, ...): expected a minitorch_cnn model then its torch twin, got "
            f"{type(ours).__name__} and {type(twin).__name__}"
        )
    dtype = np.dtype(dtype) if dtype is not None else np.dtype(next(iter(ours.parameters())).dtype)
    if dtype not in TOL:
        raise ValueError(f"parity_report: dtype must be float64 or float32, got {dtype}")
    tol = TOL[dtype] if tol is None else float(tol)
    ours.to(dtype)
    twin.to(TORCH_DTYPE[dtype])
    if copy:
        copy_weights(twin, ours)
    ours.train(train)
    twin.train(train)
    loss_name, ours_loss, torch_loss = _loss_fns(ours, loss)
    device = next(iter(ours.parameters())).device

    x_np = np.asarray(inputs, dtype=dtype)
    y_np = np.asarray(target, dtype=np.int64)
    xo = mt.tensor(x_np).to(device).requires_grad_(True)
    xt = torch.tensor(x_np, requires_grad=True)
    yo, yt = mt.tensor(y_np).to(device), torch.tensor(y_np)

    rec_o, rec_t = _Recorder(ours), _Recorder(twin)
    ours.zero_grad()
    twin.zero_grad()
    try:
        loss_o = ours_loss(ours(xo), yo)
        loss_t = torch_loss(twin(xt), yt)
    finally:
        rec_o.remove()
        rec_t.remove()
    loss_o.backward()
    loss_t.backward()

    calls_o, calls_t = rec_o.calls, rec_t.calls
    _unique_names(calls_o)
    _unique_names(calls_t)
    if [c["name"] for c in calls_o] != [c["name"] for c in calls_t]:
        mismatch = next(
            (i for i, (a, b) in enumerate(zip(calls_o, calls_t)) if a["name"] != b["name"]),
            min(len(calls_o), len(calls_t)),
        )
        raise RuntimeError(
            f"parity_report: the two models call their layers differently: call {mismatch} is "
            f"{calls_o[mismatch]['name'] if mismatch < len(calls_o) else 'nothing'} in ours and "
            f"{calls_t[mismatch]['name'] if mismatch < len(calls_t) else 'nothing'} in the twin"
        )

    layer_rows = []
    for co, ct in zip(calls_o, calls_t):
        out_o, out_t = co["output"], ct["output"]
        layer_rows.append(Row("layer", co["name"], co["type"], tuple(out_t.shape), {
            "forward": _err(out_o, out_t),
            "grad_output": _err(_grad(out_o), _grad(out_t)),
            "grad_input": _err(_grad(co["input"]), _grad(ct["input"])),
        }))
    loss_row = Row("loss", loss_name, "", (), {"forward": _err(loss_o, loss_t)})

    params_o = dict(ours.named_parameters())
    param_rows = _param_rows(params_o, dict(twin.named_parameters()), tol)
    buffers_o = dict(ours.named_buffers())
    buffer_rows = {
        name: Row("buffer", name, "", tuple(b.shape), {"value": _err(buffers_o[name], b)})
        for name, b in twin.named_buffers()
    }
    input_row = Row("input", "input", "", tuple(xt.shape), {"grad": _err(xo.grad, xt.grad)})

    # which module (by its label in the calls) owns each parameter and buffer
    def owner(key: str) -> str:
        return key.rsplit(".", 1)[0] if "." in key else type(ours).__name__

    first_call = {}
    last_call = {}
    for i, c in enumerate(calls_o):
        base = c["name"].split("#")[0]
        first_call.setdefault(base, i)
        last_call[base] = i

    order: list[tuple[Row, str]] = []
    for i, row in enumerate(layer_rows):
        order.append((row, "forward"))
        base = row.name.split("#")[0]
        if last_call[base] == i:
            order += [(r, "value") for k, r in buffer_rows.items() if owner(k) == base]
    order += [(r, "value") for k, r in buffer_rows.items() if owner(k) not in last_call]
    order.append((loss_row, "forward"))
    for i in range(len(layer_rows) - 1, -1, -1):
        row = layer_rows[i]
        base = row.name.split("#")[0]
        order.append((row, "grad_output"))
        if first_call[base] == i:
            order += [(r, "grad") for k, r in param_rows.items() if owner(k) == base]
        order.append((row, "grad_input"))
    order += [(r, "grad") for k, r in param_rows.items() if owner(k) not in first_call]
    order.append((input_row, "grad"))

    rows = layer_rows + [loss_row] + list(param_rows.values()) + list(buffer_rows.values()) + [input_row]
    title = title or f"parity of {type(ours).__name__} (minitorch_cnn) against {type(twin).__name__} (torch), " \
        f"batch {tuple(x_np.shape)}, {'training' if train else 'eval'} mode, loss {loss_name}"
    return ParityReport(title, str(dtype), tol, rows, order)
