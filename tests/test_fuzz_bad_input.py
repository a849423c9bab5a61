"""Fuzz harness: wrong input for every public layer, functional op, loss, optimizer, DataLoader option and CLI
flag, each run here and in torch on the same arrays (and weights).

Each case must end one of two ways: our call raises a clear error (an exception type a caller can catch, not an
AttributeError/KeyError/ZeroDivisionError from deep inside, with a message naming the op or argument), or it
returns what torch returns. Returning where torch raises is a silent result and fails; so does a crash or a hang
(the harness runs in-process: a crash kills the session). The cases tried, clear and agreeing with torch (both
refuse, or both return the same result) are counted and printed at the end (``pytest -s``).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_cnn as mt
import minitorch_cnn.nn.functional as F
from minitorch_cnn.apps.cli import build_parser
from minitorch_cnn.utils.data import DataLoader, TensorDataset

FUZZ = settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
CLEAR = (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError)
UNCLEAR = (AttributeError, KeyError, ZeroDivisionError, AssertionError, UnboundLocalError, NameError)
TALLY: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print(f"\nfuzz bad input: {TALLY['tried']} cases tried, {TALLY['clear']} clear errors, "
          f"{TALLY['agree']} agree with torch ({TALLY['both_refuse']} both refuse, {TALLY['same_result']} same "
          f"result), {TALLY['clearer']} refused here where torch accepts; CLI values accepted as given: "
          f"{TALLY['accepted']}")


def _outcome(fn: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, fn()
    except Exception as exc:  # noqa: BLE001 - the point is to see what comes out
        return False, exc


def _np(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, mt.Tensor):
        return np.asarray(x.detach()._data)
    if isinstance(x, (tuple, list)):
        return [_np(v) for v in x]
    return x


def _same(ours: Any, theirs: Any) -> bool:
    ours, theirs = _np(ours), _np(theirs)
    if isinstance(ours, list) or isinstance(theirs, list):
        return isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs) and all(
            _same(a, b) for a, b in zip(ours, theirs))
    if isinstance(ours, np.ndarray) or isinstance(theirs, np.ndarray):
        a, b = np.asarray(ours), np.asarray(theirs)
        return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)
    return ours == theirs


def judge(ours: Callable[[], Any], theirs: Callable[[], Any], names: tuple[str, ...], what: str) -> None:
    """Run both; our error must be clear and name one of ``names``; our result must be torch's."""
    TALLY["tried"] += 1
    ok, got = _outcome(ours)
    t_ok, t_got = _outcome(theirs)
    if not ok:
        assert isinstance(got, CLEAR) and not isinstance(got, UNCLEAR), f"{what}: unclear {type(got).__name__}: {got}"
        text = str(got).lower()
        assert any(n.lower() in text for n in names), f"{what}: the message names none of {names}: {got}"
        TALLY["clear"] += 1
        TALLY["agree" if not t_ok else "clearer"] += 1
        TALLY["both_refuse" if not t_ok else "refused_here"] += 1
        return
    assert t_ok, f"{what}: silent result where torch raises {type(t_got).__name__}: {t_got}"
    assert _same(got, t_got), f"{what}: differs from torch"
    TALLY["agree"] += 1
    TALLY["same_result"] += 1


def _array(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return rng.integers(0, 3, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _pair(module: Callable[[], Any], twin: Callable[[], Any], x: np.ndarray) -> tuple[Callable, Callable]:
    """(ours, torch) calls of a layer on x; torch's layer gets our layer's weights when ours was built."""
    built: dict[str, Any] = {}

    def ours() -> Any:
        built["m"] = m = module()
        return m(mt.tensor(x))

    def theirs() -> Any:
        t = twin()
        if "m" in built:
            state = {k: torch.from_numpy(np.array(v._data)) for k, v in built["m"].state_dict().items()}
            t.load_state_dict(state)
        return t(torch.from_numpy(x))

    return ours, theirs


shapes = st.lists(st.integers(0, 5), min_size=0, max_size=5).map(tuple)
small = st.integers(-2, 4)
pairs = st.one_of(small, st.tuples(small, small))


# ---- layers --------------------------------------------------------------------------------------------------
@FUZZ
@given(cin=st.integers(0, 3), cout=st.integers(0, 3), k=pairs, s=pairs, p=pairs, d=pairs, g=st.integers(0, 2),
       shape=shapes, dtype=st.sampled_from(["float64", "float32", "int64"]))
def test_conv2d(cin, cout, k, s, p, d, g, shape, dtype):
    x = _array(shape, dtype)
    ours, theirs = _pair(lambda: mt.nn.Conv2d(cin, cout, k, s, p, d, g).double(),
                         lambda: torch.nn.Conv2d(cin, cout, k, s, p, d, g).double(), x)
    judge(ours, theirs, ("conv", "kernel", "stride", "padding", "dilation", "groups", "channels", "dtype"), "Conv2d")


@FUZZ
@given(fin=st.integers(0, 3), fout=st.integers(0, 3), shape=shapes,
       dtype=st.sampled_from(["float64", "float32", "int64"]), double=st.booleans())
def test_linear(fin, fout, shape, dtype, double):
    x = _array(shape, dtype)
    cast = (lambda m: m.double()) if double else (lambda m: m)
    ours, theirs = _pair(lambda: cast(mt.nn.Linear(fin, fout)), lambda: cast(torch.nn.Linear(fin, fout)), x)
    judge(ours, theirs, ("linear", "mat1", "input", "dtype", "in_features"), "Linear")


@FUZZ
@given(kind=st.sampled_from(["max", "avg"]), k=pairs, s=st.one_of(st.none(), pairs), p=pairs,
       d=st.integers(0, 2), ceil=st.booleans(), shape=shapes)
def test_pools(kind, k, s, p, d, ceil, shape):
    x = _array(shape, "float64")
    if kind == "max":
        ours, theirs = _pair(lambda: mt.nn.MaxPool2d(k, s, p, d, ceil_mode=ceil),
                             lambda: torch.nn.MaxPool2d(k, s, p, d, ceil_mode=ceil), x)
    else:
        ours, theirs = _pair(lambda: mt.nn.AvgPool2d(k, s, p, ceil_mode=ceil),
                             lambda: torch.nn.AvgPool2d(k, s, p, ceil_mode=ceil), x)
    judge(ours, theirs, ("pool", "kernel", "stride", "pad", "dilation", "input", "output size"), f"{kind}_pool2d")


@FUZZ
@given(kind=st.sampled_from(["avg", "max"]), out=st.one_of(st.none(), small, st.tuples(small, st.none())),
       shape=shapes)
def test_adaptive_pools(kind, out, shape):
    x = _array(shape, "float64")
    ours_cls = mt.nn.AdaptiveAvgPool2d if kind == "avg" else mt.nn.AdaptiveMaxPool2d
    torch_cls = torch.nn.AdaptiveAvgPool2d if kind == "avg" else torch.nn.AdaptiveMaxPool2d
    ours, theirs = _pair(lambda: ours_cls(out), lambda: torch_cls(out), x)
    judge(ours, theirs, ("adaptive", "output_size", "input"), f"adaptive_{kind}_pool2d")


@FUZZ
@given(two_d=st.booleans(), c=st.integers(0, 3), shape=shapes, train=st.booleans(),
       dtype=st.sampled_from(["float64", "float32"]), eps=st.sampled_from([1e-5, 0.0, -1.0]),
       momentum=st.sampled_from([0.1, None]))
def test_batchnorm(two_d, c, shape, train, dtype, eps, momentum):
    x = _array(shape, dtype)
    ours_cls, torch_cls = (mt.nn.BatchNorm2d, torch.nn.BatchNorm2d) if two_d else (mt.nn.BatchNorm1d,
                                                                                 torch.nn.BatchNorm1d)
    ours, theirs = _pair(lambda: ours_cls(c, eps=eps, momentum=momentum).double().train(train),
                         lambda: torch_cls(c, eps=eps, momentum=momentum).double().train(train), x)
    judge(ours, theirs, ("batch", "expected", "dtype", "eps", "value per channel", "input"), "BatchNorm")


@FUZZ
@given(p=st.sampled_from([-0.5, 0.0, 1.0, 1.5, math.nan]), shape=shapes, train=st.booleans())
def test_dropout(p, shape, train):
    x = _array(shape, "float64")
    # p in (0, 1) draws masks neither library can match: only the deterministic p's are compared
    ours, theirs = _pair(lambda: mt.nn.Dropout(p).train(train), lambda: torch.nn.Dropout(p).train(train), x)
    judge(ours, theirs, ("dropout probability",), "Dropout")


ACTIVATIONS = {
    "ReLU": ({}, {}), "Tanh": ({}, {}), "Sigmoid": ({}, {}), "LeakyReLU": ({"negative_slope": 0.2}, {}),
    "Softmax": ({"dim": None}, {}), "LogSoftmax": ({"dim": None}, {}), "Flatten": ({}, {}),
}


@FUZZ
@given(name=st.sampled_from(sorted(ACTIVATIONS)), dim=st.integers(-4, 4), end=st.integers(-4, 4), shape=shapes,
       dtype=st.sampled_from(["float64", "int64"]))
def test_activations_and_flatten(name, dim, end, shape, dtype):
    x = _array(shape, dtype)
    kwargs = dict(ACTIVATIONS[name][0])
    if "dim" in kwargs:
        kwargs["dim"] = dim
    if name == "Flatten":
        kwargs = {"start_dim": dim, "end_dim": end}
    ours, theirs = _pair(lambda: getattr(mt.nn, name)(**kwargs), lambda: getattr(torch.nn, name)(**kwargs), x)
    judge(ours, theirs, (name.lower(), "dim", "dtype", "not implemented", "floating", "expected"), name)


# ---- functional ops and losses -------------------------------------------------------------------------------
@FUZZ
@given(xshape=shapes, wshape=shapes, stride=pairs, padding=st.one_of(pairs, st.sampled_from(["same", "valid", "x"])),
       groups=st.integers(0, 2))
def test_functional_conv2d(xshape, wshape, stride, padding, groups):
    x, w = _array(xshape, "float64"), _array(wshape, "float64", 1)
    judge(lambda: F.conv2d(mt.tensor(x), mt.tensor(w), None, stride, padding, 1, groups),
          lambda: torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, stride, padding, 1,
                                             groups),
          ("conv2d",), "F.conv2d")


@FUZZ
@given(loss=st.sampled_from(["cross_entropy", "nll_loss"]), n=st.integers(0, 3), c=st.integers(0, 3),
       tshape=st.one_of(st.none(), shapes), tdtype=st.sampled_from(["int64", "int32", "float64", "list", "ndarray"]),
       high=st.integers(-2, 4), reduction=st.sampled_from(["mean", "sum", "none", "avg"]),
       smoothing=st.sampled_from([0.0, 0.1, -0.1, 1.5]))
def test_class_losses(loss, n, c, tshape, tdtype, high, reduction, smoothing):
    x = _array((n, c), "float64")
    shape = (n,) if tshape is None else tshape
    t = np.random.default_rng(2).integers(min(high, 0), max(high, 1), size=shape)
    kwargs = {"reduction": reduction}
    if loss == "cross_entropy":
        kwargs["label_smoothing"] = smoothing

    def target(lib: Any) -> Any:
        if tdtype == "list":
            return t.tolist()
        if tdtype == "ndarray":
            return t
        arr = t.astype(tdtype)
        return mt.tensor(arr) if lib is mt else torch.from_numpy(arr)

    judge(lambda: getattr(F, loss)(mt.tensor(x), target(mt), **kwargs),
          lambda: getattr(torch.nn.functional, loss)(torch.from_numpy(x), target(torch), **kwargs),
          (loss, "target", "reduction", "label_smoothing", "batch_size", "out of bounds", "dtype"), loss)


@FUZZ
@given(xshape=shapes, yshape=shapes, reduction=st.sampled_from(["mean", "sum", "none", "bad"]))
def test_mse_loss(xshape, yshape, reduction):
    x, y = _array(xshape, "float64"), _array(yshape, "float64", 3)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both libraries warn about broadcasting targets
        judge(lambda: F.mse_loss(mt.tensor(x), mt.tensor(y), reduction=reduction),
              lambda: torch.nn.functional.mse_loss(torch.from_numpy(x), torch.from_numpy(y), reduction=reduction),
              ("mse", "reduction", "broadcast", "size"), "mse_loss")


# ---- optimizers ----------------------------------------------------------------------------------------------
values = st.sampled_from([-1.0, 0.0, 1e-3, 0.9, 1.0, 2.0, math.nan])


@FUZZ
@given(kind=st.sampled_from(["SGD", "Adam", "AdamW"]), lr=values, momentum=values, decay=values, eps=values,
       b1=values, b2=values, nesterov=st.booleans(), empty=st.booleans())
def test_optimizers(kind, lr, momentum, decay, eps, b1, b2, nesterov, empty):
    w = _array((2, 3), "float64")
    if kind == "SGD":
        kwargs = {"lr": lr, "momentum": momentum, "weight_decay": decay, "nesterov": nesterov}
    else:
        kwargs = {"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": decay}

    def make(lib: Any) -> Any:
        param = [] if empty else [(mt.tensor(w, requires_grad=True) if lib is mt else
                                   torch.tensor(w, requires_grad=True))]
        getattr(lib.optim, kind)(param, **kwargs)
        return "built"

    judge(lambda: make(mt), lambda: make(torch), ("invalid", "learning rate", "momentum", "beta", "epsilon",
                                                  "weight_decay", "empty parameter list", "nesterov"), kind)


# ---- DataLoader options --------------------------------------------------------------------------------------
@FUZZ
@given(n=st.integers(0, 3), batch_size=st.sampled_from([-1, 0, 1, 2, 1.5, None]), shuffle=st.booleans(),
       drop_last=st.booleans(), workers=st.sampled_from([-1, 0]), timeout=st.sampled_from([-1, 0]),
       prefetch=st.sampled_from([None, 2]), persistent=st.booleans(), sampler=st.sampled_from([None, [0], "batch"]))
def test_dataloader_options(n, batch_size, shuffle, drop_last, workers, timeout, prefetch, persistent, sampler):
    data = np.arange(2.0 * n).reshape(n, 2)
    kwargs: dict[str, Any] = {"batch_size": batch_size, "shuffle": shuffle, "drop_last": drop_last,
                              "num_workers": workers, "timeout": timeout, "prefetch_factor": prefetch,
                              "persistent_workers": persistent}
    if sampler == "batch":
        kwargs["batch_sampler"] = [[0]] if n else []
    elif sampler is not None:
        kwargs["sampler"] = sampler

    def run(lib: Any) -> Any:
        ds = TensorDataset(mt.tensor(data)) if lib is mt else torch.utils.data.TensorDataset(torch.from_numpy(data))
        loader = (DataLoader if lib is mt else torch.utils.data.DataLoader)(ds, **kwargs)
        return [b[0] for b in loader] if not shuffle else len(list(loader))

    judge(lambda: run(mt), lambda: run(torch), ("batch_size", "num_workers", "timeout", "prefetch_factor",
                                                "persistent_workers", "mutually exclusive", "num_samples",
                                                "index", "sampler"), "DataLoader")


# ---- CLI flags -----------------------------------------------------------------------------------------------
FLAGS = {
    "--epochs": ["-1", "0", "2", "x", "1.5"], "--batch-size": ["0", "-3", "8", "two"],
    "--lr": ["-0.1", "0", "0.5", "nan", "inf", "x"], "--momentum": ["-1", "0", "0.9"],
    "--weight-decay": ["-1", "0", "1e-4"], "--val-split": ["-0.1", "0", "0.5", "1.0", "1.5"],
    "--device": ["cpu", "cuda", "cuda:1", "tpu", "cuda:x"], "--max-batches": ["0", "3"],
    "--optimizer": ["sgd", "lbfgs"], "--on-nonfinite": ["stop", "skip", "ignore"],
    "--dtype": ["float32", "float16"],
}


def _expected_valid(flag: str, value: str) -> bool:
    """What a torch user would accept for each flag (the spec the parser is held to)."""
    try:
        number = float(value)
    except ValueError:
        number = None
    rules = {
        "--epochs": value.isdigit(), "--batch-size": value.isdigit() and int(value) >= 1,
        "--lr": number is not None and math.isfinite(number) and number >= 0,
        "--momentum": number is not None and number >= 0, "--weight-decay": number is not None and number >= 0,
        "--val-split": number is not None and 0 <= number < 1, "--device": value in ("cpu", "cuda", "cuda:1"),
        "--max-batches": value.isdigit() and int(value) >= 1, "--optimizer": value == "sgd",
        "--on-nonfinite": value in ("stop", "skip"), "--dtype": value == "float32",
    }
    return rules[flag]


@settings(FUZZ, suppress_health_check=[HealthCheck.function_scoped_fixture])  # capsys is read in every example
@given(flag=st.sampled_from(sorted(FLAGS)), data=st.data())
def test_cli_flags(flag, data, capsys):
    value = data.draw(st.sampled_from(FLAGS[flag]))
    TALLY["tried"] += 1
    try:
        args = build_parser().parse_args(["train", "lenet5", flag, value])
    except SystemExit as exc:
        err = capsys.readouterr().err
        assert exc.code == 2 and f"argument {flag}:" in err and "Traceback" not in err, err
        assert not _expected_valid(flag, value), f"{flag} {value} refused: {err}"
        TALLY["clear"] += 1
        return
    assert _expected_valid(flag, value), f"{flag} {value} accepted: {args}"
    TALLY["accepted"] += 1  # accepted, and kept as given (no explicit value replaced by a default)
    dest = flag[2:].replace("-", "_")
    assert str(getattr(args, dest)) == value or float(getattr(args, dest)) == float(value)
