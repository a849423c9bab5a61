"""Recurrent cells: one time step of an Elman RNN, an LSTM or a GRU, as modules (``RNNCell``, ``LSTMCell``,
``GRUCell``), and the Elman step the multi-layer ``RNN`` of ``rnn.py`` loops over (its LSTM and GRU run a whole
sequence as one node, ``ops/rnn_sequence.py``).

The maths, torch's, with the input part ``gi = x W_ihᵀ + b_ih`` computed by the caller (the layers compute it for
every time step in one matrix product) and ``gh = h W_hhᵀ + b_hh``; gate blocks are stacked in torch's order:

    RNN:  h' = act(gi + gh)                                              act = tanh or relu; W_ih (H, I)
    LSTM: i, f, g, o = σ(gi+gh)[0:H], σ(..)[H:2H], tanh(..)[2H:3H], σ(..)[3H:4H];   W_ih (4H, I)
          c' = f c + i g;   h' = o tanh(c')   (then h' W_hrᵀ with a projection, W_hr (P, H))
    GRU:  r, z = σ(gi_r + gh_r), σ(gi_z + gh_z);   n = tanh(gi_n + r gh_n);   h' = (1 - z) n + z h;   W_ih (3H, I)

An RNN step is composed of differentiable ops (linear, tanh or relu); an LSTM or GRU step is one fused node of
``ops/rnn_cells.py`` with its own backward and a second-order one (an LSTM step of the composed ops made some
fifteen nodes, and a loop of them spent most of its time in the engine).
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd import Tensor
from ..ops import rnn_cells as fused
from ..ops.factories import empty, zeros
from ..ops.shape import cat
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


def rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    """h' = act(gi + h W_hhᵀ + b_hh): gi (B, H), h (B, H) -> (B, H)."""
    pre = gi + F.linear(h, w_hh, b_hh)
    return F.relu(pre) if relu else F.tanh(pre)


class RNNCellBase(Module):
    """The parameters every cell has: weight_ih (G·H, I), weight_hh (G·H, H), bias_ih and bias_hh (G·H,), with G
    gate blocks, all initialised U(±1/√H) as torch."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(gates, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(gates, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _batched(self, input: Tensor, hx: Any, names: tuple[str, ...]) -> tuple[Tensor, bool]:  # noqa: A002
        """torch's dimension checks (ValueError), then the input as (B, I) and whether it came batched."""
        kind = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{kind}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for name, value in zip(names, hx if isinstance(hx, (tuple, list)) else (hx,)):
            if value is not None and value.dim() not in (1, 2):
                raise ValueError(f"{kind}: Expected {name} to be 1D or 2D, got {value.dim()}D instead")
        batched = input.dim() == 2
        return (input if batched else input.unsqueeze(0)), batched

    def _check_sizes(self, input: Tensor, states: tuple[Tensor, ...]) -> None:  # noqa: A002
        """torch's cell checks (RuntimeError), prefixed with this cell."""
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"{self!r}: input has inconsistent input_size: got {input.shape[1]} expected "
                               f"{self.input_size}")
        for k, s in enumerate(states):
            if s.shape[0] != input.shape[0]:
                raise RuntimeError(f"{self!r}: Input batch size {input.shape[0]} doesn't match hidden{k} batch size "
                                   f"{s.shape[0]}")
            if s.dim() != 2 or s.shape[1] != self.hidden_size:
                raise RuntimeError(f"{self!r}: hidden{k} has inconsistent hidden_size: got {s.shape[-1]}, expected "
                                   f"{self.hidden_size}")

    def _zeros(self, input: Tensor) -> Tensor:  # noqa: A002
        return zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)


class RNNCell(RNNCellBase):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act ``'tanh'`` or ``'relu'``: input (B, I) or (I), hx (B, H) or
    (H) (zeros when None) -> (B, H) or (H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002 - torch's name
        x, batched = self._batched(input, hx, ("hidden",))
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = self._zeros(x) if hx is None else (hx if batched else hx.unsqueeze(0))
        self._check_sizes(x, (h,))
        out = rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh,
                       self.nonlinearity == "relu")
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o): input (B, I) or (I), hx a tuple (h, c) of (B, H) or (H) (zeros when
    None) -> (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None  # noqa: A002 - torch's name
                ) -> tuple[Tensor, Tensor]:
        x, batched = self._batched(input, hx, ("hx[0]", "hx[1]"))
        if hx is None:
            h = c = self._zeros(x)
        else:
            h, c = hx if batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_sizes(x, (h, c))
        state = fused.lstm_step(F.linear(x, self.weight_ih, self.bias_ih), cat([h, c], 1), self.weight_hh,
                                self.bias_hh)
        h, c = state[:, :self.hidden_size], state[:, self.hidden_size:]
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n): input (B, I) or (I), hx (B, H) or (H) (zeros when None) -> (B, H) or (H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002 - torch's name
        x, batched = self._batched(input, hx, ("hidden",))
        h = self._zeros(x) if hx is None else (hx if batched else hx.unsqueeze(0))
        self._check_sizes(x, (h,))
        out = fused.gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return out if batched else out.squeeze(0)
