"""torchvision's pre-0.13 builder interface on every mt.vision.models builder: ``pretrained=`` and positional
``weights``/``progress``, mapped and warned about as torchvision does (``models/_legacy.py``)."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest
import torchvision
import torchvision.models._api as tv_api

import minitorch_cnn as mt
from minitorch_cnn.vision.models import WeightsEnum
from minitorch_cnn.vision.models._legacy import handle_legacy_interface, kwonly_to_pos_or_kw

ours_m, theirs_m = mt.vision.models, torchvision.models
NAMES = ours_m.list_models()
DETECTION = ours_m.list_models(module=ours_m.detection)


class _Chosen(Exception):
    """Raised by a patched ``WeightsEnum.verify``: what the builder was given as ``weights``, before any building."""

    def __init__(self, obj: Any) -> None:
        super().__init__()
        self.obj = obj


def _chosen(lib: Any, enum_base: type, name: str, monkeypatch: pytest.MonkeyPatch, *args: Any, **kwargs: Any) -> tuple:
    """What ``name``'s builder in ``lib`` (found through the registry: the detection builders live in a subpackage)
    hands ``verify`` as its weights, and the warnings it gave."""
    def verify(cls: type, obj: Any) -> None:
        raise _Chosen(obj)

    monkeypatch.setattr(enum_base, "verify", classmethod(verify))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(_Chosen) as info:
            lib.get_model_builder(name)(*args, **kwargs)
    monkeypatch.undo()
    return str(info.value.obj), [str(w.message) for w in caught]


@pytest.mark.parametrize("name", NAMES)
def test_pretrained_true_names_torchvisions_weights(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = _chosen(theirs_m, tv_api.WeightsEnum, name, monkeypatch, pretrained=True)
    ours = _chosen(ours_m, WeightsEnum, name, monkeypatch, pretrained=True)
    assert ours == theirs
    assert theirs[0].endswith(".COCO_V1" if name in DETECTION else ".IMAGENET1K_V1")


@pytest.mark.parametrize("name", DETECTION)
@pytest.mark.parametrize("kwargs", [{"pretrained_backbone": True}, {"pretrained": False, "pretrained_backbone": False}])
def test_detection_backbone_flag_as_torchvision(name: str, kwargs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The detectors' ``pretrained_backbone=`` maps to ``weights_backbone`` and warns as torchvision's (it was
    swallowed by ``**kwargs`` before: a silent difference)."""
    theirs = _chosen(theirs_m, tv_api.WeightsEnum, name, monkeypatch, **kwargs)
    ours = _chosen(ours_m, WeightsEnum, name, monkeypatch, **kwargs)
    assert ours == theirs and len(theirs[1]) >= 2


@pytest.mark.parametrize("args,kwargs", [((), {"pretrained": False}), ((True,), {}), ((False, False), {}),
                                         ((), {"weights": None}), ((), {"weights": "DEFAULT"}), ((), {})])
def test_legacy_calls_map_and_warn_as_torchvision(args: tuple, kwargs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("resnet18", "vgg19", "alexnet"):
        theirs = _chosen(theirs_m, tv_api.WeightsEnum, name, monkeypatch, *args, **kwargs)
        ours = _chosen(ours_m, WeightsEnum, name, monkeypatch, *args, **kwargs)
        assert ours == theirs


def test_pretrained_false_builds_the_random_model_with_its_kwargs() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ours_m.resnet18(pretrained=False, num_classes=3)
    assert len(caught) == 2 and "The parameter 'pretrained' is deprecated since 0.13" in str(caught[0].message)
    assert isinstance(model, ours_m.ResNet) and model.fc.out_features == 3


def test_pretrained_true_reads_the_file_or_says_where_to_put_it(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Any) -> None:
    monkeypatch.setenv("MINITORCH_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError, match="ResNet18_Weights.IMAGENET1K_V1"):
        ours_m.resnet18(pretrained=True)


def test_registry_reads_the_wrapped_builders() -> None:
    assert ours_m.get_model_weights(ours_m.resnet152) is ours_m.ResNet152_Weights
    assert ours_m.get_model_builder("vgg19") is ours_m.vgg19
    builder = inspect.unwrap(ours_m.vgg19)
    assert ours_m.vgg19.__name__ == builder.__name__ == "vgg19" and builder.__module__.endswith("models.vgg")
    assert list(inspect.signature(ours_m.vgg19).parameters) == ["weights", "kwargs"]


def test_decorators_refuse_as_torchvision() -> None:
    def no_kwonly(a: int) -> int:
        return a

    with pytest.raises(TypeError, match="Found no keyword-only parameter on function 'no_kwonly'"):
        kwonly_to_pos_or_kw(no_kwonly)

    @handle_legacy_interface(weights=("pretrained", None))
    def unweighted(*, weights: Any = None) -> Any:
        return weights

    with pytest.raises(ValueError, match="No weights available for model unweighted"):
        unweighted(pretrained=True)
    with pytest.warns(UserWarning, match="Using 'weights' as positional parameter"):
        assert unweighted(False) is None
