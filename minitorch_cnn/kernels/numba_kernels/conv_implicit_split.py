"""Wide layers' backward on the implicit GEMM split over threads by samples for dx and output channels for dW.

Where the weights outweigh the activations (ResNet-18's 512→512 3×3 layers on 4×4 planes) the schedule splits
the backward over output channels rather than the batch (``conv_schedule._channel_split``), so that no thread
keeps a whole dW of its own. ``conv_split.BackwardSplit`` does that on channels-last rows with OpenBLAS; where the
layer's dx and dW both run on the implicit GEMM (``conv_implicit``) at one thread, ``ImplicitSplit`` runs them the
same way, in the schedule's two phases per chunk of the batch (thread k passing its slice of the chunk's samples
and of the output channels):

    gather:   dx[samples] = the implicit convolution of g[samples] with W's channels swapped and taps flipped;
    products: dW[channels] += the implicit dW of the chunk's samples, those output channels only (db on thread 0).

dW (float64 (O, kh, kw, C), each thread writing its own rows) is summed over the chunks in float64, each chunk's
part in the dtype, as the one-thread path sums a share's chunks; the result does not depend on which thread
finished first. Each thread packs the weights for its dx itself (the 512-channel weights pack in a few ms).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import gemm_kernel, turn_kernel
from .conv_implicit import chunk_samples, conv_implicit, implicit_dw_fits, implicit_fits, weight_grad_implicit
from .conv_implicit_taps import taps_kernel
from .conv_split import loop_shape
from .layout import Pair, flat


def implicit_split_fits(channels: Pair, groups: int, kernel_size: Pair, stride: Pair, dilation: Pair, dtype: Any,
                        with_dx: bool) -> bool:
    """Whether ``ImplicitSplit`` can run a backward that makes dW (and dx where ``with_dx``) for a layer of (in,
    out) ``channels``: the ISA has the gather kernels and the block transpose, dW fits the implicit GEMM, and dx
    too where asked for (stride 1, undilated)."""
    dtype = np.dtype(dtype)
    nr, nrb = gemm_kernel.panel_kernel(dtype, gather=True)[2], gemm_kernel.panel_kernel(dtype, True, True)[2]
    if turn_kernel.turn_kernel(dtype)[0] is None or not implicit_dw_fits(channels, groups, kernel_size, stride, nrb):
        return False
    return not with_dx or (stride == (1, 1) and dilation == (1, 1)
                           and implicit_fits(channels[::-1], groups, kernel_size, stride, nr))


class ImplicitSplit:
    """One backward call split over ``threads`` threads (``conv_split.BackwardSplit``'s interface): ``gather``
    and ``products`` run by the schedule on every thread at once for every chunk of at most ``step`` samples;
    then ``finish`` hands on dW and the float64 db sums."""

    def __init__(self, g: Any, x: Any, w: Any, dx: Any, x_shape: tuple, need_b: bool, kernel_size: Pair,
                 stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, step: int, threads: int) -> None:
        dtype, (N, O), C = g.dtype, g.shape[:2], x_shape[1]
        if x is None or (dx is not None and not dx.flags.c_contiguous) or threads < 1:
            raise ValueError(f"ImplicitSplit: x must be given, dx C-contiguous and threads at least 1, got "
                             f"x {'absent' if x is None else 'given'}, threads={threads}")
        self.g, self.x, self.w, self.dx = flat(g), flat(x), w, dx
        self.x_shape, self.O, self.need_b, self.N, self.step = x_shape, O, need_b, N, step
        self.geometry = (kernel_size, stride, padding, dilation, out_size)
        self.dw = np.zeros((O, *kernel_size, C))  # float64, summed over the chunks
        self.db = np.zeros(O if need_b else 0)
        self.dwk = gemm_kernel.panel_kernel(dtype, gather=True, gather_b=True)
        self.dxk = gemm_kernel.panel_kernel(dtype, gather=True)
        self.turn = turn_kernel.turn_kernel(dtype)[0]
        _, self.hp, self.wp = loop_shape(x_shape, O, kernel_size, stride, padding, dilation, out_size)

    def gather(self, k: int, n0: int, samples: Pair, channels: Pair, ready: Any, job: int) -> None:
        """Thread ``k``: dx of ``samples`` (none where dx is not asked for)."""
        if self.dx is None or samples[1] <= samples[0]:
            return
        (kh, kw), _, (pt, pl), _, (oh, ow) = self.geometry
        kernel, mr, nr = self.dxk
        C, H, W = self.x_shape[1:]
        O, hp, wp = self.O, H + kh - 1, W + kw - 1  # g padded by k - 1 - p
        conv_implicit(kernel, mr, nr, self.turn, self.g, flat(self.w), np.empty(0, self.g.dtype), False,
                      self.dx.reshape(-1), *samples, True, O, oh, ow, C, kh, kw, 1, 1, kh - 1 - pt, kw - 1 - pl, 1, 1,
                      H, W, hp, wp, chunk_samples(hp, wp, O, H * W, C, self.g.itemsize, mr), ready, job,
                      *taps_kernel(self.g.dtype))

    def products(self, k: int, n0: int, samples: Pair, channels: Pair, ready: Any, job: int) -> None:
        """Thread ``k``: dW's ``channels`` over the chunk starting at ``n0`` (and db, on thread 0)."""
        if channels[1] <= channels[0]:
            return
        (kh, kw), stride, (pt, pl), dilation, out_size = self.geometry
        kernel, mr, nr = self.dwk
        C, H, W = self.x_shape[1:]
        O = self.O
        n1 = min(self.N, n0 + self.step)
        weight_grad_implicit(kernel, mr, nr, self.turn, self.g, self.x, self.dw.reshape(-1), self.db,
                             self.need_b and k == 0, n0, n1, C, H, W, O, kh, kw, *stride, pt, pl, *dilation,
                             *out_size, self.hp, self.wp,
                             chunk_samples(self.hp, self.wp, C, out_size[0] * out_size[1], O, self.g.itemsize, mr),
                             *channels, ready, job)

    def finish(self) -> tuple[Any, Any]:
        """(dW (O, C, kh, kw) in the dtype; [the float64 db sum], or None)."""
        return self.dw.transpose(0, 3, 1, 2).astype(self.g.dtype, order="C"), ([self.db] if self.need_b else None)
