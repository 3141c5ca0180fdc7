"""Checks for exercises/08_computer_vision.py, each against an independent oracle.

Oracles: a stable numpy argsort (top-k examples), flax.linen's BatchNorm (train mode with
its running averages, and eval mode) and LayerNorm, the mask statistics of dropout (every
element is 0 or x / (1 - p); the dropped share within 5 standard errors of p; a new key, a
new mask), optax.adamw from a set state, and scipy.stats' ttest_ind (Welch) and ttest_rel
(its confidence interval). Inputs come from fixed seeds and are chosen so that each known
mistake (an unbiased variance, a swapped momentum, eps outside the square root, the batch
statistics in eval mode, no 1 / (1 - p), the decay inside the gradient, a normal quantile
for a t quantile...) gives an answer far from the right one: the learner then sees that
mistake's hint. The shortcuts (flax's norms, jax.nn.standardize, optax's adamw, scipy's
t-tests) are refused with `jlr.course.guard`.
"""

from __future__ import annotations

import functools
import sys

import flax.linen as fnn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy import stats

from jlr.course.curriculum import section_by_number
from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal, f64, scalar
from jlr.course.guard import assert_close_or_mistake, diagnose, without

TOPICS = section_by_number("08").topics  # the curriculum's titles, in order
HIERARCHIES, BATCH_NORM, LAYER_NORM, REGULARIZATION, ABLATIONS, PROJECT = TOPICS


def _f32(x) -> jax.Array:
    return jnp.asarray(x, dtype=jnp.float32)


def _normal(seed: int, shape, scale: float = 1.0) -> np.ndarray:
    """Fixed standard normals (numpy's generator), rounded to float32 and held as float64."""
    return f64(_f32(scale * np.random.default_rng(seed).normal(size=shape)))


def _pair(value, names: str) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"return a pair ({names})")
    return tuple(value)


def _norm_shortcuts(flax_name: str) -> dict[str, str]:
    """flax's own layer (linen, and nnx when it is loaded) and jax.nn.standardize, refused."""
    why = "the exercise is to write the normalization yourself"
    calls = {f"flax.linen.{flax_name}": why, "jax.nn.standardize": why}
    if "flax.nnx" in sys.modules:  # importing nnx just to refuse it would cost a second
        calls[f"flax.nnx.{flax_name}"] = why
    return calls


# -- Feature hierarchies: the top-k examples of a unit ---------------------------------------


def check_top_k_activating(fn) -> None:
    activations = _normal(0, (40, 5, 5, 6))  # continuous values: no ties
    for unit, k in ((3, 5), (0, 1), (5, 40)):
        responses = activations[..., unit].max(axis=(1, 2))  # (40,)
        expected = np.argsort(-responses, kind="stable")[:k]
        got = np.asarray(fn(_f32(activations), unit, k))
        case = f"unit={unit}, k={k}"
        assert_equal(got.shape, (k,), what=f"shape of the indices ({case})")
        if np.issubdtype(got.dtype, np.floating) and not np.all(got == np.round(got)):
            raise CheckFailed("return the INDICES of the examples (ints), not their responses")
        got = got.astype(np.int64)
        if np.array_equal(got, expected):
            continue

        def top(values, k=k):
            return np.argsort(-values, kind="stable")[:k]

        wrong = {
            "the most activating example comes FIRST: sort by decreasing response": (
                expected[::-1] if k > 1 else None
            ),
            "those are the LEAST activating examples: take the largest responses": (
                np.argsort(responses, kind="stable")[:k]
            ),
            "a unit's response is its MAX over the positions, not the mean (or sum)": top(
                activations[..., unit].mean(axis=(1, 2))
            ),
            "look at channel `unit` only (activations[..., unit]), not the max over every "
            "channel": top(activations.max(axis=(1, 2, 3))),
        }
        for hint, answer in wrong.items():
            if answer is not None and np.array_equal(got, answer):
                raise CheckFailed(hint)
        raise CheckFailed(f"{case}: indices {got.tolist()[:8]}, expected {expected.tolist()[:8]}")


# -- Batch normalization ---------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames=("momentum", "eps", "train"))
def _flax_batch_norm_f32(x, scale, bias, mean, var, momentum, eps, train):
    module = fnn.BatchNorm(momentum=momentum, epsilon=eps)
    y, updated = module.apply(
        {"params": {"scale": scale, "bias": bias}, "batch_stats": {"mean": mean, "var": var}},
        x, use_running_average=not train, mutable=["batch_stats"],
    )  # fmt: skip
    return y, updated["batch_stats"]["mean"], updated["batch_stats"]["var"]


def _flax_batch_norm(x, scale, bias, mean, var, momentum, eps, train):
    """flax.linen.BatchNorm on the same inputs, in float32: (y, new mean, new var) as float64."""
    out = _flax_batch_norm_f32(*(_f32(a) for a in (x, scale, bias, mean, var)),
                               momentum=momentum, eps=eps, train=train)  # fmt: skip
    return tuple(f64(a) for a in out)


def _bn_case(seed: int, shape, shift_scale: float = 3.0):
    """x with a different mean and spread per feature, scale/bias, and running averages far
    from the batch's statistics."""
    n_features = shape[-1]
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * rng.uniform(0.5, 2.0, n_features) + shift_scale * rng.normal(
        size=n_features
    )
    scale, bias = rng.uniform(0.5, 2.0, n_features), rng.normal(size=n_features)
    mean, var = rng.normal(size=n_features), rng.uniform(0.5, 3.0, n_features)
    return tuple(f64(_f32(a)) for a in (x, scale, bias, mean, var))


def _normalize(x, mean, var, scale, bias, eps, *, eps_outside=False):
    root = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    return scale * (x - mean) / root + bias


# (shape, momentum, eps): a batch of 4 (the unbiased variance is 4/3 of the biased one),
# images whose statistics span batch AND positions, and a large eps (its place shows)
BN_CASES = (((4, 6), 0.9, 1e-5), ((3, 4, 4, 5), 0.8, 0.5), ((2, 3, 3, 4), 0.99, 1e-5))
UNBIASED = "use the biased variance, mean((x - mu)^2) (divide by the count, ddof=0), as flax does"
TORCH_RUNNING = (
    "flax keeps the BIASED batch variance in the running average too (PyTorch stores the "
    "unbiased one; this exercise follows flax)"
)
MOMENTUM_SWAPPED = (
    "momentum is the weight of the OLD running average: new = momentum * running + "
    "(1 - momentum) * batch statistic"
)
EPS_OUTSIDE = "eps goes INSIDE the square root: divide by sqrt(var + eps), not sqrt(var) + eps"
PER_POSITION = (
    "for images the statistics run over the batch AND every position (all axes but the last), "
    "not over the batch axis alone"
)
PER_EXAMPLE = "batch norm averages over the batch, per feature; over the features it is layer norm"
NOT_UPDATED = "train mode updates the running averages: return the new ones, not the old"
RUNNING_IN_TRAIN = (
    "train mode normalizes with the BATCH's statistics; the running averages are for eval"
)
RUNNING_STD = "the running average tracks the variance, not the standard deviation"


def check_batch_norm_train(fn) -> None:
    fn = without(fn, _norm_shortcuts("BatchNorm"))
    for seed, (shape, momentum, eps) in enumerate(BN_CASES):
        x, scale, bias, mean, var = _bn_case(seed, shape)
        y_ok, mean_ok, var_ok = _flax_batch_norm(x, scale, bias, mean, var, momentum, eps, True)
        got = fn(*(_f32(a) for a in (x, scale, bias, mean, var)), momentum, eps)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise CheckFailed("return a triple (y, new running mean, new running var)")
        y, new_mean, new_var = (f64(a) for a in got)
        case = f"x {shape}, momentum={momentum}, eps={eps}"
        axes = tuple(range(x.ndim - 1))
        mu, biased = x.mean(axis=axes), x.var(axis=axes)
        unbiased = x.var(axis=axes, ddof=1)

        def update(old, new, m=momentum):
            return m * old + (1 - m) * new

        y_mistakes = {
            UNBIASED: _normalize(x, mu, unbiased, scale, bias, eps),
            EPS_OUTSIDE: _normalize(x, mu, biased, scale, bias, eps, eps_outside=True),
            PER_POSITION: _normalize(x, x.mean(0), x.var(0), scale, bias, eps),
            PER_EXAMPLE: _normalize(
                x, x.mean(-1, keepdims=True), x.var(-1, keepdims=True), scale, bias, eps
            ),  # fmt: skip
            RUNNING_IN_TRAIN: _normalize(x, mean, var, scale, bias, eps),
        }
        assert_close_or_mistake(y, y_ok, y_mistakes, rtol=1e-4, atol=1e-5, what=f"y ({case})")
        mean_mistakes = {
            MOMENTUM_SWAPPED: update(mean, mu, 1 - momentum),
            NOT_UPDATED: mean,
            PER_POSITION: update(mean, x.mean(0)) if x.ndim > 2 else None,
        }
        mean_mistakes = {h: w for h, w in mean_mistakes.items() if w is not None}
        assert_close_or_mistake(new_mean, mean_ok, mean_mistakes, rtol=1e-4, atol=1e-5,
                                what=f"new running mean ({case})")  # fmt: skip
        var_mistakes = {  # y passed, so an unbiased running variance is PyTorch's convention
            TORCH_RUNNING: update(var, unbiased),
            MOMENTUM_SWAPPED: update(var, biased, 1 - momentum),
            NOT_UPDATED: var,
            RUNNING_STD: update(var, np.sqrt(biased)),
        }
        assert_close_or_mistake(new_var, var_ok, var_mistakes, rtol=1e-4, atol=1e-5,
                                what=f"new running var ({case})")  # fmt: skip


def check_batch_norm_eval(fn) -> None:
    fn = without(fn, _norm_shortcuts("BatchNorm"))
    for seed, shape, eps in ((10, (5, 3, 3, 4), 1e-5), (11, (6, 3), 0.5)):
        x, scale, bias, mean, var = _bn_case(seed, shape)
        expected = _flax_batch_norm(x, scale, bias, mean, var, 0.9, eps, False)[0]
        got = f64(fn(*(_f32(a) for a in (x, scale, bias, mean, var)), eps))
        axes = tuple(range(x.ndim - 1))
        mistakes = {
            "eval mode normalizes with the RUNNING averages, not the batch's own statistics": (
                _normalize(x, x.mean(axis=axes), x.var(axis=axes), scale, bias, eps)
            ),
            EPS_OUTSIDE: _normalize(x, mean, var, scale, bias, eps, eps_outside=True),
            "divide by the square root of the variance (a standard deviation), sqrt(var + eps)": (
                scale * (x - mean) / (var + eps) + bias
            ),
            "apply the scale and bias after normalizing: y = scale * x_hat + bias": (
                _normalize(x, mean, var, 1.0, 0.0, eps)
            ),
        }
        assert_close_or_mistake(got, expected, mistakes, rtol=1e-4, atol=1e-5,
                                what=f"y (x {shape}, eps={eps})")  # fmt: skip


# -- Layer normalization ---------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames="eps")
def _flax_layer_norm(x, scale, bias, eps):
    return fnn.LayerNorm(epsilon=eps).apply({"params": {"scale": scale, "bias": bias}}, x)


def check_layer_norm(fn) -> None:
    fn = without(fn, _norm_shortcuts("LayerNorm"))
    for seed, shape, eps in ((20, (3, 5, 8), 1e-5), (21, (4, 6), 0.5)):
        rng = np.random.default_rng(seed)
        # each token its own mean and spread, so per-token and per-batch statistics differ
        x = f64(_f32(rng.normal(size=shape) * rng.uniform(0.5, 3.0, shape[:-1] + (1,))
                     + 2.0 * rng.normal(size=shape[:-1] + (1,))))  # fmt: skip
        scale = f64(_f32(rng.uniform(0.5, 2.0, shape[-1])))
        bias = f64(_f32(rng.normal(size=shape[-1])))
        expected = f64(_flax_layer_norm(_f32(x), _f32(scale), _f32(bias), eps=eps))
        got = f64(fn(_f32(x), _f32(scale), _f32(bias), eps))

        def norm(axes, ddof=0, eps_outside=False, affine=True, x=x, scale=scale, bias=bias,
                 eps=eps):  # fmt: skip
            mean = x.mean(axis=axes, keepdims=True)
            var = x.var(axis=axes, keepdims=True, ddof=ddof)
            return _normalize(x, mean, var, scale if affine else 1.0, bias if affine else 0.0,
                              eps, eps_outside=eps_outside)  # fmt: skip

        across = ("normalize each token over its own features (the last axis): statistics "
                  "across tokens or examples are batch norm's")  # fmt: skip
        mistakes = {
            across: norm(0),
            across + " ": norm(tuple(range(x.ndim - 1))),  # over batch (and seq), per feature
            "normalize each token on its own: not over the whole array": norm(None),
            UNBIASED: norm(-1, ddof=1),
            EPS_OUTSIDE: norm(-1, eps_outside=True),
            "apply the scale and bias after normalizing: y = scale * x_hat + bias": norm(
                -1, affine=False
            ),
        }
        assert_close_or_mistake(got, expected, mistakes, rtol=1e-4, atol=1e-5,
                                what=f"y (x {shape}, eps={eps})")  # fmt: skip


# -- Regularization: inverted dropout and AdamW -----------------------------------------------

DROPOUT_X = _f32(np.random.default_rng(30).uniform(0.5, 2.0, size=(200, 100)))  # all > 0


def check_inverted_dropout(fn) -> None:
    x = DROPOUT_X
    x64 = f64(x)
    keys = jax.random.split(jax.random.key(31), 3)
    y = f64(fn(keys[0], x, 0.3, False))
    if y.shape == x64.shape and not np.array_equal(y, x64):
        if np.allclose(y, 0.7 * x64, rtol=1e-5):
            raise CheckFailed(
                "inverted dropout does its rescaling in training, so evaluation is the identity "
                "(scaling by 1 - drop_prob at evaluation is the old, non-inverted dropout)"
            )
        if np.any(y == 0):
            raise CheckFailed("in evaluation (train=False) return x unchanged: no mask")
    assert_close(y, x64, rtol=0, atol=0, what="evaluation output")
    for drop_prob, key in ((0.3, keys[1]), (0.6, keys[2])):
        keep_prob = 1 - drop_prob
        y = f64(fn(key, x, drop_prob, True))
        assert_equal(y.shape, x64.shape, what="output shape")
        kept = y != 0
        if not kept.any():
            raise CheckFailed(f"drop_prob={drop_prob} dropped every element")
        values = {
            "divide the survivors by the keep probability 1 - drop_prob, so E[y] = x (without "
            "it the expected output shrinks to (1 - drop_prob) x)": x64,
            "divide by the KEEP probability 1 - drop_prob, not by drop_prob": x64 / drop_prob,
        }
        for hint, wrong in values.items():
            if np.allclose(y[kept], wrong[kept], rtol=1e-5):
                raise CheckFailed(hint)
        assert_close(y[kept], x64[kept] / keep_prob, rtol=1e-5, what="a kept element")
        row_share, column_share = 1 - kept.mean(axis=1), 1 - kept.mean(axis=0)
        if np.all(row_share % 1 == 0) or np.all(column_share % 1 == 0):  # all 0 or 1
            raise CheckFailed("drop each ELEMENT independently: draw the mask with x's full shape")
        dropped = 1 - kept.mean()
        margin = 5 * np.sqrt(drop_prob * keep_prob / x64.size)  # 5 standard errors
        if abs(dropped - keep_prob) < margin:
            raise CheckFailed(
                "drop_prob is the probability of DROPPING an element: keep it with probability "
                "1 - drop_prob"
            )
        if abs(dropped - drop_prob) > margin:
            raise CheckFailed(
                f"drop_prob={drop_prob}: {dropped:.3f} of the elements were dropped, expected "
                f"{drop_prob} +- {margin:.3f}"
            )
    again = f64(fn(keys[1], x, 0.3, True))
    other = f64(fn(jax.random.key(32), x, 0.3, True))
    if not np.array_equal(again, f64(fn(keys[1], x, 0.3, True))):
        raise CheckFailed("the mask must come from the key alone: the same key, the same mask")
    if np.array_equal(again, other):
        raise CheckFailed("draw the mask from the key you are given: another key, another mask")


def _adamw_numpy(grad, param, m, v, step, lr, wd, b1=0.9, b2=0.999, eps=1e-8, **mistake):
    """One (possibly wrong) AdamW step in float64. mistake: l2 (decay in the gradient),
    unscaled_decay, decay_sign, no_correction, eps_inside, step_shift, hats."""
    g = grad + wd * param if mistake.get("l2") else grad
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
    t = step + mistake.get("step_shift", 0)
    m_hat, v_hat = (m, v) if mistake.get("no_correction") else (m / (1 - b1**t), v / (1 - b2**t))
    root = np.sqrt(v_hat + eps) if mistake.get("eps_inside") else np.sqrt(v_hat) + eps
    adam_step = -lr * m_hat / root
    decay = 0.0 if mistake.get("l2") else mistake.get("decay_sign", 1) * wd * param
    update = adam_step - decay * (1 if mistake.get("unscaled_decay") else lr)
    return (update, m_hat, v_hat) if mistake.get("hats") else (update, m, v)


ADAMW_L2 = (
    "that is Adam with an L2 penalty (the decay inside the gradient, through m and v); AdamW "
    "DECOUPLES it: update = -lr (m_hat / (sqrt(v_hat) + eps) + weight_decay * param)"
)
ADAMW_MISTAKES = {
    ADAMW_L2: {"l2": True},
    "the decay is scaled by the learning rate too: -lr * weight_decay * param": {
        "unscaled_decay": True
    },
    "weight decay shrinks the weight toward 0: SUBTRACT lr * weight_decay * param": {
        "decay_sign": -1
    },
    "bias-correct the moments: m_hat = m / (1 - b1^step), v_hat = v / (1 - b2^step)": {
        "no_correction": True
    },
    "eps goes OUTSIDE the square root in Adam: sqrt(v_hat) + eps": {"eps_inside": True},
    "step counts from 1: correct with 1 - b^step, not 1 - b^(step + 1)": {"step_shift": 1},
}


def check_adamw_update(fn) -> None:
    fn = without(
        fn,
        {
            name: "the exercise is to write the AdamW step yourself"
            for name in (
                "optax.adamw",
                "optax.adam",
                "optax.add_decayed_weights",
                "optax.scale_by_adam",
            )  # fmt: skip
        },
    )
    rng = np.random.default_rng(40)
    lr = 0.01
    for step, wd, grad_scale in ((1, 0.5, 1.0), (3, 0.1, 1.0), (10, 0.5, 1e-6)):
        grad, param = _normal(41 + step, 6, grad_scale), _normal(51 + step, 6)
        m = f64(_f32(rng.normal(size=6) * 0.1 * grad_scale))
        v = f64(_f32(rng.uniform(0.5, 2.0, 6) * grad_scale**2))
        optimizer = optax.adamw(lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=wd)
        state = optimizer.init(_f32(param))
        state = (state[0]._replace(count=jnp.asarray(step - 1, jnp.int32), mu=_f32(m), nu=_f32(v)),
                 *state[1:])  # fmt: skip
        expected, new_state = optimizer.update(_f32(grad), state, _f32(param))
        got = fn(_f32(grad), _f32(param), _f32(m), _f32(v), step, lr, wd)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise CheckFailed("return a triple (update, new m, new v)")
        update, new_m, new_v = (f64(a) for a in got)
        case = f"step={step}, weight_decay={wd}, |grad| ~ {grad_scale:g}"
        diagnose(
            update,
            expected,
            {
                hint: _adamw_numpy(grad, param, m, v, step, lr, wd, **mistake)[0]
                for hint, mistake in ADAMW_MISTAKES.items()
            },  # fmt: skip
            atol=1e-7,
        )
        assert_close(update, expected, rtol=1e-4, atol=1e-7, what=f"update ({case})")
        m_ok, v_ok = f64(new_state[0].mu), f64(new_state[0].nu)
        raw = "return the raw moments m, v as the new state; m_hat, v_hat are only for the update"
        m_l2 = _adamw_numpy(grad, param, m, v, step, lr, wd, l2=True)[1]
        diagnose(new_m, m_ok, {raw: m_ok / (1 - 0.9**step), ADAMW_L2: m_l2},
                 atol=1e-12 * grad_scale)  # fmt: skip
        diagnose(new_v, v_ok, {raw: v_ok / (1 - 0.999**step)}, atol=1e-12 * grad_scale**2)
        assert_close(new_m, m_ok, rtol=1e-5, atol=1e-12 * grad_scale, what=f"new m ({case})")
        assert_close(new_v, v_ok, rtol=1e-5, atol=1e-12 * grad_scale**2, what=f"new v ({case})")


# -- Ablations: Welch's t; the analysis: a paired confidence interval ---------------------------

T_TESTS = {
    name: "the exercise is to compute it yourself"
    for name in (
        "scipy.stats.ttest_ind",
        "scipy.stats.ttest_ind_from_stats",
        "scipy.stats.ttest_rel",
        "scipy.stats.ttest_1samp",
    )
}
# test accuracies of two settings over seeds: different counts and spreads
WELCH_CASES = (
    (0.95 + 0.01 * np.arange(-3, 3) ** 2 / 9, 0.97 + 0.004 * np.sin(np.arange(9))),
    (np.array([0.91, 0.94, 0.90, 0.96, 0.93]), np.array([0.92, 0.925, 0.93, 0.921, 0.928])),
)


def _welch_mistakes(a, b) -> dict[str, tuple[float, float]]:
    na, nb = len(a), len(b)
    u, w = a.var(ddof=1) / na, b.var(ddof=1) / nb
    t = (a.mean() - b.mean()) / np.sqrt(u + w)
    df = (u + w) ** 2 / (u**2 / (na - 1) + w**2 / (nb - 1))
    pooled = ((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2)
    u0, w0 = a.var() / na, b.var() / nb
    return {
        "that is Student's t with a pooled variance: Welch's keeps each group's own variance, "
        "t = (mean a - mean b) / sqrt(s_a^2 / n_a + s_b^2 / n_b)": (
            (a.mean() - b.mean()) / np.sqrt(pooled * (1 / na + 1 / nb)),
            na + nb - 2,
        ),
        "the degrees of freedom are Welch-Satterthwaite's, (u + w)^2 / (u^2 / (n_a - 1) + "
        "w^2 / (n_b - 1)), not n_a + n_b - 2": (t, na + nb - 2),
        "use the unbiased sample variances (ddof=1)": (
            (a.mean() - b.mean()) / np.sqrt(u0 + w0),
            (u0 + w0) ** 2 / (u0**2 / (na - 1) + w0**2 / (nb - 1)),
        ),
        "t is for mean(a) - mean(b): mind the sign": (-t, df),
        "u and w are VARIANCES over counts, s^2 / n (not s / n)": (
            (a.mean() - b.mean()) / np.sqrt(a.std(ddof=1) / na + b.std(ddof=1) / nb),
            None,
        ),
    }


def check_welch_t(fn) -> None:
    fn = without(fn, T_TESTS)
    for a, b in WELCH_CASES:
        result = stats.ttest_ind(a, b, equal_var=False)
        t, df = _pair(fn(a.copy(), b.copy()), "t, df")
        t, df = scalar(t, "t"), scalar(df, "df")
        case = f"n_a={len(a)}, n_b={len(b)}"
        mistakes = _welch_mistakes(a, b)
        if not np.isclose(t, result.statistic, rtol=1e-6):
            diagnose(
                t, result.statistic, {h: m[0] for h, m in mistakes.items()}, rtol=1e-6, atol=1e-6
            )
            assert_close(t, result.statistic, rtol=1e-6, what=f"t ({case})")
        same_t = {  # t passed: only the slips with the right t remain
            h: m[1]
            for h, m in mistakes.items()
            if m[1] is not None and np.isclose(m[0], result.statistic, rtol=1e-6)
        }
        diagnose(df, result.df, same_t, rtol=1e-6, atol=1e-6)
        assert_close(df, result.df, rtol=1e-6, what=f"df ({case})")


def check_paired_difference_ci(fn) -> None:
    fn = without(fn, T_TESTS)
    rng = np.random.default_rng(60)
    for n, confidence in ((5, 0.95), (8, 0.9)):
        seed_effect = rng.normal(0, 0.02, n)  # shared by both runs of a seed: the pairing
        b = 0.93 + seed_effect + rng.normal(0, 0.003, n)
        a = b + 0.01 + rng.normal(0, 0.004, n)
        expected = stats.ttest_rel(a, b).confidence_interval(confidence)
        expected = np.array([expected.low, expected.high])
        got = f64(_pair(fn(a.copy(), b.copy(), confidence), "low, high"))
        d = a - b
        sd, mean = d.std(ddof=1), d.mean()

        def interval(quantile, spread=sd, count=n, mean=mean):
            half = quantile * spread / np.sqrt(count)
            return np.array([mean - half, mean + half])

        two_sided, df = (1 + confidence) / 2, n - 1
        welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence)
        mistakes = {
            "use Student's t quantile with n - 1 degrees of freedom, not the normal's: with "
            "few seeds s itself is uncertain": interval(stats.norm.ppf(two_sided)),
            "the quantile is at (1 + confidence) / 2: the interval has two tails": interval(
                stats.t.ppf(confidence, df)
            ),
            "n seeds give n - 1 degrees of freedom": interval(stats.t.ppf(two_sided, n)),
            "use the unbiased standard deviation of the differences (ddof=1)": interval(
                stats.t.ppf(two_sided, df), spread=d.std()
            ),
            "pair the runs: the interval is for the mean of d = a - b, seed by seed (this is "
            "the unpaired, Welch interval)": np.array([welch.low, welch.high]),
            "the standard error of the mean divides by sqrt(n)": interval(
                stats.t.ppf(two_sided, df), count=1
            ),
        }
        assert_close_or_mistake(got, expected, mistakes, rtol=1e-6, atol=1e-9,
                                what=f"(low, high) for n={n}, confidence={confidence}")  # fmt: skip


EXERCISES: tuple[Exercise, ...] = (
    Exercise("top_k_activating", HIERARCHIES, check_top_k_activating),
    Exercise("batch_norm_train", BATCH_NORM, check_batch_norm_train),
    Exercise("batch_norm_eval", BATCH_NORM, check_batch_norm_eval),
    Exercise("layer_norm", LAYER_NORM, check_layer_norm),
    Exercise("inverted_dropout", REGULARIZATION, check_inverted_dropout),
    Exercise("adamw_update", REGULARIZATION, check_adamw_update),
    Exercise("welch_t", ABLATIONS, check_welch_t),
    Exercise("paired_difference_ci", PROJECT, check_paired_difference_ci),
)
