"""Embedding lookup against the one-hot matmul it stands for (values and the table's gradient:
repeated ids accumulate, absent ids get zero); tied logits against numpy's h E^T; the initial
scale against its stated standard deviation; ids outside the table give NaN, not a clamp."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.nn.embedding import embed, init_embedding, unembed

VOCAB, D_MODEL = 11, 6


def random_table(seed, vocab=VOCAB, d_model=D_MODEL):
    rng = np.random.default_rng(seed)
    return {"table": jnp.asarray(rng.standard_normal((vocab, d_model)), jnp.float32)}


@pytest.mark.parametrize("ids_shape", [(), (7,), (3, 5)], ids=["scalar", "seq", "batch-seq"])
def test_embed_is_a_one_hot_matmul(ids_shape):
    params = random_table(0)
    ids = jnp.asarray(np.random.default_rng(1).integers(0, VOCAB, ids_shape))
    got = embed(params, ids)
    assert got.shape == (*ids_shape, D_MODEL)
    # a one-hot row picks one row of the table: 1 * e + 0 * (the rest) is exact in float32
    np.testing.assert_array_equal(got, jax.nn.one_hot(ids, VOCAB) @ params["table"])


@jax.jit
def table_grads(params, ids, upstream):
    """d/dE of sum(upstream * x) through embed and through the one-hot matmul."""
    by_lookup = jax.grad(lambda p: jnp.sum(upstream * embed(p, ids)))(params)
    by_one_hot = jax.grad(lambda p: jnp.sum(upstream * (jax.nn.one_hot(ids, VOCAB) @ p["table"])))
    return by_lookup, by_one_hot(params)


def test_table_gradient_is_the_one_hot_transpose_times_upstream():
    params = random_table(2)
    ids = jnp.array([[1, 4, 1, 9], [4, 4, 0, 1]])  # repeats; ids 2, 3, 5-8, 10 absent
    upstream = jnp.asarray(np.random.default_rng(3).standard_normal((2, 4, D_MODEL)), jnp.float32)
    by_lookup, by_one_hot = table_grads(params, ids, upstream)
    np.testing.assert_allclose(by_lookup["table"], by_one_hot["table"], rtol=1e-6, atol=1e-6)
    absent = np.setdiff1d(np.arange(VOCAB), np.asarray(ids))
    assert np.all(by_lookup["table"][absent] == 0.0)
    expected_row_4 = upstream[0, 1] + upstream[1, 0] + upstream[1, 1]  # where id 4 occurs
    np.testing.assert_allclose(by_lookup["table"][4], expected_row_4, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("h_shape", [(D_MODEL,), (5, D_MODEL), (2, 3, D_MODEL)])
def test_unembed_is_h_times_the_table_transposed(h_shape):
    params = random_table(4)
    h = jnp.asarray(np.random.default_rng(5).standard_normal(h_shape), jnp.float32)
    logits = unembed(params, h)
    assert logits.shape == (*h_shape[:-1], VOCAB)
    expected = np.asarray(h, np.float64) @ np.asarray(params["table"], np.float64).T
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)


def test_tied_logits_score_each_token_by_its_own_embedding():
    """Tied: embed then unembed gives logits[t, v] = E[ids[t]] . E[v]; the largest entry of
    a row is usually the token itself (its squared norm)."""
    params = random_table(6, vocab=5, d_model=64)  # nearly orthogonal rows in 64 dimensions
    ids = jnp.array([3, 0, 4, 4])
    logits = unembed(params, embed(params, ids))
    table = np.asarray(params["table"], np.float64)
    np.testing.assert_allclose(logits, table[np.asarray(ids)] @ table.T, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(jnp.argmax(logits, axis=-1), ids)


def test_ids_outside_the_table_give_nan_rows():
    params = random_table(7)
    rows = embed(params, jnp.array([0, VOCAB, 2, VOCAB + 5]))
    assert np.all(np.isnan(rows[1])) and np.all(np.isnan(rows[3]))
    np.testing.assert_array_equal(rows[jnp.array([0, 2])], params["table"][jnp.array([0, 2])])


def test_init_scale_and_keys(key):
    first_key, second_key = jax.random.split(key)
    vocab, d_model = 512, 64
    table = init_embedding(first_key, vocab, d_model)["table"]
    assert table.shape == (vocab, d_model)
    # 32,768 normal draws: the sample std is within 3% of 1 / sqrt(d_model) (~0.4% std error)
    np.testing.assert_allclose(np.std(table), 1 / np.sqrt(d_model), rtol=0.03)
    np.testing.assert_allclose(np.mean(np.sum(np.square(table), axis=-1)), 1.0, rtol=0.03)
    custom = init_embedding(first_key, vocab, d_model, std=0.02)["table"]
    np.testing.assert_allclose(custom, table * 0.02 * np.sqrt(d_model), rtol=1e-5, atol=1e-8)
    assert np.all(init_embedding(second_key, vocab, d_model)["table"] != table)
