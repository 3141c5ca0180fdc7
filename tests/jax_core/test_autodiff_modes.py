"""grad's options, custom_vjp rules against finite differences, and jvp/vjp/linearize."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.jax_core import autodiff, modes


def test_stable_softplus_matches_naive_where_naive_is_fine_and_stays_finite():
    x = jnp.linspace(-20.0, 20.0, 41)
    np.testing.assert_allclose(
        autodiff.stable_softplus(x), autodiff.naive_softplus(x), rtol=1e-5, atol=1e-6
    )
    big = jnp.array([-1000.0, 100.0, 1000.0])
    assert not np.isfinite(jax.vmap(jax.grad(autodiff.naive_softplus))(big)).all()
    grads = jax.vmap(jax.grad(autodiff.stable_softplus))(big)
    np.testing.assert_allclose(grads, [0.0, 1.0, 1.0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(autodiff.stable_softplus(big), [0.0, 100.0, 1000.0], rtol=1e-6)


@settings(max_examples=20, deadline=None)
@given(st.floats(-30.0, 30.0))
def test_stable_softplus_gradient_matches_finite_differences(x0):
    f64 = lambda x: np.logaddexp(0.0, x).sum()
    expected = autodiff.finite_difference_grad(f64, np.array([x0]), eps=1e-6)
    actual = jax.grad(lambda x: autodiff.stable_softplus(x).sum())(jnp.array([x0]))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6)


def test_clip_gradient_is_identity_forward_and_clips_backward(key):
    x = jax.random.normal(key, (5,))
    np.testing.assert_allclose(autodiff.clip_gradient(x, 1.0), x, rtol=0, atol=0)
    loss = lambda v: jnp.sum(10.0 * autodiff.clip_gradient(v, 1.0))
    g = jax.grad(loss)(x)
    np.testing.assert_allclose(jnp.linalg.norm(g), 1.0, rtol=1e-5)
    np.testing.assert_allclose(g / jnp.linalg.norm(g), jnp.ones(5) / jnp.sqrt(5.0), rtol=1e-5)
    small = jax.grad(lambda v: jnp.sum(0.1 * autodiff.clip_gradient(v, 1.0)))(x)
    np.testing.assert_allclose(small, 0.1 * jnp.ones(5), rtol=1e-6)  # under the cap: unchanged


def test_grad_options_against_finite_differences(key, float64):
    w_key, x_key, y_key = jax.random.split(key, 3)
    params = {"w": jax.random.normal(w_key, (3,)), "b": jnp.array(0.5)}
    x, y = jax.random.normal(x_key, (4, 3)), jax.random.normal(y_key, (4,))
    (loss, aux), grads = jax.value_and_grad(autodiff.mse_with_aux, has_aux=True)(params, x, y)
    np.testing.assert_allclose(aux["pred"], x @ params["w"] + 0.5, rtol=1e-12)
    f_w = lambda w: float(np.mean((np.asarray(x) @ w + 0.5 - np.asarray(y)) ** 2))
    fd = autodiff.finite_difference_grad(f_w, np.asarray(params["w"]))
    np.testing.assert_allclose(grads["w"], fd, rtol=1e-6, atol=1e-8)
    saliency = autodiff.grad_wrt_inputs(params, x, y)
    assert saliency.shape == x.shape
    f_x = lambda xs: float(
        np.mean((xs.reshape(4, 3) @ np.asarray(params["w"]) + 0.5 - np.asarray(y)) ** 2)
    )
    fd_x = autodiff.finite_difference_grad(f_x, np.asarray(x).ravel()).reshape(4, 3)
    np.testing.assert_allclose(saliency, fd_x, rtol=1e-6, atol=1e-8)


def test_straight_through_round():
    x = jnp.array([0.2, 1.7, -0.6])
    np.testing.assert_allclose(autodiff.straight_through_round(x), [0.0, 2.0, -1.0], rtol=0, atol=0)
    g = jax.grad(lambda v: jnp.sum(autodiff.straight_through_round(v) ** 2))(x)
    np.testing.assert_allclose(g, 2 * jnp.round(x), rtol=1e-6)  # identity backward through round


def smooth_map(x):
    return jnp.concatenate([jnp.sin(x) * x.sum(), jnp.tanh(x[:2])])  # (n,) -> (n + 2,)


def test_jacobians_by_sweeps_match_jacfwd_and_jacrev(key):
    x = jax.random.normal(key, (4,))
    expected = jax.jacfwd(smooth_map)(x)
    np.testing.assert_allclose(modes.jacobian_by_jvp(smooth_map, x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        modes.jacobian_by_vjp(smooth_map, x), jax.jacrev(smooth_map)(x), rtol=1e-5, atol=1e-6
    )
    tangents = jax.random.normal(jax.random.fold_in(key, 1), (3, 4))
    np.testing.assert_allclose(
        modes.jvps_by_linearize(smooth_map, x, tangents),
        tangents @ expected.T,
        rtol=1e-5,
        atol=1e-5,
    )


def test_cost_model():
    assert modes.sweeps_needed(1000, 1) == {"forward": 1000, "reverse": 1}
    assert modes.preferred_mode(1000, 1) == "reverse"
    assert modes.preferred_mode(2, 500) == "forward"
