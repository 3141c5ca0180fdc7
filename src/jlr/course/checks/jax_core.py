"""Checks for exercises/05_jax_core.py: each grades one function on fixed-seed random inputs.

Oracles: numpy (mean, bincount, indexing), a mean worked out by hand, the linear model's
gradient in closed form in float64 (per example, for the full batch that the data-parallel
step run under `vmap(axis_name="data")` must reproduce, and in a reference SGD loop),
`jax.jacfwd`, `ravel_pytree`, and scipy's sigmoid. JAX's own runtime checker,
`jax.debug_key_reuse`, grades key handling.

Where an exercise is about a tool (`.at[].add`, `jax.jvp` batched by `vmap`,
`jax.value_and_grad`, `jax.tree.flatten`), the check refuses the shortcut around it
(`jnp.bincount`, `jax.jacfwd`, `jax.grad`, `ravel_pytree`) with `jlr.course.guard`, and a
Python loop where the task is to vectorize: a loop's program grows with the number of
items, a vectorized one does not, so the check counts the values in the traced program at
two sizes. Known wrong formulas (psum for pmean, a sum for a mean, a transposed Jacobian...)
get their own hints.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special
from jax.flatten_util import ravel_pytree

from jlr.course.curriculum import section_by_number
from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal
from jlr.course.guard import (
    HESSIAN_BUILDERS,
    intermediate_shapes,
    primitives,
    raise_if_mistake,
    without,
)

TOPICS = section_by_number("05").topics  # the curriculum's titles, in order
TRACER_ERRORS = (
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.ConcretizationTypeError,
)


def data(seed: int, shape) -> jax.Array:
    return jax.random.normal(jax.random.key(seed), shape)


def linear_loss(params, x, y):
    """Squared error of a linear model on one example or a batch (mean)."""
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


def linear_problem(seed: int, n: int, d: int = 3):
    x, w = data(seed, (n, d)), data(seed + 1, (d,))
    y = x @ w + 0.1 * data(seed + 2, (n,))
    return {"w": data(seed + 3, (d,)), "b": jnp.array(0.3)}, x, y


def linear_grad64(w, b, x, y) -> tuple[np.ndarray, float]:
    """The gradient of linear_loss in float64, in closed form: 2 X^T r / n and 2 mean(r)."""
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    residual = x64 @ w + b - y64  # (n,)
    return 2 * x64.T @ residual / len(y64), 2 * float(np.mean(residual))


def program_size(fn, *args) -> int:
    """How many values fn(*args) computes, nested jaxprs included (see guard.traced)."""
    return len(intermediate_shapes(fn, *args))


def check_running_mean_update(fn) -> None:
    # From a state it has not seen: 3 numbers averaging 2.0 (sum 6), then 6.0 -> 12 / 4 = 3.0.
    # Called twice with the same arguments, a pure update gives (4, 3.0) both times; one that
    # keeps its own count or list of xs between calls does not.
    for call in ("first", "second"):
        count, mean = fn((jnp.array(3), jnp.array(2.0)), jnp.array(6.0))
        got = np.array([float(count), float(mean)])
        if call == "first":
            if not jnp.issubdtype(jnp.asarray(count).dtype, jnp.integer):
                raise CheckFailed(
                    f"the new count is {jnp.asarray(count).dtype}: keep it an integer, "
                    "count + 1 (not count + 1.0)"
                )
            raise_if_mistake(
                got,
                {
                    "divide by the NEW count: new_mean = mean + (x - mean) / (count + 1)": [
                        4.0,
                        2.0 + 4.0 / 3.0,
                    ],
                    "(mean + x) / 2 weighs x like all earlier numbers together: "
                    "new_mean = mean + (x - mean) / (count + 1)": [4.0, 4.0],
                    "the count did not grow: return count + 1 with the new mean": [3.0, 3.0],
                },
            )
        if int(count) != 4 or not np.isclose(float(mean), 3.0, rtol=1e-6, atol=1e-6):
            raise CheckFailed(
                f"running_mean_update((3, 2.0), 6.0) gave ({int(count)}, {float(mean):.4g}) on "
                f"the {call} call, expected (4, 3.0): compute the new state from the state "
                "argument alone, with no counter or list kept between calls"
            )
    xs = data(1, (7,))
    state0 = (jnp.array(0), jnp.array(0.0))
    state = state0
    for x in xs:
        state = fn(state, x)
    assert_close(state[1], np.mean(np.asarray(xs)), rtol=1e-5, atol=1e-6, what="mean")
    assert_equal(int(state[0]), 7, what="count")
    try:
        (count, mean), _ = jax.lax.scan(lambda s, x: (fn(s, x), None), state0, xs)
    except TRACER_ERRORS:
        raise CheckFailed(
            "it fails inside lax.scan, where the state is traced: no Python if, float() or "
            "int() on it; the formula needs no branch"
        ) from None
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
    # 8000 draws: the fraction kept has a standard error of 0.0045; 0.03 is over 6 of them.
    kept = float(jnp.mean(fn(key, 4, (2000,), 0.8)))
    if abs(kept - 0.2) < 0.03:
        raise CheckFailed(
            f"{kept:.0%} kept with keep_prob = 0.8: keep_prob is the probability of KEEPING "
            "a unit, jax.random.bernoulli(key, keep_prob, shape)"
        )
    assert_close(kept, 0.8, atol=0.03, what="fraction kept")


HISTOGRAM_SHORTCUTS = {
    name: "it counts for you; the exercise is to count with .at[indices].add(1)"
    for name in (
        "jax.numpy.bincount",
        "jax.numpy.histogram",
        "jax.numpy.unique",
        "jax.numpy.unique_counts",
        "numpy.bincount",
        "numpy.histogram",
        "numpy.unique",
    )
}


def check_histogram(fn) -> None:
    fn = without(fn, HISTOGRAM_SHORTCUTS)
    drawn = jax.random.randint(jax.random.key(3), (40,), 0, 6)
    indices = jnp.where(drawn == 2, 4, drawn)  # bin 2 stays empty; bins repeat many times
    expected = np.bincount(np.asarray(indices), minlength=6)
    counts = fn(indices, 6)
    if not jnp.issubdtype(jnp.asarray(counts).dtype, jnp.integer):
        raise CheckFailed(
            f"counts are {jnp.asarray(counts).dtype}: they are integers, start from "
            "jnp.zeros(n_bins, dtype=jnp.int32)"
        )
    raise_if_mistake(
        counts,
        {
            ".at[].set(1) marks a bin once however often its index repeats: "
            "use .at[indices].add(1)": (expected > 0).astype(int),
        },
    )
    assert_close(counts, expected, rtol=0, atol=0, what="counts")
    assert_close(jax.jit(fn, static_argnums=1)(indices, 6), expected, rtol=0, atol=0,
                 what="counts under jit")  # fmt: skip
    if "scatter-add" not in primitives(lambda i: fn(i, 6), indices):
        raise CheckFailed(
            "right counts, but not by a scatter-add: the exercise is "
            "jnp.zeros(n_bins, jnp.int32).at[indices].add(1)"
        )
    sizes = {
        program_size(lambda i: fn(i, 6), indices),
        program_size(lambda i: fn(i, 6), indices[:20]),
        program_size(lambda i: fn(i, 12), indices),
    }
    if len(sizes) > 1:
        raise CheckFailed(
            "your program grows with len(indices) or n_bins, a Python loop: add all the ones "
            "at once with .at[indices].add(1)"
        )


def check_gather_or_nan(fn) -> None:
    x = data(4, (5,))
    indices = jnp.array([0, 4, 5, 9, 2])  # 5 = len(x) is the first index out of bounds
    expected = np.where(np.asarray(indices) < 5, np.asarray(x)[np.minimum(indices, 4)], np.nan)
    actual = np.asarray(fn(x, indices), dtype=np.float64)
    assert_equal(actual.shape, expected.shape, what="result shape")
    for i, (got, want) in enumerate(zip(actual, expected, strict=True)):
        if np.isnan(want) and not np.isnan(got):
            raise CheckFailed(
                f"index {int(indices[i])} is out of bounds (>= len(x) = 5) and gave {got:.4g}, "
                "not NaN: JAX clamps out-of-bounds indices by default; use "
                "x.at[indices].get(mode='fill', fill_value=jnp.nan)"
            )
        if np.isnan(got) and not np.isnan(want):
            raise CheckFailed(
                f"index {int(indices[i])} is in bounds (< len(x) = 5) but gave NaN: only "
                "indices >= len(x) are NaN"
            )
    assert_close(actual[~np.isnan(actual)], expected[~np.isnan(expected)], rtol=0, atol=0)


VALUE_AND_GRAD_ONLY = {
    "jax.grad": "use jax.value_and_grad: one call gives the loss and the gradient from one "
    "forward pass, instead of a second pass for the loss beside jax.grad"
}


def check_mse_value_and_grad(fn) -> None:
    fn = without(fn, VALUE_AND_GRAD_ONLY)
    params, x, y = linear_problem(5, 6)
    result = fn(params, x, y)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed("return the pair (loss, grads), as jax.value_and_grad gives it")
    loss, grads = result
    w64, b64 = np.asarray(params["w"], np.float64), float(params["b"])
    residual = np.asarray(x, np.float64) @ w64 + b64 - np.asarray(y, np.float64)  # (n,)
    n = len(residual)
    right_loss = np.mean(residual**2)
    raise_if_mistake(
        loss,
        {
            f"the loss is {n} (= n) times the mean: use jnp.mean, not jnp.sum": n * right_loss,
            "the loss is the mean of the squares, with no square root": np.sqrt(right_loss),
        },
    )
    assert_close(loss, right_loss, rtol=1e-5, atol=1e-6, what="loss")
    if not isinstance(grads, dict) or set(grads) != {"w", "b"}:
        raise CheckFailed(
            'grads must have the structure of params, {"w", "b"}: differentiate with respect '
            "to the whole params dict (argument 0)"
        )
    right_w, right_b = linear_grad64(w64, b64, x, y)  # (d,), ()
    assert_equal(np.shape(grads["w"]), right_w.shape, what="grads['w'].shape")
    assert_equal(np.shape(grads["b"]), (), what="grads['b'].shape")
    got = np.concatenate([np.asarray(grads["w"]), np.asarray(grads["b"])[None]])
    right = np.concatenate([right_w, [right_b]])
    raise_if_mistake(
        got,
        {
            f"the gradient is {n} (= n) times too large, the gradient of the sum: "
            "the loss is the mean": n * right,
            "the gradient is half the right one: differentiate mean((x @ w + b - y)^2) "
            "itself, with no 1/2": right / 2,
            "grads['b'] is 0: b is in the model (x @ w + b), so differentiate with "
            "respect to it too": np.concatenate([right_w, [0.0]]),
        },
    )
    assert_close(got[:-1], right_w, rtol=1e-5, atol=1e-5, what="grads['w']")
    assert_close(got[-1], right_b, rtol=1e-5, atol=1e-5, what="grads['b']")


def check_softplus(fn) -> None:
    x = jnp.array([-1000.0, -20.0, -1.0, 0.0, 2.0, 30.0, 1000.0])
    expected = np.logaddexp(0.0, np.asarray(x, np.float64))
    values = np.asarray(fn(x), dtype=np.float64)
    assert_equal(values.shape, expected.shape, what="softplus(x).shape")
    if not np.isfinite(values).all():
        i = int(np.argmin(np.isfinite(values)))
        raise CheckFailed(
            f"softplus({float(x[i]):g}) = {values[i]}: log(1 + exp(x)) overflows (exp(1000) "
            "= inf in float32); compute max(x, 0) + log1p(exp(-|x|))"
        )
    assert_close(values, expected, rtol=1e-6, atol=1e-7, what="softplus(x)")
    if not isinstance(fn, jax.custom_vjp):
        raise CheckFailed(
            "softplus should define its own backward pass: decorate it with @jax.custom_vjp "
            "and register (forward, backward) with softplus.defvjp"
        )
    sigmoid = scipy.special.expit(np.asarray(x, np.float64))
    grads = np.asarray(jax.vmap(jax.grad(fn))(x), dtype=np.float64)
    if not np.isfinite(grads).all():
        i = int(np.argmin(np.isfinite(grads)))
        raise CheckFailed(
            f"your backward pass gives {grads[i]} at x = {float(x[i]):g}: exp(x) / (1 + exp(x)) "
            "overflows; use jax.nn.sigmoid(x)"
        )
    assert_close(grads, sigmoid, rtol=1e-6, atol=1e-7, what="d softplus / dx (should be sigmoid)")
    g = jnp.array([0.5, -2.0, 3.0, 1.5, -0.25, 4.0, 2.0])  # a cotangent that is not all ones
    (pulled,) = jax.vjp(fn, x)[1](g)
    raise_if_mistake(
        pulled,
        {"your backward pass ignores the incoming cotangent g: return (g * sigmoid(x),)": sigmoid},
    )
    assert_close(pulled, np.asarray(g) * sigmoid, rtol=1e-6, atol=1e-7, what="vjp(softplus)(g)")


JACOBIAN_SHORTCUTS = {
    **{
        name: "it builds the Jacobian for you; the exercise is to build it column by column "
        "from jax.jvp"
        for name in HESSIAN_BUILDERS
    },
    "jax.vjp": "it is reverse mode (the Jacobian's rows); the exercise is forward mode, the "
    "columns from jax.jvp",
}


def check_jacobian_columns(fn) -> None:
    fn = without(fn, JACOBIAN_SHORTCUTS)
    f = lambda v: jnp.concatenate([jnp.sin(v) * v.sum(), v[:1] ** 3])  # (n,) -> (n + 1,)
    x = data(6, (3,))
    right = np.asarray(jax.jacfwd(f)(x), np.float64)  # (4, 3)
    got = np.asarray(fn(f, x), np.float64)
    if got.shape == right.T.shape and np.allclose(got, right.T, rtol=1e-5, atol=1e-6):
        raise CheckFailed(
            "your result is the transpose, (n, m): the jvp along e_i is column i; stack the "
            "columns on axis 1 (jax.vmap(..., out_axes=1))"
        )
    raise_if_mistake(
        got,
        {
            "every column is f(x): jax.jvp returns (f(x), J v); the column is the second": (
                np.tile(np.asarray(f(x), np.float64)[:, None], (1, 3))
            ),
        },
    )
    assert_close(got, right, rtol=1e-5, atol=1e-6, what="Jacobian")
    small = program_size(lambda v: fn(f, v), x)
    if program_size(lambda v: fn(f, v), data(7, (6,))) != small:
        raise CheckFailed(
            "your program grows with n, a Python loop over the basis vectors: batch the n "
            "jvps with jax.vmap"
        )


def check_static_power(fn) -> None:
    x = data(7, (4,))
    x64 = np.asarray(x, np.float64)
    for n in range(5):
        try:
            got = fn(x, n)
        except ValueError as error:
            if "hashable" not in str(error).lower():
                raise
            raise CheckFailed(
                "x is marked static, and an array cannot be: only n is, static_argnums=1"
            ) from None
        raise_if_mistake(
            got,
            {
                f"static_power(x, {n}) gave x**{n + 1}: off by one; start from "
                "jnp.ones_like(x) and multiply by x n times": x64 ** (n + 1),
                f"static_power(x, {n}) gave x**{n - 1}: off by one; multiply by x n times": (
                    x64 ** (n - 1)
                ),
            },
        )
        assert_close(got, x64**n, rtol=1e-5, atol=1e-5, what=f"x**{n}")
    if not hasattr(fn, "lower"):
        raise CheckFailed("static_power should be a jitted function: jax.jit(..., static_argnums)")
    main = next(line for line in fn.lower(x, 3).as_text().splitlines() if "@main(" in line)
    if main.count("%arg") != 1:
        raise CheckFailed("n is a runtime argument of the compiled program; mark it static")


def check_per_example_grads(fn) -> None:
    params, x, y = linear_problem(8, 5)
    try:
        grads = fn(linear_loss, params, x, y)
    except ValueError as error:
        if "vmap" not in str(error):
            raise
        raise CheckFailed(
            "params are shared by every example: map over x and y only, in_axes=(None, 0, 0)"
        ) from None
    if not isinstance(grads, dict) or set(grads) != {"w", "b"}:
        raise CheckFailed('return a pytree like params, {"w": (n, d), "b": (n,)}')
    if np.shape(grads["w"]) == (3,):
        raise CheckFailed(
            "that is one gradient for the whole batch: each leaf needs a leading (n,) axis, "
            "one gradient per example; vmap jax.grad(loss) over the examples"
        )
    assert_equal(np.shape(grads["w"]), (5, 3), what="grads['w'].shape")
    assert_equal(np.shape(grads["b"]), (5,), what="grads['b'].shape")
    w64, b64 = np.asarray(params["w"], np.float64), float(params["b"])
    for i in range(5):  # example i alone is a batch of one
        grad_w, grad_b = linear_grad64(w64, b64, x[i : i + 1], y[i : i + 1])
        assert_close(grads["w"][i], grad_w, rtol=1e-5, atol=1e-6, what=f"grads['w'][{i}]")
        assert_close(grads["b"][i], grad_b, rtol=1e-5, atol=1e-6, what=f"grads['b'][{i}]")
    _, x10, y10 = linear_problem(8, 10)
    per_batch = lambda xs, ys: fn(linear_loss, params, xs, ys)
    if program_size(per_batch, x, y) != program_size(per_batch, x10, y10):
        raise CheckFailed(
            "your program grows with the batch size, a Python loop over examples: use "
            "jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))"
        )


def check_data_parallel_sgd_step(fn) -> None:
    params, x, y = linear_problem(9, 8)
    n_shards, lr = 4, 0.1
    x_shards, y_shards = x.reshape(n_shards, 2, 3), y.reshape(n_shards, 2)
    step = jax.vmap(
        lambda xs, ys: fn(linear_loss, params, xs, ys, lr), axis_name="data"
    )  # vmap binds the axis name "data" the way pmap does, on one device
    try:
        new = step(x_shards, y_shards)
    except NameError as error:
        raise CheckFailed(
            f"{error}: the devices' axis is named 'data', jax.lax.pmean(grads, 'data')"
        ) from None
    if not isinstance(new, dict) or set(new) != {"w", "b"}:
        raise CheckFailed('return the new params, a pytree like params {"w", "b"}')
    w64, b64 = np.asarray(params["w"], np.float64), float(params["b"])
    grad_w, grad_b = linear_grad64(w64, b64, x, y)  # the full batch's: the mean of the shards'

    def on_every_device(scale):  # params - scale * grads on each device: (n_shards, d + 1)
        flat = np.concatenate([w64 - scale * grad_w, [b64 - scale * grad_b]])
        return np.tile(flat, (n_shards, 1))

    got = np.concatenate([np.asarray(new["w"]), np.asarray(new["b"])[:, None]], axis=1)
    if not np.allclose(got, got[:1], rtol=1e-6, atol=1e-7):
        raise CheckFailed(
            "the devices end with different params, each stepped with its own shard's "
            "gradient: average the gradients over devices first, jax.lax.pmean(grads, 'data')"
        )
    raise_if_mistake(
        got,
        {
            f"the step is {n_shards} times too large: lax.psum adds the devices' gradients; "
            "average them with jax.lax.pmean(grads, 'data')": on_every_device(n_shards * lr),
            "the params moved uphill: params - lr * mean_grads": on_every_device(-lr),
        },
    )
    expected = on_every_device(lr)
    assert_close(got, expected, rtol=1e-5, atol=1e-6,
                 what="new params on every device (use lax.pmean over 'data')")  # fmt: skip


def check_flatten_params(fn) -> None:
    fn = without(
        fn,
        {
            "jax.flatten_util.ravel_pytree": "it is the answer; the exercise is to write it "
            "with jax.tree.flatten and jax.tree.unflatten"
        },
    )
    # "w" comes first as written, but jax.tree.leaves puts a dict's keys in sorted order.
    params = {"w": data(10, (2, 3)), "b": [data(11, (4,)), data(12, ())]}
    vector, unflatten = fn(params)
    as_written = jnp.concatenate([params["w"].ravel(), params["b"][0], params["b"][1][None]])
    raise_if_mistake(
        vector,
        {
            "the leaves are in the order the dict was written: concatenate them in "
            "jax.tree.leaves order (a dict's keys sorted)": as_written,
        },
    )
    assert_close(vector, ravel_pytree(params)[0], rtol=0, atol=0, what="vector")
    try:
        rebuilt = unflatten(vector * 2.0)
    except (TypeError, ValueError) as error:
        raise CheckFailed(
            f"unflatten(vector) fails ({type(error).__name__}): split the vector at the "
            "running totals of the leaves' sizes (np.cumsum) and reshape each piece"
        ) from None
    if jax.tree.structure(rebuilt) != jax.tree.structure(params):
        raise CheckFailed("unflatten must return the same tree structure")
    for got, leaf in zip(jax.tree.leaves(rebuilt), jax.tree.leaves(params), strict=True):
        if np.shape(got) != leaf.shape:
            raise CheckFailed(
                f"unflatten gave a leaf of shape {np.shape(got)}, expected {leaf.shape}: "
                "reshape each piece to its leaf's shape"
            )
        raise_if_mistake(
            got,
            {"unflatten returned the original leaves: build them from the vector given": leaf},
        )
        assert_close(got, 2.0 * leaf, rtol=1e-6, atol=0, what="unflatten(2 * vector)")


def check_sgd_train(fn) -> None:
    params, x, y = linear_problem(13, 12)
    lr = 0.05
    batches = [(x[i : i + 4], y[i : i + 4]) for i in range(0, 12, 4)] * 2

    def sgd(step_size, restart=False):  # in float64, gradients in closed form
        w0, b0 = np.asarray(params["w"], np.float64), float(params["b"])
        w, b = w0, b0
        for xb, yb in batches:
            start_w, start_b = (w0, b0) if restart else (w, b)
            grad_w, grad_b = linear_grad64(start_w, start_b, xb, yb)
            w, b = start_w - step_size * grad_w, start_b - step_size * grad_b
        return np.concatenate([w, [b]])

    result = fn(linear_loss, params, batches, lr)
    if not isinstance(result, dict) or set(result) != {"w", "b"}:
        raise CheckFailed('return the final params, a pytree like params {"w", "b"}')
    assert_equal(np.shape(result["w"]), (3,), what="params['w'].shape")
    assert_equal(np.shape(result["b"]), (), what="params['b'].shape")
    got = np.concatenate([np.asarray(result["w"]), np.asarray(result["b"])[None]])
    raise_if_mistake(
        got,
        {
            "the params moved uphill: params <- params - lr * grad": sgd(-lr),
            "every step starts again from the initial params: start each step from the "
            "params the previous step returned": sgd(lr, restart=True),
            "the step is not scaled by lr: params <- params - lr * grad": sgd(1.0),
        },
    )
    expected = sgd(lr)
    assert_close(got[:-1], expected[:-1], rtol=1e-5, atol=1e-6, what="params['w']")
    assert_close(got[-1], expected[-1], rtol=1e-5, atol=1e-6, what="params['b']")


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
