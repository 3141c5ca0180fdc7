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
# # 09 · Large language models
#
# A large language model is lesson 07's Transformer decoder, trained on subword tokens to
# predict the next token, made larger and trained longer, then tuned to follow
# preferences. This lesson builds each step at a size that runs on two CPU cores, from the
# library's code, and measures what the step does:
#
# | topic | library |
# | --- | --- |
# | subword tokenization | `jlr.text` (byte-level BPE: `train_bpe`, `bpe_encode`; `WordPiece`) |
# | the causal LM objective | `jlr.nn.causal_lm` (shifted targets, padding masks, nats and bits) |
# | scaling laws | `jlr.projects.scaling_laws` (`jlr run scaling-laws`) |
# | training dynamics | `jlr.experiments.training_dynamics` |
# | perplexity | `jlr.nn.causal_lm` (per token and per character) |
# | limits of likelihood | `jlr.text.sample_metrics` (distinct-n, repetition), sampling |
# | alignment | `jlr.alignment` (Bradley–Terry, DPO; `jlr run alignment`) |
#
# The model is `jlr.models.transformer` (pre-LN GPT, tied embeddings) and the text the
# Python standard library's source (`jlr.data.stdlib_corpus`). Where a study needs more
# than a minute (the scaling law over many sizes, the alignment run), the lesson runs a
# small version of the same code and names the `jlr run` project that runs it in full.
# The root seed is `JLR_SEED` (0 by default); every claim the code can check is asserted
# on a statistic with a margin, over seeds trained at once with `vmap` or over many
# samples, and every number in the prose is printed by the code. Logs are natural (nats)
# unless a name says bits. Shapes follow `docs/notation.md`: ids `(batch, seq)`, logits
# `(batch, seq, vocab)`.
#
# Exercises: `exercises/09_llms.py`, graded by `jlr check 09`.

# %%

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from jlr.alignment import (
    PreferencePairs,
    completion_mask,
    init_reward_model,
    make_dpo_step,
    pair_rewards,
    preference_accuracy,
    reward_model,
    sample_completions,
    sample_preferences,
    sequence_logprob,
    token_rewards,
    train_reward_model,
)
from jlr.course.lesson import root_key, show
from jlr.data import stdlib_corpus
from jlr.experiments.training_dynamics import dynamics_runs, rise_above_start
from jlr.models.transformer import TransformerConfig, init_transformer, lm_loss, transformer
from jlr.nn.causal_lm import (
    LN2,
    lm_summary,
    masked_mean_nats,
    shift_targets,
    target_weights,
    total_nats,
)
from jlr.optim import adam, warmup_cosine_decay
from jlr.projects.scaling_laws.family import (
    exact_count,
    kaplan_estimate,
    non_embedding_params,
    size_model,
    width_lr,
)
from jlr.projects.scaling_laws.fit import ALPHA_RANGE, bootstrap_fit, power_law, prediction_band
from jlr.projects.scaling_laws.training import train_size
from jlr.projects.transformer.data import char_data, training_windows, validation_windows
from jlr.text import (
    CharVocab,
    WordPiece,
    bpe_decode,
    bpe_encode,
    bpe_from_merges,
    gpt2_pre_tokenize,
    train_bpe,
    wordpiece_encode,
)
from jlr.text.sample_metrics import distinct_n, repetition_rate
from jlr.text.wordpiece import tokenize as wordpiece_tokenize
from jlr.train import init_train_state, make_multi_step, make_train_step

key_names = ["lm_init", "lm_batches", "pad_demo", "decode", "pairs", "labels", "dpo",
             "dpo_batches", "after", "scaling", "bootstrap", "dynamics"]  # fmt: skip
keys = dict(zip(key_names, jax.random.split(root_key(), len(key_names)), strict=True))

corpus = stdlib_corpus()  # the Python standard library's source, about 1M characters
text = corpus.text
train_text, val_text = text[:400_000], text[-40_000:]  # held-out: other files, at the end
print(f"{corpus.n_chars:,} characters; {len(train_text):,} to train on, "
      f"{len(val_text):,} held out")  # fmt: skip


# %% [markdown]
# ## 1. Subword tokenization (BPE / WordPiece)
#
# Lesson 07 met two extremes: characters (a small vocabulary, long sequences) and words
# (short sequences, a vocabulary that never stops growing, `<unk>` for the rest).
# **Byte-pair encoding** (Sennrich et al. 2016; GPT-2's byte-level version, Radford et
# al. 2019) learns the middle: start from the 256 bytes, so that any text has an encoding,
# and repeatedly **merge** the most frequent adjacent pair into a new token. Text is first
# cut into **pre-tokens** (GPT-2's pattern: words with their leading space, numbers,
# punctuation runs), and merges never cross a pre-token. With $n_w$ the count of
# pre-token $w$, one training step is
#
# $$ \text{count}(a, b) = \sum_w n_w \, \#\{j : w_j = a,\ w_{j+1} = b\}, \qquad
#    (a^*, b^*) = \arg\max_{(a,b)} \text{count}(a, b), $$
#
# ties going to the smallest pair of ids, then every $a^* b^*$ in every word becomes the new
# token, left to right. `jlr.text.train_bpe` keeps the counts up to date incrementally (a
# merge only touches the words that hold the pair), and its merges equal Hugging Face
# `tokenizers`' (tested in `tests/text/test_bpe.py`). A BPE with vocabulary $V$ is the first
# $V - 256$ merges, so one training run gives every smaller vocabulary as a prefix. We
# train to 1024 tokens on the training text and measure how many tokens each size spends
# on the held-out text.

# %%
bpe_full = train_bpe(train_text, 1024)
merge_bytes = [(bpe_full.tokens[a], bpe_full.tokens[b]) for a, b in bpe_full.merges]
print("first merges:", [(a + b).decode() for a, b in merge_bytes[:12]])
vocab_sizes = np.array([256, 288, 320, 384, 512, 768, 1024])
tokens_per_char = []
for size in vocab_sizes:
    prefix = bpe_from_merges(merge_bytes[: size - 256])
    ids = bpe_encode(prefix, val_text)
    assert bpe_decode(prefix, ids) == val_text  # lossless at every size
    tokens_per_char.append(len(ids) / len(val_text))
tokens_per_char = np.array(tokens_per_char)
for size, rate in zip(vocab_sizes, tokens_per_char, strict=True):
    print(f"vocab {size:5d}: {rate:.3f} tokens per character ({1 / rate:.2f} characters per token)")
n_bytes = len(val_text.encode("utf-8"))
assert tokens_per_char[0] == n_bytes / len(val_text)  # 256: one token per byte
assert np.all(np.diff(tokens_per_char) < 0)  # every merge size shortens the held-out text
assert 1 / tokens_per_char[-1] > 2.2  # 1024 tokens: over two characters per token
saved_per_merge = -np.diff(tokens_per_char) / np.diff(vocab_sizes)
print("tokens per character saved per merge:", np.array2string(saved_per_merge, precision=5))
assert np.all(np.diff(saved_per_merge) < 0)  # diminishing returns

line = "    def __init__(self, name=None):"
bpe_512 = bpe_from_merges(merge_bytes[: 512 - 256])
line_ids = bpe_encode(bpe_512, line)
print(f"pre-tokens of {line!r}: {gpt2_pre_tokenize(line)}")
print(f"vocab 512 pieces: {[bpe_decode(bpe_512, [i]) for i in line_ids]}")

fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
ax.plot(vocab_sizes, tokens_per_char, "o-")
ax.axhline(1.0, color="gray", ls=":", label="characters (about 1 per byte)")
ax.set(xscale="log", xlabel="vocabulary size (256 bytes + merges)",
       ylabel="tokens per character", title="BPE on held-out Python source")  # fmt: skip
ax.set_xticks(vocab_sizes, [str(v) for v in vocab_sizes])
ax.legend()
show("bpe-tokens-per-char")


# %% [markdown]
# Each merge saves fewer tokens than the ones before it (the saving per merge falls from
# one range of sizes to the next, asserted): the first merges take the most frequent pairs
# (printed above: runs of indentation and common letter pairs), later ones rarer words. A larger
# vocabulary means shorter sequences (attention's cost grows with $T^2$) and more of the
# text in one context window, at the price of a larger embedding table and rarer tokens,
# each seen less in training.
#
# **WordPiece** (BERT's tokenizer) uses a given vocabulary differently: each word is split
# greedily, **longest match first**, continuation pieces marked `##`; a word with no split
# becomes `[UNK]` as a whole. `jlr.text.WordPiece` matches HF `tokenizers` (tested). On a
# toy vocabulary:

# %%
wordpiece = WordPiece(("[UNK]", "un", "##aff", "##able", "aff", "able", "##a", "##b", "token",
                       "##izer", "##s", "the"))  # fmt: skip
for phrase in ("unaffable", "The tokenizers", "tokenizing"):
    print(f"{phrase!r} -> {wordpiece_tokenize(wordpiece, phrase)} "
          f"ids {wordpiece_encode(wordpiece, phrase)}")  # fmt: skip
assert wordpiece_tokenize(wordpiece, "unaffable") == ["un", "##aff", "##able"]
assert wordpiece_tokenize(wordpiece, "tokenizing") == ["[UNK]"]  # no "##ing": the whole word


# %% [markdown]
# ## 2. The causal language-modeling objective
#
# A **causal LM** assigns a sequence the probability $p(x_1 \dots x_T) = \prod_t
# p_\theta(x_{t+1} \mid x_{\le t})$, one next-token distribution per position, and one
# forward pass of the causal Transformer scores all of them. Training minimizes the
# negative log-likelihood per token,
#
# $$ L(\theta) = -\frac{1}{\sum_{b,t} w_{b,t}} \sum_{b,t} w_{b,t} \log p_\theta(x_{b,t+1}
#    \mid x_{b,\le t}), $$
#
# in **nats** (natural log). In code (`jlr.nn.causal_lm`): inputs `ids[:, :-1]`, targets
# `ids[:, 1:]` (the **shift**), and weights $w = 0$ where the target is **padding**, so a
# batch of texts of different lengths has the same loss whatever is appended. In **bits**,
# $L / \ln 2$. An untrained model is close to uniform, $L \approx \ln V$.

# %%
demo_config = TransformerConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)
demo_params = init_transformer(keys["pad_demo"], demo_config)
rows = jnp.array([[3, 4, 5, 6, 7, 8, 9, 10, 3], [3, 5, 7, 9, 0, 0, 0, 0, 0]])  # 0 pads row 2
inputs, targets = shift_targets(rows)  # (2, 8) each
weights = target_weights(targets, pad_id=0)  # 0 where the target is padding


@jax.jit
def demo_loss(ids, weights):
    """The causal LM loss of a padded batch: shift, weigh, mean. ids (2, 9), weights (2, 8)."""
    inputs, targets = shift_targets(ids)
    logits = transformer(demo_params, inputs, demo_config)  # (2, 8, vocab)
    return masked_mean_nats(logits, targets, weights)


with jax.default_matmul_precision("highest"):
    loss = demo_loss(rows, weights)
    # other tokens where row 2's padding was, the same weights: the text has not changed
    loss_scrambled = demo_loss(rows.at[1, 5:].set(7), weights)
print(f"loss {float(loss):.4f} nats = {float(loss) / LN2:.4f} bits per token "
      f"(uniform: ln 11 = {np.log(11):.4f}); {int(weights.sum())} real targets of "
      f"{weights.size}")  # fmt: skip
assert abs(float(loss) / np.log(11) - 1) < 0.1  # untrained: within 10% of uniform
assert abs(float(loss) - float(loss_scrambled)) < 1e-6  # inputs after the text cannot matter


# %% [markdown]
# Changing what the model reads after a text's end leaves its loss unchanged to float
# precision: the targets there weigh 0, and causal attention keeps the positions before
# them from seeing them.
#
# **The same model on characters and on BPE tokens.** We train two small GPTs (2 blocks,
# width 48, 4 heads, context 32 tokens) with Adam (30 warmup steps, then a cosine decay;
# section 4 shows why the warmup) for the same number of steps on the same number of
# tokens per step: one on characters, one on the BPE with 512 tokens. Each is trained for
# two seeds at once (`vmap`: each seed its own initialization and its own minibatches). Their losses per token cannot be compared: a BPE token carries several
# characters. Per character they can, on the same held-out text: the **bits per
# character** is the total loss over the text divided by the number of characters the
# predicted tokens spell, $\text{bpc} = \sum_t \ell_t / (n_\text{chars} \ln 2)$.

# %%
SEQ, BATCH, N_STEPS, N_SEEDS, LR = 32, 16, 350, 2, 3e-3
char_vocab = CharVocab.from_text(text)  # every character of the corpus
tokenizers = {
    "characters": (char_vocab.size, char_vocab.encode, lambda ids: char_vocab.decode(ids)),
    "BPE 512": (bpe_512.vocab_size, lambda s: bpe_encode(bpe_512, s),
                lambda ids: bpe_decode(bpe_512, ids)),
}  # fmt: skip


def windows(ids, starts):
    """Inputs and next-token targets: starts (...,) -> x, y (..., SEQ), y = x shifted by one."""
    return shift_targets(ids[starts[..., None] + jnp.arange(SEQ + 1)])  # (..., SEQ) each


def train_lm_seeds(config, train_ids, run_keys, starts):
    """N_SEEDS GPTs trained at once: run_keys (N_SEEDS,), starts (N_SEEDS, N_STEPS, BATCH) ->
    trained params (leading axis N_SEEDS) and minibatch losses (N_SEEDS, N_STEPS)."""
    optimizer = adam(warmup_cosine_decay(0.0, LR, 30, N_STEPS))  # section 4: warm up

    def one_run(run_key, starts):
        def batch_loss(params, batch, step_key):  # no dropout: the key is unused
            return lm_loss(params, *batch, config), {}

        step = make_multi_step(make_train_step(batch_loss, optimizer), windows)
        init_key, state_key = jax.random.split(run_key)
        state = init_train_state(init_transformer(init_key, config), optimizer, state_key)
        state, metrics = step(state, train_ids, starts)
        return state.params, metrics["loss"]

    return jax.jit(jax.vmap(one_run))(run_keys, starts)


def held_out_windows(ids):
    """Non-overlapping windows over a token array: every token but the first is predicted
    once. -> x, y (n_windows, SEQ)."""
    n_windows = (len(ids) - 1) // SEQ
    chunks = np.asarray(ids[: n_windows * SEQ + 1])
    return chunks[:-1].reshape(n_windows, SEQ), chunks[1:].reshape(n_windows, SEQ)


@jax.jit(static_argnames="config")
def held_out_totals(params, x, y, config, temperature=1.0):
    """The summed loss (nats) over held-out windows x, y (n_windows, SEQ) of each seed's model
    (params with a leading N_SEEDS axis), its logits divided by `temperature`: -> (N_SEEDS,)."""
    return jax.vmap(lambda p: total_nats(transformer(p, x, config) / temperature, y))(params)


models, evaluations, curves = {}, {}, {}
for i, (name, (vocab_size, encode, decode)) in enumerate(tokenizers.items()):
    config = TransformerConfig(vocab_size=vocab_size, block_size=SEQ, n_layer=2, n_head=4,
                               n_embd=48)  # fmt: skip
    train_ids = jnp.asarray(encode(train_text))
    starts = jax.random.randint(jax.random.fold_in(keys["lm_batches"], i),
                                (N_SEEDS, N_STEPS, BATCH), 0, len(train_ids) - SEQ - 1)  # fmt: skip
    run_keys = jax.random.split(jax.random.fold_in(keys["lm_init"], i), N_SEEDS)
    params, losses = train_lm_seeds(config, train_ids, run_keys, starts)
    val_ids = np.asarray(encode(val_text))
    val_x, val_y = held_out_windows(val_ids)
    n_chars = len(decode(val_y.ravel()))  # the characters the predicted tokens spell
    totals = held_out_totals(params, val_x, val_y, config)
    models[name] = (config, params, val_x, val_y, n_chars)
    curves[name] = np.asarray(losses)
    evaluations[name] = [lm_summary(float(t), val_y.size, n_chars) for t in totals]
    print(f"{name:10s} vocab {vocab_size:4d}: {len(train_ids):,} training tokens, "
          f"{len(train_ids) / len(train_text):.2f} per character")  # fmt: skip
    for seed, e in enumerate(evaluations[name]):
        print(f"    seed {seed}: held-out {e['nats_per_token']:.3f} nats/token = "
              f"{e['bits_per_char']:.3f} bits/char over {e['n_chars']:,} characters")  # fmt: skip


def per_seed(name, field):
    return np.array([e[field] for e in evaluations[name]])


def standard_error(x):
    """The standard error of the mean of a sample: std / sqrt(n)."""
    return np.std(x, ddof=1) / np.sqrt(len(x))


bpc_gain = per_seed("characters", "bits_per_char") - per_seed("BPE 512", "bits_per_char")
print(f"bits/char, characters minus BPE, per seed: {np.round(bpc_gain, 3)}")
assert np.all(per_seed("BPE 512", "nats_per_token") > per_seed("characters", "nats_per_token"))
per_char_gap = abs(bpc_gain.mean())
print(f"mean over seeds: {bpc_gain.mean():+.3f} bits/char; the per-token losses differ by "
      f"{np.mean(per_seed('BPE 512', 'nats_per_token') - per_seed('characters', 'nats_per_token')):.2f} nats")  # fmt: skip
assert per_char_gap < 0.2 * per_seed("characters", "bits_per_char").mean()  # close per char

fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
for name, losses in curves.items():
    chars_per_token = evaluations[name][0]["chars_per_token"]
    steps = np.arange(1, N_STEPS + 1)
    axes[0].plot(steps, losses.mean(0), label=name)
    axes[1].plot(steps, losses.mean(0) / (LN2 * chars_per_token), label=name)
axes[0].set(xlabel="step", ylabel="training loss (nats per token)", title="per token")
axes[1].set(xlabel="step", ylabel="bits per character", title="per character",
            ylim=(0, 8))  # fmt: skip
for ax in axes:
    ax.legend()
show("nats-vs-bits")


# %% [markdown]
# Per token the BPE model's loss is far higher, since each of its tokens carries about
# two characters (asserted for each seed); per character the two are close (within 20%,
# asserted). Which one is lower per character depends on the budget: at the same steps and
# tokens per step the BPE model reads about twice as much text and sees twice as far back
# in its 32-token context, but it has more, rarer tokens to learn (see the early plateau
# of its curve in the figure). The printed difference
# is one small budget's answer; `jlr run transformer --set tokenizer=bpe` trains both
# longer and reports bits per character for each.


# %% [markdown]
# ## 3. Scaling laws (data, parameters, compute)
#
# Kaplan et al. (2020) found that the held-out loss of Transformer LMs falls as a **power
# law** in the number of parameters $N$, the tokens $D$ and the compute $C$, each when the
# other two do not limit it, over many orders of magnitude:
#
# $$ L(N) = a\, N^{-\alpha} + c, $$
#
# with $c$ the loss no model size removes (the text's own entropy, and the limits of the
# data). They count $N$ **without the embedding and position tables** (those scale with
# the vocabulary, not with depth and width); a block of width $d$ holds $12 d^2 + 13 d$
# weights and biases, so $N = n_\text{layer}(12 d^2 + 13 d) + 2d$ exactly (the final layer
# norm), about $12\, n_\text{layer} d^2$. Training costs $C \approx 6 N D$ FLOPs (2 per
# parameter per token forward, 4 backward). For a budget $C$, Hoffmann et al. (2022,
# "Chinchilla") fit $L(N, D) = E + A/N^{0.34} + B/D^{0.28}$ and found the best $N$ and $D$
# both grow about as $\sqrt{C}$: about 20 tokens per parameter, far more data per
# parameter than Kaplan et al. had advised.
#
# `jlr run scaling-laws` trains a family of sizes on a fixed token budget, fits the law with
# a bootstrap interval and runs an IsoFLOP experiment. Here, the same code
# (`jlr.projects.scaling_laws`) at a tiny size: four one-block models of widths 8 to 64 on
# the same 76,800 characters each, evaluated on the same 256 held-out windows, the fit's
# interval from a paired bootstrap over those windows.

# %%
data = char_data("", SEQ)  # the stdlib corpus, character level, as `jlr run scaling-laws`
scaling_windows = training_windows(data.train, SEQ)
scaling_x, scaling_y = validation_windows(data.val, SEQ, 256)
sizes = ["1x8", "1x16", "1x32", "1x64"]  # n_layer x d_model
records = []
for i, size in enumerate(sizes):
    model = size_model(size, vocab_size=data.vocab.size, block_size=SEQ, d_head=8,
                       positional="rope")  # fmt: skip
    trained, record = train_size(jax.random.fold_in(keys["scaling"], i), model, scaling_windows,
                                 scaling_x, scaling_y, steps=150, batch_size=16,
                                 lr=width_lr(model.n_embd, 2e-3, 64),
                                 steps_per_call=150)  # fmt: skip
    assert record["n_params"] == non_embedding_params(trained) == exact_count(1, model.n_embd)
    records.append(record)
    n, d = record["n_params"], record["tokens"]
    print(f"{size:5s} N = {n:6,d} (12 L d^2 = {kaplan_estimate(1, model.n_embd):6,d}), "
          f"D = {d:,} characters, C = 6ND = {6 * n * d:.2e} FLOPs: held-out loss "
          f"{record['val_loss']:.3f} +- {record['val_se']:.3f} nats")  # fmt: skip
n_params = np.array([r["n_params"] for r in records])
window_losses = np.array([r["window_losses"] for r in records])  # (n_sizes, 256)
boot = bootstrap_fit(keys["bootstrap"], n_params, window_losses, n_resamples=500)
lo, hi = boot.interval["alpha"]
print(f"fit: L(N) = {boot.fit.a:.2f} N^-{boot.fit.alpha:.3f} + {boot.fit.c:.3f}; alpha 95% "
      f"interval [{lo:.3f}, {hi:.3f}] (Kaplan et al.: 0.076; Hoffmann et al.: 0.34)")  # fmt: skip
paired = window_losses[0] - window_losses[-1]  # smallest minus largest, window by window
print(f"largest vs smallest model: {paired.mean():.3f} +- {standard_error(paired):.3f} nats")
assert n_params[-1] / n_params[0] > 30  # the family spans more than 30x in N
assert paired.mean() > 3 * standard_error(paired)  # more parameters, lower held-out loss
assert lo > ALPHA_RANGE[0]  # the interval clears the fit's smallest exponent: a resolved fall

grid = np.geomspace(n_params[0] / 2, n_params[-1] * 4, 100)
band = prediction_band(boot, grid)
fig, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
ax.errorbar(n_params, window_losses.mean(1), yerr=[r["val_se"] for r in records], fmt="o",
            capsize=3, label="held-out loss")  # fmt: skip
ax.plot(grid, power_law(grid, boot.fit.a, boot.fit.alpha, boot.fit.c), label="fit")
ax.fill_between(grid, band[0], band[1], alpha=0.3, label="95% bootstrap band")
ax.set(xscale="log", xlabel="non-embedding parameters N", ylabel="loss (nats per character)",
       title="L(N) = a N^-alpha + c, 4 tiny sizes")  # fmt: skip
ax.legend()
show("scaling-law")

# %% [markdown]
# The exponent printed above is not Kaplan's 0.076 nor Chinchilla's 0.34, and should not
# be: these are character-level models on a small, fixed budget (every size sees the same
# 76,800 characters, so the larger ones are undertrained: data, not parameters, limit
# them), spanning two orders of magnitude of $N$ where the papers span six, and the offset
# $c$ trades off against $\alpha$ over so short a range. The interval covers only the noise
# of the held-out text; another training seed would move the points too. What transfers is
# the method: fit $N$ against the loss with a floor, state the counting convention, and
# give an interval. For compute-optimal allocation, fix $C = 6ND$ and vary $N$ (an
# **IsoFLOP** curve): its minimum is the best size for that budget; `jlr run scaling-laws`
# runs that experiment.
#
# ## 4. Training dynamics at scale
#
# Large runs are watched through a few signals, each recorded here at every step of real
# (small) GPT runs by `jlr.experiments.training_dynamics`:
#
# * the **loss** curve, and the global **gradient norm** $\lVert g \rVert$;
# * the **update-to-parameter ratio** of each layer $l$, $\lVert \Delta\theta_l \rVert /
#   \lVert \theta_l \rVert$: how fast the layer moves relative to its size (a common
#   rule of thumb puts healthy runs near $10^{-3}$ per step);
# * the **learning rate** schedule: with Adam every coordinate's first step has size about
#   $\eta$ whatever the gradient, so a high rate from step 0 moves weights of size 0.02 by
#   far more than their size. **Warmup**, $\eta_t = \eta \min(1, (t+1)/W)$, lets the moment
#   estimates settle first.
#
# Three configurations, three seeds each (paired: the same initialization and batches for
# every configuration), all trained at once with `vmap`: a moderate rate $3 \cdot 10^{-3}$
# with 30 warmup steps, and a high rate 0.2 without and with warmup.

# %%
dynamics = dynamics_runs(keys["dynamics"], "small")
labels = [f"lr {lr:g}, warmup {w}" for lr, w in dynamics["configs"]]
groups = dynamics["groups"]
print(f"{dynamics['n_params']:,} parameters; groups {groups}; "
      f"{dynamics['loss'].shape[-1]} steps")  # fmt: skip
embed = groups.index("embed")
first_ratio = dynamics["update_ratio"][:, :, 0, embed]  # (n_configs, n_seeds)
early_rise = rise_above_start(dynamics["loss"][..., :6])  # the first 5 steps
final_loss = dynamics["loss"][..., -20:].mean(-1)
for c, label in enumerate(labels):
    print(f"{label:20s} first embedding update ratio {np.round(first_ratio[c], 3)}; rise above "
          f"the initial loss in 5 steps {np.round(early_rise[c], 2)}; final loss "
          f"{np.round(final_loss[c], 3)}")  # fmt: skip
assert np.all(early_rise[1] > 0)  # per seed: without warmup the loss climbs at once ...
assert np.all(early_rise[1] - early_rise[2] > 0.5)  # ... by far more than with warmup
assert np.all(first_ratio[1] > 10 * first_ratio[2])  # ... because the first step is huge
assert np.all(final_loss[0] < final_loss[1]) and np.all(final_loss[0] < final_loss[2])
late_ratios = dynamics["update_ratio"][0, :, -20:].mean(axis=(0, 1))  # (n_groups,)
print(
    f"{labels[0]}: update ratio per step over the last 20 steps, "
    + ", ".join(f"{g} {r:.1e}" for g, r in zip(groups, late_ratios, strict=True))
)

fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), layout="constrained")
steps = dynamics["steps"]
for c, label in enumerate(labels):
    axes[0].plot(steps, dynamics["loss"][c].mean(0), label=label)
    axes[1].semilogy(steps, dynamics["grad_norm"][c].mean(0), label=label)
for g, group in enumerate(groups):
    axes[2].semilogy(steps, dynamics["update_ratio"][0, :, :, g].mean(0), label=group)
axes[0].set(xlabel="step", ylabel="minibatch loss (nats)", title="loss")
axes[1].set(xlabel="step", ylabel="||g||", title="gradient norm")
axes[2].set(xlabel="step", ylabel="||update|| / ||params||", title=f"update ratio, {labels[0]}")
for ax in axes:
    ax.legend(fontsize=7)
show("training-dynamics")

# %% [markdown]
# Without warmup the first step moves the embedding by many times its own size and the
# loss climbs above where it started within five steps; with warmup it stays near or below
# its start, at least half a nat lower (both asserted per seed). Warmup tames the start, not a rate that is too high: both runs at 0.2
# end above the moderate one (asserted). The update ratio of each layer of the moderate
# run, late in training, is printed above: compare it with the rule of thumb.
#
# **The critical batch size.** Lesson 04's noise estimator gives, from per-example
# gradients $g_i$ with mean $G$ and covariance $\Sigma$, the minibatch noise
# $\mathbb{E}\lVert g_B - G \rVert^2 = \operatorname{tr}\Sigma / B$. The **simple noise
# scale** $B_\text{simple} = \operatorname{tr}\Sigma / \lVert G \rVert^2$ (McCandlish et al.
# 2018) is the batch at which noise equals signal: below it a larger batch buys almost
# proportionally fewer steps, above it almost none, so it estimates the **critical batch
# size**. It grows as training proceeds and the gradient's signal shrinks, which is why
# large runs raise the batch size as they go. Measured on 128 windows (one window is one
# example) during the moderate run:

# %%
b_simple = dynamics["noise_b_simple"][0]  # (n_seeds, n_checks), the moderate rate
for s, row in enumerate(b_simple):
    print(f"seed {s}: B_simple at steps {dynamics['noise_steps'].tolist()} = {np.round(row, 1)}")
assert np.all(b_simple[:, -1] > 3 * b_simple[:, 0])  # noise grows relative to signal

# %% [markdown]
# ## 5. Evaluation metrics: perplexity
#
# **Perplexity** is the exponential of the mean held-out loss,
# $\text{PPL} = \exp\big(\frac{1}{n}\sum_t \ell_t\big)$: a model as unsure as a uniform
# choice among $k$ tokens has perplexity $k$, so an untrained model's is about $V$. Per
# token it depends on the tokenizer; per character, $\text{PPL}_\text{char} =
# \exp(\sum_t \ell_t / n_\text{chars})$, it does not, and the two are tied by
#
# $$ \text{PPL}_\text{char} = \text{PPL}_\text{token}^{\,n_\text{tokens} / n_\text{chars}}, $$
#
# since both exponents share the total $\sum_t \ell_t$. (Bits per character is
# $\log_2 \text{PPL}_\text{char}$.) For the two models of section 2, on the same held-out
# characters:

# %%
for name in tokenizers:
    for seed, e in enumerate(evaluations[name]):
        relation = e["ppl_token"] ** (e["n_tokens"] / e["n_chars"])
        print(f"{name:10s} seed {seed}: perplexity {e['ppl_token']:7.2f} per token, "
              f"{e['ppl_char']:5.3f} per character; {e['n_tokens']:,} tokens for "
              f"{e['n_chars']:,} characters")  # fmt: skip
        assert abs(relation / e["ppl_char"] - 1) < 1e-9
        assert abs(np.log2(e["ppl_char"]) - e["bits_per_char"]) < 1e-9
ppl = {name: (per_seed(name, "ppl_token").mean(), per_seed(name, "ppl_char").mean())
       for name in tokenizers}  # fmt: skip
assert ppl["BPE 512"][0] > 5 * ppl["characters"][0]
assert 1 / 1.5 < ppl["BPE 512"][1] / ppl["characters"][1] < 1.5

fig, axes = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
for ax, index, unit in zip(axes, (0, 1), ("per token", "per character"), strict=True):
    ax.bar(list(ppl), [ppl[name][index] for name in ppl], color=["tab:blue", "tab:orange"])
    ax.set(title=f"held-out perplexity {unit}", ylabel="perplexity")
show("perplexity-token-vs-char")


# %% [markdown]
# The per-token perplexities differ by more than a factor of five (asserted on the seed
# means) while the per-character ones are within a factor 1.5 of each other (asserted): a
# per-token perplexity mostly measures the tokenizer. Compare language models by bits (or
# perplexity) per character or per byte of the same text, never per token across
# tokenizers.


# %% [markdown]
# ## 6. Limitations of likelihood-based evaluation
#
# Perplexity scores how well a model predicts *given* text; it says nothing direct about
# the text the model *writes*, which also depends on the **decoding** rule (lesson 07:
# temperature, top-k, top-p). Two measures of generated text (`jlr.text.sample_metrics`),
# over a set of samples, each sample's n-grams being its windows of $n$ tokens:
#
# * **distinct-n** = (different n-grams over all samples) / (all n-grams): low when the
#   samples repeat themselves or each other;
# * **repetition rate** = (n-grams that repeat an earlier n-gram of the same sample) / (all
#   n-grams): a sample looping on itself.
#
# We continue 128 held-out prompts of 8 characters by 24 characters (one context window)
# with the character model of section 2 (seed 0), decoding four ways: greedy (top-p with
# $p \to 0$ keeps only the most probable token), temperature 0.7, temperature 1 and top-p
# 0.9. The model, and so its perplexity, is the same for all four. We also score each
# sample's own log-likelihood per character under the model.

# %%
N_PROMPT, N_NEW, N_SAMPLES = 8, 24, 128  # N_PROMPT + N_NEW <= SEQ + 1: one window
char_config, char_params, char_val_x, char_val_y, char_val_chars = models["characters"]
reference = jax.tree.map(lambda leaf: leaf[0], char_params)  # seed 0's model
val_char_ids = np.asarray(char_vocab.encode(val_text))


def random_prompts(key, n):
    """n prompts of N_PROMPT held-out characters at random places: (n, N_PROMPT)."""
    starts = jax.random.randint(key, (n,), 0, len(val_char_ids) - N_PROMPT)
    return jnp.asarray(val_char_ids)[starts[:, None] + jnp.arange(N_PROMPT)]


@jax.jit
def decode_batch(key, params, prompts, temperature, top_p):
    """Continue every prompt by N_NEW tokens: (n, N_PROMPT) -> (n, N_PROMPT + N_NEW). One
    compiled program for every temperature and top_p (both are traced)."""
    return sample_completions(key, params, char_config, prompts, N_NEW,
                              temperature=temperature, top_p=top_p)  # fmt: skip


@jax.jit
def completion_logprob(params, ids):
    """Each row's completion log-likelihood under the model: (n, N_PROMPT + N_NEW) -> (n,)."""
    return sequence_logprob(params, ids, completion_mask(len(ids), N_PROMPT, N_NEW), char_config)


decodings = {"greedy": (1.0, 1e-6), "temperature 0.7": (0.7, 1.0), "temperature 1": (1.0, 1.0),
             "top-p 0.9": (1.0, 0.9)}  # fmt: skip
prompts = random_prompts(keys["decode"], N_SAMPLES)
metrics = {}
for i, (name, (temperature, top_p)) in enumerate(decodings.items()):
    ids = decode_batch(jax.random.fold_in(keys["decode"], i), reference, prompts, temperature,
                       top_p)  # fmt: skip
    completions = [row[N_PROMPT:].tolist() for row in np.asarray(ids)]
    per_char = np.asarray(completion_logprob(reference, ids)) / N_NEW  # (N_SAMPLES,)
    repeats = np.array([repetition_rate([c], 3) for c in completions])  # (N_SAMPLES,)
    metrics[name] = {"distinct-2": distinct_n(completions, 2),
                     "distinct-3": distinct_n(completions, 3),
                     "repetition-3": repeats, "log p per char": per_char}  # fmt: skip
    print(f"{name:16s} distinct-2 {metrics[name]['distinct-2']:.3f}  distinct-3 "
          f"{metrics[name]['distinct-3']:.3f}  repetition-3 {repeats.mean():.3f}  "
          f"log p per char {per_char.mean():+.3f}")  # fmt: skip
    print(f"{'':16s} e.g. {char_vocab.decode(np.asarray(ids[0]))!r}")


greedy, sampled = metrics["greedy"], metrics["temperature 1"]
rep_gap = greedy["repetition-3"] - sampled["repetition-3"]
assert rep_gap.mean() > 3 * standard_error(rep_gap)  # greedy loops (paired by prompt)
lik_gap = greedy["log p per char"] - sampled["log p per char"]
assert lik_gap.mean() > 3 * standard_error(lik_gap)  # ... and is the most likely text
assert greedy["distinct-3"] < 0.8 * sampled["distinct-3"]

names = list(metrics)
fig, axes = plt.subplots(1, 3, figsize=(11, 3), layout="constrained")
for ax, field in zip(axes, ("distinct-3", "repetition-3", "log p per char"), strict=True):
    values = [np.mean(metrics[n][field]) for n in names]
    ax.bar(names, values, color="tab:blue")
    ax.set(title=field)
    ax.tick_params(axis="x", rotation=30)
show("decoding-diversity")


# %% [markdown]
# Greedy decoding writes the text the model finds *most likely*, and it is the most
# repetitive (both asserted on the per-prompt differences, beyond three standard errors):
# high likelihood is not good text. Sampling at temperature $\tau$ from a model $p$ is
# sampling at temperature 1 from another model, $p_\tau \propto p^{1/\tau}$, so a decoding
# choice is also a choice of model. Their held-out perplexities are close; their samples
# are not:

# %%
TAU = 0.85
tau_ids = decode_batch(jax.random.fold_in(keys["decode"], len(decodings)), reference, prompts,
                       TAU, 1.0)  # fmt: skip
tau_repeats = np.array(
    [repetition_rate([row[N_PROMPT:].tolist()], 3) for row in np.asarray(tau_ids)]
)
ppl_by_temperature = {}
for temperature in (1.0, TAU):
    totals = held_out_totals(char_params, char_val_x, char_val_y, char_config, temperature)
    ppl_by_temperature[temperature] = float(np.exp(np.asarray(totals)[0] / char_val_chars))
ppl_change = ppl_by_temperature[TAU] / ppl_by_temperature[1.0] - 1
rep_change = tau_repeats.mean() / sampled["repetition-3"].mean() - 1
print(f"held-out perplexity per character: p {ppl_by_temperature[1.0]:.3f}, p_{TAU} "
      f"{ppl_by_temperature[TAU]:.3f} ({ppl_change:+.1%}); repetition-3 of their samples "
      f"{sampled['repetition-3'].mean():.3f} and {tau_repeats.mean():.3f} "
      f"({rep_change:+.0%})")  # fmt: skip
assert 0 < ppl_change < 0.1 and rep_change > 4 * ppl_change


# %% [markdown]
# Perplexity rises by under 10% while the repetition of the samples rises by more than four
# times as much, relatively (both printed and asserted). Likelihood-based evaluation
# measures the distribution; what users see is a decoded sample, which needs its own
# measures (diversity, repetition, and in the end human or model judgments). `jlr run
# alignment` adds two models trained to close perplexities whose samples differ.
#
# ## 7. Alignment overview (RLHF basics)
#
# A pretrained LM imitates its text; **alignment** tunes it toward what people prefer.
# The RLHF recipe (Christiano et al. 2017; Ouyang et al. 2022): collect pairs of
# completions of a prompt with a label saying which one is preferred; fit a **reward model**
# $r(y)$ with the **Bradley–Terry** model of preferences,
#
# $$ P(y_w \succ y_l) = \sigma(r(y_w) - r(y_l)), \qquad
#    \mathcal{L}_\text{BT} = -\mathbb{E} \log \sigma(r(y_w) - r(y_l)); $$
#
# then improve the policy $\pi$ to earn reward while staying close to the pretrained
# **reference** $\pi_\text{ref}$, maximizing $\mathbb{E}_{y \sim \pi}[r(y)] - \beta\,
# \mathrm{KL}(\pi \,\|\, \pi_\text{ref})$. **DPO** (Rafailov et al. 2023) reaches the
# optimum of that objective without a reward model or sampling during training: the
# optimal policy satisfies $r(y) = \beta \log \frac{\pi(y)}{\pi_\text{ref}(y)} + \text{const}$,
# and putting this implicit reward into the Bradley–Terry loss gives
#
# $$ \mathcal{L}_\text{DPO} = -\mathbb{E} \log \sigma\Big(\beta \big[\log
#    \tfrac{\pi(y_w)}{\pi_\text{ref}(y_w)} - \log \tfrac{\pi(y_l)}{\pi_\text{ref}(y_l)}\big]\Big), $$
#
# which is exactly $\ln 2$ at the start, when $\pi = \pi_\text{ref}$. A preference that
# code can check stands in for people: the **true score** of a completion is the fraction
# of its characters that are lowercase letters, and a labeller prefers the higher score
# with Bradley–Terry noise, $P(a \succ b) = \sigma(20\,(s_a - s_b))$. The reference is
# section 2's character model (seed 0); pairs are two of its samples for one prompt.

# %%
N_PAIRS, BETA, DPO_STEPS, DPO_BATCH, DPO_LR = 2 * N_SAMPLES, 0.1, 80, 32, 3e-4
lowercase = jnp.asarray([char_vocab.chars.index(c) for c in "abcdefghijklmnopqrstuvwxyz"
                         if c in char_vocab.chars])  # fmt: skip


def true_score(ids):
    """Fraction of the completion's characters that are lowercase letters: (n, N_PROMPT +
    N_NEW) -> (n,)."""
    return jnp.isin(ids[:, N_PROMPT:], lowercase).mean(axis=1)


pair_prompts = random_prompts(keys["pairs"], N_PAIRS).reshape(2, N_SAMPLES, N_PROMPT)
first, second = (jnp.concatenate([decode_batch(jax.random.fold_in(keys["pairs"], 2 * h + k),
                                               reference, pair_prompts[h], 1.0, 1.0)
                                  for h in range(2)]) for k in range(2))  # fmt: skip
prefers_first = sample_preferences(keys["labels"], true_score(first), true_score(second), 20.0)
chosen = jnp.where(prefers_first[:, None], first, second)
rejected = jnp.where(prefers_first[:, None], second, first)
mask = completion_mask(N_PAIRS, N_PROMPT, N_NEW)
pairs = PreferencePairs(chosen, mask, rejected, mask)
label_agrees = float(jnp.mean(true_score(chosen) >= true_score(rejected)))
print(f"{N_PAIRS} pairs; the label agrees with the true score in {label_agrees:.0%}")

train_pairs = jax.tree.map(lambda a: a[: N_PAIRS // 2], pairs)
test_pairs = jax.tree.map(lambda a: a[N_PAIRS // 2 :], pairs)
reward_params, reward_losses = train_reward_model(
    init_reward_model(keys["dpo"], char_vocab.size, 16), train_pairs, steps=200, lr=0.01
)
held_out_accuracy = float(preference_accuracy(*pair_rewards(reward_params, test_pairs)))
print(f"reward model (Bradley-Terry): loss {float(reward_losses[0]):.3f} -> "
      f"{float(reward_losses[-1]):.3f}; held-out pairs ranked as labelled: "
      f"{held_out_accuracy:.0%}")  # fmt: skip
rewards_by_char = np.asarray(token_rewards(reward_params))  # (vocab,): each character's reward
seen = np.isin(np.arange(char_vocab.size), np.asarray(train_pairs.chosen[:, N_PROMPT:]))
is_lower = np.isin(np.arange(char_vocab.size), np.asarray(lowercase))
lower_reward = rewards_by_char[seen & is_lower].mean()
other_reward = rewards_by_char[seen & ~is_lower].mean()
print(f"mean reward per character: lowercase letters {lower_reward:+.2f}, the other characters "
      f"seen {other_reward:+.2f}")  # fmt: skip
assert lower_reward > other_reward
assert held_out_accuracy > 0.7


# %% [markdown]
# The reward model learned, from labels alone, which characters the labeller likes (its
# per-character rewards favour lowercase letters, asserted). Now
# DPO on the training pairs, from the reference, evaluated every 20 steps on fresh prompts:
# the true score and the learned reward of the policy's samples, and the KL divergence
# from the reference, estimated on the policy's own samples as the mean of
# $\log \pi(y) - \log \pi_\text{ref}(y)$ (nats per completion).

# %%
ref_chosen = completion_logprob(reference, train_pairs.chosen)  # (N_PAIRS / 2,)
ref_rejected = completion_logprob(reference, train_pairs.rejected)
dpo_step = make_dpo_step(char_config, adam(DPO_LR), BETA)
policy, opt_state = reference, adam(DPO_LR).init(reference)
eval_prompts = random_prompts(keys["after"], N_SAMPLES)


def evaluate_policy(params, eval_key):
    """True score, learned reward and KL(policy || reference) on N_SAMPLES fresh samples."""
    ids = decode_batch(eval_key, params, eval_prompts, 1.0, 1.0)
    log_ratio = completion_logprob(params, ids) - completion_logprob(reference, ids)
    rewards = reward_model(reward_params, ids, mask[: len(ids)])
    completions = [row[N_PROMPT:].tolist() for row in np.asarray(ids)]
    return {"true score": np.asarray(true_score(ids)), "reward": np.asarray(rewards),
            "KL": np.asarray(log_ratio), "distinct-3": distinct_n(completions, 3)}  # fmt: skip


history = {0: evaluate_policy(policy, jax.random.fold_in(keys["after"], 0))}
dpo_losses = []
batch_rows = jax.random.randint(keys["dpo_batches"], (DPO_STEPS, DPO_BATCH), 0, N_PAIRS // 2)
for step in range(DPO_STEPS):
    minibatch = jax.tree.map(lambda a, rows=batch_rows[step]: a[rows], train_pairs)
    policy, opt_state, dpo_metrics = dpo_step(policy, opt_state, minibatch,
                                              ref_chosen[batch_rows[step]],
                                              ref_rejected[batch_rows[step]])  # fmt: skip
    dpo_losses.append(float(dpo_metrics["loss"]))
    if (step + 1) % 20 == 0:
        history[step + 1] = evaluate_policy(policy, jax.random.fold_in(keys["after"], step + 1))
for step, h in history.items():
    print(f"step {step:3d}: true score {h['true score'].mean():.3f}, reward "
          f"{h['reward'].mean():+.3f}, KL {h['KL'].mean():6.2f} nats, distinct-3 "
          f"{h['distinct-3']:.3f}")  # fmt: skip
print(f"DPO loss at the first step {dpo_losses[0]:.6f} (ln 2 = {np.log(2):.6f}), "
      f"last 10 steps {np.mean(dpo_losses[-10:]):.3f}")  # fmt: skip
assert abs(dpo_losses[0] - np.log(2)) < 1e-5  # pi = pi_ref at the start
before, after = history[0], history[DPO_STEPS]
gain = after["true score"].mean() - before["true score"].mean()
gain_se = np.hypot(standard_error(after["true score"]), standard_error(before["true score"]))
assert gain > 3 * gain_se  # the preference is learned
assert after["reward"].mean() > before["reward"].mean()
assert after["KL"].mean() < 20.0  # ... while the policy stays near the reference
middle = history[DPO_STEPS // 2]
late_kl = after["KL"].mean() - middle["KL"].mean()
assert late_kl > 3 * np.hypot(standard_error(after["KL"]), standard_error(middle["KL"]))
early_gain = middle["true score"].mean() - before["true score"].mean()
assert after["true score"].mean() - middle["true score"].mean() < early_gain / 2  # levels off

fig, axes = plt.subplots(1, 3, figsize=(11, 3), layout="constrained")
steps_seen = list(history)
for ax, field in zip(axes, ("true score", "reward", "KL"), strict=True):
    means = [history[s][field].mean() for s in steps_seen]
    errors = [standard_error(history[s][field]) for s in steps_seen]
    ax.errorbar(steps_seen, means, yerr=errors, marker="o", capsize=3)
    ax.set(xlabel="DPO step", title=field + (" (nats)" if field == "KL" else ""))
show("dpo")

# %% [markdown]
# The true score and the learned reward rise within the first steps while the KL to the
# reference stays bounded (asserted: the score's gain beyond three standard errors, KL
# below 20 nats per 24-character completion). In the second half of the run the KL keeps
# growing (beyond three standard errors) while the true score gains less than half of
# what it gained in the first half (both asserted): the policy drifts for little return. DPO's $\beta$ is the price
# of that drift; with no anchor to the reference at all (REINFORCE on the learned reward
# without the KL term), a policy finds what the reward model overvalues and its text
# degenerates: **reward hacking**, which `jlr run alignment` shows beside the run with the
# KL penalty, with the reward, true score and KL before and after.
#
# ## Summary
#
# * BPE learns merges of frequent byte pairs: each vocabulary size is a prefix of the
#   merges, and a larger one spends fewer tokens per character; WordPiece splits words
#   greedily, longest match first.
# * The causal LM objective is next-token cross-entropy on shifted targets, with padding
#   weighed out; compare tokenizers in bits per character, not nats per token.
# * Loss falls as a power law in model size, with an offset; fits need a stated parameter
#   count and an interval, and small runs do not reproduce the published exponents.
# * Watch the loss, the gradient norm and each layer's update ratio; warmup keeps Adam's
#   first steps from wrecking the weights; the noise scale tells how large a batch pays.
# * Perplexity per token depends on the tokenizer, per character it does not:
#   $\text{PPL}_\text{char} = \text{PPL}_\text{token}^{n_\text{tokens}/n_\text{chars}}$.
# * Likelihood does not measure generated text: the most likely decoding repeats itself.
# * Alignment: a Bradley-Terry reward model from preference pairs; DPO optimizes the same
#   preference directly, anchored to the reference model (its loss starts at $\ln 2$).
#
# Exercises: `exercises/09_llms.py`; grade them with `jlr check 09`.
