"""Lesson 10's exercises: every topic has one, wrong answers fail with their hint, the
shortcut is refused, the checks' oracles are right, and correct answers written by hand pass."""

import textwrap
from math import comb

import jax.numpy as jnp
import numpy as np
import pytest
from exercise_helpers import (
    assert_exercises_cover_the_section,
    assert_mistake_fails,
    assert_stubs_and_solutions_define_every_exercise,
    mistake_cases,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.course.checker import grade
from jlr.course.checks import projects as checks
from jlr.course.checks.projects import EXERCISES
from jlr.course.solutions import projects as solutions
from jlr.landscape.directions import filter_normalize

SECTION = "10"


def test_every_topic_of_section_10_has_an_exercise():
    assert_exercises_cover_the_section(SECTION)


def test_stubs_and_solutions_define_every_exercise():
    assert_stubs_and_solutions_define_every_exercise(SECTION)


# -- The oracles themselves -------------------------------------------------------------------


def test_rollout_rows_sum_to_one_and_one_layer_is_half_attention_half_identity():
    weights = checks.causal_attention_weights(3, 1, 2, 5)
    rollout = checks.rollout_oracle(weights)
    np.testing.assert_allclose(rollout, 0.5 * weights[0].mean(0) + 0.5 * np.eye(5), atol=1e-12)
    deep = checks.rollout_oracle(checks.causal_attention_weights(4, 3, 2, 5))
    np.testing.assert_allclose(deep.sum(axis=1), 1.0, atol=1e-12)
    assert np.allclose(np.triu(deep, 1), 0.0)  # causal layers compose to a causal rollout


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.floats(0.0, 10.0, allow_nan=False), min_size=1, max_size=7),
    st.integers(1, 7),
)
def test_the_order_statistic_formula_equals_the_subset_enumeration(losses, k):
    losses = np.array(losses)
    k = min(k, len(losses))
    np.testing.assert_allclose(
        solutions.expected_best_of_k(losses, k), checks.best_of_k_oracle(losses, k), rtol=1e-12,
        atol=1e-12,
    )  # fmt: skip


def test_best_of_k_ends_at_the_mean_and_the_minimum():
    losses = checks.BEST_OF_K_CASES[0][0]
    n = len(losses)
    assert solutions.expected_best_of_k(losses, 1) == pytest.approx(losses.mean(), rel=1e-12)
    assert solutions.expected_best_of_k(losses, n) == pytest.approx(losses.min(), rel=1e-12)


def test_the_filter_oracle_is_the_library_filter_normalization():
    """The check's numpy loop and jlr.landscape's vectorized version agree, and each filter
    of the result has the parameters' filter norm."""
    direction, params = checks.filter_case(5)
    expected = checks.filter_oracle(direction, params)
    library = filter_normalize(
        {k: jnp.asarray(v) for k, v in direction.items()},
        {k: jnp.asarray(v) for k, v in params.items()},
    )
    for name in direction:
        np.testing.assert_allclose(library[name], expected[name], rtol=1e-5, atol=1e-6)
    conv = expected["conv"]
    np.testing.assert_allclose(
        np.linalg.norm(conv.reshape(-1, 4), axis=0),
        np.linalg.norm(params["conv"].reshape(-1, 4), axis=0),
        rtol=1e-10,
    )
    assert not expected["bias"].any() and not expected["scale"].any()


# -- Wrong answers fail with their hint ------------------------------------------------------


def _rollout(*, residual=0.5, reverse=False, head="mean", last_only=False):
    def wrong(weights):
        n_layer, _, seq, _ = weights.shape
        eye = jnp.eye(seq)
        rollout = eye
        layers = [n_layer - 1] if last_only else range(n_layer)
        for layer in layers:
            w = weights[layer].mean(0) if head == "mean" else weights[layer].max(0)
            a = w + eye if residual is None else (1 - residual) * w + residual * eye
            rollout = rollout @ a if reverse else a @ rollout
        return rollout

    return wrong


def _best_of_k(kind):
    def wrong(losses, k):
        v, n = np.sort(losses), len(losses)
        i = np.arange(1, n + 1)
        if kind == "replacement":
            return float(np.sum(v * (((n - i + 1) / n) ** k - ((n - i) / n) ** k)))
        if kind == "mean":
            return float(np.mean(losses))
        if kind == "k_lowest":
            return float(np.mean(v[:k]))
        if kind == "max":
            w = np.array([comb(j, k) - comb(j - 1, k) for j in i], dtype=float)
            return float(np.sum(v * w) / comb(n, k))
        w = np.array([comb(n - j + 1, k) - comb(n - j, k) for j in i], dtype=float)
        return float(np.sum(np.asarray(losses) * w) / comb(n, k))  # unsorted

    return wrong


def _filter(*, per="filter", zero_small=True, scale=True, divide=True):
    def wrong(direction, params):
        out = {}
        for name, d in direction.items():
            theta = params[name]
            if theta.ndim < 2 and zero_small:
                out[name] = jnp.zeros_like(d)
                continue
            if theta.ndim < 2 or per == "layer":
                axes = None
            elif per == "first":
                axes = tuple(range(1, theta.ndim))
            else:
                axes = tuple(range(theta.ndim - 1))
            d_norm = jnp.sqrt(jnp.sum(d**2, axis=axes, keepdims=True))
            t_norm = jnp.sqrt(jnp.sum(theta**2, axis=axes, keepdims=True))
            out[name] = (d / d_norm if divide else d) * (t_norm if scale else 1.0)
        return out

    return wrong


MISTAKES = {
    "attention_rollout": [
        (r"add the residual path", _rollout(residual=0.0)),
        (r"first layer FIRST", _rollout(reverse=True)),
        (r"average the heads", _rollout(head="max")),
        (r"0.5 each", _rollout(residual=None)),
        (r"EVERY layer", _rollout(last_only=True)),
        (r"shape", lambda weights: weights.mean(axis=(0, 1))[None]),
    ],
    "expected_best_of_k": [
        (r"DISTINCT", _best_of_k("replacement")),
        (r"BEST of the k", _best_of_k("mean")),
        (r"mean of the k lowest", _best_of_k("k_lowest")),
        (r"MINIMUM", _best_of_k("max")),
        (r"sort the losses", _best_of_k("unsorted")),
        (r"one number", lambda losses, k: np.sort(losses)[:k]),
    ],
    "filter_normalize": [
        (r"not the whole layer", _filter(per="layer")),
        (r"LAST axis", _filter(per="first")),
        (r"ZERO direction", _filter(zero_small=False)),
        (r"scale each unit filter", _filter(scale=False)),
        (r"divide by the direction", _filter(divide=False)),
        (r"keys", lambda d, p: [d[k] for k in d]),
    ],
}


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


# -- Correct answers written by hand pass (the guards refuse only the shortcuts) -----------

HAND_WRITTEN = """
from math import comb

import jax
import jax.numpy as jnp
import numpy as np


def attention_rollout(weights):
    seq = weights.shape[-1]
    rollout = jnp.eye(seq)
    for layer_weights in weights:
        rollout = (0.5 * layer_weights.mean(axis=0) + 0.5 * jnp.eye(seq)) @ rollout
    return rollout


def expected_best_of_k(losses, k):
    v = np.sort(np.asarray(losses, dtype=float))
    n = len(v)
    total = sum(v[i - 1] * (comb(n - i + 1, k) - comb(n - i, k)) for i in range(1, n + 1))
    return total / comb(n, k)


def filter_normalize(direction, params):
    out = {}
    for name, d in direction.items():
        theta = params[name]
        if theta.ndim < 2:
            out[name] = jnp.zeros_like(d)
            continue
        d_norm = jnp.linalg.norm(d.reshape(-1, d.shape[-1]), axis=0)
        t_norm = jnp.linalg.norm(theta.reshape(-1, theta.shape[-1]), axis=0)
        out[name] = d / d_norm * t_norm
    return out
"""


@pytest.fixture(scope="module")
def hand_written_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("learner") / "10_projects.py"
    path.write_text(textwrap.dedent(HAND_WRITTEN), encoding="utf-8")
    return {result.name: result for result in grade(SECTION, path).results}


@pytest.mark.parametrize("name", [exercise.name for exercise in EXERCISES])
def test_a_correct_hand_written_answer_passes(hand_written_report, name):
    assert hand_written_report[name].outcome == "PASS", hand_written_report[name].line
