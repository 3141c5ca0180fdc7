"""The GPT of `jlr.models.transformer` against a flax.linen GPT with the same parameters copied
in (logits, attention weights and gradients, for learned, sinusoidal and rotary positions);
causality as a property; attention rows; GPT-2 init scales; the bfloat16 mode against float32
(logits, gradients, and a short training run); one-line config errors.

Oracle comparisons run at full float32 matmul precision (tests/conftest.py sets it for the
suite; the fixtures below set it again so the file also holds when run on its own on a GPU).
"""

from __future__ import annotations

import math
from functools import partial

import flax.linen as fnn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.errors import UserError
from jlr.models.transformer import (
    TransformerConfig,
    bf16_linear,
    init_transformer,
    lm_loss,
    transformer,
)
from jlr.nn.linear import linear

TOL = {"rtol": 2e-4, "atol": 2e-5}
VOCAB, BLOCK, N_LAYER, N_HEAD, N_EMBD = 11, 8, 2, 2, 8
BATCH = 3


def tiny_config(**overrides) -> TransformerConfig:
    fields = dict(vocab_size=VOCAB, block_size=BLOCK, n_layer=N_LAYER, n_head=N_HEAD, n_embd=N_EMBD)
    return TransformerConfig(**{**fields, **overrides})


@pytest.fixture(autouse=True)
def highest_precision():
    with jax.default_matmul_precision("highest"):
        yield


@partial(jax.jit, static_argnums=1)
def _moved_params(key: jax.Array, config: TransformerConfig) -> dict:
    init_key, noise_key = jax.random.split(key)
    params = init_transformer(init_key, config)
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(noise_key, len(leaves))
    moved = [
        leaf + 0.3 * jax.random.normal(k, leaf.shape) for leaf, k in zip(leaves, keys, strict=True)
    ]
    return jax.tree.unflatten(treedef, moved)


def random_params(config: TransformerConfig, seed: int = 0) -> dict:
    """init_transformer's params with every leaf moved by N(0, 0.3^2): biases and layer-norm
    parameters nonzero, weights large enough that every part of the model shows."""
    return _moved_params(jax.random.key(seed), config)


def random_ids(seed: int, shape=(BATCH, BLOCK)) -> jax.Array:
    return jax.random.randint(jax.random.key(seed), shape, 0, VOCAB)


# ------------------------------------------------------------------- the flax oracle


def numpy_sinusoids(seq: int, d: int) -> np.ndarray:
    """PE[t, 2j] = sin(t / 10000^(2j/d)), PE[t, 2j+1] = cos(...), in float64 numpy."""
    angles = np.arange(seq)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)  # (seq, d/2)
    table = np.empty((seq, d))
    table[:, 0::2], table[:, 1::2] = np.sin(angles), np.cos(angles)
    return table


def complex_rope(x: jax.Array) -> jax.Array:
    """RoPE as complex multiplication: x (batch, seq, heads, d_head), pairs (2j, 2j+1)."""
    d_head, seq = x.shape[-1], x.shape[1]
    theta = 10000.0 ** (-np.arange(0, d_head, 2) / d_head)  # (d_head/2,)
    rotation = np.exp(1j * np.arange(seq)[:, None] * theta)[:, None, :]  # (seq, 1, d_head/2)
    z = (x[..., 0::2] + 1j * x[..., 1::2]) * rotation
    return jnp.stack([z.real, z.imag], axis=-1).reshape(x.shape).astype(x.dtype)


def rope_attention(query, key, value, mask=None, module=None):
    """flax's attention on rotated q and k (flax passes only the keywords named here)."""
    return fnn.dot_product_attention(
        complex_rope(query), complex_rope(key), value, mask=mask, module=module
    )


class FlaxBlock(fnn.Module):
    n_head: int
    positional: str

    @fnn.compact
    def __call__(self, x):
        causal = fnn.make_causal_mask(jnp.ones(x.shape[:2]))  # (batch, 1, seq, seq)
        attention_fn = rope_attention if self.positional == "rope" else fnn.dot_product_attention
        attn = fnn.MultiHeadDotProductAttention(
            num_heads=self.n_head, attention_fn=attention_fn, name="attn"
        )
        h = fnn.LayerNorm(epsilon=1e-5, name="ln_1")(x)
        x = x + attn(h, mask=causal, sow_weights=True)
        h = fnn.LayerNorm(epsilon=1e-5, name="ln_2")(x)
        h = jax.nn.gelu(fnn.Dense(4 * x.shape[-1], name="fc")(h), approximate=True)
        return x + fnn.Dense(x.shape[-1], name="proj")(h)


class FlaxGPT(fnn.Module):
    config: TransformerConfig

    @fnn.compact
    def __call__(self, ids):
        c = self.config
        wte = fnn.Embed(c.vocab_size, c.n_embd, name="wte")
        x = wte(ids)
        if c.positional == "learned":
            x = x + fnn.Embed(c.block_size, c.n_embd, name="wpe")(jnp.arange(ids.shape[1]))
        elif c.positional == "sinusoidal":
            x = x + numpy_sinusoids(ids.shape[1], c.n_embd).astype(np.float32)
        for i in range(c.n_layer):
            x = FlaxBlock(c.n_head, c.positional, name=f"block_{i}")(x)
        return wte.attend(fnn.LayerNorm(epsilon=1e-5, name="ln_f")(x))


def to_flax(params: dict, config: TransformerConfig) -> dict:
    """Our param pytree in the flax model's names and shapes (reshapes only, so it also maps
    our gradients to flax's layout)."""
    d, heads, d_head = config.n_embd, config.n_head, config.d_head

    def dense(layer):
        return {"kernel": layer["w"], "bias": layer["b"]}

    def block(p):
        attn = {
            name: {"kernel": p["attn"][ours]["w"].reshape(d, heads, d_head),
                   "bias": p["attn"][ours]["b"].reshape(heads, d_head)}
            for ours, name in (("q", "query"), ("k", "key"), ("v", "value"))
        }  # fmt: skip
        attn["out"] = {"kernel": p["attn"]["o"]["w"].reshape(heads, d_head, d),
                       "bias": p["attn"]["o"]["b"]}  # fmt: skip
        return {"ln_1": p["ln_1"], "attn": attn, "ln_2": p["ln_2"],
                "fc": dense(p["mlp"]["fc"]), "proj": dense(p["mlp"]["proj"])}  # fmt: skip

    flax_params = {"wte": {"embedding": params["embed"]["table"]}, "ln_f": params["ln_f"]}
    flax_params.update({f"block_{i}": block(p) for i, p in enumerate(params["blocks"])})
    if config.positional == "learned":
        flax_params["wpe"] = {"embedding": params["positions"]["table"]}
    return flax_params


def flax_forward(flax_params, ids, config):
    """Logits and attention weights (n_layer, batch, n_head, seq, seq) of the flax GPT."""
    logits, state = FlaxGPT(config).apply({"params": flax_params}, ids, mutable=["intermediates"])
    inter = state["intermediates"]
    weights = [inter[f"block_{i}"]["attn"]["attention_weights"][0] for i in range(config.n_layer)]
    return logits, jnp.stack(weights)


def flax_loss(flax_params, ids, targets, config):
    logits, _ = flax_forward(flax_params, ids, config)
    log_probs = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_probs, targets[..., None], axis=-1))


forward = jax.jit(transformer, static_argnames=("config", "return_attention"))
loss_and_grad = jax.jit(jax.value_and_grad(lm_loss), static_argnames="config")
flax_forward_jit = jax.jit(flax_forward, static_argnames="config")
flax_loss_and_grad = jax.jit(jax.value_and_grad(flax_loss), static_argnames="config")


# ------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("positional", ["learned", "sinusoidal", "rope"])
def test_logits_and_attention_match_a_flax_gpt(positional):
    config = tiny_config(positional=positional)
    params = random_params(config)
    ids = random_ids(1)
    logits, weights = forward(params, ids, config, return_attention=True)
    flax_logits, flax_weights = flax_forward_jit(to_flax(params, config), ids, config)
    assert logits.shape == (BATCH, BLOCK, VOCAB) and logits.dtype == jnp.float32
    assert weights.shape == (N_LAYER, BATCH, N_HEAD, BLOCK, BLOCK)
    np.testing.assert_allclose(logits, flax_logits, **TOL)
    np.testing.assert_allclose(weights, flax_weights, **TOL)
    # a shorter sequence is the same model on the first tokens
    short = forward(params, ids[:, :5], config)
    np.testing.assert_allclose(short, logits[:, :5], **TOL)


@pytest.mark.parametrize("positional", ["learned", "rope"])
def test_gradients_match_jax_grad_of_the_flax_gpt(positional):
    config = tiny_config(positional=positional)
    params = random_params(config, seed=2)
    ids, targets = random_ids(3), random_ids(4)
    loss, grads = loss_and_grad(params, ids, targets, config)
    flax_loss_value, flax_grads = flax_loss_and_grad(to_flax(params, config), ids, targets, config)
    np.testing.assert_allclose(loss, flax_loss_value, **TOL)
    ours = jax.tree_util.tree_leaves_with_path(to_flax(grads, config))
    theirs = dict(jax.tree_util.tree_leaves_with_path(flax_grads))
    assert len(ours) == len(theirs)
    for path, grad in ours:
        np.testing.assert_allclose(grad, theirs[path], rtol=1e-3, atol=1e-5, err_msg=str(path))


@pytest.mark.parametrize("j", [0, 3, BLOCK - 1])
def test_a_token_changes_no_logits_before_it(j):
    config = tiny_config(positional="rope")
    params = random_params(config, seed=5)
    ids = random_ids(6)
    changed = ids.at[:, j].set((ids[:, j] + 1) % VOCAB)
    before, after = forward(params, ids, config), forward(params, changed, config)
    np.testing.assert_allclose(after[:, :j], before[:, :j], rtol=1e-6, atol=1e-6)
    assert np.abs(after[:, j:] - before[:, j:]).max() > 1e-3  # it does change its own


def test_attention_rows_sum_to_one_and_are_zero_above_the_diagonal():
    config = tiny_config()
    _, weights = forward(
        random_params(config, seed=7), random_ids(8), config, return_attention=True
    )
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5, atol=1e-6)
    above = np.triu(np.ones((BLOCK, BLOCK), bool), k=1)
    assert np.all(np.asarray(weights)[..., above] == 0.0)
    assert np.all(np.asarray(weights)[..., ~above] > 0.0)


def test_gpt2_initialisation_scales():
    config = TransformerConfig(vocab_size=64, block_size=32, n_layer=6, n_head=4, n_embd=128)
    params = jax.jit(init_transformer, static_argnums=1)(jax.random.key(0), config)
    block = params["blocks"][0]
    residual_std = 0.02 / math.sqrt(2 * config.n_layer)
    for weight, expected in [
        (params["embed"]["table"], 0.02),
        (params["positions"]["table"], 0.02),
        (block["attn"]["q"]["w"], 0.02),
        (block["mlp"]["fc"]["w"], 0.02),
        (block["attn"]["o"]["w"], residual_std),
        (block["mlp"]["proj"]["w"], residual_std),
    ]:
        assert float(jnp.std(weight)) == pytest.approx(expected, rel=0.05)
    assert block["mlp"]["fc"]["w"].shape == (128, 512)
    assert np.all(block["attn"]["q"]["b"] == 0) and np.all(block["ln_1"]["scale"] == 1)
    assert "positions" not in init_transformer(jax.random.key(0), tiny_config(positional="rope"))


def test_dropout_needs_a_key_and_a_key_changes_only_training():
    config = tiny_config(dropout=0.3)
    params, ids = random_params(config, seed=9), random_ids(10)
    evaluation = forward(params, ids, config)
    np.testing.assert_array_equal(evaluation, forward(params, ids, tiny_config()))
    noisy = forward(params, ids, config, key=jax.random.key(1))
    assert np.abs(noisy - evaluation).max() > 1e-3
    np.testing.assert_array_equal(noisy, forward(params, ids, config, key=jax.random.key(1)))
    with pytest.raises(ValueError, match="block_size"):
        transformer(params, random_ids(11, (1, BLOCK + 1)), config)


# ------------------------------------------------------------------------- bfloat16

BF16_CONFIG = tiny_config(n_embd=32, n_head=4)


@partial(jax.jit, static_argnums=0)
def value_and_vjp(layer, params, x, cotangent):
    y, vjp = jax.vjp(layer, params, x)
    return y, vjp(cotangent)


def test_bf16_linear_is_the_linear_layer_at_bfloat16_operand_precision():
    """Forward and gradients within bf16's rounding (8 bits of mantissa, ~0.4%) of float32,
    and exactly the float32 result of the bf16-rounded operands."""
    key_x, key_w, key_b, key_g = jax.random.split(jax.random.key(12), 4)
    x = jax.random.normal(key_x, (3, 5, 16))
    params = {"w": jax.random.normal(key_w, (16, 24)), "b": jax.random.normal(key_b, (24,))}
    cotangent = jax.random.normal(key_g, (3, 5, 24))
    y, grads = value_and_vjp(bf16_linear, params, x, cotangent)
    y32, grads32 = value_and_vjp(linear, params, x, cotangent)
    assert y.dtype == jnp.float32
    rounded = {"w": params["w"].astype(jnp.bfloat16).astype(jnp.float32), "b": params["b"]}
    x_rounded = x.astype(jnp.bfloat16).astype(jnp.float32)
    np.testing.assert_allclose(y, linear(rounded, x_rounded), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y, y32, atol=2e-2 * np.abs(y32).max())
    for ours, exact in zip(jax.tree.leaves(grads), jax.tree.leaves(grads32), strict=True):
        assert ours.dtype == jnp.float32
        np.testing.assert_allclose(ours, exact, atol=2e-2 * np.abs(exact).max())


def test_bf16_model_is_close_to_float32():
    params = random_params(BF16_CONFIG, seed=13)
    ids, targets = random_ids(14), random_ids(15)
    bf16 = TransformerConfig(**{**BF16_CONFIG.__dict__, "compute_dtype": "bfloat16"})
    logits32, logits16 = forward(params, ids, BF16_CONFIG), forward(params, ids, bf16)
    assert logits16.dtype == jnp.float32
    np.testing.assert_allclose(logits16, logits32, atol=0.03 * np.abs(logits32).max())
    loss32, grads32 = loss_and_grad(params, ids, targets, BF16_CONFIG)
    loss16, grads16 = loss_and_grad(params, ids, targets, bf16)
    assert float(loss16) == pytest.approx(float(loss32), rel=1e-2)
    # every gradient within 5% (in norm) of float32's; the absolute 1e-6 is for the key
    # biases, whose exact gradient is 0 (adding q.b_k to every score of a row changes nothing)
    for (path, exact), mixed in zip(
        jax.tree_util.tree_leaves_with_path(grads32), jax.tree.leaves(grads16), strict=True
    ):
        error = float(jnp.linalg.norm(mixed - exact))
        assert error <= 0.05 * float(jnp.linalg.norm(exact)) + 1e-6, jax.tree_util.keystr(path)


TRAIN_TEXT = "def add(self, x):\n    return self.x + x\n\n" * 20
TRAIN_STEPS, TRAIN_BATCH = 150, 8


def train_tiny(config: TransformerConfig) -> tuple[float, float]:
    """(first, last) training loss of Adam on fixed windows of TRAIN_TEXT, one jitted scan."""
    from jlr.optim import adam, apply_updates

    chars = sorted(set(TRAIN_TEXT))
    tokens = np.array([chars.index(c) for c in TRAIN_TEXT], np.int32)
    rng = np.random.default_rng(0)
    starts = rng.integers(0, len(tokens) - config.block_size - 1, (TRAIN_STEPS, TRAIN_BATCH))
    windows = tokens[starts[..., None] + np.arange(config.block_size + 1)]  # (steps, B, T+1)
    optimizer = adam(3e-3)
    params = init_transformer(jax.random.key(0), config)

    @jax.jit
    def run(params, windows):
        def step(carry, window):
            params, opt_state = carry
            loss, grads = jax.value_and_grad(lm_loss)(params, window[:, :-1], window[:, 1:], config)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (apply_updates(params, updates), opt_state), loss

        _, losses = jax.lax.scan(step, (params, optimizer.init(params)), windows)
        return losses

    losses = np.asarray(run(params, jnp.asarray(windows)))
    return float(losses[:5].mean()), float(losses[-10:].mean())


def test_bf16_trains_to_the_float32_loss():
    """Both modes learn the repeated snippet (the loss falls by over 2 nats) and end within
    0.05 nats of each other, about 2% of the fall."""
    config = TransformerConfig(vocab_size=20, block_size=16, n_layer=2, n_head=2, n_embd=32)
    bf16 = TransformerConfig(**{**config.__dict__, "compute_dtype": "bfloat16"})
    assert len(set(TRAIN_TEXT)) <= config.vocab_size
    first32, last32 = train_tiny(config)
    first16, last16 = train_tiny(bf16)
    assert first32 - last32 > 2.0 and first16 - last16 > 2.0, (first32, last32, first16, last16)
    assert abs(last16 - last32) < 0.05, (last32, last16)


# ------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"n_embd": 10, "n_head": 4}, "not divisible by n_head=4"),
        ({"n_embd": 12, "n_head": 4, "positional": "rope"}, "odd"),
        ({"n_embd": 9, "n_head": 1, "positional": "sinusoidal"}, "even n_embd"),
        ({"positional": "alibi"}, "learned, sinusoidal, rope"),
        ({"compute_dtype": "float16"}, "float32, bfloat16"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"n_layer": 0}, "n_layer=0"),
        ({"vocab_size": 2.5}, "vocab_size=2.5"),
    ],
)
def test_bad_configs_are_one_line_user_errors(overrides, fragment):
    with pytest.raises(UserError) as error:
        tiny_config(**overrides)
    message = str(error.value)
    assert fragment in message and "\n" not in message, message
