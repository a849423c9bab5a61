"""The transforms that torchvision makes ``nn.Module``s are Modules here too, class by class, so torch scripts'
idioms port: ``nn.Sequential(T.Normalize(mean, std), model)``, ``.eval()``, ``.to(device)``, ``state_dict()``,
``apply(fn)``, forward hooks, ``jit.script``, pickling for DataLoader workers. Held against torchvision."""

import inspect
import pickle

import numpy as np
import pytest
import torch
import torchvision.transforms as TT
import torchvision.transforms.v2 as TV

import minitorch_cnn as mt
import minitorch_cnn.vision.transforms as MT
import minitorch_cnn.vision.transforms.v2 as MV
from minitorch_cnn.utils.data import DataLoader, Dataset
from tests._parity import assert_close

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def _class_pairs(ours_mod, theirs_mod):
    for name in ours_mod.__all__:
        ours, theirs = getattr(ours_mod, name), getattr(theirs_mod, name, None)
        if inspect.isclass(ours) and inspect.isclass(theirs):
            yield name, ours, theirs


PAIRS = [("v1", *p) for p in _class_pairs(MT, TT)] + [("v2", *p) for p in _class_pairs(MV, TV)]


@pytest.mark.parametrize("version,name,ours,theirs", PAIRS, ids=[f"{v}-{n}" for v, n, _, _ in PAIRS])
def test_module_or_not_as_torchvision(version, name, ours, theirs):
    assert issubclass(ours, mt.nn.Module) == issubclass(theirs, torch.nn.Module)


def test_every_v1_module_and_non_module_is_covered():
    modules = {n for v, n, o, t in PAIRS if v == "v1" and issubclass(t, torch.nn.Module)}
    assert {"Normalize", "Resize", "CenterCrop", "RandomCrop", "RandomHorizontalFlip", "ColorJitter", "GaussianBlur",
            "RandomResizedCrop", "Grayscale", "RandomErasing", "ConvertImageDtype", "Pad", "RandomRotation",
            "RandomAffine", "RandomApply"} <= modules
    plain = {n for v, n, o, t in PAIRS if v == "v1" and not issubclass(t, torch.nn.Module)}
    assert {"Compose", "Lambda", "ToTensor", "PILToTensor", "ToPILImage", "RandomChoice", "RandomOrder"} <= plain


def _nets(seed=0):
    """The same normalise-then-classify net here and in torch, float64, with torch's weights copied over."""
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(TT.Normalize(MEAN, STD), torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5)).double()
    ours = mt.nn.Sequential(MT.Normalize(MEAN, STD), mt.nn.Conv2d(3, 4, 3), mt.nn.ReLU(), mt.nn.Flatten(),
                            mt.nn.Linear(4 * 6 * 6, 5)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def test_sequential_outputs_and_gradients_as_torch():
    ours, theirs = _nets()
    rng = np.random.default_rng(0)
    x, g = rng.random((2, 3, 8, 8)), rng.standard_normal((2, 5))
    xo, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert_close(yo, yt, mt.float64)
    yo.backward(mt.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xo.grad, xt.grad, mt.float64, what="input grad through Normalize")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, mt.float64, what=name)


def _geometry(M):
    return [
        [M.CenterCrop(6)], [M.CenterCrop((12, 5))], [M.Pad((1, 2, 3, 0), fill=0.5)], [M.Pad(2, padding_mode="edge")],
        [M.Pad((3, 1), padding_mode="reflect")], [M.Pad((1, 2, 0, 3), padding_mode="symmetric")],
        # RandomCrop of the whole padded image: no draw (the two RNGs differ)
        [M.RandomHorizontalFlip(1.0)], [M.RandomVerticalFlip(1.0)], [M.RandomCrop(12, padding=2, fill=0.25)],
        [M.Pad(1, padding_mode="reflect"), M.CenterCrop(7), M.RandomHorizontalFlip(1.0), M.Normalize(MEAN, STD)],
    ]


@pytest.mark.parametrize("k", range(len(_geometry(MT))))
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_gradients_through_geometric_tensor_transforms(version, k):
    ours_mod, theirs_mod = (MT, TT) if version == "v1" else (MV, TV)
    rng = np.random.default_rng(k)
    x = rng.random((2, 3, 8, 8))
    ours, theirs = mt.nn.Sequential(*_geometry(ours_mod)[k]), torch.nn.Sequential(*_geometry(theirs_mod)[k])
    xo, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert_close(yo, yt, mt.float64)
    g = rng.standard_normal(tuple(yt.shape))
    yo.backward(mt.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xo.grad, xt.grad, mt.float64)


def test_reflect_pad_too_wide_raises_as_torch_with_grad():
    x = np.zeros((3, 2, 2))
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        TT.Pad(2, padding_mode="reflect")(torch.tensor(x, requires_grad=True))
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        MT.Pad(2, padding_mode="reflect")(mt.tensor(x, requires_grad=True))


def test_sequential_state_dict_keys_repr_and_modes_as_torch():
    ours, theirs = _nets()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert MT.Normalize(MEAN, STD).state_dict() == {} and len(TT.Normalize(MEAN, STD).state_dict()) == 0
    ours.eval()
    theirs.eval()
    assert ours[0].training is theirs[0].training is False
    assert ours.to("cpu") is ours and ours[0].to("cpu") is ours[0]
    assert list(ours[0].parameters()) == [] and list(ours[0].children()) == []


def _pipeline(M, f32):
    return [M.Normalize([0.5], [0.2]), M.Resize(6), M.CenterCrop(5), M.RandomCrop(5, padding=1),
            M.RandomCrop((5, 6), padding=(1, 2), pad_if_needed=True, fill=3, padding_mode="reflect"),
            M.RandomHorizontalFlip(), M.ColorJitter(0.2, 0.2), M.GaussianBlur(3), M.RandomResizedCrop(5),
            M.Grayscale(3), M.RandomErasing(), M.Pad(2), M.RandomRotation(10), M.RandomAffine(5),
            M.RandomAffine((1, 4), translate=(0.1, 0.2), scale=(0.9, 1.1), shear=3,
                           interpolation=M.InterpolationMode.BILINEAR, fill=[1, 2, 3], center=(1, 2)),
            M.ConvertImageDtype(f32), M.RandomVerticalFlip(), M.RandomPerspective(), M.RandomGrayscale(),
            M.RandomInvert(), M.AutoAugment(), M.RandAugment(), M.TrivialAugmentWide(), M.AugMix(),
            M.ElasticTransform(), M.FiveCrop(3), M.RandomApply([M.CenterCrop(3)])]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_repr_inside_a_sequential_as_torch(version):
    ours, theirs = (MT, TT) if version == "v1" else (MV, TV)
    assert repr(mt.nn.Sequential(*_pipeline(ours, mt.float32))) == \
        repr(torch.nn.Sequential(*_pipeline(theirs, torch.float32)))


def test_v2_containers_repr_and_module_list_as_torch():
    def build(M, module_list):
        return [M.Compose([M.CenterCrop(3)]), M.Compose([M.CenterCrop(3), M.RandomHorizontalFlip()]),
                M.RandomOrder([M.CenterCrop(3)]), M.RandomChoice([M.CenterCrop(3)]),
                M.RandomApply(module_list([M.CenterCrop(3)])), M.RandomApply([M.CenterCrop(3)])]

    ours, theirs = build(MV, mt.nn.ModuleList), build(TV, torch.nn.ModuleList)
    assert [repr(t) for t in ours] == [repr(t) for t in theirs]
    assert list(dict(ours[4].named_modules())) == list(dict(theirs[4].named_modules()))
    for bad, match in (([], "Pass at least one transform"), (MV.CenterCrop(3), "sequence of callables")):
        with pytest.raises((TypeError, ValueError), match=match):
            TV.RandomApply(bad if not isinstance(bad, MV.CenterCrop) else TV.CenterCrop(3))
        with pytest.raises((TypeError, ValueError), match=match):
            MV.RandomApply(bad)


def test_module_apply_visits_the_transforms():
    ours, theirs = _nets()
    seen_o, seen_t = [], []
    ours.apply(lambda m: seen_o.append(type(m).__name__))
    theirs.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_o == seen_t


def test_forward_hooks_run_and_keep_the_batch_path_honest():
    calls = []
    norm = MT.Normalize(MEAN, STD)
    assert norm.batch is not None
    handle = norm.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    assert norm.batch is None  # item by item while a hook is registered
    norm(mt.zeros(3, 2, 2))
    assert calls == [mt.Size([3, 2, 2])]
    handle.remove()
    assert norm.batch is not None


def test_backward_hook_on_a_transform_sees_torchs_gradients():
    ours, theirs = _nets()
    seen_o, seen_t = [], []
    ours[0].register_full_backward_hook(lambda m, gin, gout: seen_o.append((gin[0], gout[0])))
    theirs[0].register_full_backward_hook(lambda m, gin, gout: seen_t.append((gin[0], gout[0])))
    rng = np.random.default_rng(5)
    x, g = rng.random((2, 3, 8, 8)), rng.standard_normal((2, 5))
    ours(mt.tensor(x, requires_grad=True)).backward(mt.tensor(g))
    theirs(torch.tensor(x, requires_grad=True)).backward(torch.tensor(g))
    assert len(seen_o) == len(seen_t) == 1
    assert_close(seen_o[0][0], seen_t[0][0], mt.float64, what="grad_input")
    assert_close(seen_o[0][1], seen_t[0][1], mt.float64, what="grad_output")


def test_subclass_overriding_forward_is_honoured():
    class Twice(MT.Normalize):
        def forward(self, x):
            return super().forward(x) * 2

    class TwiceT(TT.Normalize):
        def forward(self, x):
            return super().forward(x) * 2

    x = np.random.default_rng(1).random((3, 4, 4))
    assert_close(Twice(MEAN, STD)(mt.tensor(x)), TwiceT(MEAN, STD)(torch.tensor(x)), mt.float64)
    assert Twice(MEAN, STD).batch is None

    class Called(MT.Normalize):  # the pre-Module habit: overriding __call__ still wins, item by item
        def __call__(self, x):
            return super().__call__(x) + 1

    assert_close(Called(MEAN, STD)(mt.tensor(x)), TT.Normalize(MEAN, STD)(torch.tensor(x)) + 1, mt.float64)
    assert Called(MEAN, STD).batch is None and MT.Normalize(MEAN, STD).batch is not None


def test_non_modules_refused_by_sequential_as_torch():
    with pytest.raises(TypeError, match="is not a Module subclass"):
        torch.nn.Sequential(TT.Compose([TT.ToTensor()]))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        mt.nn.Sequential(MT.Compose([MT.ToTensor()]))


def test_jit_script_of_the_sequential_runs_it():
    # held against torch's eager run: torch's scripted graph is optimised differently (agrees to ~1e-8 only)
    ours, theirs = _nets()
    x = np.random.default_rng(2).random((1, 3, 8, 8))
    scripted = mt.jit.script(ours)
    assert isinstance(scripted, mt.nn.Module) and list(scripted.state_dict()) == list(theirs.state_dict())
    assert_close(scripted(mt.tensor(x)), theirs(torch.tensor(x)), mt.float64)


PICKLED = [
    MT.Normalize(MEAN, STD), MT.Resize(6), MT.CenterCrop(5), MT.RandomCrop(5, padding=1), MT.RandomHorizontalFlip(),
    MT.ColorJitter(0.2, 0.2), MT.GaussianBlur(3), MT.RandomResizedCrop(5, antialias=True), MT.Grayscale(3),
    MT.RandomErasing(), MT.Pad(2), MT.RandomRotation(10), MT.RandomAffine(5, translate=(0.1, 0.1)),
    MT.RandomApply([MT.RandomCrop(5)]), MT.ConvertImageDtype(mt.float32), MV.Normalize(MEAN, STD),
    MV.Compose([MV.RandomHorizontalFlip(), MV.CenterCrop(5)]), MV.RandomChoice([MV.CenterCrop(4)]),
    MV.ToDtype(mt.float32),
]


@pytest.mark.parametrize("t", PICKLED, ids=lambda t: f"{type(t).__module__.rsplit('.', 2)[-2]}-{type(t).__name__}")
def test_pickle_round_trip(t):
    back = pickle.loads(pickle.dumps(t))
    assert type(back) is type(t) and isinstance(back, mt.nn.Module) and repr(back) == repr(t)
    x = mt.tensor(np.random.default_rng(3).random((3, 8, 8)).astype(np.float32))
    mt.manual_seed(7)
    a = t(x)
    mt.manual_seed(7)
    b = back(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


class _Images(Dataset):
    def __init__(self, transform):
        self.images = np.random.default_rng(4).integers(0, 256, (6, 10, 10, 3), dtype=np.uint8)
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i]), i


# spawn: the transforms reach the worker pickled (one worker: each spawned one imports the package afresh)
@pytest.mark.parametrize("context,workers", [(None, 2), ("spawn", 1)])
def test_dataloader_workers_run_module_transforms(context, workers):
    transform = MT.Compose([MT.ToTensor(), MT.CenterCrop(8), MT.Pad(1), MT.Normalize(MEAN, STD)])
    data = _Images(transform)
    ours = [x for x, _ in DataLoader(data, batch_size=3, num_workers=workers, multiprocessing_context=context)]
    ref = TT.Compose([TT.ToTensor(), TT.CenterCrop(8), TT.Pad(1), TT.Normalize(MEAN, STD)])
    theirs = torch.stack([ref(img) for img in data.images])
    assert_close(mt.cat(ours), theirs, mt.float32, tol=1e-6)
