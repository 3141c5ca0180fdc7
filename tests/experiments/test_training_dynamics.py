"""Training dynamics: update ratios against a direct computation, and one recorded GPT step
against the same step taken by hand."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.experiments.training_dynamics import (
    DynamicsSize,
    char_corpus,
    dynamics_runs,
    make_run,
    parameter_groups,
    rise_above_start,
    update_ratios,
    warmup_schedule,
)
from jlr.models.transformer import TransformerConfig, init_transformer, lm_loss
from jlr.optim import adamw, apply_updates

pytestmark = pytest.mark.usefixtures("highest_precision")  # oracles: no TF32

TINY_MODEL = TransformerConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8)


def flat(tree) -> np.ndarray:
    return np.concatenate(
        [np.ravel(np.asarray(leaf, np.float64)) for leaf in jax.tree.leaves(tree)]
    )


def test_update_ratios_equal_a_direct_computation(key):
    old_key, new_key = jax.random.split(key)
    old = init_transformer(old_key, TINY_MODEL)
    new = jax.tree.map(lambda a, b: a + 0.1 * b, old, init_transformer(new_key, TINY_MODEL))
    ratios = np.asarray(update_ratios(old, new))
    # by hand: the groups named, each one vector of all its leaves
    pieces = {
        "embed": [old["embed"]["table"], old["positions"]["table"]],
        "block 0": old["blocks"][0],
        "block 1": old["blocks"][1],
        "ln_f": old["ln_f"],
    }
    new_pieces = {
        "embed": [new["embed"]["table"], new["positions"]["table"]],
        "block 0": new["blocks"][0],
        "block 1": new["blocks"][1],
        "ln_f": new["ln_f"],
    }
    assert list(parameter_groups(old)) == list(pieces)
    expected = [
        np.linalg.norm(flat(new_pieces[k]) - flat(pieces[k])) / np.linalg.norm(flat(pieces[k]))
        for k in pieces
    ]
    np.testing.assert_allclose(ratios, expected, rtol=1e-5)


def test_warmup_schedule_and_rise_above_start():
    schedule = warmup_schedule(0.2, 4)
    np.testing.assert_allclose([schedule(t) for t in range(6)], [0.05, 0.1, 0.15, 0.2, 0.2, 0.2],
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(warmup_schedule(0.2, 0)(0), 0.2, rtol=1e-6)
    loss = np.array([[4.0, 3.0, 5.5, 2.0], [4.0, 3.0, 2.0, 1.0], [4.0, np.nan, 1.0, 1.0]])
    np.testing.assert_array_equal(rise_above_start(loss), [1.5, -1.0, np.inf])


@pytest.fixture(scope="module")
def corpus():
    vocab, ids = char_corpus(3000)
    return vocab, jnp.asarray(ids)


def test_recorded_first_step_equals_the_step_taken_by_hand(corpus):
    vocab, ids = corpus
    model = TransformerConfig(vocab.size, block_size=8, n_layer=1, n_head=2, n_embd=8)
    n_steps, batch, lr, warmup = 4, 3, 0.05, 2
    init_key, data_key, noise_key = jax.random.split(jax.random.key(5), 3)
    noise_starts = jax.random.randint(noise_key, (3, 6), 0, len(ids) - 8)
    run = make_run(model, ids, n_steps, batch)
    with jax.default_matmul_precision("highest"):
        record = jax.jit(run)(lr, warmup, init_key, data_key, noise_starts)
        # the same first step, by hand
        params = init_transformer(init_key, model)
        starts = jax.random.randint(data_key, (n_steps, batch), 0, len(ids) - 8)[0]
        chunk = ids[starts[:, None] + jnp.arange(9)]  # (batch, T + 1)
        loss, grads = jax.value_and_grad(lm_loss)(params, chunk[:, :-1], chunk[:, 1:], model)
        optimizer = adamw(lr / warmup, b1=0.9, b2=0.99, weight_decay=0.0)
        updates, _ = optimizer.update(grads, optimizer.init(params), params)
        new = apply_updates(params, updates)
    np.testing.assert_allclose(record["loss"][0], loss, rtol=1e-5)
    np.testing.assert_allclose(record["grad_norm"][0], np.linalg.norm(flat(grads)), rtol=1e-5)
    np.testing.assert_allclose(record["update_ratio"][0], update_ratios(params, new), rtol=1e-4)
    assert record["loss"].shape == (n_steps,) and record["update_ratio"].shape == (n_steps, 3)
    assert record["noise_b_simple"].shape == (3,) and bool(jnp.all(record["finite"]))


def test_dynamics_runs_shapes_and_pairing(corpus):
    """Every config of a seed starts from the same parameters and batches: step 0's loss is
    the same for every config, and differs between seeds."""
    size = DynamicsSize(1, 2, 8, 8, 3, 4, 3000)
    result = dynamics_runs(jax.random.key(6), size, configs=((0.01, 0), (0.05, 2)), n_seeds=2,
                           n_checks=3, noise_examples=6)  # fmt: skip
    assert result["loss"].shape == (2, 2, 4) and result["update_ratio"].shape == (2, 2, 4, 3)
    assert result["noise_b_simple"].shape == (2, 2, 3)
    np.testing.assert_array_equal(result["noise_steps"], [0, 2, 4])
    np.testing.assert_allclose(result["lr"], [[0.01] * 4, [0.025, 0.05, 0.05, 0.05]], rtol=1e-6)
    np.testing.assert_allclose(result["loss"][0, :, 0], result["loss"][1, :, 0], rtol=1e-6)
    assert abs(result["loss"][0, 0, 0] - result["loss"][0, 1, 0]) > 1e-4
    assert result["groups"] == ["embed", "block 0", "ln_f"]
    with pytest.raises(ValueError, match="n_checks"):
        dynamics_runs(jax.random.key(6), size, n_checks=4)
