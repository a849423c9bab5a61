"""``mt.nn.utils``: torch.nn.utils's gradient clipping, parameter/vector conversion, parametrizations and the
hook forms of weight and spectral normalisation; ``prune``: masking parameters; ``rnn``: packing and padding of
sequences; ``stateless``: calling a module with other parameters (``functional_call``)."""

from . import parametrizations, parametrize, prune, rnn, stateless
from .clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector", "parametrizations",
    "parametrize", "prune", "remove_spectral_norm", "remove_weight_norm", "rnn", "spectral_norm", "stateless",
    "vector_to_parameters", "weight_norm",
]
