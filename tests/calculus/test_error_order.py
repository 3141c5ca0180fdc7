import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jlr.calculus.error_order import loglog_slope


@given(st.floats(0.1, 100.0), st.floats(0.5, 4.0))
def test_slope_of_a_power_law_is_its_exponent(c, p):
    step_sizes = np.logspace(-3, -1, 6)
    np.testing.assert_allclose(loglog_slope(step_sizes, c * step_sizes**p), p, rtol=1e-9)
