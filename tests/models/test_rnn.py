"""RNN and GRU against flax (SimpleCell, GRUCell, nn.RNN) with the params copied over; the
scan against a Python loop; the character LM's shapes and a training run that must lower the
loss; ||dh_T/dh_t|| against the closed form ||W^(T-t)||_2 (linear RNN) and against jax.jacrev
of the unrolled map (tanh RNN); vanishing and exploding gradients asserted over seeds."""

from functools import partial

import flax.linen as fnn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.models.rnn import _spectral_norms as spectral_norms
from jlr.models.rnn import (
    char_lm,
    char_lm_loss,
    gru,
    gru_cell,
    init_char_lm,
    init_gru,
    init_rnn,
    rnn,
    rnn_cell,
    state_jacobian_norms,
)
from jlr.optim import adam, apply_updates

TOL = {"rtol": 1e-5, "atol": 1e-5}
BATCH, SEQ, D_IN, D_HIDDEN = 3, 7, 5, 6
D_STATS = 16  # hidden width of the trained LM and of the gradient statistics


lm_logits = jax.jit(char_lm, static_argnames="cell")
lm_loss = jax.jit(char_lm_loss, static_argnames="cell")


def identity(a):
    return a


def random_gru_params(key):
    """Random GRU params, nonzero biases: b_hn's place (inside r * (.)) then shows."""
    init_key, bx_key, bhn_key = jax.random.split(key, 3)
    params = init_gru(init_key, D_IN, D_HIDDEN)
    params["b_x"] = jax.random.normal(bx_key, (3 * D_HIDDEN,))
    params["b_hn"] = jax.random.normal(bhn_key, (D_HIDDEN,))
    return params


def gru_params_to_flax(params):
    """Our fused (r, z, n) params -> flax GRUCell's {"ir", "iz", "in", "hr", "hz", "hn"}."""
    w_x = jnp.split(params["w_x"], 3, axis=1)
    b_x = jnp.split(params["b_x"], 3)
    w_h = jnp.split(params["w_h"], 3, axis=1)
    flax_params = {}
    for gate, wx, bx, wh in zip("rzn", w_x, b_x, w_h, strict=True):
        flax_params["i" + gate] = {"kernel": wx, "bias": bx}
        flax_params["h" + gate] = {"kernel": wh}
    flax_params["hn"]["bias"] = params["b_hn"]
    return flax_params


def test_init_shapes(key):
    rnn_key, gru_key = jax.random.split(key)
    assert jax.tree.map(jnp.shape, init_rnn(rnn_key, D_IN, D_HIDDEN)) == {
        "w_x": (D_IN, D_HIDDEN),
        "w_h": (D_HIDDEN, D_HIDDEN),
        "b": (D_HIDDEN,),
    }
    assert jax.tree.map(jnp.shape, init_gru(gru_key, D_IN, D_HIDDEN)) == {
        "w_x": (D_IN, 3 * D_HIDDEN),
        "w_h": (D_HIDDEN, 3 * D_HIDDEN),
        "b_x": (3 * D_HIDDEN,),
        "b_hn": (D_HIDDEN,),
    }


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_recurrent_weights_have_the_stated_singular_values(key, scale):
    w_h = init_rnn(key, D_IN, D_HIDDEN, recurrent_scale=scale)["w_h"]
    np.testing.assert_allclose(np.linalg.svd(np.asarray(w_h))[1], scale, rtol=1e-5)
    gate_blocks = jnp.split(init_gru(key, D_IN, D_HIDDEN)["w_h"], 3, axis=1)
    for block in gate_blocks:  # one orthogonal block per gate, as flax draws them
        np.testing.assert_allclose(block.T @ block, np.eye(D_HIDDEN), atol=1e-5)


def test_gru_cell_matches_flax_gru_cell(key):
    params_key, h_key, x_key = jax.random.split(key, 3)
    params = random_gru_params(params_key)
    h = jax.random.normal(h_key, (BATCH, D_HIDDEN))
    x = jax.random.normal(x_key, (BATCH, D_IN))
    flax_h, flax_out = fnn.GRUCell(features=D_HIDDEN).apply(
        {"params": gru_params_to_flax(params)}, h, x
    )
    got = gru_cell(params, h, x)
    assert got.shape == (BATCH, D_HIDDEN)
    np.testing.assert_allclose(got, flax_h, **TOL)
    np.testing.assert_allclose(got, flax_out, **TOL)


def test_gru_params_map_onto_flax_init_tree(key):
    """Same names and shapes as flax's own init: the copy in the test above is complete."""
    flax_params = fnn.GRUCell(features=D_HIDDEN).init(
        key, jnp.zeros((1, D_HIDDEN)), jnp.zeros((1, D_IN))
    )["params"]
    ours = gru_params_to_flax(init_gru(key, D_IN, D_HIDDEN))
    assert jax.tree.map(jnp.shape, ours) == jax.tree.map(jnp.shape, dict(flax_params))


def test_rnn_cell_matches_flax_simple_cell(key):
    params_key, b_key, h_key, x_key = jax.random.split(key, 4)
    params = init_rnn(params_key, D_IN, D_HIDDEN)
    params["b"] = jax.random.normal(b_key, (D_HIDDEN,))
    h = jax.random.normal(h_key, (BATCH, D_HIDDEN))
    x = jax.random.normal(x_key, (BATCH, D_IN))
    flax_params = {
        "i": {"kernel": params["w_x"], "bias": params["b"]},
        "h": {"kernel": params["w_h"]},
    }
    expected, _ = fnn.SimpleCell(features=D_HIDDEN).apply({"params": flax_params}, h, x)
    np.testing.assert_allclose(rnn_cell(params, h, x), expected, **TOL)


def python_loop(cell, h, xs):
    """The recurrence written as a plain loop over time: xs (batch, seq, d_in)."""
    states = []
    for t in range(xs.shape[1]):
        h = cell(h, xs[:, t])
        states.append(h)
    return jnp.stack(states, axis=1), h


@pytest.mark.parametrize("name", ["rnn", "gru"])
def test_scan_equals_a_python_loop_and_flax_rnn(key, name):
    params_key, h_key, x_key = jax.random.split(key, 3)
    if name == "gru":
        params, run, cell = random_gru_params(params_key), gru, gru_cell
        flax_cell, flax_params = fnn.GRUCell(features=D_HIDDEN), gru_params_to_flax(params)
    else:
        params, run, cell = init_rnn(params_key, D_IN, D_HIDDEN), rnn, rnn_cell
        flax_cell = fnn.SimpleCell(features=D_HIDDEN)
        flax_params = {"i": {"kernel": params["w_x"], "bias": params["b"]}}
        flax_params["h"] = {"kernel": params["w_h"]}
    h0 = jax.random.normal(h_key, (BATCH, D_HIDDEN))
    xs = jax.random.normal(x_key, (BATCH, SEQ, D_IN))
    run = jax.jit(run)
    hs, h_last = run(params, xs, h0)
    assert hs.shape == (BATCH, SEQ, D_HIDDEN) and h_last.shape == (BATCH, D_HIDDEN)
    loop_hs, loop_last = python_loop(partial(cell, params), h0, xs)
    np.testing.assert_allclose(hs, loop_hs, **TOL)
    np.testing.assert_allclose(h_last, loop_last, **TOL)
    np.testing.assert_allclose(hs[:, -1], h_last, **TOL)
    flax_rnn = jax.jit(fnn.RNN(flax_cell, return_carry=True).apply)
    flax_last, flax_hs = flax_rnn({"params": {"cell": flax_params}}, xs, initial_carry=h0)
    np.testing.assert_allclose(hs, flax_hs, **TOL)
    np.testing.assert_allclose(h_last, flax_last, **TOL)
    # one sequence without a batch axis, and the default zero state
    one_hs, _ = run(params, xs[0])
    zero_hs, _ = run(params, xs, jnp.zeros((BATCH, D_HIDDEN)))
    np.testing.assert_allclose(one_hs, run(params, xs)[0][0], **TOL)
    np.testing.assert_allclose(run(params, xs)[0], zero_hs, **TOL)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_char_lm_shapes_and_causality(key, cell):
    init_key, ids_key = jax.random.split(key)
    vocab = 11
    params = init_char_lm(init_key, vocab, 4, D_HIDDEN, cell=cell)
    ids = jax.random.randint(ids_key, (2, 9), 0, vocab)
    logits, h_last = lm_logits(params, ids, cell=cell)
    assert logits.shape == (2, 9, vocab) and h_last.shape == (2, D_HIDDEN)
    changed, _ = lm_logits(params, ids.at[:, 5:].set((ids[:, 5:] + 1) % vocab), cell=cell)
    np.testing.assert_allclose(logits[:, :5], changed[:, :5], **TOL)  # the past ignores the future
    assert not np.allclose(logits[:, 5:], changed[:, 5:], atol=1e-3)
    # the loss is the mean of -log softmax at the targets (oracle: jax.nn.log_softmax)
    targets = jnp.roll(ids, -1, axis=1)
    expected = -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), targets[..., None], -1))
    np.testing.assert_allclose(lm_loss(params, ids, targets, cell=cell), expected, **TOL)
    with pytest.raises(ValueError, match="cell="):
        init_char_lm(init_key, vocab, 4, D_HIDDEN, cell="lstm")


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_char_lm_learns_a_repeating_string(key, cell):
    """On "hello world " repeated, the next character is determined by the last few: the
    loss must fall from about log(vocab) to a small fraction of it."""
    text = "hello world " * 6
    chars = sorted(set(text))
    ids = jnp.array([chars.index(c) for c in text])
    inputs, targets = ids[None, :-1], ids[None, 1:]  # (1, seq)
    params = init_char_lm(key, len(chars), 8, D_STATS, cell=cell)
    optimizer = adam(3e-2)

    @jax.jit
    def train(params):
        def step(carry, _):
            params, opt_state = carry
            loss, grads = jax.value_and_grad(char_lm_loss)(params, inputs, targets, cell=cell)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (apply_updates(params, updates), opt_state), loss

        (params, _), losses = jax.lax.scan(step, (params, optimizer.init(params)), None, 150)
        return params, losses

    trained, losses = train(params)
    initial, final = float(losses[0]), float(lm_loss(trained, inputs, targets, cell=cell))
    assert initial > 0.5 * np.log(len(chars))
    assert final < 0.1, (initial, final)


# --- gradient norm vs distance ------------------------------------------------------------


@partial(jax.jit, static_argnames="linear")
def jacobian_norms(params, h0, xs, linear=False):
    """||dh_T/dh_t|| of one sequence of the tanh RNN, or of the linear one (act = identity)."""
    step = partial(rnn_cell, params, activation=identity if linear else jnp.tanh)
    return state_jacobian_norms(step, h0, xs)


def test_linear_rnn_jacobian_norms_are_matrix_power_norms(key):
    """Linear RNN: dh_T/dh_t = (W_h^T)^(T-t) exactly (oracle: numpy matrix_power, float64)."""
    params_key, w_key, x_key, h_key = jax.random.split(key, 4)
    params = init_rnn(params_key, D_IN, D_HIDDEN)
    gaussian = np.asarray(jax.random.normal(w_key, (D_HIDDEN, D_HIDDEN)), dtype=np.float64)
    w = 0.5 * gaussian / np.abs(np.linalg.eigvals(gaussian)).max()  # spectral radius 0.5
    params["w_h"] = jnp.asarray(w, dtype=jnp.float32)  # not a normal matrix: ||W^k|| != 0.5^k
    xs = jax.random.normal(x_key, (SEQ, D_IN))
    h0 = jax.random.normal(h_key, (D_HIDDEN,))
    norms = jacobian_norms(params, h0, xs, linear=True)
    w = np.asarray(params["w_h"], dtype=np.float64)  # the float32 matrix the RNN uses
    expected = [np.linalg.norm(np.linalg.matrix_power(w, SEQ - t), 2) for t in range(SEQ)]
    assert norms.shape == (SEQ,)
    np.testing.assert_allclose(norms, expected, rtol=1e-4)
    assert expected[0] / expected[-1] < 0.3  # the powers shrink: a wrong order would show


def test_tanh_rnn_jacobian_norms_match_autodiff_of_the_unrolled_loop(key):
    """Oracle: jax.jacrev of h_T with respect to a perturbation delta_t added to each h_t in
    a Python loop of cells, dh_T/d(delta_t) = dh_T/dh_t: autodiff, not our chain of J_s;
    the singular values by numpy's SVD."""
    params_key, b_key, x_key, h_key = jax.random.split(key, 4)
    params = init_rnn(params_key, D_IN, D_HIDDEN, recurrent_scale=1.3)
    params["b"] = 0.3 * jax.random.normal(b_key, (D_HIDDEN,))
    xs = jax.random.normal(x_key, (SEQ, D_IN))
    h0 = jax.random.normal(h_key, (D_HIDDEN,))

    def final_state(deltas):  # deltas: (seq, d_hidden)
        h = h0
        for t in range(SEQ):
            h = rnn_cell(params, h + deltas[t], xs[t])
        return h

    jacobian = jax.jit(jax.jacrev(final_state))(jnp.zeros((SEQ, D_HIDDEN)))  # (d, seq, d)
    expected = [np.linalg.norm(np.asarray(jacobian[:, t, :]), 2) for t in range(SEQ)]
    np.testing.assert_allclose(jacobian_norms(params, h0, xs), expected, rtol=1e-4)


def test_spectral_norm_over_a_wide_range(key):
    """Against numpy's SVD, from 1e-30 to 1e30, and 0 for the zero matrix."""
    m = jax.random.normal(key, (3, D_HIDDEN, D_HIDDEN))
    scales = jnp.array([1e-30, 1.0, 1e30])[:, None, None]
    expected = np.linalg.norm(np.asarray(m, dtype=np.float64), 2, axis=(-2, -1)) * [1e-30, 1, 1e30]
    np.testing.assert_allclose(spectral_norms(m * scales), expected, rtol=1e-5)
    assert spectral_norms(jnp.zeros((2, 2))) == 0.0


SEEDS, SEQ_LONG = 12, 20


@jax.jit
@partial(jax.vmap, in_axes=(0, None, None))
def log10_norms(key, recurrent_scale, input_scale):
    """log10 ||dh_T/dh_t|| for a random tanh RNN, inputs N(0, input_scale^2): (seq,)."""
    params_key, x_key, h_key = jax.random.split(key, 3)
    params = init_rnn(params_key, D_IN, D_STATS, recurrent_scale=recurrent_scale)
    xs = input_scale * jax.random.normal(x_key, (SEQ_LONG, D_IN))
    h0 = 0.1 * jax.random.normal(h_key, (D_STATS,))
    return jnp.log10(state_jacobian_norms(partial(rnn_cell, params), h0, xs))


def seed_keys():
    return jax.random.split(jax.random.key(7), SEEDS)


def beyond_noise(values, threshold):
    """mean(values) > threshold by 3 standard errors over the seeds."""
    return values.mean() - 3 * values.std() / np.sqrt(len(values)) > threshold


def test_small_recurrent_weights_vanish_within_the_bound(key):
    """||J_s|| <= ||W_h|| max tanh' = 0.5, so ||dh_T/dh_t|| <= 0.5^(T-t) on every seed."""
    log_norms = np.asarray(log10_norms(seed_keys(), 0.5, 1.0))  # (seeds, seq)
    distance = SEQ_LONG - np.arange(SEQ_LONG)
    assert (log_norms <= distance * np.log10(0.5) + 1e-4).all()
    assert beyond_noise(-log_norms[:, 0], 5.0)  # below 1e-5 across 20 steps


def test_tanh_saturation_vanishes_even_with_orthogonal_weights():
    """W_h orthogonal (every singular value 1): small inputs keep tanh near linear and the
    norm near 1; inputs of std 3 saturate tanh (tanh' ~ 0) and the gradient vanishes."""
    linear_regime = np.asarray(log10_norms(seed_keys(), 1.0, 0.01))[:, 0]
    saturated = np.asarray(log10_norms(seed_keys(), 1.0, 3.0))[:, 0]
    assert (np.abs(linear_regime) < 0.1).all()  # within 26% of 1 after 20 steps
    assert np.isfinite(saturated).all()  # small, but no float32 underflow to 0 in the products
    assert beyond_noise(linear_regime - saturated, 5.0)  # five decades smaller


def test_large_spectral_radius_explodes():
    """Spectral radius 2 and small inputs: tanh stays off saturation often enough that the
    product of Jacobians grows with distance (the chaotic regime of random tanh networks)."""
    log_norms = np.asarray(log10_norms(seed_keys(), 2.0, 0.1))  # (seeds, seq)
    assert beyond_noise(log_norms[:, 0], 1.0)  # more than 10x after 20 steps
    assert beyond_noise(log_norms[:, 0] - log_norms[:, SEQ_LONG // 2], 0.3)  # still growing
