"""Data augmentation in JAX: random shifts and random horizontal flips of images and signals.

A label-preserving transformation T of the input makes one example into many: training on
T(x) with the label of x teaches the model the invariance "T does not change the class".

    shift(x, o)[i] = x[i - o]   where 0 <= i - o < n on every spatial axis, else the fill
    flip_width(x)[.., j, :] = x[.., width - 1 - j, :]

The fill is 0 ("zero") or the nearest edge value ("edge": x[clip(i - o, 0, n - 1)]). Shifts
suit any data whose class does not depend on position (digits, MNIST-1D, CIFAR-10). Flips
suit only data whose classes are mirror-symmetric as sets: a mirrored cat is a cat, but a
mirrored 2, 3, 4, 5, 6, 7 or 9 is no digit at all (and a mirrored MNIST-1D signal is its
template read backwards), so flips teach a false invariance there.

Shapes: one example is (*spatial, c), with spatial = (h, w) for images or (width,) for 1-D
signals; the width is always axis -2. The random functions take a batch (batch, *spatial, c)
and draw each example's offset or coin from their one key.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

FILLS = ("zero", "edge")


def shift(x: jax.Array, offset: jax.Array, *, fill: str = "zero") -> jax.Array:
    """Translate one example by `offset` positions: out[i] = x[i - offset] (see above).

    x: (*spatial, c); offset: (n_spatial,) ints (positive moves the content towards higher
    indices, i.e. down and right) -> (*spatial, c). The offset may be traced (jit, vmap).
    """
    if fill not in FILLS:
        raise ValueError(f"fill={fill!r}: choose one of {', '.join(FILLS)}")
    for axis in range(x.ndim - 1):
        n = x.shape[axis]
        source = jnp.arange(n) - offset[axis]  # (n,): where each output position reads from
        x = jnp.take(x, jnp.clip(source, 0, n - 1), axis=axis)  # edge fill, same shape
        if fill == "zero":
            inside = (source >= 0) & (source < n)  # (n,)
            inside = jnp.expand_dims(inside, [a for a in range(x.ndim) if a != axis])
            x = jnp.where(inside, x, jnp.zeros((), x.dtype))  # inside: (1, .., n, .., 1)
    return x


def random_shift(key: jax.Array, x: jax.Array, max_shift: int, *, fill: str = "zero") -> jax.Array:
    """Shift each example by its own offset, uniform on {-max_shift, ..., max_shift} per axis.

    x: (batch, *spatial, c) -> same shape. Draws (batch, n_spatial) offsets from `key`.
    """
    offsets = jax.random.randint(key, (x.shape[0], x.ndim - 2), -max_shift, max_shift + 1)
    return jax.vmap(lambda example, offset: shift(example, offset, fill=fill))(x, offsets)


def flip_width(x: jax.Array) -> jax.Array:
    """Mirror left-right (reverse the width axis, -2): (..., width, c) -> same; its own inverse."""
    return jnp.flip(x, axis=-2)


def random_flip(key: jax.Array, x: jax.Array, flip_prob: float = 0.5) -> jax.Array:
    """Mirror each example left-right with probability flip_prob: x: (batch, *spatial, c)."""
    flipped = jax.random.bernoulli(key, flip_prob, (x.shape[0],) + (1,) * (x.ndim - 1))
    return jnp.where(flipped, flip_width(x), x)


def augment(
    key: jax.Array, x: jax.Array, *, max_shift: int = 0, flip: bool = False, fill: str = "zero"
) -> jax.Array:
    """random_shift (if max_shift > 0), then random_flip (if flip): x: (batch, *spatial, c).

    The key is split once, into one key per transformation, so switching one of them on or
    off leaves the other's draws unchanged.
    """
    shift_key, flip_key = jax.random.split(key)
    if max_shift > 0:
        x = random_shift(shift_key, x, max_shift, fill=fill)
    if flip:
        x = random_flip(flip_key, x)
    return x
