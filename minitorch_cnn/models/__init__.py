"""The model zoo: LeNet, LeNet-5, the PyTorch-examples MNIST net, a CIFAR CNN, AlexNet-BN and ResNets.

Every model is written like its torch twin in ``reference/models.py`` and has the same state_dict keys, so
weights move both ways by name. ``get_model("lenet5")`` builds one by its registry name; each model records the
input it takes as ``model.input_shape`` (C, H, W), and models that end in log_softmax set
``returns_log_probs = True`` (train them with ``nll_loss`` instead of ``cross_entropy``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..nn import Module
from .alexnet import AlexNetBN
from .cifar_cnn import CifarCNN
from .lenet import LeNet, LeNet5, lenet5_cifar
from .mnist_net import MnistNet
from .resnet import ResidualBlock, ResNet, SmallResNet, resnet18, resnet_small16, resnet_small32

MODELS: dict[str, Callable[..., Module]] = {
    "lenet": LeNet,
    "lenet5": LeNet5,
    "lenet5_cifar": lenet5_cifar,
    "mnist_net": MnistNet,
    "cifar_cnn": CifarCNN,
    "alexnet_bn": AlexNetBN,
    "resnet_small32": resnet_small32,
    "resnet_small16": resnet_small16,
    "resnet18": resnet18,
}


def get_model(name: str, **kwargs: Any) -> Module:
    """Build the model registered as ``name`` (see ``MODELS``), passing ``kwargs`` to its constructor."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[name](**kwargs)


__all__ = [
    "MODELS",
    "AlexNetBN",
    "CifarCNN",
    "LeNet",
    "LeNet5",
    "MnistNet",
    "ResNet",
    "ResidualBlock",
    "SmallResNet",
    "get_model",
    "lenet5_cifar",
    "resnet18",
    "resnet_small16",
    "resnet_small32",
]
