import jax
import jax.numpy as jnp
import numpy as np
import optax
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jlr.probability import cross_entropy as ce
from jlr.probability import entropy, kl

HUGE = jnp.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]])


def test_matches_optax(key):
    logits_key, label_key = jax.random.split(key)
    logits = 3.0 * jax.random.normal(logits_key, (6, 5))
    labels = jax.random.dirichlet(label_key, jnp.ones(5), (6,))
    np.testing.assert_allclose(
        ce.softmax_cross_entropy(logits, labels),
        optax.softmax_cross_entropy(logits, labels),
        rtol=1e-5,
        atol=1e-6,
    )
    int_labels = jnp.array([0, 4, 2, 1, 3, 0])
    np.testing.assert_allclose(
        ce.softmax_cross_entropy_with_integer_labels(logits, int_labels),
        optax.softmax_cross_entropy_with_integer_labels(logits, int_labels),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        ce.logsumexp(logits), jax.scipy.special.logsumexp(logits, axis=-1), rtol=1e-6
    )


def test_logits_of_1e4_stay_finite_and_exact():
    one_hot = jnp.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    loss = ce.softmax_cross_entropy(HUGE, one_hot)
    # float32 spacing at 1e4 is ~1e-3, so log 2 next to 1e4 is good to ~1e-3 absolute
    np.testing.assert_allclose(loss, [2e4, 0.0, np.log(2)], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(
        loss, optax.softmax_cross_entropy(HUGE, one_hot), rtol=1e-5, atol=1e-3
    )
    int_loss = ce.softmax_cross_entropy_with_integer_labels(HUGE, jnp.array([1, 2, 0]))
    np.testing.assert_allclose(int_loss, [2e4, 0.0, np.log(2)], rtol=1e-5, atol=1e-3)
    grads = jax.grad(lambda z: ce.softmax_cross_entropy(z, one_hot).sum())(HUGE)
    assert np.all(np.isfinite(grads))
    # the textbook formula does not survive the same logits
    assert not np.all(np.isfinite(ce.naive_softmax_cross_entropy(HUGE, one_hot)))


def test_binary_cross_entropy_matches_optax():
    logits = jnp.array([-1e4, -3.0, 0.0, 2.5, 1e4])
    labels = jnp.array([0.0, 1.0, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(
        ce.sigmoid_binary_cross_entropy(logits, labels),
        optax.sigmoid_binary_cross_entropy(logits, labels),
        rtol=1e-5,
        atol=1e-6,
    )


@settings(max_examples=30, deadline=None)
@given(
    logits=hnp.arrays(np.float32, (4,), elements=st.floats(-20, 20, width=32)),
    weights=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda w: sum(w) > 0.1),
)
def test_cross_entropy_is_entropy_plus_kl(logits, weights):
    p = jnp.asarray(weights, dtype=jnp.float32) / sum(weights)
    q = jax.nn.softmax(jnp.asarray(logits))
    h_pq = ce.softmax_cross_entropy(jnp.asarray(logits), p)
    np.testing.assert_allclose(
        h_pq, entropy.entropy(p) + kl.kl_categorical(p, q), rtol=1e-3, atol=1e-3
    )
    assert h_pq >= entropy.entropy(p) - 1e-4  # Gibbs: cross-entropy >= entropy
