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
# # 04 · Optimization for deep learning
#
# Training a network is minimizing a loss $L(\theta) = \frac1N \sum_i \ell_i(\theta)$ with
# nothing but gradients. This lesson explains the optimizers of `jlr.optim` (its schedules,
# RMSProp and Adam are checked against `optax` step for step below) and runs the experiments
# of `jlr.experiments` that show what they do, with the loss-landscape tools of
# `jlr.landscape`. The sizes are one set, chosen so the whole lesson runs in about a minute on
# two CPU cores; its root seed is `JLR_SEED` (0 by default), and every random claim is
# asserted on a statistic with a margin, so it holds for other seeds too:
#
# 1. gradient descent: full batch, mini-batch, stochastic, and the $1/B$ law of gradient noise;
# 2. learning-rate schedules; 3. the noise scale $\eta/B$ and implicit regularization;
# 4. momentum on ill-conditioned quadratics; 5. RMSProp and Adam; 6. bias correction;
# 7. non-convex landscapes; 8. saddle points and flat minima; 9. double descent;
# 10. implicit bias: minimum norm and maximum margin.
#
# An optimizer has optax's shape, a pair of pure functions:
# `init(params) -> state` and `update(grads, state, params) -> (updates, state)`, and
# `apply_updates(params, updates)` adds the updates.

# %%
from functools import partial

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from scipy.stats import spearmanr
from sklearn.svm import LinearSVC

from jlr.calculus.functions import (
    HIMMELBLAU_MINIMA,
    RASTRIGIN_MINIMUM,
    ROSENBROCK_MINIMUM,
    STRICT_SADDLE_MINIMA,
    himmelblau,
    rastrigin,
    rosenbrock,
    strict_saddle,
)
from jlr.course.lesson import root_key, show
from jlr.data import load_mnist1d
from jlr.experiments.double_descent import double_descent_curve
from jlr.experiments.implicit_bias import (
    cosine,
    gd_least_squares,
    gd_logistic_regression,
    normalized_margin,
)
from jlr.experiments.noise_scale import (
    minimum_metrics,
    mlp_loss,
    sgd_noise_scale_runs,
    train_mlp_classifier,
)
from jlr.experiments.saddle_escape import gd_escape_estimate, saddle_escape_steps
from jlr.landscape import (
    measured_minibatch_variance,
    per_example_gradients,
    predicted_minibatch_variance,
    top_hessian_eigenvalue,
)
from jlr.models.mlp import init_mlp
from jlr.optim import (
    adam,
    apply_updates,
    constant_schedule,
    cosine_decay,
    exponential_decay,
    iterations_to_converge,
    one_cycle,
    rmsprop,
    sgd,
    step_decay,
    trajectory,
    warmup_cosine_decay,
)
from jlr.optim.quadratic_convergence import (
    quadratic_eigenvalues,
    theoretical_iterations,
    tuned_optimizer,
)
from jlr.viz.optimization_plots import (
    plot_adam_first_steps,
    plot_double_descent,
    plot_escape_times,
    plot_iterations_vs_condition,
    plot_landscapes,
    plot_max_margin,
    plot_schedules,
    plot_study_scatter,
    plot_variance_vs_batch,
)

(linear_key, draws_key, gd_key, scale_key, adam_key, adam_noise_key, saddle_key, hessian_key,
 dd_key, bias_key, margin_key, sweep_key) = jax.random.split(root_key(), 12)  # fmt: skip

data = load_mnist1d(num_samples=2000)
x_train, y_train, x_test, y_test = (jnp.asarray(a) for a in data)
print(f"MNIST-1D train {x_train.shape}, test {x_test.shape}")

# %% [markdown]
# ## 1. Gradient descent: batch, mini-batch, stochastic
#
# Gradient descent steps against the gradient, $\theta_{t+1} = \theta_t - \eta\, g$. Its three
# flavours differ only in which examples make $g$:
#
# * **batch** (full): $g = \nabla L = \frac1N \sum_{i=1}^N g_i$, with $g_i = \nabla \ell_i$;
# * **mini-batch**: $g_B = \frac1B \sum_{i \in S} g_i$ over a random batch $S$ of $B$ examples;
# * **stochastic**: $B = 1$.
#
# $g_B$ is unbiased, $\mathbb{E}\, g_B = g$, and its variance falls like $1/B$. For $B$
# distinct examples drawn from $N$ (the way an epoch permutation draws them), with
# $\Sigma = \frac1N \sum_i (g_i - g)(g_i - g)^\top$,
#
# $$ \mathbb{E} \lVert g_B - g \rVert^2 = \frac{\operatorname{tr} \Sigma}{B} \cdot \frac{N - B}{N - 1}, $$
#
# since the $B$ draws are negatively correlated (they cannot repeat), which is the
# finite-population factor: $B = N$ has no noise at all. We measure it on a linear softmax
# classifier of MNIST-1D: per-example gradients by `vmap(grad)`, then many random batches.


# %%
def example_loss(params, x, y):
    """Softmax cross-entropy of the linear classifier logits = x W + b, one example."""
    return mlp_loss(params, x[None], y[None])


params0 = [{"w": 0.1 * jax.random.normal(linear_key, (40, 10)), "b": jnp.zeros(10)}]
grads = per_example_gradients(example_loss, params0, x_train, y_train)  # (N, 410)
n = grads.shape[0]
batch_sizes = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
n_draws = 1000
measured = np.asarray(jax.jit(jax.vmap(
    lambda b: measured_minibatch_variance(draws_key, grads, b, n_draws=n_draws)))(batch_sizes))  # fmt: skip
predicted = np.asarray(jax.vmap(lambda b: predicted_minibatch_variance(grads, b))(batch_sizes))
plot_variance_vs_batch(batch_sizes, measured, predicted, n)
show("variance-vs-batch")
ratio = measured / predicted
print("measured / predicted variance:", np.round(ratio, 3))
assert np.all(np.abs(ratio - 1) < 0.15)  # the 1/B law, within sampling error of 1000 draws
assert measured[0] > 100 * measured[-1]

# %% [markdown]
# So at the same cost in gradient evaluations, full batch takes one exact step per epoch and
# stochastic gradient descent takes $N$ noisy ones. The linear classifier's loss is
# **convex**: $L(\alpha \theta + (1 - \alpha) \theta') \le \alpha L(\theta) + (1 - \alpha)
# L(\theta')$ for all $\theta, \theta'$ and $\alpha \in [0, 1]$ (the chord lies above the graph),
# so every local minimum is global: a lower loss is closer to optimal, whatever path led
# there. With the same learning rate and the same number of epochs, the many small steps
# end lower:

# %%
epochs = 10
losses = {}
for name, b in [("batch", n), ("mini-batch B=32", 32), ("stochastic B=1", 1)]:
    steps = epochs * n // b
    run_key = jax.random.fold_in(gd_key, b)  # one key per run
    p = train_mlp_classifier(run_key, sgd(0.05), x_train, y_train, batch_size=b, n_steps=steps,
                             hidden=())  # fmt: skip
    losses[name] = float(mlp_loss(p, x_train, y_train))
    print(f"{name:16s} {steps:6d} steps  train loss {losses[name]:.3f}")
assert losses["mini-batch B=32"] < losses["batch"] and losses["stochastic B=1"] < losses["batch"]

# %% [markdown]
# ## 2. Learning-rate schedules
#
# A schedule is a function `step -> learning rate`. Large steps early cover ground; small
# steps late average out gradient noise (with a constant $\eta$, SGD ends in a cloud around a
# minimum whose variance is $\propto \eta$, near a quadratic minimum with constant noise). The common shapes, with $T$ total steps:
#
# * constant $\eta_t = \eta$; step decay $\eta_t = \eta\, \gamma^{\lfloor t / s \rfloor}$;
#   exponential $\eta_t = \eta\, r^{t/s}$;
# * cosine $\eta_t = \eta\, \tfrac12 (1 + \cos(\pi t / T))$ (Loshchilov & Hutter 2017);
# * linear warmup over $W$ steps then cosine: warmup keeps the first steps, taken while
#   Adam's second-moment estimates are still noisy and the weights random, small;
# * one-cycle (Smith & Topin 2017): up from $\eta/25$ to $\eta$ over 30% of the run, then
#   down to nearly zero.
#
# Each `jlr.optim` schedule is checked here against its `optax` twin at every step.

# %%
T = 200
steps = jnp.arange(T + 1)
pairs = {
    "constant": (constant_schedule(0.1), optax.constant_schedule(0.1)),
    "step": (step_decay(0.1, 60, 0.3), optax.exponential_decay(0.1, 60, 0.3, staircase=True)),
    "exponential": (exponential_decay(0.1, 50, 0.3), optax.exponential_decay(0.1, 50, 0.3)),
    "cosine": (cosine_decay(0.1, T), optax.cosine_decay_schedule(0.1, T)),
    "warmup + cosine": (
        warmup_cosine_decay(0.0, 0.1, 20, T),
        optax.warmup_cosine_decay_schedule(0.0, 0.1, 20, T),
    ),
    "one-cycle": (one_cycle(T, 0.1), optax.cosine_onecycle_schedule(T, 0.1)),
}
curves = {name: np.asarray(jax.vmap(ours)(steps)) for name, (ours, _) in pairs.items()}
plot_schedules(np.asarray(steps), curves)
show("schedules")
for name, (_, theirs) in pairs.items():
    gap = np.max(np.abs(curves[name] - np.asarray(jax.vmap(theirs)(steps))))
    print(f"{name:16s} max |jlr - optax| = {gap:.1e}")
    assert gap < 1e-7

# %% [markdown]
# ## 3. Stochasticity and implicit regularization
#
# Write one SGD step as the full-batch step plus noise:
# $\theta_{t+1} = \theta_t - \eta g - \eta (g_B - g)$. The noise has covariance
# $\eta^2 \Sigma / B$; over the $\sim 1/\eta$ steps it takes to travel a fixed distance, the
# accumulated noise variance grows like $\eta / B$, the **noise scale** (Smith & Le 2018).
# Noisy iterates have trouble staying in narrow basins, so a larger $\eta/B$ should end in
# **flatter** minima, measured by the **sharpness** $\lambda_{\max}(\nabla^2 L)$, the top
# Hessian eigenvalue (power iteration on Hessian-vector products, checked in section 8).
# Flat minima are the ones thought to generalize: a small shift between the train and test
# loss surfaces costs little there.
#
# We train an MLP (40 -> 64 -> 10) on MNIST-1D with plain SGD over a grid of learning rates
# and batch sizes, $B = N$ being full-batch gradient descent. To compare like with like,
# every run gets the same "time" $\eta \times \text{steps}$ (gradient flow would travel the
# same path; only the noise differs), then we measure the sharpness, the training loss and
# the test accuracy it reached. One run proves nothing about a distribution, so the grid is
# repeated over `n_seeds` initializations: all learning rates and seeds of one batch size
# train at once, `vmap`ped, and for each seed we take the rank (Spearman) correlation between
# the noise scale and each measurement across the grid. The runs of one seed share their
# initialization (the same seed key for every batch size), so the comparison is paired.

# %%
lrs = [0.1, 0.2, 0.4]
noise_batch_sizes = [8, 64, n]  # B = n: full-batch gradient descent
train_time = 40.0
n_seeds = 4
study_key, measure_key = jax.random.split(scale_key)
seed_keys = jax.random.split(study_key, n_seeds)  # paired: one initialization per seed
per_run = (0, 0, None, None, None, None)  # map over keys and params, not over the data
measure = jax.jit(jax.vmap(jax.vmap(minimum_metrics, in_axes=per_run), in_axes=per_run))
study = {}  # batch size -> {metric: (n_seeds, n_lrs)}
for b in noise_batch_sizes:
    train_seeds = jax.vmap(
        partial(sgd_noise_scale_runs, x=x_train, y=y_train, lrs=lrs, batch_size=b,
                train_time=train_time))  # fmt: skip
    runs = train_seeds(seed_keys)  # every leaf (n_seeds, n_lrs, ...)
    run_keys = jax.random.split(jax.random.fold_in(measure_key, b), n_seeds * len(lrs))
    metrics = measure(run_keys.reshape(n_seeds, len(lrs)), runs, x_train, y_train, x_test, y_test)
    study[b] = {name: np.asarray(value) for name, value in metrics.items()}
noise_scale = np.array([[lr / b for b in noise_batch_sizes] for lr in lrs])  # (n_lrs, n_B)


def by_seed(metric):
    """(n_seeds, n_lrs, n_B): one measurement over the whole grid, per seed."""
    return np.stack([study[b][metric] for b in noise_batch_sizes], axis=-1)


rows = [{"lr/B": lr / b, "label": f"{lr:g}/{b}", **{m: study[b][m][0, i] for m in study[b]}}
        for b in noise_batch_sizes for i, lr in enumerate(lrs)]  # fmt: skip
plot_study_scatter(rows, "lr/B", ["sharpness", "test_acc", "train_loss"], "label", log_x=True)
show("noise-scale-study")


def rank_correlations(metric):
    """Spearman correlation of the noise scale with `metric` over the grid, one per seed."""
    values = by_seed(metric)
    return np.array([spearmanr(noise_scale.ravel(), v.ravel()).statistic for v in values])


rho = {m: rank_correlations(m) for m in ["sharpness", "train_loss", "test_acc"]}
for m, r in rho.items():
    print(f"rank correlation of lr/B with {m:10s} per seed {np.round(r, 2)}  mean {r.mean():+.2f}")
sem = {m: r.std(ddof=1) / np.sqrt(n_seeds) for m, r in rho.items()}
assert rho["sharpness"].mean() + 3 * sem["sharpness"] < -0.5  # more noise, flatter minimum
assert rho["train_loss"].mean() - 3 * sem["train_loss"] > 0.5  # ... and less fitted

# %% [markdown]
# Averaged over seeds, the sharpness falls as the noise scale grows (the mean rank correlation is
# below $-0.5$ by more than three standard errors): noise acts as an implicit regularizer
# that steers SGD to flatter regions, with no penalty term in the loss. It also leaves the
# training loss higher at equal time (the second assert): noise slows fitting, and sharpness
# itself tends to grow as training fits the data (Cohen et al. 2021), so part of the effect
# is that the noisy runs have not gone as far. What test accuracy does is printed above and
# asserted nowhere: it is the net of those two effects, and the noise scale is a knob to tune.

# %% [markdown]
# ## 4. Momentum-based optimization
#
# On a quadratic $f(x) = \tfrac12 x^\top A x$ with eigenvalues in $[\mu, L]$, gradient descent
# moves each eigen-coordinate by $x_i \leftarrow (1 - \eta \lambda_i) x_i$. One $\eta$ must
# suit all of them; the best, $\eta = 2/(L + \mu)$, contracts the slowest coordinate by
# $\rho = \frac{\kappa - 1}{\kappa + 1}$ per step, $\kappa = L/\mu$ the condition number: about
# $\kappa$ steps per digit of accuracy. Momentum keeps a velocity,
#
# $$ v_{t+1} = \beta v_t + g_t, \qquad x_{t+1} = x_t - \eta v_{t+1} \quad \text{(heavy ball, Polyak 1964)}, $$
#
# which accumulates along the consistent, shallow directions and cancels across the steep,
# oscillating ones. Each coordinate now follows a 2-term recurrence whose characteristic
# roots satisfy $z^2 - (1 + \beta - \eta \lambda) z + \beta = 0$; with
# $\eta = 4/(\sqrt L + \sqrt\mu)^2$ and $\beta = \big(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\big)^2$
# every root has modulus $\sqrt\beta$, so $\rho = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}$: about
# $\sqrt\kappa$ steps per digit. **Nesterov's** variant looks ahead along the velocity; in the
# form optax and `jlr.optim.sgd(..., nesterov=True)` use,
#
# $$ v_{t+1} = \beta v_t + g_t, \qquad x_{t+1} = x_t - \eta\, (g_t + \beta v_{t+1}), $$
#
# equivalent, up to a change of variables, to evaluating the gradient after the momentum
# step. With $\eta = 1/L$, $\beta = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}$ its rate on quadratics
# is $1 - 1/\sqrt\kappa$. We count the iterations to shrink $\lVert x \rVert$ by $10^{-6}$ and
# compare with $\log(1/\text{tol}) / \log(1/\rho)$.

# %%
tol = 1e-6
kappas = np.array([10, 30, 100, 300, 1000, 3000, 10000])
methods = ["gd", "heavy_ball", "nesterov"]
counts = {m: [] for m in methods}
theory = {m: np.array([theoretical_iterations(m, k, tol) for k in kappas]) for m in methods}
for kappa in kappas:
    eigenvalues = quadratic_eigenvalues(float(kappa), 20)
    grad_f = partial(jnp.multiply, eigenvalues)  # the matvec x -> A x, A = diag(eigenvalues)
    x0 = jnp.ones(20)
    for m in methods:
        optimizer = tuned_optimizer(m, 1.0, float(kappa))
        counts[m].append(int(iterations_to_converge(optimizer, grad_f, x0, tol)))
counts = {m: np.array(c) for m, c in counts.items()}
plot_iterations_vs_condition(kappas, counts, theory)
show("iterations-vs-condition")
for m in methods:
    print(f"{m:10s} measured {counts[m]}  theory {np.round(theory[m]).astype(int)}")
    assert np.all((counts[m] > 0.5 * theory[m]) & (counts[m] < 2.0 * theory[m]))
slopes = {m: np.polyfit(np.log(kappas), np.log(counts[m]), 1)[0] for m in methods}
print(
    "log-log slopes (theory: 1 for GD, 1/2 with momentum):",
    {m: round(float(s), 2) for m, s in slopes.items()},
)
assert abs(slopes["gd"] - 1.0) < 0.1
assert abs(slopes["heavy_ball"] - 0.5) < 0.15 and abs(slopes["nesterov"] - 0.5) < 0.15

# %% [markdown]
# ## 5. RMSProp and Adam
#
# Momentum fixes ill-conditioning only as far as one learning rate allows. **Adaptive**
# methods give every coordinate its own step by dividing by a running root-mean-square of
# its gradient:
#
# $$ \text{RMSProp:}\quad \nu_t = \rho\, \nu_{t-1} + (1 - \rho)\, g_t^2, \qquad
#    \theta_{t+1} = \theta_t - \eta\, \frac{g_t}{\sqrt{\nu_t + \epsilon}} $$
#
# $$ \text{Adam:}\quad m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
#    v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \quad
#    \theta_{t+1} = \theta_t - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} $$
#
# (all operations elementwise; $\hat m, \hat v$ are the bias-corrected moments of section 6).
# On a diagonal quadratic with curvatures 1 and 100, $g/\sqrt{\nu}$ is about $\pm 1$ in both
# coordinates: the step no longer depends on the scale of the gradient. Gradient descent
# must keep $\eta < 2/100$ and crawls along the flat axis; RMSProp and Adam do not care.


# %%
def stretched(p):
    """f = (x^2 + 100 y^2) / 2: condition number 100."""
    return 0.5 * (p[0] ** 2 + 100.0 * p[1] ** 2)


start = jnp.array([-4.0, 1.0])
n_adaptive = 100
adaptive_paths = {
    "GD lr=0.019": trajectory(sgd(0.019), stretched, start, n_adaptive),
    "RMSProp lr=0.1": trajectory(rmsprop(0.1), stretched, start, n_adaptive),
    "Adam lr=0.3": trajectory(adam(0.3), stretched, start, n_adaptive),
}
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
from jlr.viz.optimization_plots import contour_with_paths  # noqa: E402

contour_with_paths(ax, stretched, adaptive_paths, xlim=(-4.5, 1.5), ylim=(-1.5, 1.5))
ax.legend(fontsize=8)
show("adaptive-paths")
final = {name: float(stretched(path[-1])) for name, path in adaptive_paths.items()}
print("loss after", n_adaptive, "steps:", {k: f"{v:.2e}" for k, v in final.items()})
assert (
    final["RMSProp lr=0.1"] < final["GD lr=0.019"] and final["Adam lr=0.3"] < final["GD lr=0.019"]
)

# %% [markdown]
# Both are in `jlr.optim` with optax's defaults and options (RMSProp: centered, momentum,
# Nesterov, $\epsilon$ inside or outside the root; Adam/AdamW: decoupled weight decay), and
# follow optax step for step; here 100 steps on a noisy quadratic in float32:


# %%
def run_steps(optimizer, apply, params, noise):
    def body(carry, n):
        p, state = carry
        updates, state = optimizer.update(p + n, state, p)  # gradient of |p|^2/2, plus noise
        return (apply(p, updates), state), None

    (p, _), _ = jax.lax.scan(body, (params, optimizer.init(params)), noise)
    return p


noise = 0.1 * jax.random.normal(adam_noise_key, (100, 5))
p0 = jnp.linspace(-1.0, 1.0, 5)
for name, ours, theirs in [
    ("rmsprop", rmsprop(0.01, momentum=0.9), optax.rmsprop(0.01, momentum=0.9)),
    ("adam", adam(0.01), optax.adam(0.01)),
]:
    gap = float(jnp.max(jnp.abs(run_steps(ours, apply_updates, p0, noise)
                                - run_steps(theirs, optax.apply_updates, p0, noise))))  # fmt: skip
    print(f"{name}: max |jlr - optax| after 100 steps = {gap:.1e}")
    assert gap < 1e-5

# %% [markdown]
# ## 6. Bias correction in adaptive methods
#
# Adam's moments start at $m_0 = v_0 = 0$, so early averages are pulled toward zero.
# Unrolling the recursion, $m_t = (1 - \beta_1) \sum_{s=1}^t \beta_1^{t-s} g_s$, and if the
# gradients are stationary with mean $\mathbb{E} g$,
#
# $$ \mathbb{E}\, m_t = (1 - \beta_1) \sum_{s=1}^{t} \beta_1^{t-s}\, \mathbb{E} g
#    = (1 - \beta_1^t)\, \mathbb{E} g, \qquad \text{likewise} \quad
#    \mathbb{E}\, v_t = (1 - \beta_2^t)\, \mathbb{E} g^2 . $$
#
# Dividing by those factors removes the bias: $\hat m_t = m_t / (1 - \beta_1^t)$,
# $\hat v_t = v_t / (1 - \beta_2^t)$ (Kingma & Ba 2015). Without it (and with $\epsilon$
# negligible), the step is $\frac{1 - \beta_1^t}{\sqrt{1 - \beta_2^t}}$ times the corrected one.
# With $\beta_1 = 0.9$, $\beta_2 = 0.999$ that factor is $0.1 / \sqrt{0.001} \approx 3.16$ at
# $t = 1$: the uncorrected first steps are too **large** (the tiny $v$ wins over the small
# $m$), the factor keeps growing for a few more steps (its peak is printed below), and it
# only comes within 10% of 1 after a few thousand steps. Warmup schedules hide much the same
# problem. With a constant gradient, the corrected step is exactly $\eta$ from the first step
# on:

# %%
n_first = 3000
ones = jnp.ones((n_first, 1))  # a constant gradient g = 1


def first_step_sizes(optimizer):
    def body(state, g):
        updates, state = optimizer.update(g, state, g)
        return state, jnp.abs(updates[0])

    return np.asarray(jax.lax.scan(body, optimizer.init(ones[0]), ones)[1])


lr = 1e-3
t = np.arange(1, n_first + 1)
corrected = first_step_sizes(adam(lr))
uncorrected = first_step_sizes(adam(lr, bias_correction=False))
plot_adam_first_steps(t, corrected, uncorrected, lr)
show("adam-first-steps")
factor = (1 - 0.9**t) / np.sqrt(1 - 0.999**t)
peak_t = int(t[np.argmax(uncorrected)])
print(f"uncorrected / lr at t = 1, 10, 100, 1000, {n_first}: "
      f"{np.round(uncorrected[[0, 9, 99, 999, -1]] / lr, 3)}; largest at t = {peak_t}")  # fmt: skip
within_10pc = int(t[np.argmax(np.abs(uncorrected / lr - 1) < 0.1)])
print(f"within 10% of lr from t = {within_10pc}")
assert np.allclose(corrected, lr, rtol=1e-4)
assert np.allclose(uncorrected, lr * factor, rtol=1e-3)
assert uncorrected[0] / lr > 3.0 and 1 < peak_t < 30 and uncorrected[peak_t - 1] > uncorrected[0]
assert 1000 < within_10pc < n_first and np.all(np.abs(uncorrected[within_10pc:] / lr - 1) < 0.1)

# %% [markdown]
# ## 7. Non-convex loss landscapes
#
# A network's loss is not a bowl. Four classic 2-D landscapes (`jlr.calculus.functions`, where
# lesson 01 met them) each isolate one difficulty:
#
# * **Rosenbrock** $(1 - x)^2 + 100 (y - x^2)^2$: a curved, narrow valley; the minimum $(1, 1)$
#   is easy to find and slow to reach;
# * **Himmelblau** $(x^2 + y - 11)^2 + (x + y^2 - 7)^2$: four minima; which one you reach
#   depends on where you start;
# * **Rastrigin** $20 + \sum_i (x_i^2 - 10 \cos 2\pi x_i)$: a grid of local minima;
# * a **saddle** $x^2/2 + y^4/4 - y^2/2$: a strict saddle at the origin between two minima.
#
# Each optimizer runs from the same start (black dot) with a learning rate picked per
# landscape; red stars are the global minima. Things to see in the figure: in Rosenbrock's
# valley plain GD is still far from the minimum when momentum has reached it; on Himmelblau
# every method lands in some minimum, and with a constant learning rate RMSProp keeps
# jittering around it, far farther away than the others (its step does not shrink with the
# gradient); on Rastrigin every method is caught by a local minimum near its start: local
# methods stay local. Last, GD started from the four corners of the Himmelblau box reaches
# different minima: the start decides.


# %%
def landscape_optimizers(lr, adaptive_lr):
    return {
        "GD": sgd(lr),
        "momentum": sgd(lr, momentum=0.9),
        "Nesterov": sgd(lr, momentum=0.9, nesterov=True),
        "RMSProp": rmsprop(adaptive_lr),
        "Adam": adam(adaptive_lr),
    }


LANDSCAPES = {  # name: (f, its global minima)
    "rosenbrock": (rosenbrock, ROSENBROCK_MINIMUM),
    "himmelblau": (himmelblau, HIMMELBLAU_MINIMA),
    "rastrigin": (rastrigin, RASTRIGIN_MINIMUM),
    "saddle": (strict_saddle, STRICT_SADDLE_MINIMA),
}
settings = {  # name: (start, lr, adaptive lr, steps, plot box)
    "rosenbrock": (jnp.array([-1.5, 2.0]), 1e-3, 1e-2, 1500, ((-2.0, 2.0), (-1.0, 3.0))),
    "himmelblau": (jnp.array([-0.5, 0.5]), 5e-3, 5e-2, 300, ((-5.0, 5.0), (-5.0, 5.0))),
    "rastrigin": (jnp.array([2.3, 1.6]), 2e-3, 2e-2, 300, ((-3.0, 3.0), (-3.0, 3.0))),
    "saddle": (jnp.array([1.5, 1e-3]), 5e-2, 2e-2, 300, ((-2.0, 2.0), (-1.6, 1.6))),
}
panels, endpoints = [], {}
for name, (start, lr, adaptive_lr, n_steps, (xlim, ylim)) in settings.items():
    f, minima = LANDSCAPES[name]
    optimizers = landscape_optimizers(lr, adaptive_lr)
    paths = {label: trajectory(opt, f, start, n_steps) for label, opt in optimizers.items()}
    endpoints[name] = {label: np.asarray(path[-1]) for label, path in paths.items()}
    panels.append({"f": f, "paths": paths, "xlim": xlim, "ylim": ylim, "minima": minima,
                   "title": f"{name}: lr {lr:g} (adaptive {adaptive_lr:g}), {n_steps} steps"})  # fmt: skip
plot_landscapes(panels)
show("landscapes")
for name, ends in endpoints.items():
    f, minima = LANDSCAPES[name]
    summary = {label: f"{float(f(jnp.asarray(p))):.3g}" for label, p in ends.items()}
    print(f"{name:10s} final loss {summary}")
rosen = {
    label: float(LANDSCAPES["rosenbrock"][0](jnp.asarray(p)))
    for label, p in endpoints["rosenbrock"].items()
}
assert (
    rosen["momentum"] < rosen["GD"] and rosen["Nesterov"] < rosen["GD"]
)  # the valley needs momentum
nearest = {label: float(jnp.min(jnp.linalg.norm(LANDSCAPES["himmelblau"][1] - p, axis=1)))
           for label, p in endpoints["himmelblau"].items()}  # fmt: skip
print("Himmelblau, distance to the nearest minimum:", {k: f"{v:.1e}" for k, v in nearest.items()})
assert all(d < 0.1 for d in nearest.values())  # each found a minimum (RMSProp jitters around it)
assert nearest["RMSProp"] > 100 * max(d for k, d in nearest.items() if k != "RMSProp")
corners = jnp.array([[-4.0, -4.0], [-4.0, 4.0], [4.0, -4.0], [4.0, 4.0]])
corner_ends = jax.vmap(lambda s: trajectory(sgd(5e-3), himmelblau, s, 300)[-1])(corners)  # (4, 2)
reached = np.asarray(jnp.argmin(jnp.linalg.norm(
    HIMMELBLAU_MINIMA[None] - corner_ends[:, None], axis=-1), axis=1))  # fmt: skip
print("GD from the four corners reaches Himmelblau minima", reached)
assert len(set(reached.tolist())) > 1
rastrigin = LANDSCAPES["rastrigin"][0]
assert all(
    float(rastrigin(jnp.asarray(p))) > 1.0 for p in endpoints["rastrigin"].values()
)  # all trapped
saddle_f = LANDSCAPES["saddle"][0]
assert all(
    float(saddle_f(jnp.asarray(p))) < -0.15 for p in endpoints["saddle"].values()
)  # all left it

# %% [markdown]
# ## 8. Saddle points and flat minima
#
# In high dimensions most critical points of a loss are saddles, not local minima (Dauphin et
# al. 2014). At a **strict** saddle the Hessian has a negative eigenvalue, here
# $\nabla^2 f(0) = \operatorname{diag}(1, -1)$. Near it gradient descent's unstable coordinate
# grows like $y_t = (1 + \eta)^t y_0$, so escaping to $|y| > 0.5$ takes about
# $\log(0.5/|y_0|) / \log(1 + \eta)$ steps, forever if $y_0 = 0$ exactly (GD stays on the
# stable manifold). Noise in the gradient (SGD) moves $y$ by about $\eta$ times the noise's
# size at every step, whatever $y_0$ is, so the escape time no longer grows without bound as
# $y_0 \to 0$ (Ge et al. 2015, Jin
# et al. 2017): we add Gaussian noise of standard deviation 0.1 to each gradient, average
# the escape time over `n_noise` noise draws, and start one set of runs exactly at $y_0 = 0$.
# Adam divides the tiny $y$-gradient by its own tiny RMS and takes full-size steps along it.

# %%
escape_lr = 0.1
y0s = np.array([1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6])
starts = jnp.stack([jnp.ones_like(y0s), y0s], axis=1)  # (6, 2): x = 1, y = y0
n_noise = 64
noise_keys = jax.random.split(saddle_key, (n_noise, len(y0s) + 1))  # the last column: y0 = 0
with_zero = jnp.concatenate([starts, jnp.array([[1.0, 0.0]])])  # (7, 2)


def noisy_escape(start, key):
    return saddle_escape_steps(sgd(escape_lr), start, 400, noise_std=0.1, key=key)


noisy = np.asarray(jax.jit(jax.vmap(jax.vmap(noisy_escape)))(
    jnp.broadcast_to(with_zero, (n_noise, *with_zero.shape)), noise_keys))  # fmt: skip
noisy_mean = noisy.mean(0)  # (7,): average over noise draws
escape = {
    "GD": np.asarray(jax.vmap(lambda s: saddle_escape_steps(sgd(escape_lr), s, 400))(starts)),
    "noisy GD (mean)": noisy_mean[:-1],
    "Adam": np.asarray(jax.vmap(lambda s: saddle_escape_steps(adam(0.05), s, 400))(starts)),
}
plot_escape_times(list(escape), escape, y0s)
show("saddle-escape")
estimate = np.array([gd_escape_estimate(y0, escape_lr) for y0 in y0s])
print("GD escape steps:", escape["GD"], " estimate:", np.round(estimate).astype(int))
print("noisy GD, mean over draws:", np.round(noisy_mean[:-1], 1), " Adam:", escape["Adam"])
assert np.all(np.abs(escape["GD"] - estimate) <= 0.1 * estimate + 3)
assert escape["Adam"][-1] < 0.2 * escape["GD"][-1]
noisy_sem = noisy.std(0, ddof=1) / np.sqrt(n_noise)
assert noisy_mean[-2] + 3 * noisy_sem[-2] < 0.5 * escape["GD"][-1]  # y0 = 1e-6
on_manifold = int(saddle_escape_steps(sgd(escape_lr), jnp.array([1.0, 0.0]), 400))
print(f"started exactly on the stable manifold: GD {on_manifold} (never left in 400 steps), "
      f"noisy GD {noisy_mean[-1]:.1f} on average, slowest draw {noisy[:, -1].max()}")  # fmt: skip
assert on_manifold == 401 and noisy[:, -1].max() < 400

# %% [markdown]
# Among minima, **flat** ones (small sharpness $\lambda_{\max}(\nabla^2 L)$) are believed to
# generalize better (Hochreiter & Schmidhuber 1997; Keskar et al. 2017). We find
# $\lambda_{\max}$ without forming the Hessian, by **power iteration** on Hessian-vector
# products $v \leftarrow H v / \lVert H v \rVert$, each $Hv$ one forward-over-reverse pass
# (`jax.jvp` of `jax.grad`). First a check against the full Hessian of a tiny network. The
# check compares at a relative tolerance of $10^{-3}$, which float32 matmuls run as TF32 on
# NVIDIA GPUs (about $10^{-3}$ relative error) would not meet, so both sides are computed at
# full float32 precision (`jax.default_matmul_precision("highest")`).

# %%
tiny_init_key, power_key = jax.random.split(hessian_key)
tiny_x, tiny_y = x_train[:64, :6], y_train[:64]
tiny_params = init_mlp(tiny_init_key, (6, 4, 10))
tiny_loss = lambda p: mlp_loss(p, tiny_x, tiny_y)  # noqa: E731
flat_params, unravel = jax.flatten_util.ravel_pytree(tiny_params)
with jax.default_matmul_precision("highest"):
    hessian = jax.jit(jax.hessian(lambda v: tiny_loss(unravel(v))))(flat_params)  # (n_params,)*2
    top, _ = jax.jit(lambda p: top_hessian_eigenvalue(power_key, tiny_loss, p, n_iters=300))(
        tiny_params
    )
eigenvalues = np.linalg.eigvalsh(np.asarray(hessian))
exact = float(
    eigenvalues[np.argmax(np.abs(eigenvalues))]
)  # power iteration finds the largest |lambda|
print(f"{flat_params.size} parameters: power iteration {float(top):.5f}, eigvalsh {exact:.5f}")
assert abs(float(top) - exact) < 1e-3 * abs(exact)

# %% [markdown]
# (Power iteration converges to the eigenvalue of largest *magnitude*; at a minimum the
# Hessian is positive semi-definite, so that is $\lambda_{\max}$.) Now the minima that
# different optimizers reach on MNIST-1D, two pairs at a time, each pair at one step budget.
# From section 3's grid: SGD with $B = 8$ against full-batch GD, both at $\eta = 0.4$ for
# 100 steps, from the same initialization per seed. And SGD with $B = 8$ at $\eta = 0.1$
# against Adam ($\eta = 3 \cdot 10^{-3}$, $B = 64$, from its own `n_seeds`
# initializations), both for 400 steps. The claim "small-batch SGD ends flatter" is about a
# distribution over seeds, so we assert it on the seed average with a margin of three
# standard errors.

# %%
adam_steps = round(train_time / 0.1)  # the budget of section 3's lr = 0.1 runs
adam_seed_keys = jax.random.split(adam_key, n_seeds)
adam_runs = jax.jit(jax.vmap(lambda k: train_mlp_classifier(
    k, adam(3e-3), x_train, y_train, batch_size=64, n_steps=adam_steps, n_classes=10)))(
    adam_seed_keys)  # fmt: skip
adam_metric_keys = jax.random.split(jax.random.fold_in(measure_key, 0), n_seeds)
adam_metrics = jax.jit(jax.vmap(minimum_metrics, in_axes=per_run))(
    adam_metric_keys, adam_runs, x_train, y_train, x_test, y_test)  # fmt: skip
minima = {  # name -> {metric: (n_seeds,)}
    "SGD B=8 lr=0.4": {m: v[:, lrs.index(0.4)] for m, v in study[8].items()},
    "GD lr=0.4": {m: v[:, lrs.index(0.4)] for m, v in study[n].items()},
    "SGD B=8 lr=0.1": {m: v[:, lrs.index(0.1)] for m, v in study[8].items()},
    "Adam B=64": {m: np.asarray(v) for m, v in adam_metrics.items()},
}
for name, row in minima.items():
    print(f"{name:15s} sharpness {np.round(row['sharpness'], 2)}  mean train loss "
          f"{row['train_loss'].mean():.3f}  mean test acc {row['test_acc'].mean():.3f}")  # fmt: skip
minima_rows = [{"optimizer": f"{name} #{s}", **{m: v[s] for m, v in row.items()}}
               for name, row in minima.items() for s in range(n_seeds)]  # fmt: skip
plot_study_scatter(minima_rows, "sharpness", ["test_acc", "train_loss"], "optimizer")
show("minima-by-optimizer")


def margin_over_seeds(diff):
    """mean - 3 standard errors of a per-seed difference: > 0 means it holds beyond seed noise."""
    return diff.mean() - 3 * diff.std(ddof=1) / np.sqrt(len(diff))


def gap(metric, larger, smaller):
    return margin_over_seeds(minima[larger][metric] - minima[smaller][metric])


flat_margins = {
    "GD - SGD sharpness, lr 0.4": gap("sharpness", "GD lr=0.4", "SGD B=8 lr=0.4"),
    "Adam - SGD sharpness, 400 steps": gap("sharpness", "Adam B=64", "SGD B=8 lr=0.1"),
    "SGD - GD train loss, lr 0.4": gap("train_loss", "SGD B=8 lr=0.4", "GD lr=0.4"),
}
print("mean - 3 SE over seeds:", {k: round(float(v), 3) for k, v in flat_margins.items()})
assert all(v > 0 for v in flat_margins.values())

# %% [markdown]
# On average over seeds, small-batch SGD, the noisiest, ends in a flatter minimum than
# full-batch GD (paired by seed) and than Adam at the same budget, beyond three standard
# errors. It also ends with a *higher* training loss than GD (the third margin): at equal
# steps the noisy run has fitted less, and sharpness tends to grow as a network fits, so
# this comparison does not separate "noise finds flat minima" from "noise slows fitting".
# Whether the flatter minimum also tests better is printed, not asserted: sharpness is not
# invariant to reparameterization (Dinh et al. 2017), and it is one predictor of
# generalization among several.

# %% [markdown]
# ## 9. Overparameterization and double descent
#
# Classical statistics says test error is U-shaped in model size. Modern networks have far
# more parameters than examples and still generalize. **Double descent** (Belkin et al. 2019)
# connects the two pictures. Take random-features regression: $p$ fixed random ReLU features
# $\phi(x) = \text{relu}(W^\top x/\sqrt d)$ and output weights fit by minimum-norm least
# squares, $a = \Phi^+ y$, on $n$ noisy examples of a linear target.
#
# * $p < n$: least squares; more features lower the bias but raise the variance;
# * $p = n$: the **interpolation threshold**: $\Phi$ is square and typically ill-conditioned,
#   the one interpolant has a huge norm, and the noise is amplified: the test error peaks;
# * $p > n$: many interpolants, of which $\Phi^+ y$ picks the minimum-norm one; as $p$ grows
#   the test error **descends a second time**, here below the best model with $p < n/2$
#   (all three asserted on the median over 25 draws).

# %%
n_dd = 40
feature_counts = [4, 8, 16, 24, 32, 36, 40, 44, 48, 64, 100, 200, 400, 800, 1600]
dd_errors = np.asarray(double_descent_curve(dd_key, n_dd, feature_counts, n_repeats=25, d=10))
plot_double_descent(np.array(feature_counts), dd_errors, n_dd)
show("double-descent")
for p, err in zip(feature_counts, dd_errors, strict=True):
    print(f"p = {p:5d}  test MSE {err:8.3f}")
peak = feature_counts[int(np.argmax(dd_errors))]
under = dd_errors[np.array(feature_counts) < n_dd / 2].min()
print(f"peak at p = {peak} (n = {n_dd}); best with p < n/2 {under:.3f}, widest {dd_errors[-1]:.3f}")
assert abs(peak - n_dd) <= 4  # the peak sits at the interpolation threshold
assert dd_errors.max() > 5 * under  # a real peak
assert dd_errors[-1] < under  # the second descent ends below the classical optimum

# %% [markdown]
# ## 10. Generalization and implicit bias
#
# When a problem has many solutions, the optimizer picks one, and that choice, not an
# explicit regularizer, decides how the model generalizes.
#
# **Least squares.** For $A \in \mathbb{R}^{n \times d}$ with $n < d$, $Ax = b$ has infinitely many
# solutions. Gradient descent from $x_0 = 0$ updates by $-\eta A^\top (A x - b)$, always a
# combination of the rows of $A$, so it never leaves the row space; the only solution in the
# row space is the minimum-norm one, $x^* = A^+ b$. The comparisons below use a tolerance of
# $10^{-4}$, tighter than the ~$10^{-3}$ of TF32 matmuls on NVIDIA GPUs, so they run at full
# float32 precision.

# %%
a_key, b_key, x_key = jax.random.split(bias_key, 3)
a_mat = jax.random.normal(a_key, (20, 50)) / jnp.sqrt(50.0)
b_vec = jax.random.normal(b_key, (20,))
with jax.default_matmul_precision("highest"):  # compared at 1e-4, tighter than TF32 meets
    x_gd = gd_least_squares(a_mat, b_vec, lr=0.2, n_steps=3000)
    x_pinv = jnp.linalg.pinv(a_mat) @ b_vec
    other = x_pinv + (jnp.eye(50) - jnp.linalg.pinv(a_mat) @ a_mat) @ jax.random.normal(
        x_key, (50,)
    )
    other_residual = a_mat @ other
print(f"|A x_gd - b| = {float(jnp.linalg.norm(a_mat @ x_gd - b_vec)):.1e}, "
      f"|x_gd - pinv(A) b| = {float(jnp.linalg.norm(x_gd - x_pinv)):.1e}")  # fmt: skip
print(
    f"norms: GD {float(jnp.linalg.norm(x_gd)):.3f}, another exact solution {float(jnp.linalg.norm(other)):.3f}"
)
assert jnp.allclose(x_gd, x_pinv, atol=1e-4)
assert jnp.allclose(other_residual, b_vec, atol=1e-4) and jnp.linalg.norm(other) > jnp.linalg.norm(
    x_gd
)

# %% [markdown]
# **Logistic regression on separable data.** The loss $\frac1n \sum_i \log(1 + e^{-y_i w^\top x_i})$
# has no minimizer: it keeps falling as $\lVert w \rVert \to \infty$. Yet the *direction*
# $w_t / \lVert w_t \rVert$ converges, to the **maximum-margin** separator, the hard-margin
# SVM $\arg\max_{\lVert w \rVert = 1} \min_i y_i w^\top x_i$ (Soudry et al. 2018): as $w$ grows
# the loss is dominated by the points closest to the boundary, exactly the support vectors.
# Convergence is slow: Soudry et al. prove the direction converges only at a rate
# logarithmic in $t$, so each further gain costs a multiple of the steps already taken, and
# how close 20,000 steps get depends on the data drawn. Below we assert what holds for every
# draw we tried: the cosine with the SVM direction exceeds 0.98 (most draws get far closer,
# printed) and GD's margin is within 15% of the SVM's. $1 - \cos$ need not fall
# monotonically on the way: the direction can swing past the SVM's and back. The oracle is scikit-learn's linear SVM (no intercept, large $C$).

# %%
points = np.asarray(jax.random.normal(margin_key, (60, 2))) * np.array([3.0, 0.7])  # elongated
w_true = np.array([1.0, 2.0])
keep = np.abs(points @ w_true) > 0.5  # leave a gap, so the data are separable with a margin
points, labels = points[keep], np.sign(points[keep] @ w_true)
w_gd, (saved_steps, saved_w) = gd_logistic_regression(jnp.asarray(points), jnp.asarray(labels),
                                                      lr=1.0, n_steps=20_000)  # fmt: skip
svm = LinearSVC(C=1e4, loss="hinge", fit_intercept=False, max_iter=200_000, tol=1e-10)
w_svm = svm.fit(points, labels).coef_[0]
cosines = np.array([float(cosine(w, jnp.asarray(w_svm))) for w in saved_w])
fig = plot_max_margin(points, labels, {"GD, 20000 steps": np.asarray(w_gd), "max-margin SVM": w_svm,
                                        "GD, 10 steps": np.asarray(saved_w[np.searchsorted(saved_steps, 10)])})  # fmt: skip
show("max-margin")
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.semilogx(np.asarray(saved_steps), 1 - cosines)
ax.set(xlabel="step t", ylabel="1 - cos(w_t, w_svm)", yscale="log")
show("max-margin-convergence")
margin_gd = float(normalized_margin(w_gd, points, labels))
margin_svm = float(normalized_margin(jnp.asarray(w_svm), points, labels))
print("1 - cos at saved steps:", np.array2string(1 - cosines[::10], precision=2))
print(f"cos(w_gd, w_svm) = {cosines[-1]:.5f}; margins: GD {margin_gd:.4f}, SVM {margin_svm:.4f}; "
      f"|w_gd| = {float(jnp.linalg.norm(w_gd)):.1f}")  # fmt: skip
assert cosines[-1] > 0.98 and (1 - cosines[-1]) < 0.05 * (1 - cosines[0])  # angle < 12 degrees
assert margin_gd > 0.85 * margin_svm

# %% [markdown]
# ## Comparing optimizers fairly: many runs at once with `vmap`
#
# A fair comparison tunes each optimizer's learning rate and repeats each setting over
# seeds: $R$ = (rates x seeds) runs per optimizer. Every run is the same program with
# different numbers, so we write one run's step, `run_step(state, lr, rows, data)`, and
# let `jax.vmap` batch it over runs and `lax.scan` repeat it over steps. The project
# `jlr run optimizer-study` does exactly this for six optimizers on three tasks; below we
# time three ways to train the same $R$ runs of Adam on an ill-conditioned quadratic.

# %%
import time

from jlr.optim import make_optimizer
from jlr.projects.optimizer_study.tasks import quadratic_task
from jlr.train.sweep import make_run_fns, run_grid, scan_steps


def seconds(fn):
    """Wall time of fn() once compiled (it is called once first to compile)."""
    jax.block_until_ready(fn())
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


task_key, sweep_init_key = jax.random.split(sweep_key)
sweep_task = quadratic_task(task_key, dim=20, condition_number=100.0)
init_run, run_step = make_run_fns(sweep_task, lambda lr: make_optimizer("adam", lr))
n_rates, n_sweep_seeds, n_sweep_steps = 4, 4, 200
lr_index, seed_index = run_grid(n_rates, n_sweep_seeds)
sweep_lrs = jnp.array([1e-3, 1e-2, 1e-1, 1.0])[lr_index]  # (R,)
start_params = jax.vmap(sweep_task.init_params)(jax.random.split(sweep_init_key, n_sweep_seeds))
sweep_params = jax.tree.map(lambda leaf: leaf[seed_index], start_params)  # (R, dim)
no_rows = jnp.zeros((n_sweep_steps, 1), jnp.int32)  # full-batch task: rows are unused
states = jax.vmap(init_run)(sweep_params, sweep_lrs)
n_runs = len(sweep_lrs)

one_step = jax.jit(run_step)
one_run = jax.jit(scan_steps(run_step))
all_runs = jax.jit(scan_steps(jax.vmap(run_step, in_axes=(0, 0, None, None))))


def run_r(r):
    return jax.tree.map(lambda leaf: leaf[r], states)


def loop_of_steps():  # R * T dispatches: how a first sweep is usually written
    finals = []
    for r in range(n_runs):
        state = run_r(r)
        for t in range(n_sweep_steps):
            state, _ = one_step(state, sweep_lrs[r], no_rows[t], sweep_task.data)
        finals.append(state.params["x"])
    return jnp.stack(finals)


def loop_of_scans():  # R dispatches
    return jnp.stack([one_run(run_r(r), sweep_lrs[r], no_rows, sweep_task.data)[0].params["x"]
                      for r in range(n_runs)])  # fmt: skip


def one_vmapped_scan():  # 1 dispatch
    return all_runs(states, sweep_lrs, no_rows, sweep_task.data)[0].params["x"]


stable = np.asarray(sweep_lrs) <= 1e-2  # larger lrs hover at the minimum: rounding grows
with jax.default_matmul_precision("highest"):  # rtol 1e-4 is tighter than TF32 meets
    batched, looped = np.asarray(one_vmapped_scan()), np.asarray(loop_of_steps())
np.testing.assert_allclose(batched[stable], looped[stable], rtol=1e-4, atol=1e-5)
print(f"lr >= 0.1 runs, max |batched - looped| = {np.abs(batched - looped)[~stable].max():.1e}")
times = {name: seconds(fn) for name, fn in
         [("loop of jitted steps", loop_of_steps), ("loop of jit(scan) per run", loop_of_scans),
          ("one jit(scan(vmap))", one_vmapped_scan)]}  # fmt: skip
for name, t in times.items():
    print(f"{name:28s} {1e3 * t:8.2f} ms   {times['loop of jitted steps'] / t:6.1f}x")
per_dispatch = times["loop of jitted steps"] / (n_runs * n_sweep_steps)
print(f"loop of jitted steps: {1e6 * per_dispatch:.0f} us per step dispatched")
assert times["one jit(scan(vmap))"] < times["loop of jitted steps"]

# %% [markdown]
# All three compute the same runs: with $\eta \le 0.01$ they give the same parameters
# (checked above at full float32 precision, since `rtol=1e-4` is tighter than TF32 matmuls
# meet). With a constant $\eta$, Adam's steps do not shrink to zero, so the $\eta = 0.1$ and
# $\eta = 1$ runs hover around the minimum, and there the last-bit rounding differences
# between a batched and a single computation can grow over the run into visible ones
# (printed). The loop of jitted steps pays Python and
# XLA dispatch, the microseconds per step printed above, $R \times T$ times, while each tiny
# step's arithmetic takes far less; `vmap` + `scan` pays it once (the assert checks only that
# it is faster; the printed ratios say by how much on your machine). The balance changes as
# each run does real work: `vmap` pays most when dispatch dominates (small models, many short
# runs) and on accelerators, where one wide batched kernel keeps busy the many lanes a single
# small run would leave idle. `benchmarks/bench_vmap_sweep.py` measures these strategies (and
# a fourth) for 64 runs of an MLP on MNIST-1D: run it to see the numbers on your machine.

# %% [markdown]
# ## Summary
#
# * Mini-batch gradients are unbiased with variance $\operatorname{tr}\Sigma / B$ (times the
#   finite-population factor): batch size trades noise for compute, and on average over seeds
#   a larger noise scale $\eta/B$ ends in flatter minima (and, at equal time, a less fitted
#   training set).
# * Momentum turns $\kappa$ iterations into $\sqrt\kappa$ on ill-conditioned problems;
#   adaptive methods rescale each coordinate; Adam's bias correction fixes its first steps.
# * Saddles stall plain gradient descent; gradient noise and Adam's per-coordinate scaling
#   leave them fast. Minima differ in sharpness. Among the many interpolants of an
#   overparameterized model, gradient descent picks the minimum-norm (least squares) or the
#   maximum-margin (separable logistic regression) one, and in random-features regression
#   the minimum-norm interpolant of the widest model tests better than the best small one.
#
# Exercises: `exercises/04_optimization.py`, checked by `jlr check 04`.
