# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Multivariable calculus
#
# Training a network is calculus in many variables: a loss $L: \mathbb{R}^n \to \mathbb{R}$
# of millions of parameters, its gradient, and sometimes its curvature. This lesson builds
# the ideas one at a time with JAX's transforms (`grad`, `jvp`, `vjp`, `jacfwd`, `jacrev`,
# `hessian`), using the functions of `jlr.calculus`, and checks every claim it makes with an
# `assert`. The exercises are in `exercises/01_calculus.py`; grade them with `jlr check 01`.

# %%
import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import scipy.optimize

from jlr.calculus import (
    chain_rule,
    critical_points,
    directional,
    error_order,
    functions,
    hessian,
    jacobians,
    lagrange,
    level_sets,
    linearization,
    partials,
    taylor,
)
from jlr.course.lesson import fast_mode
from jlr.viz import calculus_plots

FAST = fast_mode()
GRID = 60 if FAST else 200  # points per axis of the contour plots

root_key = jax.random.key(0)
map_key, point_key, direction_key, hvp_key = jax.random.split(root_key, 4)

# %% [markdown]
# ## 1. Functions of several variables ($\mathbb{R}^n \to \mathbb{R}$, $\mathbb{R}^n \to \mathbb{R}^m$)
#
# A **scalar field** $f: \mathbb{R}^n \to \mathbb{R}$ takes a vector and returns a number
# (a loss of $n$ parameters); a **map** $F: \mathbb{R}^n \to \mathbb{R}^m$ returns a vector
# (a layer). In JAX each is a Python function of one array, written for one input and
# batched with `jax.vmap`. Two running examples are Himmelblau's function
# $$f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2$$
# and polar coordinates $P(r, \theta) = (r\cos\theta, r\sin\theta)$, a map $\mathbb{R}^2 \to \mathbb{R}^2$
# that bends a rectangle of $(r, \theta)$ into a disc.

# %%
point = jnp.array([1.0, 2.0])
print(
    "himmelblau(1, 2) =",
    functions.himmelblau(point),
    "  (a scalar, shape",
    functions.himmelblau(point).shape,
    ")",
)
print("polar(1, 2)      =", functions.polar_to_cartesian(point), "  (shape (2,))")
print("paraboloid(1, 2) =", functions.paraboloid_surface(point), "  (R^2 -> R^3, shape (3,))")
batch = jax.random.normal(point_key, (5, 2))
assert jax.vmap(functions.himmelblau)(batch).shape == (5,)
assert jax.vmap(functions.polar_to_cartesian)(batch).shape == (5, 2)
assert jnp.allclose(functions.himmelblau(jnp.array([3.0, 2.0])), 0.0)

# %%
rs, thetas = jnp.linspace(0.2, 1.0, 5), jnp.linspace(0.0, 1.5 * jnp.pi, 7)
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5))
for r in rs:  # circles r = const in the image, lines in the domain
    line = jnp.stack([jnp.full(100, r), jnp.linspace(0.0, 1.5 * jnp.pi, 100)], axis=-1)
    axes[0].plot(line[:, 0], line[:, 1], "tab:blue")
    axes[1].plot(*jax.vmap(functions.polar_to_cartesian)(line).T, "tab:blue")
for theta in thetas:  # rays theta = const
    line = jnp.stack([jnp.linspace(0.2, 1.0, 20), jnp.full(20, theta)], axis=-1)
    axes[0].plot(line[:, 0], line[:, 1], "tab:orange")
    axes[1].plot(*jax.vmap(functions.polar_to_cartesian)(line).T, "tab:orange")
axes[0].set(title=r"domain: $(r, \theta)$", xlabel="r", ylabel=r"$\theta$")
axes[1].set(title=r"codomain: $P(r, \theta)$", aspect="equal")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Domains, codomains, level sets, contour plots
#
# The **domain** is where a function is defined (here all of $\mathbb{R}^2$, or a grid of it
# for a picture); the **codomain** is where its values live. A **level set**
# $\{x : f(x) = c\}$ of a scalar field on $\mathbb{R}^2$ is a curve, and a contour plot draws
# several. If $x(t)$ runs along a level set then $f(x(t)) = c$, and the chain rule gives
# $$\nabla f(x(t)) \cdot x'(t) = 0:$$
# **the gradient is orthogonal to the level sets.** Below, the red arrows (the direction of
# $\nabla f$) cross every contour at a right angle, and a curve traced by
# `level_sets.trace_level_set` (step along the tangent, then Newton back onto the level)
# stays on its level.

# %%
xs = ys = jnp.linspace(-5.0, 5.0, GRID)
start = jnp.array([1.0, 1.0])
curve = level_sets.trace_level_set(
    functions.himmelblau, start, step_size=0.1, n_steps=60 if FAST else 150
)
cosines = level_sets.gradient_level_set_cosines(functions.himmelblau, curve)
drift = jnp.abs(jax.vmap(functions.himmelblau)(curve) - functions.himmelblau(start)).max()
print(
    f"level f = {functions.himmelblau(start):.1f}: max |f - c| along the traced curve = {drift:.2e}"
)
print(f"max |cos(angle between chord and gradient)| = {cosines.max():.2e}")
assert drift < 1e-3 * functions.himmelblau(start)
assert cosines.max() < 0.05

fig, ax = plt.subplots(figsize=(5.5, 5))
filled = calculus_plots.plot_contours_with_gradients(
    ax, functions.himmelblau, xs, ys, levels=np.geomspace(0.5, 900, 14), arrow_stride=GRID // 15
)
ax.plot(*curve.T, "w--", lw=2, label="traced level curve")
ax.legend(loc="lower left")
fig.colorbar(filled, ax=ax, shrink=0.8)
ax.set_title("Himmelblau: contours and gradient directions")
plt.show()

# %% [markdown]
# ## 3. Partial derivatives and their geometric meaning
#
# $\partial f / \partial x_i$ is the slope of one **slice** of the graph: freeze the other
# coordinates and differentiate $t \mapsto f(x + t e_i)$ at $t = 0$. `jax.grad(f, argnums=i)`
# differentiates a function of several arguments with respect to argument $i$. Without
# autodiff, the **central difference**
# $$\frac{f(x + h e_i) - f(x - h e_i)}{2h} = \partial_i f(x) + \tfrac{h^2}{6}\, \partial_i^3 f(x) + O(h^4)$$
# is accurate to $O(h^2)$, until rounding error (about $\epsilon |f| / h$) takes over.


# %%
def himmelblau_xy(x, y):
    return functions.himmelblau(jnp.stack([x, y]))


d_dx = partials.partial_derivative(himmelblau_xy, 0)(1.0, 0.5)
d_dy = partials.partial_derivative(himmelblau_xy, 1)(1.0, 0.5)
x0 = jnp.array([1.0, 0.5])
fd = partials.finite_difference_gradient(functions.himmelblau, x0, h=1e-2)
print(f"argnums: ({d_dx:.4f}, {d_dy:.4f});  central differences: ({fd[0]:.4f}, {fd[1]:.4f})")
assert jnp.allclose(jnp.stack([d_dx, d_dy]), fd, rtol=1e-3)

with jax.enable_x64(True):  # float64, so the error we measure is the formula's, not rounding
    x64 = jnp.array([1.0, 0.5])
    exact = jax.grad(functions.himmelblau)(x64)[0]
    steps = np.logspace(-3, -1, 5)
    fd_errors = [
        abs(float(partials.central_difference(functions.himmelblau, x64, 0, h) - exact))
        for h in steps
    ]
fd_slope = error_order.loglog_slope(steps, fd_errors)
print(f"central-difference error ~ h^p with fitted p = {fd_slope:.3f}")
assert abs(fd_slope - 2.0) < 0.1

fig, axes = plt.subplots(1, 2, figsize=(8, 3))
calculus_plots.plot_partial_slices(axes, functions.himmelblau, x0, span=1.0)
axes[0].set_title(r"$t \mapsto f(x + t e_0)$")
axes[1].set_title(r"$t \mapsto f(x + t e_1)$")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Directional derivatives and the gradient vector
#
# Along a direction $v$, $D_v f(x) = \frac{d}{dt} f(x + tv)\big|_{t=0} = \nabla f(x) \cdot v$.
# `jax.jvp` computes it in one forward pass without forming $\nabla f$. Over unit vectors,
# Cauchy–Schwarz gives $|D_v f| \le \|\nabla f\|$ with equality only for
# $v = \pm\nabla f / \|\nabla f\|$: **the gradient is the direction of steepest ascent**, and
# its length is the steepest rate. A sweep over 360 directions agrees.

# %%
x0 = jnp.array([0.8, -1.5])
directions = directional.unit_directions(360)
rates = directional.directional_derivative_sweep(functions.himmelblau, x0, directions)
grad = jax.grad(functions.himmelblau)(x0)
best = directions[jnp.argmax(rates)]
ascent = directional.steepest_ascent_direction(functions.himmelblau, x0)
print(f"best swept direction {best}, grad/|grad| = {ascent}")
print(f"max D_v f = {rates.max():.3f}, |grad f| = {jnp.linalg.norm(grad):.3f}")
assert best @ ascent > np.cos(2 * np.pi / 360)
assert jnp.allclose(rates.max(), jnp.linalg.norm(grad), rtol=1e-3)
assert jnp.allclose(
    directional.directional_derivative(functions.himmelblau, x0, directions[7]),
    grad @ directions[7],
    rtol=1e-5,
)

angles = np.degrees(np.arctan2(directions[:, 1], directions[:, 0]))
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(angles % 360, rates, ".", ms=3, label=r"$D_v f(x)$, $v = (\cos\phi, \sin\phi)$")
ax.axvline(
    np.degrees(np.arctan2(grad[1], grad[0])) % 360, color="tab:red", label=r"angle of $\nabla f$"
)
ax.axhline(jnp.linalg.norm(grad), color="gray", ls="--", label=r"$\|\nabla f\|$")
ax.set(xlabel=r"$\phi$ (degrees)", ylabel="rate of change")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 5. Total derivative and the multivariable chain rule
#
# The **total derivative** of $F: \mathbb{R}^n \to \mathbb{R}^m$ at $x$ is the linear map
# $dx \mapsto J_F(x)\,dx$ that best approximates $F(x + dx) - F(x)$. For a composition,
# linear maps compose:
# $$J_{F \circ G}(x) = J_F(G(x))\, J_G(x),$$
# an $(m \times n)(n \times k)$ product. Backpropagation is this product evaluated right to
# left; forward mode evaluates it left to right on one tangent at a time. Here $G$ and $F$
# are random `tanh` layers $\mathbb{R}^3 \to \mathbb{R}^4 \to \mathbb{R}^2$, each
# $y = \tanh(xW + b)$ with `jlr.nn.linear`'s layout $W: (d_{in}, d_{out})$, so each has the
# Jacobian $\mathrm{diag}(1 - y^2)\, W^\top$: a $(d_{out} \times d_{in})$ matrix.

# %%
g_key, f_key, x_key = jax.random.split(map_key, 3)
g_params, f_params = functions.init_tanh_layer(g_key, 3, 4), functions.init_tanh_layer(f_key, 4, 2)
inner = lambda x: functions.tanh_layer(g_params, x)  # R^3 -> R^4
outer = lambda y: functions.tanh_layer(f_params, y)  # R^4 -> R^2
x0 = jax.random.normal(x_key, (3,))
product = chain_rule.chain_rule_jacobian(outer, inner, x0)  # (2, 4) @ (4, 3)
whole = jax.jacrev(chain_rule.compose(outer, inner))(x0)
print("J_F(G(x)) J_G(x) =\n", product, "\njacrev(F o G)(x) =\n", whole)
assert product.shape == (2, 3)
assert jnp.allclose(product, whole, atol=1e-6)
inner_y = inner(x0)  # (4,)
by_hand = (1.0 - inner_y**2)[:, None] * g_params["w"].T  # diag(1 - y^2) W^T: (4, 3)
assert jnp.allclose(by_hand, jax.jacfwd(inner)(x0), atol=1e-6)

# %% [markdown]
# ## 6. The Jacobian matrix and linear approximation
#
# The Jacobian $J_F(x)_{ij} = \partial F_i / \partial x_j$ makes
# $F(x + h) \approx F(x) + J_F(x)\,h$, with a remainder bounded by
# $\tfrac12 \sup\|D^2F\|\,\|h\|^2$: **the error is $O(\|h\|^2)$**, a slope of 2 on a log-log
# plot. We measure it for polar coordinates (in float64, so rounding does not flatten the
# small-$h$ end).


# %%
def errors_in_float64(error_fn, x, direction, step_sizes):
    """error_fn(x, t * direction) for each step size t, computed in float64 -> numpy (n_steps, ...)."""
    with jax.enable_x64(True):
        to64 = lambda a: jnp.asarray(a, jnp.float64)
        errors = linearization.errors_along_ray(
            error_fn, to64(x), to64(direction), to64(step_sizes)
        )
        return np.asarray(errors)


step_sizes = np.logspace(-4, -0.5, 8)
lin_errors = errors_in_float64(
    lambda x, h: linearization.linearization_error(functions.polar_to_cartesian, x, h),
    [1.5, 0.7],
    [0.6, -0.8],
    step_sizes,
)
lin_slope = error_order.loglog_slope(step_sizes, lin_errors)
print(f"|P(x + h) - P(x) - J h| ~ |h|^p with fitted p = {lin_slope:.3f}")
assert abs(lin_slope - 2.0) < 0.1

fig, ax = plt.subplots(figsize=(5, 3.5))
calculus_plots.plot_loglog_errors(ax, step_sizes, {"linear approximation": lin_errors})
ax.set_title("Error of the linear approximation")
plt.show()

# %% [markdown]
# ## 7. Jacobian–vector and vector–Jacobian products
#
# Autodiff never needs $J$ itself. **Forward mode** pushes a tangent through the program:
# $v \mapsto Jv$ (`jax.jvp`), at the cost of a few evaluations of $F$. **Reverse mode**
# pulls a cotangent back: $u \mapsto u^\top J$ (`jax.vjp`), also a few evaluations (plus
# memory for the forward pass). The full Jacobian is $n$ JVPs on the basis $e_j$ (its
# columns: `jacfwd`) or $m$ VJPs on the basis $e_i$ (its rows: `jacrev`). So forward mode
# suits **tall** Jacobians ($m \gg n$) and reverse mode **wide** ones ($n \gg m$), such as
# the gradient of a loss, where $m = 1$: one VJP gives all $n$ partials. The two products
# are transposes: $u \cdot (Jv) = (u^\top J) \cdot v$.

# %%
wide_key, tall_key, u_key, v_key = jax.random.split(direction_key, 4)
layer = functions.init_tanh_layer(g_key, 3, 5)
F = lambda x: functions.tanh_layer(layer, x)  # R^3 -> R^5
x0 = jax.random.normal(x_key, (3,))
by_columns, by_rows = jacobians.jacobian_from_jvps(F, x0), jacobians.jacobian_from_vjps(F, x0)
assert jnp.allclose(by_columns, jax.jacfwd(F)(x0), atol=1e-6)
assert jnp.allclose(by_rows, jax.jacrev(F)(x0), atol=1e-6)
u, v = jax.random.normal(u_key, (5,)), jax.random.normal(v_key, (3,))
print(
    f"u . (J v) = {u @ jacobians.jvp(F, x0, v):.6f},  (u^T J) . v = {jacobians.vjp(F, x0, u) @ v:.6f}"
)
assert jnp.allclose(u @ jacobians.jvp(F, x0, v), jacobians.vjp(F, x0, u) @ v, atol=1e-5)


# %% [markdown]
# A quick timing on this machine, a wide map ($n = 400 \to m = 4$) and a tall one
# ($n = 4 \to m = 400$). Timings vary from machine to machine, so nothing is asserted here;
# `benchmarks/bench_jacobian_modes.py` sweeps the sizes and plots the crossover.


# %%
def best_time(fn, x, repeats=5):
    fn(x).block_until_ready()  # compile first
    times = []
    for _ in range(repeats):
        start_time = time.perf_counter()
        fn(x).block_until_ready()
        times.append(time.perf_counter() - start_time)
    return min(times)


d_big = 100 if FAST else 400
for name, (d_in, d_out), shape_key in [
    ("wide", (d_big, 4), wide_key),
    ("tall", (4, d_big), tall_key),
]:
    params = functions.init_tanh_layer(shape_key, d_in, d_out)
    G = lambda x, params=params: functions.tanh_layer(params, jnp.tanh(x))
    x = jnp.ones(d_in)
    t_fwd, t_rev = best_time(jax.jit(jax.jacfwd(G)), x), best_time(jax.jit(jax.jacrev(G)), x)
    print(
        f"{name:>4} ({d_in:>3} -> {d_out:>3}): jacfwd {1e6 * t_fwd:7.1f} us, jacrev {1e6 * t_rev:7.1f} us"
    )

# %% [markdown]
# ## 8. Second-order derivatives and the Hessian matrix
#
# For $f: \mathbb{R}^n \to \mathbb{R}$, $H_{ij} = \partial^2 f / \partial x_i \partial x_j$, symmetric
# when $f$ is $C^2$. $H$ is the Jacobian of $\nabla f$, so **forward-over-reverse** builds it
# well: reverse mode for $\nabla f$, then $n$ JVPs. A **Hessian-vector product** needs only
# one of them,
# $$Hv = \frac{d}{dt} \nabla f(x + tv)\Big|_{t=0} = \texttt{jvp}(\nabla f, x, v),$$
# costs a small multiple of one gradient, and never forms the $n \times n$ matrix
# (`benchmarks/bench_hvp_cost.py` measures the multiple).

# %%
x0 = jax.random.normal(hvp_key, (4,))
v = jnp.array([1.0, -2.0, 0.5, 3.0])
h_ours, h_jax = (
    hessian.hessian_fwd_over_rev(functions.rosenbrock, x0),
    jax.hessian(functions.rosenbrock)(x0),
)
print("Hessian of Rosenbrock (n = 4):\n", h_ours)
assert jnp.allclose(h_ours, h_jax, rtol=1e-5, atol=1e-3)
assert jnp.allclose(h_ours, h_ours.T, atol=1e-3)
assert jnp.allclose(hessian.hvp(functions.rosenbrock, x0, v), h_jax @ v, rtol=1e-4, atol=1e-2)

# %% [markdown]
# ## 9. Curvature, saddle points, local minima
#
# At a **critical point** $\nabla f(x^*) = 0$, the Hessian's eigenvalues are the curvatures
# along its eigenvectors ($v^\top H v$ for unit $v$): all positive is a **minimum**, all
# negative a **maximum**, mixed signs a **saddle**, and a zero eigenvalue with no sign change
# leaves the test **degenerate**. Newton's method on the gradient,
# $x \leftarrow x - H(x)^{-1}\nabla f(x)$, finds critical points of every kind
# (it is a root finder, not a minimizer). From a grid of starts on Himmelblau's function it
# finds all nine: four minima, one maximum, four saddles.

# %%
starts_1d = jnp.linspace(-5.0, 5.0, 7 if FAST else 11)
starts = jnp.stack(jnp.meshgrid(starts_1d, starts_1d), axis=-1).reshape(-1, 2)  # (k, 2)
points = critical_points.find_critical_points(
    functions.himmelblau, starts, grad_tol=1e-3, merge_dist=1e-2
)
kinds = [
    critical_points.classify_critical_point(
        hessian.hessian_fwd_over_rev(functions.himmelblau, p), tol=1e-3
    )
    for p in points
]
for p, kind in zip(points, kinds, strict=True):
    print(f"({p[0]:+.4f}, {p[1]:+.4f})  f = {functions.himmelblau(p):8.3f}  {kind}")
assert sorted(kinds) == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4

fig, ax = plt.subplots(figsize=(5.5, 5))
calculus_plots.plot_critical_points(
    ax, functions.himmelblau, xs, ys, points, kinds, levels=np.geomspace(0.5, 900, 20)
)
ax.set_title("Himmelblau: critical points by Hessian eigenvalues")
plt.show()

# %% [markdown]
# The **monkey saddle** $f = x^3 - 3xy^2$ has a critical point at $0$ where $H = 0$: the test
# says nothing (degenerate), and the graph goes down in three valleys. There Newton's method
# loses its quadratic speed: $\nabla f$ is homogeneous of degree 2, so $H(x)\,x = 2 \nabla f(x)$
# and each step exactly halves $x$.

# %%
result = critical_points.newton_critical_point(functions.monkey_saddle, jnp.array([0.7, 0.3]))
monkey_kind = critical_points.classify_critical_point(
    hessian.hessian_fwd_over_rev(functions.monkey_saddle, result.x), tol=1e-3
)
print(f"monkey saddle: x* = {result.x}, {int(result.n_steps)} Newton steps, kind: {monkey_kind}")
assert monkey_kind == "degenerate" and int(result.n_steps) > 10
halved = jnp.array([0.7, 0.3]) - jnp.linalg.solve(
    jax.hessian(functions.monkey_saddle)(jnp.array([0.7, 0.3])),
    jax.grad(functions.monkey_saddle)(jnp.array([0.7, 0.3])),
)
assert jnp.allclose(halved, jnp.array([0.35, 0.15]), atol=1e-6)

# %% [markdown]
# ## 10. Multivariable Taylor expansion (1st and 2nd order)
#
# $$f(x + h) = \underbrace{f(x) + \nabla f(x)\cdot h}_{T_1(h)} + \tfrac12 h^\top H(x)\, h + O(\|h\|^3)$$
# so $|f(x+h) - T_1(h)| = O(\|h\|^2)$ and $|f(x+h) - T_2(h)| = O(\|h\|^3)$. `jlr.calculus.taylor`
# computes the gradient term with a JVP and the quadratic term with an HVP. The fitted
# log-log slopes are 2 and 3.

# %%
step_sizes = np.logspace(-3, -0.5, 8)
remainders = errors_in_float64(
    lambda x, h: taylor.taylor_remainders(functions.himmelblau, x, h),
    [0.5, 1.0],
    [0.8, 0.6],
    step_sizes,
)  # (n_steps, 2): the T1 and T2 remainders
slope_1 = error_order.loglog_slope(step_sizes, remainders[:, 0])
slope_2 = error_order.loglog_slope(step_sizes, remainders[:, 1])
print(f"first order: slope {slope_1:.3f};  second order: slope {slope_2:.3f}")
assert abs(slope_1 - 2.0) < 0.1 and abs(slope_2 - 3.0) < 0.1

fig, ax = plt.subplots(figsize=(5, 3.5))
calculus_plots.plot_loglog_errors(
    ax, step_sizes, {"$T_1$": remainders[:, 0], "$T_2$": remainders[:, 1]}
)
ax.set_title("Taylor remainders of Himmelblau")
plt.show()

# %% [markdown]
# ## 11. Constrained optimization and Lagrange multipliers
#
# To minimize $f(x)$ subject to $g(x) = 0$, look for stationary points of the **Lagrangian**
# $\mathcal{L}(x, \lambda) = f(x) + \lambda\, g(x)$:
# $$\nabla f(x) + \lambda \nabla g(x) = 0, \qquad g(x) = 0.$$
# The first equation says **$\nabla f$ is parallel to $\nabla g$**: at the optimum the level
# set of $f$ touches the constraint curve. We solve this square system by Newton's method
# (`lagrange.lagrange_newton`), here for the ellipse-shaped bowl
# $f = (x-2)^2 + 2(y-1)^2$ on the unit circle, and compare with scipy's SLSQP.

# %%
bowl = lambda x: (x[0] - 2.0) ** 2 + 2.0 * (x[1] - 1.0) ** 2
circle = lambda x: jnp.stack([x @ x - 1.0])
x_star, lam_star = lagrange.lagrange_newton(bowl, circle, jnp.array([0.9, 0.4]))
grad_f, grad_g = jax.grad(bowl)(x_star), jax.jacfwd(circle)(x_star)[0]
cross = grad_f[0] * grad_g[1] - grad_f[1] * grad_g[0]  # zero iff parallel
with jax.enable_x64(True):  # SLSQP differentiates numerically: it needs float64 values
    scipy_x = scipy.optimize.minimize(
        lambda x: float(bowl(jnp.asarray(x))),
        np.array([0.9, 0.4]),
        method="SLSQP",
        constraints=[{"type": "eq", "fun": lambda x: np.asarray(circle(jnp.asarray(x)))}],
    ).x
print(f"Newton on the Lagrangian: x* = {x_star}, lambda* = {lam_star[0]:.4f};  SLSQP: {scipy_x}")
print(f"cross(grad f, grad g) = {cross:.2e}")
assert jnp.allclose(x_star, scipy_x, atol=1e-4)
assert abs(cross) < 1e-4 * jnp.linalg.norm(grad_f) * jnp.linalg.norm(grad_g)

fig, ax = plt.subplots(figsize=(5, 5))
calculus_plots.plot_lagrange_geometry(
    ax,
    bowl,
    circle,
    np.asarray(x_star),
    jnp.linspace(-1.5, 3.0, GRID),
    jnp.linspace(-1.5, 2.5, GRID),
)
ax.set_title(r"At the optimum, $\nabla f \parallel \nabla g$")
plt.show()

# %% [markdown]
# **Inequalities** $c(x) \le 0$ get multipliers $\mu \ge 0$ and the **KKT conditions**:
# stationarity $\nabla f + \sum \mu_i \nabla c_i = 0$, feasibility $c(x) \le 0$, dual
# feasibility $\mu \ge 0$, and complementary slackness $\mu_i c_i(x) = 0$ (a constraint
# either binds, or its multiplier is zero). For a few constraints, `lagrange.solve_kkt`
# tries every active set with Newton and keeps the best feasible KKT point. For
# $\min (x-2)^2 + (y-1)^2$ s.t. $x + y \le 2$, $x^2 \le y$, both constraints bind at $(1, 1)$.

# %%
target = lambda x: (x[0] - 2.0) ** 2 + (x[1] - 1.0) ** 2
constraints = lambda x: jnp.stack([x[0] + x[1] - 2.0, x[0] ** 2 - x[1]])
kkt = lagrange.solve_kkt(target, constraints, jnp.array([0.5, 0.5]))
with jax.enable_x64(True):
    scipy_kkt = scipy.optimize.minimize(
        lambda x: float(target(jnp.asarray(x))),
        np.array([0.5, 0.5]),
        method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda x: -np.asarray(constraints(jnp.asarray(x)))}],
    ).x
print(f"KKT: x* = {kkt.x}, mu* = {kkt.mu}, active = {kkt.active};  SLSQP: {scipy_kkt}")
assert jnp.allclose(kkt.x, scipy_kkt, atol=1e-4) and bool(jnp.all(kkt.mu >= 0))
assert jnp.allclose(kkt.mu * constraints(kkt.x), 0.0, atol=1e-5)  # complementary slackness

# %% [markdown]
# ## Summary
#
# - Gradients are normal to level sets and point uphill fastest; partials are slopes of slices.
# - Jacobians compose by multiplication (the chain rule) and give $O(\|h\|^2)$ linear approximations.
# - JVPs give Jacobian columns, VJPs rows: forward mode for tall, reverse mode for wide.
# - HVPs give curvature at the cost of about a gradient; Hessian eigenvalues classify critical points.
# - Lagrange multipliers turn constrained problems into a square system that Newton solves.
#
# Next: `exercises/01_calculus.py` and `jlr check 01`.
