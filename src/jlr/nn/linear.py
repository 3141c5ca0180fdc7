"""The affine layer y = x W + b, the building block of every MLP."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def init_linear(key: jax.Array, d_in: int, d_out: int) -> dict[str, jax.Array]:
    """LeCun-normal weights, zero bias: {"w": (d_in, d_out), "b": (d_out,)}.

    w_ij ~ N(0, 1/d_in) keeps the variance of each output near that of an input.
    """
    w = jax.random.normal(key, (d_in, d_out)) / jnp.sqrt(d_in)
    return {"w": w, "b": jnp.zeros((d_out,))}


def linear(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    """y = x W + b.   x: (..., d_in) -> (..., d_out)."""
    return x @ params["w"] + params["b"]
