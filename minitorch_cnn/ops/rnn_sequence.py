"""A recurrent layer's whole sequence, one direction, as one graph node: the LSTM or GRU loop over the time steps
of a packed batch (``gi`` (N, G·H) the input part of the gates of all N rows, time-major, ``batch_sizes`` (T,)
non-increasing), forward over the steps into preallocated arrays and backward through time in one loop, the
weight gradients one matrix product each at the end. The maths of a step is that of ``rnn_cells.py``'s docstring;
one node per step spent most of a short step's time in the engine and the Tensor wrappers.

The state is carried in a buffer ``cur`` (B, S) (S = P + H for an LSTM's [h | c], P = H without a projection, kept
as two contiguous buffers h and c; H for a GRU): step t reads and writes its first b_t rows. Going forward the
batch shrinks, so the rows of the sequences that ended keep their final states; going backward in time
(``reverse``) it grows, and the rows a step adds still hold their initial states. Backward runs the steps the other
way with a gradient buffer ``dcur`` that mirrors it: rows a step does not touch keep the gradient of a final state,
or end as that of an initial one.

    LSTM step (hp = cur[:b, :P], c = cur[:b, P:]; W_hr the projection, identity without one):
      z = gi + b_hh + hp W_hhᵀ;  i, f, o = σ(z_i, z_f, z_o);  g = tanh(z_g);  c' = f c + i g;  h = o tanh(c')
      h' = h W_hrᵀ;  cur[:b] = [h' | c']
      back (g_h', g_c the output rows' gradients plus dcur[:b]):  g_h = g_h' W_hr;  dW_hr += g_h'ᵀ h
      dc' = g_c + g_h o (1 - tanh²c');  dz = [dc' g i(1-i) | dc' c f(1-f) | dc' i (1-g²) | g_h tanh(c') o(1-o)]
      dgi = dz;  dcur[:b] = [dz W_hh | dc' f];  dW_hh = Σ dzᵀ hp;  db_hh = Σ dz
    GRU step (hp = cur[:b]):
      a = hp W_hhᵀ + b_hh;  r, z = σ(gi_r + a_r), σ(gi_z + a_z);  n = tanh(gi_n + r a_n);  h' = n + z (hp - n)
      back (g): dn = g (1-z)(1-n²);  dz = g (hp - n) z(1-z);  dr = dn a_n r(1-r);  dgi = [dr | dz | dn]
      da = [dr | dz | dn r];  dcur[:b] = g z + da W_hh;  dW_hh = Σ daᵀ hp;  db_hh = Σ da

The node's output is (N + B, S): the state after every step (rows of ``gi``'s order), then the final states.
A step's gate maths (``lstm_cell_forward`` and the three others below, the reference, in NumPy/CuPy calls) runs
compiled where the kernel choice has it (``kernels/numba_kernels/rnn_cells.py``); the matrix products stay here.

Second order: ``backward_graph`` rebuilds the same loop from per-step fused nodes (``step_loop`` over
``rnn_cells.lstm_step`` / ``gru_step``, which have second-order backwards of their own) on the saved inputs and
differentiates it with ``create_graph``, so the gradients carry a graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..autograd.engine import grad as _grad
from ..kernels.choice import chosen
from .rnn_cells import gru_step, lstm_step, time_steps
from .shape import cat


def _sigmoid_(a: Any) -> None:
    """a ← 1 / (1 + e^-a) in place (torch's formula; e^-a overflowing to inf gives the limit 0, and the forward
    loops silence that warning)."""
    xp = backend.array_module(a)
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


def _plan(batch_sizes: list[int], reverse: bool) -> list[tuple[int, int, int]]:
    """(start row, end row, batch) of each step in the order the forward loop runs them."""
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)]).tolist()
    order = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    return [(offsets[t], offsets[t + 1], batch_sizes[t]) for t in order]


def lstm_cell_forward(z: Any, cp: Any, c: Any, tc: Any, h: Any) -> None:
    """z (b, 4H) the pre-activations, made [i | f | g | o] in place; cp (b, H) the cell before: writes c', tanh(c'),
    h (b, H). (The reference; ``kernels.numba_kernels.rnn_cells`` compiles it.)"""
    xp = backend.array_module(z)
    size = cp.shape[1]
    _sigmoid_(z[:, :2 * size])
    _sigmoid_(z[:, 3 * size:])
    g = z[:, 2 * size:3 * size]
    xp.tanh(g, out=g)
    xp.multiply(z[:, size:2 * size], cp, out=c)
    c += z[:, :size] * g
    xp.tanh(c, out=tc)
    xp.multiply(z[:, 3 * size:], tc, out=h)


def lstm_cell_backward(z: Any, cp: Any, tc: Any, gh: Any, gc: Any, dz: Any, dcc: Any) -> None:
    """gh, gc + dcc the gradients of h and c': writes dz (b, 4H) and, in place of dcc, the cell's dc' · f."""
    xp = backend.array_module(z)
    size = cp.shape[1]
    i, f, g, o = z[:, :size], z[:, size:2 * size], z[:, 2 * size:3 * size], z[:, 3 * size:]
    dc = gc + dcc
    dc += gh * o * (1 - tc * tc)
    xp.multiply(dc * g, i * (1 - i), out=dz[:, :size])
    xp.multiply(dc * cp, f * (1 - f), out=dz[:, size:2 * size])
    xp.multiply(dc * i, 1 - g * g, out=dz[:, 2 * size:3 * size])
    xp.multiply(gh * tc, o * (1 - o), out=dz[:, 3 * size:])
    xp.multiply(dc, f, out=dcc)


def gru_cell_forward(gi: Any, a: Any, hp: Any, rz: Any, n: Any, a_n: Any, h: Any) -> None:
    """gi, a (b, 3H) the input and hidden parts of the gates, hp (b, H): writes [r | z], n, a_n and h'."""
    xp = backend.array_module(gi)
    size = hp.shape[1]
    a_n[...] = a[:, 2 * size:]
    xp.add(gi[:, :2 * size], a[:, :2 * size], out=rz)
    _sigmoid_(rz)
    xp.multiply(rz[:, :size], a_n, out=n)
    n += gi[:, 2 * size:]
    xp.tanh(n, out=n)
    xp.subtract(hp, n, out=h)
    h *= rz[:, size:]
    h += n


def gru_cell_backward(g: Any, rz: Any, n: Any, hp: Any, a_n: Any, dgi: Any, da: Any, dh: Any) -> None:
    """g (b, H) the gradient of h': writes dgi, da (b, 3H) and dh = g z (the caller adds da W_hh)."""
    xp = backend.array_module(g)
    size = hp.shape[1]
    r, z = rz[:, :size], rz[:, size:]
    dn = dgi[:, 2 * size:]
    xp.multiply(g * (1 - z), 1 - n * n, out=dn)
    xp.multiply(g * (hp - n), z * (1 - z), out=dgi[:, size:2 * size])
    xp.multiply(dn * a_n, r * (1 - r), out=dgi[:, :size])
    da[:, :2 * size] = dgi[:, :2 * size]
    xp.multiply(dn, r, out=da[:, 2 * size:])
    xp.multiply(g, z, out=dh)


def _kernel(name: str, arr: Any) -> Callable:
    """The compiled step ``name`` where the kernel choice has one for ``arr`` (float32 and float64 only), else this
    module's reference."""
    fast = chosen(name, arr) if arr.dtype in (np.float32, np.float64) else None
    return fast or globals()[name]


def _lstm_forward(s: Any, gi: Any, state: Any, w_hh: Any, b_hh: Any, w_hr: Any) -> Any:
    xp = backend.array_module(gi)
    n, size = gi.shape[0], gi.shape[1] // 4
    width = w_hh.shape[1]
    gates = gi + b_hh if b_hh is not None else gi.copy()  # becomes [i | f | g | o] after the activations
    hprev, cprev = xp.empty((n, width), gi.dtype), xp.empty((n, size), gi.dtype)
    cells, tcs = xp.empty((n, size), gi.dtype), xp.empty((n, size), gi.dtype)
    hs = xp.empty((n, size), gi.dtype)
    outs = xp.empty((n, width), gi.dtype) if w_hr is not None else hs
    cur_h, cur_c = xp.ascontiguousarray(state[:, :width]), xp.ascontiguousarray(state[:, width:])
    w_t, cell = xp.ascontiguousarray(w_hh.T), _kernel("lstm_cell_forward", gi)  # a transposed view: 2x slower
    w_rt = xp.ascontiguousarray(w_hr.T) if w_hr is not None else None
    with np.errstate(over="ignore"):  # e^-a = inf gives σ = 0, the limit
        for start, end, b in s.plan:
            hp = hprev[start:end]
            hp[...], cprev[start:end] = cur_h[:b], cur_c[:b]
            z = gates[start:end]
            z += hp @ w_t
            cell(z, cprev[start:end], cells[start:end], tcs[start:end], hs[start:end])
            if w_hr is not None:
                xp.matmul(hs[start:end], w_rt, out=outs[start:end])
            cur_h[:b], cur_c[:b] = outs[start:end], cells[start:end]
    s.saved = (gates, hprev, cprev, tcs, hs)
    return xp.concatenate([xp.concatenate([outs, cells], 1), xp.concatenate([cur_h, cur_c], 1)], 0)


def _lstm_backward(s: Any, grad: Any) -> tuple:
    gi, state, w_hh, b_hh, w_hr = s.arrays
    gates, hprev, cprev, tcs, hs = s.saved
    xp = backend.array_module(grad)
    n, width = gi.shape[0], w_hh.shape[1]
    dz_all = xp.empty_like(gates)
    gh_all = xp.empty((n, width), gi.dtype) if w_hr is not None else None
    # the state's two parts and the output rows' gradients apart, contiguous
    dcur_h, dcur_c = xp.ascontiguousarray(grad[n:, :width]), xp.ascontiguousarray(grad[n:, width:])
    g_h, g_c = xp.ascontiguousarray(grad[:n, :width]), xp.ascontiguousarray(grad[:n, width:])
    cell = _kernel("lstm_cell_backward", grad)
    for start, end, b in reversed(s.plan):
        gh = g_h[start:end] + dcur_h[:b]
        if w_hr is not None:
            gh_all[start:end] = gh
            gh = gh @ w_hr
        dz = dz_all[start:end]
        cell(gates[start:end], cprev[start:end], tcs[start:end], gh, g_c[start:end], dz, dcur_c[:b])
        xp.matmul(dz, w_hh, out=dcur_h[:b])
    d_hr = gh_all.T @ hs if w_hr is not None else None
    dstate = xp.concatenate([dcur_h, dcur_c], 1)
    return dz_all, dstate, dz_all.T @ hprev, (dz_all.sum(0) if b_hh is not None else None), d_hr


def _gru_forward(s: Any, gi: Any, state: Any, w_hh: Any, b_hh: Any) -> Any:
    xp = backend.array_module(gi)
    n, size = gi.shape[0], gi.shape[1] // 3
    hprev, rz, ns = xp.empty((n, size), gi.dtype), xp.empty((n, 2 * size), gi.dtype), xp.empty((n, size), gi.dtype)
    a_n, outs = xp.empty((n, size), gi.dtype), xp.empty((n, size), gi.dtype)
    cur = state.copy()
    w_t, cell = xp.ascontiguousarray(w_hh.T), _kernel("gru_cell_forward", gi)
    with np.errstate(over="ignore"):  # e^-a = inf gives σ = 0, the limit
        for start, end, b in s.plan:
            hp = hprev[start:end]
            hp[...] = cur[:b]
            a = hp @ w_t
            if b_hh is not None:
                a += b_hh
            cell(gi[start:end], a, hp, rz[start:end], ns[start:end], a_n[start:end], outs[start:end])
            cur[:b] = outs[start:end]
    s.saved = (hprev, rz, ns, a_n)
    return xp.concatenate([outs, cur], 0)


def _gru_backward(s: Any, grad: Any) -> tuple:
    gi, state, w_hh, b_hh = s.arrays
    hprev, rz, ns, a_n = s.saved
    xp = backend.array_module(grad)
    n = gi.shape[0]
    dgi, da = xp.empty_like(gi), xp.empty_like(gi)
    dcur = grad[n:].copy()
    cell = _kernel("gru_cell_backward", grad)
    for start, end, b in reversed(s.plan):
        g = grad[start:end] + dcur[:b]
        dh = dcur[:b]
        cell(g, rz[start:end], ns[start:end], hprev[start:end], a_n[start:end], dgi[start:end], da[start:end], dh)
        dh += da[start:end] @ w_hh
    return dgi, dcur, da.T @ hprev, (da.sum(0) if b_hh is not None else None)


def step_loop(step: Callable[[Tensor, Tensor], Tensor], gi: Tensor, batch_sizes: list[int], state: Tensor,
              reverse: bool) -> tuple[Tensor, Tensor]:
    """One direction as a loop of per-step nodes, ``step(gi_t, state) -> state'``: (the states after every step
    (N, S), the final states (B, S)). The Elman RNN's layers run so, and the sequence nodes' second order."""
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)]).tolist()
    pieces = time_steps(gi, offsets)
    steps = len(batch_sizes)
    outs: list[Any] = [None] * steps
    if not reverse:
        ended, last = [], batch_sizes[0]
        for t in range(steps):
            size = batch_sizes[t]
            if size < last:  # the sequences [size, last) ended at t - 1: keep their final states
                ended.append(state[size:last])
                state = state[:size]
            state = step(pieces[t], state)
            outs[t], last = state, size
        if ended:  # later-ending sequences sit at lower batch rows
            state = cat([state] + ended[::-1], 0)
    else:
        initial, last = state, batch_sizes[-1]
        if last < batch_sizes[0]:
            state = initial[:last]
        for t in reversed(range(steps)):
            size = batch_sizes[t]
            if size > last:  # the sequences [last, size) start here, from their own initial states
                state = cat([state, initial[last:size]], 0)
            state = step(pieces[t], state)
            outs[t], last = state, size
    return (outs[0] if steps == 1 else cat(outs, 0)), state


def _lstm_steps(w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None) -> Callable[[Tensor, Tensor], Tensor]:
    def step(gi: Tensor, state: Tensor) -> Tensor:
        state = lstm_step(gi, state, w_hh, b_hh)
        if w_hr is None:
            return state
        size = w_hr.shape[1]
        return cat([state[:, :size] @ w_hr.t(), state[:, size:]], 1)

    return step


class _Sequence(Function):
    """The shared part of the two sequence nodes: saving, the plan, and second order."""

    fresh_grads = True

    def _second_order(self, grad: Tensor, step: Callable[..., Callable[[Tensor, Tensor], Tensor]]) -> tuple:
        ts = [None if a is None else self.input_tensor(k, a) for k, a in enumerate(self.arrays)]
        # each input through a node of its own, so the gradients taken below are those of this node's inputs alone
        wanted = [k for k, t in enumerate(ts) if t is not None and t.requires_grad]
        for k in wanted:
            ts[k] = ts[k] * 1
        states, final = step_loop(step(*ts[2:]), ts[0], self.batch_sizes, ts[1], self.reverse)
        found = _grad(cat([states, final], 0), [ts[k] for k in wanted], grad, create_graph=True, allow_unused=True)
        out: list[Any] = [None] * len(ts)
        for k, g in zip(wanted, found):
            out[k] = g if g is not None else ts[k] * 0
        return tuple(out)


class LSTMSequence(_Sequence):
    """(gi (N, 4H), [h0 | c0] (B, P + H), W_hh, b_hh, W_hr) -> (N + B, P + H); see the module docstring."""

    def forward(self, gi: Any, state: Any, w_hh: Any, b_hh: Any, w_hr: Any, batch_sizes: list[int],
                reverse: bool) -> Any:
        self.arrays, self.batch_sizes, self.reverse = (gi, state, w_hh, b_hh, w_hr), batch_sizes, reverse
        self.plan = _plan(batch_sizes, reverse)
        return _lstm_forward(self, gi, state, w_hh, b_hh, w_hr)

    def backward(self, grad: Any) -> tuple:
        return _lstm_backward(self, grad)

    def backward_graph(self, grad: Tensor) -> tuple:
        return self._second_order(grad, _lstm_steps)


class GRUSequence(_Sequence):
    """(gi (N, 3H), h0 (B, H), W_hh, b_hh) -> (N + B, H); see the module docstring."""

    def forward(self, gi: Any, state: Any, w_hh: Any, b_hh: Any, batch_sizes: list[int], reverse: bool) -> Any:
        self.arrays, self.batch_sizes, self.reverse = (gi, state, w_hh, b_hh), batch_sizes, reverse
        self.plan = _plan(batch_sizes, reverse)
        return _gru_forward(self, gi, state, w_hh, b_hh)

    def backward(self, grad: Any) -> tuple:
        return _gru_backward(self, grad)

    def backward_graph(self, grad: Tensor) -> tuple:
        return self._second_order(grad, lambda w_hh, b_hh: lambda gi, h: gru_step(gi, h, w_hh, b_hh))


def lstm_sequence(gi: Tensor, state: Tensor, w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None,
                  batch_sizes: list[int], reverse: bool) -> tuple[Tensor, Tensor]:
    """An LSTM layer's direction over packed ``gi`` (N, 4H) from the state [h0 | c0] (B, P + H): (the states
    [h | c] after every step (N, P + H), the final states (B, P + H))."""
    out = LSTMSequence.apply(gi, state, w_hh, b_hh, w_hr, batch_sizes, reverse)
    return out[:gi.shape[0]], out[gi.shape[0]:]


def gru_sequence(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, batch_sizes: list[int],
                 reverse: bool) -> tuple[Tensor, Tensor]:
    """A GRU layer's direction over packed ``gi`` (N, 3H) from h0 (B, H): (the states after every step (N, H),
    the final states (B, H))."""
    out = GRUSequence.apply(gi, h, w_hh, b_hh, batch_sizes, reverse)
    return out[:gi.shape[0]], out[gi.shape[0]:]
