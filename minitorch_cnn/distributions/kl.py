"""``kl_divergence(p, q)`` = E_p[log p - log q] for registered pairs of distribution types (``register_kl``).

    Normal/Normal:            ½ (σp²/σq² + (μp - μq)²/σq² - 1 - log(σp²/σq²))
    Categorical/Categorical:  Σ_k p_k (logits_p,k - logits_q,k)    (+inf where q_k = 0 < p_k; terms with p_k = 0 are 0)
    Bernoulli/Bernoulli:      the same sum over {0, 1}
    Uniform/Uniform:          log((hq - lq)/(hp - lp)), +inf unless [lp, hp] lies in [lq, hq]
    MVN/MVN:                  Σ log diag Lq - Σ log diag Lp + ½ (|Lq⁻¹ Lp|²_F + |Lq⁻¹ (μq - μp)|² - k)
    Independent/Independent:  the base KL summed over the reinterpreted dimensions (the same number of them)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import Tensor
from ..ops import linalg
from ..ops.elementwise import where
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent, _sum_rightmost
from .multivariate_normal import MultivariateNormal, _diag
from .normal import Normal
from .uniform import Uniform

_KL_REGISTRY: dict = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator: ``fn(p, q)`` computes KL(p || q) for p of ``type_p`` and q of ``type_q`` (or subclasses)."""
    if not (isinstance(type_p, type) and issubclass(type_p, Distribution)):
        raise TypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not (isinstance(type_q, type) and issubclass(type_q, Distribution)):
        raise TypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    def decorator(fn: Callable) -> Callable:
        _KL_REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), batched over the distributions' batch shape; the most specific registered pair is used."""
    matches = [(tp, tq) for tp, tq in _KL_REGISTRY if isinstance(p, tp) and isinstance(q, tq)]
    if not matches:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
                                  f"{type(q).__name__}")
    best = min(matches, key=lambda pair: (type(p).__mro__.index(pair[0]), type(q).__mro__.index(pair[1])))
    return _KL_REGISTRY[best](p, q)


def _inf_where(cond: Tensor, value: Tensor) -> Tensor:
    return where(cond, float("inf"), value)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = _inf_where((q.probs == 0).expand(*t.shape), t)
    t = where((p.probs == 0).expand(*t.shape), 0.0, t)
    return t.sum(-1)


def softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ) as max(x, 0) + log(1 + e^-|x|): no overflow (absolute error ~1e-16 where it is tiny)."""
    return x.relu() + ((-x.abs()).exp() + 1).log()


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = where(q.probs == 0, float("inf"), t1)
    t1 = where(p.probs == 0, 0.0, t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = where(q.probs == 1, float("inf"), t2)
    t2 = where(p.probs == 1, 0.0, t2)
    return t1 + t2


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _inf_where((q.low > p.low) | (q.high < p.high), result)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Any:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be "
                         "computed")
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril.tril()
    half_log_det = _diag(lq).log().sum(-1) - _diag(lp).log().sum(-1)
    trace = linalg.solve(lq, lp).pow(2).sum((-2, -1))
    maha = linalg.solve(lq, (q.loc - p.loc).unsqueeze(-1)).squeeze(-1).pow(2).sum(-1)
    return half_log_det + 0.5 * (trace + maha - p.event_shape[0])
