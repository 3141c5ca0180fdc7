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
# # 08 · Computer vision (advanced)
#
# Lesson 06 built a convolutional network and trained it. This lesson opens it up and asks
# what its layers learned, then studies the pieces that make modern vision networks train
# well: normalization (batch norm, layer norm) and regularization (dropout, weight decay).
# It ends with how to tell whether a change to an architecture helped: an **ablation**,
# run over seeds and read with confidence intervals and a significance test, the method of
# the project `jlr run vision-ablation`.
#
# | topic | library |
# | --- | --- |
# | feature hierarchies | `jlr.experiments.feature_hierarchy` |
# | batch normalization | `jlr.nn.batch_norm` (running averages kept as model state) |
# | layer normalization | `jlr.nn.layer_norm` |
# | dropout, weight decay | `jlr.nn.dropout`, `jlr.nn.regularization`, `jlr.optim.adamw` |
# | the CNN | `jlr.models.cnn` (`ConvNetSpec`, `conv_net`) |
# | ablations | `jlr run vision-ablation` (`jlr.projects.vision_ablation`) |
#
# The lesson runs in about a minute on two CPU cores. Its root seed is `JLR_SEED` (0 by
# default). Every claim the code can check is asserted on a statistic with a margin, over
# several seeds, so it holds for other root seeds too, and every number in the prose is
# printed by the code. Comparisons with an oracle (flax, scipy) run at full float32
# precision. Shapes follow `docs/notation.md`: images are `(batch, height, width,
# channels)`, kernels `(kernel, kernel, c_in, c_out)`.
#
# Exercises: `exercises/08_computer_vision.py`, graded by `jlr check 08`.

# %%
from functools import partial

import flax.linen as fnn
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from jax.flatten_util import ravel_pytree
from scipy import stats

from jlr.course.lesson import root_key, show
from jlr.data import load_digits
from jlr.experiments.feature_hierarchy import (
    maximize_input,
    top_k_examples,
    top_k_purity,
    unit_responses,
)
from jlr.models.cnn import ConvNetSpec, conv_net, init_conv_net, layer_shapes
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.batch_norm import batch_norm, init_batch_norm
from jlr.nn.conv import conv2d
from jlr.nn.dropout import dropout
from jlr.nn.layer_norm import init_layer_norm, layer_norm
from jlr.nn.linear import linear
from jlr.nn.losses import accuracy, softmax_cross_entropy
from jlr.nn.pooling import global_avg_pool, max_pool2d
from jlr.nn.receptive_field import receptive_field
from jlr.nn.regularization import l2_penalty
from jlr.optim import GradientTransformation, adam, adamw, apply_updates, chain, sgd
from jlr.train import init_train_state, make_multi_step, make_train_step

key_names = [
    "seeds", "batches", "purity_chance", "bn_flax", "bn_batchmates", "ln_flax", "ln_batch",
    "dropout_x", "dropout_masks", "decay_init", "decay_batches",
]  # fmt: skip
keys = dict(zip(key_names, jax.random.split(root_key(), len(key_names)), strict=True))

digits = load_digits()  # 8x8 images in [0, 1], a stratified 80/20 split
train_data = {"x": jnp.asarray(digits.x_train)[..., None], "y": jnp.asarray(digits.y_train)}
x_test, y_test = jnp.asarray(digits.x_test)[..., None], jnp.asarray(digits.y_test)
labels_test = np.asarray(digits.y_test)
print(f"digits: train {train_data['x'].shape}, test {x_test.shape}")

# %% [markdown]
# ## The network and its training runs
#
# One small CNN serves the whole lesson, the baseline of `jlr run vision-ablation` on
# digits: two blocks of $3 \times 3$ convolution, ReLU and $2 \times 2$ max pooling (16 then
# 32 channels), global average pooling and a linear classifier. Its twin with **batch
# norm** after each convolution (section 2) differs in that one respect. Both are trained
# with Adam for 300 steps of 64 examples, over `N_SEEDS` seeds. Seed $i$ of both networks
# starts from the same convolution and classifier weights (`init_conv_net` draws them from
# the same key) and sees the same minibatches: the two arms are **paired** by seed, which
# section 5 uses. Reusing a seed's keys across the two arms is deliberate (common random
# numbers); within a run every key is used once.
#
# `train` is one run, compiled once per architecture and called once per seed (and later
# per learning rate, which is an argument, so no recompilation).

# %%
N_SEEDS, N_STEPS, BATCH, LR = 8, 300, 64, 3e-3
specs = {
    norm: ConvNetSpec(input_shape=(8, 8, 1), channels=(16, 32), norm=norm, pool="max", head="gap")
    for norm in ("none", "batch")
}
for name, shape in layer_shapes(specs["none"], batch=BATCH):
    print(f"  {name:10s} {shape}")


def make_trainer(spec):
    """train(seed_key, rows, lr) -> (params, model_state, losses (N_STEPS,), test accuracy)."""

    def loss_fn(params, model_state, batch, key):
        logits, new_state = conv_net(params, model_state, batch["x"], spec, train=True)
        return jnp.mean(softmax_cross_entropy(logits, batch["y"])), ({}, new_state)

    @jax.jit
    def train(seed_key, rows, lr):
        init_key, step_key = jax.random.split(seed_key)
        optimizer = adam(lr)
        params, model_state = init_conv_net(init_key, spec)
        state = init_train_state(params, optimizer, step_key, model_state=model_state)
        steps = make_multi_step(make_train_step(loss_fn, optimizer, has_state=True))
        state, metrics = steps(state, train_data, rows)  # rows: (N_STEPS, BATCH)
        logits, _ = conv_net(state.params, state.model_state, x_test, spec)  # eval mode
        return state.params, state.model_state, metrics["loss"], accuracy(logits, y_test)

    return train


def stack(runs):
    """A list of per-seed pytrees -> one pytree with a leading seed axis."""
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *runs)


def mosaic(images, n_cols, pad=1):
    """Tile images (n, h, w) into one picture, n_cols per row, NaN (blank) between tiles."""
    n, h, w = images.shape
    n_rows = -(-n // n_cols)
    canvas = np.full((n_rows * (h + pad) - pad, n_cols * (w + pad) - pad), np.nan)
    for i, image in enumerate(np.asarray(images)):
        top, left = (i // n_cols) * (h + pad), (i % n_cols) * (w + pad)
        canvas[top : top + h, left : left + w] = image
    return canvas


trainers = {norm: make_trainer(spec) for norm, spec in specs.items()}
seed_keys = jax.random.split(keys["seeds"], N_SEEDS)
rows = jax.random.randint(keys["batches"], (N_SEEDS, N_STEPS, BATCH), 0, len(digits.y_train))
arms = {
    norm: stack([trainers[norm](seed_keys[i], rows[i], LR) for i in range(N_SEEDS)])
    for norm in specs
}  # norm -> (params, model_state, losses, test accuracy), every leaf (N_SEEDS, ...)
test_acc = {norm: np.asarray(arms[norm][3]) for norm in specs}
for norm, acc in test_acc.items():
    print(f"norm={norm:5s} test accuracy per seed {np.round(acc, 3)}")
assert test_acc["none"].mean() > 0.9  # chance is 0.1
# the pairing: seed 0's init key (re-derived) gives both networks the same conv and head weights
init_key0 = jax.random.split(seed_keys[0])[0]
start_none, start_bn = (init_conv_net(init_key0, specs[norm])[0] for norm in specs)
assert all(np.array_equal(a, b) for a, b in zip(
    jax.tree.leaves((start_none["convs"], start_none["head"])),
    jax.tree.leaves((start_bn["convs"], start_bn["head"])), strict=True))  # fmt: skip

# %% [markdown]
# ## 1. Feature hierarchies in CNNs
#
# A CNN computes features of features. A unit of the first convolution sees a $3 \times 3$
# patch; after a $2 \times 2$ pooling, a unit of the second convolution sees an
# $8 \times 8$ patch, the whole digit here (receptive fields, lesson 06). So the first
# layer can only respond to local strokes, and later layers to arrangements of strokes:
# parts and whole digits. To look inside, the lesson writes the network out layer by layer,
# keeping every activation, and checks it against `conv_net`:

# %%
first, second = (3, 1, 1, 1), (3, 1, 1, 1)  # (kernel, stride, dilation, low padding)
pool = (2, 2, 1, 0)
for name, layers in [("conv 0", [first]), ("conv 1", [first, pool, second])]:
    print(f"{name}: receptive field {receptive_field(layers).size} pixels wide")
assert receptive_field([first, pool, second]).size == 8


def layer_activations(params, x):
    """The baseline CNN written out: x (batch, 8, 8, 1) -> {layer name: its activation}."""
    conv0 = jax.nn.relu(conv2d(params["convs"][0], x))  # (batch, 8, 8, 16)
    conv1 = jax.nn.relu(conv2d(params["convs"][1], max_pool2d(conv0, 2)))  # (batch, 4, 4, 32)
    pooled = global_avg_pool(max_pool2d(conv1, 2))  # (batch, 32)
    return {"conv 0": conv0, "conv 1": conv1, "logits": linear(params["head"], pooled)}


params_none = arms["none"][0]  # every leaf (N_SEEDS, ...)


@jax.jit
def activations_and_reference(params):
    """Every seed's activations on the test set, and conv_net's logits to check them."""
    acts = jax.vmap(layer_activations, in_axes=(0, None))(params, x_test)
    reference = jax.vmap(lambda p: conv_net(p, {}, x_test, specs["none"])[0])(params)
    return acts, reference


with jax.default_matmul_precision("highest"):
    acts, reference = activations_and_reference(params_none)  # {name: (N_SEEDS, n_test, ...)}
assert np.allclose(acts["logits"], reference, atol=1e-5)
seed0 = jax.tree.map(lambda leaf: leaf[0], params_none)  # the figures show seed 0

# %% [markdown]
# **First-layer filters.** Each of the 16 filters is a $3 \times 3$ template that the layer
# slides over the image, responding where a patch matches it (red weights on ink, blue off
# ink). On 8x8 digits, where a stroke is one or two pixels wide, they are small edge and
# stroke detectors. The activation maps below show where each unit fired on one test digit:
# the first layer's maps are still pictures of the digit, the second layer's are coarser
# and more specific.

# %%
filters = np.moveaxis(np.asarray(seed0["convs"][0]["w"][:, :, 0, :]), -1, 0)  # (16, 3, 3)
limit = np.abs(filters).max()
fig, ax = plt.subplots(figsize=(8, 2.4), layout="constrained")
ax.imshow(mosaic(filters, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
ax.set(xticks=[], yticks=[], title="the 16 first-layer filters, 3x3 (seed 0; red > 0, blue < 0)")
show("first-layer-filters")

example = 0
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), layout="constrained",
                         gridspec_kw={"width_ratios": [1, 3.2, 2.6]})  # fmt: skip
axes[0].imshow(np.asarray(x_test[example, :, :, 0]), cmap="gray_r")
axes[0].set_title(f"test digit ({labels_test[example]})")
for ax, name, n_cols in [(axes[1], "conv 0", 8), (axes[2], "conv 1", 8)]:
    maps = np.moveaxis(np.asarray(acts[name][0, example]), -1, 0)  # (units, h, w)
    ax.imshow(mosaic(maps, n_cols), cmap="magma")
    ax.set_title(f"{name}: {maps.shape[0]} units, {maps.shape[1]}x{maps.shape[2]} maps")
for ax in axes:
    ax.set(xticks=[], yticks=[])
show("activation-maps")

# %% [markdown]
# **Maximally activating examples.** A unit's response to an image is its largest
# activation over the positions (`unit_responses`); its **top-$k$ examples** are the $k$
# test digits with the largest responses (`top_k_examples`). If the unit detects something
# that belongs to one digit class, its top examples share a label: the **class purity** of
# the top $k$ is the share of the most common label among them (`top_k_purity`). A purity
# near 1 means a class detector; with labels assigned at random it would be about the
# chance level printed below (computed by shuffling the labels). We measure the mean
# purity of each layer's units for every seed, with the logits (one unit per class) as the
# last "layer".

# %%
K = 10
layer_names = ["conv 0", "conv 1", "logits"]


@jax.jit
def mean_purity(acts, labels):
    """layer -> (N_SEEDS,): the mean top-K purity of the layer's units, per seed."""

    def one_seed(a):  # a: (n_test, *spatial, units)
        return top_k_purity(top_k_examples(unit_responses(a), K), labels, 10).mean()

    return {name: jax.vmap(one_seed)(acts[name]) for name in layer_names}


purity = jax.tree.map(np.asarray, mean_purity(acts, y_test))
shuffles = jax.random.split(keys["purity_chance"], 20)  # 20 random labelings
chance = np.mean([mean_purity(acts, jax.random.permutation(k, y_test))["conv 1"].mean()
                  for k in shuffles])  # fmt: skip
for name in layer_names:
    print(f"{name:7s} top-{K} purity per seed {np.round(purity[name], 2)}")
print(f"chance (shuffled labels): {chance:.2f}")


def lower_bound(values):
    """mean - 3 standard errors over seeds: > 0 means positive beyond seed noise."""
    return values.mean() - 3 * values.std(ddof=1) / np.sqrt(len(values))


assert lower_bound(purity["conv 0"] - chance) > 0  # even strokes prefer some digits
assert lower_bound(purity["conv 1"] - purity["conv 0"]) > 0.05  # purer with depth
assert lower_bound(purity["logits"] - purity["conv 1"]) > 0.05

fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
for s in range(N_SEEDS):
    ax.plot(layer_names, [purity[name][s] for name in layer_names], "o-", color="C0", alpha=0.4)
ax.axhline(chance, color="gray", ls="--", label="shuffled labels")
ax.set(ylabel=f"top-{K} class purity", ylim=(0, 1.05), title="class purity of units, per seed")
ax.legend()
show("purity-by-layer")

# %% [markdown]
# Averaged over seeds, purity rises with depth, beyond three standard errors: first-layer
# units respond to strokes that many digits share (still above chance: a stroke is more
# common in some digits), the second layer's units are more specific, and the logits are
# class detectors by construction. Here are the top examples of the first four units of each conv layer:

# %%
shown = [("conv 0", unit) for unit in range(4)] + [("conv 1", unit) for unit in range(4)]
tops = [np.asarray(top_k_examples(unit_responses(acts[name][0]), 8)[unit]) for name, unit in shown]
fig, ax = plt.subplots(figsize=(6.5, 6.8), layout="constrained")
ax.imshow(mosaic(np.asarray(x_test[np.concatenate(tops), :, :, 0]), 8), cmap="gray_r")
for row, top in enumerate(tops):
    for col, index in enumerate(top):
        ax.text(9 * col, 9 * row - 0.1, str(labels_test[index]), color="C3", fontsize=8, va="top")
ax.set(xticks=[], yticks=9 * np.arange(8) + 3.5,
       yticklabels=[f"{name} unit {unit}" for name, unit in shown],
       title="top-8 test digits of 8 units (labels in red)")  # fmt: skip
show("top-k-examples")

# %% [markdown]
# **Activation maximization.** Instead of searching the data set, ask the network which
# input it likes best: start from the average training image of a class and follow the
# gradient of that class's logit with respect to the *input*, clipping the pixels to
# $[0, 1]$ after every step (`maximize_input`, projected gradient ascent). The result is
# not a cleaner digit: it is whatever pattern of pixels drives the unit hardest, which
# for a network that never saw anything but digits includes strokes no digit has. It
# drives the logit far above the class's average test digit (asserted for every class
# and seed) and, for nearly every class and seed, above the *best* test digit of that
# class. A fixed-step ascent on a piecewise-linear ReLU network is not guaranteed to find
# the maximum, so that one is asserted as a share.


# %%
def class_logit(params, c):
    return lambda image: conv_net(params, {}, image[None], specs["none"])[0][0, c]


class_means = jnp.stack([train_data["x"][train_data["y"] == c].mean(axis=0) for c in range(10)])


@jax.jit
def dream(params):
    """Climb each class logit from its class's mean image: (10, 8, 8, 1) inputs, logits."""
    images = jax.vmap(
        lambda c: maximize_input(class_logit(params, c), class_means[c], lr=0.1, n_steps=200)[0]
    )(jnp.arange(10))  # (10, 8, 8, 1)
    return images, conv_net(params, {}, images, specs["none"])[0]  # logits (10, 10)


dreams = [dream(jax.tree.map(lambda leaf, s=s: leaf[s], params_none)) for s in range(N_SEEDS)]
dream_logits = np.stack([np.diag(np.asarray(logits)) for _, logits in dreams])  # (N_SEEDS, 10)
predicted = np.stack([np.asarray(logits.argmax(-1)) for _, logits in dreams])
test_logits = np.asarray(acts["logits"])  # (N_SEEDS, n_test, 10)
of_class = labels_test[None, :, None] == np.arange(10)  # (1, n_test, 10): digit i is class c
best_real = np.where(of_class, test_logits, -np.inf).max(axis=1)  # (N_SEEDS, 10)
mean_real = (test_logits * of_class).sum(axis=1) / of_class.sum(axis=1)
beats_best = (dream_logits > best_real).mean()
print(f"class logit, seed 0: synthesized      {np.round(dream_logits[0], 1)}\n"
      f"                     best test digit  {np.round(best_real[0], 1)}\n"
      f"                     mean test digit  {np.round(mean_real[0], 1)}")  # fmt: skip
print(f"above the best test digit of its class: {beats_best:.0%} of {dream_logits.size} "
      f"(seed, class) pairs; classified as its class: {(predicted == np.arange(10)).mean():.0%}")  # fmt: skip
assert np.all(dream_logits > mean_real + 2.0)
assert beats_best >= 0.9 and (predicted == np.arange(10)).mean() >= 0.9

fig, axes = plt.subplots(2, 10, figsize=(10, 2.6), layout="constrained")
for c in range(10):
    for row, image in enumerate([class_means[c], dreams[0][0][c]]):
        axes[row, c].imshow(np.asarray(image[:, :, 0]), cmap="gray_r", vmin=0, vmax=1)
        axes[row, c].set(xticks=[], yticks=[])
    axes[0, c].set_title(f"class {c}")
axes[0, 0].set_ylabel("start:\nclass mean", fontsize=8)
axes[1, 0].set_ylabel("after 200\nascent steps", fontsize=8)
fig.suptitle("inputs that maximize each class logit (seed 0)")
show("activation-maximization")

# %% [markdown]
# ## 2. Batch normalization
#
# Batch norm (Ioffe & Szegedy 2015) standardizes each channel over the batch and, in a
# CNN, over every position: for a batch $x$ of shape `(batch, height, width, channels)`,
# per channel $c$,
#
# $$ \mu_c = \operatorname{mean}_{n,h,w}\, x_{nhwc}, \qquad
#    \sigma^2_c = \operatorname{mean}_{n,h,w}\, (x_{nhwc} - \mu_c)^2, \qquad
#    y = \gamma_c \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c, $$
#
# with the biased variance (divided by the count, not count $- 1$) and trainable scale
# $\gamma$ and shift $\beta$. Those are the **train-mode** statistics, of the batch itself.
# A prediction must not depend on which other examples share its batch, so **eval mode**
# uses running averages instead, updated at every training step,
#
# $$ \bar\mu \leftarrow m\, \bar\mu + (1 - m)\, \mu, \qquad
#    \bar\sigma^2 \leftarrow m\, \bar\sigma^2 + (1 - m)\, \sigma^2 \qquad (m = 0.9), $$
#
# (flax's convention; PyTorch's `momentum` is our $1 - m$, and PyTorch keeps the unbiased
# variance in its running average). The running averages are not trained by gradients: in
# `jlr.nn.batch_norm` they are **model state**, returned next to the parameters by
# `init_batch_norm` and carried by the training loop (`TrainState.model_state`), not in
# `params`. First, `batch_norm` against `flax.linen.BatchNorm`, for four training steps
# (each updating the running averages) and then in eval mode:

# %%
flax_bn = fnn.BatchNorm(momentum=0.9, epsilon=1e-5)


@partial(jax.jit, static_argnames="train")
def bn_step_gap(params, state, flax_stats, x, train):
    """One step of jlr's and flax's batch norm; the largest gap in outputs and statistics."""
    y, state = batch_norm(params, state, x, train=train)
    y_flax, updated = flax_bn.apply({"params": params, "batch_stats": flax_stats}, x,
                                    use_running_average=not train, mutable=["batch_stats"])  # fmt: skip
    flax_stats = updated["batch_stats"]
    gaps = [jnp.abs(y - y_flax).max()] + [jnp.abs(state[k] - flax_stats[k]).max() for k in state]
    return state, flax_stats, jnp.max(jnp.stack(gaps))


bn_params, bn_state = init_batch_norm(16)  # state: {"mean": zeros, "var": ones}
assert set(bn_params) == {"scale", "bias"} and set(bn_state) == {"mean", "var"}
bn_params = {"scale": jnp.linspace(0.5, 2.0, 16), "bias": jnp.linspace(-1.0, 1.0, 16)}
flax_stats, gaps = bn_state, []
with jax.default_matmul_precision("highest"):
    for step in range(5):  # four training steps, then one evaluation
        x_key = jax.random.fold_in(keys["bn_flax"], step)
        x = 3.0 * jax.random.normal(x_key, (32, 8, 8, 16)) + step  # a new mean every step
        bn_state, flax_stats, gap = bn_step_gap(bn_params, bn_state, flax_stats, x, step < 4)
        gaps.append(float(gap))
print("max |jlr - flax| per step (4 train, 1 eval):", np.array2string(np.array(gaps), precision=1))
print(f"running mean after 4 steps: {np.round(np.asarray(bn_state['mean'][:4]), 3)} ...")
assert max(gaps) < 1e-5

# %% [markdown]
# **What batch norm does to training.** Standardizing every channel keeps the inputs of each
# layer at a fixed scale whatever the weights before it do, so the optimizer can take
# larger steps without activations blowing up or dying. Below: the training loss of the two
# arms (mean over seeds, band = min to max), and a learning-rate sweep, each rate over
# three seeds, reading the training loss of the last 50 steps.

# %%
losses = {norm: np.asarray(arms[norm][2]) for norm in specs}  # (N_SEEDS, N_STEPS)
early = {norm: losses[norm][:, 50:100].mean(axis=1) for norm in specs}  # per seed
print(f"mean training loss over steps 50-100 (lr {LR}): "
      + ", ".join(f"{norm} {early[norm].mean():.3f}" for norm in specs))  # fmt: skip
assert lower_bound(early["none"] - early["batch"]) > 0  # batch norm trains faster

sweep_lrs = [LR, 3e-2, 1e-1]
n_sweep = 3  # seeds per rate; LR reuses the first 3 seeds of the arms
final = {norm: {LR: losses[norm][:n_sweep, -50:].mean(axis=1)} for norm in specs}
for lr in sweep_lrs[1:]:
    for norm in specs:
        runs = [trainers[norm](seed_keys[i], rows[i], lr)[2] for i in range(n_sweep)]
        final[norm][lr] = np.array([float(run[-50:].mean()) for run in runs])
for lr in sweep_lrs:
    print(f"lr {lr:<6g} final training loss  none {np.round(final['none'][lr], 3)}  "
          f"batch {np.round(final['batch'][lr], 3)}")  # fmt: skip
top_lr = sweep_lrs[-1]
assert np.all(final["batch"][top_lr] < 0.2)  # batch norm still trains at lr 0.1 ...
assert final["none"][top_lr].mean() > 3 * final["batch"][top_lr].mean()  # ... without it, not

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), layout="constrained")
for norm, color in [("none", "C0"), ("batch", "C1")]:
    axes[0].plot(losses[norm].mean(0), color=color, label=f"norm={norm}")
    axes[0].fill_between(np.arange(N_STEPS), losses[norm].min(0), losses[norm].max(0),
                         color=color, alpha=0.2)  # fmt: skip
    for lr in sweep_lrs:
        axes[1].plot([lr] * n_sweep, final[norm][lr], "o", color=color, alpha=0.6)
    axes[1].plot(sweep_lrs, [final[norm][lr].mean() for lr in sweep_lrs], color=color,
                 label=f"norm={norm}")  # fmt: skip
axes[0].set(yscale="log", xlabel="step", ylabel="training loss", title=f"Adam, lr {LR}")
axes[1].set(xscale="log", yscale="log", xlabel="learning rate",
            ylabel="training loss, last 50 steps", title="learning-rate sweep")  # fmt: skip
axes[0].legend()
axes[1].legend()
show("batch-norm-training")

# %% [markdown]
# With batch norm the loss falls faster early on (steps 50 to 100, asserted on the paired
# seeds), and at the largest rate, 0.1, batch norm's network trains on every seed while
# the one without it ends several times higher (a run that stalls sits at
# $\log 10 \approx 2.30$, the loss of a uniform guess). That is the robust part of the folklore; *why* batch norm helps is debated:
# the original "internal covariate shift" story has been challenged, and Santurkar et al.
# (2018) argue that it makes the loss landscape smoother.
#
# **The running averages estimate the population statistics.** After training, the running
# mean and variance of the first batch-norm layer should match the mean and variance of its
# input over the whole training set, computed with the final weights:

# %%
params_bn, state_bn = arms["batch"][0], arms["batch"][1]
pre_bn = jax.jit(jax.vmap(lambda p: conv2d(p["convs"][0], train_data["x"])))(params_bn)
population_mean = np.asarray(pre_bn.mean(axis=(1, 2, 3)))  # (N_SEEDS, 16)
population_var = np.asarray(pre_bn.var(axis=(1, 2, 3)))
running = jax.tree.map(np.asarray, state_bn["norms"][0])
mean_error = np.abs(running["mean"] - population_mean) / np.sqrt(population_var)
var_ratio = running["var"] / population_var
print(f"|running mean - population mean| / population std: max {mean_error.max():.3f}; "
      f"running var / population var in [{var_ratio.min():.3f}, {var_ratio.max():.3f}]")  # fmt: skip
assert mean_error.max() < 0.15 and np.all(np.abs(var_ratio - 1) < 0.15)

# %% [markdown]
# **Two classic bugs.** (1) *Evaluating in train mode.* Then a prediction depends on the
# rest of its batch, and with a batch of one example the statistics are those of a single
# image: the network sees inputs normalized in a way it never saw in training. (2)
# *Forgetting to update the state*: training in train mode but never storing the new
# running averages, so eval mode normalizes with the initial $\bar\mu = 0$,
# $\bar\sigma^2 = 1$. Both fail silently (no error, just worse predictions). Measured on
# every seed, on the first 300 test digits:

# %%
N_EVAL = 300  # the first 300 test digits: divisible by every batch size below
x_eval, y_eval = x_test[:N_EVAL], y_test[:N_EVAL]
eval_logits = jax.jit(lambda p, s, images: conv_net(p, s, images, specs["batch"])[0])


@partial(jax.jit, static_argnames="batch_size")
def train_mode_logits(p, s, images, batch_size):
    """Logits of images (N_EVAL, 8, 8, 1) fed to the network in train mode, batch_size at a time."""
    chunks = images.reshape(-1, batch_size, 8, 8, 1)  # (N_EVAL / batch_size, batch_size, 8, 8, 1)
    logits = jax.vmap(lambda x: conv_net(p, s, x, specs["batch"], train=True)[0])(chunks)
    return logits.reshape(N_EVAL, 10)


stale_state = {"norms": [init_batch_norm(c)[1] for c in specs["batch"].channels]}  # mean 0, var 1
eval_sizes = (1, 10)
bn_acc = {name: [] for name in ["eval", "stale", *(f"train {b}" for b in eval_sizes)]}
for i in range(N_SEEDS):
    p, s = jax.tree.map(lambda leaf, i=i: leaf[i], (params_bn, state_bn))
    bn_acc["eval"].append(accuracy(eval_logits(p, s, x_eval), y_eval))
    bn_acc["stale"].append(accuracy(eval_logits(p, stale_state, x_eval), y_eval))
    for b in eval_sizes:
        bn_acc[f"train {b}"].append(accuracy(train_mode_logits(p, s, x_eval, b), y_eval))
bn_acc = {name: np.array(values) for name, values in bn_acc.items()}  # name -> (N_SEEDS,)
acc_eval, acc_stale = bn_acc["eval"], bn_acc["stale"]
print(f"eval mode (running averages)       {np.round(acc_eval, 3)}")
print(f"train mode, batches of 10          {np.round(bn_acc['train 10'], 3)}")
print(f"train mode, one example at a time  {np.round(bn_acc['train 1'], 3)}")
print(f"eval mode, state never updated     {np.round(acc_stale, 3)}")
assert lower_bound(acc_eval - bn_acc["train 1"]) > 0.1
assert lower_bound(bn_acc["train 10"] - bn_acc["train 1"]) > 0.05
assert lower_bound(acc_eval - acc_stale) > 0.2

# in train mode a prediction changes with its batchmates; in eval mode it does not
reshuffled = x_eval.at[1:].set(jnp.roll(x_eval[1:], 5, axis=0))  # image 0 keeps its place
p, s = jax.tree.map(lambda leaf: leaf[0], (params_bn, state_bn))
change = {
    "train": float(jnp.abs(train_mode_logits(p, s, x_eval, 10)[0]
                           - train_mode_logits(p, s, reshuffled, 10)[0]).max()),
    "eval": float(jnp.abs(eval_logits(p, s, x_eval)[0] - eval_logits(p, s, reshuffled)[0]).max()),
}  # fmt: skip
print(f"change of image 0's logits when its 9 batchmates change: {change}")
assert change["eval"] == 0.0 and change["train"] > 1e-2

fig, ax = plt.subplots(figsize=(6.5, 3.2), layout="constrained")
bars = {"eval mode": acc_eval, "train mode,\nbatches of 10": bn_acc["train 10"],
        "train mode,\nbatch of 1": bn_acc["train 1"], "eval mode, state\nnever updated": acc_stale}  # fmt: skip
ax.bar(list(bars), [v.mean() for v in bars.values()], color=["C1", "C0", "C0", "C3"])
for i, values in enumerate(bars.values()):
    ax.plot([i] * N_SEEDS, values, "k.", alpha=0.6)  # one dot per seed
ax.set(ylabel="test accuracy", ylim=(0, 1), title="batch norm evaluated right and wrong")
show("batch-norm-bugs")

# %% [markdown]
# In train mode a batch of 10 already does far better than a batch of 1, since a larger
# batch's statistics are closer to the population's, but only eval mode gives one
# example a prediction of its own. The running averages belong in checkpoints (JLR saves `model_state` with the
# weights), or a resumed run would evaluate with stale statistics: bug (2) again.
#
# ## 3. Layer normalization
#
# Layer norm (Ba et al. 2016) computes the same standardization over the *features of one
# example* instead of over the batch: for a token $x \in \mathbb{R}^{d}$ (`d_model`
# features), $\mu = \frac1d \sum_j x_j$, $\sigma^2 = \frac1d \sum_j (x_j - \mu)^2$ and
# $y = \gamma \odot (x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta$. It has no running
# averages: train and eval mode are the same function. `jlr.nn.layer_norm` against
# `flax.linen.LayerNorm` on a batch of sequences `(batch, seq, d_model)`:

# %%
ln_x_key, ln_scale_key, ln_bias_key = jax.random.split(keys["ln_flax"], 3)
tokens = 2.0 * jax.random.normal(ln_x_key, (4, 10, 32)) + 1.0  # (batch, seq, d_model)
ln_params = {
    "scale": 1.0 + 0.3 * jax.random.normal(ln_scale_key, (32,)),
    "bias": 0.5 * jax.random.normal(ln_bias_key, (32,)),
}
with jax.default_matmul_precision("highest"):
    ln_ours, ln_flax = jax.jit(lambda p, x: (
        layer_norm(p, x), fnn.LayerNorm(epsilon=1e-5).apply({"params": p}, x)))(ln_params, tokens)  # fmt: skip
ln_gap = float(jnp.abs(ln_ours - ln_flax).max())
print(f"max |jlr - flax| layer norm: {ln_gap:.1e}")
assert ln_gap < 1e-5
assert set(init_layer_norm(32)) == {"scale", "bias"}  # params only: no state to carry

# %% [markdown]
# **Why transformers use layer norm and CNNs batch norm.** Layer norm's statistics belong to
# one token, so its output does not depend on the rest of the batch, nor on the other
# positions of the sequence: it works at batch size 1 (generating one token at a time) and
# with padded sequences of different lengths, and needs no running averages. Batch norm
# over tokens would average position $t$ of one sentence with padding of another, and with
# a single token its output is just $\beta$, whatever the token. Measured: the change in
# one sequence's output when the rest of its batch changes, and when its padding changes
# (positions 6 to 9 of a 6-token sequence), with batch norm taking statistics over batch
# and positions per feature, as for images:


# %%
def bn_over_tokens(x):
    """Batch norm of (batch, seq, d_model), train mode: statistics over batch and seq."""
    return batch_norm(ln_params, init_batch_norm(32)[1], x, train=True)[0]


normalizers = {"layer norm": lambda x: layer_norm(ln_params, x), "batch norm": bn_over_tokens}


@jax.jit
def batch_dependence(tokens, other):
    """For each normalizer, the largest change of sequence 0's six real tokens when its
    batchmates, or its padding (positions 6..9), are replaced by `other`'s."""
    new_batchmates = tokens.at[1:].set(other[1:])
    new_padding = tokens.at[0, 6:].set(other[0, 6:])
    return {
        name: {
            "batchmates": jnp.abs(f(tokens)[0, :6] - f(new_batchmates)[0, :6]).max(),
            "padding": jnp.abs(f(tokens)[0, :6] - f(new_padding)[0, :6]).max(),
        }
        for name, f in normalizers.items()
    }


other = jax.random.normal(keys["ln_batch"], tokens.shape)
dependence = jax.tree.map(float, batch_dependence(tokens, other))
for name, changes in dependence.items():
    print(f"{name}: max change of sequence 0's real tokens {changes}")
one_token = bn_over_tokens(tokens[:1, :1])  # one example, one token
print(f"batch norm of one token is its bias: {bool(jnp.allclose(one_token, ln_params['bias']))}")
assert dependence["layer norm"] == {"batchmates": 0.0, "padding": 0.0}
assert min(dependence["batch norm"].values()) > 1e-2
assert jnp.allclose(one_token[0, 0], ln_params["bias"], atol=1e-6)
assert jnp.allclose(layer_norm(ln_params, tokens[:1]), ln_flax[:1], atol=1e-5)  # batch of 1
print(f"in the CNN's first layer, batch norm averages {BATCH} x 8 x 8 = {BATCH * 8 * 8} numbers "
      "per channel (batch x height x width)")  # fmt: skip

fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
width = 0.35
for i, name in enumerate(normalizers):
    values = [max(dependence[name][k], 1e-8) for k in ("batchmates", "padding")]
    ax.bar(np.arange(2) + i * width, values, width, label=name)
ax.set(xticks=np.arange(2) + width / 2, xticklabels=["other batchmates", "other padding"],
       yscale="log", ylabel="max change of the output", title="0 shown as 1e-8")  # fmt: skip
ax.legend()
show("layer-norm-batch-independence")

# %% [markdown]
# In a CNN the trade goes the other way. Batch norm averages each channel over the batch
# *and* every position (the count for our network's first layer is printed above), so its
# statistics average many numbers even for small batches, and the noise of batch
# statistics is often credited with a mild regularizing effect; the images of a batch have
# the same size, with no padding to leak in. Layer norm over the channels of one pixel
# works too (`ConvNetSpec(norm="layer")` normalizes the `channels` axis at each position),
# and the ablation project compares the two on the same network:
# `jlr run vision-ablation --set ablations=bn,ln`.
#
# ## 4. Regularization: dropout and weight decay
#
# **Dropout** (Srivastava et al. 2014) zeroes each unit with probability $p$ during
# training. *Inverted* dropout also divides the survivors by the keep probability $1 - p$,
#
# $$ y = \frac{m \odot x}{1 - p}, \qquad m_i \sim \text{Bernoulli}(1 - p), \qquad
#    \mathbb{E}[y] = x, \qquad \operatorname{Var}[y_i] = x_i^2 \frac{p}{1 - p}, $$
#
# so the expected activation is unchanged and evaluation is simply the identity (no key,
# no mask, no rescaling). We check the expectation statistically: average $n$ independent
# dropout draws of the same $x$; each element's sample mean has standard error
# $|x_i| \sqrt{p / (1 - p) / n}$, so $z_i = (\bar y_i - x_i) / \text{SE}_i$ should look like
# a standard normal: mean of $z^2$ close to 1 (within $5 \sqrt{2 / d}$ for $d$ elements)
# and no $|z_i|$ beyond 5.5. Forgetting the rescaling gives $\mathbb{E}[y] = (1 - p) x$:

# %%
drop_prob, n_draws = 0.3, 4000
x_drop = jax.random.uniform(keys["dropout_x"], (1000,), minval=0.5, maxval=2.0)
mask_keys = jax.random.split(keys["dropout_masks"], n_draws)
draws = jax.jit(jax.vmap(lambda k: dropout(x_drop, drop_prob, key=k)))(mask_keys)  # (n, 1000)
kept = draws != 0
unscaled = jnp.where(kept, x_drop, 0.0)  # the same masks, without dividing by 1 - p
se = np.asarray(jnp.abs(x_drop)) * np.sqrt(drop_prob / (1 - drop_prob) / n_draws)
z = {name: (np.asarray(y.mean(axis=0)) - np.asarray(x_drop)) / se
     for name, y in [("inverted", draws), ("not rescaled", unscaled)]}  # fmt: skip
margin = 5 * np.sqrt(2 / x_drop.size)
for name, values in z.items():
    print(f"{name:12s} mean z^2 {np.mean(values**2):8.2f}   max |z| {np.abs(values).max():6.1f}")
print(f"dropped fraction {1 - float(kept.mean()):.4f} (drop_prob {drop_prob})")
assert abs(np.mean(z["inverted"] ** 2) - 1) < margin and np.abs(z["inverted"]).max() < 5.5
assert np.abs(z["not rescaled"]).min() > 5.5  # every element's mean is off
assert np.array_equal(dropout(x_drop, drop_prob, key=None), x_drop)  # eval: the identity

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.hist(z["inverted"], bins=40, density=True, alpha=0.7, label="inverted dropout")
grid_z = np.linspace(-4, 4, 200)
ax.plot(grid_z, stats.norm.pdf(grid_z), "k--", label="standard normal")
ax.axvline(np.median(z["not rescaled"]), color="C3",
           label=f"not rescaled: median z = {np.median(z['not rescaled']):.0f}")  # fmt: skip
ax.set(xlabel="z = (mean of draws - x) / SE", xlim=(-5, 5), title=f"{n_draws} draws, p={drop_prob}")
ax.legend(fontsize=8)
show("dropout-expectation")

# %% [markdown]
# (The "not rescaled" line sits far off the axis, around $z \approx -x \cdot p /
# \text{SE}$.) In `jlr.models.cnn` dropout acts before the dense layers (`drop_prob` in
# `ConvNetSpec`); convolution layers share each weight over all positions and are usually
# regularized by batch norm and data augmentation instead.
#
# **Weight decay** shrinks the weights toward 0 at every step. There are two ways to write
# it. As an **L2 penalty in the loss**, $L(\theta) + \frac{\lambda}{2}\lVert\theta\rVert^2$
# (`l2_penalty`), whose gradient adds $\lambda\theta$ to the gradient; or **decoupled**, as
# a separate step $\theta \leftarrow \theta - \eta\lambda\theta$ after the optimizer's
# (AdamW, Loshchilov & Hutter 2019). For plain SGD the two are the same update,
# $\theta - \eta(g + \lambda\theta)$. For Adam they are not: the L2 gradient $\lambda\theta$
# goes through the moments and is divided by $\sqrt{\hat v} + \epsilon$ like the rest of
# the gradient, while AdamW shrinks every weight by the same factor $1 - \eta\lambda$ per
# step. SGD with momentum differs too: the L2 term accumulates in the velocity like the
# gradient, which multiplies its effect by up to $1/(1 - \beta)$. We train an MLP
# (64-64-10) on digits from the same start on the same minibatches with each pair, and
# follow the distance between the two runs of a pair, relative to the size of the weights:


# %%
def decoupled_decay(lr, weight_decay) -> GradientTransformation:
    """Adds -lr * weight_decay * params to the updates: decoupled weight decay, on its own."""

    def update(updates, state, params):
        return jax.tree.map(lambda u, p: u - lr * weight_decay * p, updates, params), state

    return GradientTransformation(lambda params: (), update)


WD = 0.05
decay_params = init_mlp(keys["decay_init"], (64, 64, 10))
decay_rows = jax.random.randint(keys["decay_batches"], (N_STEPS, BATCH), 0, len(digits.y_train))
flat_x = train_data["x"].reshape(-1, 64)  # (n_train, 64)


def mlp_loss(params, rows, l2):
    logits = mlp(params, flat_x[rows])  # (BATCH, 10)
    return jnp.mean(softmax_cross_entropy(logits, train_data["y"][rows])) + l2 * l2_penalty(params)


def trajectory_of(optimizer, l2):
    """Train from decay_params: (flat weights after every step (N_STEPS, n_params), opt state)."""

    def step(carry, rows):
        params, opt_state = carry
        grads = jax.grad(mlp_loss)(params, rows, l2)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = apply_updates(params, updates)
        return (params, opt_state), ravel_pytree(params)[0]

    carry = (decay_params, optimizer.init(decay_params))
    (params, opt_state), path = jax.lax.scan(step, carry, decay_rows)
    return path, opt_state


pairs = {  # name: (optimizer with L2 in the loss, optimizer with decoupled decay)
    "SGD": (sgd(0.1), chain(sgd(0.1), decoupled_decay(0.1, WD))),
    "SGD + momentum": (sgd(0.05, 0.9), chain(sgd(0.05, 0.9), decoupled_decay(0.05, WD))),
    "Adam": (adam(LR), adamw(LR, weight_decay=WD)),
}
distance, paths, adamw_state = {}, {}, None
with jax.default_matmul_precision("highest"):  # SGD's pair agrees to rounding: no TF32 here
    for name, (with_l2, decoupled) in pairs.items():
        path_l2, _ = jax.jit(lambda o=with_l2: trajectory_of(o, WD))()
        path_decoupled, state = jax.jit(lambda o=decoupled: trajectory_of(o, 0.0))()
        paths[name] = (np.asarray(path_l2[-1]), np.asarray(path_decoupled[-1]))
        adamw_state = state if name == "Adam" else adamw_state
        distance[name] = np.asarray(jnp.linalg.norm(path_l2 - path_decoupled, axis=1)
                                    / jnp.linalg.norm(path_decoupled, axis=1))  # fmt: skip
        print(f"{name:15s} |theta_L2 - theta_decoupled| / |theta|: max {distance[name].max():.1e}; "
              f"final |theta|: L2 {np.linalg.norm(paths[name][0]):.2f}, "
              f"decoupled {np.linalg.norm(paths[name][1]):.2f}")  # fmt: skip
assert distance["SGD"].max() < 1e-5  # the same update, up to float rounding
assert distance["SGD + momentum"][-1] > 1e-2 and distance["Adam"][-1] > 1e-2
norm_l2, norm_decoupled = (np.linalg.norm(v) for v in paths["SGD + momentum"])
assert norm_l2 < norm_decoupled  # the velocity amplifies the L2 term

# %% [markdown]
# How Adam's pair differs, weight by weight: the ratio of each weight's final size in the
# L2 run to its size in the AdamW run, against the weight's gradient RMS $\sqrt{\hat v}$
# (from the AdamW run, whose $\hat v$ holds the loss gradient alone). A weight with a small
# loss gradient (say, one fed by a pixel that is blank in nearly every digit) gets an
# Adam step made almost only of the decay term, normalized to size $\approx \eta$: it is
# driven toward 0 by about $\eta$ per step, whatever $\lambda$ is. A weight with large loss
# gradients sees the decay as a small part of its normalized step. AdamW shrinks both by
# the same factor.

# %%
theta_l2, theta_adamw = paths["Adam"]
v_hat = ravel_pytree(adamw_state.v)[0] / (1 - 0.999 ** float(adamw_state.step))
rms = np.asarray(jnp.sqrt(v_hat))  # (n_params,): each weight's gradient RMS
moved = theta_adamw != 0  # biases of units that never fired stay exactly 0
ratio = np.abs(theta_l2[moved]) / np.abs(theta_adamw[moved])
rho = stats.spearmanr(rms[moved], ratio).statistic
low, high = np.quantile(rms[moved], [0.25, 0.75])
median_low, median_high = np.median(ratio[rms[moved] < low]), np.median(ratio[rms[moved] > high])
print(f"|theta_L2| / |theta_AdamW| per weight: median {median_low:.3f} in the quarter with the "
      f"smallest gradients, {median_high:.3f} in the quarter with the largest; "
      f"rank correlation with the gradient RMS {rho:.2f}")  # fmt: skip
assert rho > 0.3 and median_low < 0.1 * median_high

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), layout="constrained")
for name, values in distance.items():
    axes[0].plot(np.arange(1, N_STEPS + 1), np.maximum(values, 1e-9), label=name)
axes[0].set(yscale="log", xlabel="step", ylabel="|L2 run - decoupled run| / |weights|",
            title="L2 in the loss vs decoupled decay")  # fmt: skip
axes[0].legend()
axes[1].loglog(rms[moved], ratio, ".", ms=2, alpha=0.4)
axes[1].axhline(1.0, color="gray", ls="--")
axes[1].set(xlabel="gradient RMS sqrt(v_hat) of a weight (AdamW run)",
            ylabel="|theta_L2| / |theta_AdamW|", title=f"Adam, weight decay {WD}, per weight")  # fmt: skip
show("weight-decay")

# %% [markdown]
# ## 5. Architectural ablations
#
# An **ablation** asks what one component contributes by removing (or adding) it and
# measuring the change. The design that makes the answer readable is **one factor at a
# time**: a fixed baseline, and one variant per component, each differing from the
# baseline in that component only (same data, same budget, same optimizer and learning
# rate). `jlr run vision-ablation` does this for batch norm, layer norm, dropout, weight
# decay (decoupled and L2), depth and data augmentation.
#
# One training run is one draw from a distribution: initialization, minibatch order and
# dropout masks are random, and so is the test accuracy. So every setting is trained over
# $n$ seeds and reported as a mean and a standard deviation $s$ over seeds; the uncertainty
# of the mean is its **standard error** $s / \sqrt n$, and a **95% confidence interval**
# is $\bar a \pm t_{0.975,\,n-1}\, s/\sqrt n$ ($t$ quantile, since $s$ is itself estimated
# from few seeds). To compare a variant $a$ with the baseline $b$:
#
# * **independent runs: Welch's $t$-test.** $t = (\bar a - \bar b) / \sqrt{s_a^2/n_a +
#   s_b^2/n_b}$, with the Welch–Satterthwaite degrees of freedom
#   $\nu = (s_a^2/n_a + s_b^2/n_b)^2 / \big( \frac{(s_a^2/n_a)^2}{n_a - 1} +
#   \frac{(s_b^2/n_b)^2}{n_b - 1} \big)$ (it does not assume equal variances);
# * **paired runs: the paired $t$-test.** When seed $i$ of both settings shares its
#   initialization and minibatches, as here, the differences $d_i = a_i - b_i$ remove the
#   seed-to-seed variation the two runs share: $t = \bar d / (s_d / \sqrt n)$ with $n - 1$
#   degrees of freedom, and the interval $\bar d \pm t_{0.975,\,n-1}\, s_d/\sqrt n$.
#
# The **p-value** is the probability, if the component changed nothing, of a $|t|$ at
# least as large as the one measured. Here is the ablation "batch norm" of our two arms;
# scipy computes both tests (you write them yourself in the exercises):

# %%
baseline, variant = test_acc["none"], test_acc["batch"]  # (N_SEEDS,) each, paired by seed


def mean_ci(values, confidence=0.95):
    half = stats.t.ppf((1 + confidence) / 2, len(values) - 1) * stats.sem(values)
    return values.mean() - half, values.mean() + half


welch = stats.ttest_ind(variant, baseline, equal_var=False)
paired = stats.ttest_rel(variant, baseline)
welch_ci, paired_ci = welch.confidence_interval(0.95), paired.confidence_interval(0.95)
print(f"{'setting':10s} {'mean':>7s} {'std':>7s}   95% CI of the mean")
for name, values in [("baseline", baseline), ("+ BN", variant)]:
    low, high = mean_ci(values)
    print(f"{name:10s} {values.mean():7.4f} {values.std(ddof=1):7.4f}   [{low:.4f}, {high:.4f}]")
print(f"Welch:  t = {welch.statistic:.2f}, df = {welch.df:.1f}, p = {welch.pvalue:.1e}, "
      f"95% CI of the difference [{welch_ci.low:+.4f}, {welch_ci.high:+.4f}]")  # fmt: skip
print(f"paired: t = {paired.statistic:.2f}, df = {paired.df:.0f}, p = {paired.pvalue:.1e}, "
      f"95% CI of the difference [{paired_ci.low:+.4f}, {paired_ci.high:+.4f}]")  # fmt: skip
assert welch_ci.low > 0 and paired_ci.low > 0  # batch norm helps, beyond seed noise

# %% [markdown]
# **What one-factor-at-a-time can miss: interactions.** The effect of a component can
# depend on the other settings. Section 2's sweep shows it: batch norm's benefit at the
# baseline's learning rate is a fraction of its benefit at the largest rate, where the
# baseline trains badly. An ablation at one learning rate measures one slice of such an
# interaction; a fair study either tunes the learning rate of every variant or says which
# rate it used. And with $k$ ablations each tested at 5%, the chance of at least one false
# positive grows to $1 - 0.95^k$; the project corrects for it with Holm's step-down
# procedure.

# %%
gain_at = {lr: np.log(final["none"][lr] / final["batch"][lr]) for lr in (LR, top_lr)}
for lr, gain in gain_at.items():
    print(f"lr {lr:<6g} log(final loss without BN / with BN) per seed {np.round(gain, 2)}")
assert lower_bound(gain_at[top_lr] - gain_at[LR]) > 0  # the effect depends on the lr
print("P(at least one false positive) with 7 ablations at 5% each: "
      f"{1 - 0.95**7:.2f}")  # fmt: skip

# %% [markdown]
# ## 6. The vision mini-project, with analysis
#
# The report of an ablation states what each change did and by how much, with the
# evidence, and its text is **generated from the measured numbers**, never typed in: a
# sentence written before the runs finished, or copied from a previous run, is how
# reports end up contradicting their own tables. A sentence for our ablation, built from
# the paired comparison:


# %%
def describe(name, variant, baseline, confidence=0.95):
    """One sentence about an ablation, every number from the runs (paired t-test)."""
    result = stats.ttest_rel(variant, baseline)
    interval = result.confidence_interval(confidence)
    diff = 100 * (variant.mean() - baseline.mean())
    verdict = (f"{'raised' if diff > 0 else 'lowered'} test accuracy"
               if interval.low > 0 or interval.high < 0 else "did not change test accuracy measurably")  # fmt: skip
    return (f"Adding {name} {verdict}: {100 * baseline.mean():.1f}% -> {100 * variant.mean():.1f}% "
            f"({diff:+.1f} points, {confidence:.0%} CI [{100 * interval.low:+.1f}, "
            f"{100 * interval.high:+.1f}], paired t({result.df:.0f}) = {result.statistic:.1f}, "
            f"p = {result.pvalue:.1g}, {len(variant)} seeds).")  # fmt: skip


sentence = describe("batch norm", variant, baseline)
print(sentence)
assert sentence.startswith("Adding batch norm raised")  # what the numbers above say

fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
for i, values in enumerate([baseline, variant]):
    low, high = mean_ci(values)
    ax.plot([i] * N_SEEDS, values, "o", color="gray", alpha=0.5)
    ax.errorbar(i + 0.15, values.mean(), yerr=[[values.mean() - low], [high - values.mean()]],
                fmt="s", color="C1", capsize=4)  # fmt: skip
for s in range(N_SEEDS):
    ax.plot([0, 1], [baseline[s], variant[s]], color="gray", lw=0.6, alpha=0.5)  # pairs
ax.set(xticks=[0, 1], xticklabels=["baseline", "+ batch norm"], xlim=(-0.5, 1.5),
       ylabel="test accuracy", title="per seed (gray, paired) and mean with 95% CI")  # fmt: skip
show("ablation")

# %% [markdown]
# The full study is a project. It trains the baseline and each variant over several seeds
# (vmapped, each seed with its own minibatches, seeds paired across settings), tests each
# ablation against the baseline with the paired test, corrects for the number of
# ablations, and writes a report with the table, the curves and the generated analysis:
#
# ```
# jlr run vision-ablation                                   # MNIST-1D, the default ablations
# jlr run vision-ablation --set data=digits --set ablations=bn,ln,dropout
# jlr run vision-ablation --preset full                     # 10 seeds, 3000 steps
# ```
#
# ## Summary
#
# * A CNN's units grow more specific with depth: first-layer filters detect strokes, the
#   second layer's units prefer one digit (top-$k$ purity rises), and activation
#   maximization shows what a unit wants to see.
# * Batch norm standardizes with batch statistics in training and running averages in
#   evaluation, kept as model state; it trains faster and at larger learning rates, and
#   evaluating in train mode or forgetting the state update silently costs accuracy.
# * Layer norm standardizes each example on its own: independent of the batch and of
#   padding, which is why transformers use it.
# * Inverted dropout preserves the expectation; L2 in the loss equals decoupled weight
#   decay for SGD but not for Adam, which is why AdamW exists.
# * An ablation changes one factor at a time, over seeds, and reports a mean, a confidence
#   interval and a test; its text comes from its numbers.
#
# Exercises: `exercises/08_computer_vision.py`; grade them with `jlr check 08`.
