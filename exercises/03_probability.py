"""Exercises for lesson 03, Probability. Grade them with `jlr check 03`.

Replace each `raise NotImplementedError` with your implementation. Use `jax.numpy` (jnp) and
`jax.random` with the key you are given; never a global seed. The lesson
`lessons/03_probability.py` explains the math behind each function.
"""

import jax
import jax.numpy as jnp

# --- Random variables (discrete and continuous) --------------------------------------------


def sample_exponential_inverse_cdf(key: jax.Array, rate: float, n: int) -> jax.Array:
    """n draws from Exponential(rate), density rate * exp(-rate x) on x >= 0, -> (n,).

    Use inverse-CDF sampling: draw U ~ Uniform(0, 1) with `jax.random.uniform(key, (n,))` (the
    key as given, no split) and return F^{-1}(U), where F(x) = 1 - exp(-rate x): the checker
    compares your draws with F^{-1}(u) for exactly that u. Do not call jax.random.exponential.
    """
    raise NotImplementedError


def categorical_inverse_cdf(u: jax.Array, probs: jax.Array) -> jax.Array:
    """The category whose CDF interval contains each u: smallest i with probs[0]+..+probs[i] > u.

    u: (n,) in [0, 1); probs: (k,) summing to 1 -> (n,) ints in [0, k). A u exactly on a step
    of the CDF goes to the next category, so a zero-probability category is never returned.
    Hint: jnp.cumsum and jnp.searchsorted (mind `side`); clip to k - 1 for rounding.
    """
    raise NotImplementedError


# --- Expectation, variance, covariance ------------------------------------------------------


def mean_and_stderr(values: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Monte Carlo estimate of E[V] and its standard error. values: (n,) -> (mean, stderr).

    stderr = s / sqrt(n), with s the sample standard deviation using 1 / (n - 1) (ddof=1).
    """
    raise NotImplementedError


def sample_covariance(x: jax.Array) -> jax.Array:
    """Unbiased sample covariance (1 / (n - 1)) (X - mean)^T (X - mean), i.e. ddof=1.

    x: (n, d), one sample per row -> (d, d).
    """
    raise NotImplementedError


# --- Joint and conditional distributions ----------------------------------------------------


def conditional_y_given_x(joint: jax.Array) -> jax.Array:
    """p(y_j | x_i) from the joint table P[i, j] = p(x_i, y_j).

    (n_x, n_y) -> (n_x, n_y); every row sums to 1.
    """
    raise NotImplementedError


def bayes_rule(prior: jax.Array, likelihood: jax.Array) -> jax.Array:
    """Posterior p(h_k | d) from prior p(h_k): (k,) and likelihood p(d | h_k): (k,) -> (k,)."""
    raise NotImplementedError


# --- Independence vs correlation ------------------------------------------------------------


def covariance_from_table(joint: jax.Array, x_values: jax.Array, y_values: jax.Array) -> jax.Array:
    """Cov(X, Y) = E[XY] - E[X] E[Y] for the joint table P[i, j] = p(X = x_i, Y = y_j).

    joint: (n_x, n_y); x_values: (n_x,); y_values: (n_y,) -> scalar.
    """
    raise NotImplementedError


# --- Multivariate Gaussian distributions ----------------------------------------------------


def mvn_log_density(x: jax.Array, mean: jax.Array, cov: jax.Array) -> jax.Array:
    """log N(x; mean, cov) for one point. x, mean: (d,); cov: (d, d) -> scalar.

    -1/2 (x - mu)^T Sigma^{-1} (x - mu) - 1/2 log det(2 pi Sigma). Hint: the Cholesky factor L
    gives both terms: solve L z = x - mu, and log det Sigma = 2 sum log diag(L).
    Write it in jax.numpy (the checker traces it with jax.make_jaxpr): jax.scipy.stats and
    scipy.stats are no answer here.
    """
    raise NotImplementedError


def mvn_sample(key: jax.Array, mean: jax.Array, cov: jax.Array, n: int) -> jax.Array:
    """n draws from N(mean, cov) through the Cholesky factor: mu + L z, z ~ N(0, I). -> (n, d).

    mean: (d,), cov: (d, d). Draw z = jax.random.normal(key, (n, d)) with the key as given (no
    split), L = jnp.linalg.cholesky(cov), and return mean + z @ L.T (row i is mu + L z_i): the
    checker compares with exactly these draws. jax.random.multivariate_normal is off limits.
    """
    raise NotImplementedError


# --- Maximum Likelihood Estimation (MLE) -----------------------------------------------------


def gaussian_mle(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Maximum-likelihood (mean, variance) of a Gaussian from data x: (n,). Which divisor?"""
    raise NotImplementedError


def categorical_mle(labels: jax.Array, n_classes: int) -> jax.Array:
    """Maximum-likelihood class probabilities from integer labels: (n,) -> (n_classes,)."""
    raise NotImplementedError


# --- Maximum A Posteriori (MAP) estimation ---------------------------------------------------


def ridge_map(x: jax.Array, y: jax.Array, noise_var: float, prior_var: float) -> jax.Array:
    """MAP weights of y = X w + N(0, noise_var) noise under the prior w ~ N(0, prior_var I).

    x: (n, d), y: (n,) -> w: (d,). Write down -log p(w | D) and set its gradient to zero.
    """
    raise NotImplementedError


def beta_bernoulli_map(heads: int, n: int, a: float, b: float) -> float:
    """MAP estimate of a coin's p after `heads` ones in `n` flips, prior Beta(a, b) (a, b > 1)."""
    raise NotImplementedError


# --- Entropy and uncertainty ----------------------------------------------------------------


def entropy(probs: jax.Array) -> jax.Array:
    """H(p) = -sum_k p_k log p_k in nats, with 0 log 0 = 0 (no NaN!). probs: (k,) -> scalar.

    Write the sum yourself: scipy.stats.entropy and jax.scipy.special.entr are off limits.
    """
    raise NotImplementedError


# --- Cross-entropy loss ---------------------------------------------------------------------


def cross_entropy(logits: jax.Array, target_probs: jax.Array) -> jax.Array:
    """H(p, q) = -sum_k p_k log q_k with q = softmax(logits), for target probabilities p.

    logits, target_probs: (..., K) -> (...), summing over the last axis.
    Must stay finite for logits as large as +-1e4: subtract the max before exponentiating.
    optax's softmax_cross_entropy is off limits.
    """
    raise NotImplementedError


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """-log softmax(logits)[label] for each example, with integer labels.

    logits: (..., K), labels: (...) ints -> (...); one example is (K,), () -> ().
    Stable for logits of +-1e4 too. Hint: jnp.take_along_axis picks one entry per row.
    optax's softmax_cross_entropy_with_integer_labels is off limits.
    """
    raise NotImplementedError


# --- KL divergence and distribution matching -------------------------------------------------


def kl_gaussian_1d(mu0: float, sigma0: float, mu1: float, sigma1: float) -> jax.Array:
    """KL(N(mu0, sigma0^2) || N(mu1, sigma1^2)) in closed form (sigmas are standard deviations)."""
    raise NotImplementedError


# --- Mutual information and representation learning -----------------------------------------


def mutual_information(joint: jax.Array) -> jax.Array:
    """I(X; Y) in nats from a joint table P: (n_x, n_y); zero entries contribute 0."""
    raise NotImplementedError


def infonce_lower_bound(scores: jax.Array) -> jax.Array:
    """InfoNCE bound from scores S: (N, N), S[i, j] = f(x_i, y_j); true pairs on the diagonal.

    I_NCE = mean_i [S_ii - log((1/N) sum_j exp(S_ij))]. Stable for large scores, please.
    """
    raise NotImplementedError
