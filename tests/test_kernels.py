"""The kernels floor: every available path against loop-by-loop definitions, and the one dispatch switch.

Paths (numpy now; numba and cupy when their modules exist) are discovered from ``dispatch``, so a new
implementation is held to the same definitions without touching this file.
"""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

from minitorch_cnn import backend
from minitorch_cnn.kernels import choice, dispatch, numpy_kernels, workspace
from minitorch_cnn.kernels.dispatch import get, selected, set_kernels, use_kernels

PATH_DEVICES = [
    (p, dev) for p in dispatch.available() for dev in dispatch.DEVICES[p] if dev == "cpu" or backend.cuda_available()
]
RNG = np.random.default_rng(0)

# (N, C, H, W), kernel, stride, top-left padding, dilation, output size
GEOMETRIES = [
    ((2, 3, 5, 6), (3, 3), (1, 1), (1, 1), (1, 1), (5, 6)),
    ((1, 2, 7, 5), (2, 3), (2, 1), (1, 0), (1, 2), (4, 1)),
    ((2, 1, 4, 4), (3, 2), (3, 2), (1, 1), (2, 1), (2, 3)),  # stride larger than kernel, output past the input
    ((1, 2, 2, 3), (4, 4), (1, 1), (2, 2), (1, 1), (3, 4)),  # input smaller than the kernel
    ((2, 2, 6, 6), (1, 1), (2, 2), (0, 0), (1, 1), (3, 3)),
]


def padded_pixel(x: np.ndarray, n: int, c: int, r: int, q: int, fill: float) -> float:
    """x[n, c, r, q], or ``fill`` outside the input."""
    H, W = x.shape[2:]
    return x[n, c, r, q] if 0 <= r < H and 0 <= q < W else fill


def loop_im2col(x, k, s, p, d, out):
    N, C = x.shape[:2]
    cols = np.zeros((C, k[0], k[1], N, out[0], out[1]))
    for c, i, j, n, oh, ow in np.ndindex(cols.shape):
        cols[c, i, j, n, oh, ow] = padded_pixel(x, n, c, oh * s[0] - p[0] + i * d[0], ow * s[1] - p[1] + j * d[1], 0)
    return cols.reshape(C * k[0] * k[1], -1)


def loop_col2im(cols, shape, k, s, p, d, out):
    N, C, H, W = shape
    dx = np.zeros(shape)
    blocks = cols.reshape(C, k[0], k[1], N, out[0], out[1])
    for c, i, j, n, oh, ow in np.ndindex(blocks.shape):
        r, q = oh * s[0] - p[0] + i * d[0], ow * s[1] - p[1] + j * d[1]
        if 0 <= r < H and 0 <= q < W:
            dx[n, c, r, q] += blocks[c, i, j, n, oh, ow]
    return dx


def loop_max_pool(x, k, s, p, d, out):
    """torch's CPU loop: start at the first in-bounds pixel with -inf; take v if v > max or v is NaN."""
    N, C, H, W = x.shape
    y, idx = np.zeros((N, C) + out), np.zeros((N, C) + out, dtype=np.int64)
    for n, c, oh, ow in np.ndindex(y.shape):
        rows = [r for r in range(oh * s[0] - p[0], oh * s[0] - p[0] + d[0] * (k[0] - 1) + 1, d[0]) if 0 <= r < H]
        cols = [q for q in range(ow * s[1] - p[1], ow * s[1] - p[1] + d[1] * (k[1] - 1) + 1, d[1]) if 0 <= q < W]
        best, at = -np.inf, rows[0] * W + cols[0]
        for r in rows:
            for q in cols:
                if x[n, c, r, q] > best or np.isnan(x[n, c, r, q]):
                    best, at = x[n, c, r, q], r * W + q
        y[n, c, oh, ow], idx[n, c, oh, ow] = best, at
    return y, idx


def loop_max_pool_backward(g, idx, in_size):
    N, C = g.shape[:2]
    dx = np.zeros((N, C, in_size[0] * in_size[1]))
    for n, c, oh, ow in np.ndindex(g.shape):
        dx[n, c, idx[n, c, oh, ow]] += g[n, c, oh, ow]
    return dx.reshape((N, C) + in_size)


def loop_avg_pool(x, k, s, p, out, divisor):
    N, C = x.shape[:2]
    y = np.zeros((N, C) + out)
    for n, c, oh, ow in np.ndindex(y.shape):
        r, q = oh * s[0] - p[0], ow * s[1] - p[1]
        y[n, c, oh, ow] = sum(padded_pixel(x, n, c, r + i, q + j, 0) for i in range(k[0]) for j in range(k[1]))
    return y / divisor


def loop_avg_pool_backward(g, in_size, k, s, p, divisor):
    N, C = g.shape[:2]
    H, W = in_size
    dx = np.zeros((N, C, H, W))
    share = g / divisor
    for n, c, oh, ow in np.ndindex(g.shape):
        for i in range(k[0]):
            for j in range(k[1]):
                r, q = oh * s[0] - p[0] + i, ow * s[1] - p[1] + j
                if 0 <= r < H and 0 <= q < W:
                    dx[n, c, r, q] += share[n, c, oh, ow]
    return dx


def run(path: str, dev: str, name: str, *args):
    """Kernel ``name`` of ``path`` on ``dev`` arrays (array args moved there), results back on the CPU."""
    moved = [backend.move_to(a, dev) if isinstance(a, np.ndarray) and a.ndim >= 2 else a for a in args]
    with use_kernels(path):
        fn = get(name, moved[0])
        out = fn(*moved)
    return tuple(backend.move_to(o, "cpu") for o in out) if isinstance(out, tuple) else backend.move_to(out, "cpu")


def assert_same(ours, ref, what):
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != {ref.shape}"
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12, err_msg=what)


def test_the_reference_is_always_available():
    assert dispatch.available()[0] == "numpy"
    assert set(dispatch.KERNELS) <= set(vars(numpy_kernels))


@pytest.mark.parametrize("path,dev", PATH_DEVICES)
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=range(len(GEOMETRIES)))
def test_im2col_and_col2im_match_their_definitions(path, dev, geometry):
    shape, k, s, p, d, out = geometry
    x = RNG.standard_normal(shape)
    assert_same(run(path, dev, "im2col", x, k, s, p, d, out), loop_im2col(x, k, s, p, d, out), "im2col")
    cols = RNG.standard_normal((shape[1] * k[0] * k[1], shape[0] * out[0] * out[1]))
    dx = run(path, dev, "col2im", cols, shape, k, s, p, d, out)
    assert_same(dx, loop_col2im(cols, shape, k, s, p, d, out), "col2im")


@pytest.mark.parametrize("path,dev", PATH_DEVICES)
def test_im2col_fills_a_given_buffer(path, dev):
    shape, k, s, p, d, out = GEOMETRIES[1]
    x = RNG.standard_normal(shape)
    buf = backend.move_to(np.full((shape[1] * k[0] * k[1], shape[0] * out[0] * out[1]), np.nan), dev)
    with use_kernels(path):
        result = get("im2col", buf)(backend.move_to(x, dev), k, s, p, d, out, out=buf)
    assert result is buf
    assert_same(backend.move_to(buf, "cpu"), loop_im2col(x, k, s, p, d, out), "im2col into out")


@pytest.mark.parametrize("path,dev", PATH_DEVICES)
def test_col2im_writes_into_a_given_array(path, dev):
    shape, k, s, p, d, out = GEOMETRIES[1]
    cols = RNG.standard_normal((shape[1] * k[0] * k[1], shape[0] * out[0] * out[1]))
    dx = backend.move_to(np.full(shape, np.nan), dev)  # every element is overwritten, padding-only ones too
    with use_kernels(path):
        result = get("col2im", dx)(backend.move_to(cols, dev), shape, k, s, p, d, out, out=dx)
    assert result is dx
    assert_same(backend.move_to(dx, "cpu"), loop_col2im(cols, shape, k, s, p, d, out), "col2im into out")


@pytest.mark.parametrize("path,dev", PATH_DEVICES)
@pytest.mark.parametrize("geometry", GEOMETRIES[:3] + GEOMETRIES[4:], ids=range(4))
@pytest.mark.parametrize("values", ["distinct", "ties", "nan", "-inf"])
def test_max_pool_matches_torchs_loop(path, dev, geometry, values):
    shape, k, s, p, d, out = geometry
    p = (min(p[0], k[0] // 2), min(p[1], k[1] // 2))
    x = RNG.standard_normal(shape) if values == "distinct" else RNG.integers(0, 3, shape).astype(float)
    if values == "nan":
        x[RNG.random(shape) < 0.2] = np.nan
    if values == "-inf":
        x[RNG.random(shape) < 0.5] = -np.inf
    y, idx = run(path, dev, "max_pool2d_forward", x, k, s, p, d, out)
    y_ref, idx_ref = loop_max_pool(x, k, s, p, d, out)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(idx, idx_ref)
    g = RNG.standard_normal(y.shape)
    unique = all(ss >= dd * (kk - 1) + 1 for ss, dd, kk in zip(s, d, k))
    for flag in {unique, False}:
        dx = run(path, dev, "max_pool2d_backward", g, idx_ref, shape[2:], flag)
        assert_same(dx, loop_max_pool_backward(g, idx_ref, shape[2:]), f"max-pool backward (unique={flag})")


@pytest.mark.parametrize("path,dev", PATH_DEVICES)
@pytest.mark.parametrize("values", ["distinct", "ties", "nan"])
def test_adaptive_max_pool_matches_torchs_loop(path, dev, values):
    x = RNG.standard_normal((2, 2, 7, 5)) if values == "distinct" else RNG.integers(0, 3, (2, 2, 7, 5)).astype(float)
    if values == "nan":
        x[RNG.random(x.shape) < 0.2] = np.nan
    rows = (np.array([0, 2, 4]), np.array([3, 5, 7]))  # torch's windows for 7 → 3
    cols = (np.array([0, 0, 1, 2, 3, 4]), np.array([1, 2, 3, 4, 5, 5]))  # 5 → 6, repeating pixels
    y, idx = run(path, dev, "adaptive_max_pool2d_forward", x, rows, cols)
    for a, (r0, r1) in enumerate(zip(*rows)):
        for b, (c0, c1) in enumerate(zip(*cols)):
            window = x[:, :, r0:r1, c0:c1]
            whole = loop_max_pool(window, window.shape[2:], (1, 1), (0, 0), (1, 1), (1, 1))
            y_ref, idx_ref = (r[:, :, 0, 0] for r in whole)
            np.testing.assert_array_equal(y[:, :, a, b], y_ref)
            w = window.shape[3]
            np.testing.assert_array_equal(idx[:, :, a, b], (r0 + idx_ref // w) * x.shape[3] + c0 + idx_ref % w)


@pytest.mark.parametrize("path,dev", PATH_DEVICES)
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=range(len(GEOMETRIES)))
def test_avg_pool_matches_its_definition(path, dev, geometry):
    shape, k, s, p, _, out = geometry
    p = (min(p[0], k[0] // 2), min(p[1], k[1] // 2))
    x = RNG.standard_normal(shape)
    for divisor in (3, RNG.integers(1, 9, out).astype(float)):
        y = run(path, dev, "avg_pool2d_forward", x, k, s, p, out, divisor)
        assert_same(y, loop_avg_pool(x, k, s, p, out, divisor), "avg-pool forward")
        g = RNG.standard_normal(y.shape)
        dx = run(path, dev, "avg_pool2d_backward", g, shape[2:], k, s, p, divisor)
        assert_same(dx, loop_avg_pool_backward(g, shape[2:], k, s, p, divisor), "avg-pool backward")


# ---- the switch -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_choice_leaks(monkeypatch):
    monkeypatch.delenv(dispatch.ENV_VAR, raising=False)
    yield
    set_kernels(None)


def test_auto_picks_the_fastest_path_present_and_falls_back_silently():
    x = np.zeros((1, 1, 2, 2))
    fastest = choice.load("numba") if "numba" in dispatch.available() else numpy_kernels
    assert selected() == "auto"
    assert get("im2col", x) is fastest.im2col


def test_set_kernels_and_use_kernels_choose_and_restore():
    x = np.zeros((1, 1, 2, 2))
    set_kernels("numpy")
    assert selected() == "numpy" and get("col2im", x) is numpy_kernels.col2im
    set_kernels(None)
    assert selected() == "auto"
    with pytest.raises(KeyError):
        with use_kernels("numpy"):
            assert selected() == "numpy"
            get("no_such_kernel", x)
    assert selected() == "auto"


def test_environment_variable_chooses(monkeypatch):
    monkeypatch.setenv(dispatch.ENV_VAR, "numpy")
    assert selected() == "numpy" and get("im2col", np.zeros(1)) is numpy_kernels.im2col
    with use_kernels("auto"):
        assert selected() == "auto"
    monkeypatch.setenv(dispatch.ENV_VAR, "fortran")
    with pytest.raises(ValueError, match=r"MINITORCH_KERNELS.*unknown kernels 'fortran'"):
        get("im2col", np.zeros(1))


def test_environment_variable_is_read_by_a_fresh_process():
    code = "from minitorch_cnn.kernels import selected; print(selected())"
    env = {"MINITORCH_KERNELS": "numpy", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "numpy"


def test_unknown_path_is_refused():
    with pytest.raises(ValueError, match="unknown kernels 'fast'"):
        set_kernels("fast")


@pytest.mark.parametrize("path", [p for p in dispatch.DEVICES if p not in dispatch.available()] or ["none-missing"])
def test_asking_for_a_missing_path_says_why(path):
    if path == "none-missing":
        pytest.skip("every kernel path is available here")
    with pytest.raises(RuntimeError, match=f"kernels '{path}' were asked for but are not available"):
        set_kernels(path)
    with pytest.raises(RuntimeError, match="not available"), use_kernels(path):
        pass


def test_a_path_on_the_wrong_device_is_refused(monkeypatch):
    fake = types.ModuleType("fake_cupy_kernels")
    monkeypatch.setitem(choice._modules, "cupy", fake)
    monkeypatch.setattr(dispatch, "_resolved", {})
    with use_kernels("cupy"), pytest.raises(RuntimeError, match="'cupy' run on cuda arrays, but im2col got a cpu"):
        get("im2col", np.zeros(1))


def test_a_new_module_with_the_same_names_joins_the_dispatch(monkeypatch):
    """The seam: a numba_kernels module defining some kernels is all a path needs (the rest fall back)."""
    fake = types.ModuleType("minitorch_cnn.kernels.numba_kernels")
    fake.im2col = lambda *args, **kw: "numba im2col"
    monkeypatch.setitem(choice._modules, "numba", fake)
    monkeypatch.setattr(dispatch, "_resolved", {})
    x = np.zeros((1, 1, 2, 2))
    assert "numba" in dispatch.available("cpu")
    assert get("im2col", x)(x) == "numba im2col"  # auto prefers it on the CPU
    with use_kernels("numba"):
        assert get("im2col", x)(x) == "numba im2col"
        assert get("col2im", x) is numpy_kernels.col2im
    with use_kernels("numpy"):
        assert get("im2col", x) is numpy_kernels.im2col


def test_the_reference_chunked_conv_runs_the_chosen_paths_im2col(monkeypatch):
    """A path with only im2col gains the whole conv: the reference's chunked conv asks ``choice`` for it."""
    calls = []

    def im2col(*args, **kw):
        calls.append(args[0].shape)
        return numpy_kernels.im2col(*args, **kw)

    fake = types.ModuleType("minitorch_cnn.kernels.numba_kernels")
    fake.im2col = im2col
    monkeypatch.setitem(choice._modules, "numba", fake)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 2, 4, 4)), rng.standard_normal((5, 2, 3, 3))
    geometry = ((3, 3), (1, 1), (0, 0), (1, 1), (2, 2))
    ys = []
    for path in ("numba", "numpy"):
        y = np.zeros((3, 5, 2, 2))
        with use_kernels(path):
            numpy_kernels.conv2d_forward_chunks(x, w, None, y, 0, 3, 2, np.empty(18 * 8), np.empty(5 * 8), 1,
                                                *geometry)
        ys.append(y)
    assert calls == [(2, 2, 4, 4), (1, 2, 4, 4)]  # numba's, chunk by chunk; none under "numpy"
    np.testing.assert_array_equal(ys[0], ys[1])


# ---- the workspace --------------------------------------------------------------------------------


def test_workspace_reuses_buffers_and_respects_its_limit():
    workspace.empty_cache()
    like = np.zeros(1)
    a = workspace.take((4, 5), np.float32, like)
    assert a.shape == (4, 5) and a.dtype == np.float32 and a.flags.c_contiguous
    workspace.give(a)
    assert workspace.held_bytes() == a.nbytes
    b = workspace.take((2, 5), np.float64, like)  # a smaller request of another dtype reuses the same memory
    assert b.shape == (2, 5) and b.dtype == np.float64 and np.shares_memory(a, b)
    c = workspace.take((3,), np.float32, like)  # nothing idle: a fresh buffer
    assert not np.shares_memory(b, c)
    workspace.give(b)
    workspace.give(b)  # giving twice does not put it in the pool twice
    workspace.give(c)
    assert workspace.held_bytes() == a.nbytes + c.nbytes
    workspace.give(np.empty(64, np.float32))  # arrays the workspace did not hand out are never pooled
    assert workspace.held_bytes() == a.nbytes + c.nbytes
    # the smallest idle buffer that fits is the one taken
    assert np.shares_memory(workspace.take((2,), np.float32, like), c)
    # a request bigger than every idle buffer drops the biggest idle one and allocates
    big = workspace.take((10, 5), np.float32, like)
    assert workspace.held_bytes() == 0 and not np.shares_memory(big, a)
    workspace.give(big)
    try:
        workspace.set_limit(big.nbytes // 2)
        workspace.give(workspace.take((10, 5), np.float32, like))  # over the limit: not kept
        assert workspace.held_bytes() == 0
        workspace.set_limit(1 << 30)
        bufs = [workspace.take((n, 5), np.float32, like) for n in (4, 3, 2)]
        for buf in bufs:
            workspace.give(buf)
        workspace.set_limit(bufs[0].nbytes + bufs[1].nbytes)
        assert workspace.held_bytes() == 0  # lowering the limit under what is held empties the pool
        for buf in bufs:
            workspace.give(buf)
        assert workspace.held_bytes() == bufs[0].nbytes + bufs[1].nbytes  # the smallest went first
    finally:
        workspace.set_limit(1 << 30)
        workspace.empty_cache()
