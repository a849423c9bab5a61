"""Run one script body under torch and under minitorch_cnn by one switch, from the same initial weights.

A dual-run test writes the body of a public PyTorch script once, against a ``Lib`` namespace whose names are the
ones the script imports (``lib = torch``, ``nn = lib.nn``, ``F``, ``optim``, ``DataLoader``, the vision
``datasets``/``transforms``/``models``/``utils``), and calls it with ``Lib.torch()`` and ``Lib.mt()``. Where the
script builds a model from random initial weights, the body calls ``lib.same_weights(model)``: on the torch run
that ``torch.save``s the state_dict, on the minitorch run it ``mt.load``s that file into our model (the torch
file format both ways, no shared Python objects). The weights are then equal, and so must be every result.
Any other name (``lib.tensor``, ``lib.no_grad``, ``lib.utils.data``) is the library's own; ``assert_same`` compares
the two results key by key.
"""

from __future__ import annotations

import gzip
import io
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
import torchvision
from _parity import assert_close

import minitorch_cnn as mt
from minitorch_cnn.vision.datasets import sample_root


@dataclass
class Lib:
    """The names a script imports, bound to torch or to minitorch_cnn, plus the shared-weights channel."""

    name: str
    lib: ModuleType
    nn: ModuleType
    F: ModuleType
    optim: ModuleType
    data: ModuleType
    datasets: ModuleType
    transforms: ModuleType
    models: ModuleType
    vutils: ModuleType
    files: list[bytes] = field(default_factory=list)
    taken: int = 0

    @classmethod
    def torch(cls) -> Lib:
        return cls("torch", torch, torch.nn, torch.nn.functional, torch.optim, torch.utils.data,
                   torchvision.datasets, torchvision.transforms, torchvision.models, torchvision.utils)

    @classmethod
    def mt(cls, files: list[bytes]) -> Lib:
        return cls("mt", mt, mt.nn, mt.nn.functional, mt.optim, mt.utils.data, mt.vision.datasets,
                   mt.vision.transforms, mt.vision.models, mt.vision.utils, files=files)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.lib, name)

    def same_weights(self, model: Any) -> Any:
        """torch: record the model's state_dict as a torch file; mt: load the next recorded file into ``model``."""
        if self.name == "torch":
            buf = io.BytesIO()
            torch.save(model.state_dict(), buf)
            self.files.append(buf.getvalue())
        else:
            model.load_state_dict(mt.load(io.BytesIO(self.files[self.taken]), weights_only=True))
            self.taken += 1
        return model

    @staticmethod
    def np(x: Any) -> np.ndarray:
        """A result as a NumPy array (a tensor of either library, a number, or a list of them)."""
        if isinstance(x, (list, tuple)):
            return np.stack([Lib.np(v) for v in x])
        if isinstance(x, (torch.Tensor, mt.Tensor)):
            return np.array(x.detach().cpu().numpy())
        return np.asarray(x)


def dual(body: Callable[..., Any], *args: Any, float64: bool = False, **kwargs: Any) -> tuple[Any, Any]:
    """``body(lib, ...)`` under torch, then under minitorch_cnn with torch's initial weights: both results.
    ``float64``: each run with its library's default dtype set to float64."""
    theirs = Lib.torch()
    ours = Lib.mt(theirs.files)
    out = []
    for lib in (theirs, ours):
        prev = lib.get_default_dtype()
        if float64:
            lib.set_default_dtype(lib.float64)
        try:
            out.append(body(lib, *args, **kwargs))
        finally:
            lib.set_default_dtype(prev)
    assert ours.taken == len(theirs.files), "the two runs built a different number of models"
    return out[0], out[1]


def assert_same(theirs: dict, ours: dict, skip: Iterable[str] = (), tol: float | None = None) -> None:
    """Every key but ``skip`` equal: text with torch's ``torch.`` read as ``mt.``; ints, bools, tuples and None
    exactly; lists and dicts item by item; numbers and tensors to float64's 1e-10 relative, or ``tol``."""
    keys = theirs.keys() - set(skip)
    assert keys == ours.keys() - set(skip)
    for key in keys:
        _same(theirs[key], ours[key], key, tol)


def _same(t: Any, o: Any, what: str, tol: float | None) -> None:
    if isinstance(t, str):
        assert o == t.replace("torch.", "mt."), what
    elif isinstance(t, list):
        assert len(o) == len(t), what
        for i, (a, b) in enumerate(zip(t, o)):
            _same(a, b, f"{what}[{i}]", tol)
    elif isinstance(t, dict):
        assert o.keys() == t.keys(), what
        for k in t:
            _same(t[k], o[k], f"{what}[{k!r}]", tol)
    elif t is None or isinstance(t, (int, bool, tuple)):
        assert o == t, what
    else:
        assert_close(Lib.np(o), Lib.np(t), np.float64, tol=tol, what=what)


def unpacked_sample(root: Path) -> Path:
    """The packaged MNIST sample (5,000 train / 1,000 test) unpacked under ``root``: torchvision reads plain IDX
    files only, ours reads both, so both libraries load the very same files."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for gz in (sample_root() / "MNIST" / "raw").glob("*.gz"):
        with gzip.open(gz, "rb") as src, open(raw / gz.stem, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return root
