"""LeCun, Xavier and He initialization against jax.nn.initializers (the same draws where both
draw from the same distribution, the same variance where JAX truncates), and what each does to
activations through depth."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.nn import init

DENSE, CONV = (64, 32), (3, 3, 64, 128)  # fans (64, 32) and (576, 1152); 73,728 conv weights
# scheme -> (our normal, our uniform, jax's variance_scaling arguments, jax's named initializer)
SCHEMES = {
    "lecun": (init.lecun_normal, init.lecun_uniform, (1.0, "fan_in"), "lecun"),
    "xavier": (init.xavier_normal, init.xavier_uniform, (1.0, "fan_avg"), "glorot"),
    "he": (init.he_normal, init.he_uniform, (2.0, "fan_in"), "he"),
}


def test_fans_and_variances_of_dense_and_conv_kernels():
    assert init.fans(DENSE) == (64, 32)
    assert init.fans(CONV) == (576, 1152)  # 3 * 3 * 64 in, 3 * 3 * 128 out
    assert init.fans((5, 4, 6)) == (20, 30)  # a 1-D conv kernel (kernel, c_in, c_out)
    assert init.init_variance("lecun", CONV) == 1 / 576
    assert init.init_variance("xavier", CONV) == 2 / (576 + 1152)
    assert init.init_variance("he", CONV) == 2 / 576
    with pytest.raises(ValueError, match="scheme="):
        init.init_variance("kaiming", CONV)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("shape", [DENSE, CONV])
def test_same_draws_as_jax_variance_scaling(key, scheme, shape):
    """JAX's variance_scaling with an untruncated normal, and its named uniform initializers,
    draw the same numbers from the same key: equal draws mean equal variances and fans."""
    normal, uniform, (scale, mode), name = SCHEMES[scheme]
    expected_normal = jax.nn.initializers.variance_scaling(scale, mode, "normal")(key, shape)
    np.testing.assert_allclose(normal(key, shape), expected_normal, rtol=1e-6, atol=1e-7)
    expected_uniform = getattr(jax.nn.initializers, f"{name}_uniform")()(key, shape)
    got_uniform = uniform(key, shape)
    np.testing.assert_allclose(got_uniform, expected_uniform, rtol=1e-5, atol=1e-7)
    limit = np.sqrt(3 * init.init_variance(scheme, shape))
    assert jnp.max(jnp.abs(got_uniform)) <= limit


@pytest.mark.parametrize("scheme", SCHEMES)
def test_sample_variance_matches_jax_named_initializers(key, scheme):
    """jax.nn.initializers.{lecun,glorot,he}_normal truncate at 2 std and rescale to the same
    variance. With n draws a sample variance has std <= var sqrt(2 / n) (the normal's, the
    most spread-out of the three distributions): allow 5 of those."""
    normal, uniform, _, name = SCHEMES[scheme]
    shape = CONV  # 73,728 draws
    variance = init.init_variance(scheme, shape)
    margin = 5 * variance * np.sqrt(2 / np.prod(shape))
    ours_key, jax_key = jax.random.split(key)
    samples = {
        "normal": normal(ours_key, shape),
        "uniform": uniform(ours_key, shape),
        f"jax {name}_normal": getattr(jax.nn.initializers, f"{name}_normal")()(jax_key, shape),
    }
    for label, w in samples.items():
        np.testing.assert_allclose(jnp.var(w), variance, rtol=0, atol=margin, err_msg=label)
        mean_margin = 5 * np.sqrt(variance / np.prod(shape))  # 5 standard errors of a mean
        np.testing.assert_allclose(jnp.mean(w), 0.0, rtol=0, atol=mean_margin, err_msg=label)


def test_propagation_statistics_match_the_closed_form_of_a_linear_network():
    """Identity activation, two layers: h1 = x W1, h2 = h1 W2, L = sum(h2 * u) / B, so
    dL/dW2 = h1^T u / B and dL/dW1 = x^T (u W2^T) / B."""
    rng = np.random.default_rng(0)
    w1, w2, x, u = (rng.standard_normal(shape) for shape in [(5, 5), (5, 5), (7, 5), (7, 5)])
    stats = init.propagation_statistics(
        jnp.asarray(np.stack([w1, w2]), jnp.float32),
        jnp.asarray(x, jnp.float32),
        lambda h: h,
        jnp.asarray(u, jnp.float32),
    )
    h1, h2 = x @ w1, x @ w1 @ w2
    grad_w1, grad_w2 = x.T @ (u @ w2.T) / 7, h1.T @ u / 7
    np.testing.assert_allclose(stats["activation_std"], [h1.std(), h2.std()], rtol=1e-5)
    expected_norms = [np.linalg.norm(grad_w1), np.linalg.norm(grad_w2)]
    np.testing.assert_allclose(stats["grad_norm"], expected_norms, rtol=1e-5)


N_SEEDS, N_LAYERS = 8, 20


@functools.cache
def relu_statistics(init_fn):
    """{activation_std, grad_norm}: (N_SEEDS, N_LAYERS) each, for a 20-layer, width-128 ReLU MLP."""
    keys = jax.random.split(jax.random.key(12), N_SEEDS)
    measure = functools.partial(
        init.statistics_at_init, init_fn=init_fn, activation=jax.nn.relu, width=128, batch=128
    )
    return jax.jit(jax.vmap(measure))(keys)


def log_slope(activation_std):
    """Per-seed mean change of log std per layer, layers 2 to 20 (layer 1 sees N(0, 1) inputs,
    not ReLU outputs): (N_SEEDS,). A geometric law std_l = c r^l has slope log r."""
    return jnp.log(activation_std[:, -1] / activation_std[:, 1]) / (N_LAYERS - 2)


# Finite width adds an O(1 / width) drift per layer to the infinite-width law the claims state.
WIDTH_BIAS = 0.03


def test_he_init_keeps_relu_activations_and_gradients_in_a_band():
    stats = relu_statistics(init.he_normal)
    slope = log_slope(stats["activation_std"])
    assert abs(slope.mean()) < WIDTH_BIAS + 4 * slope.std() / np.sqrt(N_SEEDS)
    mean_std = stats["activation_std"].mean(axis=0)  # (N_LAYERS,)
    assert mean_std.max() / mean_std.min() < 1.6  # over 20 layers
    mean_grad = stats["grad_norm"].mean(axis=0)
    assert mean_grad.max() / mean_grad.min() < 1.6


def test_lecun_init_is_too_small_for_relu_and_the_signal_shrinks_geometrically():
    """Var(w) = 1 / fan_in, half of He's: ReLU keeps half the variance, so each layer
    multiplies the activations' std by 1 / sqrt(2): a factor 2^-9 from layer 2 to 20."""
    slope = log_slope(relu_statistics(init.lecun_normal)["activation_std"])
    expected = np.log(1 / np.sqrt(2))
    assert abs(slope.mean() - expected) < WIDTH_BIAS + 4 * slope.std() / np.sqrt(N_SEEDS)
