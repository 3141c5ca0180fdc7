"""Lesson 05's checker fails the wrong answers learners really write, each with its hint,
refuses the shortcuts the exercises exist to avoid, and passes right answers written by hand.

Every reference solution passing (and every stub failing) is proved for all lessons at once
by tests/course/test_checker_can_fail_and_pass.py; here, wrong answers must fail.
"""

from __future__ import annotations

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from exercise_helpers import assert_exercises_cover_the_section, assert_mistake_fails, mistake_cases
from jax.flatten_util import ravel_pytree

from jlr.course.checker import grade
from jlr.course.checks.jax_core import EXERCISES

SECTION = "05"


def test_every_topic_has_an_exercise():
    assert_exercises_cover_the_section(SECTION)
    assert len({exercise.name for exercise in EXERCISES}) == len(EXERCISES)


# -- running_mean_update ---------------------------------------------------------------------


def _impure_update():
    """Right on a fresh run from (0, 0), wrong from any other state: it keeps its own list."""
    seen = []

    def update(state, x):
        seen.append(x)
        return state[0] + 1, jnp.mean(jnp.stack(seen))

    return update


class _OwnTotals:
    """Starts from the state it is first given, then keeps its own count and total: right on
    the first call, wrong on a second call with the same arguments."""

    def __init__(self):
        self.count = self.total = None

    def __call__(self, state, x):
        if self.count is None:
            self.count, self.total = state[0], state[1] * state[0]
        self.count, self.total = self.count + 1, self.total + x
        return self.count, self.total / self.count


def _branchy_update(state, x):
    count, mean = state
    if count == 0:  # a Python branch on the (traced, inside lax.scan) count
        return jnp.array(1), x
    return count + 1, mean + (x - mean) / (count + 1)


RUNNING_MEAN = [
    (r"no counter or list kept between calls", _impure_update()),
    (r"second call.*no counter or list kept between calls", _OwnTotals()),
    (r"divide by the NEW count", lambda s, x: (s[0] + 1, s[1] + (x - s[1]) / s[0])),
    (r"\(mean \+ x\) / 2", lambda s, x: (s[0] + 1, (s[1] + x) / 2)),
    (r"count did not grow", lambda s, x: (s[0], s[1] + (x - s[1]) / (s[0] + 1))),
    (r"fails inside lax\.scan", _branchy_update),
    (r"keep it an integer", lambda s, x: (s[0] + 1.0, s[1] + (x - s[1]) / (s[0] + 1.0))),
]

# -- dropout_masks ---------------------------------------------------------------------------


def _reused_key_masks(key, n_layers, shape, keep_prob):
    return jnp.stack([jax.random.bernoulli(key, keep_prob, shape)] * n_layers)


def _parent_and_children(key, n_layers, shape, keep_prob):
    """Distinct, reproducible masks, but the parent key is drawn from AND split."""
    first = jax.random.bernoulli(key, keep_prob, shape)
    children = jax.random.split(key, n_layers - 1)
    return jnp.stack([first, *(jax.random.bernoulli(k, keep_prob, shape) for k in children)])


def _drop_prob_masks(key, n_layers, shape, keep_prob):
    keys = jax.random.split(key, n_layers)
    return jnp.stack([jax.random.bernoulli(k, 1.0 - keep_prob, shape) for k in keys])


DROPOUT = [
    (r"same mask", _reused_key_masks),
    (r"consumed twice", _parent_and_children),
    (r"probability of KEEPING", _drop_prob_masks),
]

# -- histogram -------------------------------------------------------------------------------


def _loop_histogram(indices, n_bins):
    counts = jnp.zeros(n_bins, jnp.int32)
    for i in indices:  # one scatter per index: the program grows with len(indices)
        counts = counts.at[i].add(1)
    return counts


def _bins_loop_histogram(indices, n_bins):
    counts = jnp.zeros(n_bins, jnp.int32)
    for b in range(n_bins):  # one scatter per bin: the program grows with n_bins
        counts = counts.at[b].add(jnp.sum(indices == b))
    return counts


HISTOGRAM = [
    (r"jax\.numpy\.bincount is off limits", lambda i, n: jnp.bincount(i, length=n)),
    (r"numpy\.bincount is off limits", lambda i, n: np.bincount(np.asarray(i), minlength=n)),
    (
        r"jax\.numpy\.histogram is off limits",
        lambda i, n: jnp.histogram(i, bins=n, range=(0, n))[0].astype(jnp.int32),
    ),
    (r"\.set\(1\) marks a bin once", lambda i, n: jnp.zeros(n, jnp.int32).at[i].set(1)),
    (r"they are integers", lambda i, n: jnp.zeros(n).at[i].add(1)),  # float counts
    (
        r"not by a scatter-add",
        lambda i, n: jnp.sum(i[:, None] == jnp.arange(n), axis=0, dtype=jnp.int32),
    ),
    (r"Python loop", _loop_histogram),
    (r"Python loop", _bins_loop_histogram),
]

# -- gather_or_nan ---------------------------------------------------------------------------

GATHER = [
    (r"JAX clamps", lambda x, i: x[i]),  # the default: clamped
    (r"JAX clamps", lambda x, i: x.at[i].get(mode="fill", fill_value=0.0)),  # 0, not NaN
    (r"JAX clamps", lambda x, i: jnp.take(x, i, mode="wrap")),  # wraps around
    (
        r"index 5 is out of bounds",  # off by one: len(x) counted as in bounds
        lambda x, i: jnp.where(i <= len(x), x[i], jnp.nan),
    ),
    (
        r"index 4 is in bounds",  # off by one the other way: the last element dropped
        lambda x, i: jnp.where(i < len(x) - 1, x[i], jnp.nan),
    ),
]

# -- mse_value_and_grad ----------------------------------------------------------------------


def _mse(params, x, y):
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


def _loss_twice(params, x, y):
    return _mse(params, x, y), jax.grad(_mse)(params, x, y)  # two forward passes


def _grad_by_name(params, x, y):
    from jax import grad  # a name bound inside the function: refused all the same

    return _mse(params, x, y), grad(_mse)(params, x, y)


def _w_only(params, x, y):
    loss, grad_w = jax.value_and_grad(lambda w: _mse({"w": w, "b": params["b"]}, x, y))(params["w"])
    return loss, {"w": grad_w, "b": jnp.zeros(())}


MSE_VALUE_AND_GRAD = [
    (r"jax\.grad is off limits.*value_and_grad", _loss_twice),
    (r"jax\.grad is off limits", _grad_by_name),
    (
        r"times the mean: use jnp\.mean",  # the sum of squares
        lambda p, x, y: jax.value_and_grad(lambda p: jnp.sum((x @ p["w"] + p["b"] - y) ** 2))(p),
    ),
    (
        r"half the right one",  # the 1/2 of textbooks, only in the gradient
        lambda p, x, y: (
            _mse(p, x, y),
            {"w": (x @ p["w"] + p["b"] - y) @ x / len(y), "b": jnp.mean(x @ p["w"] + p["b"] - y)},
        ),
    ),
    (r"grads\['b'\] is 0", _w_only),  # the bias left out of the gradient
    (
        r"structure of params",  # differentiated with respect to w alone
        lambda p, x, y: jax.value_and_grad(lambda w: _mse({"w": w, "b": p["b"]}, x, y))(p["w"]),
    ),
]

# -- softplus --------------------------------------------------------------------------------


@jax.custom_vjp
def _naive_softplus(x):
    return jnp.log(1.0 + jnp.exp(x))  # overflows to inf for large x


_naive_softplus.defvjp(lambda x: (_naive_softplus(x), x), lambda x, g: (g * jax.nn.sigmoid(x),))


@jax.custom_vjp
def _no_cotangent(x):
    return jnp.logaddexp(x, 0.0)


_no_cotangent.defvjp(lambda x: (_no_cotangent(x), x), lambda x, g: (jax.nn.sigmoid(x),))


@jax.custom_vjp
def _naive_backward(x):
    return jnp.logaddexp(x, 0.0)


_naive_backward.defvjp(
    lambda x: (_naive_backward(x), x), lambda x, g: (g * jnp.exp(x) / (1.0 + jnp.exp(x)),)
)

SOFTPLUS = [
    (r"custom_vjp", lambda x: jax.nn.softplus(x)),  # right numbers, JAX's own backward pass
    (r"overflows.*log1p", lambda x: jnp.log(1.0 + jnp.exp(x))),  # the naive formula
    (r"overflows.*log1p", _naive_softplus),  # the naive formula inside a custom_vjp
    (r"ignores the incoming cotangent g", _no_cotangent),
    (r"backward pass gives nan.*sigmoid", _naive_backward),
]

# -- jacobian_columns ------------------------------------------------------------------------


def _vjp_rows(f, x):
    y, pullback = jax.vjp(f, x)
    return jax.vmap(lambda u: pullback(u)[0])(jnp.eye(y.size, dtype=x.dtype))


def _jvp_loop(f, x):
    columns = [jax.jvp(f, (x,), (e,))[1] for e in jnp.eye(x.size, dtype=x.dtype)]
    return jnp.stack(columns, axis=1)


JACOBIAN = [
    (r"jax\.jacfwd is off limits.*jax\.jvp", lambda f, x: jax.jacfwd(f)(x)),
    (r"jax\.jacrev is off limits", lambda f, x: jax.jacrev(f)(x)),
    (r"jax\.jacobian is off limits", lambda f, x: jax.jacobian(f)(x)),
    (r"jax\.vjp is off limits.*reverse mode", _vjp_rows),
    (r"Python loop over the basis vectors.*vmap", _jvp_loop),
    (
        r"transpose",  # the columns stacked as rows (out_axes left at 0)
        lambda f, x: jax.vmap(lambda v: jax.jvp(f, (x,), (v,))[1])(jnp.eye(x.size)),
    ),
    (
        r"jax\.jvp returns \(f\(x\), J v\)",  # the primal output taken for the column
        lambda f, x: jax.vmap(lambda v: jax.jvp(f, (x,), (v,))[0], out_axes=1)(jnp.eye(x.size)),
    ),
]

# -- static_power ----------------------------------------------------------------------------


def _power_from_x(x, n):
    result = x  # off by one: x**(n + 1)
    for _ in range(n):
        result = result * x
    return result


STATIC_POWER = [
    (r"static", jax.jit(lambda x, n: x**n)),  # n traced: a runtime argument
    (
        r"static",
        jax.jit(lambda x, n: jax.lax.fori_loop(0, n, lambda _, r: r * x, jnp.ones_like(x))),
    ),
    (r"should be a jitted function", lambda x, n: x**n),  # never jitted
    (r"x is marked static", jax.jit(lambda x, n: x**n, static_argnums=0)),  # the wrong argument
    (r"off by one", jax.jit(_power_from_x, static_argnums=1)),
]

# -- per_example_grads -----------------------------------------------------------------------


def _loop_grads(loss, params, x, y):
    grads = [jax.grad(loss)(params, x[i], y[i]) for i in range(x.shape[0])]
    return jax.tree.map(lambda *g: jnp.stack(g), *grads)


PER_EXAMPLE = [
    (r"Python loop over examples.*jax\.vmap", _loop_grads),  # right numbers, by a loop
    (
        r"one gradient for the whole batch",  # the batch's mean gradient
        lambda loss, p, x, y: jax.grad(loss)(p, x, y),
    ),
    (
        r"in_axes=\(None, 0, 0\)",  # params mapped over too
        lambda loss, p, x, y: jax.vmap(jax.grad(loss))(p, x, y),
    ),
]

# -- data_parallel_sgd_step ------------------------------------------------------------------


def _sgd_with(reduce):
    def step(loss, params, x_shard, y_shard, lr):
        grads = reduce(jax.grad(loss)(params, x_shard, y_shard))
        return jax.tree.map(lambda p, g: p - lr * g, params, grads)

    return step


DATA_PARALLEL = [
    (r"times too large: lax\.psum.*pmean", _sgd_with(lambda g: jax.lax.psum(g, "data"))),
    (r"different params.*pmean", _sgd_with(lambda g: g)),  # no all-reduce at all
    (r"axis is named 'data'", _sgd_with(lambda g: jax.lax.pmean(g, "batch"))),
    (r"moved uphill", _sgd_with(lambda g: jax.tree.map(lambda a: -a, jax.lax.pmean(g, "data")))),
]

# -- flatten_params --------------------------------------------------------------------------


def _as_written(params):
    """Leaves in the order the dict was written (dict.values()), not jax.tree.leaves order."""

    def leaves(tree):
        if isinstance(tree, dict):
            return [leaf for value in tree.values() for leaf in leaves(value)]
        if isinstance(tree, list):
            return [leaf for value in tree for leaf in leaves(value)]
        return [tree]

    _, treedef = jax.tree.flatten(params)
    vector = jnp.concatenate([leaf.ravel() for leaf in leaves(params)])
    return vector, lambda v: jax.tree.unflatten(treedef, [v] * treedef.num_leaves)


def _no_reshape(params):
    leaves, treedef = jax.tree.flatten(params)
    ends = np.cumsum([leaf.size for leaf in leaves])[:-1]
    vector = jnp.concatenate([leaf.ravel() for leaf in leaves])
    return vector, lambda v: jax.tree.unflatten(treedef, jnp.split(v, ends))  # flat pieces


def _split_at_sizes(params):
    leaves, treedef = jax.tree.flatten(params)
    shapes = [leaf.shape for leaf in leaves]
    vector = jnp.concatenate([leaf.ravel() for leaf in leaves])
    sizes = [leaf.size for leaf in leaves][:-1]  # sizes, not running totals

    def unflatten(v):
        pieces = jnp.split(v, sizes)
        return jax.tree.unflatten(
            treedef, [p.reshape(s) for p, s in zip(pieces, shapes, strict=True)]
        )

    return vector, unflatten


def _closure_unflatten(params):
    leaves, _ = jax.tree.flatten(params)
    return jnp.concatenate([leaf.ravel() for leaf in leaves]), lambda v: params


FLATTEN = [
    (r"ravel_pytree is off limits", lambda params: ravel_pytree(params)),
    (r"jax\.tree\.leaves order", _as_written),
    (r"reshape each piece", _no_reshape),
    (r"np\.cumsum", _split_at_sizes),
    (r"build them from the vector", _closure_unflatten),
]

# -- sgd_train -------------------------------------------------------------------------------


def _sgd_train_with(sign=1.0, lr_scale=True, restart=False):
    def train(loss, params, batches, lr):
        current, step = params, sign * (lr if lr_scale else 1.0)
        for x, y in batches:
            start = params if restart else current
            grads = jax.grad(loss)(start, x, y)
            current = jax.tree.map(lambda p, g: p - step * g, start, grads)
        return current

    return train


SGD_TRAIN = [
    (r"moved uphill", _sgd_train_with(sign=-1.0)),  # params + lr * grad
    (r"starts again from the initial params", _sgd_train_with(restart=True)),
    (r"not scaled by lr", _sgd_train_with(lr_scale=False)),
]

MISTAKES = {
    "running_mean_update": RUNNING_MEAN,
    "dropout_masks": DROPOUT,
    "histogram": HISTOGRAM,
    "gather_or_nan": GATHER,
    "mse_value_and_grad": MSE_VALUE_AND_GRAD,
    "softplus": SOFTPLUS,
    "jacobian_columns": JACOBIAN,
    "static_power": STATIC_POWER,
    "per_example_grads": PER_EXAMPLE,
    "data_parallel_sgd_step": DATA_PARALLEL,
    "flatten_params": FLATTEN,
    "sgd_train": SGD_TRAIN,
}


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


# Right answers in the learner's own words, none of them the reference solution's: the guards
# (no bincount, a scatter-add, no loop, no jax.grad, no jacfwd/vjp, no ravel_pytree) pass them.
HAND_WRITTEN = """
import functools

import jax
import jax.numpy as jnp


def histogram(indices, n_bins):
    return jnp.zeros((n_bins,), dtype=jnp.int32).at[indices].add(jnp.ones_like(indices))


def mse_value_and_grad(params, x, y):
    residual = x @ params["w"] + params["b"] - y  # (n,): one forward pass, gradient by hand
    n = y.shape[0]
    return jnp.mean(residual**2), {"w": 2 * x.T @ residual / n, "b": 2 * jnp.mean(residual)}


def jacobian_columns(f, x):
    column = lambda e: jax.jvp(f, (x,), (e,))[1]
    return jax.vmap(column)(jnp.eye(x.shape[0], dtype=x.dtype)).T  # (n, m) -> (m, n)


@functools.partial(jax.jit, static_argnames="n")
def static_power(x, n):
    result = jnp.ones_like(x)
    for _ in range(n):
        result = x * result
    return result


def per_example_grads(loss, params, x, y):
    one = lambda xi, yi: jax.grad(loss)(params, xi, yi)
    return jax.vmap(one)(x, y)


def flatten_params(params):
    leaves, treedef = jax.tree.flatten(params)

    def unflatten(vector):
        rebuilt, start = [], 0
        for leaf in leaves:
            rebuilt.append(vector[start : start + leaf.size].reshape(leaf.shape))
            start += leaf.size
        return jax.tree.unflatten(treedef, rebuilt)

    return jnp.concatenate([jnp.reshape(leaf, (-1,)) for leaf in leaves]), unflatten
"""

GUARDED = (
    "histogram",
    "mse_value_and_grad",
    "jacobian_columns",
    "static_power",
    "per_example_grads",
    "flatten_params",
)


def test_right_answers_written_by_hand_pass_the_guards(tmp_path):
    path = tmp_path / "05_jax_core.py"
    path.write_text(textwrap.dedent(HAND_WRITTEN), encoding="utf-8")
    results = {result.name: result for result in grade(SECTION, path).results}
    for name in GUARDED:
        assert results[name].outcome == "PASS", results[name].line


def test_the_value_and_grad_answer_passes_with_jax_grad_refused():
    """jax.value_and_grad does not call the public jax.grad that the check refuses."""
    by_name = {exercise.name: exercise for exercise in EXERCISES}
    by_name["mse_value_and_grad"].check(lambda p, x, y: jax.value_and_grad(_mse)(p, x, y))
