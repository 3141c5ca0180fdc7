"""Hutchinson's trace estimator: exact on diagonal matrices (a property of Rademacher probes,
checked with hypothesis), unbiased on a dense matrix (numpy trace), and within 4 standard
errors of the trace of a small MLP's full float64 Hessian (jax.hessian)."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.landscape.hutchinson import hessian_trace, trace_estimate

N = 12  # one shape for every hypothesis example: one compile
estimate_diagonal = jax.jit(lambda key, diag: trace_estimate(key, lambda v: diag * v, N, 8))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, width=32), min_size=N, max_size=N),
    st.integers(0, 2**31 - 1),
)
def test_rademacher_probes_give_the_trace_of_a_diagonal_exactly(diag, seed):
    diag = jnp.array(diag, jnp.float32)
    estimate, stderr = estimate_diagonal(jax.random.key(seed), diag)
    # z^T D z = sum_i z_i^2 D_ii = tr D for every probe: only float32 summation error
    np.testing.assert_allclose(estimate, np.sum(np.asarray(diag, np.float64)), rtol=1e-5, atol=1e-3)
    assert stderr <= 1e-6 * (np.abs(diag).sum() + 1.0)


def test_dense_matrix_trace_within_4_standard_errors(key):
    a_key, probe_key = jax.random.split(key)
    g = jax.random.normal(a_key, (30, 30))
    a = g @ g.T / 30  # symmetric, off-diagonal entries ~ 1 / sqrt(30): real variance
    estimate, stderr = trace_estimate(probe_key, lambda v: a @ v, 30, 400)
    assert 0 < stderr < 0.1 * np.trace(np.asarray(a))
    assert abs(estimate - np.trace(np.asarray(a, np.float64))) < 4 * stderr


def test_hessian_trace_of_an_mlp_within_4_standard_errors(key, mlp_problem):
    loss, params, hessian = mlp_problem
    estimate, stderr = jax.jit(lambda k, p: hessian_trace(k, loss, p, n_probes=200))(key, params)
    exact = np.trace(hessian)
    assert 0 < stderr < 0.2 * abs(exact)  # the error bar is informative, not vacuous
    assert abs(estimate - exact) < 4 * stderr
