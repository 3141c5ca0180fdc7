"""Theoretical rates of GD / heavy ball / Nesterov against the spectral radius of each
method's iteration matrix (numpy), and the measured iteration counts against theory."""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.optimization.quadratics import (
    iterations_to_converge,
    quadratic_eigenvalues,
    theoretical_iterations,
    theoretical_rate,
    tuned_optimizer,
)


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
@given(kappa=st.floats(2.0, 1e4), method=st.sampled_from(["gd", "heavy_ball", "nesterov"]))
def test_theoretical_rate_is_the_worst_spectral_radius(kappa, method):
    lams = np.linspace(1.0, kappa, 400)
    radius = max(np.abs(np.linalg.eigvals(iteration_matrix(method, lam, 1.0, kappa))).max()
                 for lam in lams)  # fmt: skip
    np.testing.assert_allclose(radius, theoretical_rate(method, kappa), rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("method", ["gd", "heavy_ball", "nesterov"])
def test_measured_iterations_track_theory(method):
    for kappa in (10.0, 100.0):
        eigenvalues = quadratic_eigenvalues(kappa, 8)
        steps = int(iterations_to_converge(tuned_optimizer(method, 1.0, kappa), eigenvalues,
                                           jnp.ones(8), 1e-5))  # fmt: skip
        theory = theoretical_iterations(method, kappa, 1e-5)
        assert 0.6 * theory < steps < 1.6 * theory, (kappa, steps, theory)


def test_momentum_beats_gd_by_about_sqrt_kappa():
    eigenvalues = quadratic_eigenvalues(1000.0, 8)
    gd = int(
        iterations_to_converge(tuned_optimizer("gd", 1.0, 1000.0), eigenvalues, jnp.ones(8), 1e-4)
    )
    hb = int(iterations_to_converge(tuned_optimizer("heavy_ball", 1.0, 1000.0), eigenvalues,
                                    jnp.ones(8), 1e-4))  # fmt: skip
    assert gd > 10 * hb


def test_unknown_method_is_an_error():
    with pytest.raises(ValueError, match="unknown method"):
        tuned_optimizer("adagrad", 1.0, 10.0)
