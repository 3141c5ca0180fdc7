"""Functions of several variables: scalar fields R^n -> R and maps R^n -> R^m.

A function of several variables is, in JAX, a Python function of one array. Its domain is
the set of inputs it is defined on (here all of R^n unless a docstring says otherwise); its
codomain is where its values live (R for a scalar field, R^m for a map). Every function is
written for one input x: (n,) and batched with `jax.vmap` by the caller.

The named test functions have known critical points, which later modules and lessons rely on
(this module is their one home): Himmelblau (Himmelblau 1972, "Applied Nonlinear
Programming"), Rosenbrock (1960), Rastrigin (1974), a strict saddle, and the monkey saddle
z = x^3 - 3 x y^2.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jlr.nn.linear import init_linear, linear


def quadratic(a: jax.Array, b: jax.Array, x: jax.Array) -> jax.Array:
    r"""The quadratic form f(x) = 1/2 x^T A x - b^T x.

    a: (n, n), b: (n,), x: (n,) -> scalar. Gradient (A + A^T)/2 x - b; Hessian (A + A^T)/2.
    """
    return 0.5 * x @ a @ x - b @ x


def himmelblau(x: jax.Array) -> jax.Array:
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima (f = 0), a maximum, four saddles.

    x: (2,) -> scalar. The minima are `HIMMELBLAU_MINIMA`.
    """
    return (x[0] ** 2 + x[1] - 11.0) ** 2 + (x[0] + x[1] ** 2 - 7.0) ** 2


def rosenbrock(x: jax.Array, a: float = 1.0, b: float = 100.0) -> jax.Array:
    """f(x) = sum_i b (x_{i+1} - x_i^2)^2 + (a - x_i)^2: one minimum, x = (a, a^2, ...) for n = 2.

    x: (n,) with n >= 2 -> scalar. With the default a = 1 the minimum is x = (1, ..., 1), at
    the end of a long, curved, flat valley: the classic test of an optimizer's patience.
    """
    return jnp.sum(b * (x[1:] - x[:-1] ** 2) ** 2 + (a - x[:-1]) ** 2)


def rastrigin(x: jax.Array, amplitude: float = 10.0) -> jax.Array:
    """f(x) = A n + sum_i (x_i^2 - A cos(2 pi x_i)): global minimum 0 at the origin, ringed
    by a grid of local minima near the integer points.

    x: (n,) -> scalar.
    """
    return amplitude * x.shape[0] + jnp.sum(x**2 - amplitude * jnp.cos(2 * jnp.pi * x))


def strict_saddle(x: jax.Array) -> jax.Array:
    """f(x, y) = x^2 / 2 + y^4 / 4 - y^2 / 2: a strict saddle at 0 (Hessian diag(1, -1)) and
    minima (0, +-1) with value -1/4.

    x: (2,) -> scalar.
    """
    return 0.5 * x[0] ** 2 + 0.25 * x[1] ** 4 - 0.5 * x[1] ** 2


def monkey_saddle(x: jax.Array) -> jax.Array:
    """f(x, y) = x^3 - 3 x y^2: a degenerate critical point at 0 (Hessian = 0), three valleys.

    x: (2,) -> scalar.
    """
    return x[0] ** 3 - 3.0 * x[0] * x[1] ** 2


# The known global minimizers (rows), for tests and for marking contour plots.
HIMMELBLAU_MINIMA = jnp.array(
    [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
)
ROSENBROCK_MINIMUM = jnp.array([[1.0, 1.0]])
RASTRIGIN_MINIMUM = jnp.array([[0.0, 0.0]])
STRICT_SADDLE_MINIMA = jnp.array([[0.0, 1.0], [0.0, -1.0]])


def polar_to_cartesian(r_theta: jax.Array) -> jax.Array:
    """The map R^2 -> R^2, (r, theta) -> (r cos theta, r sin theta).

    r_theta: (2,) -> (2,). Its Jacobian determinant is r.
    """
    r, theta = r_theta
    return jnp.stack([r * jnp.cos(theta), r * jnp.sin(theta)])


def paraboloid_surface(uv: jax.Array) -> jax.Array:
    """The map R^2 -> R^3, (u, v) -> (u, v, u^2 + v^2): the graph of a scalar field as a surface.

    uv: (2,) -> (3,).
    """
    return jnp.stack([uv[0], uv[1], uv[0] ** 2 + uv[1] ** 2])


def init_tanh_layer(key: jax.Array, d_in: int, d_out: int) -> dict[str, jax.Array]:
    """Random parameters of a smooth map R^d_in -> R^d_out: {"w": (d_in, d_out), "b": (d_out,)}.

    `jlr.nn.linear.init_linear`'s weights (the layout of every layer in JLR), with a small
    random bias so that the map has no special symmetry at x = 0.
    """
    w_key, b_key = jax.random.split(key)
    return {**init_linear(w_key, d_in, d_out), "b": 0.1 * jax.random.normal(b_key, (d_out,))}


def tanh_layer(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    """y = tanh(x W + b) = tanh(linear(params, x)), a smooth map with Jacobian diag(1 - y^2) W^T.

    x: (d_in,) -> y: (d_out,); W: (d_in, d_out), so the Jacobian is (d_out, d_in).
    """
    return jnp.tanh(linear(params, x))


def evaluate_on_grid(f, xs: jax.Array, ys: jax.Array) -> jax.Array:
    """Values of a scalar field f: R^2 -> R on the grid xs x ys, the data of a contour plot.

    xs: (n_x,), ys: (n_y,) -> (n_y, n_x), row i holding y = ys[i] (matplotlib's convention).
    """
    grid_x, grid_y = jnp.meshgrid(xs, ys)  # (n_y, n_x) each
    points = jnp.stack([grid_x, grid_y], axis=-1)  # (n_y, n_x, 2)
    return jax.vmap(jax.vmap(f))(points)


def gradient_field(f, xs: jax.Array, ys: jax.Array) -> jax.Array:
    """The gradient of f: R^2 -> R at every point of the grid xs x ys.

    xs: (n_x,), ys: (n_y,) -> (n_y, n_x, 2).
    """
    grid_x, grid_y = jnp.meshgrid(xs, ys)
    points = jnp.stack([grid_x, grid_y], axis=-1)  # (n_y, n_x, 2)
    return jax.vmap(jax.vmap(jax.grad(f)))(points)
