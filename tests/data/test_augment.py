"""Random shifts and flips (jlr.data.augment) against numpy slicing and padding, as properties:
shapes kept, content moved by exactly the offset with zero (or edge) fill, offsets uniform over
their range, flips their own inverse, each key consumed once, the same draws under vmap."""

import itertools
from functools import partial

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

from jlr.data.augment import augment, flip_width, random_flip, random_shift, shift


def numpy_shift(x: np.ndarray, offset, fill: str = "zero") -> np.ndarray:
    """The oracle: pad every spatial axis by n (zeros or edge values), then crop the window
    that starts n - o positions in, so out[i] = x[i - o]; x: (*spatial, c)."""
    spatial = x.shape[:-1]
    pads = [(n, n) for n in spatial] + [(0, 0)]
    padded = np.pad(x, pads, mode="constant" if fill == "zero" else "edge")
    window = tuple(slice(n - o, 2 * n - o) for n, o in zip(spatial, offset, strict=True))
    return padded[window]


def distinct_values(shape) -> np.ndarray:
    """1, 2, 3, ...: every position different and none zero, so a shift is identifiable."""
    return np.arange(1, np.prod(shape) + 1, dtype=np.float32).reshape(shape)


shift_jit = jax.jit(shift, static_argnames="fill")
random_shift_jit = jax.jit(random_shift, static_argnames=("max_shift", "fill"))
random_flip_jit = jax.jit(random_flip)
augment_jit = jax.jit(augment, static_argnames=("max_shift", "flip", "fill"))


@settings(max_examples=40, deadline=None)
@given(
    spatial=st.sampled_from([(7,), (5, 6), (4, 4)]),
    data=st.data(),
    fill=st.sampled_from(["zero", "edge"]),
)
def test_shift_moves_content_by_the_offset(spatial, data, fill):
    """Offsets from -n to n, so shifts past the whole image (all fill) are covered too."""
    offset = tuple(data.draw(st.integers(-n, n)) for n in spatial)
    x = distinct_values((*spatial, 2))
    got = shift_jit(jnp.asarray(x), jnp.asarray(offset), fill=fill)  # offset traced under jit
    np.testing.assert_array_equal(got, numpy_shift(x, offset, fill))


def test_shift_by_k_pixels_by_hand():
    """A 1-D signal moved right by 2 and an image moved up by 1, written out."""
    signal = jnp.arange(1.0, 6.0)[:, None]  # (5, 1)
    np.testing.assert_array_equal(shift(signal, jnp.array([2]))[:, 0], [0, 0, 1, 2, 3])
    np.testing.assert_array_equal(shift(signal, jnp.array([2]), fill="edge")[:, 0], [1, 1, 1, 2, 3])
    image = jnp.arange(1.0, 10.0).reshape(3, 3, 1)
    np.testing.assert_array_equal(
        shift(image, jnp.array([-1, 0]))[..., 0], [[4, 5, 6], [7, 8, 9], [0, 0, 0]]
    )
    with pytest.raises(ValueError, match="fill"):
        shift(image, jnp.array([0, 0]), fill="wrap")


@pytest.mark.parametrize("shape", [(6, 10, 1), (6, 5, 7, 3)])  # signals and images
def test_augmentations_keep_the_shape(key, shape):
    x = jax.random.normal(key, shape)
    assert random_shift_jit(key, x, max_shift=2).shape == shape
    assert random_flip_jit(key, x).shape == shape
    assert augment_jit(key, x, max_shift=2, flip=True).shape == shape
    assert flip_width(x).shape == shape


def test_random_shift_draws_every_offset_in_range_uniformly(key):
    """Each example is the oracle's shift of its input by some offset in [-k, k]^2, and over
    600 examples the (2k + 1)^2 = 25 offsets occur about 600 / 25 = 24 times each."""
    k, batch = 2, 600
    x = np.broadcast_to(distinct_values((5, 6, 1)), (batch, 5, 6, 1))
    out = np.asarray(random_shift_jit(key, jnp.asarray(x), max_shift=k))
    offsets = list(itertools.product(range(-k, k + 1), repeat=2))
    candidates = np.stack([numpy_shift(x[0], o) for o in offsets])  # (25, 5, 6, 1)
    matches = np.all(out[:, None] == candidates[None], axis=(2, 3, 4))  # (batch, 25)
    assert np.all(matches.sum(axis=1) == 1), "every example is exactly one allowed shift"
    counts = matches.sum(axis=0)  # (25,) binomial(600, 1/25): mean 24, std 4.8
    assert counts.min() > 24 - 4 * 4.8 and counts.max() < 24 + 4 * 4.8, counts


def test_flips_are_their_own_inverse_and_mirror_the_width(key):
    images = jax.random.normal(key, (3, 4, 5, 2))
    np.testing.assert_array_equal(flip_width(flip_width(images)), images)
    np.testing.assert_array_equal(flip_width(images), np.asarray(images)[:, :, ::-1, :])
    signals = images[:, 0]  # (3, 5, 2): the width is axis 1, not the channels
    np.testing.assert_array_equal(flip_width(signals), np.asarray(signals)[:, ::-1, :])
    # the same key draws the same coins, so a random flip applied twice is the identity
    np.testing.assert_array_equal(random_flip_jit(key, random_flip_jit(key, images)), images)


def test_random_flip_flips_about_half(key):
    batch = 2000
    x = jnp.broadcast_to(jnp.arange(1.0, 7.0).reshape(1, 6, 1), (batch, 6, 1))
    out = np.asarray(random_flip_jit(key, x))
    flipped = np.all(out == np.asarray(x)[:, ::-1], axis=(1, 2))
    kept = np.all(out == np.asarray(x), axis=(1, 2))
    assert np.all(flipped ^ kept), "every example is either mirrored or untouched"
    assert abs(flipped.mean() - 0.5) < 4 * np.sqrt(0.25 / batch)


def test_each_key_is_used_once(key):
    """JAX's key-reuse checker passes on augment and catches the mistake it guards against:
    one key for both the shift and the flip."""
    x = jnp.ones((4, 6, 6, 1))
    with jax.debug_key_reuse(True):
        jax.block_until_ready(jax.jit(partial(augment, max_shift=1, flip=True))(key, x))

        def shared_key(key, x):
            return random_flip(key, random_shift(key, x, 1))

        with pytest.raises(jax.errors.KeyReuseError):
            jax.jit(shared_key)(key, x)


def test_switching_the_flip_leaves_the_shifts_unchanged(key):
    """augment gives each transformation its own key: the shift alone equals the shift that
    augment does before flipping (flipping back undoes the flip where it happened)."""
    x = jax.random.normal(key, (64, 5, 5, 1))
    shifted = augment_jit(key, x, max_shift=2, flip=False)
    both = augment_jit(key, x, max_shift=2, flip=True)
    mirrored = np.all(np.asarray(both) == np.asarray(flip_width(shifted)), axis=(1, 2, 3))
    same = np.all(np.asarray(both) == np.asarray(shifted), axis=(1, 2, 3))
    assert np.all(mirrored | same) and mirrored.any() and same.any()


def test_under_vmap_each_key_gives_its_own_draw(key):
    """vmap over a seed axis of keys and batches equals one call per seed, and the seeds'
    draws differ."""
    data_key, keys_key = jax.random.split(key)
    x = jax.random.normal(data_key, (4, 8, 6, 6, 1))  # (n_seeds, batch, h, w, c)
    keys = jax.random.split(keys_key, 4)
    aug = partial(augment, max_shift=2, flip=True)
    batched = jax.jit(jax.vmap(aug))(keys, x)
    for seed in range(4):
        np.testing.assert_array_equal(
            batched[seed], augment_jit(keys[seed], x[seed], max_shift=2, flip=True)
        )
    same_input = jax.jit(jax.vmap(aug, in_axes=(0, None)))(keys, x[0])  # (4, batch, 6, 6, 1)
    assert not np.array_equal(same_input[0], same_input[1])
