# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Probability
#
# Machine learning is probability with gradients. A classifier outputs a distribution, its loss
# is a cross-entropy, regularization is a prior, and contrastive learning maximizes a bound on
# mutual information. This lesson builds each piece from the definitions in `jlr.probability`
# and checks it against an independent oracle (`scipy.stats`, `optax`, `sklearn`, closed forms):
# each `assert` below is a sentence of the prose, so if the prose stops being true, the lesson
# fails.
#
# Many of those sentences are about random quantities, so the lesson runs under any root seed
# (`JLR_SEED=3 python lessons/03_probability.py`; the default is 0). A random claim is asserted
# on a statistic with a stated margin: an average over many independent repetitions, or a
# bound that a correct computation violates with a probability we name (about $10^{-4}$ or
# less), never on one lucky draw.
#
# | topic | library module |
# | --- | --- |
# | random variables | `jlr.probability.sampling` |
# | expectation, variance, covariance | `jlr.probability.moments` |
# | joint and conditional distributions | `jlr.probability.joint`, `jlr.probability.bayes` |
# | independence vs correlation | `jlr.probability.independence` |
# | multivariate Gaussian | `jlr.probability.gaussian` |
# | MLE and MAP | `jlr.probability.mle`, `jlr.probability.map_estimation` |
# | entropy, cross-entropy, KL | `entropy`, `cross_entropy`, `kl`, `distribution_matching` |
# | mutual information | `jlr.probability.mutual_information`, `jlr.probability.infonce` |
#
# Exercises: `exercises/03_probability.py`, graded by `jlr check 03`.

# %%
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
import scipy.stats
from sklearn.linear_model import Ridge

from jlr.course.lesson import root_key, show
from jlr.probability import (
    bayes,
    cross_entropy,
    distribution_matching,
    entropy,
    gaussian,
    independence,
    infonce,
    joint,
    kl,
    map_estimation,
    mle,
    moments,
    mutual_information,
    sampling,
)

# The one root key (JLR_SEED, default 0), split into keys named for their use; each is used once.
key_names = [
    "demo", "other", "exp", "cat", "pvalues", "bisect", "mc", "coverage", "cov", "bayes",
    "dep", "mvn", "mle", "bias", "ridge", "coin", "entropy", "ce", "kl", "mix", "table", "nce",
]  # fmt: skip
keys = dict(zip(key_names, jax.random.split(root_key(), len(key_names)), strict=True))

# %% [markdown]
# ## 1. Random variables (discrete and continuous)
#
# A random variable $X$ is described by its cumulative distribution function
# $F(x) = P(X \le x)$. A discrete $X$ has a probability mass function $p(k) = P(X = k)$; a
# continuous one a density $p(x) = F'(x)$.
#
# In JAX randomness is explicit: a sampler is a pure function of a **key**. The same key gives
# the same draws; to get fresh draws you split the key. Nothing hides in a global seed. That is
# why a key is used once: reusing it does not give new randomness, it gives the *same* numbers
# again (the cell below reuses the key `keys["demo"]` on purpose, the one reuse in this lesson,
# to show it).
#
# **Inverse-CDF sampling.** If $U \sim \mathrm{Uniform}(0, 1)$ then $X = F^{-1}(U)$ has CDF $F$,
# because $P(F^{-1}(U) \le x) = P(U \le F(x)) = F(x)$. For the exponential distribution,
# $F(x) = 1 - e^{-\lambda x}$, so
# $$F^{-1}(u) = -\frac{\log(1 - u)}{\lambda}.$$
# For a discrete distribution $F$ is a staircase and $F^{-1}(u)$ is the first step above $u$:
# a `searchsorted` into the cumulative sums. We test both samplers with goodness-of-fit tests:
# Kolmogorov–Smirnov for the continuous one, $\chi^2$ for the counts of the discrete one.
#
# How to read a p-value: when the draws really come from the claimed distribution, the p-value
# is itself uniform on $[0, 1]$ (we check that below on 400 independent sets of draws: their
# p-values average $1/2$). So a correct sampler gets $p < 0.01$ one time in a hundred, and a
# small p-value is evidence against the claim only when it is far smaller than that. We assert
# $p > 10^{-4}$, which a correct sampler fails with probability $10^{-4}$; to show the test
# still has teeth, the same draws are tested against an exponential whose rate is 10% off, and
# that claim is rejected with $p < 10^{-6}$.

# %%
rate = 1.5
n_draws = 20000

# the same key gives the same draws (the deliberate reuse); a different key does not
demo_draws = sampling.sample_exponential(keys["demo"], rate, (5,))
assert jnp.array_equal(demo_draws, sampling.sample_exponential(keys["demo"], rate, (5,)))
assert not jnp.array_equal(demo_draws, sampling.sample_exponential(keys["other"], rate, (5,)))

exp_draws = sampling.sample_exponential(keys["exp"], rate, (n_draws,))
ks = scipy.stats.kstest(np.asarray(exp_draws), scipy.stats.expon(scale=1 / rate).cdf)
ks_wrong = scipy.stats.kstest(np.asarray(exp_draws), scipy.stats.expon(scale=1 / (1.1 * rate)).cdf)
print(f"Exponential({rate}) by inverse CDF: KS statistic {ks.statistic:.4f}, p = {ks.pvalue:.3f}")
print(f"the same draws tested against Exponential({1.1 * rate:.2f}): p = {ks_wrong.pvalue:.1e}")
assert ks.pvalue > 1e-4 and ks_wrong.pvalue < 1e-6

probs = jnp.array([0.1, 0.2, 0.4, 0.3])
cat_draws = sampling.sample_categorical(keys["cat"], probs, (n_draws,))
counts = np.bincount(np.asarray(cat_draws), minlength=4)
chi2 = scipy.stats.chisquare(counts, n_draws * np.asarray(probs))
print(
    f"Categorical{[round(float(p), 2) for p in probs]}: counts {counts.tolist()}, chi-square p = {chi2.pvalue:.3f}"
)
assert chi2.pvalue > 1e-4

# under the null the p-value is uniform: 400 independent sets of 500 draws (one vmap)
n_sets, n_per_set = 400, 500
draw_sets = jax.vmap(lambda k: sampling.sample_exponential(k, rate, (n_per_set,)))(
    jax.random.split(keys["pvalues"], n_sets)
)
null_pvalues = np.array(
    [
        scipy.stats.kstest(row, scipy.stats.expon(scale=1 / rate).cdf).pvalue
        for row in np.asarray(draw_sets)
    ]
)
pvalue_se = np.sqrt(1 / 12 / n_sets)  # a uniform has variance 1/12
print(
    f"KS p-values of {n_sets} correct samples: mean {null_pvalues.mean():.3f} (uniform: 0.5 ± {pvalue_se:.3f}), "
    f"{(null_pvalues < 0.01).mean():.1%} below 0.01"
)
assert abs(null_pvalues.mean() - 0.5) < 4 * pvalue_se

fig, (ax_cont, ax_disc) = plt.subplots(1, 2, figsize=(10, 3.5))
xs = jnp.linspace(0.0, 4.0, 200)
ax_cont.hist(
    np.asarray(exp_draws), bins=60, range=(0, 4), density=True, alpha=0.5, label="draws F⁻¹(U)"
)
ax_cont.plot(xs, rate * jnp.exp(-rate * xs), "k", label=r"density $\lambda e^{-\lambda x}$")
ax_cont.set_title(f"continuous: KS p = {ks.pvalue:.2f}")
ax_cont.legend()
ax_disc.bar(np.arange(4) - 0.2, counts / n_draws, width=0.4, label="empirical frequency")
ax_disc.bar(np.arange(4) + 0.2, np.asarray(probs), width=0.4, label="p(k)")
ax_disc.set_title(f"discrete: chi-square p = {chi2.pvalue:.2f}")
ax_disc.legend()
plt.tight_layout()
show("inverse-cdf-sampling")

# %% [markdown]
# Inverse-CDF sampling needs $F^{-1}$ in closed form. When only $F$ is known, bisection inverts
# it numerically: keep an interval $[lo, hi]$ with $F(lo) \le u \le F(hi)$ and halve it. Here it
# turns the normal CDF into a normal sampler, checked against `scipy.stats.norm.ppf`.

# %%
u = jax.random.uniform(keys["bisect"], (500,), minval=0.001, maxval=0.999)
normal_by_bisection = sampling.invert_cdf_bisection(jax.scipy.stats.norm.cdf, u, -10.0, 10.0)
bisection_error = float(jnp.max(jnp.abs(normal_by_bisection - scipy.stats.norm.ppf(np.asarray(u)))))
print(f"bisection vs scipy ppf: max error {bisection_error:.2e}")
assert bisection_error < 1e-4

# %% [markdown]
# ## 2. Expectation, variance, covariance
#
# $$\mathbb{E}[f(X)] = \int f(x)\, p(x)\, dx \approx \frac{1}{n}\sum_{i=1}^n f(x_i),\qquad
# x_i \sim p.$$
# The Monte Carlo average is itself random. Its variance is $\mathrm{Var}[f(X)]/n$, so its
# **standard error** $s/\sqrt{n}$ (with $s$ the sample standard deviation) shrinks as
# $1/\sqrt{n}$: to halve an error bar you need four times the samples. The central limit
# theorem says the estimate is approximately Gaussian, so for large $n$ it lands within two
# standard errors of the truth with probability about $P(|Z| < 2) = 95.4\%$.
#
# Variance and covariance are expectations too:
# $\mathrm{Var}[X] = \mathbb{E}[(X - \mu)^2]$ and
# $\mathrm{Cov}[X, Y] = \mathbb{E}[(X - \mu_X)(Y - \mu_Y)]$, estimated with the $1/(n-1)$
# divisor to be unbiased.
#
# We estimate the mean $\mathbb{E}[X] = 1/\lambda$ of the exponential distribution. Its
# standard deviation is also $1/\lambda$, so the exact standard error is $1/(\lambda\sqrt n)$.
# `running_mean_and_stderr` gives the estimate and its error bar after every prefix of one
# long run, so we can watch the bar shrink. The "95%" is a statement about many runs, so we
# check it on many: 2,000 independent runs of 1,000 draws each (one `vmap` over their keys),
# counting how often the truth lies inside estimate $\pm$ 2 standard errors. The count of
# covered runs is binomial, so the fraction has its own standard error
# $\sqrt{0.954 \cdot 0.046 / 2000} \approx 0.005$, and we allow four of those.

# %%
exact_mean = 1.0 / rate
n_mc = 100000
mc_draws = sampling.sample_exponential(keys["mc"], rate, (n_mc,))
estimate, stderr = moments.sample_mean_and_stderr(mc_draws)
print(
    f"E[X] = {exact_mean:.4f}; Monte Carlo with n = {n_mc}: {float(estimate):.4f} ± {float(stderr):.4f}"
)

# the same estimate after every prefix of the run: the last prefix is the whole run
running_means, running_stderrs = moments.running_mean_and_stderr(mc_draws)
running_means, running_stderrs = np.asarray(running_means), np.asarray(running_stderrs)
assert np.isclose(running_means[-1], float(estimate), rtol=1e-4)
n_axis = np.arange(1, n_mc + 1)
late = n_axis >= 1000  # from n = 1000 on, s has a relative error of about 5% or less
slope = np.polyfit(np.log(n_axis[late]), np.log(running_stderrs[late]), 1)[0]
print(f"log-log slope of the standard error vs n (n >= 1000): {slope:.3f} (theory: -0.5)")
assert abs(slope + 0.5) < 0.05
stderr_ratio = running_stderrs[late] * rate * np.sqrt(n_axis[late])  # estimated / exact
print(
    f"estimated / exact standard error for n >= 1000: {stderr_ratio.min():.3f} to {stderr_ratio.max():.3f}"
)
assert np.all(np.abs(stderr_ratio - 1) < 0.3)


# the 95% claim, over 2000 independent runs of n = 1000 draws
def exponential_sampler(sample_key, n):
    return sampling.sample_exponential(sample_key, rate, (n,))


n_runs, n_per_run = 2000, 1000
run_estimates, run_stderrs = jax.vmap(
    lambda k: moments.monte_carlo_expectation(k, exponential_sampler, lambda x: x, n_per_run)
)(jax.random.split(keys["coverage"], n_runs))
coverage = float(jnp.mean(jnp.abs(run_estimates - exact_mean) < 2 * run_stderrs))
nominal = float(scipy.stats.norm.cdf(2) - scipy.stats.norm.cdf(-2))
coverage_se = np.sqrt(nominal * (1 - nominal) / n_runs)
print(
    f"truth inside estimate ± 2 standard errors in {coverage:.3f} of {n_runs} runs "
    f"(CLT: {nominal:.3f} ± {coverage_se:.3f})"
)
assert abs(coverage - nominal) < 4 * coverage_se

fig, (ax_est, ax_err) = plt.subplots(1, 2, figsize=(10, 3.5))
shown = n_axis >= 10
ax_est.plot(n_axis[shown], running_means[shown], label="running estimate")
ax_est.fill_between(
    n_axis[shown],
    (running_means - 2 * running_stderrs)[shown],
    (running_means + 2 * running_stderrs)[shown],
    alpha=0.3,
    label="± 2 standard errors",
)
ax_est.axhline(exact_mean, color="k", ls="--", label=r"exact $1/\lambda$")
ax_est.set_xscale("log")
ax_est.set_xlabel("n")
ax_est.set_title("Monte Carlo estimate of E[X], X ~ Exp(λ)")
ax_est.legend()
ax_err.loglog(n_axis[shown], running_stderrs[shown], label=f"standard error (slope {slope:.2f})")
ax_err.loglog(n_axis[shown], np.abs(running_means - exact_mean)[shown], alpha=0.4, label="|error|")
ax_err.loglog(
    n_axis[shown], 1 / (rate * np.sqrt(n_axis[shown])), "k:", label=r"exact $1/(\lambda\sqrt{n})$"
)
ax_err.set_xlabel("n")
ax_err.legend()
plt.tight_layout()
show("monte-carlo-error")

# %% [markdown]
# The sample covariance matrix $C = \frac{1}{n-1}(X - \bar x)^\top (X - \bar x)$ agrees with
# `numpy.cov`; dividing by $\sqrt{C_{ii} C_{jj}}$ gives the correlation matrix.
#
# A note on precision. On NVIDIA GPUs JAX runs float32 matrix products in TF32 by default, which
# keeps only about 3 significant digits (relative error near $10^{-3}$). This comparison asks
# for agreement to $10^{-4}$, so the cell runs under
# `jax.default_matmul_precision("highest")`, which makes the products full float32 on every
# device (on a CPU it changes nothing). Later cells whose tight oracle comparisons go through
# matrix products or factorizations do the same (sections 5, 7, 8 and 11); the other tight
# checks (cross-entropy against `optax`, discrete entropies against `scipy`) are elementwise.

# %%
with jax.default_matmul_precision("highest"):
    x_cov = jax.random.normal(keys["cov"], (200, 3)) @ jnp.array(
        [[1.0, 0.8, 0.0], [0.0, 0.6, 0.0], [0.0, 0.0, 2.0]]
    )
    cov_hat = moments.sample_covariance(x_cov)
print("sample covariance:\n", np.round(np.asarray(cov_hat), 3))
print("correlation:\n", np.round(np.asarray(moments.correlation_from_covariance(cov_hat)), 3))
assert np.allclose(cov_hat, np.cov(np.asarray(x_cov), rowvar=False), rtol=1e-4, atol=1e-5)

# %% [markdown]
# ## 3. Joint and conditional distributions
#
# For two discrete variables the **joint table** $P_{ij} = p(X = x_i, Y = y_j)$ holds
# everything. Summing out one variable gives a **marginal**, $p(x_i) = \sum_j P_{ij}$;
# renormalizing a row gives a **conditional**, $p(y_j \mid x_i) = P_{ij} / p(x_i)$; and the
# **product rule** $P_{ij} = p(x_i)\, p(y_j \mid x_i)$ puts the table back together. Writing
# the product rule both ways and dividing gives **Bayes' rule**:
# $$p(h \mid d) = \frac{p(d \mid h)\, p(h)}{\sum_{h'} p(d \mid h')\, p(h')}.$$
#
# The classic example: a disease has prevalence 1%; a test detects it 99% of the time and has
# a 5% false-positive rate. What is $p(\text{disease} \mid \text{positive})$?

# %%
prior = jnp.array([0.01, 0.99])  # p(sick), p(healthy)
p_test_given_health = jnp.array([[0.99, 0.01], [0.05, 0.95]])  # rows h, columns (pos, neg)
health_test_joint = joint.joint_from_conditional(prior, p_test_given_health)
posterior = bayes.bayes_rule(prior, p_test_given_health[:, 0])
print("joint p(health, test):\n", np.asarray(health_test_joint))
print(f"p(sick | positive) = {float(posterior[0]):.3f}")
# Bayes' rule is a column of the conditional table p(h | test), and it is far below 0.99
assert np.allclose(posterior, joint.conditional_x_given_y(health_test_joint)[:, 0], rtol=1e-6)
assert posterior[0] < 0.2
assert np.allclose(joint.marginals(health_test_joint)[0], prior)

# %% [markdown]
# **A continuous example.** Let an unknown mean $\theta$ have prior $\mathcal N(m_0, s_0^2)$ and
# let observations be $x_i \mid \theta \sim \mathcal N(\theta, \sigma^2)$. The sum becomes an
# integral, $p(D) = \int p(D \mid \theta) p(\theta)\, d\theta$. On a grid of $\theta$ values we
# can normalize numerically (trapezoid rule); for this conjugate pair there is also a closed
# form, a Gaussian with
# $$\frac{1}{s_n^2} = \frac{1}{s_0^2} + \frac{n}{\sigma^2},\qquad
# m_n = s_n^2\Big(\frac{m_0}{s_0^2} + \frac{\sum_i x_i}{\sigma^2}\Big):$$
# precisions add, and the posterior mean is a precision-weighted average of prior and data.

# %%
true_theta, noise_var, prior_mean, prior_var = 1.5, 1.0, 0.0, 0.5
data = true_theta + jnp.sqrt(noise_var) * jax.random.normal(keys["bayes"], (8,))
theta_grid = jnp.linspace(-3.0, 4.0, 1401)
theta_np, data_np = np.asarray(theta_grid), np.asarray(data)
log_prior = scipy.stats.norm.logpdf(theta_np, prior_mean, np.sqrt(prior_var))  # (n_grid,)
log_likelihood = scipy.stats.norm.logpdf(
    data_np[None, :], theta_np[:, None], np.sqrt(noise_var)
).sum(1)
grid_density = np.asarray(
    bayes.grid_posterior(jnp.asarray(log_prior), jnp.asarray(log_likelihood), theta_grid)
)
post_mean, post_var = bayes.gaussian_mean_posterior(data, noise_var, prior_mean, prior_var)
closed_density = scipy.stats.norm.pdf(theta_np, float(post_mean), np.sqrt(float(post_var)))
grid_gap = float(np.max(np.abs(grid_density - closed_density)))
print(
    f"posterior N({float(post_mean):.3f}, {float(post_var):.4f}); grid vs closed form max gap {grid_gap:.1e}"
)
assert grid_gap < 1e-3
# a precision-weighted average: strictly between the prior mean and the data mean
assert min(prior_mean, float(data.mean())) < float(post_mean) < max(prior_mean, float(data.mean()))

plt.figure(figsize=(6, 3.5))
plt.plot(theta_np, np.exp(log_prior), label="prior p(θ)")
likelihood_curve = np.exp(log_likelihood - log_likelihood.max())
plt.plot(
    theta_np,
    likelihood_curve / np.trapezoid(likelihood_curve, theta_np),
    label="likelihood (normalized)",
)
plt.plot(theta_np, grid_density, lw=3, alpha=0.5, label="posterior on the grid")
plt.plot(theta_np, closed_density, "k--", label="conjugate closed form")
plt.xlabel("θ")
plt.legend()
plt.title("Bayes' rule for a continuous parameter")
show("bayes-continuous")

# %% [markdown]
# ## 4. Independence vs correlation
#
# $X$ and $Y$ are **independent** when $p(x, y) = p(x)\,p(y)$ for all $x, y$; they are
# **uncorrelated** when $\mathrm{Cov}[X, Y] = 0$. Independence implies zero covariance, but not
# the other way round: covariance measures only *linear* dependence.
#
# Take $X$ uniform on $\{-1, 0, 1\}$ and $Y = X^2$. Then
# $\mathrm{Cov}[X, Y] = \mathbb E[X^3] - \mathbb E[X]\,\mathbb E[X^2] = 0$, yet $Y$ is a
# *function* of $X$. Mutual information (section 11), $I(X;Y) = \mathrm{KL}(p(x,y)\,\|\,p(x)p(y))$,
# is zero only under independence, and here it equals the entropy of $Y$,
# $H(Y) = -\sum_y p(y) \log p(y)$ (section 8): knowing $X$ removes all uncertainty about $Y$.

# %%
dep_table, x_values, y_values = independence.uncorrelated_dependent_table()
table_cov = float(independence.covariance_from_table(dep_table, x_values, y_values))
table_mi = float(mutual_information.mutual_information(dep_table))
print(f"X uniform on {{-1,0,1}}, Y = X^2: Cov = {table_cov:.2e}, I(X;Y) = {table_mi:.4f} nats")
print(f"max |p(x,y) - p(x)p(y)| = {float(independence.independence_gap(dep_table)):.3f}")
assert abs(table_cov) < 1e-7
assert table_mi > 0.5
assert np.isclose(table_mi, float(entropy.entropy(joint.marginals(dep_table)[1])), rtol=1e-5)

# %% [markdown]
# The continuous version: $X \sim \mathcal N(0, 1)$ and $Y = X^2 + 0.1\,\varepsilon$, with
# $\varepsilon \sim \mathcal N(0, 1)$ independent of $X$, so $\mathrm{Cov}[X, Y] = \mathbb E[X^3] = 0$.
#
# How close to zero should a *sample* correlation $r$ of $n$ pairs be? The rule of thumb
# "$r$ has standard error $1/\sqrt n$" holds for **independent** variables. For uncorrelated
# but dependent ones the central limit theorem gives, with $\tilde X = X - \mathbb E X$ and
# $\tilde Y = Y - \mathbb E Y$,
# $$\sqrt n\, r \;\to\; \mathcal N\Big(0,\ \frac{\mathbb E[\tilde X^2 \tilde Y^2]}{\mathrm{Var}[X]\,\mathrm{Var}[Y]}\Big),$$
# and the numerator factorizes into $\mathrm{Var}[X]\,\mathrm{Var}[Y]$ (variance 1) only under
# independence. Here $\tilde Y = X^2 - 1 + 0.1\varepsilon$, so
# $\mathbb E[\tilde X^2 \tilde Y^2] = \mathbb E[X^6] - 2\mathbb E[X^4] + \mathbb E[X^2] + 0.01
# = 15 - 6 + 1 + 0.01$ and $\mathrm{Var}[Y] = 2.01$: the standard error is
# $\sqrt{10.01/2.01}/\sqrt n \approx 2.23/\sqrt n$, more than twice the rule of thumb. We check
# both claims, zero mean and that spread, on 800 independent data sets (one `vmap`).
#
# Covariance is blind to this dependence; a histogram estimate of the mutual information is
# not. Pairing each $x_i$ with a *different* $y_j$ (reversing $y$) destroys the dependence and
# the estimate drops to its small positive bias. Under independence, $2n$ times the plug-in
# estimate on a $b \times b$ table is approximately $\chi^2$ with $(b-1)^2$ degrees of freedom
# (the G-test), so the bias is about $(b-1)^2/(2n)$ nats, less when bins are empty. The bins
# span the data's range, so a few extreme $x_i^2$ widen them and lower the dependent estimate
# from one data set to the next; we compare the two estimates on all 800 data sets.

# %%
n_pairs, n_datasets, n_bins = 5000, 800, 12
x_dep, y_dep = jax.vmap(lambda k: independence.sample_uncorrelated_dependent(k, n_pairs))(
    jax.random.split(keys["dep"], n_datasets)
)  # (n_datasets, n_pairs) each


def sample_correlation(x, y):
    """r = mean(x~ y~) / sqrt(mean(x~^2) mean(y~^2)), x~ = x - mean(x). x, y: (n,) -> ()."""
    x_centered, y_centered = x - x.mean(), y - y.mean()
    return jnp.mean(x_centered * y_centered) / jnp.sqrt(
        jnp.mean(x_centered**2) * jnp.mean(y_centered**2)
    )


corrs = np.asarray(jax.vmap(sample_correlation)(x_dep, y_dep))  # (n_datasets,)
corr_sd_theory = np.sqrt((15 - 6 + 1 + 0.1**2) / (2 + 0.1**2)) / np.sqrt(n_pairs)
corr_mean_se = corrs.std(ddof=1) / np.sqrt(n_datasets)
print(
    f"sample correlation over {n_datasets} data sets of n = {n_pairs}: mean {corrs.mean():+.5f} "
    f"(standard error {corr_mean_se:.5f})"
)
print(
    f"spread of r: {corrs.std(ddof=1):.4f}; theory 2.23/sqrt(n) = {corr_sd_theory:.4f}; "
    f"rule of thumb 1/sqrt(n) = {1 / np.sqrt(n_pairs):.4f}"
)
assert abs(corrs.mean()) < 4 * corr_mean_se  # uncorrelated: E[r] = 0 (up to O(1/n))
# the spread matches the theory (a sd over 800 sets has relative error ~2.5%), and so it is
# more than twice the rule of thumb
assert abs(corrs.std(ddof=1) / corr_sd_theory - 1) < 0.15

histogram_mi = jax.vmap(lambda x, y: mutual_information.histogram_mutual_information(x, y, n_bins))
mi_dep = np.asarray(histogram_mi(x_dep, y_dep))  # (n_datasets,)
mi_repaired = np.asarray(histogram_mi(x_dep, y_dep[:, ::-1]))
mi_bias = (n_bins - 1) ** 2 / (2 * n_pairs)
print(
    f"histogram MI over {n_datasets} data sets: dependent pairs {mi_dep.min():.3f} to {mi_dep.max():.3f} "
    f"nats, re-paired {mi_repaired.min():.4f} to {mi_repaired.max():.4f} nats "
    f"(bias scale (b-1)^2/(2n) = {mi_bias:.4f})"
)
assert mi_repaired.mean() < mi_bias  # the re-paired estimate is bias only
assert mi_dep.min() > 10 * mi_repaired.max()  # in every data set, far above it

plt.figure(figsize=(4.5, 3.5))
plt.scatter(np.asarray(x_dep[0, :1500]), np.asarray(y_dep[0, :1500]), s=3, alpha=0.4)
plt.title(f"corr = {corrs[0]:.3f}, MI ≈ {mi_dep[0]:.2f} nats")
plt.xlabel("x")
plt.ylabel("y = x² + noise")
show("uncorrelated-dependent")

# %% [markdown]
# ## 5. Multivariate Gaussian distributions
#
# $$\log \mathcal N(x; \mu, \Sigma) = -\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)
#   - \tfrac12 \log\det(2\pi\Sigma).$$
# Everything goes through the **Cholesky factor** $\Sigma = L L^\top$ ($L$ lower triangular):
#
# * sampling: $z \sim \mathcal N(0, I) \Rightarrow \mu + L z \sim \mathcal N(\mu, \Sigma)$,
#   since $\mathrm{Cov}[Lz] = L I L^\top = \Sigma$;
# * density: the Mahalanobis term is $\|L^{-1}(x - \mu)\|^2$ (a triangular solve) and
#   $\log\det\Sigma = 2\sum_i \log L_{ii}$.
#
# Splitting $x = (x_a, x_b)$, the **marginal** is $x_a \sim \mathcal N(\mu_a, \Sigma_{aa})$ and
# the **conditional** is Gaussian with
# $$\mu_{a|b} = \mu_a + \Sigma_{ab}\Sigma_{bb}^{-1}(x_b - \mu_b),\qquad
# \Sigma_{a|b} = \Sigma_{aa} - \Sigma_{ab}\Sigma_{bb}^{-1}\Sigma_{ba}.$$
#
# The log-density is compared with `jax.scipy.stats` to $10^{-5}$, so it is computed at full
# float32 precision (`"highest"`, as in section 2); the sample covariance of the draws is
# compared at a statistical tolerance far looser than TF32's error, so it needs no such care.

# %%
mvn_mean = jnp.array([1.0, -1.0])
mvn_cov = jnp.array([[1.0, 0.8], [0.8, 1.5]])
n_mvn = 200000
mvn_draws = gaussian.mvn_sample(keys["mvn"], mvn_mean, mvn_cov, (n_mvn,))
points = mvn_draws[:5]
with jax.default_matmul_precision("highest"):
    ours = jax.vmap(gaussian.mvn_log_density, in_axes=(0, None, None))(points, mvn_mean, mvn_cov)
    theirs = jax.jit(jax.vmap(jax.scipy.stats.multivariate_normal.logpdf, in_axes=(0, None, None)))(
        points, mvn_mean, mvn_cov
    )
print(
    "log-density, ours vs jax.scipy:",
    np.round(np.asarray(ours), 5),
    np.round(np.asarray(theirs), 5),
)
assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-5)
print(
    "sample covariance of Cholesky draws:\n",
    np.round(np.cov(np.asarray(mvn_draws), rowvar=False), 3),
)
# each entry's sampling error is below 0.005 at this n, so 0.05 is a 10-standard-error margin
assert np.allclose(np.cov(np.asarray(mvn_draws), rowvar=False), mvn_cov, atol=0.05)

# %% [markdown]
# We check the conditional formula against sampling: keep the draws whose $x_2$ lands in a
# thin slice around $x_b$ and compare their $x_1$ with $\mathcal N(\mu_{a|b}, \Sigma_{a|b})$.

# %%
x_b = jnp.array([0.0])
cond_mean, cond_cov = gaussian.mvn_conditional(mvn_mean, mvn_cov, (0,), (1,), x_b)
in_slice = np.abs(np.asarray(mvn_draws[:, 1]) - float(x_b[0])) < 0.05
slice_x1 = np.asarray(mvn_draws[in_slice, 0])
print(
    f"conditional x1 | x2 = 0: formula N({float(cond_mean[0]):.3f}, {float(cond_cov[0, 0]):.3f}); "
    f"{in_slice.sum()} draws in the slice: mean {slice_x1.mean():.3f}, var {slice_x1.var():.3f}"
)
# margins: 5 standard errors of the slice mean, plus 0.02 for the slice's nonzero width; the
# slice variance has a relative standard error sqrt(2 / n_slice) ~ 0.02, so 0.2 is ~10 of them
assert (
    abs(slice_x1.mean() - float(cond_mean[0]))
    < 5 * np.sqrt(float(cond_cov[0, 0]) / in_slice.sum()) + 0.02
)
assert abs(slice_x1.var() / float(cond_cov[0, 0]) - 1) < 0.2
marg_mean, marg_cov = gaussian.mvn_marginal(mvn_mean, mvn_cov, (0,))
assert abs(float(mvn_draws[:, 0].var()) - float(marg_cov[0, 0])) < 0.05

fig, (ax_joint, ax_cond) = plt.subplots(1, 2, figsize=(10, 3.8))
ax_joint.scatter(np.asarray(mvn_draws[:3000, 0]), np.asarray(mvn_draws[:3000, 1]), s=2, alpha=0.3)
ax_joint.axhspan(-0.05, 0.05, color="C1", alpha=0.4, label="slice x₂ ≈ 0")
grid_x2 = jnp.linspace(-4.0, 2.5, 50)
cond_means = jax.vmap(
    lambda b: gaussian.mvn_conditional(mvn_mean, mvn_cov, (0,), (1,), b[None])[0][0]
)(grid_x2)
ax_joint.plot(cond_means, grid_x2, "k", label="E[x₁ | x₂]")
ax_joint.set_xlabel("x₁")
ax_joint.set_ylabel("x₂")
ax_joint.legend()
x1_grid = np.linspace(-3.0, 4.5, 200)
ax_cond.hist(slice_x1, bins=30, density=True, alpha=0.5, label="x₁ of draws in the slice")
ax_cond.plot(
    x1_grid,
    scipy.stats.norm.pdf(x1_grid, float(cond_mean[0]), np.sqrt(float(cond_cov[0, 0]))),
    "k",
    label="conditional by formula",
)
ax_cond.plot(
    x1_grid,
    scipy.stats.norm.pdf(x1_grid, float(marg_mean[0]), np.sqrt(float(marg_cov[0, 0]))),
    "C2--",
    label="marginal of x₁",
)
ax_cond.legend(fontsize=8)
plt.tight_layout()
show("gaussian-conditional")

# %% [markdown]
# ## 6. Maximum Likelihood Estimation (MLE)
#
# Given iid data, choose the parameters that make it most probable:
# $\hat\theta = \arg\max_\theta \sum_i \log p(x_i \mid \theta)$. Setting the gradient to zero
# gives closed forms:
#
# * Gaussian: $\hat\mu = \frac1n\sum_i x_i$, $\hat\sigma^2 = \frac1n\sum_i (x_i - \hat\mu)^2$
#   (divided by $n$: the MLE of the variance is biased low, $\mathbb E[\hat\sigma^2] =
#   \frac{n-1}{n}\sigma^2$, which we check below on many small data sets);
# * Bernoulli: $\hat p = \frac1n \sum_i x_i$;  categorical: $\hat p_k = n_k / n$.
#
# Without a closed form we climb the log-likelihood with its gradient. Parametrizing in
# unconstrained coordinates (mean and $\log\sigma$; logits) keeps every step valid, and
# gradient ascent lands on the same answers.

# %%
gauss_key, cat_mle_key = jax.random.split(keys["mle"])
gauss_data = 2.0 + 0.7 * jax.random.normal(gauss_key, (100,))
mu_hat, var_hat = mle.gaussian_mle(gauss_data)
n_ascent = 300
fitted, loglik_history = mle.gradient_ascent(
    mle.gaussian_log_likelihood,
    {"mean": jnp.array(0.0), "log_std": jnp.array(0.0)},
    gauss_data,
    0.3,
    n_ascent,
)
print(f"Gaussian MLE closed form: mu {float(mu_hat):.4f}, var {float(var_hat):.4f}")
fitted_var = np.exp(2 * float(fitted["log_std"]))
print(f"gradient ascent:          mu {float(fitted['mean']):.4f}, var {fitted_var:.4f}")
assert abs(float(fitted["mean"]) - float(mu_hat)) < 1e-3
assert abs(fitted_var / float(var_hat) - 1) < 1e-3

labels = jax.random.categorical(cat_mle_key, jnp.log(jnp.array([0.5, 0.3, 0.2])), shape=(200,))
cat_fit, _ = mle.gradient_ascent(
    mle.categorical_log_likelihood, {"logits": jnp.zeros(3)}, labels, 2.0, 300
)
bern = (labels == 0).astype(jnp.float32)
bern_fit, _ = mle.gradient_ascent(
    mle.bernoulli_log_likelihood, {"logit": jnp.array(0.0)}, bern, 2.0, 300
)
cat_closed, cat_ascended = (
    np.asarray(mle.categorical_mle(labels, 3)),
    np.asarray(jax.nn.softmax(cat_fit["logits"])),
)
bern_closed, bern_ascended = (
    float(mle.bernoulli_mle(bern)),
    1 / (1 + np.exp(-float(bern_fit["logit"]))),
)
print(
    "categorical: counts/n",
    np.round(cat_closed, 4),
    " softmax(ascended logits)",
    np.round(cat_ascended, 4),
)
print(f"Bernoulli: mean {bern_closed:.4f}, sigmoid(ascended logit) {bern_ascended:.4f}")
assert np.allclose(cat_ascended, cat_closed, atol=1e-3)
assert abs(bern_ascended - bern_closed) < 1e-3

# the bias of the variance MLE: 4000 data sets of n = 5 draws from N(2, 0.7^2), one vmap
n_small, n_small_sets, true_var = 5, 4000, 0.7**2
small_sets = 2.0 + 0.7 * jax.random.normal(keys["bias"], (n_small_sets, n_small))
var_ratios = np.asarray(jax.vmap(lambda x: mle.gaussian_mle(x)[1])(small_sets)) / true_var
ratio_se = var_ratios.std(ddof=1) / np.sqrt(n_small_sets)
print(
    f"mean of the variance MLE / true variance at n = {n_small}: {var_ratios.mean():.3f} "
    f"± {ratio_se:.3f} (theory (n-1)/n = {(n_small - 1) / n_small:.3f})"
)
assert abs(var_ratios.mean() - (n_small - 1) / n_small) < 4 * ratio_se
assert var_ratios.mean() + 4 * ratio_se < 1.0  # biased low, beyond noise

plt.figure(figsize=(5, 3))
plt.plot(loglik_history)
closed_form_params = {"mean": mu_hat, "log_std": jnp.asarray(0.5 * np.log(float(var_hat)))}
plt.axhline(
    float(mle.gaussian_log_likelihood(closed_form_params, gauss_data)),
    color="k",
    ls="--",
    label="at the closed form",
)
plt.xlabel("gradient-ascent step")
plt.ylabel("mean log-likelihood")
plt.legend()
show("mle-gradient-ascent")

# %% [markdown]
# ## 7. Maximum A Posteriori (MAP) estimation
#
# MAP adds a prior: $\hat\theta_{\mathrm{MAP}} = \arg\max_\theta\,\log p(D\mid\theta) + \log p(\theta)$.
#
# **A Gaussian prior is ridge regression.** With $y = Xw + \varepsilon$,
# $\varepsilon \sim \mathcal N(0, \sigma^2 I)$ and $w \sim \mathcal N(0, \tau^2 I)$,
# $$-\log p(w \mid D) = \frac{\|y - Xw\|^2}{2\sigma^2} + \frac{\|w\|^2}{2\tau^2} + \text{const}
# \;\Longrightarrow\; w_{\mathrm{MAP}} = (X^\top X + \lambda I)^{-1} X^\top y,\quad
# \lambda = \sigma^2/\tau^2.$$
# An L2 penalty on the weights (weight decay, in plain gradient descent) *is* a Gaussian prior;
# a tighter prior (smaller $\tau$) means a larger $\lambda$. For any $\lambda > 0$ the MAP
# weights have a smaller norm than the least-squares ones: the prior **shrinks** them toward 0.
# The comparison with `sklearn` asks for $10^{-3}$ relative agreement, at the edge of what TF32
# products give, so the solve runs at `"highest"` precision.

# %%
ridge_x_key, ridge_noise_key = jax.random.split(keys["ridge"])
x_ridge = jax.random.normal(ridge_x_key, (40, 5))
w_true = jnp.array([1.0, -2.0, 0.0, 0.5, 3.0])
ridge_noise_var, ridge_prior_var = 0.25, 0.1
with jax.default_matmul_precision("highest"):
    y_ridge = x_ridge @ w_true + jnp.sqrt(ridge_noise_var) * jax.random.normal(
        ridge_noise_key, (40,)
    )
    w_map = map_estimation.gaussian_prior_map(x_ridge, y_ridge, ridge_noise_var, ridge_prior_var)
    grad_at_map = jax.grad(map_estimation.linear_gaussian_log_posterior)(
        w_map, x_ridge, y_ridge, ridge_noise_var, ridge_prior_var
    )
    w_least_squares = jnp.linalg.lstsq(x_ridge, y_ridge)[0]
w_sklearn = (
    Ridge(alpha=ridge_noise_var / ridge_prior_var, fit_intercept=False)
    .fit(np.asarray(x_ridge), np.asarray(y_ridge))
    .coef_
)
print("w_MAP  ", np.round(np.asarray(w_map), 4))
print("sklearn", np.round(w_sklearn, 4))
print(f"|grad log posterior| at w_MAP = {float(jnp.linalg.norm(grad_at_map)):.1e}")
print(
    f"|w_MAP| = {float(jnp.linalg.norm(w_map)):.4f} < |w_least_squares| = {float(jnp.linalg.norm(w_least_squares)):.4f}"
)
assert np.allclose(w_map, w_sklearn, rtol=1e-3, atol=1e-4)
assert float(jnp.linalg.norm(w_map)) < float(jnp.linalg.norm(w_least_squares))  # shrinkage

# %% [markdown]
# **Beta–Bernoulli.** A coin with unknown $p$ and prior $\mathrm{Beta}(a, b)$; after $h$ heads
# in $n$ flips the posterior is $\mathrm{Beta}(a + h, b + n - h)$ (conjugacy: the prior acts
# like $a - 1$ extra heads and $b - 1$ extra tails). Three point estimates:
# $$\hat p_{\mathrm{MLE}} = \frac hn,\qquad
# \hat p_{\mathrm{MAP}} = \frac{a + h - 1}{a + b + n - 2},\qquad
# \mathbb E[p \mid D] = \frac{a + h}{a + b + n}.$$
# With little data the prior pulls the MAP and the posterior mean toward its own mean $1/2$;
# as $n$ grows the likelihood swamps the prior and all three converge to the true $p$. After
# $n$ flips each estimate is within a few $\sqrt{p(1-p)/n}$ of $p$ (its standard error, plus a
# prior-induced bias of order $1/n$); we assert four of them, which a correct computation
# exceeds with probability below $10^{-4}$.

# %%
a_prior, b_prior, p_true = 4.0, 4.0, 0.8
n_flips = 5000
flips = sampling.sample_bernoulli(keys["coin"], p_true, (n_flips,)).astype(jnp.float32)
est = map_estimation.beta_bernoulli_estimates(flips, a_prior, b_prior)
for n in (3, 30, n_flips):
    print(
        f"n = {n:5d}: MLE {float(est['mle'][n - 1]):.3f}  MAP {float(est['map'][n - 1]):.3f}  "
        f"posterior mean {float(est['posterior_mean'][n - 1]):.3f}"
    )
early_gap = float(jnp.abs(est["map"][4] - est["mle"][4]))  # after 5 flips
late_gap = float(jnp.abs(est["map"][-1] - est["mle"][-1]))
print(f"|MAP - MLE| after 5 flips {early_gap:.4f}, after {n_flips} flips {late_gap:.5f}")
assert late_gap < early_gap / 10
final_errors = [abs(float(est[name][-1]) - p_true) for name in ("mle", "map", "posterior_mean")]
final_se = np.sqrt(p_true * (1 - p_true) / n_flips)
print(f"largest final error {max(final_errors):.4f}; 4 standard errors {4 * final_se:.4f}")
assert max(final_errors) < 4 * final_se

n_axis = np.arange(1, n_flips + 1)
plt.figure(figsize=(7, 3.5))
plt.semilogx(n_axis, est["mle"], label="MLE h/n", alpha=0.8)
plt.semilogx(n_axis, est["map"], label="MAP (posterior mode)")
plt.semilogx(n_axis, est["posterior_mean"], label="posterior mean")
plt.axhline(p_true, color="k", ls="--", label="true p")
plt.axhline(a_prior / (a_prior + b_prior), color="gray", ls=":", label="prior mean")
plt.xlabel("number of flips n")
plt.ylabel("estimate of p")
plt.title(f"Beta({a_prior:g}, {b_prior:g}) prior: estimates meet as data grows")
plt.legend(fontsize=8)
plt.tight_layout()
show("beta-bernoulli")

# %% [markdown]
# ## 8. Entropy and uncertainty
#
# The **entropy** $H(p) = -\sum_k p_k \log p_k$ is the average surprise $-\log p(X)$, in nats
# (bits with $\log_2$). It is $0$ for a certain outcome and at most $\log K$, reached by the
# uniform distribution. By convention $0 \log 0 = 0$; the code must not produce NaN there.
# A Gaussian has **differential** entropy
# $$h(\mathcal N(\mu, \Sigma)) = \tfrac12 \log\det(2\pi e\,\Sigma),$$
# which depends only on the spread and can be negative. Conditioning never increases entropy
# on average: $H(Y\mid X) \le H(Y)$.

# %%
p_grid = np.linspace(0.0, 1.0, 201)
binary_h = np.asarray(
    entropy.entropy(jnp.asarray(np.stack([p_grid, 1 - p_grid], axis=-1)))
)  # one H per row
h_max = binary_h.max()
assert np.all(np.isfinite(binary_h)) and binary_h[0] == 0.0
print(
    f"max binary entropy {h_max:.4f} nats = {float(entropy.to_bits(h_max)):.4f} bits at p = {p_grid[binary_h.argmax()]:.2f}"
)
assert np.isclose(h_max, np.log(2), rtol=1e-6)

probs6 = jax.random.dirichlet(keys["entropy"], jnp.ones(6))
h6, h6_scipy = float(entropy.entropy(probs6)), scipy.stats.entropy(np.asarray(probs6))
print(f"H(random 6-way p) = {h6:.4f}; scipy {h6_scipy:.4f}; log 6 = {np.log(6):.4f}")
assert np.isclose(h6, h6_scipy, rtol=1e-5) and h6 <= np.log(6)

gaussian_entropies = jax.jit(jax.vmap(lambda s: entropy.gaussian_entropy(s**2 * jnp.eye(1))))
sigmas = np.linspace(0.05, 3.0, 100)
h_sigmas = np.asarray(gaussian_entropies(jnp.asarray(sigmas)))
with jax.default_matmul_precision("highest"):  # a Cholesky factor, checked to 1e-5
    h_gauss = float(entropy.gaussian_entropy(mvn_cov))
h_scipy = scipy.stats.multivariate_normal(np.zeros(2), np.asarray(mvn_cov)).entropy()
print(
    f"Gaussian entropy {h_gauss:.4f} (scipy {h_scipy:.4f}); narrow N(0, 0.05²): {h_sigmas[0]:.4f}"
)
assert np.isclose(h_gauss, h_scipy, rtol=1e-5)
assert h_sigmas[0] < 0
h_health_given_test = float(entropy.conditional_entropy(health_test_joint.T))  # rows: test result
print(
    f"H(health) = {float(entropy.entropy(prior)):.4f}, H(health | test) = {h_health_given_test:.4f}"
)
assert h_health_given_test <= float(entropy.entropy(prior))

fig, (ax_h, ax_g) = plt.subplots(1, 2, figsize=(10, 3.2))
ax_h.plot(p_grid, binary_h)
ax_h.axhline(np.log(2), color="k", ls=":", label="log 2")
ax_h.set_xlabel("p")
ax_h.set_title("binary entropy H(p, 1-p)")
ax_h.legend()
ax_g.plot(sigmas, h_sigmas)
ax_g.axhline(0.0, color="k", lw=0.5)
ax_g.set_xlabel("σ")
ax_g.set_title("Gaussian differential entropy ½log(2πeσ²)")
plt.tight_layout()
show("entropy")

# %% [markdown]
# ## 9. Cross-entropy loss
#
# A classifier outputs logits $z$; its distribution is $q = \mathrm{softmax}(z)$. The
# cross-entropy against a target distribution $p$ is
# $$H(p, q) = -\sum_k p_k \log q_k = H(p) + \mathrm{KL}(p\,\|\,q),$$
# so minimizing it over $q$ minimizes the KL to the targets. Computing $\log q$ by first forming
# $q = e^{z}/\sum e^{z}$ overflows: $e^{10^4}$ is `inf` in float32. The stable form never forms
# $q$:
# $$\log \mathrm{softmax}(z)_k = z_k - m - \log\sum_j e^{z_j - m},\qquad m = \max_j z_j,$$
# where every exponent is $\le 0$. With an integer label $y$ (a one-hot $p$) it is simply
# $-\log \mathrm{softmax}(z)_y = \mathrm{logsumexp}(z) - z_y$: that is
# `cross_entropy.softmax_cross_entropy(logits, labels)`, the loss every classifier in JLR trains
# on (one loss per example; a batch's loss is its `jnp.mean`). Soft targets $p$ use
# `cross_entropy.cross_entropy(logits, target_probs)`.

# %%
optax_ce = jax.jit(optax.softmax_cross_entropy)  # the oracles, compiled once
optax_ce_int = jax.jit(optax.softmax_cross_entropy_with_integer_labels)
huge_logits = jnp.array([[1e4, -1e4, 0.0], [-1e4, 0.0, 1e4]])
huge_labels = jnp.array([1, 2])
naive = cross_entropy.naive_softmax_cross_entropy(huge_logits, huge_labels)
stable = cross_entropy.softmax_cross_entropy(huge_logits, huge_labels)
print("naive :", naive)
print("stable:", stable, " optax:", optax_ce_int(huge_logits, huge_labels))
assert not np.all(np.isfinite(naive))
assert np.all(np.isfinite(stable)) and np.allclose(stable, [2e4, 0.0])
assert np.all(
    np.isfinite(
        jax.jit(jax.grad(lambda z: cross_entropy.softmax_cross_entropy(z, huge_labels).sum()))(
            huge_logits
        )
    )
)

logits_key, targets_key = jax.random.split(keys["ce"])
logits = 3.0 * jax.random.normal(logits_key, (8, 5))
targets = jax.random.dirichlet(targets_key, jnp.ones(5), (8,))
int_labels = jnp.argmax(targets, axis=-1)
soft_gap = float(
    jnp.max(jnp.abs(cross_entropy.cross_entropy(logits, targets) - optax_ce(logits, targets)))
)
int_gap = float(
    jnp.max(
        jnp.abs(
            cross_entropy.softmax_cross_entropy(logits, int_labels)
            - optax_ce_int(logits, int_labels)
        )
    )
)
decomposition = entropy.entropy(targets) + kl.kl_categorical(targets, jax.nn.softmax(logits))
identity_gap = float(jnp.max(jnp.abs(cross_entropy.cross_entropy(logits, targets) - decomposition)))
print(
    f"max |ours - optax|: soft targets {soft_gap:.1e}, integer labels {int_gap:.1e}; |H(p,q) - H(p) - KL| {identity_gap:.1e}"
)
assert soft_gap < 1e-4 and int_gap < 1e-4 and identity_gap < 1e-4

# %% [markdown]
# ## 10. KL divergence and distribution matching
#
# $$\mathrm{KL}(p\,\|\,q) = \mathbb E_{x\sim p}\big[\log p(x) - \log q(x)\big] \ge 0,$$
# with equality only when $p = q$ (Gibbs' inequality, from Jensen). For Gaussians it has a
# closed form,
# $$\mathrm{KL}(\mathcal N_0\|\mathcal N_1) = \tfrac12\Big[\mathrm{tr}(\Sigma_1^{-1}\Sigma_0)
#   + (\mu_1-\mu_0)^\top\Sigma_1^{-1}(\mu_1-\mu_0) - d + \log\tfrac{\det\Sigma_1}{\det\Sigma_0}\Big],$$
# and in general the expectation can be estimated by Monte Carlo with an error bar. The
# estimate is an average of $n$ independent log-ratios, so by the central limit theorem it lies
# within 4 of its standard errors of the closed form except with probability about
# $6 \cdot 10^{-5}$.

# %%
kl_cov_key, kl_sample_key = jax.random.split(keys["kl"])
mean0, mean1 = jnp.array([0.0, 1.0]), jnp.array([1.0, 0.0])
cov0, cov1 = mvn_cov, gaussian.random_covariance(kl_cov_key, 2, jitter=0.5)
exact_kl = float(kl.kl_gaussian(mean0, cov0, mean1, cov1))
mc_kl, mc_stderr = kl.kl_monte_carlo(
    kl_sample_key,
    lambda k, n: gaussian.mvn_sample(k, mean0, cov0, (n,)),
    lambda x: gaussian.mvn_log_density(x, mean0, cov0),
    lambda x: gaussian.mvn_log_density(x, mean1, cov1),
    200000,
)
reverse_direction = float(kl.kl_gaussian(mean1, cov1, mean0, cov0))
print(
    f"KL closed form {exact_kl:.4f}; Monte Carlo {float(mc_kl):.4f} ± {float(mc_stderr):.4f}; reverse direction {reverse_direction:.4f}"
)
assert abs(float(mc_kl) - exact_kl) < 4 * float(mc_stderr)
assert exact_kl > 0 and not np.isclose(
    exact_kl, reverse_direction, rtol=1e-2
)  # KL is not symmetric

# %% [markdown]
# **Forward vs reverse KL.** Fit a single Gaussian $q$ to a bimodal mixture $p$.
#
# * *Forward* $\min_q \mathrm{KL}(p\|q) = \min_q -\mathbb E_p[\log q] + \text{const}$: wherever
#   $p$ has mass, $\log q$ must not be very negative, so $q$ **covers all modes**. For a
#   Gaussian $q$ the optimum matches the mean and variance of $p$; minimizing it from samples
#   of $p$ is exactly maximum likelihood.
# * *Reverse* $\min_q \mathrm{KL}(q\|p) = \min_q -H(q) - \mathbb E_q[\log p]$: $q$ is punished
#   for mass where $p$ is tiny, so it **seeks one mode** and ignores the other. This is the
#   objective of variational inference. Which mode it finds depends on where it starts.
#
# We minimize each with Adam; $\mathbb E_q[\cdot]$ is computed by Gauss–Hermite quadrature,
# which is deterministic and differentiable in $(\mu, \sigma)$.

# %%
mix_w, mix_mu, mix_sd = jnp.array([0.5, 0.5]), jnp.array([-2.0, 2.0]), jnp.array([0.6, 0.6])


def log_p_mix(x):
    return distribution_matching.mixture_log_density(x, mix_w, mix_mu, mix_sd)


mix_draws = distribution_matching.mixture_sample(keys["mix"], mix_w, mix_mu, mix_sd, 20000)
forward_fit, _ = distribution_matching.fit_gaussian(
    lambda q: distribution_matching.forward_kl_up_to_constant(q, mix_draws), 0.5, 1.0, n_steps=600
)
moment_mean, moment_var = distribution_matching.mixture_moments(mix_w, mix_mu, mix_sd)


def reverse_objective(q):
    return distribution_matching.reverse_kl(q, log_p_mix)


reverse_fits = [
    distribution_matching.fit_gaussian(reverse_objective, mu0, 0.5)[0] for mu0 in (0.3, -0.3)
]
for name, fit in [
    ("forward", forward_fit),
    ("reverse from +0.3", reverse_fits[0]),
    ("reverse from -0.3", reverse_fits[1]),
]:
    print(f"{name:18s}: mu {float(fit['mu']):+.3f}, sigma {float(jnp.exp(fit['log_sigma'])):.3f}")
print(f"mixture moments: mean {float(moment_mean):+.3f}, std {float(jnp.sqrt(moment_var)):.3f}")
assert (
    abs(float(forward_fit["mu"]) - float(mix_draws.mean())) < 0.02
)  # forward KL = MLE = moment matching
assert abs(float(jnp.exp(forward_fit["log_sigma"])) / float(mix_draws.std()) - 1) < 0.02
assert (
    abs(float(reverse_fits[0]["mu"]) - 2.0) < 0.1 and abs(float(reverse_fits[1]["mu"]) + 2.0) < 0.1
)
assert float(jnp.exp(reverse_fits[0]["log_sigma"])) < 0.5 * float(jnp.exp(forward_fit["log_sigma"]))

x_plot = np.linspace(-6.0, 6.0, 600)
p_mix_plot = sum(
    float(w) * scipy.stats.norm.pdf(x_plot, float(m), float(sd))
    for w, m, sd in zip(mix_w, mix_mu, mix_sd, strict=True)
)
assert np.allclose(
    p_mix_plot, np.exp(jax.jit(jax.vmap(log_p_mix))(jnp.asarray(x_plot))), rtol=1e-4, atol=1e-7
)
plt.figure(figsize=(7, 3.8))
plt.fill_between(x_plot, p_mix_plot, alpha=0.3, color="gray", label="target p (mixture)")
plt.plot(
    x_plot,
    scipy.stats.norm.pdf(
        x_plot, float(forward_fit["mu"]), float(jnp.exp(forward_fit["log_sigma"]))
    ),
    lw=2,
    label="argmin KL(p‖q): covers both modes",
)
for fit, style in zip(reverse_fits, ["C1", "C1--"], strict=True):
    plt.plot(
        x_plot,
        scipy.stats.norm.pdf(x_plot, float(fit["mu"]), float(jnp.exp(fit["log_sigma"]))),
        style,
        lw=2,
        label=f"argmin KL(q‖p) from μ₀ = {'+' if fit['mu'] > 0 else '-'}0.3: seeks one mode",
    )
plt.ylim(0.0, 1.0)
plt.legend(fontsize=8, loc="upper right")
plt.title("forward (mode covering) vs reverse (mode seeking) KL")
show("forward-reverse-kl")

# %% [markdown]
# ## 11. Mutual information and representation learning
#
# $$I(X;Y) = \mathrm{KL}\big(p(x,y)\,\|\,p(x)p(y)\big) = H(X) + H(Y) - H(X,Y) \ge 0:$$
# how many nats knowing $X$ saves you about $Y$. It is exact for a table, and for a bivariate
# Gaussian with correlation $\rho$ it has the closed form
# $$I(X;Y) = -\tfrac12 \log(1 - \rho^2),$$
# which is additive over independent coordinate pairs.
#
# In high dimensions nobody has the densities, but we can **bound** MI from samples. With a
# *critic* $f(x, y)$ and a batch of $N$ pairs $(x_i, y_i) \sim p(x, y)$, scored all-against-all,
# $S_{ij} = f(x_i, y_j)$, define
# $$I_{\mathrm{NCE}} = \frac1N\sum_i \Big[S_{ii} - \log\frac1N \sum_j e^{S_{ij}}\Big]
# \;\le\; \log N,$$
# where the upper limit holds for every batch (each bracket is $\log N$ minus a cross-entropy,
# which is $\ge 0$). The InfoNCE bound is a statement about its **expectation** over batches:
# $$I(X;Y) \;\ge\; \mathbb E_{\text{batches}}\big[I_{\mathrm{NCE}}\big]\quad\text{for every critic } f.$$
# One batch's $I_{\mathrm{NCE}}$ is a random number that can land above $I(X;Y)$; only its
# average cannot, beyond noise. So we estimate the expectation by averaging many held-out
# batches and assert the bound on that average, within 4 of its standard errors.
#
# Maximizing $I_{\mathrm{NCE}}$ is a softmax cross-entropy that asks the critic to pick each true
# partner $y_i$ out of the batch: the **InfoNCE / contrastive** loss behind CPC, SimCLR and
# CLIP. For every $N$ the expected bound is largest for the critic
# $f^*(x, y) = \log p(y\mid x)/p(y)$ (up to a function of $x$ alone): with it the softmax over
# the batch is the exact posterior probability that $y_j$ is the partner of $x_i$, the Bayes
# classifier that no other critic beats in expected cross-entropy. We know $f^*$ here, so we can
# see how close a small learned MLP critic gets; on the same held-out batches, its average must
# not beat $f^*$ beyond noise.

# %%
table_check = jax.random.dirichlet(keys["table"], jnp.ones(12)).reshape(3, 4)
t64 = np.asarray(table_check, dtype=np.float64)
scipy_mi = (
    scipy.stats.entropy(t64.sum(1))
    + scipy.stats.entropy(t64.sum(0))
    - scipy.stats.entropy(t64.ravel())
)
print(
    f"table MI {float(mutual_information.mutual_information(table_check)):.5f} (scipy entropies: {scipy_mi:.5f})"
)
assert np.isclose(
    float(mutual_information.mutual_information(table_check)), scipy_mi, rtol=1e-4, atol=1e-6
)

rho, d_nce = 0.8, 2
exact_mi = d_nce * float(mutual_information.gaussian_mutual_information(rho))
block_cov = jnp.block(
    [[jnp.eye(d_nce), rho * jnp.eye(d_nce)], [rho * jnp.eye(d_nce), jnp.eye(d_nce)]]
)
with jax.default_matmul_precision("highest"):  # log-determinants checked to 1e-5
    mi_from_cov = float(mutual_information.gaussian_mutual_information_from_cov(block_cov, d_nce))
assert np.isclose(exact_mi, mi_from_cov, rtol=1e-5)

batch_size, n_steps = 128, 2000
train_key, eval_key = jax.random.split(keys["nce"])
critic_params, nce_history = infonce.train_infonce_critic(
    train_key, rho, d_nce, batch_size, n_steps
)


@jax.jit
def held_out_bounds(batch_key):
    """I_NCE of the learned and of the optimal critic f*(x, y) = log p(y|x)/p(y) on one fresh batch."""
    x, y = infonce.sample_correlated_gaussians(batch_key, rho, batch_size, d_nce)
    optimal_row = jax.vmap(infonce.optimal_gaussian_critic, (None, 0, None))  # one x, every y
    optimal_scores = jax.vmap(optimal_row, (0, None, None))(x, y, rho)  # (N, N)
    learned_scores = infonce.critic_scores(critic_params, x, y)
    return infonce.infonce_lower_bound(learned_scores), infonce.infonce_lower_bound(optimal_scores)


n_eval = 256  # held-out batches; lax.map runs them 16 at a time to bound memory
learned_bounds, optimal_bounds = jax.lax.map(
    held_out_bounds, jax.random.split(eval_key, n_eval), batch_size=16
)
learned_bounds, optimal_bounds = np.asarray(learned_bounds), np.asarray(optimal_bounds)
optimal_bound, learned_bound = optimal_bounds.mean(), learned_bounds.mean()
optimal_se = optimal_bounds.std(ddof=1) / np.sqrt(n_eval)
critic_gaps = optimal_bounds - learned_bounds  # paired: the same batches for both critics
critic_gap_se = critic_gaps.std(ddof=1) / np.sqrt(n_eval)
print(f"true I(X;Y) = {exact_mi:.4f} nats; log N = {np.log(batch_size):.3f}")
print(
    f"held-out I_NCE, mean of {n_eval} batches: optimal critic {optimal_bound:.4f} ± {optimal_se:.4f}, "
    f"learned critic {learned_bound:.4f}"
)
print(
    f"single batches: optimal critic from {optimal_bounds.min():.3f} to {optimal_bounds.max():.3f}; "
    f"{(optimal_bounds > exact_mi).mean():.0%} of them above I(X;Y)"
)
print(f"optimal - learned, paired over batches: {critic_gaps.mean():.4f} ± {critic_gap_se:.4f}")
assert np.all(optimal_bounds <= np.log(batch_size) + 1e-5)  # every batch: I_NCE <= log N
assert np.all(learned_bounds <= np.log(batch_size) + 1e-5)
assert (optimal_bounds > exact_mi).any()  # one batch can exceed I ...
assert optimal_bound < exact_mi + 4 * optimal_se  # ... the expectation cannot: I >= E[I_NCE]
assert critic_gaps.mean() > -4 * critic_gap_se  # no critic beats f* in expectation
assert optimal_bound > exact_mi - 0.1  # f* is nearly tight at this batch size
assert learned_bound > 0.9 * optimal_bound  # the learned critic gets most of the way

window = 20
smooth = np.convolve(np.asarray(nce_history), np.ones(window) / window, mode="valid")
plt.figure(figsize=(7, 3.8))
plt.plot(np.asarray(nce_history), alpha=0.3, label="I_NCE per training batch")
plt.plot(np.arange(window - 1, n_steps), smooth, label=f"moving average ({window})")
plt.axhline(exact_mi, color="k", ls="--", label="closed form −(d/2)·log(1−ρ²)")
plt.axhline(optimal_bound, color="C2", ls=":", label="optimal critic, held-out mean")
plt.axhline(learned_bound, color="C1", ls=":", label="learned critic, held-out mean")
plt.xlabel("Adam step")
plt.ylabel("nats")
plt.title(f"InfoNCE lower bound on correlated Gaussians (ρ={rho}, d={d_nce}, N={batch_size})")
plt.legend(fontsize=8)
plt.tight_layout()
show("infonce")

# %% [markdown]
# Every batch's $I_{\mathrm{NCE}}$ is at most $\log N$, so measuring a large MI needs large
# batches; this is one reason contrastive methods like big batches. In CLIP and SimCLR the
# critic is a dot product of two encoders, $f(x, y) = g(x)^\top h(y)$, and the encoders are the
# point: $g(x)$ is a **representation** of $x$ trained to keep the information that identifies
# its partner $y$. (Our critic is a small MLP on the concatenated $[x, y]$, which scores pairs
# but yields no separate representation.)
#
# **Summary.** Sampling is a pure function of a key, and a key is used once; Monte Carlo error
# bars shrink as $1/\sqrt n$ and cover the truth as often as the central limit theorem says;
# Bayes' rule is renormalization; covariance misses what mutual information sees, and the
# $1/\sqrt n$ error bar of a correlation assumes independence; Gaussians are handled through
# their Cholesky factor; MLE and MAP are optimization problems whose answers we checked in
# closed form; cross-entropy is entropy plus KL and must be computed from logits; forward KL
# covers, reverse KL seeks; InfoNCE turns mutual information into a classification loss whose
# expectation bounds it. Now do `exercises/03_probability.py` and run `jlr check 03`.
