"""Checks for exercises/05_jax_core.py: each grades one function on fixed-seed random inputs.

Oracles: numpy (mean, bincount, indexing), a mean worked out by hand, finite differences,
`jax.jacfwd`, a Python loop over examples, the full-batch gradient (for the data-parallel
step run under `vmap(axis_name="data")`, which binds the axis the way pmap does),
`ravel_pytree`, and a reference loop. JAX's own runtime checker, `jax.debug_key_reuse`,
grades key handling.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special
from jax.flatten_util import ravel_pytree

from jlr.course.curriculum import section_by_number
from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal

TOPICS = section_by_number("05").topics  # the curriculum's titles, in order


def data(seed: int, shape) -> jax.Array:
    return jax.random.normal(jax.random.key(seed), shape)


def linear_loss(params, x, y):
    """Squared error of a linear model on one example or a batch (mean)."""
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


def linear_problem(seed: int, n: int, d: int = 3):
    x, w = data(seed, (n, d)), data(seed + 1, (d,))
    y = x @ w + 0.1 * data(seed + 2, (n,))
    return {"w": data(seed + 3, (d,)), "b": jnp.array(0.3)}, x, y


def check_running_mean_update(fn) -> None:
    xs = data(1, (7,))
    state0 = (jnp.array(0), jnp.array(0.0))
    state = state0
    for x in xs:
        state = fn(state, x)
    assert_close(state[1], np.mean(np.asarray(xs)), rtol=1e-5, atol=1e-6, what="mean")
    assert_equal(int(state[0]), 7, what="count")
    # From a state it has not seen: 3 numbers averaging 2.0 (sum 6), then 6.0 -> 12 / 4 = 3.0.
    # Called twice with the same arguments, a pure update gives (4, 3.0) both times; one that
    # keeps its own count or list of xs between calls does not.
    for call in ("first", "second"):
        count, mean = fn((jnp.array(3), jnp.array(2.0)), jnp.array(6.0))
        if int(count) != 4 or not np.isclose(float(mean), 3.0, rtol=1e-6, atol=1e-6):
            raise CheckFailed(
                f"running_mean_update((3, 2.0), 6.0) gave ({int(count)}, {float(mean):.4g}) on "
                f"the {call} call, expected (4, 3.0): compute the new state from the state "
                "argument alone, with no counter or list kept between calls"
            )
    (count, mean), _ = jax.lax.scan(lambda s, x: (fn(s, x), None), state0, xs)
    assert_close(mean, np.mean(np.asarray(xs)), rtol=1e-5, atol=1e-6, what="mean under lax.scan")


def check_dropout_masks(fn) -> None:
    key = jax.random.key(2)
    masks = fn(key, 3, (50,), 0.5)
    assert_equal(tuple(masks.shape), (3, 50), what="masks.shape")
    if np.array_equal(masks[0], masks[1]) or np.array_equal(masks[1], masks[2]):
        raise CheckFailed("two layers got the same mask: split the key, one child per layer")
    assert_close(masks, fn(key, 3, (50,), 0.5), rtol=0, atol=0, what="masks from the same key")
    with jax.debug_key_reuse(True):  # JAX's checker: raises when a key is consumed twice
        try:
            jax.block_until_ready(jax.jit(lambda k: fn(k, 3, (50,), 0.5))(key))
        except jax.errors.KeyReuseError:
            raise CheckFailed(
                "a key is consumed twice (e.g. split AND used directly): split it and use "
                "each child exactly once"
            ) from None
    assert_close(jnp.mean(fn(key, 4, (2000,), 0.8)), 0.8, atol=0.03, what="fraction kept")


def check_histogram(fn) -> None:
    indices = jax.random.randint(jax.random.key(3), (40,), 0, 6)
    expected = np.bincount(np.asarray(indices), minlength=6)
    assert_close(fn(indices, 6), expected, rtol=0, atol=0, what="counts")
    assert_close(jax.jit(fn, static_argnums=1)(indices, 6), expected, rtol=0, atol=0,
                 what="counts under jit")  # fmt: skip


def check_gather_or_nan(fn) -> None:
    x = data(4, (5,))
    indices = jnp.array([0, 4, 5, 9, 2])
    expected = np.where(np.asarray(indices) < 5, np.asarray(x)[np.minimum(indices, 4)], np.nan)
    actual = np.asarray(fn(x, indices))
    if not np.array_equal(np.isnan(actual), np.isnan(expected)):
        raise CheckFailed("out-of-bounds positions must be NaN (JAX clamps them by default)")
    assert_close(actual[~np.isnan(actual)], expected[~np.isnan(expected)], rtol=0, atol=0)


def check_mse_value_and_grad(fn) -> None:
    params, x, y = linear_problem(5, 6)
    loss, grads = fn(params, x, y)
    assert_close(loss, linear_loss(params, x, y), rtol=1e-5, atol=1e-6, what="loss")
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w64, b64, eps = np.asarray(params["w"], np.float64), float(params["b"]), 1e-6
    f = lambda w, b: np.mean((x64 @ w + b - y64) ** 2)
    fd_w = [(f(w64 + eps * e, b64) - f(w64 - eps * e, b64)) / (2 * eps) for e in np.eye(3)]
    assert_close(grads["w"], fd_w, rtol=1e-3, atol=1e-4, what="grads['w'] (finite differences)")
    fd_b = (f(w64, b64 + eps) - f(w64, b64 - eps)) / (2 * eps)
    assert_close(grads["b"], fd_b, rtol=1e-3, atol=1e-4, what="grads['b'] (finite differences)")


def check_softplus(fn) -> None:
    x = jnp.array([-1000.0, -20.0, -1.0, 0.0, 2.0, 30.0, 1000.0])
    expected = np.logaddexp(0.0, np.asarray(x, np.float64))
    assert_close(fn(x), expected, rtol=1e-6, atol=1e-7, what="softplus(x)")
    grads = jax.vmap(jax.grad(fn))(x)
    sigmoid = scipy.special.expit(np.asarray(x, np.float64))
    assert_close(grads, sigmoid, rtol=1e-6, atol=1e-7, what="d softplus / dx (should be sigmoid)")
    if not isinstance(fn, jax.custom_vjp):
        raise CheckFailed(
            "softplus should define its own backward pass: decorate it with @jax.custom_vjp "
            "and register (forward, backward) with softplus.defvjp"
        )


def check_jacobian_columns(fn) -> None:
    f = lambda v: jnp.concatenate([jnp.sin(v) * v.sum(), v[:1] ** 3])  # (3,) -> (4,)
    x = data(6, (3,))
    assert_close(fn(f, x), jax.jacfwd(f)(x), rtol=1e-5, atol=1e-6, what="Jacobian")


def check_static_power(fn) -> None:
    x = data(7, (4,))
    for n in range(5):
        assert_close(fn(x, n), np.asarray(x) ** n, rtol=1e-5, atol=1e-5, what=f"x**{n}")
    if not hasattr(fn, "lower"):
        raise CheckFailed("static_power should be a jitted function: jax.jit(..., static_argnums)")
    main = next(line for line in fn.lower(x, 3).as_text().splitlines() if "@main(" in line)
    if main.count("%arg") != 1:
        raise CheckFailed("n is a runtime argument of the compiled program; mark it static")


def check_per_example_grads(fn) -> None:
    params, x, y = linear_problem(8, 5)
    grads = fn(linear_loss, params, x, y)
    for i in range(5):
        one = jax.grad(linear_loss)(params, x[i], y[i])
        assert_close(grads["w"][i], one["w"], rtol=1e-5, atol=1e-6, what=f"grads['w'][{i}]")
        assert_close(grads["b"][i], one["b"], rtol=1e-5, atol=1e-6, what=f"grads['b'][{i}]")


def check_data_parallel_sgd_step(fn) -> None:
    params, x, y = linear_problem(9, 8)
    n_shards = 4
    x_shards, y_shards = x.reshape(n_shards, 2, 3), y.reshape(n_shards, 2)
    step = jax.vmap(
        lambda xs, ys: fn(linear_loss, params, xs, ys, 0.1), axis_name="data"
    )  # vmap binds the axis name "data" the way pmap does, on one device
    new = step(x_shards, y_shards)
    grads = jax.grad(linear_loss)(params, x, y)
    for name in ("w", "b"):
        expected = params[name] - 0.1 * grads[name]
        for shard in range(n_shards):
            assert_close(new[name][shard], expected, rtol=1e-5, atol=1e-6,
                         what=f"{name} on device {shard} (use lax.pmean over 'data')")  # fmt: skip


def check_flatten_params(fn) -> None:
    params = {"a": data(10, (2, 3)), "b": [data(11, (4,)), data(12, ())]}
    vector, unflatten = fn(params)
    assert_close(vector, ravel_pytree(params)[0], rtol=0, atol=0, what="vector")
    rebuilt = unflatten(vector * 2.0)
    if jax.tree.structure(rebuilt) != jax.tree.structure(params):
        raise CheckFailed("unflatten must return the same tree structure")
    for got, leaf in zip(jax.tree.leaves(rebuilt), jax.tree.leaves(params), strict=True):
        assert_close(got, 2.0 * leaf, rtol=1e-6, atol=0, what="unflatten(2 * vector)")


def check_sgd_train(fn) -> None:
    params, x, y = linear_problem(13, 12)
    batches = [(x[i : i + 4], y[i : i + 4]) for i in range(0, 12, 4)] * 2
    expected = params
    for xb, yb in batches:
        grads = jax.grad(linear_loss)(expected, xb, yb)
        expected = jax.tree.map(lambda p, g: p - 0.05 * g, expected, grads)
    result = fn(linear_loss, params, batches, 0.05)
    for name in ("w", "b"):
        assert_close(result[name], expected[name], rtol=1e-5, atol=1e-6, what=f"params['{name}']")


EXERCISES = (
    Exercise("running_mean_update", TOPICS[0], check_running_mean_update),
    Exercise("dropout_masks", TOPICS[0], check_dropout_masks),
    Exercise("histogram", TOPICS[1], check_histogram),
    Exercise("gather_or_nan", TOPICS[2], check_gather_or_nan),
    Exercise("mse_value_and_grad", TOPICS[3], check_mse_value_and_grad),
    Exercise("softplus", TOPICS[3], check_softplus),
    Exercise("jacobian_columns", TOPICS[4], check_jacobian_columns),
    Exercise("static_power", TOPICS[5], check_static_power),
    Exercise("per_example_grads", TOPICS[6], check_per_example_grads),
    Exercise("data_parallel_sgd_step", TOPICS[7], check_data_parallel_sgd_step),
    Exercise("flatten_params", TOPICS[8], check_flatten_params),
    Exercise("sgd_train", TOPICS[9], check_sgd_train),
)
