"""mt.vision.ops RoIAlign / RoIPool and the building-block layers against torchvision.ops."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

tvo = torchvision.ops
ops = mt.vision.ops

# boxes inside, across the border, degenerate (smaller than a pixel), reversed, and far outside
ROIS = np.array([[0, 1.3, 0.2, 6.7, 7.9], [1, -2, -1.5, 12.5, 10.1], [1, 3, 3, 3.2, 3.1], [0, 5.5, 2.0, 4.0, 8.0],
                 [0, 2.5, -0.5, 20, 30], [1, 14, 12, 18, 15]])


def _input(dtype: type = np.float64) -> np.ndarray:
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 11)).astype(dtype)
    x[0, 0, 2:4, 2:4] = 5.0  # a tie for max pooling
    return x


def _run(fn: str, x: np.ndarray, rois: np.ndarray | list, *args: object) -> tuple:
    mx, tx = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mr = [mt.tensor(r) for r in rois] if isinstance(rois, list) else mt.tensor(rois)
    tr = [torch.tensor(r) for r in rois] if isinstance(rois, list) else torch.tensor(rois)
    ours, theirs = getattr(ops, fn)(mx, mr, *args), getattr(tvo, fn)(tx, tr, *args)
    g = np.random.default_rng(1).standard_normal(tuple(theirs.shape)).astype(x.dtype)
    ours.backward(mt.tensor(g))
    theirs.backward(torch.tensor(g))
    return ours, theirs, mx.grad, tx.grad


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 0, 2, 3])
@pytest.mark.parametrize("spatial_scale", [1.0, 0.5])
def test_roi_align_forward_and_backward(aligned: bool, sampling_ratio: int, spatial_scale: float) -> None:
    ours, theirs, g_ours, g_theirs = _run("roi_align", _input(), ROIS, (3, 4), spatial_scale, sampling_ratio, aligned)
    assert_close(ours, theirs, np.float64, what="forward")
    assert_close(g_ours, g_theirs, np.float64, what="grad")


def test_roi_align_float32_and_box_list() -> None:
    x = _input(np.float32)
    boxes = [ROIS[ROIS[:, 0] == i, 1:].astype(np.float32) for i in range(2)]
    ours, theirs, g_ours, g_theirs = _run("roi_align", x, boxes, 5, 0.7, 2, True)
    ours64, _, g64, _ = _run("roi_align", x.astype(np.float64), [b.astype(np.float64) for b in boxes], 5, 0.7, 2,
                             True)
    assert ours.dtype == mt.float32
    assert_f32_close(ours, ours64, torch32=theirs, what="forward")
    assert_f32_close(g_ours, g64, torch32=g_theirs, what="grad")


@pytest.mark.parametrize("output_size", [(3, 4), 2, (5, 5)])
@pytest.mark.parametrize("spatial_scale", [1.0, 0.5])
def test_roi_pool_forward_and_backward(output_size: object, spatial_scale: float) -> None:
    ours, theirs, g_ours, g_theirs = _run("roi_pool", _input(), ROIS, output_size, spatial_scale)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert_close(g_ours, g_theirs, np.float64, what="grad")


def test_roi_modules_and_errors() -> None:
    x, rois = _input(), ROIS
    for ours_m, theirs_m in ((ops.RoIAlign((2, 3), 0.5, 2, aligned=True), tvo.RoIAlign((2, 3), 0.5, 2, aligned=True)),
                             (ops.RoIPool(3, 0.5), tvo.RoIPool(3, 0.5))):
        assert repr(ours_m) == repr(theirs_m)
        assert_close(ours_m(mt.tensor(x), mt.tensor(rois)), theirs_m(torch.tensor(x), torch.tensor(rois)), np.float64)
    with pytest.raises(AssertionError, match=r"not correct as Tensor\[K, 5\]"):
        ops.roi_align(mt.tensor(x), mt.tensor(rois[:, 1:]), 2)
    with pytest.raises(AssertionError, match=r"List\[Tensor\[L, 4\]\]"):
        ops.roi_pool(mt.tensor(x), [mt.tensor(rois)], 2)
    for fn in ("roi_align", "roi_pool"):
        with pytest.raises(RuntimeError, match="input should have the same type as rois"):
            getattr(tvo, fn)(torch.tensor(x, dtype=torch.float32), torch.tensor(rois), 2)
        with pytest.raises(RuntimeError, match="input should have the same type as rois"):
            getattr(ops, fn)(mt.tensor(x.astype(np.float32)), mt.tensor(rois), 2)


def test_frozen_batch_norm_loads_torchvisions_state() -> None:
    rng = np.random.default_rng(2)
    theirs = tvo.FrozenBatchNorm2d(4).double()
    bn = torch.nn.BatchNorm2d(4).double()
    for name in ("weight", "bias", "running_mean"):
        getattr(theirs, name).copy_(torch.tensor(rng.standard_normal(4)))
    theirs.running_var.copy_(torch.tensor(rng.random(4) + 0.5))
    state = {**theirs.state_dict(), "num_batches_tracked": bn.num_batches_tracked}  # as a BatchNorm checkpoint
    ours = ops.FrozenBatchNorm2d(4).double()
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    theirs.load_state_dict(state)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict()) and repr(ours) == repr(theirs)
    x = rng.standard_normal((2, 4, 3, 5))
    mx, tx = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_m, y_t = ours(mx), theirs(tx)
    assert_close(y_m, y_t, np.float64)
    g = rng.standard_normal(x.shape)
    y_m.backward(mt.tensor(g))
    y_t.backward(torch.tensor(g))
    assert_close(mx.grad, tx.grad, np.float64)
    assert not list(ours.parameters())


@pytest.mark.parametrize("kwargs", [{}, {"norm_layer": "bn", "dropout": 0.0, "bias": False}])
def test_mlp_and_permute(kwargs: dict) -> None:
    norm = kwargs.pop("norm_layer", None)
    theirs = tvo.MLP(5, [7, 6, 3], norm_layer=torch.nn.BatchNorm1d if norm else None, **kwargs).double()
    ours = ops.MLP(5, [7, 6, 3], norm_layer=mt.nn.BatchNorm1d if norm else None, **kwargs).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    x = np.random.default_rng(3).standard_normal((4, 5))
    assert_close(ours.eval()(mt.tensor(x)), theirs.eval()(torch.tensor(x)), np.float64)
    y = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(ops.Permute([0, 2, 3, 1])(mt.tensor(y)).numpy(),
                                  tvo.Permute([0, 2, 3, 1])(torch.tensor(y)).numpy())


@pytest.mark.parametrize("block_size", [1, 3, 5])
def test_drop_block2d_masks_whole_blocks_and_rescales(block_size: int) -> None:
    mt.manual_seed(0)
    x = np.random.default_rng(5).random((2, 3, 12, 10)) + 1.0  # nonzero, so the mask is readable from the output
    mx = mt.tensor(x, requires_grad=True)
    y = ops.drop_block2d(mx, 0.3, block_size)
    out = y.detach().numpy()
    mask = (out != 0).astype(np.float64)
    scale = mask.size / (1e-6 + mask.sum())
    assert 0 < mask.sum() < mask.size
    # the same mask through torch's arithmetic, and the dropped pixels form block_size squares
    np.testing.assert_allclose(out, (torch.tensor(x) * torch.tensor(mask) * scale).numpy(), rtol=1e-12)
    dropped = torch.tensor(1 - mask)
    eroded = -torch.nn.functional.max_pool2d(-dropped, block_size, 1, 0)  # block origins fully dropped
    covered = torch.nn.functional.max_pool2d(torch.nn.functional.pad(eroded, [block_size - 1] * 4), block_size, 1, 0)
    np.testing.assert_array_equal(covered.numpy(), dropped.numpy())  # the opening of the dropped set is itself
    g = np.random.default_rng(6).standard_normal(x.shape)
    y.backward(mt.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), g * mask * scale, rtol=1e-12)


def test_drop_block_identity_and_errors() -> None:
    x = mt.ones(1, 2, 5, 5)
    assert ops.drop_block2d(x, 0.5, 3, training=False) is x
    assert ops.DropBlock2d(0.0, 3)(x) is x
    assert repr(ops.DropBlock2d(0.1, 3)) == repr(tvo.DropBlock2d(0.1, 3))
    for args, msg in (((1.5, 3), "drop probability has to be between 0 and 1"), ((0.5, 4), "block size should be odd")):
        with pytest.raises(ValueError, match=msg):
            tvo.drop_block2d(torch.ones(1, 2, 5, 5), *args)
        with pytest.raises(ValueError, match=msg):
            ops.drop_block2d(x, *args)
    with pytest.raises(ValueError, match="input should be 4 dimensional"):
        ops.drop_block2d(mt.ones(2, 5, 5), 0.5, 3)


@pytest.mark.parametrize("fn,args", [("roi_align", (2, 1.0, 2)), ("roi_pool", (2,))])
def test_roi_backward_is_once_differentiable(fn: str, args: tuple) -> None:
    """torchvision's RoI ops have no double backward; ours says so when differentiated again."""
    x = mt.tensor(_input(), requires_grad=True)
    y = getattr(ops, fn)(x, mt.tensor(ROIS), *args)
    (g,) = mt.autograd.grad(y, x, mt.ones(*y.shape, dtype=mt.float64), create_graph=True)
    with pytest.raises(RuntimeError, match="torchvision_roi_(align|pool)_defaultBackward is not differentiable twice"):
        g.sum().backward()


@pytest.mark.parametrize("names,small", [(["feat1", "feat2", "feat3"], 1), (["feat1", "feat2", "feat3"], 30),
                                         (["feat2"], 1)])
def test_multi_scale_roi_align(names: list, small: float) -> None:
    """Boxes spread over the pyramid's levels (with small=30 none reaches the finest, whose features then get a
    zero gradient, as torchvision's); a single map goes straight to roi_align."""
    rng = np.random.default_rng(14)
    feats = {"feat1": rng.standard_normal((2, 3, 32, 32)), "feat2": rng.standard_normal((2, 3, 16, 16)),
             "feat3": rng.standard_normal((2, 3, 8, 8)), "other": rng.standard_normal((2, 3, 4, 4))}

    def boxes(n: int, lo: float, hi: float) -> np.ndarray:
        xy = rng.uniform(0, 100, (n, 2))
        return np.concatenate([xy, xy + rng.uniform(lo, hi, (n, 2))], 1)

    bl, shapes = [boxes(6, small, 120), boxes(4, small, 128)], [(128, 128), (120, 110)]
    tf = {k: torch.tensor(v, requires_grad=True) for k, v in feats.items()}
    mf = {k: mt.tensor(v, requires_grad=True) for k, v in feats.items()}
    theirs_m = tvo.MultiScaleRoIAlign(names, (3, 4), 2, canonical_scale=56)
    ours_m = ops.MultiScaleRoIAlign(names, (3, 4), 2, canonical_scale=56)
    assert repr(ours_m) == repr(theirs_m)
    theirs = theirs_m(tf, [torch.tensor(b) for b in bl], shapes)
    ours = ours_m(mf, [mt.tensor(b) for b in bl], shapes)
    assert ours_m.scales == theirs_m.scales
    assert_close(ours, theirs.detach(), np.float64, what="forward")
    g = rng.standard_normal(tuple(theirs.shape))
    theirs.backward(torch.tensor(g))
    ours.backward(mt.tensor(g))
    for k in feats:
        assert (mf[k].grad is None) == (tf[k].grad is None), k
        if tf[k].grad is not None:
            assert_close(mf[k].grad, tf[k].grad, np.float64, what=f"{k} grad")
    if small == 30:
        assert not tf["feat1"].grad.any() and not mf["feat1"].grad.numpy().any()


@pytest.mark.parametrize("extra", [None, "maxpool", "p6p7", "p6p7_from_c5"])
@pytest.mark.parametrize("norm", [False, True])
def test_feature_pyramid_network(extra: str | None, norm: bool) -> None:
    def build(lib: object) -> object:
        fpn = mt.vision.ops.feature_pyramid_network if lib is mt else torchvision.ops.feature_pyramid_network
        blocks = {None: None, "maxpool": fpn.LastLevelMaxPool(), "p6p7": fpn.LastLevelP6P7(5, 5),
                  "p6p7_from_c5": fpn.LastLevelP6P7(8, 5)}
        return fpn.FeaturePyramidNetwork([3, 4, 8], 5, extra_blocks=blocks[extra],
                                         norm_layer=lib.nn.BatchNorm2d if norm else None).double().eval()

    torch.manual_seed(15)
    theirs, ours = build(torch), build(mt)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(16)
    arrays = {k: rng.standard_normal(s) for k, s in (("c3", (2, 3, 15, 13)), ("c4", (2, 4, 8, 7)),
                                                     ("c5", (2, 8, 4, 3)))}
    tx = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    mx = {k: mt.tensor(v, requires_grad=True) for k, v in arrays.items()}
    t_out, m_out = theirs(tx), ours(mx)
    assert list(m_out) == list(t_out)
    ws = {k: rng.standard_normal(tuple(t.shape)) for k, t in t_out.items()}
    for k in t_out:
        assert_close(m_out[k], t_out[k].detach(), np.float64, what=k)
    sum((t_out[k] * torch.tensor(w)).sum() for k, w in ws.items()).backward()
    m_loss = mt.tensor(0.0, dtype=mt.float64)
    for k, w in ws.items():
        m_loss = m_loss + (m_out[k] * mt.tensor(w)).sum()
    m_loss.backward()
    for k in arrays:
        assert_close(mx[k].grad, tx[k].grad, np.float64, what=f"{k} grad")
    with pytest.raises(TypeError, match="extra_blocks should be of type ExtraFPNBlock"):
        ops.FeaturePyramidNetwork([3], 4, extra_blocks=mt.nn.ReLU())
