"""``mt.nn.utils``: torch.nn.utils's gradient clipping, parameter/vector conversion, parametrizations and the
hook forms of weight and spectral normalisation."""

from . import parametrizations, parametrize, stateless
from .clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector", "parametrizations",
    "parametrize", "remove_spectral_norm", "stateless", "remove_weight_norm", "spectral_norm", "vector_to_parameters",
    "weight_norm",
]
