"""An LSTM's or GRU's gate maths for one time step compiled, in place of the reference's dozen or so NumPy calls
(``ops/rnn_sequence.py``: ``lstm_cell_forward`` ...), whose per-call cost dominated a step at the batch and
hidden sizes recurrent layers run. Same names, signatures and formulas as the reference (σ(x) = 1 / (1 + e^-x),
torch's), element by element, so the results are the reference's to rounding. The backward steps are one pass
each; the LSTM's forward keeps its exp and tanh in NumPy, whose vectorised loops beat the compiled scalar libm
calls several times over (no SVML here), and does the rest in one pass. The GRU's forward is the reference's (no
compiled form came out faster). The matrix products stay in the caller. Serial: a step is far too small to split
over threads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True)
def _lstm_forward(z, e, cp, c):  # pragma: no cover - compiled
    # e = exp(-z), z's g block already tanh'd: the σ gates from e, then c' = f c + i g
    rows, size = cp.shape
    one = z.dtype.type(1)
    for r in range(rows):
        for j in range(size):
            i = one / (one + e[r, j])
            f = one / (one + e[r, size + j])
            z[r, j], z[r, size + j], z[r, 3 * size + j] = i, f, one / (one + e[r, 3 * size + j])
            c[r, j] = f * cp[r, j] + i * z[r, 2 * size + j]


@njit(cache=True)
def _lstm_backward(z, cp, tc, gh, gc, dz, dcc):  # pragma: no cover - compiled
    rows, size = cp.shape
    one = z.dtype.type(1)
    for r in range(rows):
        for j in range(size):
            i, f, g, o = z[r, j], z[r, size + j], z[r, 2 * size + j], z[r, 3 * size + j]
            t, gr = tc[r, j], gh[r, j]
            dc = gc[r, j] + dcc[r, j] + gr * o * (one - t * t)
            dz[r, j] = dc * g * (i * (one - i))
            dz[r, size + j] = dc * cp[r, j] * (f * (one - f))
            dz[r, 2 * size + j] = dc * i * (one - g * g)
            dz[r, 3 * size + j] = gr * t * (o * (one - o))
            dcc[r, j] = dc * f


@njit(cache=True)
def _gru_backward(g, rz, n, hp, a_n, dgi, da, dh):  # pragma: no cover - compiled
    rows, size = hp.shape
    one = g.dtype.type(1)
    for r in range(rows):
        for j in range(size):
            gg, rr, zz, nn = g[r, j], rz[r, j], rz[r, size + j], n[r, j]
            dn = gg * (one - zz) * (one - nn * nn)
            dzz = gg * (hp[r, j] - nn) * (zz * (one - zz))
            dr = dn * a_n[r, j] * (rr * (one - rr))
            dgi[r, j], dgi[r, size + j], dgi[r, 2 * size + j] = dr, dzz, dn
            da[r, j], da[r, size + j], da[r, 2 * size + j] = dr, dzz, dn * rr
            dh[r, j] = gg * zz


def lstm_cell_forward(z: Any, cp: Any, c: Any, tc: Any, h: Any) -> None:
    """z (b, 4H) the pre-activations, made [i | f | g | o] in place; cp (b, H) the cell before: writes c', tanh(c'),
    h (b, H). The exponentials and tanh run in NumPy (vectorised), the rest in one compiled pass; the caller
    silences exp's overflow (e^-z = inf gives σ = 0, the limit)."""
    size = cp.shape[1]
    e = np.exp(np.negative(z))
    g = z[:, 2 * size:3 * size]
    np.tanh(g, out=g)
    _lstm_forward(z, e, cp, c)
    np.tanh(c, out=tc)
    np.multiply(z[:, 3 * size:], tc, out=h)


def lstm_cell_backward(z: Any, cp: Any, tc: Any, gh: Any, gc: Any, dz: Any, dcc: Any) -> None:
    """gh, gc + dcc the gradients of h and c': writes dz (b, 4H) and, in place of dcc, the cell's dc' · f."""
    _lstm_backward(z, cp, tc, gh, gc, dz, dcc)


def gru_cell_backward(g: Any, rz: Any, n: Any, hp: Any, a_n: Any, dgi: Any, da: Any, dh: Any) -> None:
    """g (b, H) the gradient of h': writes dgi, da (b, 3H) and dh = g z (the caller adds da W_hh)."""
    _gru_backward(g, rz, n, hp, a_n, dgi, da, dh)
