import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.linalg.conditioning import condition_number, spectral_norm

from .matrices import matrix_with_singular_values

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=15, deadline=None)
@given(seed=seeds, shape=st.sampled_from([(3, 5), (5, 3), (4, 4)]))
def test_spectral_norm_matches_numpy(seed, shape):
    rng = np.random.default_rng(seed)
    k = min(shape)
    s = np.sort(rng.uniform(0.1, 1.0, k))[::-1] * np.r_[2.0, np.ones(k - 1)]  # gap s1 >= 2 s2
    a = matrix_with_singular_values(rng, *shape, s)
    sigma, v = spectral_norm(a, rng.standard_normal(shape[1]), 100)
    np.testing.assert_allclose(sigma, np.linalg.norm(a, 2), rtol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(a @ v), sigma, rtol=1e-10)


def test_condition_number_matches_numpy(rng):
    a = matrix_with_singular_values(rng, 5, 4, [10.0, 3.0, 1.0, 0.01])
    np.testing.assert_allclose(condition_number(a), np.linalg.cond(a), rtol=1e-8)
    np.testing.assert_allclose(condition_number(a), 1000.0, rtol=1e-8)
