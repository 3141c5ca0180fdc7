"""Gradient transformations: an optimizer is a pair of pure functions (optax's design)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax

PyTree = Any
Schedule = Callable[[jax.Array], jax.Array]


class GradientTransformation(NamedTuple):
    init: Callable[[PyTree], PyTree]
    update: Callable[..., tuple[PyTree, PyTree]]  # (grads, state, params=None) -> (updates, state)


def apply_updates(params: PyTree, updates: PyTree) -> PyTree:
    """params + updates, leaf by leaf (the sign lives in the updates)."""
    return jax.tree.map(lambda p, u: p + u.astype(p.dtype), params, updates)


def learning_rate_at(lr: float | Schedule, step: jax.Array) -> jax.Array:
    """A constant learning rate or a schedule `step -> lr`, evaluated at `step`."""
    return lr(step) if callable(lr) else lr


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply transformations in order; the state is the tuple of their states."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None):
        new_state = []
        for transform, inner in zip(transforms, state, strict=True):
            grads, inner = transform.update(grads, inner, params)
            new_state.append(inner)
        return grads, tuple(new_state)

    return GradientTransformation(init, update)
