"""Fused recurrent steps: one LSTM or GRU time step as one graph node (the composition is some fifteen), for the
cells and for the per-step loop through which ``rnn_sequence.py``'s whole-sequence nodes differentiate twice.
``gi`` (B, G·H) is the input part of the gates, ``x W_ihᵀ + b_ih``, which the caller computes for all time steps
at once; h (B, H_h), W_hh (G·H, H_h), b_hh (G·H,) or None.

LSTM (gate blocks i, f, g, o; z their pre-activations), its state one tensor [h | c] (B, H_h + H) in and
[h' | c'] (B, 2H) out (the loop carries it whole; a projection, outside, makes H_h < H):

    forward                                   backward (g_h, g_c the gradients of h' and c')
    z = gi + h W_hhᵀ + b_hh                   dc' = g_c + g_h · o · (1 - tanh²(c'))
    i, f, o = σ(z_i), σ(z_f), σ(z_o)          dz = [dc'·g·i(1-i) | dc'·c·f(1-f) | dc'·i(1-g²) | g_h·tanh(c')·o(1-o)]
    g = tanh(z_g)                             dgi = dz;   d[h | c] = [dz W_hh | dc' · f]
    c' = f c + i g;   h' = o tanh(c')         dW_hh = dzᵀ h;   db_hh = Σ_batch dz

GRU (gate blocks r, z, n), output h' (B, H):

    forward                                   backward (g the gradient of h')
    a = h W_hhᵀ + b_hh                        dn = g (1 - z) (1 - n²);   dz = g (h - n) z (1 - z)
    r = σ(gi_r + a_r);  z = σ(gi_z + a_z)     dr = dn · a_n · r (1 - r)
    n = tanh(gi_n + r a_n)                    dgi = [dr | dz | dn];   da = [dr | dz | dn · r]
    h' = n + z (h - n)                        dh = g z + da W_hh;   dW_hh = daᵀ h;   db_hh = Σ_batch da

The time steps of ``gi`` (all steps' rows, time-major) are cut apart by one node, ``time_steps``, whose backward
joins the steps' gradients back (rows of a step that got none are zeros): a slice per step would make each step's
backward a zero-filled gradient of the whole of ``gi``, quadratic in the sequence length.

The maths is written once over an array namespace: NumPy/CuPy arrays for ``forward`` and ``backward``, and
differentiable Tensors for ``backward_graph``, which recomputes the forward from the saved inputs in Tensor ops so
that the gradients carry a graph of their own (second order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .elementwise import sigmoid as _t_sigmoid
from .elementwise import tanh as _t_tanh
from .shape import cat as _t_cat


class _Arrays:
    """The few operations the step maths needs, on raw arrays."""

    @staticmethod
    def sigmoid(a: Any) -> Any:
        # 1 / (1 + e^-a), torch's formula, in place on one temporary: ops.elementwise.Sigmoid's form, which takes
        # the two signs apart, took most of a step's time. e^-a overflows to inf for a below about -88 (float32),
        # and 1 / inf = 0 is then the limit, so that warning is silenced
        xp = backend.array_module(a)
        with np.errstate(over="ignore"):
            e = xp.exp(-a)
        e += 1
        return xp.reciprocal(e, out=e)

    @staticmethod
    def tanh(a: Any) -> Any:
        return backend.array_module(a).tanh(a)

    @staticmethod
    def cat(parts: list) -> Any:
        return backend.array_module(parts[0]).concatenate(parts, axis=1)


class _Tensors:
    """The same operations on Tensors, recorded in the graph."""

    sigmoid = staticmethod(_t_sigmoid)
    tanh = staticmethod(_t_tanh)

    @staticmethod
    def cat(parts: list) -> Any:
        return _t_cat(parts, 1)


def _lstm_forward(ns: Any, gi: Any, state: Any, w_hh: Any, b_hh: Any) -> dict:
    h, c = state[:, :w_hh.shape[1]], state[:, w_hh.shape[1]:]
    z = gi + h @ w_hh.T
    if b_hh is not None:
        z = z + b_hh
    size = c.shape[1]
    sz = ns.sigmoid(z)  # one call for the three σ gates (the g block's σ goes unused)
    i, f, o = sz[:, :size], sz[:, size:2 * size], sz[:, 3 * size:]
    g = ns.tanh(z[:, 2 * size:3 * size])
    c2 = f * c + i * g
    tc = ns.tanh(c2)
    return {"i": i, "f": f, "g": g, "o": o, "tc": tc, "c": c, "h": h, "w_hh": w_hh, "out": ns.cat([o * tc, c2])}


def _lstm_backward(ns: Any, s: dict, grad: Any, bias: bool) -> tuple:
    size = s["c"].shape[1]
    g_h, g_c = grad[:, :size], grad[:, size:]
    i, f, g, o, tc = s["i"], s["f"], s["g"], s["o"], s["tc"]
    dc2 = g_c + g_h * o * (1 - tc * tc)
    dz = ns.cat([dc2 * g * i * (1 - i), dc2 * s["c"] * f * (1 - f), dc2 * i * (1 - g * g), g_h * tc * o * (1 - o)])
    return dz, ns.cat([dz @ s["w_hh"], dc2 * f]), dz.T @ s["h"], (dz.sum(0) if bias else None)


def _gru_forward(ns: Any, gi: Any, h: Any, w_hh: Any, b_hh: Any) -> dict:
    a = h @ w_hh.T
    if b_hh is not None:
        a = a + b_hh
    size = h.shape[1]
    rz = ns.sigmoid(gi[:, :2 * size] + a[:, :2 * size])
    r, z = rz[:, :size], rz[:, size:]
    n = ns.tanh(gi[:, 2 * size:] + r * a[:, 2 * size:])
    return {"r": r, "z": z, "n": n, "a_n": a[:, 2 * size:], "h": h, "w_hh": w_hh, "out": n + z * (h - n)}


def _gru_backward(ns: Any, s: dict, grad: Any, bias: bool) -> tuple:
    r, z, n, h = s["r"], s["z"], s["n"], s["h"]
    dn = grad * (1 - z) * (1 - n * n)
    dz = grad * (h - n) * z * (1 - z)
    dr = dn * s["a_n"] * r * (1 - r)
    da = ns.cat([dr, dz, dn * r])
    return ns.cat([dr, dz, dn]), grad * z + da @ s["w_hh"], da.T @ h, (da.sum(0) if bias else None)


class LSTMStep(Function):
    """(gi, [h | c], W_hh, b_hh) -> [h' | c'] (B, 2H); see the module docstring."""

    fresh_grads = True

    def forward(self, gi: Any, state: Any, w_hh: Any, b_hh: Any) -> Any:
        self.saved = _lstm_forward(_Arrays, gi, state, w_hh, b_hh)
        self.arrays = (gi, state, w_hh, b_hh)
        return self.saved["out"]

    def backward(self, grad: Any) -> tuple:
        return _lstm_backward(_Arrays, self.saved, grad, self.arrays[3] is not None)

    def backward_graph(self, grad: Tensor) -> tuple:
        ts = [None if a is None else self.input_tensor(k, a) for k, a in enumerate(self.arrays)]
        return _lstm_backward(_Tensors, _lstm_forward(_Tensors, *ts), grad, ts[3] is not None)


class GRUStep(Function):
    """(gi, h, W_hh, b_hh) -> h' (B, H); see the module docstring."""

    fresh_grads = True

    def forward(self, gi: Any, h: Any, w_hh: Any, b_hh: Any) -> Any:
        self.saved = _gru_forward(_Arrays, gi, h, w_hh, b_hh)
        self.arrays = (gi, h, w_hh, b_hh)
        return self.saved["out"]

    def backward(self, grad: Any) -> tuple:
        return _gru_backward(_Arrays, self.saved, grad, self.arrays[3] is not None)

    def backward_graph(self, grad: Tensor) -> tuple:
        ts = [None if a is None else self.input_tensor(k, a) for k, a in enumerate(self.arrays)]
        return _gru_backward(_Tensors, _gru_forward(_Tensors, *ts), grad, ts[3] is not None)


class _TimeSteps(Function):
    """rows (N, *) -> the pieces rows[offsets[t]:offsets[t + 1]], one node; backward: the pieces' gradients joined
    (torch's custom-Function form, which gives a node several outputs; its backward is in Tensor ops, so it
    differentiates again)."""

    @staticmethod
    def forward(ctx: Any, rows: Tensor, offsets: list[int]) -> tuple:
        return tuple(rows[offsets[t]:offsets[t + 1]] for t in range(len(offsets) - 1))

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple:
        return _t_cat(list(grads), 0), None


def time_steps(rows: Tensor, offsets: list[int]) -> tuple:
    """The time steps of packed ``rows`` (N, *): piece t is rows[offsets[t]:offsets[t + 1]]."""
    if len(offsets) == 2:
        return (rows,)
    return _TimeSteps.apply(rows, offsets)


def lstm_step(gi: Tensor, state: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """One LSTM step, fused: [h' | c'] (B, 2H) from gi (B, 4H) and the state [h | c] (B, H_h + H)."""
    return LSTMStep.apply(gi, state, w_hh, b_hh)


def gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """One GRU step, fused: h' (B, H) from gi (B, 3H), h (B, H)."""
    return GRUStep.apply(gi, h, w_hh, b_hh)
