"""Reference solutions to lesson 02's exercises (``exercises/02_linear_algebra.py``).

Written the way a learner would: plain loops and jax.numpy, no jlr imports.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def project_onto_span(a: jax.Array, x: jax.Array) -> jax.Array:
    """p = a c*, c* = argmin |a c - x|^2. a: (n, k), x: (n,) -> (n,)"""
    coeffs, *_ = jnp.linalg.lstsq(a, x)
    return a @ coeffs


def is_in_span(a: jax.Array, x: jax.Array, rtol: float) -> bool:
    """|x - p| <= rtol |x|. a: (n, k), x: (n,) -> bool"""
    residual = x - project_onto_span(a, x)
    return bool(jnp.linalg.norm(residual) <= rtol * jnp.linalg.norm(x))


def modified_gram_schmidt(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """a: (m, n) -> q: (m, n), r: (n, n)"""
    n = a.shape[1]
    v = a
    q_columns = []
    r = jnp.zeros((n, n), a.dtype)
    for k in range(n):
        r_kk = jnp.linalg.norm(v[:, k])
        q_k = v[:, k] / r_kk
        r = r.at[k, k].set(r_kk)
        for j in range(k + 1, n):
            r_kj = q_k @ v[:, j]  # from the updated column: this is what makes it "modified"
            r = r.at[k, j].set(r_kj)
            v = v.at[:, j].add(-r_kj * q_k)
        q_columns.append(q_k)
    return jnp.stack(q_columns, axis=1), r


def is_linearly_independent(vectors: jax.Array, rtol: float) -> bool:
    """rank == number of columns. vectors: (n, k) -> bool"""
    s = jnp.linalg.svd(vectors, compute_uv=False)
    return int(jnp.sum(s > rtol * s[0])) == vectors.shape[1]


def change_of_basis_matrix(old_basis: jax.Array, new_basis: jax.Array) -> jax.Array:
    """P = new^{-1} old. (n, n), (n, n) -> (n, n)"""
    return jnp.linalg.solve(new_basis, old_basis)


def matrix_of_linear_map(f: Callable[[jax.Array], jax.Array], d_in: int) -> jax.Array:
    """Columns f(e_j). -> (d_out, d_in)"""
    return jnp.stack([f(e_j) for e_j in jnp.eye(d_in)], axis=1)


def null_space_basis(a: jax.Array, rtol: float) -> jax.Array:
    """Last n - r right singular vectors. a: (m, n) -> (n, n - r)"""
    _, s, vt = jnp.linalg.svd(a, full_matrices=True)
    r = int(jnp.sum(s > rtol * s[0]))
    return vt[r:].T


def power_iteration(a: jax.Array, v0: jax.Array, n_steps: int) -> tuple[jax.Array, jax.Array]:
    """Dominant eigenpair. a: (n, n), v0: (n,) -> (), (n,)"""
    v = v0 / jnp.linalg.norm(v0)
    for _ in range(n_steps):
        w = a @ v
        v = w / jnp.linalg.norm(w)
    return v @ (a @ v), v


def spectral_norm(a: jax.Array, v0: jax.Array, n_steps: int) -> jax.Array:
    """sigma_max by power iteration on a^T a. a: (m, n), v0: (n,) -> ()"""
    v = v0 / jnp.linalg.norm(v0)
    for _ in range(n_steps):
        w = a.T @ (a @ v)
        v = w / jnp.linalg.norm(w)
    return jnp.linalg.norm(a @ v)


def gd_steps_on_quadratic(h: jax.Array, x0: jax.Array, tol: float) -> int:
    """GD with lr = 1/L on 1/2 x^T h x until |x| <= tol |x0|. -> int"""
    lr = 1.0 / jnp.linalg.eigvalsh(h)[-1]
    x, steps = x0, 0
    while jnp.linalg.norm(x) > tol * jnp.linalg.norm(x0):
        x = x - lr * (h @ x)
        steps += 1
    return steps


def svd_from_eigh(a: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Thin SVD of a tall full-rank a via eigh(a^T a). -> (m, n), (n,), (n, n)"""
    eigenvalues, v = jnp.linalg.eigh(a.T @ a)  # ascending
    eigenvalues, v = eigenvalues[::-1], v[:, ::-1]
    s = jnp.sqrt(jnp.clip(eigenvalues, 0.0))
    u = (a @ v) / s[None, :]
    return u, s, v.T


def rank_k_approximation(a: jax.Array, k: int) -> jax.Array:
    """U_k diag(s_k) V_k^T. a: (m, n) -> (m, n)"""
    u, s, vt = jnp.linalg.svd(a, full_matrices=False)
    return (u[:, :k] * s[None, :k]) @ vt[:k]


def explained_variance_ratio(x: jax.Array) -> jax.Array:
    """s_i^2 / sum s_j^2 of the centered data. x: (n_samples, d) -> (d,)"""
    centered = x - jnp.mean(x, axis=0, keepdims=True)
    s = jnp.linalg.svd(centered, compute_uv=False)
    return s**2 / jnp.sum(s**2)
