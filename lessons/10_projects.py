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
# # 10 · Projects
#
# The three projects put the course to work: a **Transformer** language model whose
# attention you can look at, a **study of optimizers** that ends in conclusions drawn from
# its numbers, and a **loss-landscape** analysis of trained networks. Each is a command,
# `jlr run NAME`, that trains, measures and writes a run folder with a report; this lesson
# runs a small version of each through the same code, reads what it wrote, and asks the
# question each project exists for.
#
# | project | command | code |
# | --- | --- | --- |
# | Transformer with attention visualization | `jlr run transformer` | `jlr.projects.transformer`, `jlr.viz.attention` |
# | optimizer comparison study | `jlr run optimizer-study` | `jlr.projects.optimizer_study` |
# | loss landscape and training dynamics | `jlr run loss-landscape` | `jlr.projects.loss_landscape`, `jlr.landscape` |
#
# The lesson runs in about a minute on two CPU cores. Its root seed is `JLR_SEED` (0 by
# default); every claim the code can check is asserted on a statistic with a margin, and
# every number in the prose is printed by the code. The small runs write their folders
# under `.jlr/runs/` (or `$JLR_HOME/runs/`): open their `report.html` in a browser.
#
# Exercises: `exercises/10_projects.py`, graded by `jlr check 10`.

# %%
import json
import tempfile
from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import PowerNorm

from jlr.course.lesson import root_seed, show
from jlr.course.paths import learner_home
from jlr.models.transformer import init_transformer
from jlr.projects import loss_landscape, optimizer_study
from jlr.projects import transformer as transformer_project
from jlr.projects.loss_landscape.analyses import EOS_BAND
from jlr.projects.optimizer_study import writeup
from jlr.projects.optimizer_study.analysis import best_lr_index, final_losses
from jlr.projects.optimizer_study.report import plot_lr_sensitivity, plot_tuning_budget
from jlr.projects.transformer.data import char_data
from jlr.projects.transformer.report import attention_weights
from jlr.train.checkpoint import load_params
from jlr.viz.attention import attention_grid_png

seed = root_seed()  # the projects take an integer seed, as `jlr run NAME --seed S` does
(learner_home() / "runs").mkdir(parents=True, exist_ok=True)
runs = Path(tempfile.mkdtemp(prefix="10_projects-", dir=learner_home() / "runs"))
print(f"this lesson's run folders: {runs}")

# %% [markdown]
# ## 1. A Transformer and its attention
#
# `jlr run transformer` trains the GPT of lesson 07 on the Python standard library's source
# (or `--set text=PATH`), samples it at several temperatures, and draws every layer's and
# head's attention for a prompt, as a PNG grid and as an interactive page
# (`attention.html`: pick a layer and a head, hover a character to see where it attends).
# Here the same `run` trains a two-layer model for a few hundred steps, into a folder of its
# own. What it writes is what every project writes: the config, the metrics as they came,
# a checkpoint to resume from, the figures and a report.

# %%
gpt_config = transformer_project.Config(
    seed=seed, n_layer=2, n_head=4, n_embd=64, block_size=64, batch_size=16, steps=600,
    positional="rope", lr=3e-3, warmup_steps=50, eval_every=300, eval_batches=8,
    checkpoint_every=600, sample_chars=160, temperatures=(0.8,), attention_chars=48,
)  # fmt: skip
gpt_folder = runs / "transformer"
gpt_results = transformer_project.run(gpt_config, gpt_folder, progress=False)
print(sorted(path.name for path in gpt_folder.iterdir()))
print(json.dumps({k: round(v, 3) for k, v in gpt_results.items() if isinstance(v, float)}))

# %% [markdown]
# Is 600 steps enough to learn anything? A model that knows only how often each character
# occurs, and nothing of its context, pays the **unigram entropy**
# $H = -\sum_c p(c) \ln p(c)$ nats per character. The validation loss of the Transformer
# should be well below it: the model uses the characters before.

# %%
data = char_data(gpt_config.text, gpt_config.block_size)
counts = np.bincount(data.train, minlength=data.vocab.size)
p_char = counts[counts > 0] / counts.sum()
unigram_nats = float(-(p_char * np.log(p_char)).sum())
print(
    f"unigram entropy {unigram_nats:.3f} nats/char; validation loss {gpt_results['val_loss']:.3f}"
)
assert gpt_results["val_loss"] < unigram_nats - 0.5

# %% [markdown]
# The attention maps come from the trained parameters: `load_params` reads them from the
# run's checkpoint into the shape of a freshly built model, and the model returns its
# attention weights beside its logits. Row $i$ of a map is the softmax over the keys
# $j \le i$ that query $i$ attends to.

# %%
model = gpt_config.model(data.vocab.size)
params = load_params(gpt_folder / "checkpoint.npz", init_transformer(jax.random.key(0), model))
prompt = data.vocab.decode(data.val[:48])
weights = attention_weights(params, model, data.vocab, prompt)  # (n_layer, n_head, seq, seq)
grid_png = attention_grid_png(weights, [*prompt], runs / "attention-grid.png",
                              title="attention of every layer (rows) and head")  # fmt: skip
plt.figure(figsize=(10, 5.5))
plt.imshow(plt.imread(grid_png))  # the grid is drawn outside pyplot, on its own canvas
plt.axis("off")
show("attention-grid")

# %% [markdown]
# A character model should look mostly at its neighbours. Measure it: the **mean attention
# distance** of query $i$ is $\sum_j w_{ij} (i - j)$; a query that attended uniformly to
# all $j \le i$ would have $i / 2$. Averaged over the queries past the first 16 (which have
# little to choose from), each head's ratio to the uniform distance:

# %%
seq = weights.shape[-1]
lag = np.arange(seq)[:, None] - np.arange(seq)[None, :]  # (seq, seq): i - j
mean_distance = (weights * lag).sum(-1)[..., 16:].mean(-1)  # (n_layer, n_head)
distance_ratio = mean_distance / (np.arange(seq)[16:] / 2).mean()
print("mean attention distance / uniform, per layer (rows) and head:")
print(np.round(distance_ratio, 2))
assert distance_ratio.mean() < 0.6  # local on average; single heads may look far

# %% [markdown]
# Attention maps show one layer at a time, but layer 1 attends to what layer 0 already
# mixed, and the residual stream carries each token past every layer untouched. **Attention
# rollout** (Abnar & Zuidema 2020) follows the mixing through the whole stack: average the
# heads, add the residual path as the identity with equal weight, and multiply the layers,
# the first acting first,
# $$A_l = \tfrac12 \operatorname{mean}_h W_{l,h} + \tfrac12 I, \qquad R = A_{L-1} \cdots A_1 A_0 .$$
# Each $A_l$ is a stochastic matrix (rows sum to 1), so $R$ is too: $R_{ij}$ is the share
# of input character $j$ in output position $i$. Writing it is exercise
# `attention_rollout`.

# %%
seq_eye = np.eye(seq)
rollout = seq_eye
for layer_weights in weights:
    rollout = (0.5 * layer_weights.mean(axis=0) + 0.5 * seq_eye) @ rollout  # (seq, seq)
np.testing.assert_allclose(rollout.sum(axis=1), 1.0, rtol=1e-5)
figure, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for axis, matrix, title in ((axes[0], weights[-1].mean(0), "last layer, heads averaged"),
                            (axes[1], rollout, "rollout through both layers")):  # fmt: skip
    axis.imshow(matrix, cmap="viridis", norm=PowerNorm(0.4))  # lifts the small weights
    axis.set(title=title, xlabel="key position j", ylabel="query position i")
show("rollout")

# %% [markdown]
# ## 2. A study of optimizers that draws conclusions
#
# `jlr run optimizer-study` trains six optimizers (SGD, heavy-ball momentum, Nesterov,
# RMSProp, Adam, AdamW), each at a grid of learning rates, with a constant rate and with
# warmup + cosine decay, over several seeds, on three tasks: an ill-conditioned quadratic,
# an MLP on MNIST-1D and a CNN on digits. All runs of one (task, optimizer, schedule) train
# at once, vmapped in one jitted step. Its report ends in an analysis written from the
# numbers: the winner of each task and whether the seeds separate it from the runner-up (a
# paired $t$-test), the width of each optimizer's range of good learning rates, how often
# each diverged, the winners at equal tuning budgets, and how the study compares with
# published observations.
#
# A small version on the quadratic ($\kappa = 100$) alone, three optimizers:

# %%
study_config = optimizer_study.Config(
    seed=seed, tasks=("quadratic",), optimizers=("sgd", "momentum", "adam"),
    schedules=("constant",), lrs=(0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0), seeds=3, steps=200,
    eval_every=50,
)  # fmt: skip
sweeps = dict(optimizer_study.train_sweeps(study_config))
analysis = writeup.write_analysis(sweeps)
for heading, paragraph in analysis["paragraphs"][:2]:
    print(f"## {heading}\n{paragraph}\n")
plot_lr_sensitivity(sweeps, ["quadratic"], "train_loss", "train loss", log_y=True)
show("lr-sensitivity")

# %% [markdown]
# Every sentence above is built from the measured numbers. The first published observation
# it checks is Polyak's (1964): on an ill-conditioned quadratic, momentum converges much
# faster than gradient descent, since its rate depends on $\sqrt{\kappa}$ instead of
# $\kappa$ (lesson 04). Each optimizer at its best learning rate, the mean final loss over
# the seeds:

# %%
tuned = {}
for name, record in sweeps.items():
    best = best_lr_index(record)
    tuned[record["optimizer"]] = float(final_losses(record)[best].mean())
    print(
        f"{name:28s} best lr {record['lrs'][best]:g}: final loss {tuned[record['optimizer']]:.3g}"
    )
assert tuned["momentum"] < 1e-2 * tuned["sgd"]

# %% [markdown]
# **Equal tuning budgets.** A comparison at each optimizer's best learning rate rewards the
# one whose best was found; with a budget of $k$ configurations drawn at random from the
# grid, the expected best is an order statistic (Dodge et al. 2019), computed exactly from
# the $n$ measured losses $v_{(1)} \le \dots \le v_{(n)}$:
# $$\mathbb E[\min \text{ of } k] = \sum_{i=1}^{n} v_{(i)}\,
#   \frac{\binom{n-i}{k-1}}{\binom{n}{k}} .$$
# An optimizer that is good over a wide range of rates wins at small $k$; one that is best
# at a single rate wins only when the budget finds it (Choi et al. 2019). Writing this
# expectation is exercise `expected_best_of_k`.

# %%
plot_tuning_budget(analysis)
show("tuning-budget")
budget = analysis["numbers"]["tasks"]["quadratic"]["budget"]
print({name: [f"{v:.2g}" for v in curve] for name, curve in budget["expected_best_loss"].items()},
      "for k =", budget["k"])  # fmt: skip

# %% [markdown]
# ## 3. The loss landscape and the dynamics of training
#
# `jlr run loss-landscape` trains an MLP (or a CNN) and looks at the loss around what it
# found, with the tools of `jlr.landscape`:
#
# * **1-D paths**: $L((1 - a)\,\theta_0 + a\,\theta_1)$ from the initialization to the
#   solution, and between two solutions trained from different seeds. The **barrier** is the
#   rise of the path above its worse end.
# * **2-D surfaces** $L(\theta + \alpha d_1 + \beta d_2)$ along two random directions, each
#   **filter-normalized** (Li et al. 2018): every filter of $d$ is rescaled to the norm of
#   the same filter of $\theta$, so that a step of 1 moves each filter by its own size and
#   networks that differ only by a scale of their weights give comparable pictures (exercise
#   `filter_normalize`). The grid is evaluated with `vmap` over chunks of points, one
#   compiled program for the whole grid. The training **trajectory** is drawn in the plane of
#   its own top two principal directions.
# * **The Hessian spectrum**: the top eigenvalues by Lanczos on Hessian-vector products, the
#   trace by Hutchinson's estimator $\operatorname{tr} H = \mathbb E[v^\top H v]$ with
#   Rademacher $v$, and the eigenvalue density by stochastic Lanczos quadrature; for a model
#   this small the full Hessian is formed too, as their oracle.
# * **The edge of stability** (Cohen et al. 2021). Gradient descent with step $\eta$ on a
#   quadratic is stable only while the top eigenvalue $\lambda_{\max} < 2/\eta$ (lesson 04).
#   On a network, full-batch gradient descent first *raises* $\lambda_{\max}$ (progressive
#   sharpening) until it reaches $2/\eta$, and then hovers there while the loss keeps going
#   down, non-monotonically.
# * **Comparisons** of the same measurements with and without residual connections, with
#   and without batch norm, and with a small vs a large batch.
#
# A small version (500 examples, a 40-16-16-10 MLP with 1,098 parameters):

# %%
landscape_config = loss_landscape.Config(
    seed=seed, n_examples=500, hidden=(16, 16), steps=600, snapshot_every=50, grid=31,
    n_alphas=21, top_k=5, lanczos_iters=40, slq_probes=4, slq_iters=40, trace_probes=32,
    eos_examples=256, eos_steps=1500, compare_depth=4, compare_width=16, compare_steps=300,
    large_batch=500,
)  # fmt: skip
landscape_folder = runs / "loss-landscape"
landscape = loss_landscape.run(landscape_config, landscape_folder, progress=False)
grids = dict(np.load(landscape_folder / "landscape.npz"))
print(sorted(path.name for path in landscape_folder.iterdir()))

# %% [markdown]
# **Paths.** From the initialization the loss falls all the way to the solution, with no
# bump (Goodfellow et al. 2015 saw the same for much larger networks). Between two solutions
# from different seeds it rises far above both: trained apart, two networks sit in different
# basins, and the straight line between them crosses a ridge (linear mode connectivity holds
# only for networks that share the early part of training, Frankle et al. 2020).

# %%
alphas = grids["interpolation/alphas"]
plt.figure(figsize=(5.5, 3.4))
plt.plot(alphas, grids["interpolation/init_to_solution"], label="initialization -> solution")
plt.plot(alphas, grids["interpolation/solution_to_solution"], label="solution -> other seed's")
plt.xlabel("a"), plt.ylabel("training loss"), plt.legend()
show("interpolation")
print(f"barriers: init -> solution {landscape['barrier_init_to_solution']:.3f}, "
      f"between seeds {landscape['barrier_between_seeds']:.3f} nats; "
      f"final loss {landscape['final_loss']:.3f}")  # fmt: skip
assert landscape["barrier_init_to_solution"] < 0.05
assert landscape["barrier_between_seeds"] > 0.5

# %% [markdown]
# **The trajectory and the surface.** The steps of training span a space of 1,098
# dimensions, yet most of their movement lies in a plane: the top two principal directions
# of the snapshots $\theta_t - \theta_T$ explain most of their variance (Li et al. 2018),
# which is why a 2-D contour can show the path at all.

# %%
explained = landscape["trajectory_explained_variance"]
print(f"trajectory variance explained by the top 2 directions: {np.round(explained, 3)}")
assert sum(explained) > 0.7
figure, axes = plt.subplots(1, 2, figsize=(10, 4))
for axis, name in zip(axes, ["surface_contour.png", "trajectory.png"], strict=True):
    axis.imshow(plt.imread(landscape_folder / name))
    axis.set_axis_off()
show("surface-and-trajectory")

# %% [markdown]
# **The spectrum.** Lanczos needs only Hessian-vector products, a few dozen of them, where
# the full Hessian needs one per parameter; its top eigenvalues agree with `eigvalsh` of the
# full Hessian, and Hutchinson's trace with the exact trace within its standard error.

# %%
print("top eigenvalues, Lanczos:", np.round(grids["spectrum/top"], 4))
print("top eigenvalues, exact:  ", np.round(np.sort(grids["spectrum/exact"])[::-1][:5], 4))
trace_z = (landscape["trace_hutchinson"] - landscape["trace_exact"]) / landscape[
    "trace_standard_error"
]
print(f"trace: Hutchinson {landscape['trace_hutchinson']:.2f} "
      f"+- {landscape['trace_standard_error']:.2f}, exact {landscape['trace_exact']:.2f} "
      f"(z = {trace_z:.2f})")  # fmt: skip
assert landscape["top_eigenvalues_max_rel_error"] < 1e-3
assert abs(trace_z) < 4
plt.figure(figsize=(5.5, 3.4))
plt.plot(grids["spectrum/density_grid"], grids["spectrum/exact_density"], label="exact")
plt.plot(grids["spectrum/density_grid"], grids["spectrum/slq_density"], "--", label="SLQ")
plt.yscale("log"), plt.ylim(1e-4, None)
plt.xlabel("eigenvalue"), plt.ylabel("smoothed density"), plt.legend()
show("spectral-density")

# %% [markdown]
# **The edge of stability.** Full-batch gradient descent on a tanh MLP with squared loss
# (Cohen et al.'s setting), the sharpness $\lambda_{\max}$ measured every 20 steps by power
# iteration on Hessian-vector products. It climbs to $2/\eta$ and stays there: the mean
# over the last third of the run, divided by $2/\eta$, for each step size:

# %%
plt.figure(figsize=(6, 3.6))
for lr in landscape_config.eos_lrs:
    (line,) = plt.plot(grids[f"eos/{lr}/steps"], grids[f"eos/{lr}/sharpness"], label=f"eta={lr}")
    plt.axhline(2 / lr, color=line.get_color(), ls="--", lw=1)
plt.xlabel("step"), plt.ylabel("sharpness (top Hessian eigenvalue)"), plt.legend()
plt.title("sharpness rises to 2/eta (dashed) and hovers there")
show("edge-of-stability")
ratios = {lr: landscape["edge_of_stability"][str(lr)]["ratio"] for lr in landscape_config.eos_lrs}
print({lr: round(r, 3) for lr, r in ratios.items()}, "band", EOS_BAND)
assert all(EOS_BAND[0] <= r <= EOS_BAND[1] for r in ratios.values())

# %% [markdown]
# The comparisons (residual connections, batch norm, batch size) are in the run's report,
# with their sharpness and trace; at this size they are single runs, so read them as
# examples, not as laws. The project at its default size:
#
# ```
# jlr run loss-landscape                                      # the MLP on MNIST-1D, 51 x 51
# jlr run loss-landscape --set model=cnn --set data=digits
# jlr run loss-landscape --set from_run=runs/cnn-...          # another run's checkpoint
# jlr run loss-landscape --preset full                        # 101 x 101, sized for a GPU
# ```
#
# ## Summary
#
# * A project is a command that writes a run folder: config, metrics, checkpoint, figures,
#   a report. Its pieces are library functions a lesson can call at a small size.
# * A trained character-level Transformer attends mostly to nearby characters; attention
#   rollout follows the mixing through the residual stream and every layer.
# * An optimizer comparison means little until it says how each optimizer was tuned: at
#   equal budgets the winner can change, and three seeds separate only large gaps.
# * Around a solution the loss falls smoothly from the initialization, rises between
#   solutions of different seeds, varies mostly in a low-dimensional plane, and full-batch
#   gradient descent keeps its sharpness at $2/\eta$.
#
# Exercises: `exercises/10_projects.py`; grade them with `jlr check 10`.
