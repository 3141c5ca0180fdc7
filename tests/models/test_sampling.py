"""Sampling: `filtered_probs` against a numpy oracle of temperature, top-k and top-p; draws
against their distribution (a frequency bound); `generate` against a plain Python loop over
`transformer` and `sample`; one-line errors for bad settings."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.errors import UserError
from jlr.models.sampling import _generate, filtered_probs, generate, sample
from jlr.models.transformer import TransformerConfig, init_transformer, transformer

VOCAB = 12


def numpy_filtered_probs(logits, temperature=1.0, top_k=None, top_p=None) -> np.ndarray:
    """The definition, one row at a time in float64: softmax(z / T); keep the k largest;
    keep the shortest most-probable-first prefix with mass >= p; renormalise after each."""
    z = np.asarray(logits, np.float64) / temperature
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")
    if top_k is not None:
        kept = np.zeros_like(probs)
        kept[order[:top_k]] = probs[order[:top_k]]
        probs = kept / kept.sum()
    if top_p is not None:
        order = np.argsort(-probs, kind="stable")
        cumulative = np.cumsum(probs[order])
        n_kept = int(np.searchsorted(cumulative, top_p)) + 1  # first prefix reaching top_p
        kept = np.zeros_like(probs)
        kept[order[:n_kept]] = probs[order[:n_kept]]
        probs = kept / kept.sum()
    return probs


filtered = jax.jit(filtered_probs)


@pytest.mark.parametrize(
    ("temperature", "top_k", "top_p"),
    [
        (1.0, None, None),
        (0.5, None, None),
        (2.0, None, None),
        (1.0, 1, None),
        (1.0, 4, None),
        (0.7, VOCAB, None),
        (1.0, None, 0.5),
        (1.0, None, 0.9),
        (1.3, None, 1.0),
        (0.8, 6, 0.7),
    ],
)
def test_filtered_probs_match_the_numpy_definition(temperature, top_k, top_p):
    rng = np.random.default_rng(0)
    logits = rng.normal(0.0, 2.0, (20, VOCAB)).astype(np.float32)
    probs = np.asarray(filtered(logits, temperature=temperature, top_k=top_k, top_p=top_p))
    for row, expected in zip(logits, probs, strict=True):
        oracle = numpy_filtered_probs(row, temperature, top_k, top_p)
        np.testing.assert_array_equal(expected > 0, oracle > 0)  # the same tokens kept
        np.testing.assert_allclose(expected, oracle, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-6)
    if top_k is not None:
        assert np.all((probs > 0).sum(-1) <= top_k)


def test_top_p_always_keeps_the_most_probable_token():
    logits = jnp.array([[0.1, 3.0, -1.0, 2.9]])
    np.testing.assert_array_equal(filtered_probs(logits, top_p=1e-9), [[0.0, 1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(filtered_probs(logits, top_k=1), [[0.0, 1.0, 0.0, 0.0]])


def test_draws_follow_the_filtered_distribution():
    """N = 40,000 draws: every token's frequency within 5 standard errors, sqrt(p(1-p)/N), of
    its probability (a false alarm about once in 10^5 runs per token), and no filtered-out
    token ever drawn."""
    n_draws = 40_000
    logits = jnp.asarray(np.random.default_rng(1).normal(0.0, 1.5, VOCAB), jnp.float32)
    settings = dict(temperature=0.8, top_k=8, top_p=0.9)
    probs = np.asarray(filtered_probs(logits, **settings), np.float64)
    draws = sample(jax.random.key(2), jnp.broadcast_to(logits, (n_draws, VOCAB)), **settings)
    assert draws.shape == (n_draws,) and draws.dtype == jnp.int32
    frequencies = np.bincount(np.asarray(draws), minlength=VOCAB) / n_draws
    assert np.all(frequencies[probs == 0] == 0)
    bound = 5 * np.sqrt(probs * (1 - probs) / n_draws)
    assert np.all(np.abs(frequencies - probs) <= bound), (frequencies, probs)
    assert (probs > 0).sum() >= 3  # the test exercises a real distribution


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"temperature": 0.0}, "temperature=0.0 must be > 0"),
        ({"temperature": -1.0}, "temperature=-1.0"),
        ({"top_k": 0}, "top_k=0 must be at least 1"),
        ({"top_p": 0.0}, "top_p=0.0 must lie in (0, 1]"),
        ({"top_p": 1.5}, "top_p=1.5 must lie in (0, 1]"),
    ],
)
def test_bad_settings_are_one_line_user_errors(settings, fragment):
    logits = jnp.zeros((VOCAB,))
    for call in (filtered_probs, lambda z, **kw: sample(jax.random.key(0), z, **kw)):
        with pytest.raises(UserError) as error:
            call(logits, **settings)
        assert fragment in str(error.value) and "\n" not in str(error.value)


# ------------------------------------------------------------------------- generate

CONFIG = TransformerConfig(vocab_size=VOCAB, block_size=6, n_layer=1, n_head=2, n_embd=8)


@pytest.fixture(scope="module")
def params():
    """A model whose predictions depend strongly on the context (weights scaled up)."""
    init = jax.jit(init_transformer, static_argnums=1)
    return jax.tree.map(lambda p: 8.0 * p, init(jax.random.key(3), CONFIG))


last_logits = jax.jit(lambda params, context: transformer(params, context, CONFIG)[0, -1])
sample_jit = jax.jit(sample)


def python_loop_generate(key, params, prompt, n_new, **settings):
    """The definition: each new token from the model's logits after the last block_size
    tokens (no padding), drawn with fold_in(key, i)."""
    tokens = list(prompt)
    for i in range(n_new):
        context = jnp.asarray(tokens[-CONFIG.block_size :])[None]  # (1, <= block_size)
        logits = last_logits(params, context)  # (vocab,)
        tokens.append(int(sample_jit(jax.random.fold_in(key, i), logits, **settings)))
    return tokens


@pytest.mark.parametrize(
    "settings", [{}, {"temperature": 0.7, "top_k": 5}, {"temperature": 1.2, "top_p": 0.8}]
)
def test_generate_equals_a_python_loop_over_the_model(params, settings):
    key, prompt = jax.random.key(4), [1, 5, 2]
    with jax.default_matmul_precision("highest"):
        ids = generate(key, params, CONFIG, jnp.asarray(prompt), 10, **settings)
        expected = python_loop_generate(key, params, prompt, 10, **settings)
    assert ids.shape == (13,) and ids.dtype == jnp.int32
    assert ids.tolist() == expected  # the window slides past block_size = 6
    assert len(set(expected[3:])) > 1


def test_generate_compiles_once_for_every_temperature_and_token(params):
    prompt = jnp.asarray([3, 4])
    generate(jax.random.key(5), params, CONFIG, prompt, 7, temperature=0.5)
    size = _generate._cache_size()
    for temperature in (0.8, 1.0, 2.0):
        generate(jax.random.key(5), params, CONFIG, prompt, 7, temperature=temperature)
    assert _generate._cache_size() == size


def test_generate_refuses_an_empty_prompt_and_bad_settings(params):
    with pytest.raises(UserError, match="at least one token"):
        generate(jax.random.key(6), params, CONFIG, jnp.zeros((0,), jnp.int32), 3)
    with pytest.raises(UserError, match="top_p=2.0"):
        generate(jax.random.key(6), params, CONFIG, jnp.asarray([1]), 3, top_p=2.0)
