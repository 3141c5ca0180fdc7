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
# # 07 · NLP and sequence modeling
#
# Text is a sequence of discrete symbols. To model it a network must turn symbols into
# vectors (**tokenization** and **embeddings**), carry information along the sequence
# (**recurrence** or **attention**), and know where each symbol is (**positional
# encodings**). This lesson builds each piece from `jlr.text`, `jlr.nn` and `jlr.models`,
# trains character-level language models of three kinds on the same text, the Python
# standard library's own source, and measures what separates them: how far gradients reach,
# how the work scales with the sequence length, and which positional encodings survive
# sequences longer than those seen in training.
#
# | topic | library |
# | --- | --- |
# | tokenization | `jlr.text.CharVocab`, `jlr.text.WordVocab`, `pad_sequences` |
# | embeddings | `jlr.nn.embedding` (lookup, tied unembedding) |
# | RNN and GRU | `jlr.models.rnn` (`lax.scan`, a character LM, `state_jacobian_norms`) |
# | self-attention, Q/K/V, heads | `jlr.nn.attention` |
# | the Transformer | `jlr.models.transformer` |
# | positional encodings | `jlr.nn.positional` (sinusoidal, learned, RoPE) |
# | sampling | `jlr.models.sampling` (temperature, top-k, top-p) |
#
# The lesson runs in a minute or two on two CPU cores. Its root seed is `JLR_SEED` (0 by
# default); every random claim is asserted on a statistic with a margin over seeds trained
# at once with `vmap`, and every number in the prose is printed by the code. Comparisons
# with an oracle run at full float32 precision (`jax.default_matmul_precision("highest")`):
# on an NVIDIA GPU a float32 matmul is TF32 by default. Shapes follow `docs/notation.md`:
# `(batch, seq)` token ids, `(batch, seq, d_model)` activations, attention in `(batch,
# n_heads, seq, d_head)`.
#
# Exercises: `exercises/07_sequence_models.py`, graded by `jlr check 07`.

# %%
import resource
import time
from collections import Counter

import flax.linen as flax_nn
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from jlr.course.lesson import root_key, show
from jlr.data import stdlib_corpus
from jlr.linalg.pca import fit_pca
from jlr.models.rnn import (
    char_lm_loss,
    gru_cell,
    init_char_lm,
    init_gru,
    init_rnn,
    rnn,
    rnn_cell,
    state_jacobian_norms,
)
from jlr.models.sampling import filtered_probs, generate
from jlr.models.transformer import (
    TransformerConfig,
    init_transformer,
    lm_loss,
    n_params,
    transformer,
)
from jlr.nn import attention
from jlr.nn.embedding import embed, init_embedding, unembed
from jlr.nn.layer_norm import layer_norm
from jlr.nn.linear import fast_linear, linear
from jlr.nn.positional import learned_positions, rope, sinusoidal_encoding
from jlr.optim import adam
from jlr.probability.cross_entropy import softmax_cross_entropy
from jlr.text import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    CharVocab,
    WordVocab,
    pad_sequences,
    pre_tokenize,
)
from jlr.train import init_train_state, make_multi_step, make_train_step
from jlr.train.allocator import keep_temp_buffers_in_heap, mallopt_unavailable_reason

key_names = [
    "batches", "rnn_init", "gru_init", "transformer_init", "embedding_demo", "flax_check",
    "jacobian_rnn", "jacobian_inputs", "timing", "attention_demo", "permutation",
    "heads_demo", "tokens_demo", "check_decoder", "rope_demo", "samples", "speed",
    "speed_batches",
]  # fmt: skip
keys = dict(zip(key_names, jax.random.split(root_key(), len(key_names)), strict=True))

corpus = stdlib_corpus()  # the Python standard library's source, about 1M characters
text = corpus.text
print(f"{corpus.n_chars:,} characters from {len(corpus.files)} files, e.g. {corpus.files[:3]}")

# %% [markdown]
# ## 1. Discrete sequences and tokenization
#
# A model reads integers, not characters: a **vocabulary** maps each **token** to an id.
# The two simplest choices of token:
#
# * **characters**: a small vocabulary (its size is printed below), long sequences, and
#   almost nothing is ever unknown (`jlr.text.CharVocab`, sorted by code point as nanoGPT);
# * **words** (`jlr.text.WordVocab`: runs of letters/digits/underscores and runs of
#   punctuation): short sequences but a vocabulary that keeps growing with the text, so a
#   word vocabulary is cut (at a minimum count here) and every word outside it becomes the
#   **unknown token** `<unk>`. Three more **special tokens** have fixed ids: `<pad>` fills
#   short sequences up to a batch's length, `<bos>`/`<eos>` mark a sequence's ends.
#
# We build word vocabularies from the first 100,000 characters and encode the next 100,000.

# %%
seen_text, new_text = text[:100_000], text[100_000:200_000]
unk_rates = {}
for min_freq in (1, 2, 5):
    words = WordVocab.from_text(seen_text, min_freq=min_freq)
    unk_rates[min_freq] = (words.size, float(np.mean(words.encode(new_text) == UNK_ID)))
    print(f"min_freq {min_freq}: {words.size:5d} tokens, <unk> is "
          f"{unk_rates[min_freq][1]:.1%} of the new text's tokens")  # fmt: skip
sizes, rates = zip(*unk_rates.values(), strict=True)
assert list(sizes) == sorted(sizes, reverse=True) and list(rates) == sorted(rates)
assert rates[1] > 0.05  # code is full of identifiers seen once: words do not transfer well

vocab = CharVocab.from_text(text)  # every character of the corpus
n_chars_new = len(new_text)
n_words_new = len(pre_tokenize(new_text))
print(f"characters: {vocab.size} ids, no <unk> possible on this corpus; "
      f"{n_chars_new / n_words_new:.2f} characters per word token")  # fmt: skip
words = WordVocab.from_text(seen_text, min_freq=2)
line = "def main(argv=None):"
print(f"{line!r} -> words {words.encode(line, add_bos=True, add_eos=True).tolist()} = "
      f"{words.decode(words.encode(line, add_bos=True, add_eos=True))!r}")  # fmt: skip
print(f"{line!r} -> chars {vocab.encode(line).tolist()}")
assert vocab.decode(vocab.encode(text[:5000])) == text[:5000]  # a lossless round trip
batch_ids, batch_mask = pad_sequences([words.encode(s, add_bos=True, add_eos=True)
                                       for s in ("x = 1", "return self", "import os")])  # fmt: skip
print("padded batch (0 = <pad>):\n", batch_ids, "\nmask:\n", batch_mask.astype(int))
assert (batch_ids[~batch_mask] == PAD_ID).all()
assert (batch_ids[:, 0] == BOS_ID).all()
assert all(batch_ids[row, n - 1] == EOS_ID for row, n in enumerate(batch_mask.sum(1)))

# %% [markdown]
# A word costs several characters (printed above), so a word model reads sequences several
# times shorter, but a large share of the tokens of new code are `<unk>` (printed above):
# identifiers are seen once and never again. Word frequencies follow **Zipf's law**, count
# $\propto \text{rank}^{-a}$ with $a \approx 1$: a few tokens (`.`, `(`, `self`, ...) are
# most of the text, and a long tail is seen once. Subword tokenizers (BPE, WordPiece) sit between the
# two: frequent words whole, rare ones in pieces, no `<unk>`.

# %%
token_counts = Counter(pre_tokenize(text[:200_000]))
counts = np.array(sorted(token_counts.values(), reverse=True))  # by rank
ranks = np.arange(1, len(counts) + 1)
zipf_slope = np.polyfit(np.log(ranks[:1000]), np.log(counts[:1000]), 1)[0]
top_100_share = counts[:100].sum() / counts.sum()
seen_once = np.mean(counts == 1)
print(
    f"{len(counts)} distinct tokens; the top 100 are {top_100_share:.0%} of the text; "
    f"{seen_once:.0%} are seen once; log-log slope over the top 1000: {zipf_slope:.2f}"
)
assert top_100_share > 0.5 and -1.4 < zipf_slope < -0.7

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
ax.loglog(ranks, counts, ".", ms=3, label="word tokens")
ax.loglog(ranks, counts[0] / ranks, "--", label="count ~ 1 / rank")
ax.set(xlabel="rank", ylabel="count", title="Zipf's law in 200k characters of Python")
ax.legend()
show("zipf")

# %% [markdown]
# ## 2. Embedding layers and learned representations
#
# An **embedding** maps token $i$ to row $i$ of a trainable table $E$ of shape
# `(vocab, d_model)` (`jlr.nn.embedding`). The lookup is a one-hot row times the table,
#
# $$ x_t = E[\text{ids}_t] = \text{onehot}(\text{ids}_t)\, E, $$
#
# computed without the matmul. Its gradient is therefore $\text{onehot}^\top\, \partial
# L/\partial x$: row $i$ of $\partial L/\partial E$ sums the gradients of the positions
# where token $i$ occurs, and a token absent from the batch gets no gradient at all.

# %%
table = init_embedding(keys["embedding_demo"], vocab.size, 8)
sample_ids = jnp.asarray(vocab.encode("self.x = self"))
one_hot = jax.nn.one_hot(sample_ids, vocab.size)  # (seq, vocab)
with jax.default_matmul_precision("highest"):
    assert jnp.allclose(embed(table, sample_ids), one_hot @ table["table"], atol=1e-6)
table_grad = jax.grad(lambda p: jnp.sum(embed(p, sample_ids) ** 2))(table)["table"]
touched = np.flatnonzero(np.abs(np.asarray(table_grad)).sum(1))
print(f"rows with a gradient: {vocab.decode(touched)!r} (the distinct characters of the input)")
assert set(vocab.decode(touched)) == set("self.x = self")

# %% [markdown]
# The table is trained with the rest of the model. We train character language models:
# each reads 32 characters and predicts, at every position, the next character, with the
# mean cross-entropy (nats) as the loss. Every model of this lesson sees the same text:
# 2 seeds, each with its own initialization and its own sequence of 300 minibatches of 32
# windows from the first 90% of the corpus (the same windows for every kind of model), and
# is evaluated on 256 windows of the last 10%, text from other files. The function below
# trains all the runs of one kind of model at once, `vmap` over the runs, `lax.scan` over
# the steps (`jlr.train`). This section trains a GRU language model (`jlr.models.rnn`,
# section 3 opens it up): embedding (vocab → 32) → GRU (128 units) → linear head.

# %%
SEQ, BATCH, N_STEPS, N_SEEDS = 32, 32, 300, 2
all_ids = jnp.asarray(vocab.encode(text))
n_train = int(0.9 * len(all_ids))
train_ids, val_ids = all_ids[:n_train], all_ids[n_train:]
batch_starts = jax.random.randint(keys["batches"], (N_SEEDS, N_STEPS, BATCH), 0,
                                  n_train - SEQ - 1)  # fmt: skip
val_starts = jnp.linspace(0, len(val_ids) - SEQ - 2, 256).astype(jnp.int32)


def windows(ids, starts):
    """Inputs and next-character targets: starts (...,) -> x, y (..., SEQ), y = x shifted."""
    chunks = ids[starts[..., None] + jnp.arange(SEQ + 1)]  # (..., SEQ + 1)
    return chunks[..., :-1], chunks[..., 1:]


val_x, val_y = windows(val_ids, val_starts)  # (256, SEQ) each


def train_runs(loss_fn, params, run_keys, starts, lr, variant=None):
    """Train runs at once: params and run_keys with a leading (runs,) axis, starts (runs,
    N_STEPS, BATCH), variant (runs,) or None, passed to loss_fn(params, x, y, variant).
    -> trained params and the minibatch losses (runs, N_STEPS)."""
    optimizer = adam(lr)

    def one_run(params, key, starts, variant):
        def batch_loss(params, batch, step_key):  # deterministic: the key is unused
            return loss_fn(params, *batch, variant), {}

        step = make_multi_step(make_train_step(batch_loss, optimizer), windows)
        state, metrics = step(init_train_state(params, optimizer, key), train_ids, starts)
        return state.params, metrics["loss"]

    trained, losses = jax.jit(jax.vmap(one_run))(params, run_keys, starts, variant)
    return trained, np.asarray(losses)


def val_loss(loss_fn, params, variant=None):
    """Held-out loss of every run: (runs,)."""
    return np.asarray(jax.jit(jax.vmap(lambda p, v: loss_fn(p, val_x, val_y, v)))(params, variant))


def char_lm_runs(cell, init_key):
    """N_SEEDS character LMs of one cell: (trained params, train losses, val losses)."""
    param_keys, state_keys = jax.random.split(init_key, (2, N_SEEDS))
    params = jax.vmap(lambda k: init_char_lm(k, vocab.size, 32, 128, cell=cell))(param_keys)

    def loss_fn(params, x, y, variant):
        return char_lm_loss(params, x, y, cell=cell)

    trained, losses = train_runs(loss_fn, params, state_keys, batch_starts, 3e-3)
    return trained, losses, val_loss(loss_fn, trained), params


start_time = time.perf_counter()
gru_params, gru_losses, gru_val, gru_init = char_lm_runs("gru", keys["gru_init"])
print(f"GRU LMs trained in {time.perf_counter() - start_time:.0f} s: final minibatch loss "
      f"{gru_losses[:, -20:].mean(1).round(3)}, held-out {gru_val.round(3)} nats/char "
      f"(uniform guessing: log {vocab.size} = {np.log(vocab.size):.2f})")  # fmt: skip
assert gru_val.max() < 0.6 * np.log(vocab.size)

# %% [markdown]
# What did the table learn? Two characters that can stand in the same places of Python
# code should get similar vectors. We measure similarity by the cosine
# $\cos(e_i, e_j) = e_i \cdot e_j / (\lVert e_i\rVert \lVert e_j \rVert)$, list the nearest
# neighbours of a few characters, and compare the mean cosine between two digits with the
# mean over all pairs of characters, before and after training (averaged over the seeds).


# %%
def cosines(table):
    """(vocab, d) -> (vocab, vocab) cosine similarities."""
    unit = table / np.linalg.norm(table, axis=-1, keepdims=True)
    return unit @ unit.T


def mean_off_diagonal(c, rows):
    block = c[np.ix_(rows, rows)]
    return block[~np.eye(len(rows), dtype=bool)].mean()


char_counts = np.bincount(np.asarray(train_ids), minlength=vocab.size)
frequent = np.flatnonzero(char_counts >= 50)  # rare characters barely move from their init
chars = vocab.chars
classes = {
    "digits": [i for i in frequent if chars[i].isdigit()],
    "lowercase": [i for i in frequent if chars[i].islower() and chars[i].isascii()],
    "uppercase": [i for i in frequent if chars[i].isupper() and chars[i].isascii()],
}
trained_tables = np.asarray(gru_params["embed"]["table"], np.float64)  # (seeds, vocab, 32)
initial_tables = np.asarray(gru_init["embed"]["table"], np.float64)
similarity = {
    (when, name): np.mean([mean_off_diagonal(cosines(t), rows) for t in tables])
    for when, tables in (("init", initial_tables), ("trained", trained_tables))
    for name, rows in {**classes, "all pairs": list(frequent)}.items()
}
print(f"{len(frequent)} of the {vocab.size} characters occur at least 50 times; among them:")
for (when, name), value in similarity.items():
    print(f"{when:8s} mean cosine within {name:10s} {value:+.3f}")
c0 = cosines(trained_tables[0])
for char in "0e(A":
    i = chars.index(char)
    nearest = [j for j in frequent[np.argsort(-c0[i, frequent])] if j != i][:5]
    print(f"nearest to {char!r}: " + ", ".join(f"{chars[j]!r} {c0[i, j]:.2f}" for j in nearest))
digit_gain = similarity["trained", "digits"] - similarity["trained", "all pairs"]
assert digit_gain > 0.1 and abs(similarity["init", "digits"]) < 0.1

# %% [markdown]
# The digits, interchangeable in numbers, end up pointing in similar directions, which
# random vectors do not (printed above). A 2-D picture: the first two principal components
# of one seed's table (`jlr.linalg.pca`) over the frequent characters, each at its
# coordinates.

# %%
frequent_table = trained_tables[0][frequent]  # (n_frequent, 32)
pca = fit_pca(jnp.asarray(frequent_table, jnp.float32), 2)
coords = np.zeros((vocab.size, 2))
coords[frequent] = (frequent_table - np.asarray(pca["mean"])) @ np.asarray(pca["components"]).T
colors = np.full(vocab.size, "grey", dtype=object)
for name, color in (("digits", "tab:red"), ("lowercase", "tab:blue"), ("uppercase", "tab:green")):
    colors[classes[name]] = color
fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
for i in frequent:
    char = chars[i]
    label = {"\n": "\\n", " ": "␣", "\t": "\\t"}.get(char, char)
    ax.text(coords[i, 0], coords[i, 1], label, color=colors[i], ha="center", va="center",
            fontsize=9)  # fmt: skip
low, high = coords[frequent].min(0) - 0.2, coords[frequent].max(0) + 0.2
ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]),
       title="GRU LM's embeddings of the frequent characters, first 2 principal components\n"
       "red digits, blue lowercase, green uppercase, grey the rest")  # fmt: skip
show("embedding-pca")

# %% [markdown]
# ## 3. Recurrent neural networks
#
# A recurrent network reads the sequence one token at a time and carries a **state**
# $h_t$ forward (`jlr.models.rnn`). The vanilla (Elman) RNN:
#
# $$ h_{t+1} = \tanh(x_t W_x + b + h_t W_h). $$
#
# The GRU adds two **gates** computed from $x_t$ and $h_t$: the reset gate $r$ decides how
# much of the old state enters the candidate $n$, the update gate $z$ how much of the old
# state to keep as is:
#
# $$ r = \sigma(x W_{xr} + b_{xr} + h W_{hr}), \quad z = \sigma(x W_{xz} + b_{xz} + h W_{hz}),
# \quad n = \tanh\big(x W_{xn} + b_{xn} + r \odot (h W_{hn} + b_{hn})\big), $$
# $$ h' = (1 - z) \odot n + z \odot h. $$
#
# Both run over the sequence with `jax.lax.scan`, a loop compiled once whose body is one
# step. The GRU is in flax's convention ($r$ multiplies $h W_{hn} + b_{hn}$, after the
# matmul); with the weights copied over it matches `flax.linen.GRUCell`:

# %%
d_in, d_hidden = 5, 6
cell_params = init_gru(keys["flax_check"], d_in, d_hidden)
h, x = jnp.linspace(-1, 1, d_hidden), jnp.linspace(1, -2, d_in)
w_x, b_x, w_h = (jnp.split(cell_params[name], 3, axis=-1) for name in ("w_x", "b_x", "w_h"))
flax_params = {f"i{g}": {"kernel": w, "bias": b} for g, w, b in zip("rzn", w_x, b_x, strict=True)}
flax_params |= {f"h{g}": {"kernel": w} for g, w in zip("rzn", w_h, strict=True)}
flax_params["hn"]["bias"] = cell_params["b_hn"]
with jax.default_matmul_precision("highest"):
    flax_h, _ = flax_nn.GRUCell(d_hidden).apply({"params": flax_params}, h, x)
    ours = gru_cell(cell_params, h, x)
print(f"|ours - flax| = {float(jnp.abs(ours - flax_h).max()):.1e}")
assert jnp.allclose(ours, flax_h, atol=1e-6)

# %% [markdown]
# Now the vanilla RNN language model, trained exactly as the GRU of section 2 (same
# initialization scheme, same windows, same steps), so the comparison is seed by seed.

# %%
rnn_params, rnn_losses, rnn_val, _ = char_lm_runs("rnn", keys["rnn_init"])
gru_advantage = rnn_val - gru_val  # paired: the same minibatches for seed s
print(f"held-out loss: RNN {rnn_val.round(3)}, GRU {gru_val.round(3)}; "
      f"GRU better by {gru_advantage.round(3)} nats/char")  # fmt: skip
assert gru_advantage.min() > 0.02

# %% [markdown]
# The GRU learns faster and reaches a lower loss: its gates let it keep information
# unchanged over many steps ($z \approx 1$ copies $h$), where the vanilla RNN must push it
# through a tanh and a matrix at every step. Section 4 measures what that does to the
# gradient.
#
# ## 4. Limitations of recurrence
#
# **Gradients through time.** By the chain rule, the state at $T$ depends on the state at
# $t$ through a product of step Jacobians,
#
# $$ \frac{\partial h_T}{\partial h_t} = J_{T-1} \cdots J_{t+1} J_t, \qquad J_s =
#    \frac{\partial h_{s+1}}{\partial h_s} = \mathrm{diag}(\tanh'(a_s))\, W_h^\top. $$
#
# For a linear RNN ($h' = x W_x + h W_h$) with $W_h = c\,Q$, $Q$ orthogonal, this is
# $(c Q^\top)^{T-t}$, of norm exactly $c^{T-t}$: the gradient **vanishes** geometrically
# for $c < 1$ and **explodes** for $c > 1$. `state_jacobian_norms` measures
# $\lVert \partial h_T / \partial h_t \rVert_2$ at every distance $T - t$; we take three
# linear RNNs and the two trained language models, on 8 snippets of 64 held-out characters
# (the figure shows geometric means over snippets and seeds).

# %%
seq_jac = 64
linear_norms = {}
for scale in (0.9, 1.0, 1.1):
    params = init_rnn(keys["jacobian_rnn"], 32, 32, recurrent_scale=scale)  # the same Q each
    xs = jax.random.normal(keys["jacobian_inputs"], (seq_jac, 32))
    step = jax.tree_util.Partial(rnn_cell, params, activation=lambda a: a)
    with jax.default_matmul_precision("highest"):  # 64 chained products: no TF32
        linear_norms[scale] = np.asarray(state_jacobian_norms(step, jnp.zeros(32), xs))[::-1]
distances = np.arange(1, seq_jac + 1)  # linear_norms[c][d - 1] is the norm at distance d
for scale, norms in linear_norms.items():
    np.testing.assert_allclose(norms, scale**distances, rtol=2e-3)  # the closed form
n_snippets = 8
snippet_starts = jnp.linspace(0, len(val_ids) - seq_jac - 1, n_snippets).astype(jnp.int32)
snippets = val_ids[snippet_starts[:, None] + jnp.arange(seq_jac)]  # (n_snippets, seq_jac)


def trained_norms(params, step_fn):
    """log10 ||dh_T/dh_t|| of each seed's trained LM on each snippet, by distance:
    (seeds, n_snippets, seq_jac)."""

    def one(p, snippet):
        xs = embed(p["embed"], snippet)  # (seq, 32)
        step = jax.tree_util.Partial(step_fn, p["cell"])
        return jnp.log10(state_jacobian_norms(step, jnp.zeros(128), xs)[::-1])

    over_snippets = jax.vmap(one, in_axes=(None, 0))
    return np.asarray(jax.jit(jax.vmap(over_snippets, in_axes=(0, None)))(params, snippets))


lm_log_norms = {"RNN": trained_norms(rnn_params, rnn_cell),
                "GRU": trained_norms(gru_params, gru_cell)}  # fmt: skip
mean_log_norms = {name: v.mean(axis=(0, 1)) for name, v in lm_log_norms.items()}  # (seq_jac,)
for name, log_norms in mean_log_norms.items():
    print(f"trained {name}: geometric mean of ||dh_T/dh_t|| over seeds and {n_snippets} "
          f"snippets at distance 1, 8, 32: {10 ** log_norms[[0, 7, 31]]}")  # fmt: skip
gru_over_rnn_32 = mean_log_norms["GRU"][31] - mean_log_norms["RNN"][31]
print(f"at distance 32 the GRU's Jacobian is 10^{gru_over_rnn_32:.1f} times the RNN's")
assert gru_over_rnn_32 > 1

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for scale, norms in linear_norms.items():
    ax.semilogy(distances, norms, "--", label=f"linear RNN, W_h = {scale} Q")
for name, log_norms in mean_log_norms.items():
    ax.semilogy(distances, 10**log_norms, lw=2, label=f"trained {name} LM")
ax.set(xlabel="distance T - t", ylabel="||dh_T / dh_t||_2",
       title="How much gradient survives the distance")  # fmt: skip
ax.legend(fontsize=8)
show("gradient-vs-distance")

# %% [markdown]
# The linear RNNs follow $c^{T-t}$ exactly (asserted): at $c = 0.9$ a gradient 64 steps
# back is scaled by $0.9^{64} \approx 10^{-3}$, at $1.1$ by $1.1^{64} \approx 450$. The
# trained vanilla RNN's gradient dies off fast, as tanh saturates and $W_h$ shrinks the
# rest; the trained GRU keeps far more at distance 32 (printed above), through the $z \odot h$
# path, whose Jacobian is close to the identity where $z \approx 1$.
#
# **Sequential work.** The step $h_{t+1} = f(h_t, x_t)$ cannot start before $h_t$ is known:
# a sequence of $T$ tokens is $T$ dependent steps, however many cores the machine has.
# The jaxpr shows it: the RNN is a `scan` of length $T$. Attention (section 5) has no
# such chain: all $T$ positions are computed by a few matmuls at once. We time one forward
# pass of each at batch 16 and width 128 (median of 5 runs after a warm-up). Attention does
# more arithmetic, $T^2$ scores per head, and on a two-core CPU at these sizes that can cost
# more than the RNN's $T$ small steps; but its matmuls can use every core of a wide machine,
# while the RNN's steps must wait for each other, which is what a GPU exposes.


# %%
def median_time(fn, *args, repeats=5):
    """Median wall time (s) of fn(*args) after one warm-up (compile) call."""
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return float(np.median(times))


rnn_key, attention_key, input_key = jax.random.split(keys["timing"], 3)
timing_rnn = init_rnn(rnn_key, 128, 128)
timing_attention = attention.init_multi_head_attention(attention_key, 128, 4)
rnn_forward = jax.jit(lambda xs: rnn(timing_rnn, xs)[0])
attention_forward = jax.jit(lambda xs: attention.multi_head_attention(
    timing_attention, xs, n_heads=4, is_causal=True)[0])  # fmt: skip
lengths = (16, 64, 256)
step_times = {"RNN (lax.scan)": [], "attention": []}
for seq in lengths:
    xs = jax.random.normal(jax.random.fold_in(input_key, seq), (16, seq, 128))
    scans = [eqn for eqn in jax.make_jaxpr(lambda xs: rnn(timing_rnn, xs))(xs).eqns
             if eqn.primitive.name == "scan"]  # fmt: skip
    assert [eqn.params["length"] for eqn in scans] == [seq]  # T sequential steps
    attention_primitives = jax.make_jaxpr(attention_forward)(xs).eqns
    assert not any(eqn.primitive.name in ("scan", "while") for eqn in attention_primitives)
    step_times["RNN (lax.scan)"].append(median_time(rnn_forward, xs))
    step_times["attention"].append(median_time(attention_forward, xs))
for name, times in step_times.items():
    print(f"{name:15s} forward ms at T = {lengths}: {np.round(np.array(times) * 1e3, 2)}")

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
for name, times in step_times.items():
    ax.loglog(lengths, np.array(times) * 1e3, "o-", label=name)
ax.set(xlabel="sequence length T", ylabel="forward time (ms)",
       title="Batch 16, width 128 (times measured here)")  # fmt: skip
ax.minorticks_off()  # only the measured lengths as ticks
ax.set_xticks(lengths, [str(n) for n in lengths])
ax.legend()
show("time-vs-length")

# %% [markdown]
# (Timings depend on the machine and its load; they are printed, never asserted. What is
# asserted is the structure: a scan of $T$ dependent steps for the RNN, none for attention.)
#
# ## 5. Self-attention mechanism
#
# Attention replaces the chain by a direct look-up: every position $i$ forms a **query**
# $q_i$, every position $j$ a **key** $k_j$ and a **value** $v_j$, and position $i$ takes
# the values in proportion to how well its query matches each key:
#
# $$ A = \mathrm{softmax}\Big(\frac{Q K^\top}{\sqrt{d_\text{head}}} + M\Big), \qquad
#    \text{out} = A V, \qquad M_{ij} = \begin{cases} 0 & j \le i \\ -\infty & j > i
#    \end{cases} $$
#
# The softmax is over the keys, so each row of $A$ sums to 1. The $\sqrt{d_\text{head}}$
# keeps the scores of unit-variance $q, k$ at unit variance, so the softmax does not
# saturate. The **causal mask** $M$ lets position $i$ see positions $0..i$ only: a
# language model must not read the character it predicts. Written from scratch for one
# sequence, and checked against `jax.nn.dot_product_attention` and
# `jlr.nn.attention.dot_product_attention`:


# %%
def self_attention(q, k, v, causal=True):
    """q, k: (seq, d_head), v: (seq, d_v) -> out (seq, d_v), weights (seq, seq)."""
    seq, d_head = q.shape
    scores = q @ k.T / np.sqrt(d_head)  # (seq, seq): scores[i, j] = q_i . k_j / sqrt(d)
    if causal:
        allowed = jnp.tril(jnp.ones((seq, seq), dtype=bool))  # j <= i
        scores = jnp.where(allowed, scores, -jnp.inf)
    weights = jax.nn.softmax(scores, axis=-1)  # (seq, seq), each row sums to 1
    return weights @ v, weights  # (seq, d_v)


q_key, k_key, v_key = jax.random.split(keys["attention_demo"], 3)
q, k, v = (jax.random.normal(kk, (10, 16)) for kk in (q_key, k_key, v_key))
with jax.default_matmul_precision("highest"):
    out, weights = self_attention(q, k, v)
    reference = jax.nn.dot_product_attention(q[None, :, None], k[None, :, None],
                                             v[None, :, None], is_causal=True)[0, :, 0]  # fmt: skip
    library_out, library_weights = attention.dot_product_attention(q, k, v, is_causal=True)
print(f"|ours - jax.nn| = {float(jnp.abs(out - reference).max()):.1e}, "
      f"|ours - jlr.nn.attention| = {float(jnp.abs(out - library_out).max()):.1e}")  # fmt: skip
assert jnp.allclose(out, reference, atol=1e-5) and jnp.allclose(weights, library_weights, atol=1e-6)
assert jnp.allclose(weights.sum(-1), 1.0) and (jnp.triu(weights, 1) == 0).all()

# %% [markdown]
# Two properties to check. **Causality**: changing the last token changes no earlier
# output. **No notion of order**: without the mask, permuting the tokens permutes the
# outputs the same way (attention is *permutation equivariant*): a bag of tokens, not a
# sequence. Order comes from the mask and from positional encodings (section 8).

# %%
k_changed = k.at[-1].set(-k[-1])
v_changed = v.at[-1].set(2 * v[-1])
with jax.default_matmul_precision("highest"):  # compared with `out`, computed the same way
    out_changed, _ = self_attention(q, k_changed, v_changed)
assert jnp.allclose(out_changed[:-1], out[:-1]) and not jnp.allclose(out_changed[-1], out[-1])
perm = jax.random.permutation(keys["permutation"], 10)
with jax.default_matmul_precision("highest"):
    out_full, _ = self_attention(q, k, v, causal=False)
    out_permuted, _ = self_attention(q[perm], k[perm], v[perm], causal=False)
assert jnp.allclose(out_permuted, out_full[perm], atol=1e-5)
print("causal: earlier outputs unchanged; unmasked: permutation equivariant")

fig, axes = plt.subplots(1, 3, figsize=(11, 3.3), layout="constrained")
scores = np.asarray(q @ k.T / 4.0)
masked = np.where(np.tril(np.ones((10, 10), bool)), scores, np.nan)
for ax, matrix, title in zip(axes, (scores, masked, np.asarray(weights)),
                             ("scores q_i . k_j / sqrt(d)", "causal mask: j > i removed",
                              "weights: softmax over each row"), strict=True):  # fmt: skip
    image = ax.imshow(matrix, cmap="viridis")
    ax.set(title=title, xlabel="key j", ylabel="query i")
    fig.colorbar(image, ax=ax, shrink=0.8)
show("attention-steps")

# %% [markdown]
# ## 6. Query, key, value formulation
#
# In a layer, queries, keys and values are three linear maps of the same tokens
# $x$: `(seq, d_model)`: $Q = x W_q$, $K = x W_k$, $V = x W_v$. **Multi-head** attention
# splits the $d_\text{model}$ features into $n_\text{heads}$ groups of $d_\text{head} =
# d_\text{model} / n_\text{heads}$, attends in each group separately (each head can look
# for something different: the previous character, the matching bracket...), concatenates
# the heads and mixes them with $W_o$:
#
# $$ \text{head}_h = \mathrm{attention}(x W_q^{(h)}, x W_k^{(h)}, x W_v^{(h)}), \qquad
#    \text{out} = [\text{head}_1, \ldots, \text{head}_{n_\text{heads}}]\, W_o. $$
#
# `jlr.nn.attention.multi_head_attention` does it for a whole batch with the heads as a
# batch axis, `(batch, n_heads, seq, d_head)`; written as a loop over heads with the
# function above, for one sequence:

# %%
d_model, n_heads = 32, 4
d_head = d_model // n_heads
mha_params = attention.init_multi_head_attention(keys["heads_demo"], d_model, n_heads)
tokens = jax.random.normal(keys["tokens_demo"], (2, 12, d_model))  # (batch, seq, d_model)


def multi_head_by_loop(params, x):
    """One sequence x: (seq, d_model) -> (seq, d_model), one head at a time."""
    q, k, v = (x @ params[n]["w"] + params[n]["b"] for n in "qkv")  # each (seq, d_model)
    heads = [self_attention(q[:, h * d_head : (h + 1) * d_head], k[:, h * d_head : (h + 1) * d_head],
                            v[:, h * d_head : (h + 1) * d_head])[0]
             for h in range(n_heads)]  # fmt: skip  # n_heads x (seq, d_head)
    return jnp.concatenate(heads, axis=-1) @ params["o"]["w"] + params["o"]["b"]


with jax.default_matmul_precision("highest"):
    batched, head_weights = attention.multi_head_attention(mha_params, tokens, n_heads=n_heads,
                                                           is_causal=True)  # fmt: skip
    looped = jax.vmap(lambda x: multi_head_by_loop(mha_params, x))(tokens)
split = attention.split_heads(tokens, n_heads)
print(
    f"x {tokens.shape} -> split into heads {split.shape} -> weights {head_weights.shape} "
    f"-> out {batched.shape}; |batched - loop| = {float(jnp.abs(batched - looped).max()):.1e}"
)
assert split.shape == (2, n_heads, 12, d_head)
assert jnp.allclose(batched, looped, atol=1e-5)
assert jnp.array_equal(attention.merge_heads(split), tokens)

# %% [markdown]
# ## 7. Transformer architecture
#
# A GPT-style decoder (`jlr.models.transformer`, nanoGPT's layout) stacks $n_\text{layers}$
# identical blocks on a **residual stream** $x$ of shape `(batch, seq, d_model)`:
#
# $$ x_0 = E[\text{ids}] + P, \qquad x \leftarrow x + \mathrm{attn}(\mathrm{LN}_1(x)), \qquad
#    x \leftarrow x + \mathrm{MLP}(\mathrm{LN}_2(x)), \qquad \text{logits} =
#    \mathrm{LN}_f(x)\, E^\top, $$
#
# with $\mathrm{MLP}(h) = \mathrm{gelu}(h W_\text{fc} + b_\text{fc}) W_\text{proj} +
# b_\text{proj}$ through $d_\text{ff} = 4 d_\text{model}$ hidden units. Three choices:
#
# * **pre-LayerNorm**: each block normalises its *input* and adds its output to the
#   stream, which itself is never normalised, so a gradient reaches the first block through
#   the sum unchanged (the original post-LN Transformer needed a learning-rate warm-up);
# * **residual stream**: blocks only *add* to $x$: attention moves information between
#   positions, the MLP transforms each position on its own;
# * **tied embeddings**: the output layer is the embedding table transposed, so token $v$'s
#   logit is its embedding's dot product with the final state.
#
# The lesson writes the decoder out below, with the positional encoding chosen by an
# integer *array* (0 learned, 1 sinusoidal, 2 RoPE, section 8) instead of a Python string,
# so that `vmap` can train the three variants side by side in one compiled program. First
# the pieces with their shapes, for a batch of 4 windows at initialization (GPT-2's
# $\mathcal{N}(0, 0.02^2)$ weights, `init_transformer`):

# %%
LEARNED, SINUSOIDAL, ROPE = 0, 1, 2
ENCODINGS = ("learned", "sinusoidal", "rope")
N_LAYERS, N_HEADS, D_MODEL = 2, 4, 48
configs = {name: TransformerConfig(vocab.size, SEQ, N_LAYERS, N_HEADS, D_MODEL, positional=name)
           for name in ENCODINGS}  # fmt: skip


def decoder(params, ids, encoding):
    """ids (batch, seq) -> logits (batch, seq, vocab), attention weights (n_layers, batch,
    n_heads, seq, seq); encoding: an int (array) among LEARNED, SINUSOIDAL, ROPE."""
    positions = jnp.arange(ids.shape[-1])  # (seq,)
    x = embed(params["embed"], ids)  # (batch, seq, d_model)
    if "positions" in params:  # a learned table (absent when only sinusoidal/RoPE are used)
        learned = learned_positions(params["positions"], positions)  # (seq, d_model)
        x = x + jnp.where(encoding == LEARNED, learned, 0)
    x = x + jnp.where(encoding == SINUSOIDAL, sinusoidal_encoding(positions, x.shape[-1]), 0)
    rope_positions = jnp.where(encoding == ROPE, positions, 0)  # angle 0: no rotation
    all_weights = []
    for block in params["blocks"]:
        attended, weights = attention.multi_head_attention(
            block["attn"], layer_norm(block["ln_1"], x), n_heads=N_HEADS, is_causal=True,
            rope_positions=rope_positions, dense=fast_linear)  # fmt: skip
        x = x + attended  # (batch, seq, d_model): the residual stream
        hidden = jax.nn.gelu(fast_linear(block["mlp"]["fc"], layer_norm(block["ln_2"], x)))
        x = x + fast_linear(block["mlp"]["proj"], hidden)  # (batch, seq, d_ff) -> d_model
        all_weights.append(weights)  # (batch, n_heads, seq, seq)
    logits = unembed(params["embed"], layer_norm(params["ln_f"], x))  # tied: (batch, seq, vocab)
    return logits, jnp.stack(all_weights)


params0 = init_transformer(keys["check_decoder"], configs["learned"])
ids0 = windows(train_ids, batch_starts[0, 0, :4])[0]  # (4, SEQ)
block0 = params0["blocks"][0]
x0 = embed(params0["embed"], ids0) + learned_positions(params0["positions"], jnp.arange(SEQ))
q0 = attention.split_heads(fast_linear(block0["attn"]["q"], layer_norm(block0["ln_1"], x0)),
                           N_HEADS)  # fmt: skip
hidden0 = fast_linear(block0["mlp"]["fc"], layer_norm(block0["ln_2"], x0))
decoder_jit = jax.jit(decoder)  # one compilation serves all three encodings (a traced int)
logits0, weights0 = decoder_jit(params0, ids0, LEARNED)
for name, value in [
    ("ids", ids0),
    ("x = E[ids] + P: residual stream", x0),
    ("queries of block 0 (batch, n_heads, seq, d_head)", q0),
    ("attention weights, every layer", weights0),
    ("MLP hidden (batch, seq, d_ff)", hidden0),
    ("logits = LN_f(x) E^T", logits0),
]:
    print(f"  {name:50s} {tuple(value.shape)}")  # fmt: skip
tied, untied = (
    n_params(params0) - SEQ * D_MODEL,
    n_params(params0) - SEQ * D_MODEL + vocab.size * D_MODEL,
)
print(f"parameters without the position table: {tied:,} tied, {untied:,} if the output layer "
      f"had its own (vocab, d_model) matrix")  # fmt: skip
with jax.default_matmul_precision("highest"):
    for encoding, name in enumerate(ENCODINGS):
        ours = decoder_jit(params0, ids0, encoding)[0]
        library = jax.jit(transformer, static_argnums=2)(params0, ids0, configs[name])
        assert jnp.allclose(ours, library, atol=1e-4), name
print("the lesson's decoder = jlr.models.transformer.transformer for all three encodings")

# %% [markdown]
# Now the training. A learned table cannot run past its `block_size` (section 8 uses
# that), so we train the two encodings that can: sinusoidal and RoPE, 2 seeds each (the two
# variants of a seed start from the same weights), on the windows the RNN and GRU saw, with
# Adam at a learning rate of $3 \cdot 10^{-3}$: four runs in one `vmap`. One change to
# GPT-2's initialization: its token embeddings have std 0.02, a norm of about 0.16 for
# d_model = 48, while a sinusoidal vector has norm $\sqrt{d_\text{model}/2} \approx 4.9$
# and would drown the token; we draw the table with std $1/\sqrt{d_\text{model}}$ (norm
# about 1, `init_embedding`'s default) for both variants.


# %%
def decoder_loss(params, x, y, encoding):
    return jnp.mean(softmax_cross_entropy(decoder(params, x, encoding)[0], y))


def init_lm(key):
    init_key, embed_key = jax.random.split(key)
    params = init_transformer(init_key, configs["rope"])  # no position table
    return params | {"embed": init_embedding(embed_key, vocab.size, D_MODEL)}


TRAINED = (SINUSOIDAL, ROPE)
param_keys, state_keys = jax.random.split(keys["transformer_init"], (2, N_SEEDS))
seed_params = jax.vmap(init_lm)(param_keys)
run_params = jax.tree.map(lambda leaf: jnp.concatenate([leaf] * len(TRAINED)), seed_params)
run_encodings = jnp.repeat(jnp.asarray(TRAINED), N_SEEDS)  # (runs,), encoding-major
start_time = time.perf_counter()
tf_params, tf_losses = train_runs(decoder_loss, run_params,
                                  jnp.concatenate([state_keys] * len(TRAINED)),
                                  jnp.concatenate([batch_starts] * len(TRAINED)), 3e-3,
                                  run_encodings)  # fmt: skip
tf_val = val_loss(decoder_loss, tf_params, run_encodings).reshape(len(TRAINED), N_SEEDS)
print(f"{len(run_encodings)} Transformer runs trained in {time.perf_counter() - start_time:.0f} s")
held_out = {"RNN": rnn_val, "GRU": gru_val} | {f"Transformer, {ENCODINGS[e]}": tf_val[i]
                                               for i, e in enumerate(TRAINED)}  # fmt: skip
for name, values in held_out.items():
    print(f"{name:26s} held-out loss {values.mean():.3f} (seeds {values.round(3)}), "
          f"perplexity {np.exp(values.mean()):.2f}")  # fmt: skip
assert tf_val.max() < 0.6 * np.log(vocab.size)

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
smooth = np.ones(20) / 20
curves = {"RNN": rnn_losses, "GRU": gru_losses} | {
    f"Transformer, {ENCODINGS[e]}": tf_losses[i * N_SEEDS : (i + 1) * N_SEEDS]
    for i, e in enumerate(TRAINED)
}
for name, losses in curves.items():
    ax.plot(np.convolve(losses.mean(0), smooth, mode="valid"), label=name)
ax.set(xlabel="step", ylabel="minibatch loss (nats/char), mean of seeds, smoothed",
       title="Character LMs on the same windows of Python source", ylim=(1.5, 3.5))  # fmt: skip
ax.legend()
show("lm-training")

# %% [markdown]
# Attention maps of a trained model (the RoPE variant, seed 0) on a line of held-out
# code: row $i$ of each map is where position $i$ looks. Heads specialise: some attend to
# the previous character or two, others further back, to the start of a word or to a
# matching symbol.

# %%
line_start = int(np.flatnonzero(np.asarray(val_ids[:5000]) == vocab.chars.index("\n"))[10]) + 1
line_ids = val_ids[line_start : line_start + SEQ][None]  # (1, SEQ)
rope_seed0 = jax.tree.map(lambda leaf: leaf[TRAINED.index(ROPE) * N_SEEDS], tf_params)
_, line_weights = decoder_jit(rope_seed0, line_ids, ROPE)  # (n_layers, 1, n_heads, SEQ, SEQ)
labels = [{"\n": "\\n", " ": "␣"}.get(c, c) for c in vocab.decode(line_ids[0])]
fig, axes = plt.subplots(N_LAYERS, N_HEADS, figsize=(3.2 * N_HEADS, 3.2 * N_LAYERS),
                         layout="constrained")  # fmt: skip
for layer in range(N_LAYERS):
    for head in range(N_HEADS):
        ax = axes[layer, head]
        ax.imshow(np.asarray(line_weights[layer, 0, head]), cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(SEQ), labels, fontsize=5)
        ax.set_yticks(range(SEQ), labels, fontsize=5)
        ax.set_title(f"layer {layer}, head {head}", fontsize=9)
show("attention-maps")
assert jnp.allclose(line_weights.sum(-1), 1.0, atol=1e-5)
assert float(jnp.triu(line_weights, 1).max()) == 0.0  # causal, after training too

# %% [markdown]
# ## 8. Positional encoding
#
# Attention alone is blind to order (section 5); a positional encoding puts it back
# (`jlr.nn.positional`):
#
# * **learned**: a trainable vector $P_t$ per position $t < $ `block_size`, added to the
#   embedding. Nothing exists for a position never trained.
# * **sinusoidal**: a fixed $P_{t, 2j} = \sin(t\,\theta_j)$, $P_{t, 2j+1} = \cos(t\,
#   \theta_j)$, $\theta_j = 10000^{-2j/d}$: each feature pair turns on a circle at its own
#   speed, and $P_t \cdot P_s = \sum_j \cos((t - s)\theta_j)$ depends on $t - s$ only.
# * **rotary (RoPE)**: nothing is added; each head's query at position $m$ and key at
#   position $n$ are rotated pair by pair by the angles $m\theta_j$ and $n\theta_j$, so
#
# $$ \big(R(m\theta)\, q\big) \cdot \big(R(n\theta)\, k\big) = q \cdot R((n - m)\theta)\, k $$
#
#   depends on the **relative position** $n - m$ only: a score does not change when both
#   positions move together. We check both identities numerically.

# %%
positions = jnp.arange(48)
pe = sinusoidal_encoding(positions, D_MODEL)  # (48, d_model)
q_key, k_key = jax.random.split(keys["rope_demo"])
q, k = jax.random.normal(q_key, (16,)), jax.random.normal(k_key, (16,))
with jax.default_matmul_precision("highest"):
    pe_dots = pe @ pe.T  # (48, 48)
    rope_scores = (
        rope(jnp.broadcast_to(q, (48, 16)), positions)
        @ rope(jnp.broadcast_to(k, (48, 16)), positions).T
    )  # (48, 48): [m, n] = q at m . k at n
shift_error = {name: float(jnp.abs(m[1:, 1:] - m[:-1, :-1]).max())  # [m+1, n+1] vs [m, n]
               for name, m in (("sinusoidal P_t . P_s", pe_dots), ("RoPE score", rope_scores))}  # fmt: skip
print("largest change when both positions shift by 1:", shift_error)
assert max(shift_error.values()) < 1e-3  # functions of the offset only
assert float(jnp.abs(rope_scores[0] - rope_scores[0, 0]).max()) > 1.0  # but they do vary with it

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
image = axes[0].imshow(np.asarray(pe).T, aspect="auto", cmap="RdBu")
axes[0].set(xlabel="position t", ylabel="feature", title="sinusoidal P (fast pairs on top)")
fig.colorbar(image, ax=axes[0])
image = axes[1].imshow(np.asarray(rope_scores), cmap="viridis")
axes[1].set(xlabel="key position n", ylabel="query position m",
            title="RoPE score of a fixed (q, k): constant along diagonals")  # fmt: skip
fig.colorbar(image, ax=axes[1])
show("positional-encodings")

# %% [markdown]
# **Length generalization.** All three models were trained on windows of 32 characters.
# What happens on longer ones? A learned table has no row for position 32: the library
# refuses such a sequence. The other two can be run on 128 characters, and we look at the
# held-out loss at each position. A good model should do *better* late in the window, having
# more context; a model that only works at the positions it was trained on does worse.

# %%
LONG = 128
try:
    transformer(params0, jnp.zeros((1, LONG), jnp.int32), configs["learned"])
    raise AssertionError("a learned table cannot serve positions it does not have")
except ValueError as error:
    print(f"learned positions, {LONG} tokens: {error}")
long_starts = jnp.linspace(0, len(val_ids) - LONG - 2, 128).astype(jnp.int32)
long_chunks = val_ids[long_starts[:, None] + jnp.arange(LONG + 1)]  # (128, LONG + 1)
long_x, long_y = long_chunks[:, :-1], long_chunks[:, 1:]


@jax.jit
def loss_by_position(params, encoding):
    """Held-out loss at each position of the long windows, for each run: (runs, LONG)."""
    per_token = jax.vmap(lambda p, e: softmax_cross_entropy(decoder(p, long_x, e)[0], long_y))
    return per_token(params, encoding).mean(axis=1)


by_position = np.asarray(loss_by_position(tf_params, run_encodings))  # (runs, LONG)
by_position = by_position.reshape(len(TRAINED), N_SEEDS, LONG)  # (sinusoidal/rope, seeds, LONG)
inside, beyond = by_position[..., :SEQ].mean(-1), by_position[..., SEQ:].mean(-1)
rise = beyond - inside  # (2, seeds): how much worse beyond the trained length
for i, name in enumerate(("sinusoidal", "rope")):
    print(f"{name:10s} loss at positions < {SEQ}: {inside[i].round(3)}, "
          f"{SEQ}..{LONG - 1}: {beyond[i].round(3)}, rise {rise[i].round(3)}")  # fmt: skip
assert rise.min() > 0.1  # every run is worse beyond the positions it was trained on
assert (rise[0] - rise[1]).min() > 0.3  # sinusoidal much worse than RoPE, seed by seed

fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
for i, name in enumerate(("sinusoidal", "RoPE")):
    ax.plot(by_position[i].mean(0), label=name)
ax.axvline(SEQ - 0.5, color="grey", ls="--", label=f"trained length {SEQ}")
ax.set(xlabel="position in the window", ylabel="held-out loss (nats/char)",
       title="Trained on 32 characters, evaluated on 128")  # fmt: skip
ax.legend()
show("length-generalization")

# %% [markdown]
# Both models get *worse* past position 32 although they have more context there: neither
# extrapolates for free. But the sinusoidal model degrades far more (the rises are printed
# above). Its layers have only ever seen the vectors $P_0 \ldots P_{31}$ added to their
# inputs, and $P_{100}$ is a new input, to every layer. RoPE enters only through the offsets
# $n - m$ inside the attention scores; at position 100 what is new is only the offsets beyond
# 31, to keys far back, which a head that learned to look nearby mostly ignores (though its
# softmax now spreads over more keys). That is one reason RoPE is the usual choice today;
# extending a RoPE model's context still takes extra work (training on longer sequences, or
# rescaled angles: position interpolation, NTK scaling).
#
# ## 9. Transformer mini-project: a small LM
#
# A language model's loss in nats per character is $\log$ of its **perplexity**
# $e^{L}$: the number of equally likely characters it is, on average, choosing between
# (printed for every model in section 7). To **sample**, draw the next character from the
# model's distribution and feed it back (`jlr.models.sampling.generate`). The distribution
# is first reshaped: a **temperature** $\tau$ divides the logits, $p = \mathrm{softmax}(z
# / \tau)$ (below 1 sharper, above 1 flatter); **top-k** keeps the $k$ most probable
# characters; **top-p** keeps the smallest set of most probable characters whose mass
# reaches $p$. A lower temperature always lowers the entropy of $p$:

# %%
prompt = "def "
prompt_logits = decoder_jit(rope_seed0, jnp.asarray(vocab.encode("    def __init__(self, "))[None],
                        ROPE)[0][0]  # fmt: skip  # (seq, vocab)
entropies = {}
for temperature in (0.5, 1.0, 1.5):
    probs = filtered_probs(prompt_logits, temperature=temperature)
    entropies[temperature] = float(-(probs * jnp.log(jnp.maximum(probs, 1e-30))).sum(-1).mean())
print("mean entropy of p (nats) at temperature:", {t: round(h, 3) for t, h in entropies.items()})
assert entropies[0.5] < entropies[1.0] < entropies[1.5]
top5 = filtered_probs(prompt_logits, top_k=5)
assert ((top5 > 0).sum(-1) == 5).all() and jnp.allclose(top5.sum(-1), 1.0)

rope_config = TransformerConfig(vocab.size, SEQ, N_LAYERS, N_HEADS, D_MODEL, positional="rope")
settings = ((0.5, None), (1.0, 10))
for sample_key, (temperature, top_k) in zip(jax.random.split(keys["samples"], len(settings)),
                                            settings, strict=True):  # fmt: skip
    sample_ids = generate(sample_key, rope_seed0, rope_config, vocab.encode(prompt), 160,
                          temperature=temperature, top_k=top_k)  # fmt: skip
    print(f"--- temperature {temperature}, top-k {top_k}:\n{vocab.decode(sample_ids)}")

# %% [markdown]
# After 300 steps on a CPU the samples already have Python's shape: indentation,
# `self.`, keywords, brackets; the words are not yet right. The mini-project
# `jlr run transformer` trains a larger model for longer on the same corpus (or on any text
# file, `--set text=PATH`), samples with temperature, top-k and top-p, reports perplexity,
# checkpoints and resumes exactly, and draws every layer's and head's attention maps as a
# PNG grid and as an interactive page.
#
# ## 10. Making the training step fast on a CPU
#
# The mini-project's model is the same few matmuls as section 7; how fast a step runs
# depends on how they reach the hardware. Four choices matter on a CPU, and
# `benchmarks/bench_transformer.py` times the project's step against the same model in
# PyTorch. Below, each is measured on this machine at nanoGPT's CPU "baby GPT" size (4
# layers, 4 heads, width 128, block 64, batch 12). The times depend on the machine and its
# load: they are printed, not asserted.
#
# 1. **Layouts.** Autodiff of $Y = XW$ gives $\partial L / \partial W = X^\top G$ with
#    $X$ (tokens, $d_\text{in}$) and $G$ (tokens, $d_\text{out}$): a matmul that contracts
#    the *first* axis of both. XLA:CPU's matmul wants the contracted axis last in memory, so
#    it transposes $G$ and fuses that transpose into whatever computed $G$ (a GELU's or a
#    LayerNorm's backward), which then reads memory with a stride instead of in order.
#    `jlr.nn.fast_linear` has a hand-written backward pass that computes
#    $(\partial L / \partial W)^\top = G^\top X$ from the same arrays and transposes only
#    the small $(d_\text{out}, d_\text{in})$ result. For the same reason attention keeps its
#    queries, keys and values as (batch, heads, time, $d_\text{head}$).
# 2. **Dispatch.** Each call of a jitted function costs Python and runtime work before any
#    arithmetic. `jlr.train.make_multi_step` runs $k$ steps in one call with `lax.scan`.
# 3. **Allocation.** XLA:CPU gives each call one large temporary buffer. The C library
#    (glibc) serves a block that large with a fresh memory mapping, and returns it at the
#    end of the call; the kernel then zero-fills every 4 KiB page at its first touch, in the
#    next call again: a *minor page fault* per page. `jlr.train.allocator.
#    keep_temp_buffers_in_heap` (which `jlr run` calls) tells glibc to serve such blocks
#    from its heap and keep the heap's pages, so the next call reuses them.
# 4. **Precision.** `compute_dtype="bfloat16"` rounds every dense layer's operands to
#    bfloat16 and accumulates in float32, with float32 weights and optimizer state. CPUs
#    with bf16 matrix units (AMX, AVX512-BF16) run such matmuls several times faster; others
#    convert, and may be slower.


# %%
def grad_of(layer):
    """The gradient of a pre-LN MLP block (LayerNorm -> dense -> GELU -> dense) written with
    `layer`, jitted."""

    def block_loss(up, down, x):
        normed = layer_norm({"scale": jnp.ones(128), "bias": jnp.zeros(128)}, x)
        return jnp.sum(layer(down, jax.nn.gelu(layer(up, normed))) ** 2)

    return jax.jit(jax.grad(block_loss, argnums=(0, 1)))


up_key, down_key, x_key, *model_keys = jax.random.split(keys["speed"], 3 + 3)
batch_keys = iter(jax.random.split(keys["speed_batches"], 4))
up = {"w": jax.random.normal(up_key, (128, 512)) / np.sqrt(128), "b": jnp.zeros(512)}
down = {"w": jax.random.normal(down_key, (512, 128)) / np.sqrt(512), "b": jnp.zeros(128)}
x_block = jax.random.normal(x_key, (12, 64, 128))  # (batch, time, width)
block_grads, layout_ms = {}, {}
for name, layer in (("linear (autodiff)", linear), ("fast_linear", fast_linear)):
    block_grad = grad_of(layer)
    block_grads[name] = block_grad(up, down, x_block)
    layout_ms[name] = 1e3 * median_time(block_grad, up, down, x_block, repeats=9)
for a, b in zip(*(jax.tree.leaves(g) for g in block_grads.values()), strict=True):
    assert jnp.allclose(a, b, rtol=1e-3, atol=1e-4 * float(jnp.abs(a).max()))  # same gradient
print("MLP block gradient, ms:", {k: round(v, 2) for k, v in layout_ms.items()})

BLOCK, BABY_BATCH, STEPS_PER_CALL = 64, 12, 10
data_ids = train_ids[:200_000]
n_starts = len(data_ids) - BLOCK - 1


def baby_step_fn(key, compute_dtype, steps_per_call):
    """One jitted call of `steps_per_call` AdamW steps of the baby GPT; a fresh state."""
    init_key, state_key = jax.random.split(key)
    config = TransformerConfig(vocab.size, BLOCK, 4, 4, 128, compute_dtype=compute_dtype)

    def loss_fn(params, batch, key):  # no dropout: the key is unused
        return lm_loss(params, batch["x"], batch["y"], config), {}

    def window_batch(ids, starts):  # starts (batch,) -> x, y (batch, BLOCK)
        chunk = ids[starts[:, None] + jnp.arange(BLOCK + 1)]
        return {"x": chunk[:, :-1], "y": chunk[:, 1:]}

    optimizer = adam(1e-3)
    step = jax.jit(make_multi_step(make_train_step(loss_fn, optimizer), window_batch))
    state = init_train_state(init_transformer(init_key, config), optimizer, state_key)
    return step, state


def per_step(key, step, state, n_calls, steps_per_call):
    """(ms, minor page faults) per step, each the median over n_calls calls, after warm-up
    calls (the first compiles; the allocator settles over the first few steps)."""
    n_warmup = max(1, 3 // steps_per_call)
    shape = (n_warmup + n_calls, steps_per_call, BABY_BATCH)
    starts = jax.random.randint(key, shape, 0, n_starts)
    for starts_of_call in starts[:n_warmup]:
        state, metrics = step(state, data_ids, starts_of_call)
        jax.block_until_ready(metrics["loss"])
    times, faults = [], []
    for starts_of_call in starts[n_warmup:]:
        faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.perf_counter()
        state, metrics = step(state, data_ids, starts_of_call)
        jax.block_until_ready(metrics["loss"])
        times.append(time.perf_counter() - start)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before)
    return 1e3 * np.median(times) / steps_per_call, np.median(faults) / steps_per_call


one_step, one_state = baby_step_fn(model_keys[0], "float32", 1)
many_steps, many_state = baby_step_fn(model_keys[1], "float32", STEPS_PER_CALL)
bf16_steps, bf16_state = baby_step_fn(model_keys[2], "bfloat16", STEPS_PER_CALL)
speed = {"1 step per call": per_step(next(batch_keys), one_step, one_state, STEPS_PER_CALL, 1)}
heap_kept = keep_temp_buffers_in_heap()  # for this process, from here on
print("temporary buffers kept in the heap:", heap_kept or mallopt_unavailable_reason())
speed["1 step per call, heap kept"] = per_step(next(batch_keys), one_step, one_state,
                                              STEPS_PER_CALL, 1)  # fmt: skip
speed[f"{STEPS_PER_CALL} steps per call"] = per_step(next(batch_keys), many_steps, many_state,
                                                     3, STEPS_PER_CALL)  # fmt: skip
speed[f"{STEPS_PER_CALL} steps per call, bf16"] = per_step(next(batch_keys), bf16_steps,
                                                           bf16_state, 3, STEPS_PER_CALL)  # fmt: skip
for name, (ms, faults) in speed.items():
    print(f"{name:28s} {ms:7.1f} ms/step {faults:9.0f} page faults/step")

fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
names = list(speed)
ax.barh(names, [speed[n][0] for n in names], color="tab:blue")
for i, n in enumerate(names):
    ax.text(speed[n][0], i, f" {speed[n][1]:,.0f} page faults/step", va="center", fontsize=8)
ax.invert_yaxis()
ax.set(xlabel="ms per training step, median (measured here)",
       title="Baby GPT, batch 12, block 64")  # fmt: skip
ax.set_xlim(0, 1.45 * max(speed[n][0] for n in names))
show("step-time")

# %% [markdown]
# Read the numbers above with the four choices in mind. The MLP block alone is small: the
# layout effect shows most in the whole model's backward pass, where the benchmark's notes
# record what `fast_linear` bought. Page faults are counts, not times, so load does not
# change them. With glibc's defaults every one-step call faults in its temporary buffer
# afresh (4 KiB per fault); several steps per call pay that once per call. How many faults
# keeping the heap removes varies from run to run in a process like this one, which has
# allocated and freed much before this cell (glibc also keeps per-thread arenas, which it
# can still shrink): compare the first two lines. On a GPU the temporary buffers live in
# device memory and the host's allocator hardly matters; what matters there is keeping the
# GPU busy, which several steps per call also does. The benchmark's table compares the
# step with PyTorch's.
#
# ## Summary
#
# * Tokens are ids in a vocabulary: characters never meet an unknown symbol; words give
#   short sequences but many `<unk>` on new text; `<pad>`, `<bos>`, `<eos>` have fixed ids.
# * An embedding is a trained table; rows of interchangeable tokens (the digits) end up
#   close.
# * An RNN carries a state through $T$ dependent steps; its gradient across distance $d$ is a
#   product of $d$ Jacobians and vanishes geometrically; the GRU's gated copy path keeps it
#   alive and trains to a lower loss.
# * Attention reads every position directly, $\mathrm{softmax}(QK^\top/\sqrt{d})V$, causal
#   by a mask, in several heads; it has no notion of order without positional encodings.
# * A GPT block is pre-LN attention and MLP added to a residual stream; the output layer is
#   the embedding table, tied.
# * RoPE makes scores depend on relative positions only; past the trained length its loss
#   rises far less than with sinusoidal encodings, and learned positions cannot go there.
#
# Exercises: `exercises/07_sequence_models.py`; grade them with `jlr check 07`.
