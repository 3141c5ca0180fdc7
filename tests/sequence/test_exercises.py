"""Lesson 07's exercises: every topic has one, wrong answers fail with their hint, shortcuts
are refused, the checks' oracles are right, and correct answers written by hand pass."""

import textwrap
from collections import Counter

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

from jlr.course.checker import grade
from jlr.course.checks import sequence_models as checks
from jlr.course.checks.sequence_models import EXERCISES
from jlr.course.exercise import f64
from jlr.models.rnn import gru_cell
from jlr.nn.attention import multi_head_attention
from jlr.nn.layer_norm import layer_norm
from jlr.nn.positional import rope, sinusoidal_encoding
from jlr.text import WordVocab

SECTION = "07"


def test_every_topic_of_section_07_has_an_exercise():
    assert_exercises_cover_the_section(SECTION)


def test_stubs_and_solutions_define_every_exercise():
    assert_stubs_and_solutions_define_every_exercise(SECTION)


# -- The oracles themselves -------------------------------------------------------------------


@pytest.mark.parametrize("min_freq", [1, 2, 3])
def test_vocab_oracle_is_the_library_word_vocab(min_freq):
    """The check's Counter-based oracle = WordVocab (itself matched to HF tokenizers)."""
    expected = WordVocab.from_tokens(checks.VOCAB_TEXT, min_freq=min_freq).tokens
    assert checks.vocab_oracle(checks.VOCAB_TEXT, min_freq) == list(expected)


def test_gru_oracles_agree():
    params = checks._gru_params(10, 4, 6)
    h, x = checks._normal(14, (6,)), checks._normal(15, (4,), 1.5)
    with jax.default_matmul_precision("highest"):
        ours = gru_cell(params, h, x)
    np.testing.assert_allclose(checks.flax_gru_step(params, h, x), ours, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(checks.gru_variant(params, h, x), ours, rtol=1e-5, atol=1e-6)


def test_flax_mha_oracle_equals_the_library_and_numpy():
    params, x = checks._mha_params(40, 12), checks._normal(41, (5, 12))
    with jax.default_matmul_precision("highest"):
        library, _ = multi_head_attention(params, x, n_heads=3, is_causal=True)
    np.testing.assert_allclose(checks.flax_mha(params, x, 3), library, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(checks.mha_variant(params, x, 3), library, rtol=1e-5, atol=1e-5)


def test_products_oracle_worked_by_hand():
    j = np.stack([np.diag([2.0, 1.0]), np.array([[0.0, 1.0], [1.0, 0.0]]), np.diag([1.0, 3.0])])
    # P[0] = J2 J1 J0 = diag(1,3) swap diag(2,1) = [[0, 1], [6, 0]]
    np.testing.assert_allclose(checks.products_oracle(j, order="right")[0], [[0, 1], [6, 0]])
    np.testing.assert_allclose(checks.products_oracle(j, order="right")[2], j[2])


def test_positional_oracles_equal_the_library():
    np.testing.assert_allclose(checks.sinusoid64(40, 16),
                               sinusoidal_encoding(jnp.arange(40), 16), atol=2e-5)  # fmt: skip
    x, positions = checks._normal(60, (9, 8)), jnp.asarray([0, 1, 2, 5, 9, 17, 33, 3, 60])
    np.testing.assert_allclose(checks.rope64(x, positions), rope(x, positions), atol=2e-5)


def test_layer_norm_oracle_equals_the_library():
    params, x = checks._block_params(50, 8), checks._normal(51, (6, 8), 2.0) + 1.0
    np.testing.assert_allclose(checks._layer_norm64(params["ln_1"], f64(x)),
                               layer_norm(params["ln_1"], x), rtol=1e-5, atol=1e-5)  # fmt: skip


# -- Plausible wrong answers ------------------------------------------------------------------
#
# Handing in the library's answer (gru_cell, multi_head_attention, rope, filtered_probs...) is
# refused by the checker for every exercise whose reference solution calls it, which
# tests/course/test_checker_can_fail_and_pass.py proves for every section; the shortcuts
# refused here are the ones each check refuses itself.

OFF_LIMITS = "is off limits here"
SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]


def _vocab(*, specials=True, strict=False, appearance=False, ascending=False):
    def wrong(tokens, min_freq):
        counts = Counter(t for t in tokens if t not in SPECIALS)
        kept = [t for t, c in counts.items() if (c > min_freq if strict else c >= min_freq)]
        sign = 1 if ascending else -1
        key = (lambda t: sign * counts[t]) if appearance else (lambda t: (sign * counts[t], t))
        return (SPECIALS if specials else []) + sorted(kept, key=key)

    return wrong


def _vocab_counting_specials(tokens, min_freq):
    counts = Counter(tokens)
    kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    return SPECIALS + kept


def _embedding(*, mode="add"):
    def wrong(ids, grad_out, vocab):
        table = jnp.zeros((vocab, grad_out.shape[-1]))
        if mode == "set":
            return table.at[ids].set(grad_out)
        if mode == "set-first":  # what .set may keep on a GPU, where its order is unspecified
            return table.at[ids[::-1]].set(grad_out[::-1])
        summed = table.at[ids].add(grad_out)
        counts = jnp.zeros(vocab).at[ids].add(1.0)
        return summed / jnp.maximum(counts, 1)[:, None]

    return wrong


def _gru(*, paper=False, swap=False, no_b_hn=False):
    def wrong(params, h, x):
        xr, xz, xn = jnp.split(x @ params["w_x"] + params["b_x"], 3)
        hr, hz, hn = jnp.split(h @ params["w_h"], 3)
        r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
        b = 0.0 if no_b_hn else params["b_hn"]
        d = h.shape[-1]
        n = jnp.tanh(xn + ((r * h) @ params["w_h"][:, 2 * d :] + b if paper else r * (hn + b)))
        return z * n + (1 - z) * h if swap else (1 - z) * n + z * h

    return wrong


def _products(*, left=False, exclusive=False, forward=False):
    def wrong(jacobians):
        n, d, _ = jacobians.shape
        out = []
        for t in range(n):
            product = jnp.eye(d)
            for s in range(0, t + 1) if forward else range(t, n):
                if exclusive and s == t:
                    continue
                product = product @ jacobians[s] if left else jacobians[s] @ product
            out.append(product)
        return jnp.stack(out)

    return wrong


def _attention(*, scale="sqrt", axis=-1, mask="causal", late_mask=False, transpose_out=False):
    def wrong(q, k, v):
        seq, d = q.shape
        scores = q @ k.T / {"sqrt": jnp.sqrt(d), "none": 1.0, "d": d}[scale]
        allowed = {"causal": jnp.tril(jnp.ones((seq, seq), bool)),
                   "anti": jnp.triu(jnp.ones((seq, seq), bool)),
                   "none": jnp.ones((seq, seq), bool)}[mask]  # fmt: skip
        if late_mask:
            weights = jnp.where(allowed, jax.nn.softmax(scores, axis=axis), 0.0)
        else:
            weights = jax.nn.softmax(jnp.where(allowed, scores, -jnp.inf), axis=axis)
            weights = jnp.nan_to_num(weights)
        return (weights.T if transpose_out else weights) @ v, weights

    return wrong


def _attention_by_jax(q, k, v):
    out = jax.nn.dot_product_attention(q[None, :, None], k[None, :, None], v[None, :, None],
                                       is_causal=True)[0, :, 0]  # fmt: skip
    return out, jnp.zeros((q.shape[0], q.shape[0]))


def _mha(*, split="features", causal=True, project=True, scale="d_head"):
    def wrong(params, x, n_heads):
        seq, d_model = x.shape
        d_head = d_model // n_heads

        def heads(a):
            if split == "reshape":
                return a.reshape(n_heads, seq, d_head)
            return a.reshape(seq, n_heads, d_head).transpose(1, 0, 2)

        q, k, v = (heads(x @ params[n]["w"] + params[n]["b"]) for n in "qkv")
        scores = q @ k.transpose(0, 2, 1) / jnp.sqrt(d_head if scale == "d_head" else d_model)
        if causal:
            scores = jnp.where(jnp.tril(jnp.ones((seq, seq), bool)), scores, -jnp.inf)
        out = jax.nn.softmax(scores) @ v  # (n_heads, seq, d_head)
        merged = out.reshape(seq, d_model) if split == "reshape" else out.transpose(
            1, 0, 2).reshape(seq, d_model)  # fmt: skip
        return merged @ params["o"]["w"] + params["o"]["b"] if project else merged

    return wrong


def _ln(p, x):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return p["scale"] * (x - mean) / jnp.sqrt(var + 1e-5) + p["bias"]


def _block(*, post_ln=False, residual=True, relu=False, ln_mlp=True):
    def wrong(params, x, attend):
        act = jax.nn.relu if relu else jax.nn.gelu
        fc, proj = params["mlp"]["fc"], params["mlp"]["proj"]

        def mlp(h):
            return act(h @ fc["w"] + fc["b"]) @ proj["w"] + proj["b"]

        if post_ln:
            x = _ln(params["ln_1"], x + attend(params["attn"], x))
            return _ln(params["ln_2"], x + mlp(x))
        a = attend(params["attn"], _ln(params["ln_1"], x))
        x = x + a if residual else a
        m = mlp(_ln(params["ln_2"], x) if ln_mlp else x)
        return x + m if residual else m

    return wrong


def _sinusoid(*, halves=False, swap=False, exponent=2.0, start=0):
    def wrong(seq, d_model):
        t = jnp.arange(start, start + seq)[:, None]
        j = jnp.arange(d_model // 2)[None, :]
        angles = t * 10000.0 ** (-exponent * j / d_model)
        a, b = (jnp.cos(angles), jnp.sin(angles)) if swap else (jnp.sin(angles), jnp.cos(angles))
        if halves:
            return jnp.concatenate([a, b], axis=-1)
        return jnp.stack([a, b], axis=-1).reshape(seq, d_model)

    return wrong


def _rope(*, halves=False, sign=1.0, one_angle=False):
    def wrong(x, positions):
        d = x.shape[-1]
        theta = 10000.0 ** (-2.0 * jnp.arange(d // 2) / d)
        theta = jnp.full_like(theta, theta[1]) if one_angle else theta
        a = sign * positions[:, None] * theta
        even, odd = (x[:, : d // 2], x[:, d // 2 :]) if halves else (x[:, 0::2], x[:, 1::2])
        new = (even * jnp.cos(a) - odd * jnp.sin(a), even * jnp.sin(a) + odd * jnp.cos(a))
        if halves:
            return jnp.concatenate(new, axis=-1)
        return jnp.stack(new, axis=-1).reshape(x.shape)

    return wrong


def _top_k(*, times=False, renormalise=True, shift=0):
    def wrong(logits, k, temperature):
        p = jax.nn.softmax(logits * temperature if times else logits / temperature)
        kth = jnp.sort(p)[::-1][min(max(k + shift, 1), p.shape[0]) - 1]
        kept = jnp.where(p >= kth, p, 0.0)
        return kept / kept.sum() if renormalise else kept

    return wrong


def _top_p(*, strict=False, renormalise=True):
    def wrong(logits, top_p):
        p = jax.nn.softmax(logits)
        order = jnp.argsort(-p)
        cumulative = jnp.cumsum(p[order])
        before = cumulative - p[order]
        keep_sorted = cumulative < top_p if strict else before < top_p
        keep_sorted = keep_sorted.at[0].set(True)
        kept = jnp.zeros_like(p).at[order].set(jnp.where(keep_sorted, p[order], 0.0))
        return kept / kept.sum() if renormalise else kept

    return wrong


MISTAKES = {
    "build_vocab": [
        (
            rf"WordVocab {OFF_LIMITS}",
            lambda t, m: list(WordVocab.from_tokens(t, min_freq=m).tokens),
        ),  # noqa: E501
        (r"start with the four specials", _vocab(specials=False)),
        (r"AT LEAST min_freq", _vocab(strict=True)),
        (r"code-point order", _vocab(appearance=True)),
        (r"decreasing count", _vocab(ascending=True)),
        (r"not counted again", _vocab_counting_specials),
    ],  # fmt: skip
    "embedding_backward": [
        (
            rf"jax.vjp {OFF_LIMITS}",
            lambda ids, g, vocab: jax.vjp(lambda t: t[ids], jnp.zeros((vocab, g.shape[-1])))[1](g)[
                0
            ],
        ),
        (r"not .set", _embedding(mode="set")),
        (r"not .set", _embedding(mode="set-first")),
        (r"do not average", _embedding(mode="mean")),
        (r"the table's shape", lambda ids, g, vocab: g),
    ],  # fmt: skip
    "gru_step": [
        (r"AFTER the matmul", _gru(paper=True)),
        (r"z = 1 keeps the OLD state", _gru(swap=True)),
        (r"adds b_hn inside the reset gate", _gru(no_b_hn=True)),
    ],
    "jacobian_products": [
        (r"on the LEFT", _products(left=True)),
        (r"includes J_t itself", _products(exclusive=True)),
        (r"from the END", _products(forward=True)),
    ],
    "causal_attention": [
        (rf"jax.nn.dot_product_attention {OFF_LIMITS}", _attention_by_jax),
        (r"divide the scores by sqrt\(d_head\)", _attention(scale="none")),
        (r"not d_head", _attention(scale="d")),
        (r"softmax over the KEYS", _attention(axis=0)),
        (r"jnp.tril", _attention(mask="anti")),
        (r"BEFORE the softmax", _attention(late_mask=True)),
        (r"must not see keys j > i", _attention(mask="none")),
        (r"out = weights @ v", _attention(transpose_out=True)),
    ],
    "multi_head_attention": [
        (r"a plain reshape", _mha(split="reshape")),
        (r"causal: mask keys", _mha(causal=False)),
        (r"output layer 'o'", _mha(project=False)),
        (r"not sqrt\(d_model\)", _mha(scale="d_model")),
    ],
    "decoder_block": [
        (r"x \+ f\(LN\(x\)\)", _block(post_ln=True)),
        (r"add each sub-layer's output", _block(residual=False)),
        (r"gelu", _block(relu=True)),
        (r"its own layer norm", _block(ln_mlp=False)),
    ],
    "sinusoidal_positions": [
        (r"interleave the pairs", _sinusoid(halves=True)),
        (r"sin on the even features", _sinusoid(swap=True)),
        (r"the exponent has 2j", _sinusoid(exponent=1.0)),
        (r"positions start at 0", _sinusoid(start=1)),
    ],  # fmt: skip
    "apply_rope": [
        (r"interleaved", _rope(halves=True)),
        (r"rotate by \+a", _rope(sign=-1.0)),
        (r"its own speed", _rope(one_angle=True)),
    ],
    "top_k_probs": [
        (r"DIVIDE the logits", _top_k(times=True)),
        (r"renormalise", _top_k(renormalise=False)),
        (r"keep exactly the k", _top_k(shift=1)),
        (r"not k - 1", _top_k(shift=-1)),
    ],
    "top_p_probs": [
        (r"smallest prefix with mass >= top_p", _top_p(strict=True)),
        (r"renormalise", _top_p(renormalise=False)),
    ],
}


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


# -- Correct answers written by hand pass (the guards refuse only the shortcuts) -----------

HAND_WRITTEN = """
from collections import Counter

import jax
import jax.numpy as jnp


def build_vocab(tokens, min_freq):
    specials = ["<pad>", "<unk>", "<bos>", "<eos>"]
    counts = Counter(t for t in tokens if t not in specials)
    kept = sorted((t for t in counts if counts[t] >= min_freq), key=lambda t: (-counts[t], t))
    return specials + kept


def embedding_backward(ids, grad_out, vocab):
    return jax.nn.one_hot(ids, vocab).T @ grad_out


def gru_step(params, h, x):
    xr, xz, xn = jnp.split(x @ params["w_x"] + params["b_x"], 3)
    hr, hz, hn = jnp.split(h @ params["w_h"], 3)
    r = jax.nn.sigmoid(xr + hr)
    z = jax.nn.sigmoid(xz + hz)
    n = jnp.tanh(xn + r * (hn + params["b_hn"]))
    return (1 - z) * n + z * h


def jacobian_products(jacobians):
    out = []
    product = jnp.eye(jacobians.shape[-1])
    for t in range(jacobians.shape[0] - 1, -1, -1):
        product = product @ jacobians[t]
        out.append(product)
    return jnp.stack(out[::-1])


def causal_attention(q, k, v):
    seq = q.shape[0]
    scores = q @ k.T / jnp.sqrt(q.shape[-1])
    scores = jnp.where(jnp.tril(jnp.ones((seq, seq), bool)), scores, -jnp.inf)
    weights = jax.nn.softmax(scores, axis=-1)
    return weights @ v, weights


def multi_head_attention(params, x, n_heads):
    seq, d_model = x.shape
    d_head = d_model // n_heads
    q, k, v = (
        (x @ params[n]["w"] + params[n]["b"]).reshape(seq, n_heads, d_head) for n in "qkv"
    )
    out = jax.nn.dot_product_attention(q[None], k[None], v[None], is_causal=True)[0]
    return out.reshape(seq, d_model) @ params["o"]["w"] + params["o"]["b"]


def _layer_norm(p, x):
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return p["scale"] * (x - mean) / jnp.sqrt(var + 1e-5) + p["bias"]


def decoder_block(params, x, attend):
    x = x + attend(params["attn"], _layer_norm(params["ln_1"], x))
    fc, proj = params["mlp"]["fc"], params["mlp"]["proj"]
    h = jax.nn.gelu(_layer_norm(params["ln_2"], x) @ fc["w"] + fc["b"])
    return x + h @ proj["w"] + proj["b"]


def _angles(positions, d):
    return positions[:, None] * 10000.0 ** (-jnp.arange(0, d, 2) / d)


def sinusoidal_positions(seq, d_model):
    a = _angles(jnp.arange(seq), d_model)
    return jnp.stack([jnp.sin(a), jnp.cos(a)], axis=-1).reshape(seq, d_model)


def apply_rope(x, positions):
    a = _angles(positions, x.shape[-1])
    even, odd = x[:, 0::2], x[:, 1::2]
    out = jnp.stack([even * jnp.cos(a) - odd * jnp.sin(a), even * jnp.sin(a) + odd * jnp.cos(a)],
                    axis=-1)
    return out.reshape(x.shape)


def top_k_probs(logits, k, temperature):
    p = jax.nn.softmax(logits / temperature)
    kth = jnp.sort(p)[-k]
    p = jnp.where(p >= kth, p, 0.0)
    return p / p.sum()


def top_p_probs(logits, top_p):
    p = jax.nn.softmax(logits)
    order = jnp.argsort(-p)
    sorted_p = p[order]
    mass_before = jnp.cumsum(sorted_p) - sorted_p
    keep = jnp.zeros(p.shape, bool).at[order].set(mass_before < top_p)
    p = jnp.where(keep, p, 0.0)
    return p / p.sum()
"""


@pytest.fixture(scope="module")
def hand_written_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("learner") / "07_sequence_models.py"
    path.write_text(textwrap.dedent(HAND_WRITTEN), encoding="utf-8")
    return {result.name: result for result in grade(SECTION, path).results}


@pytest.mark.parametrize("name", [exercise.name for exercise in EXERCISES])
def test_a_correct_hand_written_answer_passes(hand_written_report, name):
    assert hand_written_report[name].outcome == "PASS", hand_written_report[name].line
