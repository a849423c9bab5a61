"""minitorch_cnn on the GPU: ops, layers, models, optimizers and the CuPy kernels on device="cuda".

Each case runs three times from the same NumPy arrays: ours on the CPU, ours on CUDA, torch on CUDA (true
float32: torch's TF32 is off). The CUDA run must match the CPU run and torch, with random upstream gradients:
float64 1e-10 and float32 1e-5 per op, 1e-9 and 1e-4 per whole-model tensor. Everything here is skipped where
no GPU is visible (CI); the one CPU-side test checks that asking for "cuda" there says clearly why it can't.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.kernels import choice, dispatch, numpy_kernels, use_kernels
from minitorch_cnn.models import MODELS, get_model
from reference import copy_weights, get_twin
from tests._parity import TOL, rel_err, to_np

CUDA = mt.cuda.is_available() and torch.cuda.is_available()
gpu = pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU visible to both CuPy and torch")
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
TORCH_DTYPE = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}
MODEL_TOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


@pytest.fixture(autouse=True, scope="module")
def _true_float32():
    """torch's cuDNN convolutions default to TF32 (10-bit mantissa); parity needs real float32."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


# ---- without a GPU ------------------------------------------------------------------------------------


@pytest.mark.skipif(mt.cuda.is_available(), reason="a GPU is visible: the no-GPU error can't be seen here")
def test_asking_for_cuda_without_a_gpu_says_so():
    assert mt.cuda.device_count() == 0
    mt.cuda.synchronize()  # a no-op, not an error
    for make in (
        lambda: mt.zeros(2, device="cuda"),
        lambda: mt.tensor([1.0]).to("cuda"),
        lambda: mt.tensor([1.0]).cuda(),
        lambda: mt.nn.Linear(2, 3).to("cuda"),
        lambda: mt.randn(2, 2, device=mt.device("cuda:0")),
    ):
        with pytest.raises(RuntimeError, match="device 'cuda' was asked for but CUDA is not available"):
            make()
    with pytest.raises(RuntimeError, match="kernels 'cupy' were asked for but are not available"):
        with use_kernels("cupy"):
            pass


# ---- op families --------------------------------------------------------------------------------------
# name -> (fn(m, F, *inputs) with m = mt or torch and F its functional module, input specs). A spec is a float
# shape (needs grad), ("pos", shape) for positive floats, ("buf", shape) for floats that need no grad,
# ("int", high, shape) for int64 labels in [0, high), or ("const", array) for a fixed int64 array.
OPS = {
    "add_sub_broadcast": (lambda m, F, a, b: a + b - b * 2.5, [(3, 4, 5), (4, 1)]),
    "mul_div": (lambda m, F, a, b: a * b / (b.abs() + 1) + 3 / (a.abs() + 2), [(4, 5), (4, 5)]),
    "pow": (lambda m, F, a, b: (a.abs() + 0.5) ** b + a**2, [(4, 5), (4, 5)]),
    "exp_log_sqrt": (lambda m, F, a, b: a.exp() + b.log() * b.sqrt(), [(4, 5), ("pos", (4, 5))]),
    "activations": (
        lambda m, F, a: a.tanh() * a.sigmoid() + F.relu(a) + F.leaky_relu(a, 0.1) + F.gelu(a) + F.silu(a)
        + F.gelu(a, approximate="tanh"),
        [(6, 7)],
    ),
    "clamp_max_min_where": (
        lambda m, F, a, b: a.clamp(-0.5, 0.7) + m.maximum(a, b) * m.minimum(a, b) + m.where(a > b, a, b * 3),
        [(5, 6), (5, 6)],
    ),
    "sum_mean": (lambda m, F, a: a.sum(1, keepdim=True) * a.mean((0, 2), keepdim=True) + a.sum(), [(3, 4, 5)]),
    "max_min_amax": (
        lambda m, F, a: a.max(dim=1)[0] + a.min(dim=1)[0] * 2 + a.amax(dim=1) + a.max(), [(4, 7, 3)]
    ),
    "var_std": (lambda m, F, a: a.var(1) + a.std(0).sum() + a.var(), [(6, 5)]),
    "softmax": (lambda m, F, a: F.softmax(a, dim=1) + F.log_softmax(a, dim=-1) * 0.5, [(4, 6, 3)]),
    "shape": (
        lambda m, F, a, b: (
            a.permute(2, 0, 1).reshape(5, -1) @ b + a.transpose(0, 1).flatten()[:15].view(5, 3)[:, :1]
        ),
        [(3, 4, 5), (12, 2)],
    ),
    "cat_stack_split": (
        lambda m, F, a, b: m.cat([a, b * 2], dim=1) + m.stack([b, a], dim=1).reshape(4, 6)
        + m.cat(list(m.split(a, 1, dim=1))[::-1] * 2, dim=1),
        [(4, 3), (4, 3)],
    ),
    "expand_squeeze": (lambda m, F, a: a.unsqueeze(1).expand(3, 4, 5).squeeze(0) * a[:, None, :], [(3, 5)]),
    "index_basic": (lambda m, F, a: a[1:, ::2] * 2 + a[0, 1], [(4, 5)]),
    "index_repeated": (lambda m, F, a, i: a[i] * 3 + a[:, i[:3]].sum(), [(5, 4), ("const", np.array([0, 2, 0, 4]))]),
    "index_mask": (lambda m, F, a: a[a > 0.1] * 2, [(5, 6)]),
    "matmul": (lambda m, F, a, b, v: (a @ b) @ v + (a @ b).sum(), [(2, 3, 4, 5), (5, 6), (6,)]),
    "linear": (lambda m, F, x, w, b: F.linear(x, w, b), [(7, 5), (3, 5), (3,)]),
    "pad": (lambda m, F, x: F.pad(x, (1, 2, 0, 1)) * 2, [(2, 3, 4, 5)]),
    "conv2d": (lambda m, F, x, w, b: F.conv2d(x, w, b, stride=1, padding=1), [(2, 3, 9, 8), (4, 3, 3, 3), (4,)]),
    "conv2d_strided_dilated": (
        lambda m, F, x, w: F.conv2d(x, w, stride=(2, 1), padding=(2, 1), dilation=(2, 1)), [(2, 3, 11, 9), (5, 3, 3, 2)]
    ),
    "conv2d_groups_same": (
        lambda m, F, x, w, b: F.conv2d(x, w, b, padding="same", groups=2), [(2, 4, 7, 6), (6, 2, 4, 3), (6,)]
    ),
    "conv2d_11x11_stride4": (
        lambda m, F, x, w, b: F.conv2d(x, w, b, stride=4, padding=2), [(2, 3, 35, 35), (4, 3, 11, 11), (4,)]
    ),
    "max_pool2d_disjoint": (lambda m, F, x: F.max_pool2d(x, 2), [(2, 3, 8, 6)]),
    "max_pool2d_overlap": (lambda m, F, x: F.max_pool2d(x, 3, stride=2, padding=1), [(2, 3, 9, 10)]),
    "max_pool2d_ceil_dilated": (
        lambda m, F, x: F.max_pool2d(x, (3, 2), stride=2, dilation=(1, 2), ceil_mode=True), [(2, 2, 9, 11)]
    ),
    "avg_pool2d": (lambda m, F, x: F.avg_pool2d(x, 3, stride=2, padding=1), [(2, 3, 9, 10)]),
    "avg_pool2d_ceil_exclude_pad": (
        lambda m, F, x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        + F.avg_pool2d(x, 2, divisor_override=3).sum(),
        [(2, 3, 8, 10)],
    ),
    "adaptive_pools": (
        lambda m, F, x: F.adaptive_avg_pool2d(x, (3, 4)) + F.adaptive_max_pool2d(x, (3, 4)), [(2, 3, 7, 10)]
    ),
    "batch_norm_train": (
        lambda m, F, x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-3), [(4, 3, 5, 6), (3,), (3,)]
    ),
    "batch_norm_eval": (
        lambda m, F, x, w, b, rm, rv: F.batch_norm(x, rm.detach(), rv.detach().abs() + 0.5, w, b, training=False),
        [(4, 3, 5), (3,), (3,), ("buf", (3,)), ("buf", (3,))],
    ),
    "cross_entropy": (lambda m, F, x, t: F.cross_entropy(x, t), [(8, 5), ("int", 5, (8,))]),
    "cross_entropy_weighted_smoothed": (
        lambda m, F, x, t, w: F.cross_entropy(x, t, weight=w.abs(), label_smoothing=0.2, ignore_index=1),
        [(6, 4, 3), ("int", 4, (6, 3)), ("buf", (4,))],
    ),
    "cross_entropy_probs": (
        lambda m, F, x, q: F.cross_entropy(x, F.softmax(q, dim=1), reduction="sum"), [(6, 4), (6, 4)]
    ),
    "nll_loss": (
        lambda m, F, x, t: F.nll_loss(F.log_softmax(x, dim=1), t, reduction="none"), [(7, 4), ("int", 4, (7,))]
    ),
    "mse_loss": (lambda m, F, x, y: F.mse_loss(x, y) + F.mse_loss(x, y, reduction="sum"), [(5, 4), (5, 4)]),
}


def _inputs(specs: list, dtype: np.dtype, seed: int) -> tuple[list[np.ndarray], list[bool]]:
    """The input arrays of a case and whether each needs a gradient."""
    rng = np.random.default_rng(seed)
    arrays, grads = [], []
    for spec in specs:
        if isinstance(spec[0], int):
            arrays.append(rng.standard_normal(spec).astype(dtype))
        elif spec[0] in ("pos", "buf"):
            arrays.append((rng.random(spec[1]) + 0.1).astype(dtype))
        elif spec[0] == "int":
            arrays.append(rng.integers(0, spec[1], spec[2]).astype(np.int64))
        else:
            arrays.append(np.asarray(spec[1], dtype=np.int64))
        grads.append(arrays[-1].dtype.kind == "f" and spec[0] != "buf")
    return arrays, grads


def _run_ours(fn, arrays: list[np.ndarray], grads: list[bool], device: str, g: np.ndarray | None = None):
    """fn on our tensors on ``device``, backward with g; returns (output, the inputs' grads)."""
    ts = [mt.tensor(a, device=device, requires_grad=r) for a, r in zip(arrays, grads)]
    y = fn(mt, mt.nn.functional, *ts)
    if g is not None:
        y.backward(mt.tensor(g, device=device))
    return y, [t.grad for t in ts if t.requires_grad]


def _run_torch(fn, arrays: list[np.ndarray], grads: list[bool], g: np.ndarray | None = None):
    ts = [torch.tensor(a, device="cuda", requires_grad=r) for a, r in zip(arrays, grads)]
    y = fn(torch, torch.nn.functional, *ts)
    if g is not None:
        y.backward(torch.tensor(g, device="cuda"))
    return y, [t.grad for t in ts if t.requires_grad]


@gpu
@DTYPES
@pytest.mark.parametrize("name", list(OPS))
def test_op_on_cuda_matches_cpu_and_torch(name: str, dtype: type) -> None:
    fn, specs = OPS[name]
    dtype = np.dtype(dtype)
    arrays, needs = _inputs(specs, dtype, seed=sum(map(ord, name)))
    y_cpu, _ = _run_ours(fn, arrays, needs, "cpu")
    g = np.random.default_rng(1).standard_normal(y_cpu.shape).astype(dtype)
    y_cpu, grads_cpu = _run_ours(fn, arrays, needs, "cpu", g)
    y_gpu, grads_gpu = _run_ours(fn, arrays, needs, "cuda", g)
    y_t, grads_t = _run_torch(fn, arrays, needs, g)
    assert y_gpu.device.type == "cuda" and y_gpu.dtype == dtype
    tol = TOL[dtype]
    assert rel_err(y_gpu, y_cpu) <= tol, f"{name}: forward, cuda vs cpu"
    assert rel_err(y_gpu, y_t) <= tol, f"{name}: forward, cuda vs torch"
    for k, (a, b, c) in enumerate(zip(grads_gpu, grads_cpu, grads_t)):
        assert a is not None and a.device.type == "cuda", f"{name}: grad {k} missing or not on cuda"
        assert rel_err(a, b) <= tol, f"{name}: grad of input {k}, cuda vs cpu: {rel_err(a, b):.3g}"
        assert rel_err(a, c) <= tol, f"{name}: grad of input {k}, cuda vs torch: {rel_err(a, c):.3g}"


@gpu
def test_integer_results_on_cuda_match_torch() -> None:
    """argmax/argmin, max(dim) indices, max-pool indices, comparisons and one_hot: exactly torch's."""
    x = np.random.default_rng(2).standard_normal((3, 4, 9, 8))
    x[0, 0, :2, :2] = 1.5  # a tie: the first maximum wins
    ours, theirs = mt.tensor(x, device="cuda"), torch.tensor(x, device="cuda")
    pairs = [
        (ours.argmax(dim=1), theirs.argmax(dim=1)),
        (ours.argmin(), theirs.argmin()),
        (ours.max(dim=3)[1], theirs.max(dim=3)[1]),
        (mt.nn.functional.max_pool2d(ours, 3, 2, 1, return_indices=True)[1],
         torch.nn.functional.max_pool2d(theirs, 3, 2, 1, return_indices=True)[1]),
        (mt.nn.functional.adaptive_max_pool2d(ours, 3, return_indices=True)[1],
         torch.nn.functional.adaptive_max_pool2d(theirs, 3, return_indices=True)[1]),
        (ours > 0.5, theirs > 0.5),
        (mt.nn.functional.one_hot(ours.argmax(dim=1), 4), torch.nn.functional.one_hot(theirs.argmax(dim=1), 4)),
    ]
    for k, (a, b) in enumerate(pairs):
        assert a.device.type == "cuda", k
        np.testing.assert_array_equal(to_np(a), to_np(b), err_msg=f"pair {k}")


@gpu
def test_dropout_on_cuda_draws_the_cpu_mask() -> None:
    """Random numbers are drawn on the CPU and moved: the same seed gives the same mask on both devices."""
    x = np.random.default_rng(3).standard_normal((4, 6, 5, 5))
    g = np.random.default_rng(4).standard_normal(x.shape)
    results = {}
    for device in ("cpu", "cuda"):
        mt.manual_seed(7)
        t = mt.tensor(x, device=device, requires_grad=True)
        y = mt.nn.functional.dropout(t, 0.3) + mt.nn.functional.dropout2d(t, 0.5) + mt.randn(*x.shape, device=device)
        y.backward(mt.tensor(g, device=device))
        results[device] = (to_np(y), to_np(t.grad))
    for a, b in zip(results["cuda"], results["cpu"]):
        np.testing.assert_array_equal(a, b)


# ---- mixing devices -----------------------------------------------------------------------------------------


@gpu
def test_mixing_devices_in_one_op_names_both() -> None:
    F = mt.nn.functional
    x, xc = mt.randn(2, 3, 6, 6, device="cuda"), mt.randn(2, 3, 6, 6)
    w, wc = mt.randn(4, 3, 3, 3, device="cuda"), mt.randn(4, 3, 3, 3)
    logits, labels = mt.randn(2, 5, device="cuda"), mt.tensor([1, 3])
    c, cc = mt.ones(3, device="cuda"), mt.ones(3)
    cases = {
        "add": lambda: x + xc,
        "matmul": lambda: x @ xc,
        "linear": lambda: F.linear(mt.randn(2, 3, device="cuda"), mt.randn(4, 3)),
        "conv2d": lambda: F.conv2d(x, wc),
        "conv2d input": lambda: F.conv2d(xc, w),
        "cross_entropy": lambda: F.cross_entropy(logits, labels),
        "nll_loss": lambda: F.nll_loss(logits, labels),
        "cross_entropy weight": lambda: F.cross_entropy(logits, labels.cuda(), weight=mt.ones(5)),
        "mse_loss": lambda: F.mse_loss(logits, mt.randn(2, 5)),
        "batch_norm": lambda: F.batch_norm(x, cc, cc, c, c, training=True),
        "batch_norm weight": lambda: F.batch_norm(x, None, None, cc, c, training=True),
        "cat": lambda: mt.cat([x, xc]),
        "stack": lambda: mt.stack([x, xc]),
        "where": lambda: mt.where(xc > 0, x, x),
        "index": lambda: x[mt.tensor([0, 1])],
    }
    for name, make in cases.items():
        with pytest.raises(RuntimeError, match=r"(cpu.*cuda|cuda.*cpu)") as info:
            make()
        assert "device" in str(info.value) or "on c" in str(info.value), f"{name}: {info.value}"


# ---- layers -------------------------------------------------------------------------------------------------
LAYERS = {
    "conv": (lambda nn: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 9, 9)),
    "conv_groups": (lambda nn: nn.Conv2d(4, 6, (3, 2), padding=(1, 0), groups=2, bias=False), (2, 4, 7, 6)),
    "linear": (lambda nn: nn.Linear(6, 5), (4, 6)),
    "batchnorm2d": (lambda nn: nn.BatchNorm2d(3), (4, 3, 5, 5)),
    "batchnorm1d": (lambda nn: nn.BatchNorm1d(6, momentum=None), (5, 6)),
    "seq": (
        lambda nn: nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Flatten(), nn.Linear(4 * 3 * 3, 5)),
        (3, 3, 8, 8),
    ),
}


@gpu
@DTYPES
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_on_cuda_matches_cpu_and_torch(name: str, dtype: type) -> None:
    """Output, input and parameter gradients and buffers (BatchNorm's running statistics) after two passes."""
    make, shape = LAYERS[name]
    dtype = np.dtype(dtype)
    torch.manual_seed(0)
    theirs = make(torch.nn).to(TORCH_DTYPE[dtype]).cuda()
    state = {k: v.detach().cpu().numpy() for k, v in theirs.state_dict().items()}
    runs = {}
    for device in ("cpu", "cuda"):
        ours = make(mt.nn).to(dtype)
        ours.load_state_dict(state)
        runs[device] = ours.to(device)
    rng = np.random.default_rng(5)
    for step in range(2):
        x = rng.standard_normal(shape).astype(dtype)
        out = {}
        for device, ours in runs.items():
            t = mt.tensor(x, device=device, requires_grad=True)
            y = ours(t)
            out[device] = (y, t)
        tx = torch.tensor(x, device="cuda", requires_grad=True)
        ty = theirs(tx)
        g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
        ty.backward(torch.tensor(g, device="cuda"))
        for device, (y, _) in out.items():
            y.backward(mt.tensor(g, device=device))
        (yg, tg), (yc, tc) = out["cuda"], out["cpu"]
        tol = TOL[dtype]
        assert rel_err(yg, yc) <= tol and rel_err(yg, ty) <= tol, f"{name} step {step}: output"
        assert rel_err(tg.grad, tc.grad) <= tol and rel_err(tg.grad, tx.grad) <= tol, f"{name}: input grad"
    gpu_state, cpu_state = runs["cuda"].state_dict(), runs["cpu"].state_dict()
    gpu_params, cpu_params = dict(runs["cuda"].named_parameters()), dict(runs["cpu"].named_parameters())
    for key, value in theirs.state_dict().items():
        assert gpu_state[key].device.type == "cuda", key
        assert rel_err(gpu_state[key], cpu_state[key]) <= tol and rel_err(gpu_state[key], value) <= tol, key
    for key, p in theirs.named_parameters():
        assert rel_err(gpu_params[key].grad, cpu_params[key].grad) <= tol, f"{key}.grad, cuda vs cpu"
        assert rel_err(gpu_params[key].grad, p.grad) <= tol, f"{key}.grad, cuda vs torch"


@gpu
def test_module_to_keeps_parameters_and_state_dict_moves_back() -> None:
    model = mt.models.get_model("cifar_cnn")
    params = list(model.parameters())
    opt = mt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.cuda()
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(t.device.type == "cuda" for t in list(model.parameters()) + list(model.buffers()))
    x, y = mt.randn(4, 3, 32, 32, device="cuda"), mt.randint(0, 10, (4,), device="cuda")
    mt.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    assert opt.state[params[0]]["momentum_buffer"].device.type == "cuda"
    back = mt.models.get_model("cifar_cnn")
    back.load_state_dict(model.state_dict())
    for (k, a), b in zip(back.state_dict().items(), model.state_dict().values()):
        assert a.device.type == "cpu"
        np.testing.assert_array_equal(to_np(a), to_np(b), err_msg=k)


# ---- models -------------------------------------------------------------------------------------------------
# name -> (constructor kwargs that make it deterministic in training mode, batch size)
MODEL_CASES = {
    "lenet": ({}, 4), "lenet5": ({}, 4), "lenet5_cifar": ({}, 4), "mnist_net": ({"dropout": 0.0}, 4),
    "cifar_cnn": ({}, 4), "alexnet_bn": ({"dropout": 0.0}, 2), "resnet_small32": ({}, 3),
    "resnet_small16": ({}, 4), "resnet18": ({}, 3),
}


def test_every_model_has_a_cuda_case() -> None:
    assert set(MODEL_CASES) == set(MODELS)


def _loss(model, F):
    return F.nll_loss if getattr(model, "returns_log_probs", False) else F.cross_entropy


def _model_pass(model, x: np.ndarray, y: np.ndarray, device: str) -> dict:
    """One training-mode forward/backward: {name: array} of output, loss, input grad, parameter grads, buffers."""
    xt = mt.tensor(x, device=device, requires_grad=True)
    out = model(xt)
    loss = _loss(model, mt.nn.functional)(out, mt.tensor(y, device=device))
    loss.backward()
    result = {"output": out, "loss": loss, "input.grad": xt.grad}
    result.update({f"{k}.grad": p.grad for k, p in model.named_parameters()})
    result.update(dict(model.named_buffers()))
    return {k: to_np(v) for k, v in result.items()}


def _torch_pass(twin, ours, x: np.ndarray, y: np.ndarray) -> dict:
    xt = torch.tensor(x, device="cuda", requires_grad=True)
    out = twin(xt)
    loss = _loss(ours, torch.nn.functional)(out, torch.tensor(y, device="cuda"))
    loss.backward()
    result = {"output": out, "loss": loss, "input.grad": xt.grad}
    result.update({f"{k}.grad": p.grad for k, p in twin.named_parameters()})
    result.update(dict(twin.named_buffers()))
    return {k: to_np(v) for k, v in result.items()}


def _worst(ours: dict, ref: dict, tol: float) -> list[str]:
    """Tensors past ``tol``. A gradient that vanishes in exact arithmetic (a conv bias before BatchNorm: the
    reference's is below ``tol`` × the model's largest gradient) holds only rounding noise on both sides, so
    ours must vanish at that scale too, as ``reference.Comparison.failures`` rules for the CPU model tests."""
    scale = max(float(np.abs(v).max()) for k, v in ref.items() if k.endswith(".grad") and v.size)
    bad = []
    for key, b in ref.items():
        a = ours[key].astype(np.float64)
        if key.endswith(".grad") and float(np.abs(b).max()) < tol * scale:
            if not float(np.abs(a).max()) <= tol * scale:
                bad.append(f"{key}: does not vanish ({float(np.abs(a).max()):.3g} vs scale {scale:.3g})")
        elif rel_err(a, b) > tol:
            bad.append(f"{key}: {rel_err(a, b):.3g}")
    return bad


@gpu
@DTYPES
@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_model_on_cuda_matches_cpu_and_torch(name: str, dtype: type) -> None:
    kwargs, batch = MODEL_CASES[name]
    dtype = np.dtype(dtype)
    torch.manual_seed(0)
    twin = get_twin(name, **kwargs).to(TORCH_DTYPE[dtype])
    cpu_model = get_model(name, **kwargs).to(dtype)
    copy_weights(twin, cpu_model)
    gpu_model = get_model(name, **kwargs).to(dtype)
    copy_weights(twin, gpu_model)
    gpu_model.to("cuda")
    twin.cuda()
    fresh_twin = copy.deepcopy(twin)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((batch, *cpu_model.input_shape)).astype(dtype)
    y = rng.integers(0, 10, batch)
    on_gpu = _model_pass(gpu_model, x, y, "cuda")
    on_cpu = _model_pass(cpu_model, x, y, "cpu")
    theirs = _torch_pass(twin, cpu_model, x, y)
    tol = MODEL_TOL[dtype]
    assert not _worst(on_gpu, on_cpu, tol), f"{name} {dtype}, cuda vs cpu: {_worst(on_gpu, on_cpu, tol)}"
    bad = _worst(on_gpu, theirs, tol)
    if bad and dtype == np.float32:
        # torch's own float32 can stray past 1e-4 from the exact gradients (cuDNN may pick FFT or Winograd
        # algorithms; AlexNet-BN on a tiny batch is 1e-2 from its float64 even on the CPU, ours 1e-5): there ours
        # must match torch's float64 instead
        exact = _torch_pass(fresh_twin.double(), cpu_model, x.astype(np.float64), y)
        keys = {b.split(":")[0] for b in _worst(on_gpu, exact, tol)}
        bad = [b for b in bad if b.split(":")[0] in keys]
    assert not bad, f"{name} {dtype}, cuda vs torch: {bad}"


# ---- training -----------------------------------------------------------------------------------------------
OPTIMIZERS = {
    "sgd": lambda optim, params: optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=5e-4),
    "adam": lambda optim, params: optim.Adam(params, lr=1e-3),
}


@gpu
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("name", ["lenet5", "cifar_cnn"])
def test_training_on_cuda_follows_the_cpu_and_torch(name: str, opt: str) -> None:
    """10 float64 steps from the same weights on the same batches: every parameter and running statistic stays
    within 1e-9 of the CPU run after every step, and within 1e-8 of torch on CUDA."""
    torch.manual_seed(0)
    twin = get_twin(name).double()
    models = {}
    for device in ("cpu", "cuda"):
        models[device] = get_model(name).double()
        copy_weights(twin, models[device])
        models[device].to(device)
    twin.cuda()
    opts = {d: OPTIMIZERS[opt](mt.optim, m.parameters()) for d, m in models.items()}
    t_opt = OPTIMIZERS[opt](torch.optim, twin.parameters())
    rng = np.random.default_rng(8)
    shape = models["cpu"].input_shape
    dead: set[str] = set()
    for step in range(10):
        x, y = rng.standard_normal((16, *shape)), rng.integers(0, 10, 16)
        losses = {}
        for device, model in models.items():
            opts[device].zero_grad()
            loss = _loss(model, mt.nn.functional)(model(mt.tensor(x, device=device)), mt.tensor(y, device=device))
            loss.backward()
            opts[device].step()
            losses[device] = loss.item()
        t_opt.zero_grad()
        t_loss = _loss(models["cpu"], torch.nn.functional)(twin(torch.tensor(x, device="cuda")),
                                                            torch.tensor(y, device="cuda"))
        t_loss.backward()
        if step == 0:
            # a conv bias right before BatchNorm has a zero gradient in exact arithmetic: each side steps it by its
            # own rounding noise (which Adam scales up), so it is held to the model's scale, not its own
            grads = {k: float(p.grad.abs().max()) for k, p in twin.named_parameters()}
            dead = {k for k, v in grads.items() if v < 1e-10 * max(grads.values())}
        t_opt.step()
        assert abs(losses["cuda"] - losses["cpu"]) <= 1e-12 * abs(losses["cpu"]), (step, losses)
        gpu_state, cpu_state = models["cuda"].state_dict(), models["cpu"].state_dict()
        scale = max(float(v.abs().max()) for v in twin.state_dict().values() if v.is_floating_point())
        for key, value in twin.state_dict().items():
            assert gpu_state[key].device.type == "cuda"
            for ref, tol, what in ((cpu_state[key], 1e-9, "cpu"), (value, 1e-8, "torch")):
                if key in dead:
                    err = float(np.abs(to_np(gpu_state[key]) - to_np(ref)).max()) / scale
                else:
                    err = rel_err(gpu_state[key], ref)
                assert err <= tol, f"step {step} {key}: cuda vs {what}: {err:.3g}"


@gpu
def test_dataloader_batches_train_on_cuda() -> None:
    """A DataLoader over CPU data, batches moved with .to("cuda"), and one over CUDA tensors, give the CPU run."""
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((40, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 40)
    losses = {}
    for where in ("cpu", "moved", "cuda-data"):
        mt.manual_seed(0)
        model = get_model("lenet5")
        device = "cpu" if where == "cpu" else "cuda"
        model.to(device)
        data_device = "cuda" if where == "cuda-data" else "cpu"
        dataset = mt.utils.data.TensorDataset(mt.tensor(x, device=data_device), mt.tensor(y, device=data_device))
        mt.manual_seed(1)
        loader = mt.utils.data.DataLoader(dataset, batch_size=8, shuffle=True)
        opt = mt.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        run = []
        for xb, yb in loader:
            assert xb.device.type == data_device
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = mt.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses[where] = np.array(run)
    assert len(losses["cpu"]) == 5
    for where in ("moved", "cuda-data"):
        np.testing.assert_allclose(losses[where], losses["cpu"], rtol=1e-5, err_msg=where)


# ---- the CuPy kernels against the reference -------------------------------------------------------------------
# (N, C, H, W), kernel, stride, top-left padding, dilation, output size: the layers of the zoo and odd ones
KERNEL_GEOMETRIES = [
    ((8, 16, 32, 32), (3, 3), (1, 1), (1, 1), (1, 1), (32, 32)),
    ((4, 3, 67, 67), (11, 11), (4, 4), (2, 2), (1, 1), (15, 15)),
    ((4, 8, 16, 16), (3, 3), (2, 2), (1, 1), (1, 1), (8, 8)),
    ((3, 5, 13, 11), (3, 2), (2, 1), (2, 1), (2, 3), (8, 9)),
    ((2, 4, 9, 9), (1, 1), (2, 2), (0, 0), (1, 1), (5, 5)),
]


def _cupy_kernels():
    module = choice.load("cupy")
    assert not isinstance(module, str), module
    return module


@gpu
@DTYPES
@pytest.mark.parametrize("geometry", KERNEL_GEOMETRIES, ids=range(len(KERNEL_GEOMETRIES)))
def test_cupy_conv_and_pool_kernels_give_the_reference_bits(geometry: tuple, dtype: type) -> None:
    """im2col, col2im, max-pool forward/backward (disjoint windows) and avg-pool forward/backward add in the
    reference's order, so their results are bit for bit the NumPy kernels'."""
    ck = _cupy_kernels()
    shape, k, s, p, d, out = geometry
    rng = np.random.default_rng(10)
    x = rng.standard_normal(shape).astype(dtype)
    xg = mt.backend.move_to(x, "cuda")
    cols = numpy_kernels.im2col(x, k, s, p, d, out)
    np.testing.assert_array_equal(to_np_raw(ck.im2col(xg, k, s, p, d, out)), cols)
    dcols = rng.standard_normal(cols.shape).astype(dtype)
    np.testing.assert_array_equal(
        to_np_raw(ck.col2im(mt.backend.move_to(dcols, "cuda"), shape, k, s, p, d, out)),
        numpy_kernels.col2im(dcols, shape, k, s, p, d, out),
    )
    pp = (min(p[0], k[0] // 2), min(p[1], k[1] // 2))
    out = tuple((n + 2 * q - dd * (kk - 1) - 1) // ss + 1 for n, q, dd, kk, ss in zip(shape[2:], pp, d, k, s))
    y_ref, idx_ref = numpy_kernels.max_pool2d_forward(x, k, s, pp, d, out)
    y, idx = ck.max_pool2d_forward(xg, k, s, pp, d, out)
    np.testing.assert_array_equal(to_np_raw(y), y_ref)
    np.testing.assert_array_equal(to_np_raw(idx), idx_ref)
    g = rng.standard_normal(y_ref.shape).astype(dtype)
    gg, ig = mt.backend.move_to(g, "cuda"), mt.backend.move_to(idx_ref, "cuda")
    unique = all(ss >= dd * (kk - 1) + 1 for ss, dd, kk in zip(s, d, k))
    dx_ref = numpy_kernels.max_pool2d_backward(g, idx_ref, shape[2:], False)
    if unique:
        np.testing.assert_array_equal(to_np_raw(ck.max_pool2d_backward(gg, ig, shape[2:], True)), dx_ref)
    # overlapping windows add atomically: the order of a pixel's few terms may differ, so the last bit may
    dx = to_np_raw(ck.max_pool2d_backward(gg, ig, shape[2:], False))
    assert rel_err(dx, dx_ref) <= 4 * np.finfo(dtype).eps
    out = tuple((n + 2 * q - kk) // ss + 1 for n, q, kk, ss in zip(shape[2:], pp, k, s))  # avg: no dilation
    g = rng.standard_normal((*shape[:2], *out)).astype(dtype)
    gg = mt.backend.move_to(g, "cuda")
    divisor = rng.integers(1, 9, out).astype(np.float64)
    for div in (divisor, 7):
        y_ref = numpy_kernels.avg_pool2d_forward(x, k, s, pp, out, div)
        dg = mt.backend.move_to(div, "cuda") if isinstance(div, np.ndarray) else div
        np.testing.assert_array_equal(to_np_raw(ck.avg_pool2d_forward(xg, k, s, pp, out, dg)), y_ref)
        np.testing.assert_array_equal(
            to_np_raw(ck.avg_pool2d_backward(gg, shape[2:], k, s, pp, dg)),
            numpy_kernels.avg_pool2d_backward(g, shape[2:], k, s, pp, div),
        )


def to_np_raw(arr) -> np.ndarray:
    return mt.backend.move_to(arr, "cpu")


@gpu
@DTYPES
@pytest.mark.parametrize("shape", [(16, 64, 256), (64, 96, 3025), (8, 4096, 1), (3, 5, 7)])
def test_cupy_batch_norm_kernels_match_the_reference(shape: tuple, dtype: type) -> None:
    """Statistics, output, dx and the two per-channel sums, batch and fixed statistics, with and without affine."""
    ck = _cupy_kernels()
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(12)
    C = shape[1]
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    w, b = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    fixed = (rng.standard_normal(C), rng.random(C) + 0.5)
    tol = TOL[dtype]
    for (weight, bias), stats in (((w, b), (None, None)), ((None, None), (None, None)), ((w, b), fixed)):
        ref = numpy_kernels.batch_norm_forward(x, weight, bias, *stats, 1e-5)
        move = [None if a is None else mt.backend.move_to(a, "cuda") for a in (x, weight, bias, *stats)]
        ours = ck.batch_norm_forward(*move, 1e-5)
        assert rel_err(to_np_raw(ours[0]), ref[0]) <= tol
        for a, r in zip(ours[1:], ref[1:]):  # the reference sums float32 rows in float32 first, ours in float64
            assert rel_err(to_np_raw(a), r) <= (1e-12 if dtype == np.float64 else 1e-6)
        batch = stats[0] is None
        ref_b = numpy_kernels.batch_norm_backward(g, x, ref[1], ref[2], weight, 1e-5, batch, True)
        ours_b = ck.batch_norm_backward(mt.backend.move_to(g, "cuda"), move[0], ours[1], ours[2], move[1], 1e-5,
                                        batch, True)
        assert rel_err(to_np_raw(ours_b[0]), ref_b[0]) <= tol
        for a, r in zip(ours_b[1:], ref_b[1:]):
            assert rel_err(to_np_raw(a), r) <= (1e-12 if dtype == np.float64 else 1e-6)


@gpu
def test_auto_runs_the_cupy_kernels_on_cuda_arrays() -> None:
    ck = _cupy_kernels()
    xg = mt.backend.move_to(np.zeros((1, 1, 4, 4)), "cuda")
    assert "cupy" in dispatch.available("cuda")
    for name in dispatch.KERNELS:
        expected = getattr(ck, name, None) or getattr(numpy_kernels, name)
        assert dispatch.get(name, xg) is expected, name
    with use_kernels("numpy"):
        assert dispatch.get("im2col", xg) is numpy_kernels.im2col


@gpu
@pytest.mark.parametrize("path", ["numpy", "cupy"])
def test_conv_layer_is_the_same_on_either_cuda_kernel_path(path: str) -> None:
    """The reference kernels are array-generic: forced onto CUDA arrays they give what the CuPy kernels give."""
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((2, 3, 10, 10)), rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal((2, 4, 5, 5))
    results = []
    for p in ("cupy", path):
        with use_kernels(p):
            xt = mt.tensor(x, device="cuda", requires_grad=True)
            y = mt.nn.functional.max_pool2d(mt.nn.functional.conv2d(xt, mt.tensor(w, device="cuda"), padding=1), 3,
                                             2, 1) + mt.nn.functional.avg_pool2d(xt[:, :1], 2)
            y.backward(mt.tensor(g, device="cuda"))
            results.append((to_np(y), to_np(xt.grad)))
    for a, b in zip(*results):
        assert rel_err(a, b) <= 1e-15
