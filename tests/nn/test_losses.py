"""jlr.nn.losses: the re-exported cross-entropy at its one-example call sites, and accuracy."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jlr.nn import losses
from jlr.probability import cross_entropy


def test_cross_entropy_is_the_probability_definition():
    assert losses.softmax_cross_entropy is cross_entropy.softmax_cross_entropy


def test_one_example_and_vmapped_call_sites(key):
    logits = 5.0 * jax.random.normal(key, (8, 4))
    labels = jnp.arange(8) % 4
    expected = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    one = losses.softmax_cross_entropy(logits[3], labels[3])  # (n_classes,), () -> ()
    assert one.shape == ()
    np.testing.assert_allclose(one, expected[3], rtol=1e-5, atol=1e-6)
    vmapped = jax.vmap(losses.softmax_cross_entropy)(logits, labels)
    np.testing.assert_allclose(vmapped, expected, rtol=1e-5, atol=1e-6)
    mean_loss = jnp.mean(losses.softmax_cross_entropy(logits, labels))
    np.testing.assert_allclose(mean_loss, expected.mean(), rtol=1e-5, atol=1e-6)


def test_accuracy_counts_argmax_hits():
    logits = jnp.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 0.0]])
    labels = jnp.array([0, 2, 2, 1])
    np.testing.assert_allclose(losses.accuracy(logits, labels), 0.5, rtol=0, atol=0)
