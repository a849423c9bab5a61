"""Pretrained-weight enums with torchvision's names; the files are read from disk, never downloaded.

``ResNet18_Weights.IMAGENET1K_V1`` names the same file torchvision would download. ``weights=...`` loads it when
it is already in torch's cache (``$TORCH_HOME/hub/checkpoints``, as torchvision stores it) or in the folder given
by ``$MINITORCH_WEIGHTS``; otherwise the error says where to put it.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...serialization import load


@dataclass(frozen=True)
class Weights:
    """One set of pretrained weights: where torchvision publishes it and how many classes it predicts."""

    url: str
    num_classes: int = 1000

    @property
    def file_name(self) -> str:
        return self.url.rsplit("/", 1)[-1]


class WeightsEnum(enum.Enum):
    """Base of the ``*_Weights`` enums: ``.url``, ``.file_name`` and ``get_state_dict()`` like torchvision's."""

    @classmethod
    def verify(cls, obj: Any) -> WeightsEnum | None:
        """``None``, a member, or a member's name (``"DEFAULT"``, ``"IMAGENET1K_V1"``) -> a member or None."""
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str) and obj.replace(f"{cls.__name__}.", "") in cls.__members__:
            return cls.__members__[obj.replace(f"{cls.__name__}.", "")]
        raise TypeError(f"weights must be None, a {cls.__name__} member or its name, got {obj!r}")

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def file_name(self) -> str:
        return self.value.file_name

    def candidates(self) -> list[Path]:
        """Where the file is looked for, in order."""
        places = []
        if os.environ.get("MINITORCH_WEIGHTS"):
            places.append(Path(os.environ["MINITORCH_WEIGHTS"]))
        torch_home = os.environ.get("TORCH_HOME") or os.path.join(
            os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch"
        )
        places.append(Path(torch_home) / "hub" / "checkpoints")
        return [p / self.file_name for p in places]

    def get_state_dict(self) -> dict:
        """The state_dict from the file on disk (read with ``mt.load``, no torch needed)."""
        for path in self.candidates():
            if path.is_file():
                return load(path, weights_only=True)
        raise FileNotFoundError(
            f"pretrained weights {type(self).__name__}.{self.name} are not on disk and minitorch_cnn downloads "
            f"nothing. Download {self.url} and put it in one of: {', '.join(str(p.parent) for p in self.candidates())}"
            f" (or set MINITORCH_WEIGHTS to its folder); or build the model with weights=None and call "
            f"model.load_state_dict(mt.load('{self.file_name}'))."
        )


def load_weights(model: Any, weights: WeightsEnum | None) -> Any:
    """Load ``weights`` (when given) into ``model`` and return it."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict())
    return model


def num_classes_for(weights: WeightsEnum | None, kwargs: dict) -> None:
    """torchvision's rule: pretrained weights fix ``num_classes`` to theirs."""
    if weights is not None:
        asked = kwargs.setdefault("num_classes", weights.value.num_classes)
        if asked != weights.value.num_classes:
            raise ValueError(
                f"num_classes={asked} does not match the {weights.value.num_classes} classes of {weights}"
            )


def overwrite_named_param(kwargs: dict, param: str, new_value: Any) -> None:
    """torchvision's rule for a parameter a builder fixes (ResNeXt's ``groups``): set it, or raise if the caller
    asked for another value."""
    if param in kwargs and kwargs[param] != new_value:
        raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    kwargs[param] = new_value
