"""``mt.vision.ops``: torchvision.ops's building blocks of the classification models (``Conv2dNormActivation``,
``SqueezeExcitation``, ``StochasticDepth``), with its names and state_dict keys."""

from .misc import Conv2dNormActivation, SqueezeExcitation
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "StochasticDepth", "stochastic_depth"]
