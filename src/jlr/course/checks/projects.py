"""Checks for exercises/10_projects.py, each against an independent oracle.

Oracles: attention rollout as a float64 numpy product, layer by layer; the expected best of
k draws by enumerating every k-subset of the runs (itertools.combinations); filter
normalization as a numpy loop over the filters of each leaf. Inputs come from fixed seeds and
are chosen so that each known mistake (no residual identity, the layers composed in the
wrong order, the heads' maximum for their mean, draws with replacement, the mean of the k
best, normalizing a whole layer or the wrong axis, biases left moving...) gives an answer
far from the right one: the learner then sees that mistake's hint. The library's filter
normalization is refused by the checker (the reference solution calls it).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from math import comb

import jax.numpy as jnp
import numpy as np

from jlr.course.curriculum import section_by_number
from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal, f64
from jlr.course.guard import diagnose

TOPICS = section_by_number("10").topics  # the curriculum's titles, in order
TRANSFORMER, OPTIMIZER_STUDY, LANDSCAPE = TOPICS


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


# -- Attention rollout ----------------------------------------------------------------------


def causal_attention_weights(seed: int, n_layer: int, n_head: int, seq: int) -> np.ndarray:
    """Random causal attention rows (softmax of scores over keys j <= i), float32 values."""
    scores = 2.0 * np.random.default_rng(seed).normal(size=(n_layer, n_head, seq, seq))
    scores = np.where(np.tril(np.ones((seq, seq), bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return f64(_f32(weights / weights.sum(axis=-1, keepdims=True)))


def rollout_oracle(weights: np.ndarray, *, head=np.mean, residual=0.5, reverse=False):
    """R = A_{L-1} ... A_0 with A_l = (1 - residual) head(W_l) + residual I (numpy, float64);
    reverse composes A_0 last (the wrong order); residual=None is head(W_l) + I."""
    n_layer, _, seq, _ = weights.shape
    eye = np.eye(seq)
    rollout = eye
    for layer in range(n_layer):
        mixed = head(weights[layer], axis=0)  # (seq, seq)
        mixed = mixed + eye if residual is None else (1 - residual) * mixed + residual * eye
        rollout = rollout @ mixed if reverse else mixed @ rollout  # (seq, seq)
    return rollout


def check_attention_rollout(fn) -> None:
    for seed, (n_layer, n_head, seq) in ((0, (3, 4, 7)), (1, (4, 2, 5))):
        weights = causal_attention_weights(seed, n_layer, n_head, seq)
        got = f64(fn(jnp.asarray(_f32(weights))))
        expected = rollout_oracle(weights)
        assert_equal(got.shape, expected.shape, what="the rollout's shape (seq, seq)")
        mistakes = {
            "add the residual path: A_l = 0.5 * mean_h W_l + 0.5 * I, not the attention alone": (
                rollout_oracle(weights, residual=0.0)
            ),
            "compose the first layer FIRST: R = A_{L-1} @ ... @ A_0 (A_0 acts on the input)": (
                rollout_oracle(weights, reverse=True)
            ),
            "average the heads (mean over axis 1), do not take their maximum": rollout_oracle(
                weights, head=np.max
            ),
            "weight the attention and the identity by 0.5 each, so each row of A_l still sums "
            "to 1": rollout_oracle(weights, residual=None),
            "compose EVERY layer, not only the last one": rollout_oracle(weights[-1:]),
        }
        if not np.allclose(got, expected, rtol=1e-4, atol=1e-6):
            diagnose(got, expected, mistakes, rtol=1e-4, atol=1e-6)
        assert_close(got, expected, rtol=1e-4, atol=1e-6, what=f"rollout (seed {seed})")


# -- Expected best of k ---------------------------------------------------------------------

BEST_OF_K_CASES = (
    (np.array([0.9, 0.31, 2.4, 0.55, 1.7, 0.42, 3.3]), (1, 2, 3, 5, 7)),
    (np.array([1.0, 0.2, 0.2, 5.0, 0.7, 0.2, 2.5, 9.0]), (2, 4)),  # ties
)


def best_of_k_oracle(losses: np.ndarray, k: int) -> float:
    """The mean over every k-subset of the runs of its lowest loss."""
    return float(np.mean([min(draw) for draw in itertools.combinations(losses, k)]))


def _with_replacement(losses: np.ndarray, k: int) -> float:
    v, n = np.sort(losses), len(losses)
    i = np.arange(1, n + 1)
    return float(np.sum(v * (((n - i + 1) / n) ** k - ((n - i) / n) ** k)))


def check_expected_best_of_k(fn) -> None:
    for losses, ks in BEST_OF_K_CASES:
        for k in ks:
            got = fn(losses.copy(), k)
            if np.ndim(got) != 0:
                raise CheckFailed(f"return one number (a float), got shape {np.shape(got)}")
            got = float(got)
            expected = best_of_k_oracle(losses, k)
            mistakes = {
                "draw k DISTINCT runs (without replacement): a study cannot run the same "
                "configuration twice": _with_replacement(losses, k),
                "keep the BEST of the k drawn runs, not their mean (k must matter)": np.mean(
                    losses
                ),
                "the best of a random draw of k, not the mean of the k lowest losses": np.mean(
                    np.sort(losses)[:k]
                ),
                "a lower loss is better: the best of a draw is its MINIMUM": float(
                    np.mean([max(d) for d in itertools.combinations(losses, k)])
                ),
                "sort the losses first: the formula's v_(i) is the i-th LOWEST loss": float(
                    sum(
                        losses[i - 1] * (comb(len(losses) - i + 1, k) - comb(len(losses) - i, k))
                        for i in range(1, len(losses) + 1)
                    )
                    / comb(len(losses), k)
                ),
            }
            if not np.isclose(got, expected, rtol=1e-5, atol=1e-9):
                diagnose(np.array(got), np.array(expected), {
                    h: np.array(w) for h, w in mistakes.items()
                }, rtol=1e-5, atol=1e-9)  # fmt: skip
            assert_close(got, expected, rtol=1e-5, atol=1e-9, what=f"E[best of {k}]")


# -- Filter normalization -------------------------------------------------------------------

FILTER_SHAPES = {"dense": (5, 7), "bias": (7,), "conv": (3, 3, 2, 4), "scale": (4,)}


def filter_case(seed: int) -> tuple[dict, dict]:
    """(direction, params) with filters of very different norms, float32 values."""
    rng = np.random.default_rng(seed)
    params, direction = {}, {}
    for name, shape in FILTER_SHAPES.items():
        spread = rng.uniform(0.2, 5.0, size=shape[-1])  # each filter its own scale
        params[name] = f64(_f32(rng.normal(size=shape) * spread))
        direction[name] = f64(_f32(rng.normal(size=shape) * rng.uniform(0.2, 5.0, shape[-1])))
    return direction, params


def filter_oracle(direction: dict, params: dict, *, per="filter", zero_small=True, scale=True,
                  divide=True) -> dict:  # fmt: skip
    """Per-filter loop in numpy; the keywords build the known mistakes."""
    out = {}
    for name, d in direction.items():
        theta = params[name]
        if theta.ndim < 2 and zero_small:
            out[name] = np.zeros_like(d)
            continue
        if theta.ndim < 2 or per == "layer":
            d_norm, t_norm = np.linalg.norm(d), np.linalg.norm(theta)
            out[name] = (d / d_norm if divide else d) * (t_norm if scale else 1.0)
            continue
        result = np.empty_like(d)
        axis = -1 if per == "filter" else 0
        d_moved, t_moved = np.moveaxis(d, axis, 0), np.moveaxis(theta, axis, 0)
        r_moved = np.moveaxis(result, axis, 0)  # a view: writing it writes result
        for f in range(d_moved.shape[0]):
            d_norm, t_norm = np.linalg.norm(d_moved[f]), np.linalg.norm(t_moved[f])
            r_moved[f] = (d_moved[f] / d_norm if divide else d_moved[f]) * (
                t_norm if scale else 1.0
            )
        out[name] = result
    return out


def _flat(tree: dict) -> np.ndarray:
    return np.concatenate([f64(tree[name]).ravel() for name in sorted(tree)])


def check_filter_normalize(fn) -> None:
    for seed in (0, 1):
        direction, params = filter_case(seed)
        got = fn({k: jnp.asarray(_f32(v)) for k, v in direction.items()},
                 {k: jnp.asarray(_f32(v)) for k, v in params.items()})  # fmt: skip
        if not isinstance(got, Mapping) or set(got) != set(direction):
            raise CheckFailed(f"return a dict with the direction's keys {sorted(direction)}")
        for name in FILTER_SHAPES:
            assert_equal(np.shape(got[name]), FILTER_SHAPES[name], what=f"shape of {name!r}")
        expected = filter_oracle(direction, params)
        mistakes = {
            "normalize each FILTER (a slice on the last axis), not the whole layer": (
                filter_oracle(direction, params, per="layer")
            ),
            "a filter is a slice on the LAST axis (an output unit), not on the first": (
                filter_oracle(direction, params, per="first")
            ),
            "leaves with fewer than 2 axes (biases, norm scales) get a ZERO direction": (
                filter_oracle(direction, params, zero_small=False)
            ),
            "scale each unit filter to the parameters' filter norm |theta_f|": filter_oracle(
                direction, params, scale=False
            ),
            "divide by the direction's own filter norm |d_f| before scaling": filter_oracle(
                direction, params, divide=False
            ),
        }
        flat_got, flat_expected = _flat(got), _flat(expected)
        if not np.allclose(flat_got, flat_expected, rtol=1e-4, atol=1e-6):
            diagnose(flat_got, flat_expected, {h: _flat(w) for h, w in mistakes.items()},
                     rtol=1e-4, atol=1e-6)  # fmt: skip
        what = "the normalized direction (leaves in sorted key order, flattened)"
        assert_close(flat_got, flat_expected, rtol=1e-4, atol=1e-6, what=what)


EXERCISES: tuple[Exercise, ...] = (
    Exercise("attention_rollout", TRANSFORMER, check_attention_rollout),
    Exercise("expected_best_of_k", OPTIMIZER_STUDY, check_expected_best_of_k),
    Exercise("filter_normalize", LANDSCAPE, check_filter_normalize),
)
