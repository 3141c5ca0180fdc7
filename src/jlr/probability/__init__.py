"""Probability for machine learning, one concept per module.

sampling           random variables drawn with explicit keys; inverse-CDF sampling
moments            Monte Carlo expectation, variance, covariance with standard errors
joint              joint, marginal and conditional tables
bayes              Bayes' rule on tables and on a continuous (grid and conjugate) example
independence       independence vs correlation; an uncorrelated but dependent pair
gaussian           the multivariate Gaussian: Cholesky sampling, density, marginals, conditionals
mle                maximum likelihood: closed forms and gradient ascent
map_estimation     maximum a posteriori: ridge regression, Beta-Bernoulli
entropy            entropy of discrete and Gaussian distributions
cross_entropy      cross-entropy loss computed stably from logits
kl                 KL divergence: categorical, Gaussian closed form, Monte Carlo
distribution_matching  forward vs reverse KL fits of one Gaussian to a mixture
mutual_information mutual information: tables, Gaussians, histogram estimate
infonce            the InfoNCE lower bound with a learned critic
"""
