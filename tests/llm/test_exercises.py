"""Lesson 09's exercises: every topic has one, wrong answers fail with their hint, shortcuts
are refused, the checks' oracles agree with the library and with hand counts, and correct
answers written by hand pass."""

import textwrap
from collections import Counter
from itertools import pairwise

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from exercise_helpers import (
    assert_exercises_cover_the_section,
    assert_mistake_fails,
    assert_stubs_and_solutions_define_every_exercise,
    mistake_cases,
)
from scipy.optimize import curve_fit

from jlr.alignment.dpo import dpo_loss
from jlr.course.checker import grade
from jlr.course.checks import llms as checks
from jlr.course.checks.llms import EXERCISES
from jlr.course.solutions import llms as solutions
from jlr.nn.causal_lm import masked_mean_nats
from jlr.text import gpt2_pre_tokenize, train_bpe
from jlr.text.bpe import BYTE_ID, merge_pair
from jlr.text.sample_metrics import distinct_n

SECTION = "09"


def test_every_topic_of_section_09_has_an_exercise():
    assert_exercises_cover_the_section(SECTION)


def test_stubs_and_solutions_define_every_exercise():
    assert_stubs_and_solutions_define_every_exercise(SECTION)


# -- The oracles themselves -------------------------------------------------------------------


def test_bpe_oracle_makes_the_library_trainers_first_merges():
    """Two steps of the check's brute-force oracle on a text's pre-tokens are the first two
    merges of jlr.text.train_bpe (itself equal to HF tokenizers' BpeTrainer in tests/text)."""
    text = "the cat and the hat sat on the mat; the rat ate that hat"
    bpe = train_bpe(text, 258)
    pieces = Counter(word.encode() for word in gpt2_pre_tokenize(text))
    ids = [[BYTE_ID[b] for b in word] for word in pieces]
    counts = list(pieces.values())
    for rank, new_id in enumerate((256, 257)):
        pair, ids = checks.bpe_step_oracle(ids, counts, new_id)
        assert pair == bpe.merges[rank]


@pytest.mark.parametrize(("words", "counts", "new_id"), checks.BPE_CASES)
def test_each_bpe_case_separates_the_right_step_from_some_slip(words, counts, new_id):
    right = checks.bpe_step_oracle(words, counts, new_id)
    assert any(
        checks.bpe_step_oracle(words, counts, new_id, **slip) != right
        for slip in checks.BPE_MISTAKES.values()
    )
    assert right[1] == [merge_pair(w, right[0], new_id) for w in words]


def test_every_bpe_slip_shows_on_some_case():
    for slip in checks.BPE_MISTAKES.values():
        assert any(
            checks.bpe_step_oracle(w, c, i, **slip) != checks.bpe_step_oracle(w, c, i)
            for w, c, i in checks.BPE_CASES
        ), slip


def test_lm_loss_oracle_is_the_librarys_masked_mean():
    logits, ids, mask = checks._lm_inputs()
    with jax.default_matmul_precision("highest"):
        library = masked_mean_nats(
            jnp.asarray(logits[:, :-1], jnp.float32),
            jnp.asarray(ids[:, 1:]),
            jnp.asarray(mask[:, 1:], jnp.float32),
        )
    np.testing.assert_allclose(checks.lm_loss_oracle(logits, ids, mask), library, rtol=1e-5)


def test_power_law_oracle_recovers_a_noiseless_law():
    n = np.array([1e3, 1e4, 1e5, 1e6])
    a, alpha = solutions.fit_power_law(n, 7.0 * n**-0.25 + 2.0, 2.0)
    np.testing.assert_allclose([a, alpha], [7.0, 0.25], rtol=1e-4)


def test_distinct_oracle_is_the_librarys_distinct_n():
    for samples, n in checks.DISTINCT_CASES:
        assert checks.distinct_oracle(samples, n) == distinct_n(samples, n)
    assert checks.distinct_oracle([[1, 2, 1, 2]], 2) == 2 / 3  # (1,2) (2,1) (1,2): hand count


def test_dpo_oracle_is_the_librarys_loss_and_ln2_at_init():
    for pc, pr, rc, rr, beta in checks._dpo_cases():
        args = [jnp.asarray(v, jnp.float32) for v in (pc, pr, rc, rr)]
        np.testing.assert_allclose(
            checks.dpo_oracle(pc, pr, rc, rr, beta), dpo_loss(*args, beta), rtol=1e-5
        )
    pc, pr, *_ = checks._dpo_cases()[0]
    np.testing.assert_allclose(checks.dpo_oracle(pc, pr, pc, pr, 0.3), np.log(2), rtol=1e-12)


# -- Plausible wrong answers ------------------------------------------------------------------


def _bpe(**slip):
    def wrong(words, counts, new_id):
        return checks.bpe_step_oracle(words, counts, new_id, **slip)

    return wrong


def _bpe_library(words, counts, new_id):
    """The shortcut: train the library's tokenizer for one merge (on a made-up text)."""
    bpe = train_bpe("".join(chr(97 + t % 26) for w in words for t in w), 257)
    return bpe.merges[0], words


def _lm(*, shift=1, weights="target", average="tokens", scale=1.0, reduce="mean"):
    def wrong(logits, ids, mask):
        log_probs = jax.nn.log_softmax(logits, axis=-1)
        if shift == 1:
            scored, targets, m_in, m_out = log_probs[:, :-1], ids[:, 1:], mask[:, :-1], mask[:, 1:]
        elif shift == 0:
            scored, targets, m_in, m_out = log_probs, ids, mask, mask
        else:
            scored, targets, m_in, m_out = log_probs[:, 1:], ids[:, :-1], mask[:, 1:], mask[:, :-1]
        nll = -jnp.take_along_axis(scored, targets[..., None], axis=-1)[..., 0]
        w = {"target": m_out, "input": m_in, "none": jnp.ones_like(m_out)}[weights]
        w = w.astype(jnp.float32)
        if average == "rows":
            return jnp.mean(jnp.sum(nll * w, 1) / jnp.sum(w, 1)) * scale
        total = jnp.sum(nll * w) * scale
        return total if reduce == "sum" else total / jnp.sum(w)

    return wrong


def _fit(*, offset=True, sign=-1, log_a=False, log10_a=False, swapped=False):
    def wrong(n, losses, c):
        x = np.log(np.asarray(n, np.float64))
        y = np.log(np.asarray(losses, np.float64) - (c if offset else 0.0))
        if swapped:
            s, i = np.polyfit(y, x, 1)
            return np.exp(-i / s), -1 / s
        slope, intercept = np.polyfit(x, y, 1)
        if log10_a:
            slope, intercept = np.polyfit(x / np.log(10), y / np.log(10), 1)
            return np.exp(intercept), -slope
        return (intercept if log_a else np.exp(intercept)), sign * slope

    return wrong


def _flat(layer):
    return jnp.concatenate([jnp.ravel(v) for v in jax.tree.leaves(layer)])


def _ratios(*, by_new=False, per_leaf=False, squared=False, norm_difference=False, whole=False):
    def wrong(old, new):
        if whole:
            value = jnp.linalg.norm(_flat(new) - _flat(old)) / jnp.linalg.norm(_flat(old))
            return jnp.full(len(old), value)
        out = []
        for o, n in zip(old, new, strict=True):
            if per_leaf:
                out.append(jnp.mean(jnp.stack([jnp.linalg.norm(n[k] - o[k]) / jnp.linalg.norm(o[k])
                                               for k in o])))  # fmt: skip
                continue
            base = jnp.linalg.norm(_flat(n if by_new else o))
            if norm_difference:
                out.append(jnp.abs(jnp.linalg.norm(_flat(n)) - jnp.linalg.norm(_flat(o))) / base)
            else:
                out.append(jnp.linalg.norm(_flat(n) - _flat(o)) / base)
        ratios = jnp.stack(out)
        return ratios**2 if squared else ratios

    return wrong


def _ppl(*, pads=False, rows=False, base2=False, char_by_tokens=False, inverse=False,
         bits_in_nats=False, bits_per_token=False):  # fmt: skip
    def wrong(nll, mask, n_chars):
        m = jnp.ones_like(mask) if pads else mask
        total = jnp.sum(jnp.where(m, nll, 0.0))
        n_tokens = jnp.sum(m)
        ppl_token = (2.0 if base2 else jnp.e) ** (total / n_tokens)
        if rows:
            ppl_token = jnp.mean(jnp.exp(jnp.sum(jnp.where(m, nll, 0), 1) / jnp.sum(m, 1)))
        ppl_char = jnp.exp(total / (n_tokens if char_by_tokens else n_chars))
        if inverse:
            ppl_char = jnp.exp(total / n_tokens) ** (n_chars / n_tokens)
        bits = total / (
            (n_tokens if bits_per_token else n_chars) * (1 if bits_in_nats else jnp.log(2))
        )
        return ppl_token, ppl_char, bits

    return wrong


def _distinct(**slip):
    def wrong(samples, n):
        return checks.distinct_oracle(samples, n, **slip)

    return wrong


def _dpo(*, reference=True, swap=False, beta_on=True, reduce="mean", sign=1, naive=False):
    def wrong(pc, pr, rc, rr, beta):
        if swap:
            pc, pr, rc, rr = pr, pc, rr, rc
        if not reference:
            rc, rr = jnp.zeros_like(rc), jnp.zeros_like(rr)
        margin = (beta if beta_on else 1.0) * ((pc - rc) - (pr - rr))
        per_pair = -jnp.log(jax.nn.sigmoid(margin)) if naive else jax.nn.softplus(-margin)
        loss = jnp.sum(per_pair) if reduce == "sum" else jnp.mean(per_pair)
        return sign * loss

    return wrong


MISTAKES = {
    "bpe_merge_step": [
        (r"weight each word's pairs by its count", _bpe(weighted=False)),
        (r"smallest \(a, b\), not the first seen", _bpe(ties="first")),
        (r"smallest \(a, b\), not the largest", _bpe(ties="largest")),
        (r"count overlapping occurrences", _bpe(overlapping=False)),
        (r"merge left to right", _bpe(right_to_left=True)),
        (r"EVERY occurrence", _bpe(first_only=True)),
        (r"jlr.text.bpe.train_bpe is off limits", _bpe_library),
    ],
    "causal_lm_loss": [
        (r"score the token AFTER", _lm(shift=0)),
        (r"the shift goes the other way", _lm(shift=-1)),
        (r"average over the real targets only", _lm(weights="none")),
        (r"its TARGET is real", _lm(weights="input")),
        (r"not row by row", _lm(average="rows")),
        (r"in nats", lambda logits, ids, mask: _lm()(logits, ids, mask) / jnp.log(2.0)),
        (r"not their sum", _lm(reduce="sum")),
    ],
    "fit_power_law": [
        (r"subtract the offset", _fit(offset=False)),
        (r"MINUS the slope", _fit(sign=1)),
        (r"a = exp\(intercept\)", _fit(log_a=True)),
        (r"10\*\*intercept", _fit(log10_a=True)),
        (r"y on x", _fit(swapped=True)),
        (  # the shortcut: a nonlinear fit with c fixed, by scipy
            r"scipy.optimize.curve_fit is off limits",
            lambda n, losses, c: curve_fit(
                lambda x, a, alpha: a * x**-alpha + c, np.asarray(n), np.asarray(losses)
            )[0],
        ),
    ],
    "update_ratios": [
        (r"BEFORE the step", _ratios(by_new=True)),
        (r"not a mean of per-array ratios", _ratios(per_leaf=True)),
        (r"not of squared norms", _ratios(squared=True)),
        (r"not the difference of the norms", _ratios(norm_difference=True)),
        (r"one ratio per LAYER", _ratios(whole=True)),
    ],
    "perplexities": [
        (r"leave the padding out", _ppl(pads=True)),
        (r"not a mean of per-row perplexities", _ppl(rows=True)),
        (r"not 2 \*\* \(nats\)", _ppl(base2=True)),
        (r"divide the total nats by n_chars", _ppl(char_by_tokens=True)),
        (r"not \*\* \(n_chars / n_tokens\)", _ppl(inverse=True)),
        (r"divide the nats by ln 2", _ppl(bits_in_nats=True)),
        (r"bits per CHARACTER", _ppl(bits_per_token=True)),
    ],
    "distinct_n": [
        (r"not a mean of per-sample ratios", _distinct(per_sample=True)),
        (r"do not join the samples", _distinct(joined=True)),
        (r"not of tokens", _distinct(by_tokens=True)),
        (r"m - n \+ 1", _distinct(short=True)),
    ],
    "dpo_loss": [
        (r"subtract the reference", _dpo(reference=False)),
        (r"chosen completion's reward comes first", _dpo(swap=True)),
        (r"multiply the log-ratio margin by beta", _dpo(beta_on=False)),
        (r"MEAN over the batch", _dpo(reduce="sum")),
        (r"with the minus", _dpo(sign=-1)),
        (r"underflows", _dpo(naive=True)),
    ],
}


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


# -- The checker refuses the library's answer and passes correct answers written by hand ------

HAND_WRITTEN = """
import jax
import jax.numpy as jnp


def bpe_merge_step(words, counts, new_id):
    counts_of = {}
    for word, count in zip(words, counts):
        for pair in zip(word, word[1:]):
            counts_of[pair] = counts_of.get(pair, 0) + count
    best = max(counts_of, key=lambda pair: (counts_of[pair], -pair[0], -pair[1]))
    merged = []
    for word in words:
        out, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                out.append(new_id)
                i += 2
            else:
                out.append(word[i])
                i += 1
        merged.append(out)
    return best, merged


def causal_lm_loss(logits, ids, mask):
    log_probs = jax.nn.log_softmax(logits[:, :-1])
    nll = -jnp.take_along_axis(log_probs, ids[:, 1:, None], axis=-1)[..., 0]
    weights = mask[:, 1:]
    return jnp.sum(jnp.where(weights, nll, 0.0)) / jnp.sum(weights)


def fit_power_law(n_params, losses, offset):
    slope, intercept = jnp.polyfit(jnp.log(n_params), jnp.log(losses - offset), 1)
    return jnp.exp(intercept), -slope


def update_ratios(old_layers, new_layers):
    out = []
    for old, new in zip(old_layers, new_layers):
        delta = sum(jnp.sum((new[k] - old[k]) ** 2) for k in old)
        size = sum(jnp.sum(old[k] ** 2) for k in old)
        out.append(jnp.sqrt(delta / size))
    return jnp.array(out)


def perplexities(token_nll, mask, n_chars):
    total = jnp.sum(token_nll * mask)
    n_tokens = mask.sum()
    return jnp.exp(total / n_tokens), jnp.exp(total / n_chars), total / n_chars / jnp.log(2)


def distinct_n(samples, n):
    grams = [tuple(s[i:i + n]) for s in samples for i in range(len(s) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    h = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
    return -jnp.mean(jax.nn.log_sigmoid(beta * h))
"""

LIBRARY_ANSWERS = """
from jlr.alignment.dpo import dpo_loss as _dpo
from jlr.nn import causal_lm
from jlr.text import sample_metrics


def distinct_n(samples, n):
    return sample_metrics.distinct_n(samples, n)


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    return _dpo(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)


def causal_lm_loss(logits, ids, mask):
    return causal_lm.masked_mean_nats(logits[:, :-1], ids[:, 1:], mask[:, 1:] * 1.0)
"""


def _grade(tmp_path_factory, source):
    path = tmp_path_factory.mktemp("learner") / "09_llms.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return {result.name: result for result in grade(SECTION, path).results}


@pytest.fixture(scope="module")
def hand_written_report(tmp_path_factory):
    return _grade(tmp_path_factory, HAND_WRITTEN)


@pytest.mark.parametrize("name", [exercise.name for exercise in EXERCISES])
def test_a_correct_hand_written_answer_passes(hand_written_report, name):
    assert hand_written_report[name].outcome == "PASS", hand_written_report[name].line


@pytest.fixture(scope="module")
def library_answers_report(tmp_path_factory):
    return _grade(tmp_path_factory, LIBRARY_ANSWERS)


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("distinct_n", "jlr.text.sample_metrics.distinct_n"),
        ("dpo_loss", "jlr.alignment.dpo.dpo_loss"),
        ("causal_lm_loss", "jlr.nn.causal_lm.masked_mean_nats"),
    ],
)
def test_library_answer_is_refused(library_answers_report, name, refused):
    """The checker refuses the library function a reference solution calls (the exercise is
    to write it); the mistake table above cannot show this, since it calls the check alone."""
    report = library_answers_report
    assert report[name].outcome == "FAIL"
    assert f"{refused} is off limits" in report[name].detail, report[name].line


def test_bpe_pairs_are_counted_with_overlap():
    """The docstring's example, counted by hand: [7, 7, 7] holds (7, 7) twice."""
    assert Counter(pairwise([7, 7, 7]))[(7, 7)] == 2
