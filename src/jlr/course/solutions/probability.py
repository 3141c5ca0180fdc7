"""Reference solutions for exercises/03_probability.py (lesson 03, Probability).

Every exercise asks for a concept that `jlr.probability` already defines, so each solution is
the library's function (or a call to it, where the exercise's signature differs): the concept
is written once, in the module named for it, and tested there against scipy, optax and closed
forms. Read the solution in that module.
"""

from __future__ import annotations

import jax

from jlr.probability.bayes import bayes_rule
from jlr.probability.cross_entropy import cross_entropy, softmax_cross_entropy
from jlr.probability.entropy import entropy
from jlr.probability.gaussian import mvn_log_density
from jlr.probability.gaussian import mvn_sample as _mvn_sample
from jlr.probability.independence import covariance_from_table
from jlr.probability.infonce import infonce_lower_bound
from jlr.probability.joint import conditional_y_given_x
from jlr.probability.kl import kl_gaussian_1d
from jlr.probability.map_estimation import beta_bernoulli_posterior, beta_mode
from jlr.probability.map_estimation import gaussian_prior_map as ridge_map
from jlr.probability.mle import categorical_mle, gaussian_mle
from jlr.probability.moments import sample_covariance
from jlr.probability.moments import sample_mean_and_stderr as mean_and_stderr
from jlr.probability.mutual_information import mutual_information
from jlr.probability.sampling import categorical_inverse_cdf, sample_exponential

__all__ = [
    "bayes_rule",
    "beta_bernoulli_map",
    "categorical_inverse_cdf",
    "categorical_mle",
    "conditional_y_given_x",
    "covariance_from_table",
    "cross_entropy",
    "entropy",
    "gaussian_mle",
    "infonce_lower_bound",
    "kl_gaussian_1d",
    "mean_and_stderr",
    "mutual_information",
    "mvn_log_density",
    "mvn_sample",
    "ridge_map",
    "sample_covariance",
    "sample_exponential_inverse_cdf",
    "softmax_cross_entropy",
]


def sample_exponential_inverse_cdf(key: jax.Array, rate: float, n: int) -> jax.Array:
    """n Exponential(rate) draws by inverse CDF. -> (n,)"""
    return sample_exponential(key, rate, (n,))


def mvn_sample(key: jax.Array, mean: jax.Array, cov: jax.Array, n: int) -> jax.Array:
    """n draws mu + L z from N(mean, cov). -> (n, d)"""
    return _mvn_sample(key, mean, cov, (n,))


def beta_bernoulli_map(heads: int, n: int, a: float, b: float) -> float:
    """The mode of the Beta(a + heads, b + n - heads) posterior."""
    return beta_mode(*beta_bernoulli_posterior(heads, n, a, b))
