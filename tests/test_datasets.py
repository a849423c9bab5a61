"""mt.vision.datasets against torchvision's datasets on the same files, pixel for pixel and label for label;
downloads from a local HTTP server (mirrors, md5 checks, extraction, nothing fetched when present); damaged
files raising errors that name them; and the MNIST sample shipped in the package.

The real files come from ../shared/data (tests that need them skip when it is absent). torchvision 0.29 reads
MNIST only from unpacked IDX files, so it gets a temporary root of links to the official ``.gz`` files and
unpacks them itself with ``download=True`` (its md5 check passes, so nothing is fetched).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import io
import pickle
import shutil
import struct
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torchvision
import torchvision.transforms as T

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _parity import data_root  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
from minitorch_cnn.utils.data import DataLoader, RandomSampler, default_collate  # noqa: E402
from minitorch_cnn.vision import datasets  # noqa: E402
from minitorch_cnn.vision import transforms as MT  # noqa: E402
from minitorch_cnn.vision.datasets import CIFAR10, MNIST, FashionMNIST, sample_root  # noqa: E402

RESOURCE_NAMES = [name for name, _ in MNIST.resources]


def _cifar_root() -> Path:
    root = data_root() / "cifar10-subset"
    if not (root / "cifar-10-batches-py").is_dir():
        pytest.skip(f"CIFAR-10 subset not found at {root}")
    return root


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def serve(directory: Path):
    """An HTTP server on 127.0.0.1 serving ``directory``; yields (base URL, list of requested paths)."""
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args):
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    finally:
        server.shutdown()
        server.server_close()


# ---- parity with torchvision ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tv_root(tmp_path_factory):
    """A root holding links to the official MNIST/FashionMNIST .gz files, unpacked there by torchvision."""
    shared = data_root()
    root = tmp_path_factory.mktemp("tv")
    for cls in (MNIST, FashionMNIST):
        raw = root / cls.__name__ / "raw"
        raw.mkdir(parents=True)
        for name in RESOURCE_NAMES:
            (raw / name).symlink_to(shared / cls.__name__ / "raw" / name)
        getattr(torchvision.datasets, cls.__name__)(root, download=True)
    return shared, root


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST], ids=lambda c: c.__name__)
@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_mnist_like_equal_torchvision(tv_root, cls, train):
    shared, root = tv_root
    tv = getattr(torchvision.datasets, cls.__name__)(root, train=train)
    from_gz, from_plain = cls(shared, train=train), cls(root, train=train)
    for ours in (from_gz, from_plain):
        assert len(ours) == len(tv) == (60000 if train else 10000)
        assert ours.data.dtype == np.uint8 and ours.data.shape == tuple(tv.data.shape)
        assert np.array_equal(ours.data._data, tv.data.numpy())
        assert ours.targets.dtype == np.int64 and np.array_equal(ours.targets._data, tv.targets.numpy())
    assert from_gz.classes == tv.classes and from_gz.class_to_idx == tv.class_to_idx
    from_gz.transform, tv.transform = MT.ToTensor(), T.ToTensor()  # ours: array -> tensor, theirs: PIL -> tensor
    for i in (0, 1, 4321, len(tv) - 1):
        (x, y), (tx, ty) = from_gz[i], tv[i]
        assert y == ty and type(y) is int and np.array_equal(x._data, tx.numpy())


@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_cifar10_subset_equals_torchvision(monkeypatch, train):
    root = _cifar_root()
    # the subset's batches are real but re-cut, so their md5s are not the official ones torchvision checks
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    tv = torchvision.datasets.CIFAR10(root, train=train)
    ours = CIFAR10(root, train=train)
    assert len(ours) == len(tv) == (5000 if train else 1000)
    assert ours.data.dtype == np.uint8 and np.array_equal(ours.data, tv.data)
    assert ours.targets == tv.targets and all(type(t) is int for t in ours.targets)
    assert ours.classes == tv.classes and ours.class_to_idx == tv.class_to_idx
    ours.transform, tv.transform = MT.ToTensor(), T.ToTensor()
    for i in (0, 17, len(tv) - 1):
        (x, y), (tx, ty) = ours[i], tv[i]
        assert y == ty and np.array_equal(x._data, tx.numpy())


# ---- the shipped sample ----------------------------------------------------------------------------------------
def test_sample_loads_offline():
    train, test = MNIST(sample_root(), train=True), MNIST(sample_root(), train=False)
    assert (len(train), len(test)) == (5000, 1000)
    assert train.data.shape == (5000, 28, 28) and train.targets.dtype == np.int64
    assert np.bincount(train.targets._data).min() > 400  # every digit is there


def test_sample_is_the_first_images_of_the_official_files():
    shared = data_root()
    for train, count in ((True, 5000), (False, 1000)):
        sample, full = MNIST(sample_root(), train=train), MNIST(shared, train=train)
        assert np.array_equal(sample.data._data, full.data._data[:count])
        assert np.array_equal(sample.targets._data, full.targets._data[:count])


def test_sample_is_package_data_credited_and_small():
    tomllib = pytest.importorskip("tomllib")
    package = Path(datasets.__file__).resolve().parents[2]
    pyproject = tomllib.loads((package.parent / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["minitorch_cnn"]
    covered = {p for pattern in patterns for p in package.glob(pattern)}
    files = [p for p in sample_root().rglob("*") if p.is_file()]
    assert files and all(p in covered for p in files), sorted(set(files) - covered)
    assert sum(p.stat().st_size for p in files) < 2 * 1024 * 1024
    readme = (sample_root() / "README.md").read_text()
    assert "LeCun" in readme and "CC BY-SA 3.0" in readme and "first 5,000" in readme


# ---- download --------------------------------------------------------------------------------------------------
def test_mnist_download_tries_mirrors_checks_md5_and_unpacks(tmp_path, monkeypatch):
    shared = data_root()
    with serve(shared / "MNIST" / "raw") as (url, log):
        monkeypatch.setattr(MNIST, "mirrors", [url + "no-such-mirror/", url])
        ds = MNIST(tmp_path, train=False, download=True)
    raw = tmp_path / "MNIST" / "raw"
    for name, md5 in MNIST.resources:
        assert _md5(raw / name) == md5 and (raw / name[: -len(".gz")]).is_file()
    assert not list(raw.glob("*.part"))
    assert any("no-such-mirror" in p for p in log)  # the first mirror was tried and failed
    reference = MNIST(shared, train=False)
    assert np.array_equal(ds.data._data, reference.data._data)
    assert np.array_equal(ds.targets._data, reference.targets._data)


def test_download_skips_files_already_present(tmp_path, monkeypatch):
    served = tmp_path / "served"
    shutil.copytree(sample_root() / "MNIST" / "raw", served)
    resources = [(name, _md5(served / name)) for name in RESOURCE_NAMES]
    monkeypatch.setattr(MNIST, "resources", resources)
    with serve(served) as (url, log):
        monkeypatch.setattr(MNIST, "mirrors", [url])
        first = MNIST(tmp_path / "root", download=True)
        fetched = len(log)
        MNIST(tmp_path / "root", train=False, download=True)
        assert fetched == 4 and len(log) == fetched
    assert np.array_equal(first.data._data, MNIST(sample_root()).data._data)


def test_download_md5_mismatch_raises_and_keeps_nothing(tmp_path, monkeypatch):
    with serve(sample_root() / "MNIST" / "raw") as (url, _):  # real files, but not the official bytes
        monkeypatch.setattr(MNIST, "mirrors", [url])
        with pytest.raises(RuntimeError, match="md5 mismatch for train-images-idx3-ubyte.gz") as err:
            MNIST(tmp_path, download=True)
    assert url in str(err.value) and MNIST.resources[0][1] in str(err.value)
    assert not list((tmp_path / "MNIST" / "raw").iterdir())


def _tar_gz(folder: Path, out: Path) -> Path:
    with tarfile.open(out, "w:gz", compresslevel=1) as tar:
        tar.add(folder, arcname=folder.name)
    return out


def test_cifar10_download_checks_md5_and_unpacks(tmp_path, monkeypatch):
    (tmp_path / "served").mkdir()
    archive = _tar_gz(_cifar_root() / "cifar-10-batches-py", tmp_path / "served" / "cifar-10-python.tar.gz")
    with serve(archive.parent) as (url, _):
        monkeypatch.setattr(CIFAR10, "url", url + archive.name)
        with pytest.raises(RuntimeError, match="md5 mismatch for cifar-10-python.tar.gz"):
            CIFAR10(tmp_path / "bad", download=True)
        monkeypatch.setattr(CIFAR10, "tgz_md5", _md5(archive))
        ds = CIFAR10(tmp_path / "root", train=False, download=True)
    reference = CIFAR10(_cifar_root(), train=False)
    assert np.array_equal(ds.data, reference.data) and ds.targets == reference.targets


# ---- damaged and missing files ---------------------------------------------------------------------------------
def _sample_copy(tmp_path: Path) -> Path:
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(sample_root() / "MNIST" / "raw", raw)
    return raw


def _idx(raw: Path, name: str) -> bytes:
    return gzip.decompress((raw / f"{name}.gz").read_bytes())


@pytest.mark.parametrize("damage,match,named", [
    ("magic", "not an IDX file", "train-images-idx3-ubyte"),
    ("short data", "announces shape", "train-images-idx3-ubyte"),
    ("truncated gzip", "corrupt or truncated gzip", "train-images-idx3-ubyte.gz"),
    ("not gzip", "corrupt or truncated gzip", "train-images-idx3-ubyte.gz"),
    ("label count", "holds 5000 images but", "train-labels-idx1-ubyte"),
    ("int32 images", "expected uint8 images", "train-images-idx3-ubyte"),
])
def test_damaged_mnist_file_raises_naming_it(tmp_path, damage, match, named):
    raw = _sample_copy(tmp_path)
    images = raw / "train-images-idx3-ubyte.gz"
    body = _idx(raw, "train-images-idx3-ubyte")
    if damage == "magic":
        (raw / "train-images-idx3-ubyte").write_bytes(b"\x12\x34" + body[2:])  # the plain file is read first
    elif damage == "short data":
        images.write_bytes(gzip.compress(body[:-100], compresslevel=1))
    elif damage == "truncated gzip":
        images.write_bytes(images.read_bytes()[: images.stat().st_size // 2])
    elif damage == "not gzip":
        images.write_bytes(b"<html>404 Not Found</html>")
    elif damage == "label count":
        labels = _idx(raw, "train-labels-idx1-ubyte")
        header = bytearray(labels[:8])
        struct.pack_into(">I", header, 4, 4999)
        (raw / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(header) + labels[8:-1]))
    elif damage == "int32 images":
        images.write_bytes(gzip.compress(b"\x00\x00\x0c\x03" + struct.pack(">III", 1, 1, 1) + b"\x00" * 4))
    with pytest.raises(RuntimeError, match=match) as err:
        MNIST(tmp_path, train=True)
    assert named in str(err.value) and str(raw) in str(err.value)


def test_missing_mnist_files_are_listed(tmp_path):
    raw = _sample_copy(tmp_path)
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(RuntimeError, match=r"t10k-labels-idx1-ubyte.gz'\] missing in .*download=True"):
        MNIST(tmp_path, train=True)


def _write_cifar(root: Path, count: int = 3) -> Path:
    """A tiny CIFAR-10 folder in the official pickle layout: ``count`` images per batch, planar R, G, B."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, _ in CIFAR10.train_list + CIFAR10.test_list:
        entry = {"batch_label": name, "labels": rng.integers(0, 10, count).tolist(),
                 "data": rng.integers(0, 256, (count, 3072), dtype=np.uint8)}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
    meta = {"label_names": [f"class{i}" for i in range(10)], "num_cases_per_batch": count}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def test_cifar10_small_batches_load_in_hwc_layout(tmp_path):
    folder = _write_cifar(tmp_path)
    ds = CIFAR10(tmp_path, train=True)
    first = pickle.loads((folder / "data_batch_1").read_bytes())
    assert len(ds) == 15 and ds.data.shape == (15, 32, 32, 3) and ds.classes[3] == "class3"
    for c in range(3):  # the pickle holds the red plane, then green, then blue
        assert np.array_equal(ds.data[0, :, :, c], first["data"][0, c * 1024 : (c + 1) * 1024].reshape(32, 32))
    assert ds.targets[:3] == first["labels"]


class _Evil:
    def __reduce__(self):
        return (print, ("this pickle runs code",))


@pytest.mark.parametrize("damage,match", [
    ("garbage", "not a readable CIFAR pickle"),
    ("truncated", "not a readable CIFAR pickle"),
    ("code", "refusing to load .*print"),
    ("no labels", "expected a dict with 'data' and 'labels'"),
    ("wrong shape", r"uint8 array \(N, 3072\)"),
    ("label count", "3 images but 2 labels"),
])
def test_damaged_cifar_batch_raises_naming_it(tmp_path, damage, match):
    folder = _write_cifar(tmp_path)
    batch = folder / "data_batch_2"
    entry = pickle.loads(batch.read_bytes())
    if damage == "garbage":
        batch.write_bytes(b"not a pickle at all")
    elif damage == "truncated":
        batch.write_bytes(batch.read_bytes()[:500])
    elif damage == "code":
        batch.write_bytes(pickle.dumps(_Evil(), protocol=2))
    elif damage == "no labels":
        batch.write_bytes(pickle.dumps({"data": entry["data"]}, protocol=2))
    elif damage == "wrong shape":
        batch.write_bytes(pickle.dumps({**entry, "data": entry["data"][:, :100]}, protocol=2))
    elif damage == "label count":
        batch.write_bytes(pickle.dumps({**entry, "labels": entry["labels"][:2]}, protocol=2))
    with pytest.raises(RuntimeError, match=match) as err:
        CIFAR10(tmp_path, train=True)
    assert str(batch) in str(err.value)


def test_missing_cifar_files_are_listed(tmp_path):
    folder = _write_cifar(tmp_path)
    (folder / "test_batch").unlink()
    with pytest.raises(RuntimeError, match=r"\['test_batch'\] missing"):
        CIFAR10(tmp_path, train=True)


def test_extract_refuses_paths_outside_the_target(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(RuntimeError, match="refusing to extract '../outside.txt'"):
        datasets.extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "outside.txt").exists()



def test_cifar10_loader_batches_equal_item_by_item(tmp_path):
    _write_cifar(tmp_path, count=7)
    tf = MT.Compose([MT.RandomCrop(32, padding=4), MT.RandomHorizontalFlip(), MT.ToTensor(),
                     MT.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    ds = CIFAR10(tmp_path, train=True, transform=tf)
    ds.targets[3] = 11  # edited in place after loading, as users do: the batched path must see it
    mt.manual_seed(0)
    got = list(DataLoader(ds, batch_size=8, shuffle=True))
    mt.manual_seed(0)
    order = list(RandomSampler(ds))  # the loader's first draw: the same permutation
    expected = [default_collate([ds[i] for i in order[k : k + 8]]) for k in range(0, len(order), 8)]
    assert len(got) == len(expected) == 5
    for (x, y), (ex, ey) in zip(got, expected):
        assert np.array_equal(x._data, ex._data) and np.array_equal(y._data, ey._data)
    assert 11 in np.concatenate([y._data for _, y in got])


# ---- the VisionDataset base ------------------------------------------------------------------------------------
class _Relabel:
    """A target transform with a two-line repr, the same object on both sides."""

    def __call__(self, target: int) -> int:
        return target

    def __repr__(self) -> str:
        return "Relabel(\n    identity\n)"


@pytest.mark.parametrize("with_transforms", [False, True], ids=["bare", "transforms"])
def test_repr_and_transforms_equal_torchvision(tmp_path, monkeypatch, with_transforms):
    _write_cifar(tmp_path)
    # the tiny batches are not the official files, so torchvision's md5 checks are switched off
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *args, **kwargs: True)
    relabel = _Relabel()
    ours_kw = {"transform": MT.ToTensor(), "target_transform": relabel} if with_transforms else {}
    tv_kw = {"transform": T.ToTensor(), "target_transform": relabel} if with_transforms else {}
    ours = CIFAR10(str(tmp_path), train=False, **ours_kw)
    tv = torchvision.datasets.CIFAR10(str(tmp_path), train=False, **tv_kw)
    assert repr(ours) == repr(tv)
    assert isinstance(ours, datasets.VisionDataset) and (ours.transforms is None) == (tv.transforms is None)
    if with_transforms:
        x, y = ours.transforms(ours.data[0], 3)
        assert y == 3 and x.shape == (3, 32, 32)


def test_vision_dataset_takes_transforms_or_the_pair_not_both(tmp_path):
    pair = datasets.StandardTransform(MT.ToTensor(), None)
    ds = datasets.VisionDataset("~/data", transforms=pair)
    assert ds.root == str(Path("~/data").expanduser()) and ds.transforms is pair and ds.transform is None
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        datasets.VisionDataset(tmp_path, transforms=pair, transform=MT.ToTensor())
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        torchvision.datasets.VisionDataset(tmp_path, transforms=pair, target_transform=int)
    assert datasets.VisionDataset(tmp_path).root == tmp_path  # a Path is kept as it is
