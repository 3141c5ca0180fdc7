"""Lesson 09 exercises, large language models: run `jlr check 09`.

Each body is `raise NotImplementedError`: replace it with your code, in plain Python for the
token lists and jax.numpy for the arrays. The checker runs your functions on fixed inputs
and compares them with float64 numpy, brute-force counts and closed forms; `jlr progress`
shows what you have done. Shapes follow docs/notation.md: ids (batch, seq), logits (batch,
seq, vocab); a log is natural (nats) unless a name says bits.
"""

import jax


def bpe_merge_step(
    words: list[list[int]], counts: list[int], new_id: int
) -> tuple[tuple[int, int], list[list[int]]]:
    """One step of BPE training, by hand.

    words: the distinct pre-tokens of a corpus, each a list of token ids; counts[i]: how
    many times words[i] occurs in the corpus. The count of an adjacent pair (a, b) is

        count(a, b) = sum_i counts[i] * #{j : words[i][j] == a and words[i][j + 1] == b}

    (occurrences may overlap: [7, 7, 7] holds (7, 7) twice). Pick the pair with the largest
    count; among pairs with the same count, the smallest (a, b) (compare a, then b). Then
    replace it by new_id in every word, scanning each word left to right without overlap:
    [7, 7, 7] -> [new_id, 7].
    -> ((a, b), the new words as lists of ints, in the order of `words`).
    """
    raise NotImplementedError


def causal_lm_loss(logits: jax.Array, ids: jax.Array, mask: jax.Array) -> jax.Array:
    """The causal language-modeling loss of a padded batch, in nats.

    ids: (batch, seq) ints, each row a text padded at its end; mask: (batch, seq) bool, True
    at real tokens, False at padding. logits: (batch, seq, vocab), the model's output for
    ids: logits[b, t] scores the token AFTER ids[b, t]. The targets are therefore
    ids[:, 1:], predicted by logits[:, :-1]; a prediction counts when its target is real.
    -> (), the mean cross-entropy -log softmax(logits)[target] over the counted predictions.
    """
    raise NotImplementedError


def fit_power_law(n_params: jax.Array, losses: jax.Array, offset: float) -> tuple:
    """Fit L(N) = a N^(-alpha) + c with the offset c given, by least squares in log-log.

    log(L - c) = log a - alpha log N is a straight line in (log N, log(L - c)): fit it by
    ordinary least squares (y = log(L - c) on x = log N). n_params, losses: (n_models,),
    every loss above c. -> (a, alpha), alpha > 0 for a loss that falls with N.
    """
    raise NotImplementedError


def update_ratios(old_layers: list, new_layers: list) -> jax.Array:
    """The update-to-parameter ratio of each layer after one optimizer step.

    old_layers, new_layers: lists of n_layers pytrees (dicts of arrays), layer l's
    parameters before and after the step. For layer l, with theta_l all of its entries
    flattened into one vector,

        ratio_l = ||theta_l' - theta_l|| / ||theta_l||      (Euclidean norms)

    -> (n_layers,).
    """
    raise NotImplementedError


def perplexities(token_nll: jax.Array, mask: jax.Array, n_chars: int) -> tuple:
    """Perplexity per token and per character, and bits per character, of a text.

    token_nll: (batch, seq), -log p (nats) of each target token under the model; mask:
    (batch, seq) bool, True where the target is a real token (False at padding). n_chars:
    how many characters the real target tokens spell. With S the sum of the real tokens'
    nats and n_tokens their number,

        ppl_token = exp(S / n_tokens),   ppl_char = exp(S / n_chars),
        bits_per_char = S / (n_chars ln 2)

    -> (ppl_token, ppl_char, bits_per_char), three scalars.
    """
    raise NotImplementedError


def distinct_n(samples: list[list[int]], n: int) -> float:
    """distinct-n of a set of samples: how varied their n-grams are.

    samples: token sequences (lists of ints); an n-gram is n consecutive tokens of ONE
    sample (a sample of length m has max(m - n + 1, 0) of them; none spans two samples).

        distinct-n = (number of different n-grams, over all samples together)
                     / (number of n-grams, over all samples)

    -> a float in (0, 1]; 0.0 when the samples have no n-gram at all.
    """
    raise NotImplementedError


def dpo_loss(
    policy_chosen: jax.Array,
    policy_rejected: jax.Array,
    ref_chosen: jax.Array,
    ref_rejected: jax.Array,
    beta: float,
) -> jax.Array:
    """The DPO loss (Rafailov et al. 2023) of a batch of preference pairs.

    Each argument is (batch,): the log-probability (a sum over the completion's tokens) of
    the chosen or the rejected completion under the policy being trained or under the
    frozen reference model. With the implicit reward r = beta (log pi - log pi_ref),

        loss = mean_b -log sigmoid(r_chosen[b] - r_rejected[b])

    -> (), equal to ln 2 when the policy is the reference. Keep it finite for large
    margins (|beta * margin| of 100 or more).
    """
    raise NotImplementedError
