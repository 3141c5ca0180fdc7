"""Filter-normalized directions against per-filter norms computed with numpy; interpolation and
2-D surfaces against plain Python loops over points; a barrier height with a closed form."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.landscape.directions import (
    barrier_height,
    filter_normalized_direction,
    interpolate,
    surface_2d,
)
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.conv import init_conv2d
from jlr.nn.losses import softmax_cross_entropy


@pytest.fixture(scope="module")
def mlp_problem():
    """A (4, 8, 3) ReLU MLP on 32 synthetic points, and its loss."""
    data_key, label_key, init_key = jax.random.split(jax.random.key(2), 3)
    x = jax.random.normal(data_key, (32, 4))
    y = jax.random.randint(label_key, (32,), 0, 3)

    def loss(p):
        return jnp.mean(jax.vmap(softmax_cross_entropy)(mlp(p, x), y))

    return loss, init_mlp(init_key, (4, 8, 3))


def test_each_filter_gets_its_own_norm_and_biases_get_zero(key):
    dense_key, conv_key, norm_key, dir_key = jax.random.split(key, 4)
    params = {
        "dense": init_mlp(dense_key, (5, 3))[0],  # w: (5, 3), filters are columns
        "conv": init_conv2d(conv_key, 3, 2, 4),  # w: (3, 3, 2, 4) HWIO, filters w[..., o]
        "scale": jax.random.normal(norm_key, (4,)),  # a norm layer's scale: ignored
    }
    direction = filter_normalized_direction(dir_key, params)
    assert jax.tree.structure(direction) == jax.tree.structure(params)
    dense_w, dense_d = np.asarray(params["dense"]["w"]), np.asarray(direction["dense"]["w"])
    for o in range(3):
        np.testing.assert_allclose(
            np.linalg.norm(dense_d[:, o]), np.linalg.norm(dense_w[:, o]), rtol=1e-5
        )
    conv_w, conv_d = np.asarray(params["conv"]["w"]), np.asarray(direction["conv"]["w"])
    for o in range(4):
        np.testing.assert_allclose(
            np.linalg.norm(conv_d[..., o]), np.linalg.norm(conv_w[..., o]), rtol=1e-5
        )
    for leaf in (direction["dense"]["b"], direction["conv"]["b"], direction["scale"]):
        np.testing.assert_array_equal(leaf, 0.0)
    assert np.abs(dense_d - dense_w).max() > 0.1  # random, not a copy of the weights


def test_direction_scales_with_the_weights(key, mlp_problem):
    # the point of filter normalization: rescaling a network (which a ReLU net does not see)
    # rescales its direction by the same factor, so plots of the two agree
    _, params = mlp_problem
    scaled = jax.tree.map(lambda p: 3.0 * p, params)
    # the same key on purpose: the same Gaussian draw, normalized against two scales
    d, d_scaled = filter_normalized_direction(key, params), filter_normalized_direction(key, scaled)
    for leaf, leaf_scaled in zip(jax.tree.leaves(d), jax.tree.leaves(d_scaled), strict=True):
        np.testing.assert_allclose(leaf_scaled, 3.0 * leaf, rtol=1e-5, atol=1e-7)


def test_interpolation_matches_a_loop_and_hits_both_ends(key, mlp_problem):
    loss, params_a = mlp_problem
    params_b = init_mlp(key, (4, 8, 3))
    alphas = jnp.linspace(-0.5, 1.5, 9)
    path = interpolate(loss, params_a, params_b, alphas)
    assert path.shape == (9,)
    for a, value in zip(np.asarray(alphas), np.asarray(path), strict=True):
        mixed = jax.tree.map(lambda p, q, a=a: (1 - a) * p + a * q, params_a, params_b)
        np.testing.assert_allclose(value, loss(mixed), rtol=1e-5)
    ends = interpolate(loss, params_a, params_b, jnp.array([0.0, 1.0]))
    np.testing.assert_allclose(ends, [loss(params_a), loss(params_b)], rtol=1e-6)


def test_barrier_of_a_double_well_is_its_hump():
    # L(w) = (|w|^2 - 1)^2: minima at w = (1, 0) and (-1, 0); the straight path crosses w = 0
    def double_well(p):
        return (jnp.sum(p["w"] ** 2) - 1.0) ** 2

    alphas = jnp.linspace(0.0, 1.0, 11)  # holds a = 0.5, where L = 1
    a, b = {"w": jnp.array([1.0, 0.0])}, {"w": jnp.array([-1.0, 0.0])}
    np.testing.assert_allclose(barrier_height(interpolate(double_well, a, b, alphas)), 1.0)
    # a quarter turn apart: the chord dips to |w|^2 = 1/2 at a = 0.5, where L = 1/4
    b = {"w": jnp.array([0.0, 1.0])}
    np.testing.assert_allclose(barrier_height(interpolate(double_well, a, b, alphas)), 0.25)


def test_surface_matches_a_double_loop(key, mlp_problem):
    loss, params = mlp_problem
    key1, key2 = jax.random.split(key)
    d1 = filter_normalized_direction(key1, params)
    d2 = filter_normalized_direction(key2, params)
    alphas, betas = jnp.linspace(-1.0, 1.0, 5), jnp.linspace(-0.5, 1.0, 4)
    surface = surface_2d(loss, params, d1, d2, alphas, betas, chunk_size=6)  # 20 = 3*6 + 2
    assert surface.shape == (5, 4)
    jitted_loss = jax.jit(loss)
    for i, a in enumerate(np.asarray(alphas)):
        for j, b in enumerate(np.asarray(betas)):
            moved = jax.tree.map(lambda p, u, v, a=a, b=b: p + a * u + b * v, params, d1, d2)
            np.testing.assert_allclose(surface[i, j], jitted_loss(moved), rtol=1e-5, atol=1e-6)


def test_a_51_by_51_surface_traces_the_loss_once(key, mlp_problem):
    loss, params = mlp_problem
    n_traces = []

    def counted_loss(p):
        n_traces.append(1)
        return loss(p)

    d1 = filter_normalized_direction(key, params)
    d2 = jax.tree.map(lambda p: -p, d1)
    surface = jax.jit(surface_2d, static_argnums=(0, 6))
    grid = jnp.linspace(-1.0, 1.0, 51)
    values = surface(counted_loss, params, d1, d2, grid, grid, 256)
    values2 = surface(counted_loss, params, d1, d2, 2 * grid, grid, 256)
    assert values.shape == values2.shape == (51, 51)
    assert np.all(np.isfinite(values))
    assert len(n_traces) == 1 and surface._cache_size() == 1  # one compile, not one per point
    # d2 = -d1, so the surface depends on a - b only: constant along diagonals
    np.testing.assert_allclose(np.diagonal(values), loss(params), rtol=1e-5)
