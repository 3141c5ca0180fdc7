r"""Vector spaces and subspaces: membership in a span by orthogonal projection.

A subspace of R^n is a set closed under addition and scaling; every subspace is the column
space col(A) = {A c : c in R^k} of some matrix A: (n, k). A vector x lies in col(A) exactly
when it equals its orthogonal projection

    p = A c*,   c* = argmin_c |A c - x|^2,   P = A A^+   (P^2 = P, P^T = P),

so the membership test is |x - P x| <= rtol |x|. The tolerance is unavoidable in floating
point: x = A c computed in float32 is only in col(A) up to ~1e-7 relative error.
Source: G. Strang, Introduction to Linear Algebra (5th ed.), sections 3.1 and 4.2.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def default_span_rtol(dtype: jnp.dtype) -> float:
    """sqrt(machine epsilon): ~3.5e-4 in float32, ~1.5e-8 in float64."""
    return float(jnp.sqrt(jnp.finfo(dtype).eps))


@jax.jit
def project_onto_span(a: jax.Array, x: jax.Array) -> jax.Array:
    """Orthogonal projection of x onto col(a): p = a c*, c* the least-squares coefficients.

    a: (n, k) (any rank), x: (n,) -> p: (n,)
    """
    coeffs, *_ = jnp.linalg.lstsq(a, x)  # (k,) minimum-norm solution when a is rank deficient
    return a @ coeffs


@jax.jit
def projection_matrix(a: jax.Array) -> jax.Array:
    """P = a a^+, the orthogonal projector onto col(a). a: (n, k) -> P: (n, n)."""
    return a @ jnp.linalg.pinv(a)  # (n, k) @ (k, n)


@jax.jit
def span_residual(a: jax.Array, x: jax.Array) -> jax.Array:
    """Relative distance from x to col(a): |x - P x| / |x|. a: (n, k), x: (n,) -> ()."""
    residual = x - project_onto_span(a, x)
    return jnp.linalg.norm(residual) / jnp.linalg.norm(x)


def in_span(a: jax.Array, x: jax.Array, rtol: float | None = None) -> jax.Array:
    """True when x is in col(a): |x - P x| <= rtol |x| (rtol defaults to sqrt(eps)).

    a: (n, k), x: (n,) -> bool ()
    """
    if rtol is None:
        rtol = default_span_rtol(x.dtype)
    return span_residual(a, x) <= rtol
