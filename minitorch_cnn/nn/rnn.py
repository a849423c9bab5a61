"""Multi-layer recurrent layers under torch's names: ``RNN`` (tanh or relu), ``LSTM`` (with ``proj_size``) and
``GRU``, with torch's parameters (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``,
``weight_hr_l{k}``, ``_reverse`` for the backward direction), so a torch state_dict loads as it is.

A layer runs over a time-major packed batch: ``data`` (N, I) and ``batch_sizes`` (T,), non-increasing. A padded
input (T, B, I) is the packed batch whose every step holds all B sequences, so one loop serves both. The input
part of every gate, ``x W_ihᵀ + b_ih``, is one matrix product over all N rows; an LSTM's or GRU's direction is
then one node over all the steps (``ops/rnn_sequence.py``), an Elman RNN's a loop of one step each
(``rnn_cell.py``). Going forward, a sequence that ends leaves its state behind as the batch shrinks; going
backward in time the batch grows, each sequence starting from its own initial state. The layers' outputs are
joined on the feature dim ([forward, backward]); the final states are stacked as torch's (layer 0 forward, layer 0
backward, layer 1 forward, ...). ``dropout`` applies to every layer's output but the last, in training.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from ..autograd import Tensor
from ..ops.factories import empty, zeros
from ..ops.rnn_sequence import gru_sequence, lstm_sequence, step_loop
from ..ops.shape import cat, stack
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .rnn_cell import rnn_step
from .utils.rnn import PackedSequence

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_NAMES = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: parameters, checks and the layer loop. ``mode`` is one of
    ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'``, ``'GRU'``."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=2)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gates = _GATES[mode] * hidden_size
        real = proj_size if proj_size > 0 else hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                fan_in = input_size if layer == 0 else real * directions
                shapes = {f"weight_ih_l{layer}{suffix}": (gates, fan_in), f"weight_hh_l{layer}{suffix}": (gates, real)}
                if bias:
                    shapes.update({f"bias_ih_l{layer}{suffix}": (gates,), f"bias_hh_l{layer}{suffix}": (gates,)})
                if proj_size > 0:
                    shapes[f"weight_hr_l{layer}{suffix}"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(self, name, Parameter(empty(*shape, dtype=dtype, device=device)))
                self._flat_weights_names.extend(shapes)
                self._all_weights.append(list(shapes))
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Parameter]:
        """The parameters in torch's flat order, looked up each time (so a replaced or tied one is seen)."""
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Per layer and direction, its parameters in torch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Nothing to do: torch packs the weights into one buffer for cuDNN only, and on a CPU its call returns
        without change, as here."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / self.hidden_size ** 0.5
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --- checks (torch's messages, prefixed with the layer) ---------------------------------------------------

    def _check_input(self, input: Tensor, dims: int) -> None:  # noqa: A002 - torch's name
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(f"{self!r}: RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or convert model: "
                             f"model.to({input.dtype})")
        if input.dim() != dims:
            raise RuntimeError(f"{self!r}: input must have {dims} dimensions, got {input.dim()}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{self!r}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def _check_hidden(self, hx: Tensor, expected: tuple[int, int, int], which: str = "hidden") -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"{self!r}: Expected {which} size {expected}, got {list(hx.shape)}")

    def _state_dims(self, hx: Any, batched: bool) -> Any:
        """torch's dimension check of the initial state(s), then the unbatched ones given a batch dim of 1."""
        if hx is None:
            return None
        lstm = self.mode == "LSTM"
        states = tuple(hx) if lstm else (hx,)
        want = 3 if batched else 2
        if any(s.dim() != want for s in states):
            got = f"({states[0].dim()}-D, {states[1].dim()}-D) tensors" if lstm else f"{hx.dim()}-D tensor"
            form = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"{self!r}: For {form} input, hx{' and cx' if lstm else ''} should also be "
                               f"{want}-D but got {got}")
        if not batched:
            states = tuple(s.unsqueeze(1) for s in states)
        return states if lstm else states[0]

    # --- forward ----------------------------------------------------------------------------------------------

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002 - torch's name
        """input (T, B, I) ((B, T, I) with ``batch_first``), (T, I) unbatched, or a PackedSequence; hx the
        initial state(s) (L·D, B, H_out) (LSTM: a tuple (h0, c0), c0 (L·D, B, H)), zeros when None. Returns
        (output (T, B, D·H_out) or packed, h_n) (LSTM: (output, (h_n, c_n)))."""
        lstm = self.mode == "LSTM"
        directions = 2 if self.bidirectional else 1
        real = self.proj_size if self.proj_size > 0 else self.hidden_size
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes_t, sorted_indices, unsorted_indices = input
            self._check_input(data, 2)
            batch_sizes = [int(b) for b in batch_sizes_t.numpy()]
            batch, batched = batch_sizes[0], True
        else:
            if input.dim() not in (2, 3):
                tensor = " tensor" if self.mode.startswith("RNN") else ""
                raise ValueError(f"{self!r}: {_NAMES[self.mode]}: Expected input to be 2D or 3D, got "
                                 f"{input.dim()}D{tensor} instead")
            batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not batched:
                input = input.unsqueeze(batch_dim)
            hx = self._state_dims(hx, batched)
            self._check_input(input, 3)
            x = input.transpose(0, 1) if self.batch_first else input
            steps, batch = x.shape[0], x.shape[1]
            if steps == 0:
                raise RuntimeError(f"{self!r}: Expected sequence length to be larger than 0 in RNN")
            data = x.reshape(steps * batch, self.input_size)
            batch_sizes = [batch] * steps
        expected = (self.num_layers * directions, batch, real)
        if hx is None:
            h0 = zeros(*expected, dtype=data.dtype, device=data.device)
            c0 = zeros(expected[0], batch, self.hidden_size, dtype=data.dtype, device=data.device) if lstm else None
        elif lstm:
            h0, c0 = hx
            self._check_hidden(h0, expected, "hidden[0]")
            self._check_hidden(c0, (expected[0], batch, self.hidden_size), "hidden[1]")
        else:
            h0, c0 = hx, None
            self._check_hidden(h0, expected)
        if packed and sorted_indices is not None:
            h0 = h0[:, sorted_indices]
            c0 = c0[:, sorted_indices] if lstm else None
        out, h_n, c_n = self._layers(data, batch_sizes, h0, c0)
        if packed:
            if unsorted_indices is not None:
                h_n = h_n[:, unsorted_indices]
                c_n = c_n[:, unsorted_indices] if lstm else None
            output: Any = PackedSequence(out, batch_sizes_t, sorted_indices, unsorted_indices)
        else:
            output = out.reshape(steps, batch, directions * real)
            if self.batch_first:
                output = output.transpose(0, 1)
            if not batched:
                output, h_n = output.squeeze(batch_dim), h_n.squeeze(1)
                c_n = c_n.squeeze(1) if lstm else None
        return output, ((h_n, c_n) if lstm else h_n)

    def _layers(self, data: Tensor, batch_sizes: list[int], h0: Tensor,
                c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        """All layers over packed ``data`` (N, I): (output (N, D·H_out), h_n, c_n or None)."""
        directions = 2 if self.bidirectional else 1
        x, hs, cs = data, [], []
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                x = F.dropout(x, self.dropout, True)
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                suffix = f"_l{layer}{'_reverse' if direction else ''}"
                gi = F.linear(x, getattr(self, "weight_ih" + suffix),
                              getattr(self, "bias_ih" + suffix) if self.bias else None)
                state = h0[k] if c0 is None else cat([h0[k], c0[k]], 1)
                states, final = self._direction(gi, batch_sizes, state, suffix, reverse=direction == 1)
                width = h0.shape[2]
                if c0 is None:
                    outs.append(states)
                    hs.append(final)
                else:  # the LSTM's state is [h | c]: its outputs are the h part
                    outs.append(states[:, :width])
                    hs.append(final[:, :width])
                    cs.append(final[:, width:])
            x = outs[0] if directions == 1 else cat(outs, 1)
        return x, stack(hs), (stack(cs) if c0 is not None else None)

    def _direction(self, gi: Tensor, batch_sizes: list[int], state: Tensor, suffix: str,
                   reverse: bool) -> tuple[Tensor, Tensor]:
        """One layer in one direction: gi (N, G·H) the input part of the gates, ``state`` (B, S) the initial state
        (h, or for an LSTM [h | c]) -> (the states after every step (N, S), the final states (B, S)). An LSTM or
        GRU runs as one node for the whole sequence (``ops/rnn_sequence.py``), an Elman RNN a node per step."""
        w_hh = getattr(self, "weight_hh" + suffix)
        b_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
        if self.mode == "LSTM":
            w_hr = getattr(self, "weight_hr" + suffix) if self.proj_size > 0 else None
            return lstm_sequence(gi, state, w_hh, b_hh, w_hr, batch_sizes, reverse)
        if self.mode == "GRU":
            return gru_sequence(gi, state, w_hh, b_hh, batch_sizes, reverse)
        relu = self.mode == "RNN_RELU"
        return step_loop(lambda g, s: rnn_step(g, s, w_hh, b_hh, relu), gi, batch_sizes, state, reverse)


class RNN(RNNBase):
    """Elman RNN, h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), act ``nonlinearity`` ('tanh' or 'relu').
    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``, positionally as torch's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(modes[nonlinearity], *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM over a sequence; ``proj_size > 0`` projects each h_t to that size by ``weight_hr_l{k}``.
    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False,
    proj_size=0)``; forward(input, (h0, c0)) -> (output, (h_n, c_n))."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """GRU over a sequence (gates r, z, n). ``GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)
