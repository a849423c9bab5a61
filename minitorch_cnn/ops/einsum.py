"""``torch.einsum``: sums of products over labelled dimensions, ``einsum("Naf,Mbf->NMab", a, b)``.

Forward: ``out[o] = Σ_{labels not in o} Π_k operand_k[s_k]`` (NumPy's/CuPy's einsum, contraction order optimised).
Backward for operand i, with the same rule: ``d operand_i[s_i] = Σ g[o] Π_{k≠i} operand_k[s_k]``, which is again an
einsum, ``"o,s_1,..,(not s_i)..->s_i"``; a label of ``s_i`` found nowhere else was summed away in the forward, so its
gradient is the same along it (computed without the label, then expanded). As the backward is an einsum of the
incoming gradient and the other operands, the graph version calls this very op and differentiates to any order.

Labels are letters; ``...`` stands for the dimensions no label names (broadcast as NumPy broadcasts, right-aligned);
without ``->`` the output is the labels used once, in alphabetical order (after ``...``), as torch's. A label
repeated within one operand (``"ii->i"``, a trace ``"ii"``) first takes that operand's diagonal (``diagonal.py``,
differentiable as any op), so the contraction itself always sees distinct labels.
"""

from __future__ import annotations

import string
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from . import shape
from .diagonal import diagonal

_LETTERS = string.ascii_letters


def _parse(equation: str, ndims: list[int]) -> tuple[list[str], str]:
    """Each operand's labels and the output's, with ``...`` spelled out as fresh letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(ndims):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation" if len(subs) <
                           len(ndims) else "einsum(): fewer operands were provided than specified in the equation")
    for part in subs + ([rhs] if arrow else []):
        bad = set(part.replace("...", "")) - set(_LETTERS)
        if bad or part.count("...") > 1:
            raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(sorted(bad)[0]) if bad else 0} "
                               f"in the equation string, subscripts must be in [a-zA-Z]: {equation!r}")
    used = set(eq) & set(_LETTERS)
    free = [c for c in _LETTERS if c not in used]
    ell_len = 0
    for s, nd in zip(subs, ndims):
        named = len(s.replace("...", ""))
        if "..." in s:
            ell_len = max(ell_len, nd - named)
        if ("..." in s and nd < named) or ("..." not in s and nd != named):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({nd}) for operand {subs.index(s)}"
                               + ("" if "..." in s else " and no ellipsis was given"))
    ell = "".join(free[:ell_len])
    full = []
    for s, nd in zip(subs, ndims):
        if "..." in s:
            k = nd - len(s.replace("...", ""))
            s = s.replace("...", ell[ell_len - k:])
        full.append(s)
    if arrow:
        if "..." in rhs:
            rhs = rhs.replace("...", ell)
        for c in rhs:
            if c not in "".join(full):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
        if len(set(rhs)) != len(rhs):
            raise RuntimeError(f"einsum(): output subscript {rhs!r} appears more than once in the output")
        out = rhs
    else:
        joined = "".join(s.replace("...", "") for s in subs)
        out = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    return full, out


def _grad_plan(subs: list[str], out: str, i: int) -> tuple[str, str, list[int]]:
    """For operand i: the einsum that computes its gradient without its lone labels, those labels' positions."""
    others = "".join(s for k, s in enumerate(subs) if k != i)
    present = "".join(c for c in subs[i] if c in out or c in others)
    lone = [p for p, c in enumerate(subs[i]) if c not in present]
    eq = ",".join([out] + [s for k, s in enumerate(subs) if k != i]) + "->" + present
    return eq, present, lone


def _unbroadcast(arr: Any, shape_: tuple) -> Any:
    """Sum the dims where the operand was 1 and the others were not (``...`` broadcasting)."""
    axes = tuple(d for d, (a, b) in enumerate(zip(arr.shape, shape_)) if b == 1 and a != 1)
    return arr.sum(axis=axes, keepdims=True) if axes else arr


class Einsum(Function):
    # not fresh_grads: NumPy's einsum may hand back a view of ``g`` (a pure transpose), the broadcast a read-only one

    def forward(self, *arrays: Any, subs: list[str], out: str) -> Any:
        self.subs, self.out = subs, out
        self.arrays = arrays
        xp = backend.array_module(arrays[0])
        return xp.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 2)

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        grads = []
        for i, a in enumerate(self.arrays):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            eq, _, lone = _grad_plan(self.subs, self.out, i)
            others = [b for k, b in enumerate(self.arrays) if k != i]
            r = xp.einsum(eq, g, *others, optimize=len(others) > 1)
            for p in lone:
                r = xp.expand_dims(r, p)
            grads.append(xp.broadcast_to(_unbroadcast(r, a.shape), a.shape))
        return tuple(grads)

    def backward_graph(self, g: Tensor) -> tuple:
        grads = []
        tensors = [self.input_tensor(k, a) for k, a in enumerate(self.arrays)]
        for i, a in enumerate(self.arrays):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            eq, _, lone = _grad_plan(self.subs, self.out, i)
            r = einsum(eq, g, *[t for k, t in enumerate(tensors) if k != i])
            for p in lone:
                r = shape.unsqueeze(r, p)
            axes = tuple(d for d, (x, y) in enumerate(zip(r.shape, a.shape)) if y == 1 and x != 1)
            if axes:
                r = r.sum(dim=axes, keepdim=True)
            grads.append(shape.expand(r, tuple(a.shape)))
        return tuple(grads)


def einsum(equation: str, *operands: Any) -> Tensor:
    """``einsum(equation, *operands)`` or ``einsum(equation, [operands])`` (see the module docstring)."""
    if not isinstance(equation, str):
        raise TypeError("einsum(): the sublist form einsum(op, [dims], ...) is not offered; pass the equation string "
                        f"first, got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for k, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operand {k} must be a Tensor, got {type(t).__name__}")
        if t.dtype != operands[0].dtype:
            raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got {operands[0].dtype} "
                               f"(operand 0) and {t.dtype} (operand {k})")
    subs, out = _parse(equation, [t.ndim for t in operands])
    operands = list(operands)
    for k, s in enumerate(subs):
        while len(set(s)) != len(s):  # a repeated label: that operand's diagonal over the two dims, appended last
            c = next(c for c in s if s.count(c) > 1)
            p, q = s.index(c), s.index(c, s.index(c) + 1)
            if operands[k].shape[p] != operands[k].shape[q]:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                                   f"{operands[k].shape[q]} != {operands[k].shape[p]}")
            operands[k] = diagonal(operands[k], 0, p, q)
            s = s[:p] + s[p + 1:q] + s[q + 1:] + c
        subs[k] = s
    sizes: dict[str, int] = {}
    for k, (s, t) in enumerate(zip(subs, operands)):
        for c, n in zip(s, t.shape):
            if sizes.get(c, 1) != 1 and n != 1 and sizes[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {sizes[c]}")
            sizes[c] = max(sizes.get(c, 1), n)
    return Einsum.apply(*operands, subs=subs, out=out)
