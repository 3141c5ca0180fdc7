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
# # 06 · Core deep learning architectures
#
# Two architectures carry most of deep learning's early history: the **multi-layer
# perceptron** (MLP), a stack of dense layers, and the **convolutional network** (CNN), which
# replaces the dense layers by small filters slid over the input. This lesson builds both from
# the pieces in `jlr.nn` and `jlr.models`, derives and checks backpropagation by hand
# (`jlr.backprop`), and measures what the architectures do: how the initialization sets the
# scale of signals through depth, what depth buys at a fixed parameter budget, how far a
# convolution sees, and which symmetries it has.
#
# | topic | library |
# | --- | --- |
# | MLPs and initialization | `jlr.models.mlp`, `jlr.nn.init` |
# | depth vs width | `jlr.experiments.depth_width` |
# | backpropagation | `jlr.backprop.manual`, `jlr.backprop.scalar` |
# | convolution and pooling | `jlr.nn.conv`, `jlr.nn.pooling` |
# | receptive fields | `jlr.nn.receptive_field` |
# | translation invariance | `jlr.nn.conv.shift_equivariance_error`, `shift_invariance_error` |
# | CNN and its project | `jlr.models.cnn`, `jlr run cnn` (`jlr.projects.cnn`) |
#
# The lesson runs in about a minute on two CPU cores. Its root seed is `JLR_SEED` (0 by
# default); every random claim is asserted on a statistic with a margin (a mean over seeds
# trained at once with `vmap`), so it holds for other seeds too, and every number in the
# prose is printed by the code. Comparisons with an oracle run at full float32 precision
# (`jax.default_matmul_precision("highest")`): on an NVIDIA GPU a float32 matmul is TF32 by
# default, about three decimal digits. Shapes follow `docs/notation.md`: a dense layer stores
# $W$ as `(d_in, d_out)` and computes $y = xW + b$; images are `(batch, height, width,
# channels)`, kernels `(kernel, kernel, c_in, c_out)`.
#
# Exercises: `exercises/06_architectures.py`, graded by `jlr check 06`.

# %%
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from jlr.backprop import manual, scalar
from jlr.course.lesson import root_key, show
from jlr.data import load_digits, load_mnist1d
from jlr.experiments.depth_width import depth_width_study, steps_to_loss
from jlr.models.cnn import ConvNetSpec, conv_net, init_conv_net, layer_shapes, n_params
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.conv import (
    conv2d,
    conv2d_lax,
    conv2d_loops,
    conv_output_shape,
    conv_padding,
    init_conv2d,
    shift_equivariance_error,
    shift_invariance_error,
)
from jlr.nn.init import (
    fans,
    he_normal,
    init_variance,
    lecun_normal,
    statistics_at_init,
    xavier_normal,
)
from jlr.nn.linear import linear
from jlr.nn.losses import accuracy, softmax_cross_entropy
from jlr.nn.pooling import avg_pool2d, global_avg_pool, max_pool2d
from jlr.nn.receptive_field import measured_receptive_field, receptive_field
from jlr.optim import adam
from jlr.projects.cnn import Config, model_spec, resolve_defaults
from jlr.train import init_train_state, make_multi_step, make_train_step

key_names = [
    "init_draws", "init_stats", "depth_mnist1d", "depth_digits", "mlp_backprop",
    "cnn_backprop", "conv_inputs", "rf_weights", "shift_conv", "shift_models", "cnn_init",
    "cnn_batches",
]  # fmt: skip
keys = dict(zip(key_names, jax.random.split(root_key(), len(key_names)), strict=True))

digits = load_digits()  # 8x8 images in [0, 1], a stratified 80/20 split
mnist1d = load_mnist1d()  # length-40 signals, the package's standard split
print(f"digits {digits.x_train.shape} / {digits.x_test.shape}, "
      f"MNIST-1D {mnist1d.x_train.shape} / {mnist1d.x_test.shape}")  # fmt: skip

# %% [markdown]
# ## 1. Multi-layer perceptrons and their initialization
#
# An MLP alternates affine maps and a nonlinearity $\phi$ (ReLU or tanh here):
#
# $$ h_0 = x, \qquad z_l = h_{l-1} W_l + b_l, \qquad h_l = \phi(z_l) \quad (l = 1..L), \qquad
#    \text{logits} = h_L W_{L+1} + b_{L+1}, $$
#
# with $W_l$ of shape `(d_{l-1}, d_l)` (`jlr.models.mlp`). Before any training, the scale of
# the random weights decides whether a signal survives the trip through many layers. For
# one unit, $z_j = \sum_{i=1}^{n} h_i w_{ij}$ over $n$ = **fan-in** inputs; with independent,
# zero-mean weights of variance $\mathrm{Var}(w)$,
#
# $$ \mathrm{Var}(z_j) = n\, \mathrm{Var}(w)\, \mathbb{E}[h_i^2]. $$
#
# So each layer multiplies the signal's second moment by $n \mathrm{Var}(w)$ times what
# $\phi$ keeps of it, and over $L$ layers these factors compound **geometrically**. Three
# classical choices of $\mathrm{Var}(w)$ (`jlr.nn.init`):
#
# * **LeCun** (1998): $\mathrm{Var}(w) = 1/n_\text{in}$: keeps $\mathrm{Var}(z)$ constant for
#   a unit that passes its input through unchanged, as tanh does near 0;
# * **Xavier/Glorot** (2010): $2/(n_\text{in} + n_\text{out})$: a compromise between the forward
#   signal (which wants $1/n_\text{in}$) and the backward one, where the gradient at an input
#   sums over the $n_\text{out}$ units it feeds (which wants $1/n_\text{out}$);
# * **He/Kaiming** (2015): $2/n_\text{in}$: ReLU zeroes the negative half of a symmetric
#   $z$, so $\mathbb{E}[\mathrm{relu}(z)^2] = \mathrm{Var}(z)/2$, and the 2 compensates.
#
# For a convolution kernel of shape `(k, k, c_in, c_out)`, an output unit reads
# $n_\text{in} = k^2 c_\text{in}$ inputs and each input feeds $n_\text{out} = k^2
# c_\text{out}$ outputs (`jlr.nn.init.fans`). First, the initializers draw what they promise:

# %%
conv_kernel_shape = (3, 3, 16, 32)
fan_in, fan_out = fans(conv_kernel_shape)
print(f"kernel {conv_kernel_shape}: fan_in = {fan_in}, fan_out = {fan_out}")
draw_keys = jax.random.split(keys["init_draws"], 3)  # one key per draw
for draw_key, (name, initializer, scheme) in zip(draw_keys, [
    ("LeCun", lecun_normal, "lecun"),
    ("Xavier", xavier_normal, "xavier"),
    ("He", he_normal, "he"),
], strict=True):  # fmt: skip
    sample_var = float(jnp.var(initializer(draw_key, conv_kernel_shape)))
    formula = init_variance(scheme, conv_kernel_shape)
    print(f"{name:7s} sample Var(w) {sample_var:.3e}   formula {formula:.3e}")
    assert abs(sample_var / formula - 1) < 0.1  # 4608 draws: ~2% sampling error
assert init_variance("xavier", conv_kernel_shape) == 2 / (fan_in + fan_out)

# %% [markdown]
# Now the signal through depth. `statistics_at_init` builds a 20-layer MLP of width 128 with
# no biases, feeds it standard-normal inputs, and reports each layer's activation std and the
# norm of the gradient $\lVert \partial L / \partial W_l \rVert$ for a random linear readout
# $L$. We compare the three schemes and a fourth, "too small" ($\mathrm{Var}(w) =
# 1/(4 n_\text{in})$), for tanh and ReLU. For square layers $n_\text{in} = n_\text{out}$, so
# Xavier equals LeCun (their curves coincide); they differ whenever the widths change. All
# schemes scale the same standard normals, so one compiled function serves them all: we
# `vmap` it over the variance gain $n_\text{in}\mathrm{Var}(w)$, the activation and 6 seeds.

# %%
n_layers, width, n_init_seeds = 20, 128, 6
scheme_names = ["LeCun", "Xavier", "He", "too small"]
gains = jnp.array(
    [init_variance(s, (width, width)) * width for s in ("lecun", "xavier", "he")] + [0.25]
)  # n_in Var(w): 1, 1, 2, 1/4
activation_names = ["tanh", "ReLU"]


def layer_statistics(key, gain, use_tanh):
    """Per-layer activation std and weight-gradient norm at init, for Var(w) = gain / n_in."""

    def init_fn(k, shape):
        return jnp.sqrt(gain) * lecun_normal(k, shape)  # Var = gain * (1 / n_in)

    def activation(z):
        return jnp.where(use_tanh, jnp.tanh(z), jax.nn.relu(z))

    return statistics_at_init(key, init_fn, activation, n_layers=n_layers, width=width,
                              batch=width)  # fmt: skip


over_seeds = jax.vmap(layer_statistics, in_axes=(0, None, None))
over_gains = jax.vmap(over_seeds, in_axes=(None, 0, None))
over_activations = jax.jit(jax.vmap(over_gains, in_axes=(None, None, 0)))
init_seed_keys = jax.random.split(keys["init_stats"], n_init_seeds)  # paired across schemes
with jax.default_matmul_precision("highest"):  # an exact identity is asserted below: no TF32
    stats = over_activations(init_seed_keys, gains, jnp.array([True, False]))
act_std = np.asarray(stats["activation_std"])  # (2 activations, 4 schemes, seeds, layers)
grad_norm = np.asarray(stats["grad_norm"])
layers = np.arange(1, n_layers + 1)

fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True, layout="constrained")
for col, act_name in enumerate(activation_names):
    for s, scheme in enumerate(scheme_names):
        style = dict(ls="--" if scheme == "Xavier" else "-", label=scheme)
        for row, values in enumerate([act_std, grad_norm]):
            runs = values[col, s]  # (seeds, layers)
            (line,) = axes[row, col].plot(layers, runs.mean(0), **style)
            axes[row, col].fill_between(layers, runs.min(0), runs.max(0), alpha=0.2,
                                        color=line.get_color())  # fmt: skip
    axes[0, col].set(title=f"{act_name}: activation std per layer", yscale="log")
    axes[1, col].set(title=f"{act_name}: gradient norm per layer", yscale="log", xlabel="layer l")
axes[0, 0].legend()
show("init-signal-propagation")

mean_std, mean_grad = act_std.mean(2), grad_norm.mean(2)  # (2, 4, layers): mean over seeds
TANH, RELU = 0, 1
LECUN, XAVIER, HE, SMALL = 0, 1, 2, 3


def log2_slope(values, first_layer=1):
    """Least-squares slope of log2(values) against the layer, from first_layer on."""
    return np.polyfit(layers[first_layer - 1 :], np.log2(values[first_layer - 1 :]), 1)[0]


he_band = mean_std[RELU, HE] / mean_std[RELU, HE, 0]
slopes = {
    "ReLU LeCun": log2_slope(mean_std[RELU, LECUN]),
    "ReLU too small": log2_slope(mean_std[RELU, SMALL]),
    "tanh too small": log2_slope(mean_std[TANH, SMALL], first_layer=5),
}
print(f"ReLU + He: activation std / layer 1 stays in [{he_band.min():.2f}, {he_band.max():.2f}]")
print("slope of log2(std) per layer:", {k: round(float(v), 3) for k, v in slopes.items()})
print(f"tanh at layer {n_layers}: LeCun std {mean_std[TANH, LECUN, -1]:.3f}, "
      f"He {mean_std[TANH, HE, -1]:.3f}, too small {mean_std[TANH, SMALL, -1]:.1e}")  # fmt: skip
assert np.allclose(mean_std[:, LECUN], mean_std[:, XAVIER])  # square layers: the same init
assert 0.5 < he_band.min() and he_band.max() < 2.0  # He + ReLU: no growth, no decay
assert abs(slopes["ReLU LeCun"] + 0.5) < 0.1  # x 1/sqrt(2) per layer: ReLU halves Var
assert abs(slopes["ReLU too small"] + 1.5) < 0.1  # and x 1/2 more from Var(w) = 1/(4 n)
assert abs(slopes["tanh too small"] + 1.0) < 0.1  # tanh ~ identity near 0: x 1/2 per layer
assert mean_std[TANH, LECUN, -1] > 0.1 and mean_std[TANH, SMALL, -1] < 1e-4
assert mean_std[TANH, HE, -1] > 0.4  # saturating tanh: the signal neither dies nor explodes

# %% [markdown]
# What the figure and the asserts say:
#
# * **ReLU + He** keeps the activation scale within a factor 2 over 20 layers. **ReLU +
#   LeCun** loses a factor $\sqrt 2$ per layer (slope $-1/2$ in $\log_2$), exactly the half
#   that ReLU discards; "too small" loses a further factor 2 per layer. Those decays are
#   geometric: after $L$ layers the signal is about $2^{-L/2}$ or $2^{-3L/2}$ of its start.
# * **tanh** saturates, so nothing explodes: with He's larger weights the activations settle
#   at a fixed scale; with LeCun they shrink slowly (not geometrically: tanh's slope is 1
#   only at 0); with weights too small tanh is nearly linear and the signal halves each layer.
#
# The gradient norms tell the backward half. For the weight gradient
# $\partial L / \partial W_l = h_{l-1}^\top \delta_l$, the forward factor $h_{l-1}$ and the
# backward factor $\delta_l$ (the gradient at $z_l$) shrink in opposite directions through
# depth. ReLU is positively homogeneous, $\mathrm{relu}(cz) = c\, \mathrm{relu}(z)$ for
# $c > 0$, so scaling every weight by $c$ scales every $\partial L/\partial W_l$ by exactly
# $c^{L-1}$: the *shape* across layers is the same for every scheme (flat, since both factors
# decay at the same rate), and only the *level* differs: LeCun's gradients are He's times
# $2^{-(L-1)/2}$, so small that training barely starts. With tanh + He the gradient grows
# toward the input (the early layers get the largest updates: the start of exploding
# gradients), while tanh + LeCun keeps it nearly flat.

# %%
he_flatness = mean_grad[RELU, HE].max() / mean_grad[RELU, HE].min()
lecun_over_he = grad_norm[RELU, LECUN] / grad_norm[RELU, HE]  # (seeds, layers), paired seeds
tanh_growth = {s: mean_grad[TANH, i, 0] / mean_grad[TANH, i, -1] for s, i in [("He", HE),
                                                                              ("LeCun", LECUN)]}  # fmt: skip
print(f"ReLU + He: max / min gradient norm over layers {he_flatness:.2f}")
print(f"ReLU: LeCun / He gradient ratio {lecun_over_he.mean():.3e} "
      f"(2^-(L-1)/2 = {2 ** (-(n_layers - 1) / 2):.3e})")  # fmt: skip
print("tanh: gradient norm, first layer / last layer:", {k: round(float(v), 2) for k, v in
                                                         tanh_growth.items()})  # fmt: skip
assert he_flatness < 2.0
assert np.allclose(lecun_over_he, 2 ** (-(n_layers - 1) / 2), rtol=1e-3)  # homogeneity, exact
assert tanh_growth["He"] > 2.0 and tanh_growth["LeCun"] < 1.5

# %% [markdown]
# ## 2. Depth vs width at a fixed parameter budget
#
# Is a deep narrow MLP better than a shallow wide one with the same number of parameters?
# With $L$ hidden layers of width $w$, an MLP from $d_\text{in}$ inputs to $C$ classes has
#
# $$ P(L, w) = (d_\text{in} + 1) w + (L - 1)(w + 1) w + (w + 1) C $$
#
# parameters: the width of a deep network grows only like $\sqrt{P / L}$. The study of
# `jlr.experiments.depth_width` fixes $P \le 20{,}000$, picks for each depth the widest $w$
# that fits, He-initialises each network (section 1), and trains it with Adam (learning rate
# $10^{-3}$, batches of 128) on MNIST-1D (8 seeds) and on the 8x8 digits (4 seeds), the
# seeds of a depth at once with `vmap` (seed $s$ draws the same initial normals and
# minibatches at every depth, so depths are compared seed by seed). It records the minibatch
# loss at every step (training speed), the test accuracy at 8 points of the run (we report
# the mean of the last three, less noisy than the last alone), and the norm of each layer's
# weight gradient. The full study (more
# depths, seeds and steps) is `depth_width_study`'s defaults; here it runs at a size that fits
# the lesson's minute.

# %%
depths = (1, 2, 4, 8)
budget = 20_000


def as_vectors(data):
    """x flattened to (n, features): an MLP sees a vector, whatever the input's shape."""
    return {"x_train": data.x_train.reshape(len(data.x_train), -1), "y_train": data.y_train,
            "x_test": data.x_test.reshape(len(data.x_test), -1), "y_test": data.y_test}  # fmt: skip


def late_accuracy(result):
    """Test accuracy per seed, the mean of the last three evaluations: (n_seeds,)."""
    return result["test_acc"][:, -3:].mean(axis=1)


study = {
    "MNIST-1D": depth_width_study(keys["depth_mnist1d"], as_vectors(mnist1d), depths=depths,
                                  budget=budget, n_seeds=8, n_steps=800, n_evals=8),
    "digits": depth_width_study(keys["depth_digits"], as_vectors(digits), depths=depths,
                                budget=budget, n_seeds=4, n_steps=320, n_evals=8),
}  # fmt: skip
for data_name, results in study.items():
    for depth, r in results.items():
        final = late_accuracy(r)
        print(f"{data_name:8s} L={depth} w={r['width']:3d} P={r['n_params']:5d}  "
              f"test acc {final.mean():.3f} +- {final.std():.3f}  "
              f"final train loss {r['train_loss'][:, -50:].mean():.3f}")  # fmt: skip

# %%
fig, axes = plt.subplots(2, 3, figsize=(13, 7), layout="constrained")
for row, (data_name, results) in enumerate(study.items()):
    for depth, r in results.items():
        window = 25  # running mean of the minibatch loss
        kernel = np.ones(window) / window
        smooth = np.array([np.convolve(run, kernel, mode="valid") for run in r["train_loss"]])
        steps = np.arange(window, smooth.shape[1] + window)
        label = f"L={depth}, w={r['width']}"
        (line,) = axes[row, 0].plot(steps, smooth.mean(0), label=label)
        axes[row, 0].fill_between(steps, smooth.min(0), smooth.max(0), alpha=0.2,
                                  color=line.get_color())  # fmt: skip
        final = late_accuracy(r)
        column = depths.index(depth)
        axes[row, 1].scatter(np.full(len(final), column), final, color=line.get_color(), s=15)
        axes[row, 1].errorbar(column, final.mean(), yerr=final.std(), fmt="_", ms=20,
                              color=line.get_color())  # fmt: skip
        norms = r["grad_norms"] / r["grad_norms"].mean(1, keepdims=True)  # (seeds, L + 1)
        position = np.linspace(0, 1, norms.shape[1])
        axes[row, 2].plot(position, norms.mean(0), marker="o", ms=3, color=line.get_color())
        axes[row, 2].fill_between(position, norms.min(0), norms.max(0), alpha=0.2,
                                  color=line.get_color())  # fmt: skip
    axes[row, 0].set(title=f"{data_name}: training loss (spread over seeds)", yscale="log",
                     xlabel="step")  # fmt: skip
    axes[row, 1].set(title=f"{data_name}: test accuracy per seed", xlabel="hidden layers L",
                     xticks=range(len(depths)), xticklabels=depths)  # fmt: skip
    axes[row, 2].set(title=f"{data_name}: |dL/dW_l| at init / its mean over l", yscale="log",
                     xlabel="layer position (0 = first, 1 = readout)")  # fmt: skip
    axes[row, 0].legend(fontsize=8)
show("depth-vs-width")

# %% [markdown]
# Read the claims off the numbers, each asserted below on the seeds' paired differences
# (mean minus three standard errors must clear zero):
#
# * **MNIST-1D:** the one-hidden-layer network, the widest, fits the training set more
#   slowly than the 4-layer one, and the deepest (8 layers, the narrowest) tests worse than
#   every shallower depth. So depth pays up to a point at this budget, and then the narrow
#   layers cost more than the extra composition buys. (All of them stay far below what a CNN
#   reaches on MNIST-1D: the data set was built so that the gap shows, Greydanus 2020.)
# * **digits:** every depth reaches a similar test accuracy (within 4 points), and the
#   4-layer network reaches a training loss of 0.3 in fewer steps than the 1-layer one.
#   8x8 digits are easy enough that the architecture barely matters once it is trained.
# * **Gradient norms:** with He initialization no depth here has vanishing or exploding
#   gradients at init: the hidden layers' gradient norms stay within a factor 6 of each
#   other (the figure's right column; the ratios are printed).


# %%
def paired_margin(diff):
    """mean - 3 standard errors of a per-seed difference: > 0 means it holds beyond seed noise."""
    return diff.mean() - 3 * diff.std(ddof=1) / np.sqrt(len(diff))


final_acc = {name: {d: late_accuracy(r) for d, r in res.items()} for name, res in study.items()}
final_loss = {name: {d: r["train_loss"][:, -50:].mean(1) for d, r in res.items()}
              for name, res in study.items()}  # fmt: skip
speed = {name: {d: steps_to_loss(r["train_loss"], 0.3 if name == "digits" else 1.2)
                for d, r in res.items()} for name, res in study.items()}  # fmt: skip
print("steps to a running-mean loss of 1.2 (MNIST-1D) / 0.3 (digits):",
      {name: {d: v.tolist() for d, v in s.items()} for name, s in speed.items()})  # fmt: skip
hidden_spread = {f"{name} L={d}": float((r["grad_norms"][:, :-1].max(1) / r["grad_norms"][:, :-1]
                                         .min(1)).mean())
                 for name, res in study.items() for d, r in res.items() if d > 1}  # fmt: skip
print("hidden layers' gradient norms at init, max / min:",
      {k: round(v, 2) for k, v in hidden_spread.items()})  # fmt: skip
margins = {
    "MNIST-1D: L=1 fits slower than L=4": paired_margin(
        final_loss["MNIST-1D"][1] - final_loss["MNIST-1D"][4]),
    **{f"MNIST-1D: L={d} tests better than L=8": paired_margin(
        final_acc["MNIST-1D"][d] - final_acc["MNIST-1D"][8]) for d in (1, 2, 4)},
    "digits: L=4 reaches loss 0.3 sooner than L=1": paired_margin(
        speed["digits"][1] - speed["digits"][4]),
}  # fmt: skip
print("mean - 3 SE over seeds:", {k: round(float(v), 3) for k, v in margins.items()})
assert all(v > 0 for v in margins.values())
digits_means = np.array([final_acc["digits"][d].mean() for d in depths])
print(f"digits: test accuracy over depths {digits_means.min():.3f} .. {digits_means.max():.3f}")
assert digits_means.max() - digits_means.min() < 0.04
assert max(hidden_spread.values()) < 6.0

# %% [markdown]
# ## 3. Backpropagation: the derivation
#
# Training needs $\partial L / \partial \theta$ for every parameter. Write the forward pass
# of the MLP on a batch of $B$ examples as a **computational graph**, one node per
# intermediate array, shapes in brackets:
#
# $$ X\,[B, d_0] \xrightarrow{\;\cdot W_1 + b_1\;} Z_1\,[B, d_1] \xrightarrow{\;\mathrm{relu}\;}
#    H_1\,[B, d_1] \xrightarrow{\;\cdot W_2 + b_2\;} \cdots \xrightarrow{\;\cdot W_{L+1} + b_{L+1}\;}
#    Z_{L+1}\,[B, C] \xrightarrow{\;\text{softmax CE}\;} L\,[\,] $$
#
# Backpropagation is the chain rule applied from the output back, carrying one array per
# node: $\bar{A} = \partial L / \partial A$, the **upstream gradient**, which has the shape of
# $A$ (the loss is a scalar). Each kind of node needs one rule, turning the gradient at its
# output into gradients at its inputs:
#
# * **Loss.** $L = -\frac1B \sum_n \log p_{n, y_n}$ with $p_n = \mathrm{softmax}(z_n)$ gives
#   $\bar Z_{L+1} = \frac1B (P - Y)$, $[B, C]$, with $Y$ the one-hot labels: "predicted minus
#   true".
# * **Affine** $Z = H W + b$ with $H\,[B, d_\text{in}]$, $W\,[d_\text{in}, d_\text{out}]$:
#   since $Z_{nj} = \sum_i H_{ni} W_{ij} + b_j$,
#
#   $$ \bar W = H^\top \bar Z \;\; [d_\text{in}, B] [B, d_\text{out}], \qquad
#      \bar b = \textstyle\sum_n \bar Z_{n,:} \;\; [d_\text{out}], \qquad
#      \bar H = \bar Z W^\top \;\; [B, d_\text{out}] [d_\text{out}, d_\text{in}]. $$
#
#   The shapes alone fix the formulas: $\bar W$ must be $[d_\text{in}, d_\text{out}]$, and
#   $H^\top \bar Z$ is the only product of $H$ and $\bar Z$ with that shape. The sum over the
#   batch in $\bar W$ and $\bar b$ is the sum of the per-example gradients.
# * **ReLU** $H = \max(Z, 0)$, elementwise: $\bar Z = \bar H \odot [Z > 0]$: the gradient
#   passes where the unit was active and stops where it was not.
#
# Going backward, layer $l$ receives $\bar Z_l$, produces $\bar W_l, \bar b_l$ and hands
# $\bar H_{l-1} = \bar Z_l W_l^\top$ through the ReLU to layer $l-1$. Every rule needs values
# from the forward pass ($H$ for $\bar W$, $Z$ for the ReLU mask, $P$ for the loss): the
# forward pass keeps them in a **cache**, the memory cost of backpropagation. The cost in
# time is about twice the forward pass (two matmuls per affine layer against one), whatever
# the number of parameters: that is why reverse mode, not forward mode, trains networks.
#
# Convolution and pooling follow the same pattern. A convolution is a matmul on patches
# (im2col, section 5): $Y = \mathrm{patches}(X)\, W_\text{mat}$, so $\bar W_\text{mat} =
# \mathrm{patches}^\top \bar Y$ and $\bar X$ is $\bar Y W_\text{mat}^\top$ scattered back,
# each patch entry added onto the pixel it was copied from (col2im). Max pooling sends each
# window's gradient to the entry that won the max; average pooling shares it equally.

# %% [markdown]
# ## 4. Backpropagation in code
#
# `jlr.backprop.manual` writes these rules out, with no `jax.grad` anywhere: a forward pass
# that keeps its cache and a backward pass that walks the layers in reverse. We check it
# against `jax.grad` of an independently written forward pass (the library MLP, and a CNN
# assembled from `conv2d_lax` and `jlr.nn.pooling`), leaf by leaf, to $10^{-5}$ relative.


# %%
def relative_errors(by_hand, autodiff):
    """||a - b|| / ||b|| for every leaf of two gradient pytrees."""
    return [float(jnp.linalg.norm(a - b) / jnp.linalg.norm(b))
            for a, b in zip(jax.tree.leaves(by_hand), jax.tree.leaves(autodiff), strict=True)]  # fmt: skip


x_vec = jnp.asarray(digits.x_train[:128].reshape(128, -1))  # (128, 64)
x_img = jnp.asarray(digits.x_train[:128])[..., None]  # (128, 8, 8, 1)
y_batch = jnp.asarray(digits.y_train[:128])
mlp_params = init_mlp(keys["mlp_backprop"], (64, 32, 32, 10))
cnn_params = manual.init_pooled_cnn(keys["cnn_backprop"], (8, 8, 1), (4, 8), 10)


def mlp_reference_loss(params, x, y):
    return jnp.mean(softmax_cross_entropy(mlp(params, x), y))


def cnn_reference_loss(params, x, y):
    """The same CNN as manual.pooled_cnn_forward, from independent library layers."""
    h = max_pool2d(jax.nn.relu(conv2d_lax(params["conv1"], x)), 2)  # (batch, 4, 4, 4)
    h = avg_pool2d(jax.nn.relu(conv2d_lax(params["conv2"], h)), 2)  # (batch, 2, 2, 8)
    logits = linear(params["head"], h.reshape(h.shape[0], -1))  # (batch, 10)
    return jnp.mean(softmax_cross_entropy(logits, y))


def by_hand_and_autodiff(manual_fn, reference_loss):
    """One jitted function: (manual loss and grads, jax.value_and_grad of the reference)."""
    return jax.jit(lambda *args: (manual_fn(*args), jax.value_and_grad(reference_loss)(*args)))


with jax.default_matmul_precision("highest"):  # 1e-5 is tighter than TF32 meets
    checks = {
        "MLP": by_hand_and_autodiff(manual.mlp_loss_and_grads, mlp_reference_loss)(
            mlp_params, x_vec, y_batch),
        "conv + pool CNN": by_hand_and_autodiff(
            manual.pooled_cnn_loss_and_grads, cnn_reference_loss)(cnn_params, x_img, y_batch),
    }  # fmt: skip
for name, ((loss_hand, grads_hand), (loss_auto, grads_auto)) in checks.items():
    errors = relative_errors(grads_hand, grads_auto)
    print(f"{name:16s} loss {float(loss_hand):.4f} vs {float(loss_auto):.4f}; "
          f"max relative gradient error over {len(errors)} leaves {max(errors):.1e}")  # fmt: skip
    assert abs(float(loss_hand) - float(loss_auto)) < 1e-5 * abs(float(loss_auto))
    assert max(errors) < 1e-5

# %% [markdown]
# The same algorithm works one number at a time. `jlr.backprop.scalar` is a reverse-mode
# engine in the style of micrograd: every arithmetic operation on a `Value` records its
# parents and the **local derivative** with respect to each, evaluated on the spot. `backward`
# then sorts the graph **topologically** (every node after the nodes it was computed from),
# sets $\bar{\text{out}} = 1$ and visits the nodes in reverse order, adding
# $\bar{\text{node}} \cdot \partial\,\text{node} / \partial\,\text{parent}$ into each parent.
# The `+=` is the multivariate chain rule: $x$ below feeds two nodes, and its gradient is the
# sum over both paths. We build
# $f(x, y, z) = \tanh(xy + z)\, x + \sin(e^{y} z)$ one named step at a time, and compare with
# `jax.grad`.

# %%
x_s, y_s, z_s = scalar.Value(0.7), scalar.Value(-1.3), scalar.Value(2.1)
steps_s = {"x": x_s, "y": y_s, "z": z_s}
steps_s["a = x*y"] = x_s * y_s
steps_s["b = a+z"] = steps_s["a = x*y"] + z_s
steps_s["c = tanh b"] = scalar.tanh(steps_s["b = a+z"])
steps_s["d = c*x"] = steps_s["c = tanh b"] * x_s
steps_s["e = exp y"] = scalar.exp(y_s)
steps_s["g = e*z"] = steps_s["e = exp y"] * z_s
steps_s["h = sin g"] = scalar.sin(steps_s["g = e*z"])
steps_s["f = d+h"] = steps_s["d = c*x"] + steps_s["h = sin g"]
out_s = steps_s["f = d+h"]
names_s = {id(node): name for name, node in steps_s.items()}
order = scalar.topological_order(out_s)
grads_s = scalar.backward(out_s)
print("topological order:", " -> ".join(names_s[id(node)] for node in order))
for node in order:
    print(f"  {names_s[id(node)]:11s} value {node.data:+.4f}   d f / d node {grads_s[node]:+.4f}")


def f_jax(x, y, z):
    return jnp.tanh(x * y + z) * x + jnp.sin(jnp.exp(y) * z)


engine = np.array([grads_s[x_s], grads_s[y_s], grads_s[z_s]])
autodiff = np.array(jax.grad(f_jax, argnums=(0, 1, 2))(0.7, -1.3, 2.1))
print("engine  ", engine, "\njax.grad", autodiff)
assert np.allclose(engine, autodiff, rtol=1e-5, atol=1e-6)
assert abs(out_s.data - float(f_jax(0.7, -1.3, 2.1))) < 1e-5
position = {id(node): i for i, node in enumerate(order)}
assert all(position[id(p)] < position[id(node)] for node in order for p, _ in node.parents)

# %%
where = {  # (column, row) of each named node in the drawing
    "x": (0, 0.0), "y": (0, 1.3), "z": (0, 3.0), "a = x*y": (1, 0.65), "e = exp y": (1, 2.4),
    "b = a+z": (2, 1.0), "g = e*z": (2, 3.0), "c = tanh b": (3, 1.0), "h = sin g": (3, 3.0),
    "d = c*x": (4, 0.6), "f = d+h": (5, 1.8),
}  # fmt: skip
fig, ax = plt.subplots(figsize=(11, 4.2), layout="constrained")
boxes = {}
for node in order:
    name = names_s[id(node)]
    boxes[id(node)] = ax.text(
        *where[name], f"{name}\n{node.data:+.3f}\ngrad {grads_s[node]:+.3f}", ha="center",
        va="center", fontsize=8,
        bbox=dict(boxstyle="round", fc="lightyellow" if node.parents else "lightblue"),
    )  # fmt: skip
for node in order:
    for parent, local in node.parents:  # from the parent box's right edge to the node's left
        ax.annotate("", xy=(0, 0.5), xycoords=boxes[id(node)], xytext=(1, 0.5),
                    textcoords=boxes[id(parent)], arrowprops=dict(arrowstyle="->", lw=0.8))  # fmt: skip
        (x0, y0), (x1, y1) = where[names_s[id(parent)]], where[names_s[id(node)]]
        ax.text(0.4 * x0 + 0.6 * x1, 0.4 * y0 + 0.6 * y1 - 0.12, f"{local:+.2f}", fontsize=7,
                color="gray", ha="center")  # fmt: skip
ax.set(xlim=(-0.5, 5.5), ylim=(3.5, -0.5),
       title="The graph of f: value, gradient, and the local derivative on each edge")  # fmt: skip
ax.axis("off")
show("scalar-autodiff-graph")

# %% [markdown]
# ## 5. Convolution
#
# A dense layer connects every input to every output. A **convolution** exploits two facts
# about images (and signals): nearby pixels matter together (**locality**: each output sees a
# small window), and a pattern means the same wherever it appears (**weight sharing**: the
# same filter is slid over every position). A layer with kernel $W$ of shape `(k, k, c_in,
# c_out)`, stride $s$, dilation $d$ and low padding $p$ computes (deep learning's
# "convolution" is a cross-correlation: the kernel is not flipped)
#
# $$ Y[n, i, j, o] = b_o + \sum_{u, v < k} \sum_{c} X[n,\, s i + d u - p,\, s j + d v - p,\, c]\;
#    W[u, v, c, o], $$
#
# with $X$ read as 0 outside the image (zero padding). Along one axis of length $n$, with
# padding $p_\text{lo} + p_\text{hi}$, the output has
# $\lfloor (n + p_\text{lo} + p_\text{hi} - d(k-1) - 1)/s \rfloor + 1$ positions; "SAME"
# padding picks the pads that give $\lceil n/s \rceil$. Its parameters: $k^2 c_\text{in}
# c_\text{out} + c_\text{out}$, independent of the image size, where a dense layer from a
# $28 \times 28$ image to as many units would need $784^2$.
#
# `jlr.nn.conv` computes that sum three ways: `conv2d_loops` writes it as loops (the
# reference, in float64), `conv2d` gathers every window into a row (**im2col**) and does one
# matmul, `conv2d_lax` calls XLA's convolution. They agree for strides, paddings, dilations
# and channels:

# %%
conv_x_key, conv_w_key = jax.random.split(keys["conv_inputs"])
x_conv = jax.random.normal(conv_x_key, (2, 9, 10, 3))  # (batch, height, width, c_in)
conv_layer = init_conv2d(conv_w_key, 3, 3, 4)  # w: (3, 3, 3, 4)
conv_cases = [
    dict(stride=1, padding="SAME", dilation=1),
    dict(stride=2, padding="SAME", dilation=1),
    dict(stride=1, padding="VALID", dilation=2),
    dict(stride=(2, 1), padding=((1, 2), (0, 1)), dilation=(1, 2)),
    dict(stride=1, padding="CIRCULAR", dilation=1),
]
with jax.default_matmul_precision("highest"):
    for case in conv_cases:
        reference = conv2d_loops(conv_layer, x_conv, **case)
        gaps = [np.abs(np.asarray(version(conv_layer, x_conv, **case)) - reference).max()
                for version in (conv2d, conv2d_lax)]  # fmt: skip
        print(f"{str(case):72s} out {reference.shape}  max gap im2col {gaps[0]:.1e}, "
              f"lax {gaps[1]:.1e}")  # fmt: skip
        assert max(gaps) < 1e-5
        assert reference.shape[1:3] == conv_output_shape((9, 10), (3, 3), **case)

# %% [markdown]
# **Pooling** summarizes each window of a feature map, channel by channel, with no weights:
# its maximum (max pooling: "is the feature present anywhere here?") or its mean. With a
# stride equal to the window it halves the resolution, so later layers see more of the image
# for the same kernel size. Below, two hand-made $3 \times 3$ filters (Sobel edge detectors)
# applied to a digit, then pooled; the pooling functions are checked against XLA's
# `lax.reduce_window`.

# %%
sobel = jnp.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
edge_filters = {"w": jnp.stack([sobel, sobel.T], axis=-1)[:, :, None, :], "b": jnp.zeros(2)}
digit = jnp.asarray(digits.x_test[:1])[..., None]  # (1, 8, 8, 1)
edges = conv2d(edge_filters, digit)  # (1, 8, 8, 2): vertical and horizontal edges
magnitude = jnp.abs(edges)
pooled_max, pooled_avg = max_pool2d(magnitude, 2), avg_pool2d(magnitude, 2)  # (1, 4, 4, 2)
window_max = jax.lax.reduce_window(magnitude, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1),
                                   "VALID")  # fmt: skip
window_sum = jax.lax.reduce_window(magnitude, 0.0, jax.lax.add, (1, 2, 2, 1), (1, 2, 2, 1),
                                   "VALID")  # fmt: skip
assert np.allclose(pooled_max, window_max) and np.allclose(pooled_avg, window_sum / 4)
panels = [("digit", digit[0, :, :, 0]), ("vertical edges", edges[0, :, :, 0]),
          ("horizontal edges", edges[0, :, :, 1]), ("|vertical|, max pool 2", pooled_max[0, :, :, 0]),
          ("|vertical|, avg pool 2", pooled_avg[0, :, :, 0])]  # fmt: skip
fig, axes = plt.subplots(1, 5, figsize=(13, 2.9), layout="constrained")
for ax, (title, image) in zip(axes, panels, strict=True):
    image = np.asarray(image)
    if "edges" in title:  # signed responses: red one way, blue the other, white 0
        ax.imshow(image, cmap="RdBu_r", vmin=-np.abs(image).max(), vmax=np.abs(image).max())
    else:
        ax.imshow(image, cmap="gray" if title == "digit" else "magma")
    ax.set(title=title, xticks=[], yticks=[])
show("filters-and-pooling")

# %% [markdown]
# ## 6. Receptive fields
#
# The **receptive field** of an output unit is the set of input pixels it depends on. Along
# one axis, a layer with kernel $k$, stride $s$, dilation $d$ and low padding $p$ reads inputs
# $s i - p + d u$, $u < k$. Through a stack, unit $i$ of the last layer sees the inputs
# $\text{start} + i \cdot \text{jump}$ to $\text{start} + i \cdot \text{jump} + \text{size} - 1$,
# where, layer by layer from $\text{size} = \text{jump} = 1$, $\text{start} = 0$,
#
# $$ \text{size} \mathrel{+}= d (k - 1)\, \text{jump}, \qquad \text{start} \mathrel{-}= p\,
#    \text{jump}, \qquad \text{jump} \mathrel{\times}= s. $$
#
# (`jlr.nn.receptive_field.receptive_field`.) Strides and pooling multiply the jump, so every
# later kernel covers more input pixels: that is how a stack of $3 \times 3$ filters comes to
# see the whole image. The measured receptive field is the support of the input gradient of
# one output unit: the pixels where $\partial y_{ij} / \partial x \ne 0$. With positive
# weights no two paths can cancel, and average pooling (not max) lets the gradient reach
# every pixel of a window. The two agree:

# %%
rf_size = 32
rf_stacks = {  # (kind, kernel, stride, dilation) per layer, all SAME-padded
    "conv3, conv3 s2, avg pool 2, conv3 dilation 2": [
        ("conv", 3, 1, 1), ("conv", 3, 2, 1), ("pool", 2, 2, 1), ("conv", 3, 1, 2)],
    "conv3, conv3 dilation 4": [("conv", 3, 1, 1), ("conv", 3, 1, 4)],
}  # fmt: skip


def build_stack(key, spec, n):
    """(f: (n, n) image -> (out, out) map, per-layer (kernel, stride, dilation, low pad), out)."""
    layer_keys = jax.random.split(key, len(spec))
    weights, geometry = [], []
    for layer_key, (kind, k, s, d) in zip(layer_keys, spec, strict=True):
        if kind == "conv":  # positive weights: no cancellation between paths
            weights.append({"w": jnp.abs(jax.random.normal(layer_key, (k, k, 1, 1))) + 0.1,
                            "b": jnp.zeros(1)})  # fmt: skip
            geometry.append((k, s, d, conv_padding((n,), (k,), s, "SAME", d)[0][0]))
            n = conv_output_shape((n,), (k,), s, "SAME", d)[0]
        else:  # average pooling, VALID, stride = window
            weights.append(None)
            geometry.append((k, s, 1, 0))
            n = n // s

    def f(image):
        x = image[None, :, :, None]  # (1, n, n, 1)
        for (kind, k, s, d), layer in zip(spec, weights, strict=True):
            x = conv2d(layer, x, s, dilation=d) if kind == "conv" else avg_pool2d(x, k, s)
        return x[0, :, :, 0]

    return f, geometry, n


fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained")
for ax, (rf_key, (name, spec)) in zip(axes, zip(jax.random.split(keys["rf_weights"]),
                                                 rf_stacks.items(), strict=True), strict=True):  # fmt: skip
    f, geometry, n_out = build_stack(rf_key, spec, rf_size)
    unit = n_out // 2  # a unit in the middle: its field lies inside the image
    mask = np.asarray(measured_receptive_field(f, (rf_size, rf_size), (unit, unit)))
    rf = receptive_field(geometry)
    lo = rf.start + unit * rf.jump
    hi = lo + rf.size - 1
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    print(f"{name}: analytic size {rf.size}, jump {rf.jump}, start {rf.start} -> pixels "
          f"{lo}..{hi}; measured rows {rows.min()}..{rows.max()}, cols {cols.min()}..{cols.max()}; "
          f"{mask.sum()} of {rf.size ** 2} pixels in the box")  # fmt: skip
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (lo, hi, lo, hi)
    ax.imshow(mask, cmap="Greens")
    ax.add_patch(plt.Rectangle((lo - 0.5, lo - 0.5), rf.size, rf.size, fill=False, ec="red"))
    ax.set(title=f"{name}\nunit ({unit}, {unit}): measured (green), analytic (red)")
    if "dilation 4" in name:  # taps at {-4, 0, 4} + {-1, 0, 1}: 9 of 11 rows and columns
        assert mask.sum() == 81 and rf.size == 11
show("receptive-fields")

# %% [markdown]
# The extents agree exactly. The figure shows what the extent alone does not: a dilated
# kernel whose taps lie farther apart than the field below it is wide leaves **holes** (the
# pixel counts are printed above: 81 of the 121 of the second stack's box), the "gridding"
# artifact of dilated stacks; only the measurement sees them.
#
# ## 7. Translation invariance
#
# Convolution commutes with shifts: shifting the input shifts the output, $f(T x) = T f(x)$,
# because the same filter is applied at every position. That is **equivariance**. Pooling
# over all positions (global average pooling) then forgets where things were: $g(T x) = g(x)$,
# **invariance**. Both hold exactly for *circular* shifts (`jnp.roll`) and circular padding;
# with zero padding the identity breaks at the border, where a real shift moves pixels out
# of the image and the filter reads zeros. We measure
# $\lVert f(\mathrm{roll}(x)) - \mathrm{roll}(f(x)) \rVert$ at every output position
# (`shift_equivariance_error`) on 64 test digits, shifted by 2 rows and 1 column.

# %%
shift = (2, 1)
shift_images = jnp.asarray(digits.x_test[:64])[..., None]  # (64, 8, 8, 1)
edge_layer = init_conv2d(keys["shift_conv"], 3, 1, 4)
with jax.default_matmul_precision("highest"):  # exact identities: measured at full precision
    errors_by_padding = {
        padding: np.asarray(
            shift_equivariance_error(
                lambda x, padding=padding: conv2d(edge_layer, x, padding=padding),
                shift_images,
                shift,
            )
        )
        for padding in ("SAME", "CIRCULAR")
    }  # padding -> (64, 8, 8) errors
seam_rows = {0, 7, shift[0] - 1, shift[0]}  # image edges and where roll wraps (3x3 kernel)
seam_cols = {0, 7, shift[1] - 1, shift[1] % 8}
interior = np.array([[r not in seam_rows and c not in seam_cols for c in range(8)]
                     for r in range(8)])  # fmt: skip
zero_pad = errors_by_padding["SAME"]
print(f"zero padding: max error {zero_pad.max():.2f} on the seams, "
      f"{zero_pad[:, interior].max():.1e} elsewhere; circular: {errors_by_padding['CIRCULAR'].max():.1e}")  # fmt: skip
assert errors_by_padding["CIRCULAR"].max() < 1e-5  # exactly equivariant
assert zero_pad[:, interior].max() < 1e-5 and zero_pad.max() > 0.1  # broken on the seams only

# %% [markdown]
# Now whole feature extractors, each ending in a vector of 8 features, compared by the
# relative change of the features under a shift,
# $\lVert g(\mathrm{roll}(x)) - g(x) \rVert / \lVert g(x) \rVert$ (mean over the 64 digits;
# `shift_invariance_error`):
#
# * two $3 \times 3$ conv layers with ReLU, then global average pooling: circular padding
#   (exactly invariant) and zero padding (the border effects of above leak into the average);
# * the same with a stride-2 first layer: it samples every other position, so a shift by 2
#   moves its output by 1 (invariant), but a shift by 1 lands between its samples: striding
#   and pooling by $s$ make a network invariant only to shifts by multiples of $s$
#   (**aliasing**, Zhang 2019);
# * an MLP on the flattened image, with no notion of "position" at all.

# %%
conv_a_key, conv_b_key, mlp_key = jax.random.split(keys["shift_models"], 3)
conv_a, conv_b = init_conv2d(conv_a_key, 3, 1, 8), init_conv2d(conv_b_key, 3, 8, 8)
shift_mlp = init_mlp(mlp_key, (64, 64, 8))


def conv_features(x, padding, stride=1):
    """Two conv layers, ReLU, global average pooling: (batch, 8, 8, 1) -> (batch, 8)."""
    h = jax.nn.relu(conv2d(conv_a, x, stride, padding=padding))
    return global_avg_pool(jax.nn.relu(conv2d(conv_b, h, padding=padding)))


def mlp_features(x):
    return mlp(shift_mlp, x.reshape(x.shape[0], -1))  # (batch, 64) -> (batch, 8)


def relative_invariance_error(g, shift):
    change = shift_invariance_error(g, shift_images, shift)  # (64,)
    return float(jnp.mean(change / jnp.linalg.norm(g(shift_images), axis=-1)))


with jax.default_matmul_precision("highest"):
    invariance = {
        "conv + GAP, circular": relative_invariance_error(
            lambda x: conv_features(x, "CIRCULAR"), shift),
        "conv + GAP, zero padding": relative_invariance_error(
            lambda x: conv_features(x, "SAME"), shift),
        "stride 2, circular, shift (2, 2)": relative_invariance_error(
            lambda x: conv_features(x, "CIRCULAR", 2), (2, 2)),
        "stride 2, circular, shift (1, 1)": relative_invariance_error(
            lambda x: conv_features(x, "CIRCULAR", 2), (1, 1)),
        "MLP": relative_invariance_error(mlp_features, shift),
    }  # fmt: skip
for name, value in invariance.items():
    print(f"{name:34s} relative change {value:.1e}")
assert invariance["conv + GAP, circular"] < 1e-5
assert invariance["stride 2, circular, shift (2, 2)"] < 1e-5
assert invariance["stride 2, circular, shift (1, 1)"] > 1e-2
assert invariance["MLP"] > 0.2 and invariance["MLP"] > 3 * invariance["conv + GAP, zero padding"]

fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), layout="constrained",
                         gridspec_kw={"width_ratios": [1, 1, 1, 2]})  # fmt: skip
axes[0].imshow(np.asarray(shift_images[0, :, :, 0]), cmap="gray")
axes[0].set(title="a digit", xticks=[], yticks=[])
for ax, padding in zip(axes[1:3], ("SAME", "CIRCULAR"), strict=True):
    image = ax.imshow(errors_by_padding[padding].mean(0), cmap="magma", vmin=0,
                      vmax=zero_pad.mean(0).max())  # fmt: skip
    ax.set(title=f"|f(roll x) - roll f(x)|\n{padding.lower()} padding", xticks=[], yticks=[])
fig.colorbar(image, ax=axes[2], shrink=0.8)
names = list(invariance)
axes[3].barh(names, [max(invariance[n], 1e-8) for n in names])
axes[3].set(xscale="log", xlabel="relative change of the features under the shift")
axes[3].invert_yaxis()
show("translation-invariance")

# %% [markdown]
# The features of the circular convolutional network do not move at all (to rounding); zero
# padding adds a small change from the border; the MLP's features change by a large fraction
# of their size. Real shifts are not circular: a digit shifted by a pixel loses a column at
# one edge and gains zeros at the other, so no network is exactly invariant to them. How much
# of the symmetry survives in a *trained* CNN is measured at the end of the next section.
#
# ## 8. A CNN in JAX
#
# `jlr.models.cnn.conv_net` assembles the layers of this lesson from a `ConvNetSpec`: blocks
# of convolution, (optional normalization), ReLU and pooling, then a head: global average
# pooling or flattening, then a linear classifier. Parameters are a plain pytree; the spec
# is static. A small one for 8x8 digits, its layer shapes traced without arithmetic
# (`layer_shapes` uses `jax.eval_shape`):

# %%
spec = ConvNetSpec(input_shape=(8, 8, 1), channels=(16, 32), pool="max", head="gap")
for name, shape in layer_shapes(spec, batch=64):
    print(f"  {name:12s} {shape}")
n_cnn_seeds, cnn_steps, cnn_batch = 3, 400, 64
cnn_seed_keys = jax.random.split(keys["cnn_init"], n_cnn_seeds)
cnn_params = jax.jit(jax.vmap(lambda k: init_conv_net(k, spec)[0]))(cnn_seed_keys)
n_cnn_params = n_params(jax.tree.map(lambda leaf: leaf[0], cnn_params))
n_mlp_params = study["digits"][2]["n_params"]
print(f"CNN parameters: {n_cnn_params} (the 2-layer MLP of section 2: {n_mlp_params})")

# %% [markdown]
# Training uses the library's training core: `make_train_step` turns a loss function into a
# pure step, `make_multi_step` scans it over a block of minibatch indices, and `vmap` trains
# the seeds at once (each seed with its own initialization and minibatches).


# %%
def cnn_loss(params, batch, key):
    logits, _ = conv_net(params, {}, batch["x"], spec)  # no batch norm: no model state
    return jnp.mean(softmax_cross_entropy(logits, batch["y"])), {}


optimizer = adam(3e-3)
train_images = {"x": jnp.asarray(digits.x_train)[..., None], "y": jnp.asarray(digits.y_train)}
test_images = jnp.asarray(digits.x_test)[..., None]  # (359, 8, 8, 1)
y_test = jnp.asarray(digits.y_test)
batch_rows = jax.random.randint(keys["cnn_batches"], (n_cnn_seeds, cnn_steps, cnn_batch), 0,
                                len(digits.x_train))  # fmt: skip
states = jax.vmap(lambda p, k: init_train_state(p, optimizer, k))(cnn_params, cnn_seed_keys)
multi_step = make_multi_step(make_train_step(cnn_loss, optimizer))
# One seed after another with lax.map, not side by side with vmap: vmap gives each seed's
# kernel its own batched matmul over patches, which XLA:CPU runs slower than one seed at a time.
train_seeds = jax.jit(lambda states, rows: jax.lax.map(
    lambda args: multi_step(args[0], train_images, args[1]), (states, rows)))  # fmt: skip
states, cnn_metrics = train_seeds(states, batch_rows)
cnn_test_acc = jax.jit(lambda params, x: jax.lax.map(
    lambda p: accuracy(conv_net(p, {}, x, spec)[0], y_test), params))  # fmt: skip
acc_cnn = np.asarray(cnn_test_acc(states.params, test_images))
print(f"CNN test accuracy per seed {np.round(acc_cnn, 3)} after {cnn_steps} steps; "
      f"final minibatch loss {float(cnn_metrics['loss'][:, -20:].mean()):.3f}")  # fmt: skip
assert acc_cnn.mean() > 0.92  # chance is 0.1; 359 test digits

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.plot(np.asarray(cnn_metrics["loss"]).T, lw=0.7)
ax.set(yscale="log", xlabel="step", ylabel="minibatch loss", title="CNN on digits, 3 seeds")
show("cnn-training")

# %% [markdown]
# Now the symmetry test on real shifts: translate every test digit by one pixel (up, down,
# left, right), filling the uncovered edge with 0 (the background), and compare the CNN with
# the 2-layer MLP of section 2, which has several times as many parameters (both counts are
# printed above) and a similar accuracy on the unshifted digits.


# %%
def translate(images, dy, dx):
    """Shift images (batch, h, w, c) by (dy, dx) pixels, zeros where nothing moved in."""
    h, w = images.shape[1:3]
    padded = jnp.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))  # (batch, h + 2, w + 2, c)
    return padded[:, 1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]  # |dy|, |dx| <= 1


digit_mlp = study["digits"][2]["params"]  # [{"w", "b"}, ...], each leaf (n_seeds, ...)
mlp_test_acc = jax.jit(jax.vmap(lambda p, x: accuracy(mlp(p, x.reshape(x.shape[0], -1)), y_test),
                                in_axes=(0, None)))  # fmt: skip
moves = [(1, 0), (-1, 0), (0, 1), (0, -1)]
shifted_acc = {"CNN": [], "MLP": []}
for dy, dx in moves:
    moved = translate(test_images, dy, dx)
    shifted_acc["CNN"].append(np.asarray(cnn_test_acc(states.params, moved)))
    shifted_acc["MLP"].append(np.asarray(mlp_test_acc(digit_mlp, moved)))
shifted = {name: np.mean(v, axis=0) for name, v in shifted_acc.items()}  # per seed
unshifted = {"CNN": acc_cnn, "MLP": np.asarray(mlp_test_acc(digit_mlp, test_images))}
for name in shifted:
    print(f"{name}: test accuracy {unshifted[name].mean():.3f} unshifted, "
          f"{shifted[name].mean():.3f} +- {shifted[name].std():.3f} shifted by one pixel")  # fmt: skip
gap = shifted["CNN"].mean() - shifted["MLP"].mean()
gap_se = np.sqrt(sum(v.var(ddof=1) / len(v) for v in shifted.values()))  # Welch's SE
print(f"CNN - MLP on shifted digits: {gap:.3f} (3 SE = {3 * gap_se:.3f})")
assert gap - 3 * gap_se > 0

# %% [markdown]
# Both networks lose accuracy, since an 8x8 digit moved by a pixel loses an eighth of its
# extent, but the CNN, whose features are built to move with the input and then pooled,
# keeps far more of it than the MLP, which learned each pixel position separately.
#
# ## 9. The CNN mini-project: `jlr run cnn`
#
# The project `jlr.projects.cnn` trains `conv_net` on four data sets, with the training
# core's run folder (config, metrics, checkpoints, report), and several seeds at once:
#
# ```
# jlr run cnn --set data=digits            # 8x8 digits: target >= 98.5% test accuracy
# jlr run cnn --set data=mnist1d           # MNIST-1D, 1-D convolutions: >= 94%, mean of 3 seeds
# jlr run cnn --set data=mnist             # real MNIST from IDX files: >= 98% held out
# jlr run cnn --set data=cifar10           # CIFAR-10 binary batches, a small CPU budget
# jlr run cnn --set data=digits --set norm=none --set steps=500   # any setting, by name
# ```
#
# Every unset architecture or training setting takes the data set's default; the resolved
# settings are what `config.json` records. It takes minutes, so the lesson only shows what
# it would run:

# %%
for data_name, input_shape in [("digits", (8, 8, 1)), ("mnist1d", (40, 1))]:
    resolved = resolve_defaults(Config(data=data_name))
    project_spec = model_spec(resolved, input_shape)
    project_params = jax.eval_shape(lambda s=project_spec: init_conv_net(jax.random.key(0), s))[0]
    print(f"jlr run cnn --set data={data_name}: channels {resolved.channels} "
          f"({resolved.convs_per_block} conv(s) per block), kernel {resolved.kernel}, norm "
          f"{resolved.norm}, head {resolved.head}, {resolved.steps} steps of batch "
          f"{resolved.batch_size}, {resolved.schedule} lr {resolved.lr}, weight decay "
          f"{resolved.weight_decay}, random shifts of {resolved.shift} px, {resolved.n_seeds} "
          f"seed(s), {n_params(project_params)} parameters")  # fmt: skip
    print("   ", " -> ".join(str(shape[1:]) for _, shape in layer_shapes(project_spec)))

# %% [markdown]
# Compared with the CNN trained above, the project's settings (printed) add normalization
# (batch norm is lesson 08), a learning-rate schedule, weight decay (AdamW), random-shift
# augmentation and a longer run: the ingredients that take digits from the accuracy above to
# the project's 98.5% target. On MNIST-1D it uses 1-D convolutions (the same `conv_net` code
# on `(width, channels)` inputs), with a 94% target, far above the MLPs of section 2.
#
# ## Summary
#
# * Initialization sets the per-layer gain of signals: He for ReLU and LeCun for tanh keep
#   activations and gradients at a constant scale through depth; a wrong scale compounds
#   geometrically.
# * At a fixed budget, depth helps up to a point: on MNIST-1D 2 to 4 hidden layers beat both
#   1 and 8; on 8x8 digits depth barely matters.
# * Backpropagation is the chain rule, one local rule per node with the shapes as a guide;
#   written by hand it matches `jax.grad`, for an MLP, a CNN and scalar expressions alike.
# * Convolution is a cross-correlation with shared weights: three implementations agree;
#   its receptive field grows with depth, strides and pooling; it is shift-equivariant, and
#   global pooling makes it invariant (exactly for circular shifts by multiples of the
#   stride), which a trained CNN keeps far better than an MLP.
#
# Exercises: `exercises/06_architectures.py`; grade them with `jlr check 06`.
