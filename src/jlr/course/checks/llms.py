"""Checks for exercises/09_llms.py, each against an independent oracle.

Oracles: brute-force pair counts and merges written here in plain Python (BPE; the library's
`train_bpe` matches Hugging Face `tokenizers` in its own tests), float64 numpy loops (the
causal LM loss, perplexities, update ratios), numpy's `polyfit` in float64 (the power-law
fit), a set of n-gram tuples (distinct-n) and the DPO loss as a float64 softplus. Inputs are
fixed and chosen so that each known mistake (unweighted pair counts, ties broken the wrong
way, merging right to left, no shift, padding averaged in, the offset ignored, a mean of
per-row perplexities, n-grams across samples, no reference model...) gives an answer far
from the right one: the learner then sees that mistake's hint. A reference solution that
calls the library is refused to the learner by the checker itself; the other shortcuts are
refused here with `jlr.course.guard`.
"""

from __future__ import annotations

from collections import Counter

import jax.numpy as jnp
import numpy as np

from jlr.course.curriculum import section_by_number
from jlr.course.exercise import CheckFailed, Exercise, assert_equal, f64, scalar
from jlr.course.guard import (
    assert_close_or_distinct_mistake,
    library_namespaces,
    without,
)

TOPICS = section_by_number("09").topics  # the curriculum's titles, in order
TOKENIZATION, OBJECTIVE, SCALING, DYNAMICS, PERPLEXITY, LIMITATIONS, ALIGNMENT = TOPICS


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


# -- Subword tokenization (BPE / WordPiece) ---------------------------------------------------

LIBRARY_BPE = {
    name: "it trains the whole tokenizer; count and merge one step yourself"
    for name in ("jlr.text.bpe.train_bpe", "jlr.text.bpe._apply_merge")
}


def bpe_step_oracle(words, counts, new_id, *, weighted=True, ties="smallest", overlapping=True,
                    right_to_left=False, first_only=False):  # fmt: skip
    """One BPE training step by brute force, with optional slips: -> (pair, new words)."""
    pair_counts: Counter = Counter()
    for word, count in zip(words, counts, strict=True):
        j = 0
        while j + 1 < len(word):
            pair_counts[(word[j], word[j + 1])] += count if weighted else 1
            # non-overlapping counting skips the second element of a repeated pair (7, 7, 7)
            j += 2 if not overlapping and word[j] == word[j + 1] else 1
    top = max(pair_counts.values())
    tied = [pair for pair, c in pair_counts.items() if c == top]  # in order of first appearance
    best = {"smallest": min(tied), "largest": max(tied), "first": tied[0]}[ties]

    def merge(word):
        word = list(reversed(word)) if right_to_left else list(word)
        target = best[::-1] if right_to_left else best
        out, i, done = [], 0, False
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == target and not done:
                out.append(new_id)
                i += 2
                done = first_only
            else:
                out.append(word[i])
                i += 1
        return list(reversed(out)) if right_to_left else out

    return best, [merge(word) for word in words]


BPE_CASES = (  # (words, counts, new_id): each separates the right step from some slips
    ([[1, 2, 3], [4, 5, 7], [4, 5, 6], [2, 3, 9], [4, 5]], [5, 1, 1, 1, 1], 10),  # weights
    ([[5, 6], [9, 8], [3, 4]], [3, 3, 3], 11),  # a three-way tie: first seen, largest, smallest
    ([[7, 7, 7], [1, 7, 7, 7, 7], [2, 3]], [1, 1, 4], 12),  # overlapping pairs, the direction
    ([[5, 6, 5, 6, 5, 6], [6, 5]], [1, 1], 13),  # several occurrences in one word
)
BPE_MISTAKES = {
    "weight each word's pairs by its count: count(a, b) sums counts[i] over the occurrences": {
        "weighted": False
    },
    "among pairs with the same count take the smallest (a, b), not the first seen": {
        "ties": "first"
    },
    "among pairs with the same count take the smallest (a, b), not the largest": {
        "ties": "largest"
    },
    "count overlapping occurrences too: [7, 7, 7] holds (7, 7) twice": {"overlapping": False},
    "merge left to right: [7, 7, 7] -> [new_id, 7], not [7, new_id]": {"right_to_left": True},
    "replace EVERY occurrence of the pair in a word, not only the first": {"first_only": True},
}


def _as_step(got) -> tuple[tuple[int, int], list[list[int]]]:
    try:
        pair, words = got
        return (int(pair[0]), int(pair[1])), [[int(t) for t in word] for word in words]
    except (TypeError, ValueError, IndexError):
        raise CheckFailed(
            "return ((a, b), new_words): a pair of ints and a list of id lists"
        ) from None


def check_bpe_merge_step(fn) -> None:
    fn = without(fn, LIBRARY_BPE, also_in=library_namespaces())
    for words, counts, new_id in BPE_CASES:
        expected = bpe_step_oracle(words, counts, new_id)
        got = _as_step(fn([list(w) for w in words], list(counts), new_id))
        if got == expected:
            continue
        for hint, slip in BPE_MISTAKES.items():
            wrong = bpe_step_oracle(words, counts, new_id, **slip)
            if got == wrong != expected:
                raise CheckFailed(hint)
        assert_equal(got[0], expected[0], what=f"the pair merged in {words}")
        assert_equal(got[1], expected[1], what=f"the words after merging {expected[0]}")


# -- Causal language modeling objective -------------------------------------------------------


def _lm_inputs():
    rng = np.random.default_rng(9)
    batch, seq, vocab = 4, 7, 6
    logits = 2.0 * rng.normal(size=(batch, seq, vocab))
    ids = rng.integers(0, vocab, size=(batch, seq))
    lengths = np.array([7, 5, 3, 2])
    mask = np.arange(seq)[None, :] < lengths[:, None]
    ids = np.where(mask, ids, vocab - 1)  # the pad id, a real token id too
    return logits, ids, mask


def lm_loss_oracle(logits, ids, mask, *, shift=1, weights="target", average="tokens"):
    """The masked next-token cross-entropy in float64 with optional slips: shift 1 (right),
    0 (no shift) or -1 (the wrong way); weights "target", "input" or "none"; average
    "tokens" (all real predictions together) or "rows" (a mean per row, then over rows)."""
    log_probs = _log_softmax(f64(logits))
    batch, seq, _ = log_probs.shape
    nll, weight = np.zeros((batch, seq)), np.zeros((batch, seq))
    for b in range(batch):
        for t in range(seq):
            source, target = (t, t + shift) if shift >= 0 else (t + 1, t)
            if target >= seq or source >= seq:
                continue
            nll[b, t] = -log_probs[b, source, ids[b, target]]
            weight[b, t] = {"target": mask[b, target], "input": mask[b, source], "none": 1}[weights]
    if average == "rows":
        return float(np.mean((nll * weight).sum(1) / weight.sum(1)))
    return float((nll * weight).sum() / weight.sum())


def check_causal_lm_loss(fn) -> None:
    logits, ids, mask = _lm_inputs()
    got = scalar(
        fn(jnp.asarray(logits, jnp.float32), jnp.asarray(ids), jnp.asarray(mask)), "the loss"
    )
    expected = lm_loss_oracle(logits, ids, mask)
    total_nll = expected * mask[:, 1:].sum()
    assert_close_or_distinct_mistake(
        got,
        expected,
        {
            "logits[:, t] score the token AFTER ids[:, t]: the targets are ids[:, 1:], "
            "predicted by logits[:, :-1]": lm_loss_oracle(logits, ids, mask, shift=0),
            "the shift goes the other way: logits[:, :-1] predict ids[:, 1:]": lm_loss_oracle(
                logits, ids, mask, shift=-1
            ),
            "average over the real targets only: a prediction whose target is padding must "
            "not count": lm_loss_oracle(logits, ids, mask, weights="none"),
            "count a prediction when its TARGET is real: weight by mask[:, 1:], not "
            "mask[:, :-1]": lm_loss_oracle(logits, ids, mask, weights="input"),
            "average over all the batch's real predictions together, not row by row (rows "
            "have different lengths)": lm_loss_oracle(logits, ids, mask, average="rows"),
            "the loss is in nats: natural log, no division by ln 2": expected / np.log(2),
            "return the mean over the real predictions, not their sum": total_nll,
        },
        rtol=1e-4,
        what="the loss",
    )


# -- Scaling laws -----------------------------------------------------------------------------

CURVE_FIT = {
    "scipy.optimize.curve_fit": "the exercise is the straight-line fit in log-log, written out"
}


def _scaling_points():
    n = np.array([2e3, 6e3, 2e4, 6e4, 2e5, 6e5])
    noise = np.exp(0.05 * np.random.default_rng(4).normal(size=n.shape))
    return n, 20.0 * n**-0.3 * noise + 1.5, 1.5


def check_fit_power_law(fn) -> None:
    fn = without(fn, CURVE_FIT)
    n, losses, offset = _scaling_points()
    got = fn(jnp.asarray(n, jnp.float32), jnp.asarray(losses, jnp.float32), offset)
    try:
        a, alpha = (scalar(v, "a and alpha") for v in got)
    except (TypeError, ValueError):
        raise CheckFailed("return (a, alpha), two numbers") from None
    log_n, log_excess = np.log(n), np.log(losses - offset)
    slope, intercept = np.polyfit(log_n, log_excess, 1)
    no_offset = np.polyfit(log_n, np.log(losses), 1)
    swapped = np.polyfit(log_excess, log_n, 1)  # log N = s log(L - c) + i
    assert_close_or_distinct_mistake(
        [a, alpha],
        [np.exp(intercept), -slope],
        {
            "subtract the offset first: fit log(L - c), not log L": [
                np.exp(no_offset[1]),
                -no_offset[0],
            ],
            "alpha is MINUS the slope (the loss falls with N, so the slope is negative)": [
                np.exp(intercept),
                slope,
            ],
            "a = exp(intercept): the intercept is log a": [intercept, -slope],
            "with log10, a = 10**intercept: undo the log you took": [
                np.exp(intercept / np.log(10)),
                -slope,
            ],
            "regress log(L - c) on log N (y on x), not log N on log(L - c)": [
                np.exp(-swapped[1] / swapped[0]),
                -1 / swapped[0],
            ],
        },
        rtol=2e-3,
        atol=1e-5,
        what="(a, alpha)",
    )


# -- Training dynamics at scale ---------------------------------------------------------------


def _layers():
    """Three layers of different scales and an update of a different size in each."""
    rng = np.random.default_rng(5)
    old, new = [], []
    for scale, step, bias_step in ((1.0, 0.01, 0.3), (0.2, 0.05, 0.001), (3.0, 0.5, 2.0)):
        layer = {"w": scale * rng.normal(size=(4, 3)), "b": 0.5 * scale * rng.normal(size=(3,))}
        delta = {"w": step * rng.normal(size=(4, 3)), "b": bias_step * rng.normal(size=(3,))}
        old.append(layer)
        new.append({name: layer[name] + delta[name] for name in layer})
    return old, new


def _norm(layer) -> float:
    return float(np.sqrt(sum(np.sum(f64(v) ** 2) for v in layer.values())))


def _diff(new, old) -> dict:
    return {name: f64(new[name]) - f64(old[name]) for name in old}


def check_update_ratios(fn) -> None:
    old, new = _layers()
    as_f32 = [[{k: jnp.asarray(v, jnp.float32) for k, v in layer.items()} for layer in group]
              for group in (old, new)]  # fmt: skip
    got = f64(fn(*as_f32))
    pairs = list(zip(old, new, strict=True))
    expected = np.array([_norm(_diff(n, o)) / _norm(o) for o, n in pairs])
    per_leaf = np.array(
        [np.mean([np.linalg.norm(n[k] - o[k]) / np.linalg.norm(o[k]) for k in o]) for o, n in pairs]
    )
    global_ratio = np.sqrt(sum(_norm(_diff(n, o)) ** 2 for o, n in pairs)) / np.sqrt(
        sum(_norm(o) ** 2 for o, _ in pairs)
    )
    assert_close_or_distinct_mistake(
        got,
        expected,
        {
            "divide by the norm BEFORE the step, ||theta_l||, not after": np.array(
                [_norm(_diff(n, o)) / _norm(n) for o, n in pairs]
            ),
            "one norm over ALL of a layer's entries: not a mean of per-array ratios": per_leaf,
            "take the square roots: a ratio of norms, not of squared norms": expected**2,
            "the norm of the difference, ||theta' - theta||, not the difference of the norms": (
                np.array([abs(_norm(n) - _norm(o)) / _norm(o) for o, n in pairs])
            ),
            "one ratio per LAYER, not one for the whole model": np.full(3, global_ratio),
        },
        rtol=1e-4,
        what="the ratios",
    )


# -- Evaluation metrics (perplexity) ----------------------------------------------------------


def _nll_inputs():
    rng = np.random.default_rng(6)
    nll = rng.uniform(0.2, 3.0, size=(3, 6))
    mask = np.arange(6)[None, :] < np.array([6, 4, 2])[:, None]
    nll = np.where(mask, nll, 9.0)  # padding's numbers are garbage
    n_chars = int(round(2.7 * mask.sum()))  # about 2.7 characters per token
    return nll, mask, n_chars


def check_perplexities(fn) -> None:
    nll, mask, n_chars = _nll_inputs()
    got = fn(jnp.asarray(nll, jnp.float32), jnp.asarray(mask), n_chars)
    try:
        got = [scalar(v, "each of the three results") for v in got]
    except (TypeError, ValueError):
        raise CheckFailed("return (ppl_token, ppl_char, bits_per_char), three numbers") from None
    if len(got) != 3:
        raise CheckFailed("return (ppl_token, ppl_char, bits_per_char), three numbers")
    total, n_tokens = float(nll[mask].sum()), int(mask.sum())
    all_total, all_n = float(nll.sum()), nll.size
    row_ppl = np.mean([np.exp(nll[b][mask[b]].mean()) for b in range(len(nll))])
    names = ("ppl_token", "ppl_char", "bits_per_char")
    expected = (np.exp(total / n_tokens), np.exp(total / n_chars), total / (n_chars * np.log(2)))
    mistakes = (
        {
            "count only the real targets: leave the padding out of the sum and the count": (
                np.exp(all_total / all_n)
            ),
            "perplexity is exp of the mean nats over ALL real tokens, not a mean of per-row "
            "perplexities": row_ppl,
            "perplexity is exp (nats), not 2 ** (nats)": 2 ** (total / n_tokens),
        },
        {
            "per character: divide the total nats by n_chars, not by n_tokens": expected[0],
            "ppl_char = ppl_token ** (n_tokens / n_chars), not ** (n_chars / n_tokens)": np.exp(
                total / n_tokens * n_chars / n_tokens
            ),
            "count only the real targets: leave the padding out of the sum": np.exp(
                all_total / n_chars
            ),
        },
        {
            "bits: divide the nats by ln 2": total / n_chars,
            "bits per CHARACTER: divide by n_chars, not by n_tokens": total
            / (n_tokens * np.log(2)),
            "count only the real targets: leave the padding out of the sum": all_total
            / (n_chars * np.log(2)),
        },
    )
    for value, right, wrong, name in zip(got, expected, mistakes, names, strict=True):
        assert_close_or_distinct_mistake(value, right, wrong, rtol=1e-4, what=name)


# -- Limitations of likelihood-based evaluation -----------------------------------------------

DISTINCT_CASES = (  # (samples, n)
    ([[1, 2, 3, 1, 2, 3, 4], [2, 3, 4, 5], [1], [5, 5, 5, 5]], 2),
    ([[1, 2, 3, 1, 2, 3, 4], [2, 3, 4, 5], [1], [5, 5, 5, 5]], 3),
    ([[4, 4, 4, 4, 4, 4], [1, 2, 1, 2], [3, 1, 2, 3]], 1),
    ([[1, 2], [2, 1], [1, 2]], 2),
    ([[1], [2, 3]], 3),  # no 3-gram anywhere
)


def distinct_oracle(samples, n, *, per_sample=False, joined=False, by_tokens=False, short=False):
    """distinct-n by a set of tuples, with optional slips."""
    streams = [[t for s in samples for t in s]] if joined else samples
    cut = 1 if short else 0  # off by one: m - n windows instead of m - n + 1

    def grams(s):
        return [tuple(s[i : i + n]) for i in range(len(s) - n + 1 - cut)]

    if per_sample:
        ratios = [len(set(grams(s))) / len(grams(s)) for s in streams if grams(s)]
        return float(np.mean(ratios)) if ratios else 0.0
    every = [g for s in streams for g in grams(s)]
    if not every:
        return 0.0
    return len(set(every)) / (sum(len(s) for s in samples) if by_tokens else len(every))


def check_distinct_n(fn) -> None:
    for samples, n in DISTINCT_CASES:
        got = scalar(fn([list(s) for s in samples], n), "distinct-n")
        assert_close_or_distinct_mistake(
            got,
            distinct_oracle(samples, n),
            {
                "count over all samples together (different n-grams of the whole set / all "
                "n-grams), not a mean of per-sample ratios": distinct_oracle(
                    samples, n, per_sample=True
                ),
                "an n-gram lies inside one sample: do not join the samples into one sequence": (
                    distinct_oracle(samples, n, joined=True)
                ),
                "divide by the number of n-grams, not of tokens": distinct_oracle(
                    samples, n, by_tokens=True
                ),
                "a sample of length m has m - n + 1 n-grams (range(len(s) - n + 1))": (
                    distinct_oracle(samples, n, short=True)
                ),
            },
            rtol=1e-6,
            what=f"distinct-{n} of {samples}",
        )


# -- Alignment overview (RLHF basics) ---------------------------------------------------------


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def dpo_oracle(pc, pr, rc, rr, beta) -> float:
    """mean softplus(-beta [(pc - rc) - (pr - rr)]) in float64 (= -log sigmoid)."""
    margin = beta * ((f64(pc) - f64(rc)) - (f64(pr) - f64(rr)))
    return float(np.mean(_softplus(-margin)))


def _dpo_cases():
    rng = np.random.default_rng(7)
    pc, pr, rc, rr = (-30.0 + 5.0 * rng.normal(size=8) for _ in range(4))
    big = np.array([300.0, -300.0, 120.0, -150.0])  # margins far past float32's exp
    zeros = np.zeros(4)
    return (
        (pc, pr, rc, rr, 0.1),
        (pc, pr, rc, rr, 0.5),
        (pc, pr, pc, pr, 0.3),  # the policy is the reference: ln 2
        (big, zeros, zeros, zeros, 1.0),
    )


def check_dpo_loss(fn) -> None:
    for pc, pr, rc, rr, beta in _dpo_cases():
        args = [jnp.asarray(v, jnp.float32) for v in (pc, pr, rc, rr)]
        got = scalar(fn(*args, beta), "the loss")
        if not np.isfinite(got):
            raise CheckFailed(
                "the loss is not finite for a large margin: log(sigmoid(x)) underflows; use "
                "jax.nn.log_sigmoid(x) (= -softplus(-x))"
            )
        assert_close_or_distinct_mistake(
            got,
            dpo_oracle(pc, pr, rc, rr, beta),
            {
                "the implicit reward is beta (log pi - log pi_ref): subtract the reference's "
                "log-probabilities": dpo_oracle(pc, pr, 0.0, 0.0, beta),
                "the chosen completion's reward comes first: -log sigmoid(r_chosen - "
                "r_rejected)": dpo_oracle(pr, pc, rr, rc, beta),
                "multiply the log-ratio margin by beta": dpo_oracle(pc, pr, rc, rr, 1.0),
                "the loss is the MEAN over the batch, not the sum": len(pc)
                * dpo_oracle(pc, pr, rc, rr, beta),
                "the loss is -log sigmoid(margin), with the minus: it is >= 0": -dpo_oracle(
                    pc, pr, rc, rr, beta
                ),
            },
            rtol=1e-4,
            atol=1e-5,
            what=f"the DPO loss at beta={beta}",
        )


EXERCISES: tuple[Exercise, ...] = (
    Exercise("bpe_merge_step", TOKENIZATION, check_bpe_merge_step),
    Exercise("causal_lm_loss", OBJECTIVE, check_causal_lm_loss),
    Exercise("fit_power_law", SCALING, check_fit_power_law),
    Exercise("update_ratios", DYNAMICS, check_update_ratios),
    Exercise("perplexities", PERPLEXITY, check_perplexities),
    Exercise("distinct_n", LIMITATIONS, check_distinct_n),
    Exercise("dpo_loss", ALIGNMENT, check_dpo_loss),
)
