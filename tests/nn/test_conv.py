"""conv2d (im2col) against lax.conv_general_dilated; He-normal initialisation's scale."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.nn.conv import conv2d, init_conv2d


@pytest.mark.parametrize(
    ("kernel", "stride", "c_in", "c_out", "size"),
    [(3, 1, 1, 4, (8, 8)), (3, 2, 3, 5, (8, 8)), (3, 2, 2, 3, (7, 5)), (5, 3, 2, 2, (9, 10))],
)
def test_im2col_conv_matches_lax_conv(key, kernel, stride, c_in, c_out, size):
    w_key, b_key, x_key = jax.random.split(key, 3)
    params = {
        "w": init_conv2d(w_key, kernel, c_in, c_out)["w"],
        "b": jax.random.normal(b_key, (c_out,)),
    }
    x = jax.random.normal(x_key, (2, *size, c_in))
    expected = jax.lax.conv_general_dilated(
        x, params["w"], (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    got = conv2d(params, x, stride)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected + params["b"], rtol=1e-5, atol=1e-5)


def test_init_is_he_normal(key):
    params = init_conv2d(key, 3, 8, 256)  # fan_in = 72, 18432 weights
    assert params["w"].shape == (3, 3, 8, 256) and params["b"].shape == (256,)
    np.testing.assert_allclose(jnp.std(params["w"]), np.sqrt(2.0 / 72), rtol=0.03)
    np.testing.assert_array_equal(params["b"], 0.0)
