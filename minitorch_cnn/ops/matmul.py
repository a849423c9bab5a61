"""Matrix product with NumPy's broadcasting rules for batched operands (``@``)."""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from ..autograd.function import FusedStep
from ..kernels import gemm
from . import shape
from ._util import binary_operands, out_arg, sum_to, unbroadcast


class MatMul(Function):
    # C = A B;  dA = dC Bᵀ;  dB = Aᵀ dC  (1-d operands are lifted to matrices and dropped again)
    fresh_grads = True  # new arrays from the GEMMs and sums

    def forward(self, a: Any, b: Any) -> Any:
        need_a, need_b = self.needs_input_grad
        self.a = a if need_b else None
        self.b = b if need_a else None
        self.shapes = (a.shape, b.shape)
        return a @ b

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        sa, sb = self.shapes
        if len(sa) == 1 and len(sb) == 1:  # a dot product: g is 0-d
            return (g * self.b if self.b is not None else None), (g * self.a if self.a is not None else None)
        a2 = self.a[None, :] if self.a is not None and len(sa) == 1 else self.a
        b2 = self.b[:, None] if self.b is not None and len(sb) == 1 else self.b
        if len(sa) == 1:
            g = xp.expand_dims(g, -2)
        if len(sb) == 1:
            g = xp.expand_dims(g, -1)
        ga = gb = None
        if b2 is not None:
            ga = g @ xp.swapaxes(b2, -1, -2)
            ga = unbroadcast(ga, (1,) + sa if len(sa) == 1 else sa).reshape(sa)
        if a2 is not None:
            gb = xp.swapaxes(a2, -1, -2) @ g
            gb = unbroadcast(gb, sb + (1,) if len(sb) == 1 else sb).reshape(sb)
        return ga, gb

    def backward_graph(self, g: Tensor) -> tuple:
        sa, sb = self.shapes
        a = self.input_tensor(0, self.a) if self.a is not None else None
        b = self.input_tensor(1, self.b) if self.b is not None else None
        if len(sa) == 1 and len(sb) == 1:
            return (g * b if b is not None else None), (g * a if a is not None else None)
        a2 = a.unsqueeze(0) if a is not None and len(sa) == 1 else a
        b2 = b.unsqueeze(-1) if b is not None and len(sb) == 1 else b
        if len(sa) == 1:
            g = g.unsqueeze(-2)
        if len(sb) == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if b2 is not None:
            ga = sum_to(matmul(g, b2.transpose(-1, -2)), (1,) + sa if len(sa) == 1 else sa).reshape(sa)
        if a2 is not None:
            gb = sum_to(matmul(a2.transpose(-1, -2), g), sb + (1,) if len(sb) == 1 else sb).reshape(sb)
        return ga, gb


@out_arg
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b``; a shape mismatch names both shapes."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
        # torch promotes elementwise ops but never inside a GEMM
        raise RuntimeError(f"matmul: expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}")
    a, b = binary_operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {tuple(a.shape)} and {tuple(b.shape)}"
        )
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied ({ka} != {kb})"
        )
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    for m, n in zip(reversed(batch_a), reversed(batch_b)):
        if m != n and m != 1 and n != 1:
            raise RuntimeError(
                f"matmul: the batch dims of shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast "
                f"together ({batch_a} vs {batch_b})"
            )
    return MatMul.apply(a, b)


class Linear(Function):
    """y = x Wᵀ + b in one node: x (M, in), W (out, in), b (out,) -> (M, out).

    Fused so the weight gradient comes out of one GEMM already in W's layout: dW = gᵀ x (out, in),
    dx = g W (M, in), db = Σ_rows g. Big GEMMs are split over the CPU's threads (``kernels.gemm``).
    """

    fresh_grads = True  # new arrays from the GEMMs and sums

    def forward(self, x: Any, w: Any, b: Any) -> Any:
        need_x, need_w, _ = self.needs_input_grad
        self.x = x if need_w else None
        self.w = w if need_x else None
        out = gemm.matmul(x, w.T)
        if b is not None:
            out += b
        return out

    def backward(self, g: Any) -> tuple:
        need_x, need_w, need_b = self.needs_input_grad
        gx = gemm.matmul(g, self.w) if need_x else None
        gw = gemm.matmul(g.T, self.x) if need_w else None
        gb = g.sum(axis=0) if need_b else None
        return gx, gw, gb

    def backward_graph(self, g: Tensor) -> tuple:
        need_x, need_w, need_b = self.needs_input_grad
        gx = matmul(g, self.input_tensor(1, self.w)) if need_x else None
        gw = matmul(g.transpose(0, 1), self.input_tensor(0, self.x)) if need_w else None
        gb = g.sum(dim=0) if need_b else None
        return gx, gw, gb

    def name(self) -> str:
        """torch's: ``addmm(b, x, W.t())`` with a bias, ``mm(x, W.t())`` without."""
        return "MmBackward0" if self.inputs[2] is None else "AddmmBackward0"

    @property
    def next_functions(self) -> tuple:
        """In torch's order, (bias,) input, W.t(): torch's graph has the transpose as a node of its own
        (TBackward0) between the product and W; this node reads W directly and shows that step."""
        x, w, b = self.inputs
        edges = Function.next_functions.fget(self)  # (x, W[, b]) in our order
        wt = (FusedStep("TBackward0", w), 0) if w.requires_grad else (None, 0)
        return (edges[2], edges[0], wt) if b is not None else (edges[0], wt)


def linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """y = x Wᵀ + b for x (*, in), W (out, in), b (out,) -> (*, out), with torch's graph.

    2-d x is one fused node. A contiguous x of other rank is flattened to 2-d around it (with a bias ViewBackward0
    both sides, without UnsafeViewBackward0 / ViewBackward0); a non-contiguous x is reshaped (a view where its
    strides allow, else a copy) and the bias added after; a 1-d x without a bias or not contiguous is lifted to
    a row and dropped again (UnsqueezeBackward0 / SqueezeBackward4), as torch does."""
    if x.ndim == 2:
        return Linear.apply(x, w, b)
    out_shape = x.shape[:-1] + (w.shape[0],)
    contiguous = x._data.flags.c_contiguous
    if x.ndim == 1 and (b is None or not contiguous):
        out = _Squeeze4.apply(Linear.apply(shape.unsqueeze(x, 0), w, None), out_shape)
        return out if b is None else out + b
    rows = (math.prod(x.shape[:-1]), x.shape[-1])
    if contiguous:
        flat = shape.Reshape.apply(x, rows)
        out = Linear.apply(flat, w, b)
        return (shape.Reshape if b is not None else shape.UnsafeView).apply(out, out_shape)
    flat = shape.reshape(x, rows)
    out = shape.UnsafeView.apply(Linear.apply(flat, w, None), out_shape)
    return out if b is None else out + b


class _Squeeze4(shape.Reshape):
    torch_name = "SqueezeBackward4"  # the in-place squeeze torch's matmul uses to drop a 1-d operand's lifted dim


@out_arg
def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched matrix product of (B, n, m) and (B, m, p), as torch.bmm (no broadcasting)."""
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: batch1 and batch2 must be 3D tensors, got shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {tuple(a.shape)} and {tuple(b.shape)}")
    return matmul.__wrapped__(a, b)


@out_arg
def mm(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product of (n, m) and (m, p), as torch.mm (2-D only, no broadcasting)."""
    if a.ndim != 2:
        raise RuntimeError(f"self must be a matrix, got shape {tuple(a.shape)}")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got shape {tuple(b.shape)}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    return matmul.__wrapped__(a, b)


@out_arg
def mv(a: Tensor, v: Tensor) -> Tensor:
    """Matrix-vector product of (n, m) and (m,) -> (n,), as torch.mv."""
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {a.ndim}, {v.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                           f"vec ({v.shape[0]})")
    return matmul.__wrapped__(a, v)


@out_arg
def dot(a: Tensor, b: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of equal length -> a 0-d tensor, as torch.dot."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                           f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                           f"respectively")
    return matmul.__wrapped__(a, b)


vdot = dot  # torch.vdot conjugates its first argument: the same for the real tensors here
