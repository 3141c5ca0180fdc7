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
# # 02 · Linear algebra for representation learning
#
# A representation is a vector, a layer is a linear map followed by a nonlinearity, and most of
# what we can say about a network's weights (their rank, their spectrum, how well conditioned
# the loss is) is linear algebra. This lesson builds the tools from scratch in `jlr.linalg`
# and checks each one against `jnp.linalg`, numpy or scipy:
#
# 1. subspaces and projection
# 2. span, basis and Gram-Schmidt
# 3. change of basis
# 4. linear maps as matrices
# 5. rank and the four fundamental subspaces
# 6. eigenvalues by power iteration
# 7. spectral norm and conditioning
# 8. the SVD
# 9. low-rank approximation and PCA of handwritten digits
#
# Everything runs in float32, JAX's default, so tolerances are stated and a few of the
# numerical stories (Gram-Schmidt, the SVD through $A^\top A$) are about float32's machine
# epsilon $\varepsilon = 2^{-23} \approx 1.2 \times 10^{-7}$, the gap between $1$ and the
# next float32.
#
# **Full float32 products.** On NVIDIA GPUs JAX runs float32 matrix products as TF32 by
# default, which keeps only 10 bits of mantissa (relative error $\sim 10^{-3}$). That would
# bury every effect this lesson measures at the $10^{-7}$ level, so the first cell asks for
# full float32 precision in every product (`jax_default_matmul_precision = "highest"`). On a
# CPU this changes nothing.
#
# The lesson draws its random numbers from one root key (seed `JLR_SEED`, default 0), split
# into keys named for their use, each used once. A claim about random matrices is checked
# either on many draws at once (with `vmap`) or with its failure probability stated.

# %%
from functools import partial

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg

from jlr.calculus.functions import quadratic
from jlr.course.lesson import root_key, root_seed, show
from jlr.data.digits import load_digits
from jlr.linalg import (
    align_signs,
    change_of_basis_matrix,
    classical_gram_schmidt,
    compression_ratio,
    condition_number,
    coordinates,
    eckart_young_errors,
    fit_pca,
    fundamental_subspaces,
    gram_schmidt_basis,
    hotelling_deflate,
    in_span,
    matrix_in_basis,
    matrix_of,
    modified_gram_schmidt,
    orthogonality_loss,
    pca_decode,
    pca_encode,
    polygon_area,
    power_iteration,
    power_norms,
    project_onto_span,
    projection_matrix,
    rank,
    rank_k_approximation,
    relative_reconstruction_error,
    span_residual,
    spectral_norm,
    svd_jacobi,
    svd_via_eigh,
    top_eigenpairs,
    two_sided_deflate,
)
from jlr.linalg.linear_maps import apply_to_points, unit_circle
from jlr.linalg.svd import jacobi_sweep, off_orthogonality
from jlr.optim import iterations_to_converge, sgd, trajectory
from jlr.optim.quadratic_convergence import gd_iteration_bound
from jlr.viz.linalg_plots import plot_image_rows, plot_linear_map, real_eigendirections

jax.config.update("jax_default_matmul_precision", "highest")  # no TF32: see the text above
(span_key, cloud_key, qr_key, kappa_key, rank_key, eigen_key, deflation_key, rayleigh_key,
 norm_key, rotation_key, svd_key, jacobi_key, graded_key, low_rank_key,
 split_key) = jax.random.split(root_key(), 15)  # fmt: skip
EPS32 = float(jnp.finfo(jnp.float32).eps)
print(f"root seed {root_seed()}, float32 eps = {EPS32:.3g}")


def random_orthogonal(key, n):
    """A random orthogonal matrix: the Q of a Gaussian matrix's QR, signs fixed. -> (n, n)."""
    q, r = jnp.linalg.qr(jax.random.normal(key, (n, n)))
    return q * jnp.sign(jnp.diag(r))[None, :]


def with_singular_values(key, m, n, s):
    """U diag(s) V^T with random orthonormal U: (m, k), V: (n, k), k = len(s). -> (m, n)."""
    u_key, v_key = jax.random.split(key)
    k = s.shape[0]
    u, v = random_orthogonal(u_key, m)[:, :k], random_orthogonal(v_key, n)[:, :k]
    return (u * s[None, :]) @ v.T  # (m, k) @ (k, n)


# %% [markdown]
# ## 1. Vector spaces and subspaces
#
# A **subspace** $S \subseteq \mathbb{R}^n$ contains $0$ and is closed under $x + y$ and
# $\alpha x$. Every subspace is the column space of some matrix,
# $S = \operatorname{col}(A) = \{A c : c \in \mathbb{R}^k\}$. The closest point of $S$ to a
# vector $x$ is its **orthogonal projection**
#
# $$ p = A c^*, \qquad c^* = \arg\min_c \lVert A c - x \rVert^2 = A^+ x, \qquad P = A A^+, $$
#
# where the **pseudo-inverse** $A^+$ is the matrix that maps $x$ to the least-squares
# coefficients $c^*$ (the one of smallest norm when several fit equally well). When the
# columns of $A$ are independent, $A^+ = (A^\top A)^{-1} A^\top$ and
# $P = A (A^\top A)^{-1} A^\top$; section 8 gives $A^+$ for any $A$ from the SVD.
#
# The residual $x - p$ is orthogonal to every column of $A$. So **$x \in S$ exactly when
# $x = Px$**; in floating point we test $\lVert x - Px \rVert \le \text{rtol}\,\lVert x \rVert$
# with $\text{rtol} = \sqrt{\varepsilon} \approx 3.5 \times 10^{-4}$. A projector is
# idempotent ($P^2 = P$: projecting twice changes nothing) and symmetric, and its trace is the
# subspace's dimension.
#
# A random vector is almost never in a plane of $\mathbb{R}^3$: its relative residual
# $\lVert x - Px \rVert / \lVert x \rVert$ is $|\cos|$ of its angle with the plane's normal,
# which for a uniformly random direction is uniform on $[0, 1]$ (Archimedes' hat-box
# theorem). So the test below calls a random vector "outside" except with probability
# $\text{rtol} \approx 3.5 \times 10^{-4}$, and the mean residual of many random vectors is
# $1/2$.

# %%
a_key, c_key, x_key = jax.random.split(span_key, 3)
plane = jax.random.normal(a_key, (3, 2))  # two vectors spanning a plane in R^3
inside = plane @ jax.random.normal(c_key, (2,))
outside = jax.random.normal(x_key, (3,))
p = projection_matrix(plane)
print(f"residual of a vector in the plane:     {float(span_residual(plane, inside)):.2e}")
print(f"residual of a random vector in R^3:    {float(span_residual(plane, outside)):.3f}")
print(f"P^2 = P up to {float(jnp.abs(p @ p - p).max()):.1e}, trace P = {float(jnp.trace(p)):.4f}")
assert bool(in_span(plane, inside)) and not bool(in_span(plane, outside))  # fails w.p. 3.5e-4
assert jnp.allclose(p @ p, p, atol=1e-5) and jnp.allclose(p, p.T, atol=1e-6)
assert abs(float(jnp.trace(p)) - 2.0) < 1e-5
residual = outside - project_onto_span(plane, outside)
assert jnp.allclose(plane.T @ residual, 0.0, atol=1e-5)  # the residual is normal to the plane

n_cloud = 4096
cloud = jax.random.normal(cloud_key, (n_cloud, 3))  # random directions
residuals = jax.vmap(span_residual, in_axes=(None, 0))(plane, cloud)  # (n_cloud,)
print(f"mean residual of {n_cloud} random vectors: {float(residuals.mean()):.3f} (theory 0.5)")
# a uniform [0, 1] variable has std 1/sqrt(12): the mean is within 4 standard errors of 1/2
assert abs(float(residuals.mean()) - 0.5) < 4 / np.sqrt(12 * n_cloud)


# %% [markdown]
# ## 2. Span, basis, linear independence
#
# Vectors $a_1, \dots, a_n$ are **linearly independent** when $\sum_j c_j a_j = 0$ forces
# $c = 0$, i.e. when the **rank** of $[a_1 \dots a_n]$ (the dimension of its column space) is
# $n$; an independent spanning set of $S$ is a **basis**, and every basis of $S$ has
# $\dim S$ vectors. Two ways to decide:
#
# * **by rank**: count the singular values above a tolerance (section 5);
# * **by Gram-Schmidt**: build an orthonormal basis one vector at a time,
#
# $$ v_k = a_k - \sum_{j<k} r_{jk} q_j, \qquad r_{kk} = \lVert v_k \rVert, \qquad
#    q_k = v_k / r_{kk}, \qquad A = QR, $$
#
#   and a vector whose remainder $r_{kk}$ is (numerically) zero was already in the span of
#   the previous ones.
#
# *Classical* Gram-Schmidt computes $r_{jk} = q_j^\top a_k$ from the original column;
# *modified* Gram-Schmidt uses the partially reduced column, $r_{jk} = q_j^\top v$. Same
# algebra, different rounding. With the **condition number** $\kappa(A)$ (the ratio of the
# longest to the shortest $\lVert Ax \rVert$ over unit vectors $x$; section 7), the loss of
# orthogonality $\lVert I - Q^\top Q \rVert_F$ is bounded by a constant times
# $\kappa(A)\,\varepsilon$ for modified Gram-Schmidt (Björck, 1967) but only by a constant
# times $\kappa(A)^2 \varepsilon$ for classical (Giraud et al., 2005; both bounds assume
# the constant times $\kappa \varepsilon$, resp. $\kappa^2 \varepsilon$, is below 1). Once
# $\kappa^2 \varepsilon \gg 1$, classical Gram-Schmidt's $Q$ is not orthogonal at all
# (loss of order 1). These are upper bounds: the measured losses below sit under them.

# %%
vectors = jnp.array([[1.0, 2.0, 3.0, 1.0], [0.0, 1.0, 1.0, 2.0], [1.0, 0.0, 1.0, -3.0]])
# columns v1..v4 with v3 = v1 + v2 and v4 = -3 v1 + 2 v2: four vectors spanning only a plane
q, independent = gram_schmidt_basis(vectors)
print("independent columns (Gram-Schmidt):", np.asarray(independent))
print("rank by SVD:", rank(vectors), " numpy:", np.linalg.matrix_rank(np.asarray(vectors)))
assert int(independent.sum()) == rank(vectors) == np.linalg.matrix_rank(np.asarray(vectors)) == 2
assert np.asarray(independent).tolist() == [True, True, False, False]
basis = q[:, independent]  # an orthonormal basis of the plane
assert jnp.allclose(basis.T @ basis, jnp.eye(2), atol=1e-6)
assert all(bool(in_span(basis, vectors[:, j])) for j in range(4))

a = jax.random.normal(qr_key, (6, 4))
q_mgs, r_mgs = modified_gram_schmidt(a)
q_ref, r_ref = jnp.linalg.qr(a)
signs = jnp.sign(jnp.diag(r_ref))  # QR is unique once diag(R) > 0
assert jnp.allclose(q_mgs, q_ref * signs[None, :], atol=1e-5)
assert jnp.allclose(r_mgs, r_ref * signs[:, None], atol=1e-5)
print("modified Gram-Schmidt = jnp.linalg.qr up to column signs")

# %% [markdown]
# To see the two bounds we build $(20 \times 8)$ matrices with a chosen condition number
# (singular values spaced evenly in log scale from $1$ down to $1/\kappa$, random singular
# vectors), 16 random matrices per $\kappa$, and compare the geometric mean of the losses
# with the bounds. One jitted function of `(key, kappa)`, `vmap`ped over both, runs all of
# them.

# %%
n_draws = 16
kappas = np.logspace(0.5, 5, 10)


@jax.jit
def gram_schmidt_losses(key, kappa):
    """Loss of orthogonality (classical, modified) for one random (20, 8) matrix of cond kappa."""
    s = jnp.logspace(0.0, -jnp.log10(kappa), 8)  # s_1 / s_8 = kappa
    a = with_singular_values(key, 20, 8, s)
    return (orthogonality_loss(classical_gram_schmidt(a)[0]),
            orthogonality_loss(modified_gram_schmidt(a)[0]))  # fmt: skip


draw_keys = jax.random.split(kappa_key, n_draws)
per_kappa = jax.vmap(gram_schmidt_losses, in_axes=(None, 0))  # over kappas
loss_cgs, loss_mgs = map(np.asarray, jax.vmap(per_kappa, in_axes=(0, None))(draw_keys, kappas))
gm_cgs, gm_mgs = np.exp(np.log(loss_cgs).mean(0)), np.exp(np.log(loss_mgs).mean(0))  # (kappas,)

fig, ax = plt.subplots(figsize=(6, 4))
for losses, marker, label in ((loss_cgs, "o", "classical"), (loss_mgs, "s", "modified")):
    gm = np.exp(np.log(losses).mean(0))
    (line,) = ax.loglog(kappas, gm, marker + "-", label=f"{label} Gram-Schmidt (geometric mean)")
    ax.loglog(np.repeat(kappas, n_draws), losses.T.ravel(), marker, ms=2, alpha=0.3,
              color=line.get_color())  # fmt: skip
ax.loglog(kappas, EPS32 * kappas**2, "k:", label=r"$\kappa^2 \varepsilon$")
ax.loglog(kappas, EPS32 * kappas, "k--", label=r"$\kappa\, \varepsilon$")
ax.set(xlabel=r"condition number $\kappa(A)$", ylabel=r"$\|I - Q^\top Q\|_F$",
       title=f"Loss of orthogonality in float32, {n_draws} matrices per $\\kappa$",
       ylim=(1e-8, 10))  # fmt: skip
ax.legend(fontsize=8)
show("gram-schmidt-orthogonality")
big = kappas >= 1e4
print("kappa:               ", np.array2string(kappas, precision=0, floatmode="fixed"))
print("classical / kappa^2 eps:", np.array2string(gm_cgs / (EPS32 * kappas**2), precision=3))
print("modified / kappa eps:   ", np.array2string(gm_mgs / (EPS32 * kappas), precision=3))
print(f"at kappa = {kappas[-1]:.0e}: classical {gm_cgs[-1]:.2g}, modified {gm_mgs[-1]:.2g}")
assert np.all(gm_cgs <= EPS32 * kappas**2)  # under the kappa^2 eps bound
assert np.all(gm_mgs <= 4 * EPS32 * kappas)  # under a small constant times kappa eps
assert np.all(gm_mgs[big] < 0.05 * gm_cgs[big])  # ill-conditioned: modified is far better
assert gm_cgs[-1] > 0.1  # kappa^2 eps ~ 1e3: classical Q is far from orthogonal


# %% [markdown]
# ## 3. Coordinate systems and change of basis
#
# The columns of an invertible $B$ are a basis; the **coordinates** of $x$ in it are the $c$
# with $x = Bc$, so $c = B^{-1}x$ (and $c = B^\top x$ when $B$ is orthonormal). Moving from
# one basis to another is itself a matrix,
#
# $$ c_{\text{new}} = P\, c_{\text{old}}, \qquad P = B_{\text{new}}^{-1} B_{\text{old}}, $$
#
# and a linear map with matrix $A$ in standard coordinates has matrix $B^{-1} A B$ in the
# coordinates of $B$: the same map, other numbers. Trace, determinant and eigenvalues do not
# depend on the basis. (An **eigenvector** of $A$ is an $x \ne 0$ with $Ax = \lambda x$;
# the number $\lambda$ is its **eigenvalue**.) In a basis of eigenvectors the matrix is
# diagonal, with the eigenvalues on the diagonal; that is what "diagonalizing" means.

# %%
old_basis = jnp.array([[1.0, 1.0], [0.0, 1.0]])  # columns (1, 0) and (1, 1)
new_basis = jnp.array([[2.0, 0.0], [1.0, 1.0]])
x = jnp.array([3.0, 2.0])
c_old, c_new = coordinates(old_basis, x), coordinates(new_basis, x)
p = change_of_basis_matrix(old_basis, new_basis)
print("x =", np.asarray(x), " c_old =", np.asarray(c_old), " c_new =", np.asarray(c_new))
assert jnp.allclose(old_basis @ c_old, x) and jnp.allclose(new_basis @ c_new, x)
assert jnp.allclose(p @ c_old, c_new, atol=1e-6)

a = jnp.array([[2.0, 1.0], [1.0, 2.0]])
eigenvalues, eigenvectors = jnp.linalg.eigh(a)
in_eigenbasis = matrix_in_basis(a, eigenvectors)
print("A in its eigenbasis:\n", np.round(np.asarray(in_eigenbasis), 6))
assert jnp.allclose(in_eigenbasis, jnp.diag(eigenvalues), atol=1e-6)
skewed = matrix_in_basis(a, new_basis)
assert jnp.isclose(jnp.trace(skewed), jnp.trace(a)) and jnp.isclose(
    jnp.linalg.det(skewed), jnp.linalg.det(a), rtol=1e-5
)
assert np.allclose(np.sort(np.linalg.eigvals(np.asarray(skewed)).real), eigenvalues, atol=1e-5)

# %% [markdown]
# ## 4. Linear transformations and their matrices
#
# A map $f$ is linear when $f(\alpha x + \beta y) = \alpha f(x) + \beta f(y)$. Then
# $f(x) = \sum_j x_j f(e_j)$, so $f$ *is* the matrix whose $j$-th column is $f(e_j)$, and
# composing maps multiplies matrices. `matrix_of(f, d_in)` builds that matrix by calling $f$ on
# the basis vectors (for a linear $f$ it is also `jax.jacfwd(f)` at any point).
#
# In the plane an invertible $2\times2$ matrix sends the unit grid to a grid of
# parallelograms of area $|\det A|$ each, the unit circle to an ellipse of area
# $\pi |\det A|$ whose longest semi-axis is the largest stretch
# $\sigma_{\max} = \max_{\lVert x \rVert = 1} \lVert Ax \rVert$ (the spectral norm of
# section 7; both semi-axes are the singular values of section 8), and each real
# eigenvector to a multiple of itself: eigen-directions are the lines the map does not turn.


# %%
def shear_then_stretch(x):
    """A linear map written without a matrix: shear x by 0.8 y, then y <- 1.5 y + 0.3 x."""
    sheared = jnp.stack([x[0] + 0.8 * x[1], x[1]])
    return jnp.stack([sheared[0], 1.5 * sheared[1] + 0.3 * sheared[0]])


m = matrix_of(shear_then_stretch, 2)
print("matrix of the map:\n", np.asarray(m))
assert jnp.allclose(m, jax.jacfwd(shear_then_stretch)(jnp.zeros(2)))
rotation = jnp.array([[0.0, -1.0], [1.0, 0.0]])
assert jnp.allclose(matrix_of(lambda x: rotation @ shear_then_stretch(x), 2), rotation @ m)

ellipse = apply_to_points(m, unit_circle(2000))
area, det = float(polygon_area(ellipse)), float(jnp.linalg.det(m))
print(f"area of the circle's image {area:.4f} = pi |det A| = {np.pi * abs(det):.4f}")
print(f"longest semi-axis {float(jnp.linalg.norm(ellipse, axis=1).max()):.4f}"
      f" = sigma_max = {float(jnp.linalg.norm(m, 2)):.4f}")  # fmt: skip
assert abs(area - np.pi * abs(det)) < 1e-4 * np.pi * abs(det)
assert abs(float(jnp.linalg.norm(ellipse, axis=1).max()) - float(jnp.linalg.norm(m, 2))) < 1e-3
for eigenvalue, direction in real_eigendirections(np.asarray(m)):
    image = np.asarray(m) @ direction  # stays on the eigen-direction's line
    assert np.allclose(image, eigenvalue * direction, atol=1e-5)

fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
plot_linear_map(axes[0], m, half_width=1.5, title="shear then stretch: two real eigen-directions")
plot_linear_map(axes[1], jnp.array([[1.0, -0.7], [0.7, 1.0]]), half_width=1.5,
                title="rotation-scaling: complex eigenvalues, no real direction")  # fmt: skip
show("linear-maps")

# %% [markdown]
# ## 5. Rank, null space, column space
#
# Every $A \in \mathbb{R}^{m \times n}$ factors as $A = U \operatorname{diag}(s) V^\top$,
# the **singular value decomposition** (SVD): $U$ $(m \times m)$ and $V$ $(n \times n)$ are
# orthogonal, and the **singular values** $s_1 \ge s_2 \ge \dots \ge 0$ sit on the diagonal
# (section 8 builds it from scratch; here we use `jnp.linalg.svd`). It hands us all four
# fundamental subspaces at once. With $r$ the number of singular values that are not zero:
#
# $$ \operatorname{col}(A) = \operatorname{span}(u_1..u_r), \quad
#    \operatorname{null}(A) = \operatorname{span}(v_{r+1}..v_n), \quad
#    \operatorname{row}(A) = \operatorname{span}(v_1..v_r), \quad
#    \operatorname{null}(A^\top) = \operatorname{span}(u_{r+1}..u_m), $$
#
# so the rank is $r$, and **rank-nullity**, $\dim\operatorname{col}(A) +
# \dim\operatorname{null}(A) = n$, is just counting columns of $V$. In floating point no
# singular value is exactly zero, so "zero" needs a **tolerance**; `jlr.linalg.rank` uses the
# one numpy and scipy use, $\text{tol} = \max(m, n)\,\varepsilon\, s_{\max}$, the size of the
# rounding error an SVD makes. Below, a $6 \times 6$ matrix of rank 3, stored in float32, has
# three singular values far above the tolerance and three that would be zero in exact
# arithmetic, left by rounding far below it: the tolerance sits in the wide gap between them.

# %%
left, right = jax.random.normal(rank_key, (2, 6, 3))
a = left @ right.T  # (6, 6), rank 3
spaces = fundamental_subspaces(a)
s = np.linalg.svd(np.asarray(a), compute_uv=False)
tol = 6 * EPS32 * s[0]
print("singular values:", np.array2string(s, precision=2), f" tolerance {tol:.1e}")
print(f"gap: s_3 = {s[2] / tol:.1e} tol, s_4 = {s[3] / tol:.1e} tol")
print({name: basis.shape for name, basis in spaces.items()})
assert s[2] > 1e3 * tol and s[3] < 0.5 * tol  # the tolerance sits in the gap, with room
assert rank(a) == 3 and spaces["column"].shape[1] + spaces["null"].shape[1] == 6
a64 = np.asarray(a, np.float64)
for ours, theirs in ((spaces["null"], scipy.linalg.null_space(a64, rcond=6 * EPS32)),
                     (spaces["column"], scipy.linalg.orth(a64, rcond=6 * EPS32))):  # fmt: skip
    ours = np.asarray(ours, np.float64)
    assert ours.shape == theirs.shape  # same dimension, and the same subspace:
    assert np.allclose(ours @ ours.T, theirs @ theirs.T, atol=1e-5)
assert jnp.allclose(a @ spaces["null"], 0.0, atol=1e-4)

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(np.arange(1, 7), s, "o-")
ax.axhline(tol, color="tab:red", ls="--", label=r"tol $= \max(m,n)\,\varepsilon\, s_{\max}$")
ax.set(xlabel="index i", ylabel="$s_i$", title="A rank-3 matrix in float32")
ax.legend()
show("rank-gap")

# %% [markdown]
# ## 6. Eigenvalues and eigenvectors
#
# **Power iteration** repeats $v \leftarrow Av / \lVert Av \rVert$. Expanding the start
# vector in eigenvectors, $A^k v_0 = \sum_i c_i \lambda_i^k x_i$, so $v_k$ turns towards the
# eigenvector of largest $|\lambda|$ (when $|\lambda_1| > |\lambda_2|$ and $c_1 \ne 0$), with
# error $\sim |\lambda_2/\lambda_1|^k$. The **Rayleigh quotient**
# $\rho(v) = v^\top A v / v^\top v$ estimates $\lambda_1$; for a symmetric $A$ its error is
# quadratic in the vector's error, $\sim |\lambda_2/\lambda_1|^{2k}$. For a symmetric $A$,
# **deflation** $A - \lambda_1 v_1 v_1^\top$ ($v_1$ of unit length; Hotelling) removes the
# found pair and leaves the others, so the next power iteration finds the next eigenvalue in
# $|\cdot|$, and so on.

# %%
q = random_orthogonal(eigen_key, 6)
spectrum = jnp.array([5.0, -3.0, 2.0, 1.0, 0.5, 0.1])
sym = (q * spectrum[None, :]) @ q.T
pairs_key, right_key, left_key = jax.random.split(deflation_key, 3)  # start vectors
found_values, found_vectors = top_eigenpairs(pairs_key, sym, 4, n_steps=200)
ref_values, ref_vectors = jnp.linalg.eigh(sym)
order = jnp.argsort(-jnp.abs(ref_values))[:4]
print("power iteration + deflation:", np.round(np.asarray(found_values), 5))
print("jnp.linalg.eigh (by |.|):   ", np.round(np.asarray(ref_values[order]), 5))
assert jnp.allclose(found_values, ref_values[order], rtol=1e-4)
overlap = jnp.abs(jnp.sum(found_vectors * ref_vectors[:, order], axis=0))
assert jnp.allclose(overlap, 1.0, atol=1e-4)  # same eigenvectors up to sign

# %% [markdown]
# **What goes wrong for non-normal matrices.** A matrix is *normal* when $AA^\top = A^\top A$
# (symmetric matrices are); then its eigenvectors are orthogonal. A non-normal matrix can
# have eigenvectors at sharp angles, and three things break:
#
# * the Rayleigh quotient converges only like $|\lambda_2/\lambda_1|^k$, not squared;
# * Hotelling deflation still leaves the right eigenvalues (any $A - v_1 z^\top$ with
#   $z^\top v_1 = \lambda_1$ does, Wielandt's theorem) but **changes the eigenvectors**: the
#   vector power iteration then finds is not an eigenvector of $A$. Deflating with the left
#   eigenvector $w_1$ ($w_1^\top A = \lambda_1 w_1^\top$), $A - \lambda_1 v_1 w_1^\top /
#   (w_1^\top v_1)$, fixes it;
# * $\lVert A^k \rVert$ can grow for many steps even when every $|\lambda_i| < 1$ (*transient
#   growth*): eigenvalues describe $A^k$ only as $k \to \infty$. This is one way the
#   gradients of a recurrent network can grow over many steps although the recurrent
#   matrix's eigenvalues are all below one in size.
#
# Below, a symmetric and a non-normal $3 \times 3$ matrix share the eigenvalues $2, 1, 0.5$,
# so theory predicts Rayleigh errors shrinking by $(1/2)^2 = 0.25$ per step (symmetric) and
# $1/2$ (non-normal). How fast one run converges depends on its start vector (a start with
# little weight on $x_2$ converges faster at first), so we run 64 random starts, and random
# symmetric eigenbases, at once with `vmap`, fit each run's rate where its error lies between
# $10^{-5}$ (well above float32's rounding floor) and $10^{-2}$, and compare the median rate
# with theory.

# %%
s_mat = jnp.array([[1.0, 2.0, -1.5], [0.0, 1.0, 2.5], [0.0, 0.0, 1.0]])  # non-orthogonal
non_normal = s_mat @ jnp.diag(jnp.array([2.0, 1.0, 0.5])) @ jnp.linalg.inv(s_mat)
n_show, n_starts = 30, 64


@jax.jit
def rayleigh_errors(key):
    """|rho(v_k) - 2| for k = 1..n_show, symmetric and non-normal, from one random start."""
    start_key, basis_key = jax.random.split(key)
    v0 = jax.random.normal(start_key, (3,))
    q3 = random_orthogonal(basis_key, 3)
    sym3 = (q3 * jnp.array([2.0, 1.0, 0.5])[None, :]) @ q3.T  # symmetric, same eigenvalues
    _, _, estimates_sym = power_iteration(lambda v: sym3 @ v, v0, n_show)  # the matvec v -> A v
    _, _, estimates_non = power_iteration(lambda v: non_normal @ v, v0, n_show)
    return jnp.abs(estimates_sym - 2.0), jnp.abs(estimates_non - 2.0)


start_keys = jax.random.split(rayleigh_key, n_starts)
err_sym, err_non = map(np.asarray, jax.vmap(rayleigh_errors)(start_keys))  # (n_starts, n_show)


def decay_rate(errors, low=1e-5, high=1e-2):
    """exp(slope) of log(error) vs step, fitted where low < error < high (NaN if < 2 points)."""
    steps = np.flatnonzero((errors > low) & (errors < high))
    if len(steps) < 2:
        return np.nan
    return float(np.exp(np.polyfit(steps, np.log(errors[steps]), 1)[0]))


rates_sym = np.array([decay_rate(e) for e in err_sym])
rates_non = np.array([decay_rate(e) for e in err_non])
rate_sym, rate_non = np.nanmedian(rates_sym), np.nanmedian(rates_non)
print(f"median Rayleigh error per step over {n_starts} starts: symmetric {rate_sym:.3f}"
      f" (theory 0.25), non-normal {rate_non:.3f} (theory 0.5)")  # fmt: skip
assert np.isnan(rates_sym).sum() < n_starts // 4 and np.isnan(rates_non).sum() < n_starts // 4
assert abs(rate_sym - 0.25) < 0.02 and abs(rate_non - 0.5) < 0.02

right_start, left_start = jax.random.normal(right_key, (3,)), jax.random.normal(left_key, (3,))
lam1, right_vec, _ = power_iteration(lambda v: non_normal @ v, right_start, 200)
_, left_vec, _ = power_iteration(lambda v: non_normal.T @ v, left_start, 200)  # w^T A = lambda w^T
start = jnp.array([0.3, -1.0, 0.7])
hotelling = hotelling_deflate(non_normal, lam1, right_vec)
two_sided = two_sided_deflate(non_normal, lam1, right_vec, left_vec)
lam2_h, vec_h, _ = power_iteration(lambda v: hotelling @ v, start, 200)
lam2_t, vec_t, _ = power_iteration(lambda v: two_sided @ v, start, 200)
miss_h = float(jnp.linalg.norm(non_normal @ vec_h - lam2_h * vec_h))
miss_t = float(jnp.linalg.norm(non_normal @ vec_t - lam2_t * vec_t))
print(f"second eigenvalue: Hotelling {float(lam2_h):.5f}, two-sided {float(lam2_t):.5f}")
print(f"|A v - lambda v| of the second eigenvector: Hotelling {miss_h:.3f}, two-sided {miss_t:.1e}")
assert abs(float(lam2_h) - 1.0) < 1e-4 and abs(float(lam2_t) - 1.0) < 1e-4
assert miss_h > 0.1 and miss_t < 1e-4

transient = jnp.array([[0.9, 4.0], [0.0, 0.85]])  # eigenvalues 0.9, 0.85
norms = np.asarray(power_norms(transient, 80))
normal_norms = 0.9 ** np.arange(81)
print(f"max_k |A^k| = {norms.max():.1f} at k = {norms.argmax()}, though both |lambda| < 1")
assert norms.max() > 10 and norms[-1] < norms.max() / 10

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
steps = np.arange(1, n_show + 1)
typical_sym = int(np.nanargmin(np.abs(rates_sym - rate_sym)))  # the run with the median rate
typical_non = int(np.nanargmin(np.abs(rates_non - rate_non)))
axes[0].semilogy(steps, np.maximum(err_sym[typical_sym], 1e-9), "o-", ms=3,
                 label="symmetric, eigenvalues 2, 1, 0.5")  # fmt: skip
axes[0].semilogy(steps, np.maximum(err_non[typical_non], 1e-9), "s-", ms=3,
                 label="non-normal, same eigenvalues")  # fmt: skip
axes[0].semilogy(steps, err_sym[typical_sym, 0] * 0.25 ** (steps - 1), "k:", label="$0.25^k$")
axes[0].semilogy(steps, err_non[typical_non, 0] * 0.5 ** (steps - 1), "k--", label="$0.5^k$")
axes[0].set(xlabel="step k", ylabel=r"$|\rho(v_k) - \lambda_1|$", ylim=(1e-9, 10),
            title="Rayleigh quotient error (the start with the median rate)")  # fmt: skip
axes[0].legend(fontsize=8)
axes[1].semilogy(norms, label="non-normal [[0.9, 4], [0, 0.85]]")
axes[1].semilogy(normal_norms, label="normal, diag(0.9, 0.9)")
axes[1].set(xlabel="k", ylabel=r"$\|A^k\|_2$", title="Transient growth")
axes[1].legend(fontsize=8)
show("power-iteration")

# %% [markdown]
# ## 7. Spectral norm and conditioning
#
# The **spectral norm** $\lVert A \rVert_2 = \max_{\lVert x \rVert = 1} \lVert Ax \rVert =
# s_{\max}(A) = \sqrt{\lambda_{\max}(A^\top A)}$ is how much $A$ can stretch a vector (the
# Lipschitz constant of a network whose activations are 1-Lipschitz, like ReLU and tanh, is at
# most the product of its layers' spectral norms). We find it by power iteration on
# $A^\top A$ without ever forming it: $v \leftarrow A^\top (A v)$. The vector's error
# shrinks like $(s_2/s_1)^{2k}$, so we run 500 steps: enough unless $s_2/s_1 > 0.995$, which
# is rare for the Gaussian matrix below (and printed).
#
# The **condition number** $\kappa(A) = s_{\max}/s_{\min}$ measures how unevenly $A$
# stretches. For gradient descent on $f(x) = \tfrac12 x^\top H x$ with step $1/L$
# ($L = \lambda_{\max}$, $\mu = \lambda_{\min}$, $\kappa = L/\mu$) the error along eigenvector
# $i$ shrinks by $(1 - \lambda_i/L)$ per step, the slowest by $(1 - 1/\kappa)$, so reaching
# $\lVert x_k \rVert \le \text{tol}\, \lVert x_0 \rVert$ takes at most
#
# $$ k = \left\lceil \frac{\log(1/\text{tol})}{-\log(1 - 1/\kappa)} \right\rceil
#    \le \lceil \kappa \log(1/\text{tol}) \rceil \text{ steps:} $$
#
# **linear in the condition number**. Ill-conditioned losses are slow losses; preconditioning,
# normalization layers and Adam are, in part, ways to lower the effective $\kappa$.

# %%
a = jax.random.normal(norm_key, (8, 5))
s = np.linalg.svd(np.asarray(a), compute_uv=False)
sigma, _ = spectral_norm(a, jnp.ones(5), 500)
print(f"power iteration {float(sigma):.5f}, numpy {s[0]:.5f} (s_2 / s_1 = {s[1] / s[0]:.3f})")
assert abs(float(sigma) - s[0]) < 1e-4 * s[0]
print(f"kappa(A) = {float(condition_number(a)):.3f}, numpy {np.linalg.cond(np.asarray(a)):.3f}")
assert abs(float(condition_number(a)) - np.linalg.cond(np.asarray(a))) < 1e-3 * float(
    condition_number(a)
)

tol = 1e-4
gd_kappas = np.array([2, 5, 10, 20, 50, 100, 200, 500, 1000])
rotation_2d = random_orthogonal(rotation_key, 2)  # eigenvectors of H: a random rotation
x0 = rotation_2d @ jnp.array([1.0, 1.0])  # equal weight on both eigen-directions


def rotated_hessian(kappa):
    """H = R diag(kappa, 1) R^T: eigenvalues L = kappa, mu = 1. -> (2, 2)."""
    return (rotation_2d * jnp.stack([kappa, 1.0])[None, :]) @ rotation_2d.T


@jax.jit
def steps_to_converge(kappa):
    """Gradient descent with step 1/L on x^T H x / 2: steps until |x| <= tol |x0|."""
    return iterations_to_converge(sgd(1.0 / kappa), lambda x: rotated_hessian(kappa) @ x, x0, tol)


measured = np.asarray(jax.vmap(steps_to_converge)(jnp.asarray(gd_kappas, jnp.float32)))
bounds = np.array([gd_iteration_bound(float(k), tol) for k in gd_kappas])
print("kappa:   ", gd_kappas)
print("measured:", measured)
print("bound:   ", bounds)
print(f"measured / bound: {(measured / bounds).min():.3f} to {(measured / bounds).max():.3f}")
# the bound is tight: only sqrt(1/2) of x0 lies along the slow direction, which saves a few %
assert np.all(measured <= bounds) and np.all(measured >= 0.9 * bounds)
slope = np.polyfit(np.log(gd_kappas[2:]), np.log(measured[2:]), 1)[0]
print(f"log-log slope of steps vs kappa (kappa >= 10): {slope:.3f} (theory: 1)")
assert abs(slope - 1.0) < 0.05

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
h_zigzag = jnp.diag(jnp.array([1.0, 10.0]))  # kappa = 10, L = 10
f_zigzag = partial(quadratic, h_zigzag, jnp.zeros(2))  # f(x) = x^T H x / 2
path = np.asarray(trajectory(sgd(1.8 / 10.0), f_zigzag, jnp.array([-3.0, 1.0]), 25))
assert np.all(path[1:, 1] * path[:-1, 1] < 0)  # the stiff coordinate flips sign every step
xs, ys = np.linspace(-3.5, 3.5, 200), np.linspace(-1.5, 1.5, 100)
gx, gy = np.meshgrid(xs, ys)
axes[0].contour(xs, ys, 0.5 * (gx**2 + 10 * gy**2), levels=12, colors="0.7", linewidths=0.7)
axes[0].plot(path[:, 0], path[:, 1], "o-", ms=3, color="tab:red")
axes[0].set(title=r"GD on $\frac{1}{2}(x^2 + 10 y^2)$, step $1.8/L$: zig-zag", aspect="equal")
n_path = 400
show_kappas = jnp.array([2.0, 10.0, 50.0, 200.0])


@jax.jit
def gd_path(kappa):
    """x_0..x_n_path of gradient descent with step 1/L on x^T H x / 2. -> (n_path + 1, 2)."""
    f = partial(quadratic, rotated_hessian(kappa), jnp.zeros(2))
    return trajectory(sgd(1.0 / kappa), f, x0, n_path)


paths = np.asarray(jax.vmap(gd_path)(show_kappas))  # (n_kappas, n_path + 1, 2)
steps = np.arange(n_path + 1)
for kappa, path in zip(np.asarray(show_kappas), paths, strict=True):
    (line,) = axes[1].semilogy(
        steps, np.linalg.norm(path, axis=1) / np.sqrt(2), label=rf"$\kappa$={kappa:g}"
    )
    axes[1].semilogy(steps, (1 - 1 / kappa) ** steps, ":", color=line.get_color())
axes[1].set(xlabel="step k", ylabel=r"$\|x_k\| / \|x_0\|$", ylim=(1e-6, 2),
            title=r"step $1/L$; dotted: $(1 - 1/\kappa)^k$")  # fmt: skip
axes[1].legend(fontsize=8)
axes[2].loglog(gd_kappas, measured, "o", label="measured (step 1/L)")
axes[2].loglog(gd_kappas, gd_kappas * np.log(1 / tol), "k--",
               label=r"$\kappa \log(1/\mathrm{tol})$")  # fmt: skip
axes[2].set(xlabel=r"$\kappa$", ylabel=f"steps to tol = {tol:g}",
            title="GD iterations grow linearly with $\\kappa$")  # fmt: skip
axes[2].legend()
show("conditioning")

# %% [markdown]
# ## 8. The singular value decomposition
#
# Every $A \in \mathbb{R}^{m\times n}$ factors as $A = U \operatorname{diag}(s) V^\top$ with
# orthonormal columns in $U$ and $V$ and $s_1 \ge s_2 \ge \dots \ge 0$: an orthogonal map, an
# axis-aligned stretch, an orthogonal map. When the $s_i$ are distinct, each pair
# $(u_i, v_i)$ is unique up to a common sign, so two SVDs are compared after fixing signs
# (`align_signs`). The SVD also gives the pseudo-inverse of section 1 for any $A$:
# $A^+ = V \operatorname{diag}(s^+) U^\top$ with $s_i^+ = 1/s_i$ for the nonzero $s_i$ (those
# above the tolerance of section 5) and $0$ for the others. Two constructions:
#
# 1. **From the Gram matrix**: $A^\top A = V \operatorname{diag}(s^2) V^\top$ (an `eigh`),
#    then $u_i = A v_i / s_i$. Simple, but forming $A^\top A$ squares the condition number:
#    its rounding errors are $\sim \varepsilon s_1^2$, so singular values below
#    $\sqrt{\varepsilon}\, s_1$ ($\approx 3\times10^{-4} s_1$ in float32) are lost.
# 2. **One-sided Jacobi** (Hestenes): rotate pairs of columns of $A$ until all are mutually
#    orthogonal; then $AV = U\operatorname{diag}(s)$. The rotation for columns $i, j$
#    diagonalizes the $2\times2$ Gram block $\begin{bmatrix}\alpha & \gamma\\ \gamma &
#    \beta\end{bmatrix}$: with $\zeta = (\beta-\alpha)/2\gamma$ and
#    $t = \operatorname{sign}(\zeta)/(|\zeta| + \sqrt{1+\zeta^2})$ its cosine is
#    $c = 1/\sqrt{1+t^2}$ and its sine $ct$. Sweeps over all pairs converge quadratically
#    once the columns are close to orthogonal (each sweep roughly squares the largest
#    cosine between columns), and never form $A^\top A$.

# %%
a = jax.random.normal(svd_key, (7, 5))
u_ref, s_ref, vt_ref = jnp.linalg.svd(a, full_matrices=False)
u_ref, vt_ref = align_signs(u_ref, vt_ref)
for name, method in (("eigh of A^T A", svd_via_eigh), ("one-sided Jacobi", svd_jacobi)):
    u, s, vt = method(a)
    u, vt = align_signs(u, vt)
    print(f"{name:17s} max |s - s_ref| = {float(jnp.abs(s - s_ref).max()):.1e}")
    assert jnp.allclose(s, s_ref, rtol=1e-5, atol=1e-5)
    assert jnp.allclose(vt, vt_ref, atol=1e-4) and jnp.allclose(u, u_ref, atol=1e-4)
    assert jnp.allclose((u * s[None, :]) @ vt, a, atol=1e-5)
pinv = (vt_ref.T / s_ref[None, :]) @ u_ref.T  # V diag(1/s) U^T: all s_i > 0 here
assert jnp.allclose(pinv, jnp.linalg.pinv(a), atol=1e-5 * float(jnp.abs(pinv).max()))
print("V diag(1/s) U^T = jnp.linalg.pinv(A)")

# %% [markdown]
# Quadratic convergence is a statement about every matrix, so we watch it on 64 random
# $7 \times 5$ matrices at once: the median of the largest $|\cos|$ between columns after each
# sweep.

# %%
n_matrices, n_sweeps = 64, 5


@jax.jit
def sweep_history(key):
    """Largest |cos| between columns of A V after 0..n_sweeps sweeps, A: (7, 5) random."""
    w, v = jax.random.normal(key, (7, 5)), jnp.eye(5)
    offs = [off_orthogonality(w)]
    for _ in range(n_sweeps):
        w, v = jacobi_sweep(w, v)
        offs.append(off_orthogonality(w))
    return jnp.stack(offs)  # (n_sweeps + 1,)


all_offs = np.asarray(jax.vmap(sweep_history)(jax.random.split(jacobi_key, n_matrices)))
offs = np.median(all_offs, axis=0)  # (n_sweeps + 1,)
print("median largest |cos| between columns after each sweep:", [f"{o:.0e}" for o in offs])
assert offs[3] < offs[2] ** 1.5  # faster than linear: the exponent is about 2
assert offs[4] < 1e-6  # four sweeps reach float32's rounding level (~1e-7)

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(range(n_sweeps + 1), np.maximum(all_offs.T, 1e-12), color="0.8", lw=0.7)
ax.semilogy(range(n_sweeps + 1), np.maximum(offs, 1e-12), "o-", label=f"median of {n_matrices}")
ax.set(xlabel="sweep", ylabel=r"$\max_{i\neq j} |\cos(w_i, w_j)|$",
       title="One-sided Jacobi converges quadratically")  # fmt: skip
ax.legend()
show("jacobi-sweeps")

# %% [markdown]
# Now a graded matrix, singular values $1, 10^{-2}, 10^{-5}$, the smallest far below
# $\sqrt{\varepsilon} \approx 3 \times 10^{-4}$. The exact singular values of the float32
# matrix we store differ slightly from the ones we asked for (rounding the entries moves
# $s_3$ by $\sim \varepsilon$), so the reference is numpy's SVD in float64 of the stored
# matrix. We build 16 such matrices with `vmap`.

# %%
n_graded = 16
s_true = jnp.array([1.0, 1e-2, 1e-5])


@jax.jit
def graded_svds(key):
    """A random (6, 3) matrix with singular values s_true, and its s by Gram and by Jacobi."""
    graded = with_singular_values(key, 6, 3, s_true)
    return graded, svd_via_eigh(graded)[1], svd_jacobi(graded)[1]


graded, s_gram, s_jac = map(
    np.asarray, jax.vmap(graded_svds)(jax.random.split(graded_key, n_graded))
)
s_exact = np.linalg.svd(graded.astype(np.float64), compute_uv=False)  # (n_graded, 3)
rel_jac = np.abs(s_jac[:, 2] - s_exact[:, 2]) / s_exact[:, 2]
rel_gram = np.abs(s_gram[:, 2] - s_exact[:, 2]) / s_exact[:, 2]
print(f"s_3 (~1e-5), relative error over {n_graded} matrices: Jacobi at most {rel_jac.max():.1e},"
      f" Gram matrix at least {rel_gram.min():.2f} (median {np.median(rel_gram):.2f})")  # fmt: skip
assert rel_jac.max() < 1e-2  # Jacobi: s_3 to better than 1%
assert rel_gram.min() > 0.5  # Gram matrix: s_3 is lost in every draw

# %% [markdown]
# ## 9. Low-rank approximation and compression
#
# Truncating the SVD, $A_k = \sum_{i \le k} s_i u_i v_i^\top$, gives the **best** rank-$k$
# approximation in both norms (Eckart-Young-Mirsky), and the error is read off the singular
# values:
#
# $$ \lVert A - A_k \rVert_2 = s_{k+1}, \qquad
#    \lVert A - A_k \rVert_F = \sqrt{s_{k+1}^2 + \dots + s_r^2}. $$
#
# Storing $(U_k, s_k, V_k)$ takes $k(m + n + 1)$ numbers instead of $mn$.
#
# **PCA** is this applied to centered data $X - \mu = U\operatorname{diag}(s)V^\top$: the rows
# of $V^\top$ are the principal directions, the variance along direction $i$ is
# $s_i^2/(n-1)$, the **explained variance ratio** is $s_i^2 / \sum_j s_j^2$, and encoding
# $z = V_k^\top(x - \mu)$, decoding $\hat x = V_k z + \mu$ is the best rank-$k$ affine
# reconstruction of the data it was fitted to, with relative error
# $\lVert X - \hat X \rVert_F / \lVert X - \mu \rVert_F$ whose square is $1 -$ (the
# explained variance ratio of the first $k$ directions).
#
# Below, PCA is fitted to 80% of sklearn's 1,797 handwritten $8 \times 8$ digits (a
# split drawn from the root key) and tested on the other 20%: directions fitted on the
# training digits should reconstruct unseen digits almost as well as the training ones.

# %%
a = jax.random.normal(low_rank_key, (30, 20))
s = jnp.linalg.svd(a, compute_uv=False)
for k in (1, 5, 10):
    a_k = rank_k_approximation(a, k)
    spectral, frobenius = eckart_young_errors(s, k)
    err2 = np.linalg.norm(np.asarray(a - a_k), 2)
    errf = float(jnp.linalg.norm(a - a_k))
    print(f"k={k:2d}: |A-A_k|_2 = {err2:.4f} = s_(k+1) = {float(spectral):.4f};"
          f"  |A-A_k|_F = {errf:.4f} = {float(frobenius):.4f}")  # fmt: skip
    assert abs(err2 - float(spectral)) < 1e-4 * float(s[0])
    assert abs(errf - float(frobenius)) < 1e-4 * float(s[0])

# %%
split_seed = int(jax.random.randint(split_key, (), 0, 2**31 - 1))  # numpy seed from the key
digits = load_digits(test_fraction=0.2, seed=split_seed)
x_train = jnp.asarray(digits.x_train.reshape(len(digits.x_train), 64))  # (n_train, 64) in [0, 1]
x_test = jnp.asarray(digits.x_test.reshape(len(digits.x_test), 64))
full = fit_pca(x_train, 64)
cumulative = np.cumsum(np.asarray(full["explained_variance_ratio"]))
k90 = int(np.searchsorted(cumulative, 0.90) + 1)
print(f"{len(x_train)} training digits; {k90} of 64 components explain 90% of the variance")

ranks = [1, 2, 5, 10, 20, 40]
encode = jax.jit(jax.vmap(pca_encode, in_axes=(None, 0)))
decode = jax.jit(jax.vmap(pca_decode, in_axes=(None, 0)))
train_errors, test_errors, ratios, examples = [], [], [], []
for k in ranks:
    # the first k rows of the full fit are the rank-k fit: one SVD serves every k
    params = {"mean": full["mean"], "components": full["components"][:k]}
    train_errors.append(
        float(relative_reconstruction_error(x_train, decode(params, encode(params, x_train))))
    )
    recon_test = decode(params, encode(params, x_test))
    test_errors.append(float(relative_reconstruction_error(x_test, recon_test)))
    # stored: k components + the mean (shared) + k codes per image, vs 64 pixels per image
    n_test = x_test.shape[0]
    ratios.append((k * 64 + 64 + n_test * k) / (n_test * 64))
    examples.append(np.clip(np.asarray(recon_test[:8]), 0, 1))
    # Eckart-Young on centered data: error^2 = unexplained variance fraction (training set)
    assert abs(train_errors[-1] ** 2 - (1 - cumulative[k - 1])) < 1e-3
for k, e_train, e_test, r in zip(ranks, train_errors, test_errors, ratios, strict=True):
    print(f"k={k:2d}: relative error train {e_train:.3f}, test {e_test:.3f}, stored {r:.1%}")
assert all(b < a for a, b in zip(test_errors, test_errors[1:], strict=False))
kept_20 = 1 - test_errors[ranks.index(20)] ** 2  # fraction of the test digits' spread kept
gap = max(e_test - e_train for e_train, e_test in zip(train_errors, test_errors, strict=True))
print(f"k=20 keeps {kept_20:.1%} of the test digits' variance; test - train error <= {gap:.3f}")
assert kept_20 > 0.85  # 20 of 64 numbers per image keep most of a digit
assert gap < 0.05  # the directions generalize to digits PCA never saw
print(f"matrix view: rank-10 SVD of the (n_train, 64) data stores "
      f"{compression_ratio(x_train.shape[0], 64, 10):.1%} of the numbers")  # fmt: skip

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].plot(np.arange(1, 65), cumulative, ".-")
axes[0].axhline(0.9, color="0.6", ls="--")
axes[0].axvline(k90, color="0.6", ls="--")
axes[0].set(xlabel="components k", ylabel="cumulative explained variance",
            title="PCA of 8x8 digits")  # fmt: skip
axes[1].plot(ratios, test_errors, "o-")
for k, r, e in zip(ranks, ratios, test_errors, strict=True):
    axes[1].annotate(f"k={k}", (r, e), textcoords="offset points", xytext=(5, 5), fontsize=8)
axes[1].set(xlabel="fraction of numbers stored", ylabel="relative error (test digits)",
            title="Compression vs error")  # fmt: skip
show("pca-compression")

fig, axes = plt.subplots(len(ranks) + 1, 8, figsize=(8, 7.5))
plot_image_rows(axes, [np.asarray(x_test[:8])] + examples,
                ["original"] + [f"k = {k}" for k in ranks])  # fmt: skip
fig.suptitle("Test digits reconstructed from k principal components")
show("pca-reconstructions")

# %% [markdown]
# ## Summary
#
# * Membership in a subspace is a projection test; independence is a rank test, or
#   Gram-Schmidt's remainders; use the *modified* version, or Householder QR.
# * A matrix is a linear map in coordinates; changing basis changes the numbers
#   ($B^{-1}AB$), not the map, and an eigenbasis makes it diagonal.
# * The SVD gives rank, all four fundamental subspaces (with a stated tolerance), the spectral
#   norm, the condition number and the best low-rank approximations.
# * Power iteration, deflation, and their failure modes on non-normal matrices; the condition
#   number sets how many steps gradient descent with step $1/L$ needs, linearly.
# * PCA is the SVD of centered data; on digits, 20 of 64 components keep most of each image.
# * Exercises: `exercises/02_linear_algebra.py`, graded by `jlr check 02`.
