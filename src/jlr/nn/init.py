"""Weight initialization by variance scaling: LeCun, Xavier/Glorot and He, normal and uniform.

A layer y = x W with independent zero-mean weights has Var(y_j) = fan_in Var(w) Var(x): the
variance of a weight sets how the signal's scale changes from layer to layer. Each scheme
picks Var(w) to keep a different quantity constant through depth:

    LeCun (1998)           Var(w) = 1 / fan_in               forward signal, linear/tanh units
    Xavier/Glorot (2010)   Var(w) = 2 / (fan_in + fan_out)   forward and backward, a compromise
    He/Kaiming (2015)      Var(w) = 2 / fan_in               forward signal through ReLU, which
                                                             zeroes half its inputs' variance

normal: w ~ N(0, Var(w));  uniform: w ~ U(-a, a), a = sqrt(3 Var(w)) (the same variance).
fan_in and fan_out count the inputs and outputs a weight touches: (d_in, d_out) for a dense
kernel, (k_h k_w c_in, k_h k_w c_out) for a conv kernel (kernel_h, kernel_w, c_in, c_out), as
`jax.nn.initializers` counts them. Each function has the signature of a `jax.nn.initializers`
function, `(key, shape, dtype) -> w`, so either can stand in for the other; JAX's named
normal ones draw from a truncated normal (same variance), these from the normal of the papers.

`statistics_at_init` measures what a scheme does: the activation std and weight-gradient norm
of each layer of a deep bias-free MLP at initialization.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

Initializer = Callable[..., jax.Array]


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel (*window, d_in, d_out): d_in and d_out times prod(window)."""
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def init_variance(scheme: str, shape: Sequence[int]) -> float:
    """Var(w): "lecun" 1 / fan_in, "xavier" 2 / (fan_in + fan_out), "he" 2 / fan_in."""
    fan_in, fan_out = fans(shape)
    if scheme == "lecun":
        return 1.0 / fan_in
    if scheme == "xavier":
        return 2.0 / (fan_in + fan_out)
    if scheme == "he":
        return 2.0 / fan_in
    raise ValueError(f"scheme={scheme!r}: use lecun, xavier or he")


def normal_init(
    key: jax.Array, shape: Sequence[int], scheme: str, dtype: jnp.dtype = float
) -> jax.Array:
    """w ~ N(0, init_variance(scheme, shape)): (*shape)."""
    return jax.random.normal(key, shape, dtype) * jnp.sqrt(init_variance(scheme, shape))


def uniform_init(
    key: jax.Array, shape: Sequence[int], scheme: str, dtype: jnp.dtype = float
) -> jax.Array:
    """w ~ U(-a, a), a = sqrt(3 init_variance(scheme, shape)) (Var = a^2 / 3): (*shape)."""
    limit = math.sqrt(3.0 * init_variance(scheme, shape))
    return jax.random.uniform(key, shape, dtype, -limit, limit)


def lecun_normal(key: jax.Array, shape: Sequence[int], dtype: jnp.dtype = float) -> jax.Array:
    """w ~ N(0, 1 / fan_in)."""
    return normal_init(key, shape, "lecun", dtype)


def lecun_uniform(key: jax.Array, shape: Sequence[int], dtype: jnp.dtype = float) -> jax.Array:
    """w ~ U(-a, a), a = sqrt(3 / fan_in)."""
    return uniform_init(key, shape, "lecun", dtype)


def xavier_normal(key: jax.Array, shape: Sequence[int], dtype: jnp.dtype = float) -> jax.Array:
    """Xavier/Glorot normal: w ~ N(0, 2 / (fan_in + fan_out))."""
    return normal_init(key, shape, "xavier", dtype)


def xavier_uniform(key: jax.Array, shape: Sequence[int], dtype: jnp.dtype = float) -> jax.Array:
    """Xavier/Glorot uniform: w ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    return uniform_init(key, shape, "xavier", dtype)


def he_normal(key: jax.Array, shape: Sequence[int], dtype: jnp.dtype = float) -> jax.Array:
    """He/Kaiming normal: w ~ N(0, 2 / fan_in)."""
    return normal_init(key, shape, "he", dtype)


def he_uniform(key: jax.Array, shape: Sequence[int], dtype: jnp.dtype = float) -> jax.Array:
    """He/Kaiming uniform: w ~ U(-a, a), a = sqrt(6 / fan_in)."""
    return uniform_init(key, shape, "he", dtype)


def propagation_statistics(
    weights: jax.Array,
    x: jax.Array,
    activation: Callable[[jax.Array], jax.Array],
    cotangent: jax.Array,
) -> dict[str, jax.Array]:
    """Per-layer activation std and weight-gradient norm of a bias-free MLP, h_l = act(h_{l-1} W_l).

    weights: (n_layers, width, width); x = h_0: (batch, width); cotangent: (batch, width)
    -> {"activation_std": (n_layers,), "grad_norm": (n_layers,)}, where activation_std_l is
    the std of h_l over batch and units, and grad_norm_l = ||dL/dW_l||_F for the readout
    L = sum(h_L * cotangent) / batch (a random cotangent sends a unit-scale signal back).
    """

    def readout(weights):
        def layer(h, w):
            h = activation(h @ w)  # (batch, width)
            return h, h

        h_last, hidden = jax.lax.scan(layer, x, weights)  # hidden: (n_layers, batch, width)
        return jnp.sum(h_last * cotangent) / x.shape[0], hidden

    grads, hidden = jax.grad(readout, has_aux=True)(weights)  # grads: (n_layers, width, width)
    return {
        "activation_std": jnp.std(hidden, axis=(1, 2)),
        "grad_norm": jnp.sqrt(jnp.sum(grads**2, axis=(1, 2))),
    }


def statistics_at_init(
    key: jax.Array,
    init_fn: Initializer,
    activation: Callable[[jax.Array], jax.Array],
    *,
    n_layers: int = 20,
    width: int = 256,
    batch: int = 256,
) -> dict[str, jax.Array]:
    """`propagation_statistics` of a fresh MLP of n_layers (width, width) layers on N(0, 1) inputs.

    init_fn(key, (width, width)) draws each kernel (e.g. `he_normal`); the inputs and the
    readout cotangent are standard normal: (batch, width). Vmap over keys for the spread over
    seeds -> {"activation_std": (n_layers,), "grad_norm": (n_layers,)}.
    """
    weights_key, x_key, cotangent_key = jax.random.split(key, 3)
    layer_keys = jax.random.split(weights_key, n_layers)
    weights = jax.vmap(lambda k: init_fn(k, (width, width)))(layer_keys)  # (n_layers, width, width)
    x = jax.random.normal(x_key, (batch, width))
    cotangent = jax.random.normal(cotangent_key, (batch, width))
    return propagation_statistics(weights, x, activation, cotangent)
