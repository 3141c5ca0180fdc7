"""Lesson 08's exercises: every topic has one, wrong answers fail with their hint, shortcuts
are refused, and correct answers written by hand pass."""

import textwrap

import flax.linen as fnn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from exercise_helpers import (
    assert_exercises_cover_the_section,
    assert_mistake_fails,
    assert_stubs_and_solutions_define_every_exercise,
    mistake_cases,
)
from scipy import stats

from jlr.course.checker import grade
from jlr.course.checks import computer_vision as checks
from jlr.course.checks.computer_vision import EXERCISES

SECTION = "08"


def test_every_topic_of_section_08_has_an_exercise():
    assert_exercises_cover_the_section(SECTION)


def test_stubs_and_solutions_define_every_exercise():
    assert_stubs_and_solutions_define_every_exercise(SECTION)


# -- The oracles themselves -------------------------------------------------------------------


def test_the_welch_cases_give_scipys_welch_df():
    """The Welch-Satterthwaite formula the hints are built on is scipy's df."""
    for a, b in checks.WELCH_CASES:
        u, w = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        df = (u + w) ** 2 / (u**2 / (len(a) - 1) + w**2 / (len(b) - 1))
        np.testing.assert_allclose(stats.ttest_ind(a, b, equal_var=False).df, df, rtol=1e-12)


def test_the_batch_norm_oracle_is_the_formula():
    x, scale, bias, mean, var = checks._bn_case(0, (3, 4, 4, 5))
    y, new_mean, new_var = checks._flax_batch_norm(x, scale, bias, mean, var, 0.8, 0.5, True)
    mu, sigma2 = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y, scale * (x - mu) / np.sqrt(sigma2 + 0.5) + bias, rtol=1e-4,
                               atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(new_mean, 0.8 * mean + 0.2 * mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_var, 0.8 * var + 0.2 * sigma2, rtol=1e-5, atol=1e-6)


# -- Plausible wrong answers ------------------------------------------------------------------


def _top(responses, k):
    return jax.lax.top_k(responses, k)[1]


def _responses(activations, unit, reduce=jnp.max):
    return reduce(activations[..., unit], axis=(1, 2))  # (n,)


def _bn(*, ddof=0, running_ddof=0, eps_outside=False, axes=None, swapped=False, update=True,
        use_running=False, running_std=False):  # fmt: skip
    """Batch norm in train mode with one slip; axes: the statistics' axes (default: all but
    the last)."""

    def wrong(x, scale, bias, running_mean, running_var, momentum=0.9, eps=1e-5):
        over = tuple(range(x.ndim - 1)) if axes is None else axes
        keep = axes == -1
        mu = jnp.mean(x, axis=over, keepdims=keep)
        var = jnp.var(x, axis=over, keepdims=keep, ddof=ddof)
        if use_running:
            mu_n, var_n = running_mean, running_var
        else:
            mu_n, var_n = mu, var
        root = jnp.sqrt(var_n) + eps if eps_outside else jnp.sqrt(var_n + eps)
        y = scale * (x - mu_n) / root + bias
        if not update:
            return y, running_mean, running_var
        m = 1 - momentum if swapped else momentum
        over = over if axes == 0 else tuple(range(x.ndim - 1))  # (features,) statistics
        stat_var = jnp.var(x, axis=over, ddof=running_ddof)
        stat_var = jnp.sqrt(stat_var) if running_std else stat_var
        return (y, m * running_mean + (1 - m) * jnp.mean(x, axis=over),
                m * running_var + (1 - m) * stat_var)  # fmt: skip

    return wrong


def _flax_bn_train(x, scale, bias, running_mean, running_var, momentum=0.9, eps=1e-5):
    y, updated = fnn.BatchNorm(momentum=momentum, epsilon=eps).apply(
        {"params": {"scale": scale, "bias": bias},
         "batch_stats": {"mean": running_mean, "var": running_var}},
        x, use_running_average=False, mutable=["batch_stats"],
    )  # fmt: skip
    return y, updated["batch_stats"]["mean"], updated["batch_stats"]["var"]


def _standardize_train(x, scale, bias, running_mean, running_var, momentum=0.9, eps=1e-5):
    axes = tuple(range(x.ndim - 1))
    y = scale * jax.nn.standardize(x, axis=axes, epsilon=eps) + bias
    mu, var = x.mean(axis=axes), x.var(axis=axes)
    return (
        y,
        momentum * running_mean + (1 - momentum) * mu,
        momentum * running_var + (1 - momentum) * var,
    )


def _bn_eval(*, batch_stats=False, eps_outside=False, no_sqrt=False, affine=True):
    def wrong(x, scale, bias, running_mean, running_var, eps=1e-5):
        axes = tuple(range(x.ndim - 1))
        mu, var = (x.mean(axis=axes), x.var(axis=axes)) if batch_stats else (
            running_mean, running_var)  # fmt: skip
        if no_sqrt:
            root = var + eps
        else:
            root = jnp.sqrt(var) + eps if eps_outside else jnp.sqrt(var + eps)
        x_hat = (x - mu) / root
        return scale * x_hat + bias if affine else x_hat

    return wrong


def _flax_bn_eval(x, scale, bias, running_mean, running_var, eps=1e-5):
    return fnn.BatchNorm(epsilon=eps).apply(
        {"params": {"scale": scale, "bias": bias},
         "batch_stats": {"mean": running_mean, "var": running_var}},
        x, use_running_average=True,
    )  # fmt: skip


def _ln(*, axes=-1, ddof=0, eps_outside=False, affine=True):
    def wrong(x, scale, bias, eps=1e-5):
        over = tuple(range(x.ndim - 1)) if axes == "all but last" else axes
        mu = jnp.mean(x, axis=over, keepdims=True)
        var = jnp.var(x, axis=over, keepdims=True, ddof=ddof)
        root = jnp.sqrt(var) + eps if eps_outside else jnp.sqrt(var + eps)
        x_hat = (x - mu) / root
        return scale * x_hat + bias if affine else x_hat

    return wrong


def _standardize_ln(x, scale, bias, eps=1e-5):
    return scale * jax.nn.standardize(x, epsilon=eps) + bias


def _scipy_welch(a, b):
    result = stats.ttest_ind(a, b, equal_var=False)
    return result.statistic, result.df


def _scipy_paired_ci(a, b, confidence=0.95):
    return tuple(stats.ttest_rel(a, b).confidence_interval(confidence))


def _scipy_one_sample_ci(a, b, confidence=0.95):
    return tuple(stats.ttest_1samp(a - b, 0.0).confidence_interval(confidence))


def _dropout(*, rescale="keep", keep_is_drop=False, eval_drops=False, eval_scale=False,
             fixed_key=False, rows=False):  # fmt: skip
    def wrong(key, x, drop_prob, train):
        if not train:
            if eval_scale:
                return x * (1 - drop_prob)
            if not eval_drops:
                return x
        key = jax.random.key(0) if fixed_key else key
        keep_prob = drop_prob if keep_is_drop else 1 - drop_prob
        shape = x.shape[:1] + (1,) * (x.ndim - 1) if rows else x.shape
        keep = jax.random.bernoulli(key, keep_prob, shape)
        divisor = {"keep": 1 - drop_prob, "drop": drop_prob, "none": 1.0}[rescale]
        return jnp.where(keep, x / divisor, 0.0)

    return wrong


def _adamw(*, l2=False, unscaled=False, sign=1, correct=True, eps_inside=False, step_shift=0,
           hats=False):  # fmt: skip
    def wrong(grad, param, m, v, step, lr, weight_decay, b1=0.9, b2=0.999, eps=1e-8):
        g = grad + weight_decay * param if l2 else grad
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        t = step + step_shift
        m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if correct else (m, v)
        root = jnp.sqrt(v_hat + eps) if eps_inside else jnp.sqrt(v_hat) + eps
        decay = 0.0 if l2 else sign * weight_decay * param
        update = -lr * m_hat / root - (1.0 if unscaled else lr) * decay
        return (update, m_hat, v_hat) if hats else (update, m, v)

    return wrong


def _optax_adamw(grad, param, m, v, step, lr, weight_decay, b1=0.9, b2=0.999, eps=1e-8):
    optimizer = optax.adamw(lr, b1, b2, eps, weight_decay=weight_decay)
    state = optimizer.init(param)
    state = (state[0]._replace(count=jnp.asarray(step - 1), mu=m, nu=v), *state[1:])
    update, state = optimizer.update(grad, state, param)
    return update, state[0].mu, state[0].nu


def _welch(*, pooled=False, df_pooled=False, ddof=1, sign=1, std=False):
    def wrong(a, b):
        na, nb = len(a), len(b)
        u, w = a.var(ddof=ddof) / na, b.var(ddof=ddof) / nb
        if std:
            u, w = a.std(ddof=1) / na, b.std(ddof=1) / nb
        t = sign * (a.mean() - b.mean()) / np.sqrt(u + w)
        df = (u + w) ** 2 / (u**2 / (na - 1) + w**2 / (nb - 1))
        if pooled:
            s2 = ((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2)
            t = (a.mean() - b.mean()) / np.sqrt(s2 * (1 / na + 1 / nb))
        if pooled or df_pooled:
            df = na + nb - 2
        return t, df

    return wrong


def _paired_ci(*, quantile="t", df_shift=0, ddof=1, root_n=True):
    def wrong(a, b, confidence=0.95):
        d = a - b
        n = len(d)
        q = {
            "t": stats.t.ppf((1 + confidence) / 2, n - 1 + df_shift),
            "z": stats.norm.ppf((1 + confidence) / 2),
            "one-sided": stats.t.ppf(confidence, n - 1),
        }[quantile]
        half = q * d.std(ddof=ddof) / (np.sqrt(n) if root_n else 1.0)
        return d.mean() - half, d.mean() + half

    return wrong


def _welch_ci(a, b, confidence=0.95):
    u, w = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (u + w) ** 2 / (u**2 / (len(a) - 1) + w**2 / (len(b) - 1))
    half = stats.t.ppf((1 + confidence) / 2, df) * np.sqrt(u + w)
    diff = a.mean() - b.mean()
    return diff - half, diff + half


OFF_LIMITS = "is off limits here"

MISTAKES = {
    "top_k_activating": [
        (r"LEAST activating", lambda a, u, k: jnp.argsort(_responses(a, u))[:k]),
        (r"comes FIRST", lambda a, u, k: jax.lax.top_k(_responses(a, u), k)[1][::-1]),
        (r"MAX over the positions", lambda a, u, k: _top(_responses(a, u, jnp.mean), k)),
        (r"MAX over the positions", lambda a, u, k: _top(_responses(a, u, jnp.sum), k)),
        (r"channel `unit` only", lambda a, u, k: jax.lax.top_k(a.max(axis=(1, 2, 3)), k)[1]),
        (r"INDICES", lambda a, u, k: jax.lax.top_k(_responses(a, u), k)[0]),  # the responses
    ],
    "batch_norm_train": [
        (r"use the biased variance", _bn(ddof=1, running_ddof=1)),
        (r"PyTorch", _bn(running_ddof=1)),  # biased to normalize, unbiased in the average
        (r"weight of the OLD running average", _bn(swapped=True)),
        (r"INSIDE the square root", _bn(eps_outside=True)),
        (r"batch AND every position", _bn(axes=0)),
        (r"over the features it is layer norm", _bn(axes=-1)),
        (r"return the new ones", _bn(update=False)),
        (r"BATCH's statistics", _bn(use_running=True)),
        (r"not the standard deviation", _bn(running_std=True)),
        (rf"flax.linen.BatchNorm {OFF_LIMITS}", _flax_bn_train),
        (rf"jax.nn.standardize {OFF_LIMITS}", _standardize_train),
    ],
    "batch_norm_eval": [
        (r"RUNNING averages", _bn_eval(batch_stats=True)),
        (r"INSIDE the square root", _bn_eval(eps_outside=True)),
        (r"square root of the variance", _bn_eval(no_sqrt=True)),
        (r"scale and bias", _bn_eval(affine=False)),
        (rf"flax.linen.BatchNorm {OFF_LIMITS}", _flax_bn_eval),
    ],
    "layer_norm": [
        (r"its own features", _ln(axes=0)),
        (r"its own features", _ln(axes="all but last")),  # batch norm over (batch, seq)
        (r"not over the whole array", _ln(axes=None)),
        (r"use the biased variance", _ln(ddof=1)),
        (r"INSIDE the square root", _ln(eps_outside=True)),
        (r"scale and bias", _ln(affine=False)),
        (
            rf"flax.linen.LayerNorm {OFF_LIMITS}",
            lambda x, scale, bias, eps=1e-5: fnn.LayerNorm(epsilon=eps).apply(
                {"params": {"scale": scale, "bias": bias}}, x
            ),
        ),  # fmt: skip
        (rf"jax.nn.standardize {OFF_LIMITS}", _standardize_ln),
    ],
    "inverted_dropout": [
        (r"divide the survivors by the keep probability", _dropout(rescale="none")),
        (r"not by drop_prob", _dropout(rescale="drop")),
        (r"probability of DROPPING", _dropout(keep_is_drop=True)),
        (r"return x unchanged", _dropout(eval_drops=True)),
        (r"non-inverted dropout", _dropout(eval_scale=True)),
        (r"another key, another mask", _dropout(fixed_key=True)),
        (r"each ELEMENT independently", _dropout(rows=True)),
    ],
    "adamw_update": [
        (r"Adam with an L2 penalty", _adamw(l2=True)),
        (r"scaled by the learning rate", _adamw(unscaled=True)),
        (r"SUBTRACT", _adamw(sign=-1)),
        (r"bias-correct the moments", _adamw(correct=False)),
        (r"OUTSIDE the square root", _adamw(eps_inside=True)),
        (r"step counts from 1", _adamw(step_shift=1)),
        (r"raw moments", _adamw(hats=True)),
        (rf"optax.adamw {OFF_LIMITS}", _optax_adamw),
    ],
    "welch_t": [
        (r"pooled variance", _welch(pooled=True)),
        (r"Welch-Satterthwaite", _welch(df_pooled=True)),
        (r"unbiased sample variances", _welch(ddof=0)),
        (r"mind the sign", _welch(sign=-1)),
        (r"VARIANCES over counts", _welch(std=True)),
        (rf"scipy.stats.ttest_ind {OFF_LIMITS}", _scipy_welch),
    ],
    "paired_difference_ci": [
        (r"Student's t quantile", _paired_ci(quantile="z")),
        (r"two tails", _paired_ci(quantile="one-sided")),
        (r"n - 1 degrees of freedom", _paired_ci(df_shift=1)),
        (r"unbiased standard deviation", _paired_ci(ddof=0)),
        (r"pair the runs", _welch_ci),
        (r"sqrt\(n\)", _paired_ci(root_n=False)),
        (rf"scipy.stats.ttest_rel {OFF_LIMITS}", _scipy_paired_ci),
        (rf"scipy.stats.ttest_1samp {OFF_LIMITS}", _scipy_one_sample_ci),
    ],
}


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


# -- Correct answers written by hand pass (the guards refuse only the shortcuts) -----------

HAND_WRITTEN = """
import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats


def top_k_activating(activations, unit, k):
    responses = activations[..., unit].max(axis=(1, 2))
    return jnp.argsort(-responses)[:k]


def _normalize(x, mean, var, scale, bias, eps):
    return scale * (x - mean) / jnp.sqrt(var + eps) + bias


def batch_norm_train(x, scale, bias, running_mean, running_var, momentum=0.9, eps=1e-5):
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axis=axes)
    var = ((x - mean) ** 2).mean(axis=axes)
    y = _normalize(x, mean, var, scale, bias, eps)
    new_mean = momentum * running_mean + (1 - momentum) * mean
    new_var = momentum * running_var + (1 - momentum) * var
    return y, new_mean, new_var


def batch_norm_eval(x, scale, bias, running_mean, running_var, eps=1e-5):
    return _normalize(x, running_mean, running_var, scale, bias, eps)


def layer_norm(x, scale, bias, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return _normalize(x, mean, var, scale, bias, eps)


def inverted_dropout(key, x, drop_prob, train):
    if not train:
        return x
    keep = jax.random.uniform(key, x.shape) >= drop_prob
    return jnp.where(keep, x / (1 - drop_prob), 0.0)


def adamw_update(grad, param, m, v, step, lr, weight_decay, b1=0.9, b2=0.999, eps=1e-8):
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    m_hat, v_hat = m / (1 - b1**step), v / (1 - b2**step)
    return -lr * (m_hat / (jnp.sqrt(v_hat) + eps) + weight_decay * param), m, v


def welch_t(a, b):
    u, w = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    t = (np.mean(a) - np.mean(b)) / np.sqrt(u + w)
    return t, (u + w) ** 2 / (u**2 / (len(a) - 1) + w**2 / (len(b) - 1))


def paired_difference_ci(a, b, confidence=0.95):
    d = np.asarray(a) - np.asarray(b)
    scale = d.std(ddof=1) / np.sqrt(len(d))
    return stats.t.interval(confidence, len(d) - 1, loc=d.mean(), scale=scale)
"""


@pytest.fixture(scope="module")
def hand_written_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("learner") / "08_computer_vision.py"
    path.write_text(textwrap.dedent(HAND_WRITTEN), encoding="utf-8")
    return {result.name: result for result in grade(SECTION, path).results}


@pytest.mark.parametrize("name", [exercise.name for exercise in EXERCISES])
def test_a_correct_hand_written_answer_passes(hand_written_report, name):
    assert hand_written_report[name].outcome == "PASS", hand_written_report[name].line
