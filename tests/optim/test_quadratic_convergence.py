"""Iterations to converge on quadratics: counts against an optax loop and the step-1/L bound;
theoretical rates against the spectral radius of each method's iteration matrix (numpy)."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.optim import iterations_to_converge, sgd
from jlr.optim.quadratic_convergence import (
    METHODS,
    gd_iteration_bound,
    quadratic_eigenvalues,
    theoretical_iterations,
    theoretical_rate,
    tuned_optimizer,
)


def symmetric_with_eigenvalues(rng, eigenvalues):
    q, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues), len(eigenvalues))))
    return (q * np.asarray(eigenvalues)) @ q.T


def optax_iterations(optimizer, h, x0, tol, max_steps=100_000):
    """The count by a plain Python loop over an optax optimizer, in numpy float64."""
    x, state, target = x0, optimizer.init(x0), tol * np.linalg.norm(x0)
    for step in range(max_steps):
        if np.linalg.norm(x) <= target:
            return step
        updates, state = optimizer.update(h @ x, state)
        x = np.asarray(optax.apply_updates(x, updates))
    return max_steps


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (sgd(0.05), optax.sgd(0.05)),
        (sgd(0.04, momentum=0.6), optax.sgd(0.04, momentum=0.6)),
        (sgd(0.04, momentum=0.6, nesterov=True), optax.sgd(0.04, momentum=0.6, nesterov=True)),
    ],
    ids=["gd", "heavy_ball", "nesterov"],
)
def test_count_matches_an_optax_loop(float64, ours, theirs):
    rng = np.random.default_rng(1)
    h = symmetric_with_eigenvalues(rng, [30.0, 10.0, 3.0, 1.0])
    x0 = rng.normal(size=4)
    got = int(iterations_to_converge(ours, partial(jnp.matmul, jnp.asarray(h)), x0, 1e-6))
    assert got == optax_iterations(theirs, h, x0, 1e-6)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kappa=st.sampled_from([2.0, 10.0, 50.0, 200.0]))
def test_gd_with_step_one_over_l_meets_its_bound_from_the_slowest_direction(seed, kappa):
    """The count is at most ceil(log(1/tol) / -log(1 - 1/kappa)), reached along lambda_min."""
    rng = np.random.default_rng(seed)
    tol = 1e-6
    h = symmetric_with_eigenvalues(rng, np.linspace(kappa, 1.0, 3))
    bound = gd_iteration_bound(kappa, tol)
    assert bound <= np.ceil(kappa * np.log(1 / tol))
    with jax.enable_x64(True):  # the count meets the bound exactly only without float32 noise
        matvec = partial(jnp.matmul, jnp.asarray(h))
        k_random = int(iterations_to_converge(sgd(1.0 / kappa), matvec, rng.normal(size=3), tol))
        slowest = np.linalg.eigh(h)[1][:, 0]
        k_slowest = int(iterations_to_converge(sgd(1.0 / kappa), matvec, slowest, tol))
    assert k_random <= bound
    assert k_slowest == bound


def iteration_matrix(method, lam, mu, big_l):
    """The 2x2 linear map (x_t, x_{t-1}) -> (x_{t+1}, x_t) on one eigen-coordinate."""
    sqrt_kappa = np.sqrt(big_l / mu)
    if method == "gd":
        return np.array([[1 - 2 / (big_l + mu) * lam, 0.0], [1.0, 0.0]])
    if method == "heavy_ball":
        lr = 4 / (np.sqrt(big_l) + np.sqrt(mu)) ** 2
        beta = ((sqrt_kappa - 1) / (sqrt_kappa + 1)) ** 2
        return np.array([[1 + beta - lr * lam, -beta], [1.0, 0.0]])
    lr, beta = 1 / big_l, (sqrt_kappa - 1) / (sqrt_kappa + 1)  # Nesterov: y = x + beta(x - x')
    return np.array([[(1 + beta) * (1 - lr * lam), -beta * (1 - lr * lam)], [1.0, 0.0]])


@settings(max_examples=30, deadline=None)
@given(kappa=st.floats(2.0, 1e4), method=st.sampled_from(METHODS))
def test_theoretical_rate_is_the_worst_spectral_radius(kappa, method):
    lams = np.linspace(1.0, kappa, 400)
    radius = max(np.abs(np.linalg.eigvals(iteration_matrix(method, lam, 1.0, kappa))).max()
                 for lam in lams)  # fmt: skip
    np.testing.assert_allclose(radius, theoretical_rate(method, kappa), rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_measured_iterations_track_theory(method):
    for kappa in (10.0, 100.0):
        eigenvalues = quadratic_eigenvalues(kappa, 8)
        optimizer = tuned_optimizer(method, 1.0, kappa)
        grad_f = partial(jnp.multiply, eigenvalues)
        steps = int(iterations_to_converge(optimizer, grad_f, jnp.ones(8), 1e-5))
        theory = theoretical_iterations(method, kappa, 1e-5)
        assert 0.6 * theory < steps < 1.6 * theory, (kappa, steps, theory)


def test_gd_iterations_grow_linearly_with_kappa():
    rng = np.random.default_rng(2)
    counts = []
    for kappa in (10.0, 100.0, 1000.0):
        h = symmetric_with_eigenvalues(rng, [kappa, 1.0])
        x0 = np.linalg.eigh(h)[1] @ np.ones(2)
        matvec = partial(jnp.matmul, jnp.asarray(h, jnp.float32))
        counts.append(int(iterations_to_converge(sgd(1.0 / kappa), matvec, x0, 1e-6)))
    np.testing.assert_allclose(np.array(counts[1:]) / np.array(counts[:-1]), 10.0, rtol=0.1)


def test_unknown_method_is_an_error():
    with pytest.raises(ValueError, match="unknown method"):
        tuned_optimizer("adagrad", 1.0, 10.0)
