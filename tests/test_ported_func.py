"""The torch.func tutorials, ported by changing imports: each body runs under torch and under minitorch_cnn from the
same weights and data (``_dual``), in float64, and every result must agree to 1e-10.

Written from the public tutorials (per-sample gradients, model ensembling, Jacobians/Hessians/hvp, neural tangent
kernels), cut to a few samples of real MNIST / CIFAR-10 images. Where a body differs from its tutorial, the line
says why (see benchmarks/results/port_census_func.md).
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

import numpy as np
import pytest
import torchvision
from _dual import Lib, assert_same, dual, unpacked_sample
from _parity import data_root


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(unpacked_sample(tmp_path_factory.mktemp("mnist")))


def _batch(lib: Lib, dataset: Any, n: int) -> tuple:
    data, targets = next(iter(lib.data.DataLoader(dataset, batch_size=n, shuffle=False)))
    return data.to(lib.get_default_dtype()), targets


# --- "Per-sample-gradients": functional_call + grad + vmap(in_dims=(None, None, 0, 0)) against a loop ----------

def _per_sample_grads(lib: Lib, root: str) -> dict:
    nn, F = lib.nn, lib.F
    from_func = lib.func

    class SimpleCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    tf = lib.transforms.Compose([lib.transforms.ToTensor(), lib.transforms.Normalize((0.1307,), (0.3081,))])
    data, targets = _batch(lib, lib.datasets.MNIST(root, train=True, transform=tf), 2)
    model = lib.same_weights(SimpleCNN())

    def compute_grad(sample: Any, target: Any) -> tuple:
        loss = F.nll_loss(model(sample.unsqueeze(0)), target.unsqueeze(0))
        return lib.autograd.grad(loss, list(model.parameters()))

    loop = [lib.stack(shards) for shards in zip(*[compute_grad(data[i], targets[i]) for i in range(2)])]
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params: dict, buffers: dict, sample: Any, target: Any) -> Any:
        predictions = from_func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return F.nll_loss(predictions, target.unsqueeze(0))

    ft = from_func.vmap(from_func.grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)
    for a, b in zip(loop, ft.values()):
        assert lib.allclose(a, b, atol=3e-3, rtol=1e-5)
    return {"loop": loop, "vmap": list(ft.values()), "names": list(ft.keys())}


def test_per_sample_gradients(mnist_root: str) -> None:
    theirs, ours = dual(_per_sample_grads, mnist_root, float64=True)
    assert_same(theirs, ours)


# --- "Model ensembling": stack_module_state + vmap over stacked params, in_dims (0, 0, 0) and (0, 0, None) -----

def _ensembling(lib: Lib, root: str) -> dict:
    nn, F = lib.nn, lib.F

    class SimpleMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 128)
            self.fc3 = nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = x.flatten(1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    num_models = 3
    images, _ = _batch(lib, lib.datasets.MNIST(root, train=True, transform=lib.transforms.ToTensor()), 4 * num_models)
    data = images.reshape(num_models, 4, 1, 28, 28)
    models = [lib.same_weights(SimpleMLP()) for _ in range(num_models)]
    loop_each = [model(minibatch) for model, minibatch in zip(models, data)]
    loop_same = [model(data[0]) for model in models]
    params, buffers = lib.func.stack_module_state(models)
    # the tutorial moves this copy to the 'meta' device (no storage); minitorch_cnn has no meta tensors, and the
    # copy's own weights are never read (functional_call swaps every one of them), so it stays on the CPU here
    base_model = copy.deepcopy(models[0])

    def fmodel(params: dict, buffers: dict, x: Any) -> Any:
        return lib.func.functional_call(base_model, (params, buffers), (x,))

    each = lib.func.vmap(fmodel)(params, buffers, data)
    same = lib.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data[0])
    assert lib.allclose(each, lib.stack(loop_each), atol=1e-3, rtol=1e-5)
    assert lib.allclose(same, lib.stack(loop_same), atol=1e-3, rtol=1e-5)
    return {"sizes": [p.size(0) for p in params.values()], "each": each, "same": same, "loop": loop_each,
            "requires_grad": [p.requires_grad for p in params.values()]}


def test_model_ensembling(mnist_root: str) -> None:
    theirs, ours = dual(_ensembling, mnist_root, float64=True)
    assert_same(theirs, ours)


# --- "Jacobians, Hessians, hvp, vhp, and more": vjp, jacrev, jacfwd, hessian, batched Jacobians, hvp ------------

def _jacobians(lib: Lib, arrays: dict) -> dict:
    fn, F = lib.func, lib.F
    w, b, x, w2, b2, xs, x3, t3 = (lib.from_numpy(arrays[k].copy()) for k in
                                   ("w", "b", "x", "w2", "b2", "xs", "x3", "t3"))

    def predict(weight: Any, bias: Any, x: Any) -> Any:
        return F.linear(x, weight, bias).tanh()

    xp = x.clone().requires_grad_()
    unit_vectors = lib.eye(x.shape[0], dtype=x.dtype)
    rows = [lib.autograd.grad(predict(w, b, xp), xp, vec)[0] for vec in unit_vectors.unbind()]
    jacobian = lib.stack(rows)
    _, vjp_fn = fn.vjp(partial(predict, w, b), x)
    (ft_jacobian,) = fn.vmap(vjp_fn)(unit_vectors)
    res = {"loop": jacobian, "vmap_vjp": ft_jacobian, "jacrev": fn.jacrev(predict, argnums=2)(w, b, x),
           "jacrev_wb": list(fn.jacrev(predict, argnums=(0, 1))(w, b, x)),
           "jacfwd": fn.jacfwd(predict, argnums=2)(w, b, x), "hessian": fn.hessian(predict, argnums=2)(w, b, x),
           "fwdfwd": fn.jacfwd(fn.jacfwd(predict, argnums=2), argnums=2)(w, b, x),
           "revrev": fn.jacrev(fn.jacrev(predict, argnums=2), argnums=2)(w, b, x)}
    res["batch0"] = fn.vmap(fn.jacrev(predict, argnums=2), in_dims=(None, None, 0))(w2, b2, xs)
    res["batch1"] = fn.jacrev(lambda w, b, x: predict(w, b, x).sum(0), argnums=2)(w2, b2, xs).movedim(1, 0)
    res["batch_hess"] = fn.vmap(fn.hessian(predict, argnums=2), in_dims=(None, None, 0))(w2, b2, xs)

    def hvp(f: Any, primals: tuple, tangents: tuple) -> Any:
        return fn.jvp(fn.grad(f), primals, tangents)[1]

    res["hvp"] = hvp(lambda x: x.sin().sum(), (x3,), (t3,))
    assert lib.allclose(res["hvp"], -x3.sin() * t3)
    return res


def test_jacobians_hessians_hvp() -> None:
    rng = np.random.default_rng(3)
    d, dout, n = 6, 3, 4
    arrays = {"w": rng.standard_normal((d, d)), "b": rng.standard_normal(d), "x": rng.standard_normal(d),
              "w2": rng.standard_normal((dout, d)), "b2": rng.standard_normal(dout),
              "xs": rng.standard_normal((n, d)), "x3": rng.standard_normal(32), "t3": rng.standard_normal(32)}
    theirs, ours = dual(_jacobians, arrays, float64=True)
    assert_same(theirs, ours)


# --- "Neural Tangent Kernels": vmap(jacrev(functional_call)) per sample, and the NTK by nested vmap(vjp/jvp) ---

def _ntk(lib: Lib, root: str) -> dict:
    nn, fn = lib.nn, lib.func

    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, (3, 3))
            self.conv2 = nn.Conv2d(4, 4, (3, 3))
            self.fc = nn.Linear(4 * 4 * 4, 3)

        def forward(self, x: Any) -> Any:
            return self.fc(self.conv2(self.conv1(x).relu()).flatten(1))

    tf = lib.transforms.Compose([lib.transforms.ToTensor(), lib.transforms.CenterCrop(8)])
    images, _ = _batch(lib, lib.datasets.CIFAR10(root, train=True, transform=tf), 4)
    x_train, x_test = images[:2], images[2:]
    net = lib.same_weights(CNN())
    params = {k: v.detach() for k, v in net.named_parameters()}

    def fnet_single(params: dict, x: Any) -> Any:
        return fn.functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

    def contraction(x1: Any, x2: Any, compute: str) -> Any:
        jac1 = [j.flatten(2) for j in fn.vmap(fn.jacrev(fnet_single), (None, 0))(params, x1).values()]
        jac2 = [j.flatten(2) for j in fn.vmap(fn.jacrev(fnet_single), (None, 0))(params, x2).values()]
        expr = {"full": "Naf,Mbf->NMab", "trace": "Naf,Maf->NM", "diagonal": "Naf,Maf->NMa"}[compute]
        return lib.stack([lib.einsum(expr, j1, j2) for j1, j2 in zip(jac1, jac2)]).sum(0)

    res = {mode: contraction(x_train, x_test, mode) for mode in ("full", "trace", "diagonal")}
    assert lib.allclose(res["trace"], lib.diagonal(res["full"], dim1=-1, dim2=-2).sum(-1))

    def get_ntk(x1: Any, x2: Any) -> Any:
        output, vjp_fn = fn.vjp(lambda p: fnet_single(p, x1), params)

        def get_ntk_slice(vec: Any) -> Any:
            (vjps,) = vjp_fn(vec)
            return fn.jvp(lambda p: fnet_single(p, x2), (params,), (vjps,))[1]

        basis = lib.eye(output.numel(), dtype=output.dtype).view(output.numel(), -1)
        return fn.vmap(get_ntk_slice)(basis)

    res["vps"] = fn.vmap(fn.vmap(get_ntk, (None, 0)), (0, None))(x_train, x_test)
    res["vps_diagonal"] = lib.diagonal(res["vps"], dim1=-1, dim2=-2)
    assert lib.allclose(res["full"], res["vps"], atol=1e-5)
    return res


def test_neural_tangent_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    root = data_root() / "cifar10-subset"
    # the shared set is a content-checked subset of the official batches: torchvision's md5 check would refuse it
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    theirs, ours = dual(_ntk, str(root), float64=True)
    assert_same(theirs, ours)


# --- "torch.func whirlwind tour": grad of grad of a scalar function, vmap over a closure, per-example grads, ----
# --- vjp/jvp of builtins, jacrev/jacfwd of torch.sin, argnums, hessian --------------------------------------------

def _whirlwind(lib: Lib, arrays: dict) -> dict:
    fn = lib.func
    s, w, examples, targets, v5, x5, y5, x64 = (lib.from_numpy(arrays[k].copy()) for k in
                                               ("s", "w", "examples", "targets", "v5", "x5", "y5", "x64"))
    res = {"cos": fn.grad(lambda x: lib.sin(x))(s), "neg_sin": fn.grad(fn.grad(lambda x: lib.sin(x)))(s)}
    weights = w.clone().requires_grad_()

    def model(feature_vec: Any) -> Any:
        assert feature_vec.dim() == 1
        return feature_vec.dot(weights).relu()

    res["vmap_closure"] = fn.vmap(model)(examples)

    def compute_loss(weights: Any, example: Any, target: Any) -> Any:
        return ((example.dot(weights).relu() - target) ** 2).mean()

    res["per_example"] = fn.vmap(fn.grad(compute_loss), in_dims=(None, 0, 0))(weights, examples, targets)
    (_, vjp_fn) = fn.vjp(lib.sin, v5)
    res["vjp"] = list(vjp_fn(lib.ones_like(v5)))
    res["jvp"] = list(fn.jvp(lambda x, y: x * y, (x5, y5), (lib.ones_like(x5), lib.ones_like(y5))))
    res["jacrev"] = fn.jacrev(lib.sin)(x5)
    res["vmap_jacrev"] = fn.vmap(fn.jacrev(lib.sin))(x64)
    res["jacfwd"] = fn.jacfwd(lib.sin)(x5)
    res["argnums"] = fn.jacrev(lambda x, y: x + y ** 2, argnums=1)(x5, y5)
    res["hessian"] = fn.hessian(lambda x: x.sin().sum())(x5)
    res["revrev"] = fn.jacrev(fn.jacrev(lambda x: x.sin().sum()))(x5)
    assert lib.allclose(res["jacrev"], lib.diag(lib.cos(x5)))
    return res


def test_whirlwind_tour() -> None:
    rng = np.random.default_rng(5)
    arrays = {"s": rng.standard_normal(()), "w": rng.standard_normal(5), "examples": rng.standard_normal((3, 5)),
              "targets": rng.standard_normal(3), "v5": rng.standard_normal(5), "x5": rng.standard_normal(5),
              "y5": rng.standard_normal(5), "x64": rng.standard_normal((8, 5))}
    theirs, ours = dual(_whirlwind, arrays, float64=True)
    assert_same(theirs, ours)
    assert ours["per_example"].requires_grad and ours["vmap_closure"].requires_grad  # as torch's: weights need grad
