"""Checks for exercises/03_probability.py, each against an independent oracle.

Oracles: scipy.stats (goodness-of-fit tests, densities, entropies), numpy, scikit-learn's
Ridge, optax's cross-entropies, numerical integration, and closed forms. Inputs come from
fixed seeds so a result is reproducible.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.integrate
import scipy.optimize
import scipy.stats
from sklearn.linear_model import Ridge

from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal

RANDOM_VARIABLES = "Random variables (discrete and continuous)"
MOMENTS = "Expectation, variance, covariance"
JOINT = "Joint and conditional distributions"
INDEPENDENCE = "Independence vs correlation"
GAUSSIAN = "Multivariate Gaussian distributions"
MLE = "Maximum Likelihood Estimation (MLE)"
MAP = "Maximum A Posteriori (MAP) estimation"
ENTROPY = "Entropy and uncertainty"
CROSS_ENTROPY = "Cross-entropy loss"
KL = "KL divergence and distribution matching"
MUTUAL_INFORMATION = "Mutual information and representation learning"


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _random_joint(rng: np.random.Generator, n_x: int, n_y: int) -> np.ndarray:
    return rng.dirichlet(np.ones(n_x * n_y)).reshape(n_x, n_y)


def _random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.5 * np.eye(d)


def check_sample_exponential_inverse_cdf(fn) -> None:
    rate, n = 2.5, 4000
    samples = np.asarray(fn(jax.random.key(0), rate, n))
    assert_equal(samples.shape, (n,), what="shape")
    if np.any(samples < 0) or not np.all(np.isfinite(samples)):
        raise CheckFailed("exponential draws must be finite and >= 0")
    p_value = scipy.stats.kstest(samples, scipy.stats.expon(scale=1 / rate).cdf).pvalue
    if p_value < 1e-3:
        raise CheckFailed(f"Kolmogorov-Smirnov test rejects Exponential({rate}): p = {p_value:.2g}")
    if np.array_equal(samples, np.asarray(fn(jax.random.key(1), rate, n))):
        raise CheckFailed("different keys gave the same draws: use the key you are given")
    assert_close(fn(jax.random.key(0), rate, n), samples, rtol=0, atol=0, what="same key redraw")


def check_categorical_inverse_cdf(fn) -> None:
    rng = _rng(1)
    probs = rng.dirichlet(np.ones(5))
    u = rng.uniform(size=200)
    expected = np.searchsorted(np.cumsum(probs), u, side="right")
    assert_close(fn(jnp.asarray(u), jnp.asarray(probs)), expected, rtol=0, atol=0, what="index")
    edges = np.cumsum(probs)[:-1]  # u exactly on a boundary belongs to the next category
    assert_close(
        fn(jnp.asarray(edges), jnp.asarray(probs)),
        np.arange(1, 5),
        rtol=0,
        atol=0,
        what="index at a CDF step",
    )


def check_mean_and_stderr(fn) -> None:
    values = _rng(2).exponential(size=300)
    mean, stderr = fn(jnp.asarray(values))
    assert_close(mean, values.mean(), rtol=1e-5, what="mean")
    assert_close(stderr, scipy.stats.sem(values), rtol=1e-4, what="stderr")


def check_sample_covariance(fn) -> None:
    x = _rng(3).normal(size=(50, 3)) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0, 0, 2.0]])
    assert_close(
        fn(jnp.asarray(x)), np.cov(x, rowvar=False), rtol=1e-4, atol=1e-6, what="covariance"
    )


def check_conditional_y_given_x(fn) -> None:
    joint = _random_joint(_rng(4), 3, 4)
    expected = joint / joint.sum(axis=1, keepdims=True)
    assert_close(fn(jnp.asarray(joint)), expected, rtol=1e-5, atol=1e-7, what="p(y | x)")


def check_bayes_rule(fn) -> None:
    # A rare disease (1%), a test with 99% sensitivity and 5% false positives; positive result.
    posterior = fn(jnp.array([0.01, 0.99]), jnp.array([0.99, 0.05]))
    assert_close(posterior, [0.0099 / 0.0594, 0.0495 / 0.0594], rtol=1e-5, what="posterior")
    rng = _rng(5)
    prior, likelihood = rng.dirichlet(np.ones(6)), rng.uniform(size=6)
    joint = prior * likelihood
    assert_close(
        fn(jnp.asarray(prior), jnp.asarray(likelihood)),
        joint / joint.sum(),
        rtol=1e-5,
        atol=1e-7,
        what="posterior",
    )


def check_covariance_from_table(fn) -> None:
    rng = _rng(6)
    joint = _random_joint(rng, 3, 4)
    x_values, y_values = rng.normal(size=3), rng.normal(size=4)
    xs, ys = np.meshgrid(x_values, y_values, indexing="ij")
    expected = np.cov(xs.ravel(), ys.ravel(), aweights=joint.ravel(), bias=True)[0, 1]
    actual = fn(jnp.asarray(joint), jnp.asarray(x_values), jnp.asarray(y_values))
    assert_close(actual, expected, rtol=1e-4, atol=1e-6, what="Cov(X, Y)")
    table = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]) / 3  # X in {-1, 0, 1}, Y = X^2
    actual = fn(jnp.asarray(table), jnp.array([-1.0, 0.0, 1.0]), jnp.array([0.0, 1.0]))
    assert_close(actual, 0.0, atol=1e-6, what="Cov(X, X^2) for X uniform on {-1, 0, 1}")


def check_mvn_log_density(fn) -> None:
    rng = _rng(7)
    cov, mean = _random_spd(rng, 3), rng.normal(size=3)
    for x in rng.normal(size=(4, 3)):
        expected = scipy.stats.multivariate_normal(mean, cov).logpdf(x)
        actual = fn(jnp.asarray(x), jnp.asarray(mean), jnp.asarray(cov))
        assert_close(actual, expected, rtol=1e-4, atol=1e-4, what="log density")


def check_mvn_sample(fn) -> None:
    mean, cov, n = np.array([1.0, -2.0]), np.array([[2.0, 1.2], [1.2, 1.0]]), 20000
    samples = np.asarray(fn(jax.random.key(0), jnp.asarray(mean), jnp.asarray(cov), n))
    assert_equal(samples.shape, (n, 2), what="shape")
    # Standard errors at n = 20000 are ~0.01; 0.05 is five of them.
    assert_close(samples.mean(axis=0), mean, atol=0.05, rtol=0, what="sample mean")
    assert_close(np.cov(samples, rowvar=False), cov, atol=0.08, rtol=0, what="sample covariance")


def check_gaussian_mle(fn) -> None:
    x = _rng(8).normal(3.0, 2.0, size=40)
    mean, var = fn(jnp.asarray(x))
    loc, scale = scipy.stats.norm.fit(x)  # scipy's maximum-likelihood fit
    assert_close(mean, loc, rtol=1e-5, atol=1e-6, what="mean")
    if np.isclose(var, x.var(ddof=1), rtol=1e-5):
        raise CheckFailed("that is the unbiased 1/(n-1) variance; the MLE divides by n")
    assert_close(var, scale**2, rtol=1e-4, what="variance")


def check_categorical_mle(fn) -> None:
    labels = _rng(9).integers(0, 4, size=60)
    expected = np.bincount(labels, minlength=5) / 60  # class 4 never appears
    assert_close(fn(jnp.asarray(labels), 5), expected, rtol=1e-6, atol=1e-7, what="p")


def check_ridge_map(fn) -> None:
    rng = _rng(10)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    noise_var, prior_var = 0.5, 0.2
    oracle = Ridge(alpha=noise_var / prior_var, fit_intercept=False).fit(x, y).coef_
    actual = fn(jnp.asarray(x), jnp.asarray(y), noise_var, prior_var)
    assert_close(actual, oracle, rtol=1e-3, atol=1e-5, what="w_MAP")


def _beta_posterior_mode(heads: int, n: int, a: float, b: float) -> float:
    """The mode of the posterior Beta(a + heads, b + n - heads), found numerically by scipy."""
    posterior = scipy.stats.beta(a + heads, b + n - heads)
    return scipy.optimize.minimize_scalar(
        lambda p: -posterior.logpdf(p),
        bounds=(1e-9, 1 - 1e-9),
        method="bounded",
        options={"xatol": 1e-10},
    ).x


def check_beta_bernoulli_map(fn) -> None:
    for heads, n, a, b in [(3, 10, 2.0, 2.0), (0, 5, 3.0, 1.5), (7, 7, 1.5, 4.0)]:
        assert_close(
            fn(heads, n, a, b),
            _beta_posterior_mode(heads, n, a, b),
            rtol=1e-4,
            atol=1e-6,
            what=f"MAP for {heads}/{n} heads, Beta({a}, {b})",
        )


def check_entropy(fn) -> None:
    probs = _rng(11).dirichlet(np.ones(6))
    assert_close(fn(jnp.asarray(probs)), scipy.stats.entropy(probs), rtol=1e-5, what="H")
    with_zero = np.array([0.5, 0.0, 0.25, 0.25])
    assert_close(
        fn(jnp.asarray(with_zero)),
        scipy.stats.entropy(with_zero),
        rtol=1e-5,
        what="H with a zero probability",
    )


def check_cross_entropy(fn) -> None:
    rng = _rng(12)
    logits = jnp.asarray(rng.normal(size=(5, 4)) * 3)
    targets = jnp.asarray(rng.dirichlet(np.ones(4), size=5))
    expected = optax.softmax_cross_entropy(logits, targets)
    assert_close(fn(logits, targets), expected, rtol=1e-5, atol=1e-6, what="loss")
    huge = jnp.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]])
    one_hot = jnp.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    actual = np.asarray(fn(huge, one_hot))
    if not np.all(np.isfinite(actual)):
        raise CheckFailed("NaN/Inf for logits of +-1e4: subtract the max logit first")
    assert_close(actual, [2e4, 0.0], rtol=1e-5, atol=1e-3, what="loss at logits +-1e4")


def check_softmax_cross_entropy(fn) -> None:
    rng = _rng(13)
    logits = jnp.asarray(rng.normal(size=(6, 5)) * 3)
    labels = jnp.asarray(rng.integers(0, 5, size=6))
    expected = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    assert_close(fn(logits, labels), expected, rtol=1e-5, atol=1e-6, what="loss")
    one = fn(logits[2], labels[2])  # one example: logits (n_classes,), label ()
    assert_close(one, expected[2], rtol=1e-5, atol=1e-6, what="loss of one example")
    actual = fn(jnp.array([[1e4, -1e4, 0.0]]), jnp.array([1]))
    assert_close(actual, [2e4], rtol=1e-5, what="loss at logits +-1e4")


def _kl_by_quadrature(mu0: float, sigma0: float, mu1: float, sigma1: float) -> float:
    """KL(N(mu0, sigma0^2) || N(mu1, sigma1^2)) = int p (log p - log q), by scipy's quad."""
    p, q = scipy.stats.norm(mu0, sigma0), scipy.stats.norm(mu1, sigma1)
    integrand = lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x))
    return scipy.integrate.quad(integrand, mu0 - 12 * sigma0, mu0 + 12 * sigma0)[0]


def check_kl_gaussian_1d(fn) -> None:
    for params in [(0.0, 1.0, 1.0, 2.0), (-1.0, 0.5, 0.3, 0.7), (2.0, 1.5, 2.0, 1.5)]:
        mu0, sigma0, mu1, sigma1 = params
        assert_close(
            fn(*params),
            _kl_by_quadrature(*params),
            rtol=1e-4,
            atol=1e-6,
            what=f"KL(N({mu0}, {sigma0}^2) || N({mu1}, {sigma1}^2))",
        )


def check_mutual_information(fn) -> None:
    joint = _random_joint(_rng(14), 3, 4)
    h_x, h_y = scipy.stats.entropy(joint.sum(1)), scipy.stats.entropy(joint.sum(0))
    assert_close(
        fn(jnp.asarray(joint)),
        h_x + h_y - scipy.stats.entropy(joint.ravel()),
        rtol=1e-4,
        atol=1e-6,
        what="I(X; Y)",
    )
    table = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]) / 3  # Y = X^2: H(Y) = I(X; Y)
    assert_close(
        fn(jnp.asarray(table)),
        scipy.stats.entropy([1 / 3, 2 / 3]),
        rtol=1e-5,
        what="I(X; X^2) with zeros in the table",
    )
    independent = np.outer([0.2, 0.8], [0.5, 0.3, 0.2])
    assert_close(fn(jnp.asarray(independent)), 0.0, atol=1e-6, what="I for independent X, Y")


def check_infonce_lower_bound(fn) -> None:
    scores = _rng(15).normal(size=(8, 8)) * 2
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = np.mean(np.diag(log_probs)) + np.log(8)
    assert_close(fn(jnp.asarray(scores)), expected, rtol=1e-5, atol=1e-5, what="I_NCE")
    perfect = fn(jnp.asarray(np.eye(8) * 1e4))
    assert_close(perfect, np.log(8), rtol=1e-5, what="I_NCE for a perfect critic (= log N)")


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "sample_exponential_inverse_cdf", RANDOM_VARIABLES, check_sample_exponential_inverse_cdf
    ),
    Exercise("categorical_inverse_cdf", RANDOM_VARIABLES, check_categorical_inverse_cdf),
    Exercise("mean_and_stderr", MOMENTS, check_mean_and_stderr),
    Exercise("sample_covariance", MOMENTS, check_sample_covariance),
    Exercise("conditional_y_given_x", JOINT, check_conditional_y_given_x),
    Exercise("bayes_rule", JOINT, check_bayes_rule),
    Exercise("covariance_from_table", INDEPENDENCE, check_covariance_from_table),
    Exercise("mvn_log_density", GAUSSIAN, check_mvn_log_density),
    Exercise("mvn_sample", GAUSSIAN, check_mvn_sample),
    Exercise("gaussian_mle", MLE, check_gaussian_mle),
    Exercise("categorical_mle", MLE, check_categorical_mle),
    Exercise("ridge_map", MAP, check_ridge_map),
    Exercise("beta_bernoulli_map", MAP, check_beta_bernoulli_map),
    Exercise("entropy", ENTROPY, check_entropy),
    Exercise("cross_entropy", CROSS_ENTROPY, check_cross_entropy),
    Exercise("softmax_cross_entropy", CROSS_ENTROPY, check_softmax_cross_entropy),
    Exercise("kl_gaussian_1d", KL, check_kl_gaussian_1d),
    Exercise("mutual_information", MUTUAL_INFORMATION, check_mutual_information),
    Exercise("infonce_lower_bound", MUTUAL_INFORMATION, check_infonce_lower_bound),
)
