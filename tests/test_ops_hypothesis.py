"""Random expression graphs, drawn by hypothesis, run here and in torch: values and every leaf gradient agree.

A program is a list of steps; each step applies one op to nodes drawn from everything computed so
far (leaves included), so tensors are reused and graphs branch and merge (diamonds). All nodes
keep shapes that broadcast to (2, 3), which lets any two be combined. Values stay moderate by
construction (divisions by y² + 1, logs of x² + 1, exp of tanh); float32 is judged against the float64 truth
with the graph's largest intermediate as the condition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from _parity import TOL, assert_close, assert_f32_close, to_np
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.overrides import TorchFunctionMode

import minitorch_cnn as mt
from minitorch_cnn.ops import elementwise as ew
from tests._profiles import examples

LEAF_SHAPES = [(2, 3), (3,), (1, 3), (2, 1), ()]


def _is_lib_mt(x: Any) -> bool:
    return isinstance(x, mt.Tensor)


def _lib(x: Any) -> Any:
    return mt if _is_lib_mt(x) else torch


def _leaky(x: Any) -> Any:
    return ew.leaky_relu(x, 0.1) if _is_lib_mt(x) else F.leaky_relu(x, 0.1)


def _rows(x: Any) -> Any:
    """Repeated and reordered integer indices along the last dim (scatter-add backward)."""
    idx = [2, 0, 0] if x.ndim else None
    return x[..., idx] if idx is not None and x.shape[-1] == 3 else x * 1.5


def _pad_crop(x: Any) -> Any:
    """Shift right along the last dim: pad 1 in front, crop 1 at the end (a negative pad)."""
    if not x.ndim:
        return x
    return mt.pad(x, (1, -1)) if _is_lib_mt(x) else F.pad(x, (1, -1))


def _matmul(x: Any, w: Any) -> Any:
    return x @ w if x.ndim and x.shape[-1] == 3 else x * 2.0


def _stack_sum(x: Any, y: Any) -> Any:
    full = (2, 3)
    return _lib(x).stack([x.expand(*full), y.expand(*full)], 0).sum(0)


def _cat_split(x: Any, y: Any) -> Any:
    full = (2, 3)
    z = _lib(x).cat([x.expand(*full), y.expand(*full)], 1)
    a, b = z.split(3, 1)
    return a * b


UNARY: dict[str, Callable] = {
    "neg": lambda x: -x, "exp_tanh": lambda x: x.tanh().exp(), "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(), "relu": lambda x: x.relu(), "leaky": _leaky, "abs": lambda x: x.abs(),
    "square": lambda x: x * x, "log1p_sq": lambda x: (x * x + 1).log(), "sqrt1p_sq": lambda x: (x * x + 1).sqrt(),
    "pow": lambda x: (x * x + 0.5) ** 1.5, "clamp": lambda x: x.clamp(-0.5, 0.8),
    "softmax": lambda x: x.softmax(-1) if x.ndim else x.sigmoid(),
    "log_softmax": lambda x: x.log_softmax(-1) if x.ndim else x.tanh(),
    "sum_keep": lambda x: x.sum(-1, keepdim=True) if x.ndim else x * 3,
    "mean_keep": lambda x: x.mean(0, keepdim=True) if x.ndim else x - 1,
    "amax_keep": lambda x: _lib(x).amax(x, -1, keepdim=True) if x.ndim else x,
    "max_dim": lambda x: x.max(-1, keepdim=True)[0] if x.ndim else x,
    "var_keep": lambda x: x.var(-1, keepdim=True) if x.ndim and x.shape[-1] > 1 else x * x,
    "transpose_twice": lambda x: x.T.T * 1.0 if x.ndim == 2 else x + 0.5,
    "reshape_round_trip": lambda x: x.reshape(-1).reshape(x.shape) * 2,
    "index_rows": _rows,
    "pad_crop": _pad_crop,
}
BINARY: dict[str, Callable] = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y * y + 1), "maximum": lambda x, y: _lib(x).maximum(x, y),
    "minimum": lambda x, y: _lib(x).minimum(x, y), "where": lambda x, y: _lib(x).where(x > y, x, y * 0.5),
    "stack_sum": _stack_sum, "cat_split": _cat_split, "add_scalar_mix": lambda x, y: 2.0 * x - y / 3,
}


@st.composite
def programs(draw: Any) -> tuple:
    n_leaves = draw(st.integers(1, 3))
    shapes = [draw(st.sampled_from(LEAF_SHAPES)) for _ in range(n_leaves)]
    steps = []
    n_nodes = n_leaves
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            steps.append(("u", draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, n_nodes - 1))))
        else:
            steps.append(("b", draw(st.sampled_from(sorted(BINARY))), draw(st.integers(0, n_nodes - 1)),
                          draw(st.integers(0, n_nodes - 1))))
        n_nodes += 1
    use_matmul = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    return shapes, steps, use_matmul, seed


def _run(leaves: list, w: Any, steps: list, use_matmul: bool) -> Any:
    nodes = list(leaves)
    for step in steps:
        if step[0] == "u":
            nodes.append(UNARY[step[1]](nodes[step[2]]))
        else:
            nodes.append(BINARY[step[1]](nodes[step[2]], nodes[step[3]]))
    out = nodes[-1]
    if use_matmul:
        out = _matmul(out, w)
    return out


class _Recorder(TorchFunctionMode):
    """Records every tensor torch computes while active: the graph's nodes and the intermediates inside each
    step's lambda (x * x + 1 before its log), whose magnitudes make the condition of the graph."""

    def __init__(self) -> None:
        super().__init__()
        self.tensors: list = []

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        out = func(*args, **(kwargs or {}))
        self.tensors += [t for t in (out if isinstance(out, tuple) else (out,)) if isinstance(t, torch.Tensor)]
        return out


def _graph(program: tuple, dtype: Any, lib: str, record: _Recorder | None = None) -> tuple:
    """(leaves incl. the matmul weight, output, upstream gradient) of ``program`` on ``lib``'s tensors in
    ``dtype``, backward run; the inputs come from the program's seed (drawn in float64, then cast to float32 and,
    for the float64 truth of a float32 run, back: ``dtype`` float64 with ``record``). ``record`` (torch only)
    keeps every intermediate tensor and its gradient."""
    shapes, steps, use_matmul, seed = program
    cast = np.float32 if record is not None else dtype
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(rng.uniform(-2, 2, s), dtype=np.float64) for s in shapes]
    arrays.append(rng.standard_normal((3, 3)))
    wrap = mt.from_numpy if lib == "mt" else torch.from_numpy
    leaves = [wrap(a.astype(cast).astype(dtype)).requires_grad_(True) for a in arrays]
    if record is None:
        out = _run(leaves[:-1], leaves[-1], steps, use_matmul)
    else:
        with record:
            out = _run(leaves[:-1], leaves[-1], steps, use_matmul)
        for t in record.tensors:
            if t.requires_grad and not t.is_leaf:
                t.retain_grad()
    g = rng.standard_normal(tuple(out.shape)).astype(cast).astype(dtype)
    if out.requires_grad:
        out.backward(wrap(g))
    return leaves, out, g


def _max_abs(arrays: Any) -> float:
    return max((float(np.abs(to_np(a)).max(initial=0)) for a in arrays if a is not None), default=0.0)


def _check(program: tuple, dtype: Any) -> None:
    ours_leaves, ours, g = _graph(program, dtype, "mt")
    torch_leaves, theirs, _ = _graph(program, dtype, "torch")
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.dtype(dtype)
    if dtype == np.float64:
        assert_close(ours, theirs, dtype, what="forward")
        # A leaf whose gradient is zero in exact arithmetic (x - x.mean(0) cancels a broadcast leaf) holds only
        # rounding noise on both sides; its error is measured against the graph's largest gradient (at least the
        # upstream gradient's) instead of itself, as the float32 condition below.
        scale = max(_max_abs(t.grad for t in torch_leaves), _max_abs([g]))
        for i, (o, t) in enumerate(zip(ours_leaves, torch_leaves)):
            if t.grad is None:
                assert o.grad is None or not np.any(to_np(o.grad)), f"leaf {i}: torch has no gradient"
            elif _max_abs([t.grad]) < TOL[np.dtype(dtype)] * scale:
                assert _max_abs([to_np(o.grad) - to_np(t.grad)]) <= TOL[np.dtype(dtype)] * scale, f"grad of leaf {i}"
            else:
                assert_close(o.grad, t.grad, dtype, what=f"grad of leaf {i}")
        return
    # float32 against the float64 truth on the same inputs. The condition of a graph of ops: every rounding is
    # relative to some intermediate (a node, or a value inside a step such as x * x + 1) and the steps keep
    # values moderate, so the forward's error scales with the largest intermediate and a gradient's with the
    # largest gradient flowing anywhere in the graph (a leaf's gradient may cancel: hypothesis found a broadcast
    # scalar's gradient summing six terms of ~1 into -0.0047).
    record = _Recorder()
    exact_leaves, exact, _ = _graph(program, np.float64, "torch", record)
    values = [*record.tensors, *exact_leaves, exact]
    assert_f32_close(ours, exact.detach(), torch32=theirs.detach(), cond=_max_abs(t.detach() for t in values),
                     what="forward")
    if not theirs.requires_grad:
        return
    grad_cond = max(_max_abs(t.grad for t in values), _max_abs([g]))
    for i, (o, t, e) in enumerate(zip(ours_leaves, torch_leaves, exact_leaves)):
        if t.grad is None:
            assert o.grad is None or not np.any(to_np(o.grad)), f"leaf {i}: torch has no gradient"
            continue
        assert_f32_close(o.grad, e.grad, torch32=t.grad, cond=grad_cond, what=f"grad of leaf {i}")


@settings(max_examples=examples(120))
@given(programs())
def test_random_graphs_float64(program: tuple) -> None:
    _check(program, np.float64)


@settings(max_examples=examples(120))
@given(programs())
def test_random_graphs_float32(program: tuple) -> None:
    _check(program, np.float32)
