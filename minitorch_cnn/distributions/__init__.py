"""``mt.distributions``: torch.distributions' Normal, Uniform, Bernoulli, Categorical, Multinomial, Independent,
MultivariateNormal and their KLs.

Draws come from our RNG (``mt.manual_seed``): the same laws as torch's, other numbers. log_prob, entropy and the KL
divergences are exact and differentiable (composed of differentiable ops), and ``rsample`` is reparameterised.
"""

from . import constraints, kl
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "Multinomial", "MultivariateNormal", "Normal",
           "Uniform", "constraints", "kl", "kl_divergence", "register_kl"]
