import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jlr.probability import cross_entropy as ce
from jlr.probability import entropy, kl

HUGE = jnp.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]])


def test_integer_labels_match_optax_per_example(key):
    logits_key, label_key = jax.random.split(key)
    logits = 3.0 * jax.random.normal(logits_key, (2, 6, 5))  # any leading batch shape
    labels = jax.random.randint(label_key, (2, 6), 0, 5)
    losses = ce.softmax_cross_entropy(logits, labels)
    assert losses.shape == (2, 6)
    np.testing.assert_allclose(
        losses,
        optax.softmax_cross_entropy_with_integer_labels(logits, labels),
        rtol=1e-5,
        atol=1e-6,
    )


def test_one_example_and_vmap_agree_with_the_batch(key):
    logits = 3.0 * jax.random.normal(key, (6, 5))
    labels = jnp.array([0, 4, 2, 1, 3, 0])
    batch = ce.softmax_cross_entropy(logits, labels)
    one = ce.softmax_cross_entropy(logits[1], labels[1])  # (n_classes,), () -> ()
    assert one.shape == ()
    np.testing.assert_allclose(one, -np.log(jax.nn.softmax(logits[1])[4]), rtol=1e-5)
    np.testing.assert_allclose(jax.vmap(ce.softmax_cross_entropy)(logits, labels), batch, rtol=1e-6)


def test_soft_targets_match_optax(key):
    logits_key, target_key = jax.random.split(key)
    logits = 3.0 * jax.random.normal(logits_key, (6, 5))
    targets = jax.random.dirichlet(target_key, jnp.ones(5), (6,))
    np.testing.assert_allclose(
        ce.cross_entropy(logits, targets),
        optax.softmax_cross_entropy(logits, targets),
        rtol=1e-5,
        atol=1e-6,
    )


def test_logsumexp_matches_scipy(key):
    logits = 30.0 * jax.random.normal(key, (4, 7))
    expected = scipy.special.logsumexp(np.asarray(logits, np.float64), axis=-1)
    np.testing.assert_allclose(ce.logsumexp(logits), expected, rtol=1e-6)


def test_logits_of_1e4_stay_finite_and_exact():
    # by hand: row 0 picks -1e4 against a max of 1e4 -> 2e4; row 1 picks its max -> 0;
    # row 2 picks one of two tied maxima -> log 2. float32 spacing at 1e4 is ~1e-3.
    labels = jnp.array([1, 2, 0])
    loss = ce.softmax_cross_entropy(HUGE, labels)
    np.testing.assert_allclose(loss, [2e4, 0.0, np.log(2)], rtol=1e-5, atol=1e-3)
    soft = ce.cross_entropy(HUGE, jnp.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]]))
    np.testing.assert_allclose(soft, [2e4, 0.0, np.log(2)], rtol=1e-5, atol=1e-3)
    grads = jax.grad(lambda z: ce.softmax_cross_entropy(z, labels).sum())(HUGE)
    # d/dz (-log softmax(z)_y) = softmax(z) - onehot(y), by hand for these logits
    expected = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 0.0], [-0.5, 0.5, 0.0]])
    np.testing.assert_allclose(grads, expected, atol=1e-6)
    # the textbook formula does not survive the same logits
    assert not np.all(np.isfinite(ce.naive_softmax_cross_entropy(HUGE, labels)))


def test_naive_formula_agrees_where_it_does_not_overflow(key):
    logits = 3.0 * jax.random.normal(key, (6, 5))
    labels = jnp.array([0, 4, 2, 1, 3, 0])
    np.testing.assert_allclose(
        ce.naive_softmax_cross_entropy(logits, labels),
        optax.softmax_cross_entropy_with_integer_labels(logits, labels),
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
    h_pq = ce.cross_entropy(jnp.asarray(logits), p)
    np.testing.assert_allclose(
        h_pq, entropy.entropy(p) + kl.kl_categorical(p, q), rtol=1e-3, atol=1e-3
    )
    assert h_pq >= entropy.entropy(p) - 1e-4  # Gibbs: cross-entropy >= entropy
