"""mt.vision.models' registry (list_models, get_model, get_model_builder, get_model_weights, get_weight) against
torchvision.models'."""

from __future__ import annotations

import pytest
import torchvision

import minitorch_cnn as mt

ours_m, theirs_m = mt.vision.models, torchvision.models
OURS = set(ours_m.list_models(module=ours_m))  # the classification models (detection's: test_detection_api)


def test_every_registered_name_is_a_torchvision_classification_model() -> None:
    assert OURS <= set(theirs_m.list_models(module=theirs_m))
    assert len(OURS) >= 53
    assert ours_m.list_models(module=ours_m) == sorted(OURS)
    assert set(ours_m.list_models()) - OURS == set(ours_m.list_models(module=ours_m.detection))
    assert ours_m.list_models(module=mt.nn) == []


@pytest.mark.parametrize("include,exclude", [("resnet*", None), (["vgg1?", "*_bn"], "vgg13*"), (None, "*net*"),
                                             ("efficientnet_v2_?", ["*_l"]), ("nothing*", None)])
def test_list_models_filters_as_torchvision(include: object, exclude: object) -> None:
    theirs = [n for n in theirs_m.list_models(module=theirs_m, include=include, exclude=exclude) if n in OURS]
    assert ours_m.list_models(include=include, exclude=exclude) == theirs


def test_get_model_and_builder() -> None:
    model = ours_m.get_model("ResNet18", num_classes=7)
    assert isinstance(model, ours_m.ResNet) and model.fc.out_features == 7
    assert ours_m.get_model_builder("mnasnet0_5") is ours_m.mnasnet0_5
    for lib in (theirs_m, ours_m):
        with pytest.raises(ValueError, match="Unknown model not_a_model"):
            lib.get_model_builder("not_a_model")


@pytest.mark.parametrize("name", sorted(OURS))
def test_get_model_weights_names_torchvisions_enum(name: str) -> None:
    ours, theirs = ours_m.get_model_weights(name), theirs_m.get_model_weights(name)
    assert ours is ours_m.get_model_weights(getattr(ours_m, name))
    assert ours.__name__ == theirs.__name__
    theirs_urls = {m.name: m.url for m in theirs}
    assert {m.name: m.url for m in ours}.items() <= theirs_urls.items()  # (vgg16's IMAGENET1K_FEATURES is left out)
    assert ours.DEFAULT.url == theirs.DEFAULT.url


def test_get_weight() -> None:
    w = ours_m.get_weight("ResNet50_Weights.IMAGENET1K_V2")
    assert w is ours_m.ResNet50_Weights.IMAGENET1K_V2
    assert w.url == theirs_m.get_weight("ResNet50_Weights.IMAGENET1K_V2").url
    assert ours_m.get_weight("EfficientNet_V2_S_Weights.DEFAULT").file_name == "efficientnet_v2_s-dd5fe13b.pth"
    for lib in (theirs_m, ours_m):
        with pytest.raises(ValueError, match="Invalid weight name provided: 'ResNet50_Weights'"):
            lib.get_weight("ResNet50_Weights")
        with pytest.raises(ValueError, match="The weight enum 'Nope_Weights' for the specific method"):
            lib.get_weight("Nope_Weights.DEFAULT")
        with pytest.raises(KeyError):
            lib.get_weight("ResNet50_Weights.NOPE")
