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
# `hessian`), using the functions of `jlr.calculus`, and checks each claim with an `assert`
# (wall-clock timings, which vary from machine to machine, are printed but not asserted).
# The random inputs (layers, points, vectors) come from one root key,
# `jlr.course.lesson.root_key()` (the seed is `JLR_SEED`, 0 by default), split into keys
# named for their use, each used once. What the lesson asserts about them are identities
# that hold for any such inputs up to rounding, and the test suite runs the lesson under
# several seeds to check that.
# The exercises are in `exercises/01_calculus.py`; grade them with `jlr check 01`.

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
from jlr.course.lesson import root_key, show
from jlr.viz import calculus_plots

GRID = 200  # points per axis of the contour plots

lesson_key = root_key()
(
    batch_key,  # section 1: a batch of points
    inner_key,  # section 5: the layers G and F, the point, a tangent and a cotangent
    outer_key,
    chain_x_key,
    chain_v_key,
    chain_u_key,
    layer_key,  # section 7: a layer R^3 -> R^5, its input, u and v
    layer_x_key,
    u_key,
    v_key,
    wide_key,  # section 7: the wide and tall maps of the cost comparison
    tall_key,
    rosenbrock_x_key,  # section 8: where the Hessian is taken
) = jax.random.split(lesson_key, 13)

# %% [markdown]
# ## 1. Functions of several variables ($\mathbb{R}^n \to \mathbb{R}$, $\mathbb{R}^n \to \mathbb{R}^m$)
#
# A **scalar field** $f: \mathbb{R}^n \to \mathbb{R}$ takes a vector and returns a number
# (a loss of $n$ parameters); a **map** $F: \mathbb{R}^n \to \mathbb{R}^m$ returns a vector
# (a layer). In JAX each is a Python function of one array, written for one input and
# batched with `jax.vmap`. Two running examples are Himmelblau's function
# $$f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2$$
# and polar coordinates $P(r, \theta) = (r\cos\theta, r\sin\theta)$, a map $\mathbb{R}^2 \to \mathbb{R}^2$
# that bends a rectangle of $(r, \theta)$ into part of a ring: in the figure,
# $0.2 \le r \le 1$ and $0 \le \theta \le 3\pi/2$ become three quarters of an annulus, lines
# $r = \text{const}$ becoming circular arcs and lines $\theta = \text{const}$ rays.

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
batch = jax.random.normal(batch_key, (5, 2))
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
show("polar-map")

# %% [markdown]
# ## 2. Domains, codomains, level sets, contour plots
#
# The **domain** is where a function is defined (here all of $\mathbb{R}^2$, or a grid of it
# for a picture); the **codomain** is where its values live. A **level set**
# $\{x : f(x) = c\}$ of a scalar field on $\mathbb{R}^2$ is (away from critical points) a
# curve, and a contour plot draws several. Write
# $\nabla f(x) = (\partial f / \partial x_1, \dots, \partial f / \partial x_n)$ for the
# **gradient**, the vector of partial derivatives (sections 3 and 4 study both). If a
# differentiable curve $x(t)$ runs along a level set then $f(x(t)) = c$ for every $t$, and
# differentiating in $t$ by the chain rule (section 5) gives
# $$\nabla f(x(t)) \cdot x'(t) = 0:$$
# **the gradient is orthogonal to the level sets.** Below, the red arrows show the direction
# of $\nabla f$ on a grid of points, and a curve traced by `level_sets.trace_level_set` (step
# along the tangent, then Newton back onto the level) stays on its level. The code measures
# both: how far $f$ drifts from $c$ along the traced curve, and the cosine of the angle
# between each chord of the curve and the gradient at the chord's midpoint (0 for a right
# angle; a short chord is nearly a tangent).

# %%
xs = ys = jnp.linspace(-5.0, 5.0, GRID)
start = jnp.array([1.0, 1.0])
level = functions.himmelblau(start)
curve = level_sets.trace_level_set(functions.himmelblau, start, step_size=0.1, n_steps=150)
cosines = level_sets.gradient_level_set_cosines(functions.himmelblau, curve)
drift = jnp.abs(jax.vmap(functions.himmelblau)(curve) - level).max()
print(f"level f = {level:.1f}: max |f - c| along the traced curve = {drift:.2e}")
print(f"max |cos(angle between chord and gradient)| = {cosines.max():.2e}")
assert drift < 1e-5 * level  # float32 keeps about 7 digits; Newton's projection reaches them
assert cosines.max() < 1e-2  # every chord within 0.6 degrees of a right angle

fig, ax = plt.subplots(figsize=(5.5, 5))
filled = calculus_plots.plot_contours_with_gradients(
    ax, functions.himmelblau, xs, ys, levels=np.geomspace(0.5, 900, 14), arrow_stride=GRID // 15
)
ax.plot(*curve.T, "w--", lw=2, label="traced level curve")
ax.legend(loc="lower left")
fig.colorbar(filled, ax=ax, shrink=0.8)
ax.set_title("Himmelblau: contours and gradient directions")
show("himmelblau-contours")

# %% [markdown]
# ## 3. Partial derivatives and their geometric meaning
#
# $\partial f / \partial x_i$ is the slope of one **slice** of the graph: freeze the other
# coordinates and differentiate $t \mapsto f(x + t e_i)$ at $t = 0$, where $e_i$ is the
# $i$-th standard basis vector. `jax.grad(f, argnums=i)` differentiates a function of
# several arguments with respect to argument $i$. Without autodiff, the **central difference**
# $$\frac{f(x + h e_i) - f(x - h e_i)}{2h} = \partial_i f(x) + \tfrac{h^2}{6}\, \partial_i^3 f(x) + O(h^4)$$
# is accurate to $O(h^2)$, until rounding error (about $\epsilon |f| / h$, with $\epsilon$
# the machine epsilon) takes over. For Himmelblau's function $\partial_x^3 f = 24x$ and the
# $O(h^4)$ term is zero (the fifth derivative vanishes), so in float64 the error is exactly
# quadratic in $h$ up to rounding.


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
show("partial-slices")

# %% [markdown]
# ## 4. Directional derivatives and the gradient vector
#
# Along a direction $v$, $D_v f(x) = \frac{d}{dt} f(x + tv)\big|_{t=0} = \nabla f(x) \cdot v$.
# `jax.jvp` computes it in one forward pass without forming $\nabla f$. Over unit vectors,
# Cauchy–Schwarz gives $|D_v f| \le \|\nabla f\|$ with equality only for
# $v = \pm\nabla f / \|\nabla f\|$: **the gradient is the direction of steepest ascent**, and
# its length is the steepest rate. A sweep over 360 directions, one degree apart, agrees:
# its best direction is within half a degree of $\nabla f / \|\nabla f\|$, so its rate lies
# between $\|\nabla f\| \cos(0.5°)$ and $\|\nabla f\|$.
#
# *Precision.* On NVIDIA GPUs JAX may run float32 matrix products in TF32, whose relative
# error is about $10^{-3}$. Where this lesson checks a matrix or vector product against
# another computation more tightly than that, it computes under
# `jax.default_matmul_precision("highest")` (full float32), as here for $\nabla f \cdot v$.

# %%
x0 = jnp.array([0.8, -1.5])
n_angles = 360
directions = directional.unit_directions(n_angles)  # (n_angles, 2)
rates = directional.directional_derivative_sweep(functions.himmelblau, x0, directions)
grad = jax.grad(functions.himmelblau)(x0)
grad_norm = jnp.linalg.norm(grad)
best = directions[jnp.argmax(rates)]
ascent = directional.steepest_ascent_direction(functions.himmelblau, x0)
with jax.default_matmul_precision("highest"):
    dot_rates = directions @ grad  # (n_angles,): grad f . v for every v
    best_cosine = best @ ascent
print(f"best swept direction {best}, grad/|grad| = {ascent}")
print(f"max D_v f = {rates.max():.3f}, |grad f| = {grad_norm:.3f}")
print(f"max |D_v f - grad f . v| over the sweep = {jnp.abs(rates - dot_rates).max():.2e}")
half_step = np.cos(np.pi / n_angles)  # cos(0.5 degrees)
assert jnp.allclose(rates, dot_rates, rtol=0, atol=1e-5 * grad_norm)
assert best_cosine >= half_step
assert half_step * grad_norm * (1 - 1e-6) <= rates.max() <= grad_norm * (1 + 1e-6)

angles = np.degrees(np.arctan2(directions[:, 1], directions[:, 0]))
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(angles % 360, rates, ".", ms=3, label=r"$D_v f(x)$, $v = (\cos\phi, \sin\phi)$")
ax.axvline(
    np.degrees(np.arctan2(grad[1], grad[0])) % 360, color="tab:red", label=r"angle of $\nabla f$"
)
ax.axhline(grad_norm, color="gray", ls="--", label=r"$\|\nabla f\|$")
ax.set(xlabel=r"$\phi$ (degrees)", ylabel="rate of change")
ax.legend(fontsize=8)
show("directional-sweep")

# %% [markdown]
# ## 5. Total derivative and the multivariable chain rule
#
# The **Jacobian matrix** of $F: \mathbb{R}^n \to \mathbb{R}^m$ at $x$ is the $m \times n$
# matrix of its partial derivatives, $J_F(x)_{ij} = \partial F_i / \partial x_j$. When $F$ is
# differentiable at $x$, the linear map $dx \mapsto J_F(x)\,dx$ is its **total derivative**:
# the one linear map with $F(x + dx) - F(x) - J_F(x)\,dx$ vanishing faster than $\|dx\|$ as
# $dx \to 0$. For a composition of $G: \mathbb{R}^k \to \mathbb{R}^n$ and
# $F: \mathbb{R}^n \to \mathbb{R}^m$, the linear maps compose:
# $$J_{F \circ G}(x) = J_F(G(x))\, J_G(x),$$
# an $(m \times n)(n \times k)$ product. `jax.jvp` and `jax.vjp` apply this product to a
# vector without forming it. **Forward mode** evaluates it right to left, starting from a tangent
# $v \in \mathbb{R}^k$ at the input: $J_F\,(J_G\, v)$, in the order the program runs.
# **Reverse mode** (backpropagation) evaluates it left to right, starting from a cotangent
# $u \in \mathbb{R}^m$ at the output: $(u^\top J_F)\, J_G$, in the reverse of the program's
# order (section 7 builds on both). Here $G$ and $F$ are random `tanh` layers
# $\mathbb{R}^3 \to \mathbb{R}^4 \to \mathbb{R}^2$, each $y = \tanh(xW + b)$ with
# `jlr.nn.linear`'s layout $W: (d_{in}, d_{out})$, so each has the Jacobian
# $\mathrm{diag}(1 - y^2)\, W^\top$: a $(d_{out} \times d_{in})$ matrix. The checks use a
# tolerance of $10^{-6}$, so they run at full float32 precision (section 4).

# %%
inner_params = functions.init_tanh_layer(inner_key, 3, 4)
outer_params = functions.init_tanh_layer(outer_key, 4, 2)
inner = lambda x: functions.tanh_layer(inner_params, x)  # G: R^3 -> R^4
outer = lambda y: functions.tanh_layer(outer_params, y)  # F: R^4 -> R^2
x0 = jax.random.normal(chain_x_key, (3,))
tangent, cotangent = jax.random.normal(chain_v_key, (3,)), jax.random.normal(chain_u_key, (2,))
with jax.default_matmul_precision("highest"):
    product = chain_rule.chain_rule_jacobian(outer, inner, x0)  # (2, 4) @ (4, 3)
    whole = jax.jacrev(chain_rule.compose(outer, inner))(x0)  # (2, 3)
    forward = chain_rule.chain_rule_jvp(outer, inner, x0, tangent)  # J_F (J_G v): (2,)
    backward = jacobians.vjp(chain_rule.compose(outer, inner), x0, cotangent)  # u^T J: (3,)
    product_v, u_product = product @ tangent, cotangent @ product
    inner_y = inner(x0)  # (4,)
    by_hand = (1.0 - inner_y**2)[:, None] * inner_params["w"].T  # diag(1 - y^2) W^T: (4, 3)
    inner_jacobian = jax.jacfwd(inner)(x0)
print("J_F(G(x)) J_G(x) =\n", product, "\njacrev(F o G)(x) =\n", whole)
chain_errors = {
    "product vs jacrev": jnp.abs(product - whole).max(),
    "jvp vs J v": jnp.abs(forward - product_v).max(),
    "vjp vs u^T J": jnp.abs(backward - u_product).max(),
    "by hand vs jacfwd": jnp.abs(by_hand - inner_jacobian).max(),
}
print("max abs differences:", {name: f"{err:.1e}" for name, err in chain_errors.items()})
assert product.shape == (2, 3)
assert jnp.allclose(product, whole, rtol=0, atol=1e-6)
assert jnp.allclose(forward, product_v, rtol=0, atol=1e-6)
assert jnp.allclose(backward, u_product, rtol=0, atol=1e-6)
assert jnp.allclose(by_hand, inner_jacobian, rtol=0, atol=1e-6)

# %% [markdown]
# ## 6. The Jacobian matrix and linear approximation
#
# The Jacobian makes $F(x + h) \approx F(x) + J_F(x)\,h$. How good is that? If $F$ is twice
# continuously differentiable, Taylor's theorem applied to each component along the segment
# from $x$ to $x + h$ (to $t \mapsto F_i(x + th)$) gives
# $$F_i(x + h) - F_i(x) - \nabla F_i(x) \cdot h = \tfrac12\, h^\top \nabla^2 F_i(\xi_i)\, h$$
# for some point $\xi_i$ of the segment, where $\nabla^2 F_i$ is the $n \times n$ matrix of
# second partial derivatives $\partial^2 F_i / \partial x_j \partial x_l$ (the Hessian of
# $F_i$; section 8). So if $|u^\top \nabla^2 F_i(\xi)\, u| \le M$ for all unit vectors $u$,
# components $i$ and points $\xi$ of the segment, each component of the remainder is at
# most $\tfrac12 M \|h\|^2$: **the error is $O(\|h\|^2)$**, a slope of 2 on a log-log plot.
# We measure it for polar coordinates (in float64, so rounding does not flatten the
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
show("linearization-error")

# %% [markdown]
# ## 7. Jacobian–vector and vector–Jacobian products
#
# Autodiff never needs $J$ itself. **Forward mode** pushes a tangent through the program:
# $v \mapsto Jv$ (`jax.jvp`), at the cost of a small constant times one evaluation of $F$.
# **Reverse mode** pulls a cotangent back: $u \mapsto u^\top J$ (`jax.vjp`), also a small
# constant times one evaluation (plus memory for the forward pass's intermediate values).
# The full Jacobian is $n$ JVPs on the basis vectors $e_j$ (its columns: `jacfwd`) or $m$
# VJPs on the basis vectors $e_i$ (its rows: `jacrev`). So forward mode suits **tall**
# Jacobians ($m \gg n$) and reverse mode **wide** ones ($n \gg m$), such as the gradient of
# a loss, where $m = 1$: one VJP gives all $n$ partials. The two products are transposes
# of each other: $u \cdot (Jv) = (u^\top J) \cdot v$.

# %%
layer = functions.init_tanh_layer(layer_key, 3, 5)
F = lambda x: functions.tanh_layer(layer, x)  # R^3 -> R^5
x0 = jax.random.normal(layer_x_key, (3,))
u, v = jax.random.normal(u_key, (5,)), jax.random.normal(v_key, (3,))
with jax.default_matmul_precision("highest"):
    by_columns, by_rows = jacobians.jacobian_from_jvps(F, x0), jacobians.jacobian_from_vjps(F, x0)
    jac_fwd, jac_rev = jax.jacfwd(F)(x0), jax.jacrev(F)(x0)
    u_jv, ujt_v = u @ jacobians.jvp(F, x0, v), jacobians.vjp(F, x0, u) @ v
print(f"u . (J v) = {u_jv:.6f},  (u^T J) . v = {ujt_v:.6f},  difference {abs(u_jv - ujt_v):.1e}")
print(f"max |jacobian_from_jvps - jacfwd| = {jnp.abs(by_columns - jac_fwd).max():.1e}, ", end="")
print(f"max |jacobian_from_vjps - jacrev| = {jnp.abs(by_rows - jac_rev).max():.1e}")
assert jnp.allclose(by_columns, jac_fwd, rtol=0, atol=1e-6)
assert jnp.allclose(by_rows, jac_rev, rtol=0, atol=1e-6)
assert jnp.allclose(u_jv, ujt_v, rtol=0, atol=1e-5)


# %% [markdown]
# How much the choice of mode matters, for a wide map ($n = 400 \to m = 4$) and a tall one
# ($n = 4 \to m = 400$). XLA reports the floating-point operations of a compiled function
# (`jax.jit(fn).lower(x).compile().cost_analysis()["flops"]`), a count fixed by the program
# and not by the machine's speed or load: the lesson asserts that the mode suited to the
# shape needs at least 10 times fewer operations than the other. It also prints wall-clock
# times; those vary from machine to machine (at sizes this small, fixed per-call overheads
# can weigh as much as the arithmetic), so they are not asserted. `benchmarks/bench_jacobian_modes.py`
# sweeps the sizes and plots the crossover.


# %%
def compiled_flops(compiled) -> float:
    """XLA's count of floating-point operations of one call of a compiled function."""
    return float(compiled.cost_analysis()["flops"])


def best_time(compiled, x, repeats=5):
    """The fastest of a few calls of an already compiled function, in seconds."""
    compiled(x).block_until_ready()  # warm up
    times = []
    for _ in range(repeats):
        start_time = time.perf_counter()
        compiled(x).block_until_ready()
        times.append(time.perf_counter() - start_time)
    return min(times)


d_big = 400
mode_flops = {}
for name, (d_in, d_out), shape_key in [
    ("wide", (d_big, 4), wide_key),
    ("tall", (4, d_big), tall_key),
]:
    params = functions.init_tanh_layer(shape_key, d_in, d_out)
    G = lambda x, params=params: functions.tanh_layer(params, jnp.tanh(x))
    x = jnp.ones(d_in)
    fwd = jax.jit(jax.jacfwd(G)).lower(x).compile()  # compiled once: counted, then timed
    rev = jax.jit(jax.jacrev(G)).lower(x).compile()
    mode_flops[name] = (compiled_flops(fwd), compiled_flops(rev))
    t_fwd, t_rev = best_time(fwd, x), best_time(rev, x)
    print(
        f"{name:>4} ({d_in:>3} -> {d_out:>3}): jacfwd {mode_flops[name][0]:9.0f} flops "
        f"{1e6 * t_fwd:7.1f} us;  jacrev {mode_flops[name][1]:9.0f} flops {1e6 * t_rev:7.1f} us"
    )
assert mode_flops["wide"][0] > 10 * mode_flops["wide"][1]  # wide: reverse mode wins
assert mode_flops["tall"][1] > 10 * mode_flops["tall"][0]  # tall: forward mode wins

# %% [markdown]
# ## 8. Second-order derivatives and the Hessian matrix
#
# For $f: \mathbb{R}^n \to \mathbb{R}$, $H_{ij} = \partial^2 f / \partial x_i \partial x_j$,
# symmetric when $f$ is $C^2$ (twice continuously differentiable). $H$ is the Jacobian of
# $\nabla f$, so **forward-over-reverse** builds it well: reverse mode for $\nabla f$, then
# $n$ JVPs. A **Hessian-vector product** needs only one of them,
# $$Hv = \frac{d}{dt} \nabla f(x + tv)\Big|_{t=0} = \texttt{jvp}(\nabla f, x, v),$$
# never forms the $n \times n$ matrix, and costs a small constant multiple of one gradient,
# whatever $n$ (Pearlmutter 1994). On the Rosenbrock function at a random point of
# $\mathbb{R}^4$ we check both against **reverse-over-reverse**
# (`jax.jacrev(jax.jacrev(f))`, a different route to the same matrix), to a tolerance
# relative to the size of $H$ (at full float32 precision, section 4), then count XLA's operations for an HVP
# and a gradient at $n = 100$ and $n = 10\,000$ (`benchmarks/bench_hvp_cost.py` times them).

# %%
x0 = jax.random.normal(rosenbrock_x_key, (4,))
v = jnp.array([1.0, -2.0, 0.5, 3.0])
with jax.default_matmul_precision("highest"):
    h_ours = hessian.hessian_fwd_over_rev(functions.rosenbrock, x0)
    h_oracle = jax.jacrev(jax.jacrev(functions.rosenbrock))(x0)  # reverse-over-reverse
    hv_ours, hv_matrix = hessian.hvp(functions.rosenbrock, x0, v), h_oracle @ v
print("Hessian of Rosenbrock (n = 4):\n", h_ours)
h_scale = jnp.abs(h_oracle).max()  # float32 rounding is relative to the largest entries
print(f"max |H_ours - H_rev_rev| / max|H| = {jnp.abs(h_ours - h_oracle).max() / h_scale:.1e}")
print(f"max |H_ours - H_ours^T| / max|H| = {jnp.abs(h_ours - h_ours.T).max() / h_scale:.1e}")
hv_error = jnp.abs(hv_ours - hv_matrix).max() / (h_scale * jnp.abs(v).sum())
print(f"max |hvp - H v| / (max|H| sum|v|) = {hv_error:.1e}")
assert jnp.allclose(h_ours, h_oracle, rtol=0, atol=1e-5 * h_scale)
assert jnp.allclose(h_ours, h_ours.T, rtol=0, atol=1e-5 * h_scale)
assert jnp.allclose(hv_ours, hv_matrix, rtol=0, atol=1e-5 * h_scale * jnp.abs(v).sum())

for n in (100, 10_000):
    z = jnp.ones(n)
    grad_flops = compiled_flops(jax.jit(jax.grad(functions.rosenbrock)).lower(z).compile())
    hvp_fn = lambda z: hessian.hvp(functions.rosenbrock, z, z)  # H(z) z
    hvp_flops = compiled_flops(jax.jit(hvp_fn).lower(z).compile())
    print(f"n = {n:>6}: HVP {hvp_flops:8.0f} flops = {hvp_flops / grad_flops:.2f} x gradient")
    assert hvp_flops < 3 * grad_flops

# %% [markdown]
# ## 9. Curvature, saddle points, local minima
#
# An **eigenvector** $q \ne 0$ of a matrix $H$ satisfies $Hq = \lambda q$ for a number
# $\lambda$, its **eigenvalue**; a symmetric $H$ has an orthonormal basis of eigenvectors
# (lesson 02), and along a unit eigenvector the curvature $q^\top H q$ is its eigenvalue.
# At a **critical point** $\nabla f(x^*) = 0$ these curvatures decide the kind of point
# (the second-derivative test): all eigenvalues positive is a strict local **minimum**, all
# negative a strict local **maximum**, both signs a **saddle**; a zero eigenvalue with no
# eigenvalues of both signs leaves the test inconclusive, and we call the point
# **degenerate**. Newton's method on the gradient, $x \leftarrow x - H(x)^{-1}\nabla f(x)$,
# converges, from starts close enough, to critical points of every kind (it is a root
# finder, not a minimizer).
# From an $11 \times 11$ grid of starts on Himmelblau's function it finds all nine: four
# minima, one maximum, four saddles.

# %%
starts_1d = jnp.linspace(-5.0, 5.0, 11)
starts = jnp.stack(jnp.meshgrid(starts_1d, starts_1d), axis=-1).reshape(-1, 2)  # (121, 2)
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
show("himmelblau-critical-points")

# %% [markdown]
# The **monkey saddle** $f = x^3 - 3xy^2$ has a critical point at $0$ where $H = 0$: the test
# says nothing (degenerate). In polar coordinates $f = r^3 \cos 3\theta$, so on a circle
# around $0$ the graph goes down in three valleys ($f < 0$ on three arcs). There Newton's
# method loses its quadratic speed: $\nabla f$ is homogeneous of degree 2, so
# $H(x)\,x = 2 \nabla f(x)$ (Euler's theorem on homogeneous functions) and each step exactly halves $x$; after $k$
# steps the iterate is $x_0 / 2^k$.

# %%
start = jnp.array([0.7, 0.3])
result = critical_points.newton_critical_point(functions.monkey_saddle, start)
monkey_kind = critical_points.classify_critical_point(
    hessian.hessian_fwd_over_rev(functions.monkey_saddle, result.x), tol=1e-3
)
print(f"monkey saddle: x* = {result.x}, {int(result.n_steps)} Newton steps, kind: {monkey_kind}")
assert monkey_kind == "degenerate" and int(result.n_steps) > 10
assert jnp.allclose(result.x, start / 2.0 ** int(result.n_steps), rtol=1e-5)
halved = start - jnp.linalg.solve(
    jax.hessian(functions.monkey_saddle)(start), jax.grad(functions.monkey_saddle)(start)
)
assert jnp.allclose(halved, start / 2, atol=1e-6)
circle_angles = (jnp.arange(96) + 0.5) * 2 * jnp.pi / 96  # no angle lands on a zero of cos 3t
on_circle = jax.vmap(functions.monkey_saddle)(
    jnp.stack([jnp.cos(circle_angles), jnp.sin(circle_angles)], axis=-1)
)
negative = np.asarray(on_circle < 0)
n_valleys = int(np.sum(negative & ~np.roll(negative, 1)))  # arcs where f < 0 begin
print(f"valleys around the monkey saddle: {n_valleys}")
assert n_valleys == 3

# %% [markdown]
# ## 10. Multivariable Taylor expansion (1st and 2nd order)
#
# For $f$ three times continuously differentiable,
# $$f(x + h) = \underbrace{f(x) + \nabla f(x)\cdot h}_{T_1(h)} + \tfrac12 h^\top H(x)\, h + O(\|h\|^3),$$
# and $T_2(h) = T_1(h) + \tfrac12 h^\top H(x)\, h$ is the second-order Taylor polynomial. So
# $|f(x+h) - T_1(h)| = O(\|h\|^2)$ and $|f(x+h) - T_2(h)| = O(\|h\|^3)$.
# `jlr.calculus.taylor` computes the gradient term with a JVP and the quadratic term with an
# HVP. Measured in float64 along one ray, the fitted log-log slopes come out near 2 and 3.

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
show("taylor-remainders")

# %% [markdown]
# ## 11. Constrained optimization and Lagrange multipliers
#
# To minimize $f(x)$ subject to $g(x) = 0$, look for stationary points of the **Lagrangian**
# $\mathcal{L}(x, \lambda) = f(x) + \lambda\, g(x)$:
# $$\nabla f(x) + \lambda \nabla g(x) = 0, \qquad g(x) = 0.$$
# (Every constrained minimizer with $\nabla g(x) \ne 0$ satisfies these equations; so do
# constrained maxima and saddles, so a solution must still be checked.) The first equation
# says **$\nabla f$ is parallel to $\nabla g$**: at the optimum the level set of $f$ touches
# the constraint curve. We solve this square system by damped Newton's method
# (`lagrange.lagrange_newton`), here for the ellipse-shaped bowl
# $f = (x-2)^2 + 2(y-1)^2$ on the unit circle, and compare with scipy's SLSQP minimizer.

# %%
bowl = lambda x: (x[0] - 2.0) ** 2 + 2.0 * (x[1] - 1.0) ** 2
circle = lambda x: jnp.stack([jnp.sum(x**2) - 1.0])  # a sum, not x @ x: no TF32 (section 4)
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
show("lagrange-geometry")

# %% [markdown]
# **Inequalities** $c(x) \le 0$ get multipliers $\mu \ge 0$ and the **KKT conditions**:
# stationarity $\nabla f + \sum \mu_i \nabla c_i = 0$, feasibility $c(x) \le 0$, dual
# feasibility $\mu \ge 0$, and complementary slackness $\mu_i c_i(x) = 0$ (a constraint
# that does not bind has multiplier zero). For a few constraints, `lagrange.solve_kkt`
# tries every active set (the constraints imposed as equalities) with Newton and keeps the
# best feasible KKT point. For $\min (x-2)^2 + (y-1)^2$ s.t. $x + y \le 2$, $x^2 \le y$, both
# constraints bind at $(1, 1)$.

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
assert jnp.allclose(kkt.x, jnp.array([1.0, 1.0]), atol=1e-4) and bool(jnp.all(kkt.active))
assert jnp.allclose(kkt.mu * constraints(kkt.x), 0.0, atol=1e-5)  # complementary slackness

# %% [markdown]
# ## Summary
#
# - Gradients are normal to level sets and point uphill fastest; partials are slopes of slices.
# - Jacobians compose by multiplication (the chain rule) and give $O(\|h\|^2)$ linear approximations.
# - JVPs give Jacobian columns, VJPs rows: forward mode for tall, reverse mode for wide.
# - HVPs give curvature at a small constant multiple of a gradient's cost; Hessian
#   eigenvalues classify critical points.
# - Lagrange multipliers turn constrained problems into a square system that Newton solves.
#
# Next: `exercises/01_calculus.py` and `jlr check 01`.
