"""Feature hierarchies in a trained CNN: what the units of each layer respond to.

A *unit* of a conv layer is one channel, the same filter applied at every position. What it
detects does not depend on where in the image it fires, so its response to an example is
its largest activation over the positions:

    response[n, c] = max_p a[n, p, c]          a: (n, *spatial, c) -> response: (n, c)

Three ways to look at units (Erhan et al. 2009; Zeiler & Fergus 2014; Olah et al. 2017):

- top-k examples: the k examples of a data set with the largest response of a unit;
- class purity of those k: the share of the most common label among them. In a trained
  classifier it rises with depth, from strokes shared by many digits to parts of one digit;
- activation maximization: gradient ascent on the input itself, kept in the pixel range
  [low, high] by clipping after every step (projected gradient ascent).

Run by lesson 08 (`lessons/08_computer_vision.py`), section 1, "Feature hierarchies in CNNs".
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def unit_responses(activations: jax.Array) -> jax.Array:
    """max over positions: (n, *spatial, c) -> (n, c); (n, c) without positions is returned."""
    return jnp.max(activations, axis=tuple(range(1, activations.ndim - 1)))


def top_k_examples(responses: jax.Array, k: int) -> jax.Array:
    """The k examples with the largest response of each unit, largest first.

    responses: (n, c) -> indices: (c, k) int32; ties go to the lower index (`lax.top_k`).
    """
    return jax.lax.top_k(responses.T, k)[1]  # responses.T: (c, n)


def top_k_purity(indices: jax.Array, labels: jax.Array, n_classes: int) -> jax.Array:
    """Share of the most common label among each unit's top examples.

    indices: (c, k) into labels: (n,) -> (c,) in [1/k, 1]; 1 when all k share one class.
    """
    counts = jax.nn.one_hot(labels[indices], n_classes).sum(axis=1)  # (c, n_classes)
    return counts.max(axis=-1) / indices.shape[1]


def maximize_input(
    objective: Callable[[jax.Array], jax.Array],
    x0: jax.Array,
    *,
    lr: float,
    n_steps: int,
    low: float = 0.0,
    high: float = 1.0,
) -> tuple[jax.Array, jax.Array]:
    """Projected gradient ascent on the input: x <- clip(x + lr grad objective(x), low, high).

    objective: x -> () (a unit's response, a class logit, minus any penalty); x0: any shape.
    Returns (x after n_steps, objective values before each step: (n_steps,)).
    """

    def step(x, _):
        value, grad = jax.value_and_grad(objective)(x)
        return jnp.clip(x + lr * grad, low, high), value

    return jax.lax.scan(step, jnp.clip(x0, low, high), None, length=n_steps)
