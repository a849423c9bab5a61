"""The Numba kernels: the reference's loops (``numpy_kernels.py``) compiled, one fused pass each, a module per
concept.

Same names, signatures and results as the reference. The conv and pooling kernels add the same terms in the
same order (taps in row-major order), so they agree with it bit for bit; the batch-norm sums run in float64
in another order, the direct conv (``conv_direct``) sums with fused multiply-adds, and wide
layers' backward on channels-last rows (``conv_rows``) sums in its GEMMs' order: those agree to rounding.
fastmath stays off (it would reorder sums and drop the NaN tests max-pooling needs), but for its "reassoc" flag on
the batch-norm sums. Work is split over threads so that each writes its own
memory (``parallel``): by (sample, channel) planes for pooling, by channels for batch norm and col2im, by column
rows for im2col.

- ``layout``: flat arrays and unsigned offsets, how every loop addresses memory;
- ``parallel``: the threading layer, single-threaded twins, splitting a range over the thread pool;
- ``im2col``, ``conv_gemm``, ``conv_direct``, ``conv_rows``, ``conv_packed``, ``conv``: convolution's columns, its
  GEMM loop, its direct micro-kernel path, wide layers' backward on channels-last rows, wide layers' channel-major
  GEMMs on the packed panels (``gemm_packed``: the blocked GEMM around ``kernels.gemm_kernel``), wide layers'
  forward, stride-1 dx and dW as implicit GEMMs reading the input in place (``conv_implicit``), and the chunk
  kernels that choose between them; ``conv_split``: the rows backward's phases split over output channels instead
  of the batch (the schedule runs them), ``conv_implicit_split`` the implicit GEMM's;
- ``division``: fmod, remainder and the floor quotient of floats (exact, through a fused multiply-add);
- ``pool3d``: 3-d max pooling's windows, max and argmax in one pass;
- ``index_along``: gather and scatter-add along a dim (and at flat offsets) in add.at's order; ``scan``: cumsum
  along one axis, forward or from the end;
- ``pooling``, ``batch_norm``, ``activation``, ``resize``, ``optimizers`` (the parameter updates), ``rnn_cells``
  (an LSTM's or GRU's gate maths per time step; ``ops/rnn_sequence.py`` holds their reference).

Compilation happens on the first call per dtype and is cached on disk (``cache=True``), so only the very first
run on a machine pays it; ``choice`` imports this package lazily, by its name, never at package import.
"""

from .activation import relu_backward, relu_forward
from .batch_norm import batch_norm_backward, batch_norm_forward
from .conv import conv2d_backward_chunks, conv2d_forward_chunks
from .conv_implicit_split import ImplicitSplit, implicit_split_fits
from .conv_split import BackwardSplit, split_fits
from .division import fmod_family
from .im2col import col2im, im2col
from .index_along import gather_along, scatter_add_along, scatter_add_flat
from .optimizers import adam_step, sgd_step
from .pool3d import window_max_3d
from .pooling import (
    adaptive_max_pool2d_forward,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from .resize import resize_pil_pass
from .rnn_cells import gru_cell_backward, lstm_cell_backward, lstm_cell_forward
from .scan import cumsum_along

__all__ = [
    "BackwardSplit",
    "ImplicitSplit",
    "adam_step",
    "adaptive_max_pool2d_forward",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "batch_norm_backward",
    "batch_norm_forward",
    "col2im",
    "conv2d_backward_chunks",
    "conv2d_forward_chunks",
    "cumsum_along",
    "gather_along",
    "gru_cell_backward",
    "im2col",
    "implicit_split_fits",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "relu_backward",
    "relu_forward",
    "resize_pil_pass",
    "scatter_add_along",
    "scatter_add_flat",
    "sgd_step",
    "split_fits",
]
