"""Lesson 03's exercises: every topic has one, wrong answers fail with their hint, shortcuts are
refused however they are spelled, and right answers written by hand pass."""

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.stats
from exercise_helpers import assert_exercises_cover_the_section, assert_mistake_fails, mistake_cases
from jax.random import exponential as imported_exponential

from jlr.course.checker import grade
from jlr.course.checks.probability import EXERCISES

SECTION = "03"


def test_every_topic_of_section_03_has_an_exercise_in_stub_order():
    assert_exercises_cover_the_section("03")


# Every reference solution passing (and every stub failing) is proved for all lessons at once
# by tests/course/test_checker_can_fail_and_pass.py; here, wrong answers must fail with a hint.


def _uniform(key, n):
    return jax.random.uniform(key, (n,))


def _split_then_uniform(key, rate, n):
    first, _ = jax.random.split(key)  # a fine sampler, but not the draw the docstring fixes
    return -jnp.log1p(-_uniform(first, n)) / rate


def _categorical(u, probs, *, side="right", clip=True, shift=0):
    index = jnp.searchsorted(jnp.cumsum(probs), u, side=side) + shift
    return jnp.minimum(index, probs.shape[0] - 1) if clip else index


def _centered(x):
    return x - x.mean(axis=0, keepdims=True)


def _mvn_log_density(x, mean, cov, *, two_pi=True, log_det_factor=2.0, inverse=True):
    chol = jnp.linalg.cholesky(cov)
    diff = x - mean
    quadratic = diff @ jnp.linalg.solve(cov, diff) if inverse else diff @ cov @ diff
    log_det = log_det_factor * jnp.sum(jnp.log(jnp.diag(chol)))
    constant = mean.shape[0] * jnp.log(2 * jnp.pi) if two_pi else 0.0
    return -0.5 * (quadratic + log_det + constant)


def _scipy_log_density(x, mean, cov):
    return scipy.stats.multivariate_normal(np.asarray(mean), np.asarray(cov)).logpdf(np.asarray(x))


def _mvn(key, mean, cov, n, *, factor=None, add_mean=True):
    z = jax.random.normal(key, (n, mean.shape[0]))  # (n, d)
    factor = jnp.linalg.cholesky(cov).T if factor is None else factor(cov)
    draws = z @ factor  # (n, d)
    return draws + mean[None, :] if add_mean else draws


def _symmetric_sqrt(cov):
    eigenvalues, vectors = jnp.linalg.eigh(cov)
    return (vectors * jnp.sqrt(eigenvalues)[None, :]) @ vectors.T  # (d, d)


def _mvn_transposed_draw(key, mean, cov, n):
    z = jax.random.normal(key, (mean.shape[0], n)).T  # (n, d), but not normal(key, (n, d))
    return mean[None, :] + z @ jnp.linalg.cholesky(cov).T


def _log_softmax(z, axis=-1):
    return z - jax.nn.logsumexp(z, axis=axis, keepdims=True)


def _naive_log_softmax(z):
    return jnp.log(jnp.exp(z) / jnp.exp(z).sum(-1, keepdims=True))


def _infonce(scores, *, axis=1, average=jnp.mean):
    n = scores.shape[0]
    log_probs = _log_softmax(scores, axis=axis)
    return average(jnp.diag(log_probs)) + jnp.log(n)


def _naive_mutual_information(joint):
    p_x, p_y = joint.sum(1), joint.sum(0)
    return jnp.sum(joint * jnp.log(joint / jnp.outer(p_x, p_y)))


def _kl(mu0, sigma0, mu1, sigma1):
    return jnp.log(sigma1 / sigma0) + (sigma0**2 + (mu0 - mu1) ** 2) / (2 * sigma1**2) - 0.5


MISTAKES = {
    "sample_exponential_inverse_cdf": [
        (r"different keys gave the same draws",
         lambda key, rate, n: -jnp.log1p(-jnp.linspace(0, 0.99, n))),  # no randomness at all
        (r"same law as U", lambda key, rate, n: -jnp.log(_uniform(key, n)) / rate),  # F^-1(1-U)
        (r"divide by the rate", lambda key, rate, n: -jnp.log1p(-_uniform(key, n)) * rate),
        (r"minus sign", lambda key, rate, n: jnp.log1p(-_uniform(key, n)) / rate),
        (r"jax.random.exponential is off limits",
         lambda key, rate, n: jax.random.exponential(key, (n,)) / rate),
        (r"jax.random.exponential is off limits",  # a name bound by `from jax.random import`
         lambda key, rate, n: imported_exponential(key, (n,)) / rate),
        (r"key you are given \(no\s+split\)", _split_then_uniform),
    ],
    "categorical_inverse_cdf": [
        (r"side='right'", lambda u, probs: jnp.searchsorted(jnp.cumsum(probs), u)),  # left
        (r"side='right'", lambda u, probs: _categorical(u, probs, side="left")),  # clipped too
        (r"clip the index to k - 1", lambda u, probs: _categorical(u, probs, clip=False)),
        (r"one too high", lambda u, probs: _categorical(u, probs, shift=1, clip=False)),
        (r"integer", lambda u, probs: _categorical(u, probs).astype(jnp.float32)),
    ],
    "mean_and_stderr": [
        (r"ddof", lambda v: (v.mean(), v.std() / jnp.sqrt(v.shape[0]))),  # ddof=0
        (r"not s$", lambda v: (v.mean(), v.std(ddof=1))),  # forgot / sqrt(n)
        (r"not s / n", lambda v: (v.mean(), v.std(ddof=1) / v.shape[0])),
        (r"square root of the variance", lambda v: (v.mean(), v.var(ddof=1) / v.shape[0] ** 0.5)),
    ],
    "sample_covariance": [
        (r"ddof", lambda x: jnp.cov(x.T, bias=True)),  # divides by n
        (r"rowvar=False", lambda x: jnp.cov(x)),  # rows taken as the variables: (n, n)
        (r"subtract the column means", lambda x: x.T @ x / (x.shape[0] - 1)),
    ],
    "conditional_y_given_x": [
        (r"axis 1", lambda joint: joint / joint.sum(0, keepdims=True)),  # p(x | y)
        (r"its own sum", lambda joint: joint / joint.sum()),
    ],
    "bayes_rule": [
        (r"so the posterior sums to 1", lambda prior, likelihood: prior * likelihood),
        (r"not sum_k likelihood_k",
         lambda prior, likelihood: prior * likelihood / likelihood.sum()),
        (r"multiply by the prior", lambda prior, likelihood: likelihood / likelihood.sum()),
    ],
    "covariance_from_table": [
        (r"subtract E\[X\] E\[Y\]", lambda joint, xv, yv: xv @ joint @ yv),
        (r"row sums", lambda joint, xv, yv: xv @ joint @ yv - xv.mean() * yv.mean()),
    ],
    "mvn_log_density": [
        (r"add the normalization",
         lambda x, mean, cov: -0.5 * (x - mean) @ jnp.linalg.solve(cov, x - mean)),
        (r"d log\(2 pi\)", lambda x, mean, cov: _mvn_log_density(x, mean, cov, two_pi=False)),
        (r"factor 2", lambda x, mean, cov: _mvn_log_density(x, mean, cov, log_det_factor=1.0)),
        (r"uses Sigma\^\{-1\}", lambda x, mean, cov: _mvn_log_density(x, mean, cov, inverse=False)),
        (r"not the density", lambda x, mean, cov: jnp.exp(_mvn_log_density(x, mean, cov))),
        (r"logpdf is off limits",
         lambda x, mean, cov: jax.scipy.stats.multivariate_normal.logpdf(x, mean, cov)),
        (r"JAX tracing", _scipy_log_density),  # the right numbers, from scipy
    ],
    "mvn_sample": [
        (r"draws from key 0", lambda key, mean, cov, n: jnp.zeros((n, 3)) + mean[None, :]),
        (r"not cov itself", lambda key, mean, cov, n: _mvn(key, mean, cov, n, factor=lambda c: c)),
        (r"not z @ L$",
         lambda key, mean, cov, n: _mvn(key, mean, cov, n, factor=jnp.linalg.cholesky)),
        (r"elementwise", lambda key, mean, cov, n: _mvn(key, mean, cov, n, factor=jnp.sqrt)),
        (r"ignores the correlations",
         lambda key, mean, cov, n: mean[None, :]
         + jax.random.normal(key, (n, 3)) * jnp.sqrt(jnp.diag(cov))[None, :]),
        (r"add the mean", lambda key, mean, cov, n: _mvn(key, mean, cov, n, add_mean=False)),
        (r"multivariate_normal is off limits",
         lambda key, mean, cov, n: jax.random.multivariate_normal(key, mean, cov, (n,))),
        # right distribution, not the draw the docstring fixes
        (r"not the ones the docstring fixes",
         lambda key, mean, cov, n: _mvn(key, mean, cov, n, factor=_symmetric_sqrt)),
        (r"not the ones the docstring fixes", _mvn_transposed_draw),
    ],
    "gaussian_mle": [
        (r"ddof=1", lambda x: (x.mean(), x.var(ddof=1))),  # the unbiased variance
        (r"not the standard deviation", lambda x: (x.mean(), x.std())),
    ],
    "categorical_mle": [
        (r"number of labels n", lambda labels, k: jnp.bincount(labels, length=k) / k),
        (r"length=n_classes", lambda labels, k: jnp.bincount(labels) / labels.shape[0]),
        (r"so p sums to 1", lambda labels, k: jnp.bincount(labels, length=k).astype(jnp.float32)),
        (r"no smoothing",  # add-one (Laplace) smoothing is MAP with a prior, not the MLE
         lambda labels, k: (jnp.bincount(labels, length=k) + 1) / (labels.shape[0] + k)),
    ],
    "ridge_map": [
        (r"the prior adds lam I", lambda x, y, nv, pv: jnp.linalg.lstsq(x, y)[0]),  # no prior
        (r"not prior_var / noise_var",
         lambda x, y, nv, pv: jnp.linalg.solve(x.T @ x + pv / nv * jnp.eye(4), x.T @ y)),
        (r"left out noise_var",
         lambda x, y, nv, pv: jnp.linalg.solve(x.T @ x + 1 / pv * jnp.eye(4), x.T @ y)),
    ],
    "beta_bernoulli_map": [
        (r"posterior mean", lambda heads, n, a, b: (a + heads) / (a + b + n)),
        (r"is the MLE", lambda heads, n, a, b: heads / n),
        (r"a counts heads", lambda heads, n, a, b: (b + n - heads - 1) / (a + b + n - 2)),
    ],
    "entropy": [
        (r"0 log 0 = 0", lambda p: -jnp.sum(p * jnp.log(p))),  # NaN at p = 0
        (r"natural log", lambda p: -jnp.sum(jax.scipy.special.xlogy(p, p)) / jnp.log(2.0)),
        (r"dropped the minus sign", lambda p: jnp.sum(jax.scipy.special.xlogy(p, p))),
        (r"scipy.stats.entropy is off limits", lambda p: scipy.stats.entropy(np.asarray(p))),
        (r"entr is off limits", lambda p: jnp.sum(jax.scipy.special.entr(p))),
    ],
    "cross_entropy": [
        (r"NaN/Inf", lambda z, p: -jnp.sum(p * _naive_log_softmax(z), -1)),  # overflows
        (r"never log\(softmax",  # finite, but log(0 + eps) caps the loss
         lambda z, p: -jnp.sum(p * jnp.log(jax.nn.softmax(z) + 1e-30), -1)),
        (r"softmax over the classes", lambda z, p: -jnp.sum(p * _log_softmax(z, axis=0), -1)),
        (r"sum over the last axis only", lambda z, p: -jnp.sum(p * _log_softmax(z), axis=1)),
        (r"sum over the last axis only", lambda z, p: -jnp.mean(jnp.sum(p * _log_softmax(z), -1))),
        (r"softmax_cross_entropy is off limits", lambda z, p: optax.softmax_cross_entropy(z, p)),
    ],
    "softmax_cross_entropy": [
        (r"subtract log sum_k exp", lambda z, y: -z[jnp.arange(z.shape[0]), y]),
        (r"check the sign",
         lambda z, y: jnp.take_along_axis(_log_softmax(z), y[..., None], axis=-1)[..., 0]),
        (r"NaN/Inf",
         lambda z, y: -jnp.take_along_axis(_naive_log_softmax(z), y[..., None], axis=-1)[..., 0]),
        (r"integer_labels is off limits",
         lambda z, y: optax.losses.softmax_cross_entropy_with_integer_labels(z, y)),
    ],
    "kl_gaussian_1d": [
        (r"left out the -1/2", lambda m0, s0, m1, s1: _kl(m0, s0, m1, s1) + 0.5),
        (r"not symmetric", lambda m0, s0, m1, s1: _kl(m1, s1, m0, s0)),
        (r"standard deviations",  # the sigmas used as variances
         lambda m0, s0, m1, s1: 0.5 * jnp.log(s1 / s0) + (s0 + (m0 - m1) ** 2) / (2 * s1) - 0.5),
        (r"not log\(sigma0 / sigma1\)",
         lambda m0, s0, m1, s1: _kl(m0, s0, m1, s1) - 2 * jnp.log(s1 / s0)),
    ],
    "mutual_information": [
        (r"marginals", lambda joint: jnp.sum(jax.scipy.special.xlogy(joint, joint))),
        (r"0 log 0 = 0", _naive_mutual_information),  # NaN at the table's zeros
        (r"natural log", lambda joint: _naive_mutual_information(joint) / jnp.log(2.0)),
    ],
    "infonce_lower_bound": [
        (r"adds log N", lambda s: jnp.mean(jnp.diag(s) - jnp.log(jnp.exp(s).sum(1)))),
        (r"axis=1", lambda s: _infonce(s, axis=0)),  # log-sum-exp down the columns
        (r"mean\), not sum", lambda s: _infonce(s, average=jnp.sum)),
        (r"stable log-sum-exp",
         lambda s: jnp.mean(jnp.diag(s) - jnp.log(jnp.exp(s).mean(1)))),  # overflows at 1e4
    ],
}  # fmt: skip


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


def test_a_refused_sampler_is_restored_after_the_check():
    (sampler,) = [e for e in EXERCISES if e.name == "sample_exponential_inverse_cdf"]
    with pytest.raises(AssertionError, match="off limits"):
        sampler.check(lambda key, rate, n: jax.random.exponential(key, (n,)) / rate)
    assert imported_exponential is jax.random.exponential
    assert jax.random.exponential(jax.random.key(0), (3,)).shape == (3,)


# Right answers written by hand, as a learner would: the guards must not refuse them.
HAND_WRITTEN = """
import jax
import jax.numpy as jnp


def sample_exponential_inverse_cdf(key, rate, n):
    u = jax.random.uniform(key, (n,))
    return -jnp.log(1.0 - u) / rate


def mvn_log_density(x, mean, cov):
    chol = jnp.linalg.cholesky(cov)
    z = jax.scipy.linalg.solve_triangular(chol, x - mean, lower=True)
    log_det = 2.0 * jnp.sum(jnp.log(jnp.diag(chol)))
    return -0.5 * (z @ z + log_det + mean.shape[0] * jnp.log(2.0 * jnp.pi))


def mvn_sample(key, mean, cov, n):
    z = jax.random.normal(key, (n, mean.shape[0]))
    return mean[None, :] + z @ jnp.linalg.cholesky(cov).T


def entropy(probs):
    safe = jnp.where(probs > 0, probs, 1.0)
    return -jnp.sum(jnp.where(probs > 0, probs * jnp.log(safe), 0.0))


def cross_entropy(logits, target_probs):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_q = shifted - jnp.log(jnp.exp(shifted).sum(axis=-1, keepdims=True))
    return -jnp.sum(target_probs * log_q, axis=-1)


def softmax_cross_entropy(logits, labels):
    log_q = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(log_q, jnp.asarray(labels)[..., None], axis=-1)[..., 0]
"""
GUARDED = [
    "sample_exponential_inverse_cdf",
    "mvn_log_density",
    "mvn_sample",
    "entropy",
    "cross_entropy",
    "softmax_cross_entropy",
]


@pytest.fixture(scope="module")
def hand_written_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("learner") / "03_probability.py"
    path.write_text(textwrap.dedent(HAND_WRITTEN), encoding="utf-8")
    with jax.numpy_rank_promotion("allow"):  # the checker's default, not this folder's
        return {result.name: result for result in grade(SECTION, path).results}


@pytest.mark.parametrize("name", GUARDED)
def test_a_right_answer_written_by_hand_passes_the_guards(hand_written_report, name):
    assert hand_written_report[name].outcome == "PASS", hand_written_report[name].line
