r"""Coordinate systems and change of basis.

A basis b_1..b_n of R^n (the columns of an invertible B: (n, n)) gives every x unique
coordinates c with x = B c, so c = B^{-1} x (for an orthonormal basis, c = B^T x).
Going from coordinates in an old basis to a new one:

    c_new = P c_old,   P = B_new^{-1} B_old.

A linear map with matrix A in standard coordinates has matrix B^{-1} A B in the coordinates
of B ("similar" matrices: same map, other coordinates; same eigenvalues, determinant, trace).
In an eigenbasis the matrix is diagonal.
Source: Strang, Introduction to Linear Algebra, section 8.3;
Axler, Linear Algebra Done Right, ch. 3.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


@jax.jit
def coordinates(basis: jax.Array, x: jax.Array) -> jax.Array:
    """c with basis @ c = x. basis: (n, n) columns b_j, x: (n,) -> c: (n,)."""
    return jnp.linalg.solve(basis, x)


def from_coordinates(basis: jax.Array, c: jax.Array) -> jax.Array:
    """x = sum_j c_j b_j = basis @ c. basis: (n, n), c: (n,) -> x: (n,)."""
    return basis @ c


@jax.jit
def change_of_basis_matrix(old_basis: jax.Array, new_basis: jax.Array) -> jax.Array:
    """P = B_new^{-1} B_old, so c_new = P c_old. Both (n, n) -> P: (n, n)."""
    return jnp.linalg.solve(new_basis, old_basis)


@jax.jit
def matrix_in_basis(a: jax.Array, basis: jax.Array) -> jax.Array:
    """The map x -> a x written in the coordinates of basis: B^{-1} a B. (n, n) -> (n, n)."""
    return jnp.linalg.solve(basis, a @ basis)
