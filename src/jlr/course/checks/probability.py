"""Checks for exercises/03_probability.py, each against an independent oracle.

Oracles: scipy.stats (densities, entropies, fits), numpy, scikit-learn's Ridge, optax's
cross-entropies, numerical integration, and closed forms computed in float64. Inputs come from
fixed seeds so a result is reproducible. Samplers whose docstring fixes how the key is used are
compared with the exact draw from that key, not with a Monte-Carlo statistic a wrong formula
could pass. Sample sizes are small where a divisor (n or n - 1) is the question, so ddof
shows. A known wrong formula is named by its own hint (`jlr.course.guard.raise_if_mistake`),
and the library call that would hand in the answer is refused (`jlr.course.guard.without`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.integrate
import scipy.optimize
import scipy.special
import scipy.stats
from sklearn.linear_model import Ridge

from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal, f64
from jlr.course.guard import assert_close_or_mistake, raise_if_mistake, traced, without

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


def _f32(x) -> np.ndarray:
    """x rounded to float32 (what the learner's function receives), as float64."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _random_joint(rng: np.random.Generator, n_x: int, n_y: int) -> np.ndarray:
    return rng.dirichlet(np.ones(n_x * n_y)).reshape(n_x, n_y)


def _random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.5 * np.eye(d)


def _finite(value, hint: str) -> np.ndarray:
    value = f64(value)
    if not np.all(np.isfinite(value)):
        raise CheckFailed(hint)
    return value


# -- Random variables (discrete and continuous) ----------------------------------------------

EXPONENTIAL_SAMPLERS = {
    name: "the exercise is inverse-CDF sampling: u = jax.random.uniform(key, (n,)), then F^{-1}(u)"
    for name in ("jax.random.exponential", "numpy.random.exponential")
}


def check_sample_exponential_inverse_cdf(fn) -> None:
    fn = without(fn, EXPONENTIAL_SAMPLERS)
    rate, n = 2.5, 1000
    draws = [f64(fn(jax.random.key(seed), rate, n)) for seed in (0, 1)]
    for samples in draws:
        assert_equal(samples.shape, (n,), what="shape")
    if np.array_equal(draws[0], draws[1]):
        raise CheckFailed("different keys gave the same draws: use the key you are given")
    for seed, samples in enumerate(draws):
        u = f64(jax.random.uniform(jax.random.key(seed), (n,)))  # the draw the docstring fixes
        expected = -np.log1p(-u) / rate
        if np.allclose(samples, expected, rtol=1e-5, atol=1e-6):
            continue
        mistakes = {
            "1 - U has the same law as U, but the docstring fixes F^{-1}(u) = -log(1 - u) / rate "
            "(the checker compares draw by draw)": -np.log(u) / rate,
            "divide by the rate: F^{-1}(u) = -log(1 - u) / rate (the mean is 1/rate)": (
                -np.log1p(-u) * rate
            ),
            "F^{-1}(u) = -log(1 - u) / rate: you lost the minus sign (draws must be >= 0)": (
                np.log1p(-u) / rate
            ),
            "divide by the rate: F^{-1}(u) = -log(1 - u) / rate": -np.log1p(-u),
        }
        raise_if_mistake(samples, mistakes, rtol=1e-5, atol=1e-6)
        if np.all(np.isfinite(samples)) and np.all(samples >= 0):
            exponential = scipy.stats.expon(scale=1 / rate).cdf
            if scipy.stats.kstest(samples, exponential).pvalue > 1e-3:
                raise CheckFailed(
                    "these look like Exponential(rate) draws, but not the ones the docstring "
                    "fixes: u = jax.random.uniform(key, (n,)) with the key you are given (no "
                    "split), then -log(1 - u) / rate"
                )
        assert_close(samples, expected, rtol=1e-5, atol=1e-6, what=f"draws from key {seed}")


def check_categorical_inverse_cdf(fn) -> None:
    side = (
        "u exactly on a CDF step belongs to the next category: return the smallest i with "
        "cdf[i] > u (jnp.searchsorted(..., side='right')), so a zero-probability category "
        "is never drawn"
    )
    # 1. random probabilities; no u within 3e-4 of a CDF step, so rounding cannot matter;
    # 2. dyadic probabilities (every partial sum exact in float32) with a zero category, u on
    #    the steps; 3. a zero-probability first category and u = 0; 4. a CDF that rounds to
    #    1 - 2^-23 < u: the index must be clipped to k - 1
    rng = _rng(1)
    cases = (
        (_f32(rng.dirichlet(np.ones(5))), _f32(rng.uniform(size=200)), "index"),
        (np.array([0.25, 0.125, 0.0, 0.375, 0.25]),
         np.array([0.0, 0.25, 0.375, 0.75, 0.1, 0.5, 0.8]), "index with u on a CDF step"),
        (np.array([0.0, 0.5, 0.5]), np.array([0.0, 0.5, 0.25, 0.75]),
         "index with a zero-probability first category"),
        (np.array([0.5, 0.25, 0.25 - 2.0**-23]), np.array([1 - 2.0**-24, 0.9]),
         "index for u above cdf[-1] = 1 - 2^-23"),
    )  # fmt: skip
    for probs, u, what in cases:
        cdf = np.cumsum(probs)
        k = probs.shape[0]
        got = np.asarray(fn(jnp.asarray(u, jnp.float32), jnp.asarray(probs, jnp.float32)))
        if not np.issubdtype(got.dtype, np.integer):
            raise CheckFailed(f"return integer category indices, got dtype {got.dtype}")
        expected = np.minimum(np.searchsorted(cdf, u, side="right"), k - 1)
        mistakes = {
            side: np.minimum(np.searchsorted(cdf, u, side="left"), k - 1),
            "categories are numbered 0..k-1: yours are one too high": expected + 1,
            "clip the index to k - 1: cdf[-1] can round to just below 1, and a u above it "
            "would give k": np.searchsorted(cdf, u, side="right"),
        }
        assert_close_or_mistake(got, expected, mistakes, rtol=0, atol=0, what=what)


# -- Expectation, variance, covariance ------------------------------------------------------


def check_mean_and_stderr(fn) -> None:
    for values in (_f32(_rng(2).exponential(size=300)), np.array([1.0, 2.0, 4.0, 7.0, 11.0])):
        n = values.shape[0]
        mean, stderr = fn(jnp.asarray(values, jnp.float32))
        assert_close(mean, values.mean(), rtol=1e-5, atol=1e-6, what=f"mean of {n} values")
        s = values.std(ddof=1)
        mistakes = {
            "ddof: s uses 1/(n - 1) (jnp.std(values, ddof=1)); the default ddof=0 divides "
            "by n": values.std() / np.sqrt(n),
            "the standard error is s / sqrt(n), not s": s,
            "the standard error is s / sqrt(n), not s / n": s / n,
            "s is the standard deviation, the square root of the variance: stderr = "
            "sqrt(var / n)": s**2 / np.sqrt(n),
        }
        assert_close_or_mistake(
            stderr, scipy.stats.sem(values), mistakes, rtol=1e-4, atol=1e-7, what="stderr"
        )


def check_sample_covariance(fn) -> None:
    mixing = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0, 0, 2.0]])
    for x in (_f32(_rng(3).normal(size=(50, 3)) @ mixing), _f32(_rng(4).normal(size=(4, 3)) + 2)):
        n = x.shape[0]
        got = f64(fn(jnp.asarray(x, jnp.float32)))
        if got.shape == (n, n):
            raise CheckFailed(
                f"covariance has shape {got.shape}, expected (3, 3): x is (n, d), one sample "
                "per row (jnp.cov needs rowvar=False, or x.T)"
            )
        centered = x - x.mean(axis=0, keepdims=True)
        mistakes = {
            "ddof: the unbiased covariance divides by n - 1 (ddof=1), not n": (
                centered.T @ centered / n
            ),
            "subtract the column means first: C = (X - mean)^T (X - mean) / (n - 1)": (
                x.T @ x / (n - 1)
            ),
        }
        expected = np.cov(x, rowvar=False)
        assert_close_or_mistake(
            got, expected, mistakes, rtol=1e-4, atol=1e-6, what=f"covariance ({n} samples)"
        )


# -- Joint and conditional distributions ----------------------------------------------------


def check_conditional_y_given_x(fn) -> None:
    joint = _f32(_random_joint(_rng(4), 3, 4))
    mistakes = {
        "normalize each row: p(y | x_i) = P[i, :] / p(x_i), p(x_i) = sum over y (axis 1)": (
            joint / joint.sum(axis=0, keepdims=True)
        ),
        "divide each row by its own sum p(x_i), not by the total": joint / joint.sum(),
    }
    expected = joint / joint.sum(axis=1, keepdims=True)
    assert_close_or_mistake(
        fn(jnp.asarray(joint, jnp.float32)),
        expected,
        mistakes,
        rtol=1e-5,
        atol=1e-7,
        what="p(y | x)",
    )


def check_bayes_rule(fn) -> None:
    rng = _rng(5)
    cases = (  # a rare disease (1%), 99% sensitivity, 5% false positives: a positive test
        (np.array([0.01, 0.99]), np.array([0.99, 0.05])),
        (_f32(rng.dirichlet(np.ones(6))), _f32(rng.uniform(size=6))),
    )
    for prior, likelihood in cases:
        joint = prior * likelihood
        mistakes = {
            "divide by the evidence p(d) = sum_k prior_k likelihood_k, so the posterior sums "
            "to 1": joint,
            "the evidence is sum_k prior_k likelihood_k, not sum_k likelihood_k": (
                joint / likelihood.sum()
            ),
            "multiply by the prior: posterior = prior * likelihood / evidence": (
                likelihood / likelihood.sum()
            ),
        }
        got = fn(jnp.asarray(prior, jnp.float32), jnp.asarray(likelihood, jnp.float32))
        assert_close_or_mistake(
            got, joint / joint.sum(), mistakes, rtol=1e-5, atol=1e-7, what="posterior"
        )


def check_covariance_from_table(fn) -> None:
    rng = _rng(6)
    joint = _f32(_random_joint(rng, 3, 4))
    x_values, y_values = _f32(rng.normal(size=3)), _f32(rng.normal(size=4))
    xs, ys = np.meshgrid(x_values, y_values, indexing="ij")
    expected = np.cov(xs.ravel(), ys.ravel(), aweights=joint.ravel(), bias=True)[0, 1]
    e_xy = x_values @ joint @ y_values
    mistakes = {
        "that is E[XY]: subtract E[X] E[Y]": e_xy,
        "E[X] = sum_i p(x_i) x_i with p(x_i) the row sums (and E[Y] with the column sums), "
        "not a plain mean of the values": e_xy - x_values.mean() * y_values.mean(),
    }
    actual = fn(*(jnp.asarray(v, jnp.float32) for v in (joint, x_values, y_values)))
    assert_close_or_mistake(actual, expected, mistakes, rtol=1e-4, atol=1e-6, what="Cov(X, Y)")
    table = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]) / 3  # X in {-1, 0, 1}, Y = X^2
    actual = fn(jnp.asarray(table), jnp.array([-1.0, 0.0, 1.0]), jnp.array([0.0, 1.0]))
    assert_close(actual, 0.0, atol=1e-6, what="Cov(X, X^2) for X uniform on {-1, 0, 1}")


# -- Multivariate Gaussian distributions ----------------------------------------------------

GAUSSIAN_DENSITIES = {
    f"jax.scipy.stats.multivariate_normal.{name}": "the exercise is to write the log density"
    for name in ("logpdf", "pdf")
}


def check_mvn_log_density(fn) -> None:
    fn = without(fn, GAUSSIAN_DENSITIES)
    rng = _rng(7)
    cov, mean = _f32(_random_spd(rng, 3)), _f32(rng.normal(size=3))
    d = mean.shape[0]
    chol = np.linalg.cholesky(cov)
    log_det = 2 * np.sum(np.log(np.diag(chol)))
    for x in _f32(rng.normal(size=(4, 3))):
        expected = scipy.stats.multivariate_normal(mean, cov).logpdf(x)
        maha = (x - mean) @ np.linalg.solve(cov, x - mean)
        mistakes = {
            "add the normalization -1/2 log det(2 pi Sigma) = -1/2 (d log(2 pi) + log det "
            "Sigma)": -0.5 * maha,
            "log det(2 pi Sigma) = d log(2 pi) + log det Sigma: you left out d log(2 pi)": (
                -0.5 * (maha + log_det)
            ),
            "log det Sigma = 2 sum log diag(L): you left out the factor 2": (
                -0.5 * (maha + log_det / 2 + d * np.log(2 * np.pi))
            ),
            "the quadratic form uses Sigma^{-1}: (x - mu)^T Sigma^{-1} (x - mu), i.e. |z|^2 "
            "with L z = x - mu": -0.5 * ((x - mean) @ cov @ (x - mean) + log_det)
            - 0.5 * d * np.log(2 * np.pi),
            "return the log density, not the density": np.exp(expected),
        }
        args = tuple(jnp.asarray(v, jnp.float32) for v in (x, mean, cov))
        assert_close_or_mistake(
            fn(*args), expected, mistakes, rtol=1e-4, atol=1e-4, what="log density"
        )
    traced(fn, *args)  # in jax.numpy: scipy.stats is no answer either


MVN_SAMPLERS = {
    name: "the exercise is to sample through the Cholesky factor: mean + z @ L.T"
    for name in ("jax.random.multivariate_normal", "numpy.random.multivariate_normal")
}


def _looks_gaussian(samples: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> bool:
    """Sample mean and covariance within 5 standard errors of N(mean, cov)'s."""
    n = samples.shape[0]
    mean_se = np.sqrt(np.diag(cov) / n)
    variances = np.diag(cov)
    cov_se = np.sqrt((np.outer(variances, variances) + cov**2) / n)
    return bool(
        np.all(np.abs(samples.mean(axis=0) - mean) < 5 * mean_se)
        and np.all(np.abs(np.cov(samples, rowvar=False) - cov) < 5 * cov_se)
    )


def check_mvn_sample(fn) -> None:
    fn = without(fn, MVN_SAMPLERS)
    mean = _f32([1.0, -2.0, 0.5])
    cov = _f32([[2.0, 1.2, 0.4], [1.2, 1.0, 0.1], [0.4, 0.1, 0.8]])
    n, key = 2000, jax.random.key(0)
    samples = f64(fn(key, jnp.asarray(mean, jnp.float32), jnp.asarray(cov, jnp.float32), n))
    assert_equal(samples.shape, (n, 3), what="shape")
    z = f64(jax.random.normal(key, (n, 3)))  # the draw the docstring fixes
    chol = np.linalg.cholesky(cov)
    expected = mean[None, :] + z @ chol.T  # (n, d): each row mu + L z
    if np.allclose(samples, expected, rtol=1e-5, atol=1e-5):
        return
    mistakes = {
        "use the Cholesky factor L (cov = L L^T), not cov itself: x = mean + z @ L.T": (
            mean[None, :] + z @ cov
        ),
        "each draw is mean + L z; for rows z that is z @ L.T, not z @ L": mean[None, :] + z @ chol,
        "sqrt(cov) elementwise is not a matrix square root: use L = jnp.linalg.cholesky(cov)": (
            mean[None, :] + z @ np.sqrt(cov)
        ),
        "z * sqrt(diag(cov)) ignores the correlations: use L = jnp.linalg.cholesky(cov)": (
            mean[None, :] + z * np.sqrt(np.diag(cov))[None, :]
        ),
        "add the mean: x = mean + z @ L.T": z @ chol.T,
    }
    raise_if_mistake(samples, mistakes, rtol=1e-5, atol=1e-5)
    if np.all(np.isfinite(samples)) and _looks_gaussian(samples, mean, cov):
        raise CheckFailed(
            "these look like N(mean, cov) draws, but not the ones the docstring fixes: "
            "z = jax.random.normal(key, (n, d)) with the key you are given, x = mean + z @ L.T"
        )
    assert_close(samples, expected, rtol=1e-5, atol=1e-5, what="draws from key 0")


# -- Maximum Likelihood Estimation (MLE) -----------------------------------------------------


def check_gaussian_mle(fn) -> None:
    for x in (_f32(_rng(8).normal(3.0, 2.0, size=40)), np.array([2.0, 3.0, 5.0, 9.0, 1.0])):
        mean, var = fn(jnp.asarray(x, jnp.float32))
        loc, scale = scipy.stats.norm.fit(x)  # scipy's maximum-likelihood fit
        assert_close(mean, loc, rtol=1e-5, atol=1e-6, what="mean")
        mistakes = {
            "that is the unbiased variance (ddof=1, divides by n - 1); the MLE divides by n "
            "(ddof=0)": x.var(ddof=1),
            "return the variance sigma^2, not the standard deviation": scale,
        }
        assert_close_or_mistake(
            var, scale**2, mistakes, rtol=1e-4, atol=1e-6, what=f"variance of {len(x)}"
        )


def check_categorical_mle(fn) -> None:
    labels = _rng(9).integers(0, 4, size=60)  # class 4 never appears
    counts = np.bincount(labels, minlength=5)
    got = f64(fn(jnp.asarray(labels), 5))
    if got.shape == (4,):
        raise CheckFailed(
            "p has shape (4,), expected (5,): jnp.bincount(labels, length=n_classes), so a "
            "class never seen gets probability 0"
        )
    mistakes = {
        "p_k = n_k / n: divide the counts by the number of labels n": counts / 5,
        "p_k = n_k / n: divide the counts by the number of labels n, so p sums to 1": counts,
        "no smoothing: the MLE is n_k / n, and a class never seen gets 0": (counts + 1) / 65,
    }
    assert_close_or_mistake(got, counts / 60, mistakes, rtol=1e-6, atol=1e-7, what="p")


# -- Maximum A Posteriori (MAP) estimation ---------------------------------------------------


def check_ridge_map(fn) -> None:
    rng = _rng(10)
    x, y = _f32(rng.normal(size=(30, 4))), _f32(rng.normal(size=30))
    noise_var, prior_var = 0.5, 0.2

    def ridge(lam: float) -> np.ndarray:
        return np.linalg.solve(x.T @ x + lam * np.eye(4), x.T @ y)

    oracle = Ridge(alpha=noise_var / prior_var, fit_intercept=False).fit(x, y).coef_
    mistakes = {
        "the prior adds lam I: w = (X^T X + lam I)^{-1} X^T y with lam = noise_var / "
        "prior_var": ridge(0.0),
        "lam = noise_var / prior_var (sigma^2 / tau^2), not prior_var / noise_var": ridge(
            prior_var / noise_var
        ),
        "lam = noise_var / prior_var: you left out noise_var": ridge(1 / prior_var),
    }
    actual = fn(jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32), noise_var, prior_var)
    assert_close_or_mistake(actual, oracle, mistakes, rtol=1e-3, atol=1e-5, what="w_MAP")


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
        mistakes = {
            "that is the posterior mean (a + h) / (a + b + n); the MAP is the posterior's "
            "mode (a + h - 1) / (a + b + n - 2)": (a + heads) / (a + b + n),
            "h / n is the MLE: the MAP adds the prior's a - 1 and b - 1 pseudo-counts": (heads / n),
            "a counts heads and b tails: p_MAP = (a + h - 1) / (a + b + n - 2)": (
                (b + n - heads - 1) / (a + b + n - 2)
            ),
        }
        assert_close_or_mistake(
            fn(heads, n, a, b),
            _beta_posterior_mode(heads, n, a, b),
            mistakes,
            rtol=1e-4,
            atol=1e-6,
            what=f"MAP for {heads}/{n} heads, Beta({a}, {b})",
        )


# -- Entropy and uncertainty ----------------------------------------------------------------

ENTROPY_FUNCTIONS = {
    name: "the exercise is to write -sum p log p with 0 log 0 = 0 yourself"
    for name in ("scipy.stats.entropy", "jax.scipy.special.entr", "scipy.special.entr")
}


def check_entropy(fn) -> None:
    fn = without(fn, ENTROPY_FUNCTIONS)
    cases = (
        (_f32(_rng(11).dirichlet(np.ones(6))), "H"),
        (np.array([0.5, 0.0, 0.25, 0.25]), "H with a zero probability"),
        (np.array([0.0, 1.0, 0.0]), "H of a certain outcome"),
    )
    for probs, what in cases:
        got = _finite(
            fn(jnp.asarray(probs, jnp.float32)),
            f"{what} is NaN: 0 log 0 = 0, so mask the zeros (jnp.where(p > 0, p * "
            "jnp.log(jnp.where(p > 0, p, 1.0)), 0.0))",
        )
        expected = scipy.stats.entropy(probs)
        mistakes = {
            "entropy in nats: use the natural log (jnp.log), not log2": expected / np.log(2),
            "H = -sum p log p >= 0: you dropped the minus sign": -expected,
        }
        assert_close_or_mistake(got, expected, mistakes, rtol=1e-5, atol=1e-6, what=what)


# -- Cross-entropy loss ---------------------------------------------------------------------

STABLE = "compute log softmax as z - max(z) - log sum exp(z - max(z)), never log(softmax(z))"


def _optax_losses(*names: str) -> dict[str, str]:
    """optax's ready-made versions of the loss, under both of their names."""
    why = "the exercise is to write the stable loss yourself"
    modules = {"optax": optax, "optax.losses": optax.losses}
    return {
        f"{path}.{name}": why
        for path, module in modules.items()
        for name in names
        if hasattr(module, name)
    }


def check_cross_entropy(fn) -> None:
    fn = without(fn, _optax_losses("softmax_cross_entropy", "safe_softmax_cross_entropy"))
    rng = _rng(12)
    for shape in ((5, 4), (2, 5, 4)):
        logits, targets = rng.normal(size=shape) * 3, rng.dirichlet(np.ones(4), size=shape[:-1])
        logits, targets = jnp.asarray(logits, jnp.float32), jnp.asarray(targets, jnp.float32)
        expected = f64(optax.softmax_cross_entropy(logits, targets))
        got = f64(fn(logits, targets))
        if got.shape != expected.shape:
            raise CheckFailed(
                f"loss for logits {shape} has shape {got.shape}, expected {expected.shape}: "
                "sum over the last axis only (axis=-1), one loss per example"
            )
        wrong_axis = -np.sum(f64(targets) * f64(jax.nn.log_softmax(logits, axis=0)), axis=-1)
        mistakes = {"softmax over the classes, the last axis (axis=-1)": wrong_axis}
        assert_close_or_mistake(got, expected, mistakes, rtol=1e-5, atol=1e-5, what="loss")
    huge = jnp.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]])
    one_hot = jnp.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    actual = _finite(fn(huge, one_hot), f"NaN/Inf for logits of +-1e4: {STABLE}")
    if not np.allclose(actual, [2e4, 0.0], rtol=1e-5, atol=1e-3):
        raise CheckFailed(f"loss at logits +-1e4 = {actual}, expected [2e4, 0]: {STABLE}")


def check_softmax_cross_entropy(fn) -> None:
    fn = without(fn, _optax_losses("softmax_cross_entropy_with_integer_labels"))
    rng = _rng(13)
    logits = jnp.asarray(rng.normal(size=(6, 5)) * 3, jnp.float32)
    labels = jnp.asarray(rng.integers(0, 5, size=6))
    expected = f64(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
    picked = f64(logits)[np.arange(6), np.asarray(labels)]
    mistakes = {
        "subtract log sum_k exp(z_k): -log softmax(z)_y = logsumexp(z) - z_y": -picked,
        "the loss is -log softmax(z)_y >= 0: check the sign": -expected,
    }
    assert_close_or_mistake(
        fn(logits, labels), expected, mistakes, rtol=1e-5, atol=1e-5, what="loss"
    )
    one = fn(logits[2], labels[2])  # one example: logits (n_classes,), label ()
    assert_close(one, expected[2], rtol=1e-5, atol=1e-5, what="loss of one example")
    actual = _finite(
        fn(jnp.array([[1e4, -1e4, 0.0]]), jnp.array([1])), f"NaN/Inf for logits of +-1e4: {STABLE}"
    )
    if not np.allclose(actual, [2e4], rtol=1e-5):
        raise CheckFailed(f"loss at logits +-1e4 = {actual}, expected [2e4]: {STABLE}")


# -- KL divergence and distribution matching -------------------------------------------------


def _kl_by_quadrature(mu0: float, sigma0: float, mu1: float, sigma1: float) -> float:
    """KL(N(mu0, sigma0^2) || N(mu1, sigma1^2)) = int p (log p - log q), by scipy's quad."""
    p, q = scipy.stats.norm(mu0, sigma0), scipy.stats.norm(mu1, sigma1)
    integrand = lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x))  # noqa: E731
    return scipy.integrate.quad(integrand, mu0 - 12 * sigma0, mu0 + 12 * sigma0)[0]


def _kl_formula(mu0, sigma0, mu1, sigma1, half: float = 0.5) -> float:
    return np.log(sigma1 / sigma0) + (sigma0**2 + (mu0 - mu1) ** 2) / (2 * sigma1**2) - half


def check_kl_gaussian_1d(fn) -> None:
    for params in [(0.0, 1.0, 1.0, 2.0), (-1.0, 0.5, 0.3, 0.7), (2.0, 1.5, 2.0, 1.5)]:
        mu0, sigma0, mu1, sigma1 = params
        mistakes = {
            "you left out the -1/2: KL = log(s1/s0) + (s0^2 + (m0 - m1)^2) / (2 s1^2) - 1/2 "
            "(zero when the Gaussians are equal)": _kl_formula(*params, half=0.0),
            "KL is not symmetric: that is KL(N1 || N0); you want KL(N(mu0, s0^2) || "
            "N(mu1, s1^2))": _kl_formula(mu1, sigma1, mu0, sigma0),
            "the sigmas are standard deviations: square them for the variances": (
                0.5 * np.log(sigma1 / sigma0) + (sigma0 + (mu0 - mu1) ** 2) / (2 * sigma1) - 0.5
            ),
            "the log term is log(sigma1 / sigma0), not log(sigma0 / sigma1)": (
                _kl_formula(*params) - 2 * np.log(sigma1 / sigma0)
            ),
        }
        assert_close_or_mistake(
            fn(*params),
            _kl_by_quadrature(*params),
            mistakes,
            rtol=1e-4,
            atol=1e-6,
            what=f"KL(N({mu0}, {sigma0}^2) || N({mu1}, {sigma1}^2))",
        )


# -- Mutual information and representation learning -----------------------------------------


def check_mutual_information(fn) -> None:
    joint = _f32(_random_joint(_rng(14), 3, 4))
    h_x, h_y = scipy.stats.entropy(joint.sum(1)), scipy.stats.entropy(joint.sum(0))
    h_xy = scipy.stats.entropy(joint.ravel())
    expected = h_x + h_y - h_xy
    mistakes = {
        "I = sum P log(P / (p(x) p(y))), with the marginals p(x), p(y) in the denominator": (-h_xy),
        "mutual information in nats: use the natural log (jnp.log), not log2": (
            expected / np.log(2)
        ),
    }
    got = fn(jnp.asarray(joint, jnp.float32))
    assert_close_or_mistake(got, expected, mistakes, rtol=1e-4, atol=1e-6, what="I(X; Y)")
    table = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]) / 3  # Y = X^2: H(Y) = I(X; Y)
    zeros = (
        "I(X; X^2) is NaN with zeros in the table: zero entries contribute 0 (0 log 0 = 0); "
        "mask them with jnp.where"
    )
    got = _finite(fn(jnp.asarray(table, jnp.float32)), zeros)
    assert_close(got, scipy.stats.entropy([1 / 3, 2 / 3]), rtol=1e-5, what="I(X; X^2)")
    independent = np.outer([0.2, 0.8], [0.5, 0.3, 0.2])
    assert_close(fn(jnp.asarray(independent)), 0.0, atol=1e-6, what="I for independent X, Y")


def check_infonce_lower_bound(fn) -> None:
    scores = _f32(_rng(15).normal(size=(8, 8)) * 2)  # not symmetric: rows and columns differ
    n = scores.shape[0]

    def log_softmax(s: np.ndarray, axis: int) -> np.ndarray:
        return s - scipy.special.logsumexp(s, axis=axis, keepdims=True)

    expected = np.mean(np.diag(log_softmax(scores, 1))) + np.log(n)
    mistakes = {
        "(1/N) inside the log adds log N: I_NCE = mean_i [S_ii - logsumexp_j S_ij] + log N": (
            expected - np.log(n)
        ),
        "log-sum-exp over j, along each row i (axis=1): x_i is scored against every y_j": (
            np.mean(np.diag(log_softmax(scores, 0))) + np.log(n)
        ),
        "average over i (mean), not sum": n * (expected - np.log(n)) + np.log(n),
    }
    assert_close_or_mistake(
        fn(jnp.asarray(scores, jnp.float32)), expected, mistakes, rtol=1e-5, atol=1e-5, what="I_NCE"
    )
    perfect = _finite(
        fn(jnp.asarray(np.eye(8) * 1e4, jnp.float32)),
        "NaN/Inf for scores of 1e4: use a stable log-sum-exp (subtract each row's max, or "
        "jax.nn.logsumexp)",
    )
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
