"""``mt.summary(model, input_size)``: a layer table like torchinfo's, with output shapes, parameters and mult-adds.

One forward pass of zeros (eval mode, no_grad; the model's modes are restored afterwards) with a hook on every
module records each call. Rules:

- rows: one per module call, in call order, a container before what it contains (nesting shown by indentation);
  a module called twice (a shared pooling layer) has two rows.
- ``Param #``: the parameters the module holds itself (not its children's), counted at its first call ("--"
  when it holds none), so the column adds up to the total; shared parameters count once.
- ``Mult-adds``: multiply-accumulates per forward pass of the given batch: ``Conv2d``: output elements ×
  (C_in / groups) × kH × kW; ``Linear``: output elements × in_features. Bias additions, BatchNorm, activations,
  pooling and the ops in ``forward`` between modules are not counted ("--"): they are memory-bound, and the
  convolution and matrix products are what a FLOP count is about. torchinfo's "Total mult-adds" uses the same
  rule for Conv2d and Linear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad

__all__ = ["LayerInfo", "ModelSummary", "summary"]


@dataclass
class LayerInfo:
    """One module call: dotted ``name``, ``type``, nesting ``depth`` (1 for the model's children)."""

    name: str
    type: str
    depth: int
    output_shape: tuple[int, ...] | None
    num_params: int | None  # None: a later call of a module already counted, or one holding no parameters
    mult_adds: int | None  # None: not counted (see the module docstring)
    is_leaf: bool


@dataclass
class ModelSummary:
    """What ``summary`` measured; ``str()`` is the table."""

    model_name: str
    input_size: tuple[int, ...]
    dtype: np.dtype
    rows: list[LayerInfo] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_mult_adds: int = 0
    params_bytes: int = 0
    input_bytes: int = 0
    output_bytes: int = 0  # the outputs of every leaf-module call, what a backward pass would keep

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        def num(v: int | None) -> str:
            return "--" if v is None else f"{v:,}"

        names = [f"{'  ' * (r.depth - 1)}{r.name.rsplit('.', 1)[-1] or self.model_name} ({r.type})" for r in self.rows]
        shapes = ["--" if r.output_shape is None else str(list(r.output_shape)) for r in self.rows]
        w0 = max([len(n) for n in names] + [len(self.model_name), 12])
        w1 = max([len(s) for s in shapes] + [12])
        head = f"{'Layer (type)':<{w0}}  {'Output shape':<{w1}}  {'Param #':>12}  {'Mult-adds':>15}"
        rule = "=" * len(head)
        lines = [rule, head, rule, self.model_name]
        lines += [
            f"{n:<{w0}}  {s:<{w1}}  {num(r.num_params):>12}  {num(r.mult_adds):>15}"
            for n, s, r in zip(names, shapes, self.rows)
        ]
        mb = 1024.0 ** 2
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            f"Total mult-adds: {self.total_mult_adds:,} ({self.total_mult_adds / 1e6:.2f} M)",
            rule,
            f"Input size {list(self.input_size)} {self.dtype} (MB): {self.input_bytes / mb:.2f}",
            f"Leaf-layer outputs (MB): {self.output_bytes / mb:.2f}",
            f"Params size (MB): {self.params_bytes / mb:.2f}",
            f"Estimated total size (MB): {(self.input_bytes + self.output_bytes + self.params_bytes) / mb:.2f}",
            rule,
        ]
        return "\n".join(lines)


def _mult_adds(module: Any, output: Any) -> int | None:
    from .. import nn

    if isinstance(module, nn.Conv2d):
        return int(output.numel()) * (module.in_channels // module.groups) * int(np.prod(module.kernel_size))
    if isinstance(module, nn.Linear):
        return int(output.numel()) * module.in_features
    return None


def summary(
    model: Any,
    input_size: Sequence[int],
    dtype: Any = None,
    device: Any = None,
    verbose: int = 1,
) -> ModelSummary:
    """Run ``model`` once on zeros of ``input_size`` and tabulate every module call.

    input_size: the full input shape with the batch dimension, e.g. (1, 3, 32, 32) (mult-adds scale with it).
    dtype, device: of the input (default: those of the model's first parameter, else the default dtype and cpu).
    verbose: 1 prints the table (as torchinfo does), 0 only returns it.
    """
    input_size = tuple(int(s) for s in input_size)
    if not input_size or any(s <= 0 for s in input_size):
        raise ValueError(f"summary: input_size must be a shape with the batch dimension, e.g. (1, 3, 32, 32); "
                         f"got {input_size}")
    params = list(model.parameters())
    if dtype is None:
        dtype = params[0].dtype if params else backend.get_default_dtype()
    if device is None:
        device = params[0].device if params else "cpu"
    dtype = backend.to_dtype(dtype)

    rows: list[LayerInfo] = []
    pending: dict[int, list[int]] = {}  # id(module) -> indices of its rows still waiting for an output
    counted: set[int] = set()
    names = {id(m): n for n, m in model.named_modules()}
    leaves = {id(m) for _, m in model.named_modules() if not any(True for _ in m.children())}
    output_bytes = [0]

    def pre(module: Any, args: tuple) -> None:
        key = id(module)
        own = sum(int(p.numel()) for p in module.parameters(recurse=False))
        first = key not in counted
        counted.add(key)
        name = names[key]
        pending.setdefault(key, []).append(len(rows))
        rows.append(LayerInfo(name, type(module).__name__, name.count(".") + 1, None,
                              own if first and own else None, None, key in leaves))

    def post(module: Any, args: tuple, output: Any) -> None:
        row = rows[pending[id(module)].pop()]
        if isinstance(output, Tensor):
            row.output_shape = tuple(output.shape)
            if row.is_leaf:
                row.mult_adds = _mult_adds(module, output)
                output_bytes[0] += int(output.numel()) * output.dtype.itemsize

    handles = []
    for name, m in model.named_modules():
        if name or id(m) in leaves:  # the model itself is the table's title, a row only when it is one layer
            handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    modes = [(m, m.training) for m in model.modules()]
    from ..ops.factories import zeros

    x = zeros(*input_size, dtype=dtype, device=device)
    try:
        model.eval()
        with no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode

    result = ModelSummary(type(model).__name__, input_size, dtype, rows)
    result.total_params = sum(int(p.numel()) for p in params)
    result.trainable_params = sum(int(p.numel()) for p in params if p.requires_grad)
    result.total_mult_adds = sum(r.mult_adds or 0 for r in rows)
    result.params_bytes = sum(int(p.numel()) * p.dtype.itemsize for p in params)
    result.input_bytes = int(np.prod(input_size)) * dtype.itemsize
    result.output_bytes = output_bytes[0]
    if verbose:
        print(result)
    return result
