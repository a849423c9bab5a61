"""``F.affine_grid`` and ``F.grid_sample``: the sampling grid of an affine map, and sampling an image at a grid.

affine_grid, theta (N, 2, 3), size (N, C, H, W) -> grid (N, H, W, 2) (3-D: theta (N, 3, 4), grid (N, D, H, W, 3)):

    grid[n, h, w] = theta[n] @ (x_w, y_h, 1)       x_w = linspace(-1, 1, W) (× (W-1)/W unless align_corners)
    backward:       dtheta[n] = Σ_hw g[n, h, w] ⊗ (x_w, y_h, 1)          (a matmul: the composition's own)

grid_sample, input (N, C, H, W), grid (N, Ho, Wo, 2) of (x, y) in [-1, 1] -> (N, C, Ho, Wo), torch's 2-D sampler:

    ix = (x + 1)·(W-1)/2 (align_corners) or (x + 1)·W/2 - 1/2, then the padding mode: 'zeros' (as is),
         'border' (clipped to [0, W-1]), 'reflection' (reflected about the edges, then clipped); iy likewise
    bilinear: x0 = ⌊ix⌋, x1 = x0 + 1, wx1 = ix - x0, wx0 = 1 - wx1 (y likewise);
              out = Σ_corners w_x·w_y·input[n, c, y, x], corners outside the image read 0
    nearest:  out = input[n, c, round_half_even(iy), round_half_even(ix)] (0 outside)
    bicubic:  ix unpadded; t = ix - ⌊ix⌋; out = Σ_{i,j} c_j(tx)·c_i(ty)·input[pad(⌊iy⌋-1+i), pad(⌊ix⌋-1+j)] over the
              4×4 taps, c Keys' cubic convolution weights (A = -0.75), each tap's coordinate padded on its own
    backward: dinput = the same weights scatter-added; dgrid_x = ∂ix/∂x · Σ_c g·(∂out/∂ix), where
              ∂out/∂ix = wy0·(v_ne - v_nw) + wy1·(v_se - v_sw) and ∂ix/∂x is the unnormalising scale times the
              padding's slope (0 where clipped, ±1 where reflected); nearest sends 0 to the grid; bicubic:
              dgrid_x = scale · Σ_c g·Σ_{i,j} v_ij·c_j'(tx)·c_i(ty)

Twice differentiable, as torch's: the backward is also written in differentiable ops (``backward_graph``).
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .indexing import IndexScatter, getitem
from .matmul import matmul
from .shape import permute, reshape, stack, transpose, unsqueeze

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_DEFAULT_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                    "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                    "grid_sample for details.")


def _linspace_from_neg_one(steps: int, align_corners: bool, dtype: Any) -> np.ndarray:
    """The normalised pixel coordinates along one axis, bit for bit as torch's CPU ``linspace_from_neg_one``:
    linspace(-1, 1) with its step in ``dtype``, start + step·i for the first half and end - step·(n-1-i) for the
    second, each one rounding (fused: exact here in float64 for float32, by fractions for float64), then
    × (n-1) and / n as two roundings when not align_corners."""
    dt = np.dtype(dtype)
    if steps <= 1:
        return np.zeros(1, dtype=dt)
    step = (dt.type(1) - dt.type(-1)) / dt.type(steps - 1)
    i = np.arange(steps)
    if dt == np.float32:
        s, fi = np.float64(step), i.astype(np.float64)
        r = np.where(i < steps // 2, -1.0 + s * fi, 1.0 - s * (steps - 1 - fi)).astype(dt)
    else:
        fs = Fraction(float(step))
        r = np.array([float(-1 + fs * k) if k < steps // 2 else float(1 - fs * (steps - 1 - k)) for k in range(steps)],
                     dtype=dt)
    return r if align_corners else (r * dt.type(steps - 1)) / dt.type(steps)


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """``torch.nn.functional.affine_grid``: the (N, H, W, 2) grid (or (N, D, H, W, 3)) of ``theta`` applied to
    the normalised coordinates of an output of ``size`` (N, C, H, W) (or (N, C, D, H, W)); differentiable in
    ``theta``. ``align_corners=None`` warns as torch's and means False."""
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid(): argument 'theta' must be a Tensor, not {type(theta).__name__}")
    if theta.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise ValueError(f"affine_grid: theta holds {theta.shape[0]} matrices but size asks for a batch of {size[0]}")
    # base[..., :] = (x, y[, z], 1): the last spatial axis is x, as torch's grids are
    axes = [_linspace_from_neg_one(n, align_corners, theta.dtype) for n in reversed(spatial)]
    mesh = np.meshgrid(*reversed(axes), indexing="ij")  # in spatial order (D, H, W)
    base = np.stack([*reversed(mesh), np.ones(spatial, dtype=theta.dtype)], axis=-1).reshape(1, -1, len(spatial) + 1)
    base_t = Tensor._wrap(backend.move_to(np.ascontiguousarray(base), theta.device))
    grid = matmul(base_t, transpose(theta, 1, 2))  # (N, prod(spatial), k)
    return reshape(grid, (size[0], *spatial, len(spatial)))


def _reflect(x: Any, twice_low: int, twice_high: int) -> tuple[Any, Any]:
    """Coordinates reflected into [low, high] (bounds given doubled, as torch's) and the slope of the map (±1)."""
    xp = backend.array_module(x)
    if twice_low == twice_high:
        return xp.zeros_like(x), xp.zeros_like(x)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = x - low
    sign = xp.where(x < 0, -1.0, 1.0).astype(x.dtype)
    x = xp.abs(x)
    extra = xp.fmod(x, span)
    even = xp.floor(x / span) % 2 == 0
    return xp.where(even, extra + low, span - extra + low), xp.where(even, sign, -sign)


def _clip(x: Any, n: int) -> tuple[Any, Any]:
    """Coordinates clipped to [0, n-1] and the slope (0 at and past the edges, as torch's: edges count as out)."""
    xp = backend.array_module(x)
    inside = (x > 0) & (x < n - 1)
    return xp.clip(x, 0, n - 1), inside.astype(x.dtype)


def _fma(a: Any, b: float, c: float) -> Any:
    """a·b + c with one rounding, as a fused multiply-add (torch's CPU sampler unnormalises with one). float32:
    the float64 product and sum are exact, then rounded once. float64: Dekker's exact product and Knuth's exact
    sum (a double-double), rounded once; b and c are small constants (n/2 and -1/2)."""
    xp = backend.array_module(a)
    if a.dtype == np.float32:
        return (a.astype(np.float64) * b + c).astype(np.float32)
    p = a * b
    split = 134217729.0  # 2^27 + 1: Veltkamp's split of a double into two 26-bit halves
    ah = a * split
    ah = ah - (ah - a)
    al = a - ah
    bh = b * split
    bh = bh - (bh - b)
    bl = b - bh
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # a·b = p + err exactly
    total = p + c
    v = total - p
    rest = (p - (total - v)) + (c - v)  # p + c = total + rest exactly
    out = total + (rest + err)
    return xp.where(xp.isfinite(p), out, p + c)


def _source(coord: Any, n: int, padding: str, align_corners: bool) -> tuple[Any, Any]:
    """Pixel coordinates along an axis of size n for normalised ``coord``, and d(pixel)/d(coord); in the rounding
    order of torch's CPU sampler, (x + 1)·(n-1)/2 or fma(x + 1, n/2, -1/2), so that a grid point on a pixel centre
    (affine_grid's identity) lands on the same side of it as in torch."""
    scale = (n - 1) / 2 if align_corners else n / 2
    pix = (coord + 1) * scale if align_corners else _fma(coord + 1, scale, -0.5)
    slope = backend.array_module(coord).full_like(coord, scale)
    if padding == "border":
        pix, s = _clip(pix, n)
        slope = slope * s
    elif padding == "reflection":
        pix, s1 = _reflect(pix, 0, 2 * (n - 1)) if align_corners else _reflect(pix, -1, 2 * n - 1)
        pix, s2 = _clip(pix, n)
        slope = slope * s1 * s2
    return pix, slope


_A = -0.75  # the cubic convolution's parameter, as torch's (and OpenCV's)


def _cubic_coeffs(t: Any) -> list[Any]:
    """Keys' cubic convolution weights of the taps at offsets -1, 0, 1, 2 for a fraction t in [0, 1); plain
    arithmetic, so ``t`` may be an array or a Tensor (the differentiable form of the backward)."""
    u, x2 = t + 1, 1 - t
    v = x2 + 1
    return [((_A * u - 5 * _A) * u + 8 * _A) * u - 4 * _A, ((_A + 2) * t - (_A + 3)) * t * t + 1,
            ((_A + 2) * x2 - (_A + 3)) * x2 * x2 + 1, ((_A * v - 5 * _A) * v + 8 * _A) * v - 4 * _A]


def _cubic_coeffs_grad(t: Any) -> list[Any]:
    """d/dt of ``_cubic_coeffs`` (torch's backward uses the negatives of these, subtracted)."""
    u, x2, v = t + 1, 1 - t, 2 - t
    return [(3 * _A * u - 10 * _A) * u + 8 * _A, (3 * (_A + 2) * t - 2 * (_A + 3)) * t,
            -((3 * (_A + 2) * x2 - 2 * (_A + 3)) * x2), -((3 * _A * v - 10 * _A) * v + 8 * _A)]


def _pad_tap(coord: Any, n: int, padding: str, align_corners: bool) -> Any:
    """A bicubic tap's pixel coordinate under the padding mode (torch's compute_coordinates)."""
    if padding == "border":
        return _clip(coord, n)[0]
    if padding == "reflection":
        coord = _reflect(coord, 0, 2 * (n - 1))[0] if align_corners else _reflect(coord, -1, 2 * n - 1)[0]
        return _clip(coord, n)[0]
    return coord


def _taps(ix: Any, iy: Any, h: int, w: int, mode: str, padding: str = "zeros",
          align_corners: bool = False) -> list[tuple[Any, Any, Any]]:
    """(flat index, in-bounds mask, (wx, wy) or None) of each tap: the 4 bilinear corners nw, ne, sw, se (weights
    as torch's CPU sampler forms them, w = ix - x0 and e = 1 - w), the nearest pixel, or the 4×4 bicubic taps
    (row by row; each tap's coordinate padded on its own, as torch's)."""
    xp = backend.array_module(ix)

    def tap(xf: Any, yf: Any) -> tuple[Any, Any]:
        ok = (xf >= 0) & (xf <= w - 1) & (yf >= 0) & (yf <= h - 1)  # NaN and huge coordinates are out
        xi = xp.where(ok, xf, 0).astype(np.int64)
        yi = xp.where(ok, yf, 0).astype(np.int64)
        return yi * w + xi, ok

    if mode == "nearest":
        flat, ok = tap(xp.rint(ix), xp.rint(iy))
        return [(flat, ok, None)]
    x0, y0 = xp.floor(ix), xp.floor(iy)
    if mode == "bicubic":
        cx, cy = _cubic_coeffs(ix - x0), _cubic_coeffs(iy - y0)
        return [(*tap(_pad_tap(x0 - 1 + j, w, padding, align_corners), _pad_tap(y0 - 1 + i, h, padding, align_corners)),
                 (cx[j], cy[i])) for i in range(4) for j in range(4)]
    x1, y1 = x0 + 1, y0 + 1
    wx1, wy1 = ix - x0, iy - y0
    wx0, wy0 = 1 - wx1, 1 - wy1
    return [(*tap(x0, y0), (wx0, wy0)), (*tap(x1, y0), (wx1, wy0)), (*tap(x0, y1), (wx0, wy1)),
            (*tap(x1, y1), (wx1, wy1))]


class GridSample2d(Function):
    """input (N, C, H, W), grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo); arrays flattened to (N, C, P), P = Ho·Wo."""

    def forward(self, inp: Any, grid: Any, mode: str, padding: str, align_corners: bool) -> Any:
        xp = backend.array_module(inp)
        n, c, h, w = inp.shape
        ho, wo = grid.shape[1:3]
        self.in_shape, self.grid_shape, self.mode = inp.shape, grid.shape, mode
        flat_grid = grid.reshape(n, ho * wo, 2)
        # bicubic pads each tap, not the coordinate
        coord_padding = "zeros" if mode == "bicubic" else padding
        ix, sx = _source(flat_grid[..., 0], w, coord_padding, align_corners)
        iy, sy = _source(flat_grid[..., 1], h, coord_padding, align_corners)
        self.slopes, self.coords = (sx, sy), (ix, iy)
        self.inp, self.grid = inp, grid  # references, for a second differentiation
        self.taps = _taps(ix, iy, h, w, mode, padding, align_corners)
        src = inp.reshape(n, c, h * w)
        out = xp.zeros((n, c, ho * wo), dtype=inp.dtype)
        self.values = []
        # each tap's weight, 0 where it falls outside (also where a NaN coordinate made the weight NaN)
        self.shares = [ok.astype(inp.dtype) if wts is None else xp.where(ok, wts[0] * wts[1], 0)
                       for _, ok, wts in self.taps]
        for (flat, ok, _), share in zip(self.taps, self.shares):
            v = xp.take_along_axis(src, xp.broadcast_to(flat[:, None, :], out.shape), axis=2)
            v = xp.where(ok[:, None, :], v, 0)
            self.values.append(v)
            out += v * share[:, None, :]
        if not self.needs_input_grad[1]:
            self.values = []
        return out.reshape(n, c, ho, wo)

    def backward(self, g: Any) -> tuple[Any, Any]:
        xp = backend.array_module(g)
        n, c, h, w = self.in_shape
        g = g.reshape(n, c, -1)
        need_in, need_grid = self.needs_input_grad[:2]
        grad_in = grad_grid = None
        if need_in:
            # scatter-add every tap's share into a flat (N·C·H·W) buffer: one bincount over all taps
            base = (xp.arange(n * c).reshape(n, c, 1) * (h * w))
            idx, val = [], []
            for (flat, _, _), share in zip(self.taps, self.shares):
                idx.append((base + flat[:, None, :]).ravel())
                val.append((g * share[:, None, :]).ravel())
            grad_in = xp.bincount(xp.concatenate(idx), weights=xp.concatenate(val), minlength=n * c * h * w)
            grad_in = grad_in.astype(g.dtype, copy=False).reshape(self.in_shape)
        if need_grid:
            if self.mode == "nearest":
                grad_grid = xp.zeros(self.grid_shape, dtype=g.dtype)
            elif self.mode == "bicubic":
                ix, iy = self.coords
                dcx, dcy = _cubic_coeffs_grad(ix - xp.floor(ix)), _cubic_coeffs_grad(iy - xp.floor(iy))
                gx = gy = 0
                for k, ((_, _, (cx, cy)), v) in enumerate(zip(self.taps, self.values)):
                    i, j = divmod(k, 4)
                    gv = (g * v).sum(axis=1)
                    gx = gx + gv * (dcx[j] * cy)
                    gy = gy + gv * (cx * dcy[i])
                sx, sy = self.slopes
                grad_grid = xp.stack([gx * sx, gy * sy], axis=-1).reshape(self.grid_shape)
            else:
                (_, _, (wx0, wy0)), _, _, (_, _, (wx1, wy1)) = self.taps
                v_nw, v_ne, v_sw, v_se = self.values
                gx = (g * (wy0[:, None, :] * (v_ne - v_nw) + wy1[:, None, :] * (v_se - v_sw))).sum(axis=1)
                gy = (g * (wx0[:, None, :] * (v_sw - v_nw) + wx1[:, None, :] * (v_se - v_ne))).sum(axis=1)
                sx, sy = self.slopes
                grad_grid = xp.stack([gx * sx, gy * sy], axis=-1).reshape(self.grid_shape)
        return grad_in, grad_grid


    def backward_graph(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        """The backward above in differentiable ops, for create_graph=True: the gathers are index ops, the
        weights are functions of the grid through ix = ix₀ + ∂ix/∂x·(x - x₀) (the same value, the same slope,
        the padding's kinks held where forward found them), so a second differentiation reaches input and grid."""
        n, c, h, w = self.in_shape
        p = self.grid_shape[1] * self.grid_shape[2]
        xp = backend.array_module(self.inp)
        inp_t, grid_t = self.input_tensor(0, self.inp), self.input_tensor(1, self.grid)
        g_t = permute(reshape(g, (n, c, p)), (0, 2, 1))  # (N, P, C)
        src = permute(reshape(inp_t, (n, c, h * w)), (0, 2, 1))  # (N, HW, C)
        rows = xp.broadcast_to(xp.arange(n)[:, None], (n, p))

        def const(arr: Any) -> Tensor:
            return Tensor._wrap(arr.astype(g.dtype, copy=False))

        flat_grid = reshape(grid_t, (n, p, 2))
        weights = []
        for axis in (0, 1):  # ix (along W), then iy (along H), as functions of the grid
            pix, slope = self.coords[axis], self.slopes[axis]
            coord = flat_grid[:, :, axis]
            pix_t = (coord - const(self.grid.reshape(n, p, 2)[..., axis])) * const(slope) + const(pix)
            weights.append(pix_t - const(xp.floor(pix)))  # t = ix - x0 (bilinear, bicubic); unused by nearest
        if self.mode == "bicubic":
            cx, cy = _cubic_coeffs(weights[0]), _cubic_coeffs(weights[1])
        shares, values = [], []
        for k, (flat, ok, _) in enumerate(self.taps):
            mask = const(ok)
            if self.mode == "nearest":
                shares.append(mask)
            elif self.mode == "bicubic":
                shares.append(cx[k % 4] * cy[k // 4] * mask)
            else:
                wx = weights[0] if k in (1, 3) else 1 - weights[0]
                wy = weights[1] if k in (2, 3) else 1 - weights[1]
                shares.append(wx * wy * mask)
            values.append(getitem(src, (rows, flat)) * unsqueeze(mask, 2))
        need_in, need_grid = self.needs_input_grad[:2]
        grad_in = grad_grid = None
        if need_in:
            total = None
            for (flat, _, _), share in zip(self.taps, shares):
                part = IndexScatter.apply(g_t * unsqueeze(share, 2), (rows, flat), (n, h * w, c), False)
                total = part if total is None else total + part
            grad_in = reshape(permute(total, (0, 2, 1)), self.in_shape)
        if need_grid:
            if self.mode == "nearest":
                grad_grid = Tensor._wrap(xp.zeros(self.grid_shape, dtype=g.dtype))
            elif self.mode == "bicubic":
                dcx, dcy = _cubic_coeffs_grad(weights[0]), _cubic_coeffs_grad(weights[1])
                gx = gy = None
                for k, v in enumerate(values):
                    i, j = divmod(k, 4)
                    gv = (g_t * v).sum(dim=2)
                    px, py = gv * (dcx[j] * cy[i]), gv * (cx[j] * dcy[i])
                    gx, gy = (px, py) if gx is None else (gx + px, gy + py)
                grad_grid = reshape(stack([gx * const(self.slopes[0]), gy * const(self.slopes[1])], dim=-1),
                                    self.grid_shape)
            else:
                v_nw, v_ne, v_sw, v_se = values
                wx1, wy1 = (unsqueeze(t, 2) for t in weights)
                gx = (g_t * ((1 - wy1) * (v_ne - v_nw) + wy1 * (v_se - v_sw))).sum(dim=2) * const(self.slopes[0])
                gy = (g_t * ((1 - wx1) * (v_sw - v_nw) + wx1 * (v_se - v_ne))).sum(dim=2) * const(self.slopes[1])
                grad_grid = reshape(stack([gx, gy], dim=-1), self.grid_shape)
        return grad_in, grad_grid


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",  # noqa: A002
                align_corners: bool | None = None) -> Tensor:
    """``torch.nn.functional.grid_sample`` for 4-D input (N, C, H, W) and grid (N, Ho, Wo, 2): 'bilinear',
    'nearest' or 'bicubic' sampling with 'zeros', 'border' or 'reflection' padding, torch's checks, messages and
    warning (``align_corners=None`` means False). 5-D (volumetric) input is not offered: a clear error says so."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise TypeError(f"grid_sample(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    in_size, grid_size = list(input.shape), list(grid.shape)
    if input.ndim != grid.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {in_size} and grid with sizes {grid_size}")
    if input.ndim == 5:
        raise NotImplementedError(f"grid_sample: minitorch_cnn samples 4-D input (N, C, H, W); got 5-D input "
                                  f"{in_size} (volumetric sampling is not offered)")
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of dimensions, but got "
                           f"input with sizes {in_size} and grid with sizes {grid_size}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {in_size} and grid with sizes {grid_size}")
    if grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, but got grid with "
                           f"sizes {grid_size}")
    if any(s == 0 for s in in_size[2:]):
        raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                           f"sizes {in_size} with dimension 2 or 3 being empty")
    if input.dtype.kind != "f" or input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same floating dtype, but got "
                           f"input {input.dtype} and grid {grid.dtype}")
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid on the same device, but got input on "
                           f"{input.device} and grid on {grid.device}")
    return GridSample2d.apply(input, grid, mode, padding_mode, bool(align_corners))

