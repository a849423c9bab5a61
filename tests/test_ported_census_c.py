"""Second census, models and vision: public PyTorch scripts ported by one import switch, each written once against
``Lib`` and run under torch and under minitorch_cnn from the same initial weights (``tests/_dual.py``), every
result compared in the test (float64: 1e-10 relative unless a bound says why).

Scripts (our own bodies making the calls the public scripts make, cut to a few batches):
kuangliu/pytorch-cifar main.py; the torchvision finetuning tutorial; saliency maps, Grad-CAM and feature-map
visualisation; custom-dataset idioms (dict samples, collate functions, IterableDataset with workers, samplers).
Random augmentations draw from each library's own generator, so where a script uses them the body keeps the call
but compares what does not depend on the draw (or uses the deterministic transform for both); a loader given a
``Generator`` shuffles as torch's.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import numpy as np
import pytest
import torch
import torchvision
import torchvision.transforms.v2  # noqa: F401 - the dual bodies reach it as lib.transforms.v2
from _dual import Lib, dual
from _parity import assert_close, data_root

import minitorch_cnn as mt

F64 = np.float64
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)


@pytest.fixture
def cifar_root(monkeypatch: pytest.MonkeyPatch) -> str:
    # the shared set is a content-checked subset of the official batches: torchvision's md5 check would refuse it
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    return str(data_root() / "cifar10-subset")


def _close_all(ours: dict, theirs: dict, skip: tuple = ()) -> None:
    assert ours.keys() == theirs.keys()
    for k in theirs:
        if k in skip:
            assert ours[k] == theirs[k], k
        else:
            assert_close(ours[k], theirs[k], F64, what=k)


# --- kuangliu/pytorch-cifar main.py: its ResNet18, DataParallel, cudnn.benchmark, SGD + CosineAnnealingLR, the ------
# --- progress line's counting, the {'net', 'acc', 'epoch'} checkpoint and resuming from it ------------------------


def _kuangliu(lib: Lib, root: str, ckpt_dir: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion * planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(self.expansion * planes))

        def forward(self, x: Any) -> Any:
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.shortcut(x)
            return F.relu(out)

    class ResNet(nn.Module):
        def __init__(self, block: Any, num_blocks: list, num_classes: int = 10) -> None:
            super().__init__()
            self.in_planes = 64
            self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.layer1 = self._make_layer(block, 64, num_blocks[0], stride=1)
            self.layer2 = self._make_layer(block, 128, num_blocks[1], stride=2)
            self.layer3 = self._make_layer(block, 256, num_blocks[2], stride=2)
            self.layer4 = self._make_layer(block, 512, num_blocks[3], stride=2)
            self.linear = nn.Linear(512 * block.expansion, num_classes)

        def _make_layer(self, block: Any, planes: int, num_blocks: int, stride: int) -> Any:
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for stride in strides:
                layers.append(block(self.in_planes, planes, stride))
                self.in_planes = planes * block.expansion
            return nn.Sequential(*layers)

        def forward(self, x: Any) -> Any:
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
            out = F.avg_pool2d(out, 4)
            out = out.view(out.size(0), -1)
            return self.linear(out)

    T = lib.transforms
    # the script's train transform draws crops and flips from the library's generator: built here as it builds
    # it, while the loaders use the deterministic test transform so that both runs see the same pixels
    T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])
    transform_test = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])
    trainset = lib.data.Subset(lib.datasets.CIFAR10(root=root, train=True, download=False,
                                                    transform=transform_test), range(4))
    trainloader = lib.data.DataLoader(trainset, batch_size=2, shuffle=False, num_workers=0)
    testset = lib.data.Subset(lib.datasets.CIFAR10(root=root, train=False, download=False,
                                                   transform=transform_test), range(2))
    testloader = lib.data.DataLoader(testset, batch_size=2, shuffle=False, num_workers=0)
    device = "cuda" if L.cuda.is_available() else "cpu"
    # the script's ResNet18 class at one block a stage (its ResNet18() is [2, 2, 2, 2]): the same code, half the time
    net = ResNet(BasicBlock, [1, 1, 1, 1]).double().to(device)
    net = lib.same_weights(L.nn.DataParallel(net))
    L.backends.cudnn.benchmark = True
    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scheduler = L.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
    res: dict = {"keys": list(net.state_dict())[:3], "log": []}
    best_acc = 0

    def train(epoch: int) -> None:
        net.train()
        train_loss = correct = total = 0
        for batch_idx, (inputs, targets) in enumerate(trainloader):
            inputs, targets = inputs.double().to(device), targets.to(device)
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
            res["log"].append("%d %d Loss: %.3f | Acc: %.3f%% (%d/%d)" % (  # noqa: UP031 - the script's format
                batch_idx, len(trainloader), train_loss / (batch_idx + 1), 100. * correct / total, correct, total))
        res[f"train_loss{epoch}"] = train_loss

    def test(epoch: int) -> None:
        nonlocal best_acc
        net.eval()
        test_loss = correct = total = 0
        with L.no_grad():
            for inputs, targets in testloader:
                outputs = net(inputs.double().to(device))
                test_loss += criterion(outputs, targets).item()
                _, predicted = outputs.max(1)
                total += targets.size(0)
                correct += predicted.eq(targets).sum().item()
        res[f"test_loss{epoch}"], res[f"outputs{epoch}"] = test_loss, outputs
        acc = 100. * correct / total
        if acc >= best_acc:
            state = {"net": net.state_dict(), "acc": acc, "epoch": epoch}
            if not os.path.isdir(ckpt_dir):
                os.mkdir(ckpt_dir)
            L.save(state, os.path.join(ckpt_dir, "ckpt.pth"))
            best_acc = acc

    train(0)
    test(0)
    scheduler.step()
    res["lr"] = scheduler.get_last_lr()
    # resume, as `python main.py --resume` does, into a fresh wrapped net
    checkpoint = L.load(os.path.join(ckpt_dir, "ckpt.pth"))
    net = L.nn.DataParallel(ResNet(BasicBlock, [1, 1, 1, 1]).double())
    net.load_state_dict(checkpoint["net"])
    res["resumed"] = (checkpoint["acc"], checkpoint["epoch"])
    test(1)
    return res


def test_kuangliu_pytorch_cifar_main(cifar_root: str, tmp_path: Any) -> None:
    theirs, ours = dual(_kuangliu, cifar_root, str(tmp_path / "checkpoint"))
    assert ours["keys"] == theirs["keys"] == ["module.conv1.weight", "module.bn1.weight", "module.bn1.bias"]
    assert mt.backends.cudnn.benchmark is True
    _close_all(ours, theirs, skip=("keys", "log", "resumed"))
    # our checkpoint file is torch's format: torch reads it, 'module.' keys and all
    ckpt = torch.load(tmp_path / "checkpoint" / "ckpt.pth", weights_only=True)
    assert set(ckpt) == {"net", "acc", "epoch"} and next(iter(ckpt["net"])).startswith("module.")


# --- the torchvision finetuning tutorial: initialize_model for squeezenet (classifier[1] a new 1×1 conv, ------------
# --- num_classes set by hand) and densenet (classifier.in_features), feature extraction, train_model's phases -------


def _finetune(lib: Lib, root: str, model_name: str) -> dict:
    L, nn = lib.lib, lib.nn

    def set_parameter_requires_grad(model: Any, feature_extracting: bool) -> None:
        if feature_extracting:
            for param in model.parameters():
                param.requires_grad = False

    num_classes, feature_extract = 10, True
    if model_name == "squeezenet":
        model_ft = lib.models.squeezenet1_0(weights=None)
        set_parameter_requires_grad(model_ft, feature_extract)
        model_ft.classifier[1] = nn.Conv2d(512, num_classes, kernel_size=(1, 1), stride=(1, 1))
        model_ft.num_classes = num_classes
    else:
        model_ft = lib.models.densenet121(weights=None)
        set_parameter_requires_grad(model_ft, feature_extract)
        num_ftrs = model_ft.classifier.in_features
        model_ft.classifier = nn.Linear(num_ftrs, num_classes)
    model_ft = lib.same_weights(model_ft.double())
    for m in model_ft.modules():  # squeezenet's classifier dropout: the two libraries draw different masks
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    T = lib.transforms
    norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    # the train transform's RandomResizedCrop draws from each library's generator: built, and the val one used.
    # 64×64: DenseNet's last BatchNorm (train mode, 2 images) then normalises 2·2·2 values a channel; at 1×1 it
    # would see 2, and (x - mean)/std of two numbers is ±1 whatever they are, leaving only rounding to compare
    T.Compose([T.RandomResizedCrop(64), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    val_tf = T.Compose([T.Resize(64), T.CenterCrop(64), T.ToTensor(), norm])
    image_datasets = {x: lib.data.Subset(lib.datasets.CIFAR10(root, train=(x == "train"), transform=val_tf),
                                         range(4)) for x in ["train", "val"]}
    dataloaders = {x: lib.data.DataLoader(image_datasets[x], batch_size=2, shuffle=False, num_workers=0)
                   for x in ["train", "val"]}
    params_to_update = [p for n, p in model_ft.named_parameters() if p.requires_grad]
    names = [n for n, p in model_ft.named_parameters() if p.requires_grad]
    optimizer = lib.optim.SGD(params_to_update, lr=0.001, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    val_acc_history, log = [], []
    best_model_wts = copy.deepcopy(model_ft.state_dict())
    best_acc = 0.0
    for _ in range(2):
        for phase in ["train", "val"]:
            model_ft.train() if phase == "train" else model_ft.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, labels in dataloaders[phase]:
                inputs = inputs.double()
                optimizer.zero_grad()
                with L.set_grad_enabled(phase == "train"):
                    outputs = model_ft(inputs)
                    loss = criterion(outputs, labels)
                    _, preds = L.max(outputs, 1)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += L.sum(preds == labels.data)
            epoch_loss = running_loss / len(dataloaders[phase].dataset)
            epoch_acc = running_corrects.double() / len(dataloaders[phase].dataset)
            log.append("{} Loss: {:.4f} Acc: {:.4f}".format(phase, epoch_loss, epoch_acc))  # noqa: UP032 - the script's
            if phase == "val" and epoch_acc >= best_acc:
                best_acc = epoch_acc
                best_model_wts = copy.deepcopy(model_ft.state_dict())
            if phase == "val":
                val_acc_history.append(epoch_acc)
    model_ft.load_state_dict(best_model_wts)
    head = model_ft.classifier[1] if model_name == "squeezenet" else model_ft.classifier
    return {"names": names, "log": log, "hist": [float(h) for h in val_acc_history], "outputs": outputs,
            "head_w": head.weight, "head_b": head.bias, "num_classes": getattr(model_ft, "num_classes", None)}


@pytest.mark.parametrize("model_name", ["squeezenet", "densenet"])
def test_torchvision_finetuning_tutorial(cifar_root: str, model_name: str) -> None:
    theirs, ours = dual(_finetune, cifar_root, model_name)
    _close_all(ours, theirs, skip=("names", "log", "hist", "num_classes"))


# --- saliency maps (cs231n), Grad-CAM with module hooks and with a tensor hook, feature-map visualisation ----------


def _saliency_gradcam(lib: Lib) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    rng = np.random.default_rng(4)
    model = lib.same_weights(lib.models.resnet18(weights=None, num_classes=10).double())
    model.eval()
    for param in model.parameters():
        param.requires_grad = False
    res: dict = {}

    X = L.tensor(rng.standard_normal((2, 3, 64, 64)))
    y = L.tensor([3, 7])
    X.requires_grad_()
    scores = model(X)
    scores = scores.gather(1, y.view(-1, 1)).squeeze()
    scores.backward(L.ones_like(scores))
    res["saliency"], res["saliency_idx"] = X.grad.abs().max(dim=1)

    for param in model.parameters():
        param.requires_grad = True
    store: dict = {}

    def forward_hook(module: Any, inp: Any, out: Any) -> None:
        store["act"] = out

    def backward_hook(module: Any, grad_input: Any, grad_output: Any) -> None:
        store["grad"] = grad_output[0]
        store["grad_in"] = grad_input[0]
        store["kinds"] = (type(grad_input).__name__, len(grad_input), len(grad_output))

    h1 = model.layer4.register_forward_hook(forward_hook)
    h2 = model.layer4.register_full_backward_hook(backward_hook)
    img = L.tensor(rng.standard_normal((1, 3, 64, 64)))
    pred = model(img)
    cls = pred.argmax(dim=1).item()
    pred[:, cls].backward()
    pooled_gradients = L.mean(store["grad"], dim=[0, 2, 3])
    activations = store["act"].detach()
    for i in range(activations.size(1)):
        activations[:, i, :, :] *= pooled_gradients[i]
    heatmap = L.mean(activations, dim=1).squeeze()
    heatmap = F.relu(heatmap)
    heatmap /= L.max(heatmap)
    res.update(cls=cls, kinds=store["kinds"], grad_in=store["grad_in"], heatmap=heatmap,
               np_heatmap=np.maximum(heatmap.numpy(), 0),
               cam=F.interpolate(heatmap[None, None], size=(64, 64), mode="bilinear", align_corners=False),
               fc_grad=model.fc.weight.grad)
    h1.remove()
    h2.remove()
    model.zero_grad()

    class GradCamNet(nn.Module):
        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net
            self.features = nn.Sequential(*list(net.children())[:-2])
            self.gradients = None

        def activations_hook(self, grad: Any) -> None:
            self.gradients = grad

        def forward(self, x: Any) -> Any:
            x = self.features(x)
            x.register_hook(self.activations_hook)
            return self.net.fc(self.net.avgpool(x).view(x.size(0), -1))

    gc = GradCamNet(model)
    gc.eval()
    out = gc(img)
    out[:, out.argmax(dim=1)].backward()
    pg = L.mean(gc.gradients, dim=[0, 2, 3])
    acts = gc.features(img).detach()
    for i in range(512):
        acts[:, i, :, :] *= pg[i]
    hm2 = np.maximum(L.mean(acts, dim=1).squeeze(), 0)  # NumPy's maximum on a tensor gives a tensor, as torch's
    hm2 /= L.max(hm2)
    res.update(hm2=hm2, hm2_is_tensor=isinstance(hm2, L.Tensor), same=bool(L.allclose(hm2, heatmap)))

    w1 = model.conv1.weight.data.cpu()
    res["w1_norm"] = (w1[0] - w1[0].min()) / (w1[0].max() - w1[0].min())
    res["children"] = [type(c).__name__ for c in model.children()]
    res["convs"] = [name for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    x, shapes = img, []
    for c in list(model.children())[:4]:
        x = c(x)
        shapes.append(tuple(x.shape))
    res["shapes"] = shapes
    sq = lib.same_weights(lib.models.squeezenet1_1(weights=None).double())
    feat = sq.features[:3](img)
    res["gray"] = L.sum(feat[0], 0) / feat.shape[1]
    res["sliced"] = type(sq.features[:3]).__name__
    return res


def test_saliency_gradcam_and_feature_maps() -> None:
    theirs, ours = dual(_saliency_gradcam)
    _close_all(ours, theirs, skip=("cls", "kinds", "hm2_is_tensor", "same", "children", "convs", "shapes",
                                   "sliced"))
    assert ours["kinds"] == ("tuple", 1, 1) and ours["hm2_is_tensor"] and ours["same"]


# --- custom-dataset idioms: dict samples, default_collate of mixed structures, collate_fn, IterableDataset split ---
# --- across workers with get_worker_info or worker_init_fn, samplers, batch samplers, ToPILImage ------------------


class _Faces:
    """A dataset returning dicts, as the data-loading tutorial's FaceLandmarksDataset (built per library)."""

    def __init__(self, L: Any, n: int, transform: Any = None) -> None:
        rng = np.random.RandomState(0)
        self.L, self.transform = L, transform
        self.images = rng.randint(0, 256, size=(n, 8, 8, 3)).astype(np.uint8)
        self.landmarks = rng.rand(n, 4, 2)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx: Any) -> dict:
        if self.L.is_tensor(idx):
            idx = idx.tolist()
        sample = {"image": self.images[idx], "landmarks": self.landmarks[idx], "label": idx % 3,
                  "name": f"img{idx}.png"}
        return self.transform(sample) if self.transform else sample


def _ranges(lib: Lib) -> tuple[type, type]:
    """The IterableDataset subclasses of the script, over each library's base class."""

    class MyIterableDataset(lib.data.IterableDataset):
        def __init__(self, start: int, end: int) -> None:
            super().__init__()
            self.start, self.end = start, end

        def __iter__(self) -> Any:
            worker_info = lib.data.get_worker_info()
            if worker_info is None:
                return iter(range(self.start, self.end))
            per_worker = int(math.ceil((self.end - self.start) / float(worker_info.num_workers)))
            iter_start = self.start + worker_info.id * per_worker
            return iter(range(iter_start, min(iter_start + per_worker, self.end)))

    class PlainIter(lib.data.IterableDataset):
        def __init__(self, start: int, end: int) -> None:
            self.start, self.end = start, end

        def __iter__(self) -> Any:
            return iter(range(self.start, self.end))

    return MyIterableDataset, PlainIter


def _worker_init_fn(worker_id: int) -> None:
    """The IterableDataset docs' worker_init_fn: each worker narrows its copy of the dataset to its share."""
    info = (mt if mt.utils.data.get_worker_info() is not None else torch).utils.data.get_worker_info()
    dataset = info.dataset
    start, end = dataset.start, dataset.end
    per_worker = int(math.ceil((end - start) / float(info.num_workers)))
    dataset.start = start + worker_id * per_worker
    dataset.end = min(dataset.start + per_worker, end)


def _datasets(lib: Lib) -> dict:
    L, data = lib.lib, lib.data
    res: dict = {}

    def to_tensor_dict(sample: dict) -> dict:
        return {"image": L.from_numpy(sample["image"].transpose((2, 0, 1))),
                "landmarks": L.from_numpy(sample["landmarks"]), "label": sample["label"], "name": sample["name"]}

    ds = _Faces(L, 10)
    b = next(iter(data.DataLoader(ds, batch_size=4)))
    res.update(image=b["image"], landmarks=b["landmarks"], label=b["label"], names=b["name"])
    ds2 = _Faces(L, 10, transform=lib.transforms.Compose([to_tensor_dict]))
    shuffled = list(data.DataLoader(ds2, batch_size=4, shuffle=True, drop_last=True,
                                    generator=L.Generator().manual_seed(42)))
    res["shuffled_shapes"] = [tuple(s["image"].shape) for s in shuffled]
    res["shuffled_names"] = [n for s in shuffled for n in s["name"]]

    batch = [(np.float64(1.5), 3, "a", [1, 2], {"x": np.arange(3)}, True, (L.ones(2), 1.0)) for _ in range(3)]
    c = data.default_collate(batch)
    res["collate_kinds"] = [type(x).__name__ for x in c]
    res["collate_dtypes"] = [str(v.dtype).split(".")[-1] for v in (c[0], c[1], c[5], c[6][1])]
    res.update(c0=c[0], c3a=c[3][0], c4=c[4]["x"], c6=c[6][0], c_str=c[2])

    def my_collate(items: list) -> tuple:
        return L.stack([it["image"] for it in items], 0), L.tensor([it["label"] for it in items])

    res["stacked"], res["stacked_labels"] = next(iter(data.DataLoader(ds2, batch_size=3, collate_fn=my_collate)))

    def pad_collate(items: list) -> tuple:
        seqs = [L.tensor(s) for s, _ in items]
        lens = L.tensor([len(s) for s in seqs])
        out = L.zeros(len(seqs), int(lens.max()))
        for i, s in enumerate(seqs):
            out[i, :len(s)] = s
        return out, lens

    res["padded"] = [x.tolist() for x, _ in data.DataLoader([([float(j) for j in range(i % 4 + 1)], i)
                                                              for i in range(6)], batch_size=3,
                                                             collate_fn=pad_collate)]
    ranged, plain = _ranges(lib)
    it = ranged(3, 7)
    res["iter0"] = [x.tolist() for x in data.DataLoader(it, num_workers=0)]
    res["iter2"] = [x.tolist() for x in data.DataLoader(it, batch_size=2, num_workers=2)]
    res["iter_init"] = [int(x) for x in data.DataLoader(plain(3, 7), num_workers=2, worker_init_fn=_worker_init_fn)]
    res["iter_drop"] = [x.tolist() for x in data.DataLoader(ranged(0, 7), batch_size=3, drop_last=True)]

    class EvenFirstSampler(data.Sampler):
        def __init__(self, data_source: Any) -> None:
            self.data_source = data_source

        def __iter__(self) -> Any:
            n = len(self.data_source)
            return iter([i for i in range(n) if i % 2 == 0] + [i for i in range(n) if i % 2 == 1])

        def __len__(self) -> int:
            return len(self.data_source)

    class ReversedBatches(data.BatchSampler):
        def __iter__(self) -> Any:
            for batch_ in super().__iter__():
                yield sorted(batch_, reverse=True)

    res["sampled"] = [s["label"].tolist() for s in data.DataLoader(ds, batch_size=3, sampler=EvenFirstSampler(ds))]
    bs = data.BatchSampler(EvenFirstSampler(ds), batch_size=4, drop_last=False)
    res["batches"], res["n_batches"] = list(bs), len(bs)
    res["batch_sampled"] = [s["label"].tolist() for s in data.DataLoader(ds, batch_sampler=bs)]
    res["reversed"] = list(ReversedBatches(range(7), 3, True))
    loader = data.DataLoader(ds, batch_size=5, num_workers=2, persistent_workers=True, prefetch_factor=2)
    res["persistent"] = [[s["label"].tolist() for s in loader] for _ in range(2)]
    img = lib.transforms.ToPILImage()(L.from_numpy(ds.images[0]).permute(2, 0, 1))
    res["pil"] = (type(img).__name__, img.size, img.mode, np.asarray(img).tolist())
    gray = lib.transforms.ToPILImage()(L.tensor(np.linspace(0, 1, 30).reshape(1, 5, 6)))
    res["pil_gray"] = (gray.size, gray.mode, np.asarray(gray).tolist())
    res["pil_back"] = lib.transforms.PILToTensor()(img)
    return res


def test_custom_dataset_idioms() -> None:
    theirs, ours = dual(_datasets)
    tensors = ("image", "landmarks", "label", "c0", "c3a", "c4", "c6", "stacked", "stacked_labels", "pil_back")
    for k in theirs:
        if k in tensors:
            assert str(ours[k].dtype).split(".")[-1] == str(theirs[k].dtype).split(".")[-1], k
            np.testing.assert_array_equal(ours[k].numpy(), theirs[k].numpy(), err_msg=k)
        else:  # shuffled_names included: an mt.Generator shuffles as torch.Generator of the same seed
            assert ours[k] == theirs[k], k


# --- transforms v2 scripts: the getting-started pipeline, CutMix/MixUp on batches with soft-label cross-entropy, -----
# --- GaussianBlur, ColorJitter and RandomErasing, PILToTensor / ToPILImage / ConvertImageDtype --------------------


def _transforms_v2(lib: Lib, root: str) -> dict:
    L, nn = lib.lib, lib.nn
    v2 = lib.transforms.v2
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    # the getting-started pipeline, built as scripts build it; its crop and flip draw from each library's generator
    v2.Compose([v2.ToImage(), v2.ToDtype(L.float32, scale=True), v2.RandomResizedCrop(size=(224, 224), antialias=True),
                v2.RandomHorizontalFlip(p=0.5), v2.Normalize(mean=mean, std=std)])
    tf = v2.Compose([v2.ToImage(), v2.ToDtype(L.float64, scale=True), v2.Resize(40, antialias=True),
                     v2.CenterCrop(36), v2.Normalize(mean=mean, std=std)])
    ds = lib.datasets.CIFAR10(root, train=True, transform=tf)
    res: dict = {"first": ds[0][0], "first_label": ds[0][1]}
    img, label = tf(ds.data[1], 7)
    res.update(second=img, passed=label)
    loader = lib.data.DataLoader(lib.data.Subset(ds, range(8)), batch_size=4, shuffle=False)
    cutmix, mixup = v2.CutMix(num_classes=10), v2.MixUp(num_classes=10)
    v2.RandomChoice([cutmix, mixup])
    model = lib.same_weights(nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                           nn.Linear(4, 10)).double())
    criterion = nn.CrossEntropyLoss()
    losses = []
    for step, (images, labels) in enumerate(loader):
        # the batch mix of RandomChoice([cutmix, mixup]) with its draw fixed: each library's own λ would differ
        mix = cutmix if step == 0 else mixup
        params = {"labels": labels, "batch_size": 4, "lam": 0.3, "box": (5, 4, 20, 30),
                  "lam_adjusted": 1 - 15 * 26 / 36 ** 2}
        images, labels = mix.transform(images, params), mix.transform(labels, params)
        loss = criterion(model(images), labels)
        loss.backward()
        losses.append(loss)
        res[f"mixed{step}"], res[f"soft{step}"] = images, labels
    res.update(losses=L.stack(losses), grad=model[0].weight.grad)
    aug = v2.Compose([v2.ToImage(), v2.ToDtype(L.float64, scale=True), v2.GaussianBlur(kernel_size=(5, 5), sigma=1.5),
                      v2.ColorJitter(brightness=(1.3, 1.3)), v2.ConvertImageDtype(L.float64)])
    res["blurred"] = aug(ds.data[2])
    erasing = v2.RandomErasing(p=1.0, value=0.25)
    v = L.tensor([0.25])[:, None, None]
    res["erased"] = erasing.transform(res["blurred"], {"i": 3, "j": 4, "h": 10, "w": 12, "v": v})
    res["rotated"] = v2.RandomRotation(15).transform(res["blurred"], {"angle": 12.0})
    res["affined"] = v2.RandomAffine(10, translate=(0.1, 0.1)).transform(
        res["blurred"], {"angle": 5.0, "translate": (1, -2), "scale": 1.1, "shear": (3.0, 0.0)})
    # v1 on the dataset's images (PIL there, the array stand-in here), nearest: Pillow's pixels
    # (degrees=(12, 12): the draw is 12 in both libraries)
    rot = lib.transforms.Compose([lib.transforms.RandomRotation((12.0, 12.0)), lib.transforms.ToTensor()])
    res["v1_rotated"] = lib.datasets.CIFAR10(root, train=True, transform=rot)[4][0]
    x8 = v2.PILToTensor()(lib.transforms.ToPILImage()(ds.data[3]))
    res.update(pil=x8, v1_convert=lib.transforms.ConvertImageDtype(L.float32)(x8),
               back=type(v2.ToPILImage()(x8)).__name__)
    return res


def test_transforms_v2_scripts(cifar_root: str) -> None:
    theirs, ours = dual(_transforms_v2, cifar_root)
    for k in ("first_label", "passed", "back"):
        assert ours[k] == theirs[k], k
    _same_dtype = ("pil", "v1_convert")
    for k in _same_dtype:
        np.testing.assert_array_equal(ours[k].numpy(), theirs[k].numpy(), err_msg=k)
    _close_all({k: v for k, v in ours.items() if k not in (*_same_dtype, "first_label", "passed", "back")},
               {k: v for k, v in theirs.items() if k not in (*_same_dtype, "first_label", "passed", "back")})
