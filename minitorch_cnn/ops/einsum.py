"""``einsum``: a sum of products over named indices, ``einsum("bhqd,bhkd->bhqk", q, k)``.

    out[o] = Σ_{letters not in o} Π_i x_i[s_i]
    dx_i[s_i] = Σ_{letters not in s_i} g[o] Π_{j≠i} x_j[s_j]     (itself an einsum: "o,s_j...->s_i")

A letter of ``s_i`` found in no other operand nor in the output was summed away by the forward, so its gradient is
the same for every position along it: the backward einsum leaves it out and broadcasts. ``...`` stands for the
same leading dims in every operand (broadcast first, as torch); a letter repeated within one operand ("ii->i")
takes that operand's diagonal first. The backward is written in ``einsum`` itself, so it is differentiable again.
"""

from __future__ import annotations

import string
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from . import shape
from .indexing import getitem


class Einsum(Function):
    def forward(self, *arrays: Any, subs: tuple, out: str) -> Any:
        self.subs, self.out, self.sizes = subs, out, [a.shape for a in arrays]
        self.arrays = arrays
        return _contract(backend.array_module(arrays[0]), subs, arrays, out)

    def _grad_spec(self, i: int) -> tuple[str, str]:
        """(letters the backward einsum produces, the full subscript of operand i)."""
        elsewhere = set(self.out).union(*(s for j, s in enumerate(self.subs) if j != i))
        return "".join(c for c in self.subs[i] if c in elsewhere), self.subs[i]

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        grads = []
        for i, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            kept, full = self._grad_spec(i)
            others = [a for j, a in enumerate(self.arrays) if j != i]
            subs = [self.out] + [s for j, s in enumerate(self.subs) if j != i]
            gi = _contract(xp, subs, [g, *others], kept)
            grads.append(_spread(xp, gi, kept, full, self.sizes[i]))
        return tuple(grads)

    def backward_graph(self, g: Tensor) -> tuple:
        grads = []
        for i, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            kept, full = self._grad_spec(i)
            others = [self.input_tensor(j, a) for j, a in enumerate(self.arrays) if j != i]
            subs = [self.out] + [s for j, s in enumerate(self.subs) if j != i]
            gi = Einsum.apply(g, *others, subs=tuple(subs), out=kept)
            lifted = gi.reshape(tuple(n if c in kept else 1 for c, n in zip(full, self.sizes[i])))
            grads.append(lifted if kept == full else shape.expand(lifted, self.sizes[i]))
        return tuple(grads)


def _spread(xp: Any, gi: Any, kept: str, full: str, size: tuple) -> Any:
    """The gradient over ``kept`` letters broadcast back to operand ``full`` (shape ``size``)."""
    if kept == full:
        return gi
    lifted = gi.reshape([size[k] if c in kept else 1 for k, c in enumerate(full)])
    return xp.ascontiguousarray(xp.broadcast_to(lifted, size))


def _contract(xp: Any, subs: Any, arrays: Any, out: str) -> Any:
    """The einsum of ``arrays``; two operands go through one batched GEMM (NumPy's einsum loops in C without BLAS
    for batched products), others through NumPy's optimised einsum."""
    if len(arrays) != 2:
        return xp.einsum(",".join(subs) + "->" + out, *arrays, optimize=True)
    (sa, sb), (a, b) = subs, arrays
    # a letter in one operand only and not in the output is summed away first
    a, sa = _sum_out(a, sa, sb + out)
    b, sb = _sum_out(b, sb, sa + out)
    batch = [c for c in sa if c in sb and c in out]
    inner = [c for c in sa if c in sb and c not in out]
    left = [c for c in sa if c not in sb]
    right = [c for c in sb if c not in sa]
    size = dict(zip(sa, a.shape)) | dict(zip(sb, b.shape))
    n = [size[c] for c in batch]
    am = a.transpose([sa.index(c) for c in batch + left + inner]).reshape(
        *n, _prod(size, left), _prod(size, inner))
    bm = b.transpose([sb.index(c) for c in batch + inner + right]).reshape(
        *n, _prod(size, inner), _prod(size, right))
    prod = (am @ bm).reshape([size[c] for c in batch + left + right])
    prod = prod.transpose([(batch + left + right).index(c) for c in out])
    return xp.ascontiguousarray(prod) if prod.ndim else prod  # (ascontiguousarray lifts 0-d to 1-d)


def _sum_out(x: Any, s: str, elsewhere: str) -> tuple[Any, str]:
    lone = tuple(k for k, c in enumerate(s) if c not in elsewhere)
    if not lone:
        return x, s
    return x.sum(axis=lone), "".join(c for c in s if c in elsewhere)


def _prod(size: dict, letters: list) -> int:
    n = 1
    for c in letters:
        n *= size[c]
    return n


def _parse(equation: str, operands: list) -> tuple[tuple, str, list]:
    """(operand subscripts with ``...`` spelled out, output subscript, operands broadcast over ``...``)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(terms) else
                           "einsum(): fewer operands were provided than specified in the equation")
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    ell_rank = 0
    for t, x in zip(terms, operands):
        letters = t.replace("...", "")
        if not all(c.isalpha() for c in letters):
            raise RuntimeError(f"einsum(): invalid subscript given in the equation string '{equation}'")
        n = x.ndim - len(letters) if "..." in t else 0
        if n < 0 or ("..." not in t and len(letters) != x.ndim):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(letters)}) does not match "
                               f"the number of dimensions ({x.ndim}) for operand {operands.index(x)}"
                               + ("" if "..." in t else " and no ellipsis was given"))
        ell_rank = max(ell_rank, n)
    ell = "".join(spare[:ell_rank])
    subs, ops = [], []
    for t, x in zip(terms, operands):
        n = x.ndim - len(t.replace("...", "")) if "..." in t else 0
        s = t.replace("...", ell[ell_rank - n:])
        if len(set(s)) != len(s):
            x, s = _diagonal(x, s, len(ops))
        subs.append(s)
        ops.append(x)
    # broadcast the ellipsis dims (and any letter of size 1 against a larger one), as torch
    size: dict[str, int] = {}
    for k, (s, x) in enumerate(zip(subs, ops)):
        for c, n in zip(s, x.shape):
            if size.get(c, 1) != 1 and n not in (1, size[c]):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {size[c]}")
            size[c] = max(size.get(c, 1), n)
    ops = [x if tuple(x.shape) == tuple(size[c] for c in s) else shape.expand(x, tuple(size[c] for c in s))
           for s, x in zip(subs, ops)]
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if c not in size:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
    else:  # implicit output: the ellipsis, then the letters seen once, in alphabetical order
        counts = "".join(subs)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    return tuple(subs), out, ops


def _diagonal(x: Tensor, s: str, k: int) -> tuple[Tensor, str]:
    """A subscript with a repeated letter ("ii", "bjj") takes the diagonal first: x[i, i] for each i, by an
    advanced index (its backward scatters the gradient back onto the diagonal). Returns (diagonal, its letters)."""
    unique = "".join(dict.fromkeys(s))
    size: dict[str, int] = {}
    for c, n in zip(s, x.shape):
        if size.setdefault(c, n) != n:
            raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                               f"{n} != {size[c]}")
    xp = backend.array_module(x._data)
    axes = {c: xp.arange(size[c]).reshape([size[c] if d == c else 1 for d in unique]) for c in unique}
    return getitem(x, tuple(axes[c] for c in s)), unique


def einsum(equation: str, *operands: Any) -> Tensor:
    """``einsum(eq, a, b, ...)`` or ``einsum(eq, [a, b, ...])``: operands are tensors of one dtype."""
    ops = list(operands[0]) if len(operands) == 1 and isinstance(operands[0], (list, tuple)) else list(operands)
    if not ops:
        raise RuntimeError("einsum(): must provide at least one operand")
    dtypes = {x.dtype for x in ops}
    if len(dtypes) > 1:
        raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got {sorted(map(str, dtypes))}")
    subs, out, ops = _parse(equation, ops)
    return Einsum.apply(*ops, subs=subs, out=out)
