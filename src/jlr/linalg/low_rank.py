r"""Low-rank approximation: truncating the SVD, and how much it costs (Eckart-Young).

With A = sum_i s_i u_i v_i^T (s descending), the rank-k truncation A_k = sum_{i<=k} s_i u_i v_i^T
is the best rank-k approximation in both the spectral and the Frobenius norm
(Eckart-Young-Mirsky), with errors

    |A - A_k|_2 = s_{k+1},       |A - A_k|_F = sqrt(s_{k+1}^2 + ... + s_r^2).

Storing A_k as (U_k, s_k, V_k) takes k (m + n + 1) numbers instead of m n.
Source: Eckart & Young (1936); Golub & Van Loan, theorem 2.4.8.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames=("k",))
def truncated_svd(a: jax.Array, k: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The top-k singular triplets. a: (m, n) -> u (m, k), s (k,), vt (k, n)."""
    u, s, vt = jnp.linalg.svd(a, full_matrices=False)
    return u[:, :k], s[:k], vt[:k]


@partial(jax.jit, static_argnames=("k",))
def rank_k_approximation(a: jax.Array, k: int) -> jax.Array:
    """A_k = U_k diag(s_k) V_k^T, the best rank-k approximation. a: (m, n) -> (m, n)."""
    u, s, vt = truncated_svd(a, k)
    return (u * s[None, :]) @ vt  # (m, k) @ (k, n)


def eckart_young_errors(s: jax.Array, k: int) -> tuple[jax.Array, jax.Array]:
    """(spectral, Frobenius) error of the rank-k truncation from the singular values s: (r,).

    spectral = s_{k+1} (0 if k >= r), frobenius = sqrt(sum_{i>k} s_i^2).
    """
    tail = s[k:]
    spectral = tail[0] if tail.shape[0] > 0 else jnp.zeros((), s.dtype)
    return spectral, jnp.sqrt(jnp.sum(tail**2))


def compression_ratio(m: int, n: int, k: int) -> float:
    """Numbers stored by (U_k, s_k, V_k) over numbers in A: k (m + n + 1) / (m n)."""
    return k * (m + n + 1) / (m * n)
