# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · JAX core concepts
#
# JAX is numpy plus *composable function transformations*: `grad`, `jit`, `vmap`, and the
# parallel ones. Each transformation works by **tracing**: it calls your Python function
# with abstract stand-ins for arrays and records the array operations into a program (a
# *jaxpr*). That one idea explains almost every rule in this lesson: why functions must be
# pure, why arrays are immutable, why keys are explicit, why shapes must be static. We use
# the modules of `jlr.jax_core` and `jlr.parallel`, and every claim is an `assert`.
# The exercises are in `exercises/05_jax_core.py`; grade them with `jlr check 05`.
#
# The first cell asks XLA for 8 simulated CPU devices, for the parallelism section. The
# flag must be set before JAX starts, so it comes before `import jax`.

# %%
import os

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
).strip()

import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from jax.flatten_util import ravel_pytree

from jlr.course.lesson import fast_mode
from jlr.data import load_digits
from jlr.jax_core import (
    array_semantics,
    autodiff,
    compilation,
    immutability,
    modes,
    parameters,
    purity,
    randomness,
    training_loop,
    vectorization,
)
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import accuracy
from jlr.optim import sgd
from jlr.parallel import data_parallel as dp
from jlr.train import fit, init_train_state, make_train_step

FAST = fast_mode()
N_TRAIN_STEPS = 150 if FAST else 600  # steps of the from-scratch training loop
N_ENSEMBLE_STEPS = 60 if FAST else 300

root_key = jax.random.key(0)
keys = randomness.split_named(
    root_key, ["demo", "init", "ensemble", "train", "grad", "mode", "parallel", "data"]
)
print("devices:", jax.device_count(), jax.devices()[0].platform)

# %% [markdown]
# ## 1. Functional programming principles
#
# A **pure function** returns a value that depends only on its arguments and changes
# nothing else. `jax.jit` relies on it: the Python body runs *once*, at trace time, and
# only its array operations are compiled. A side effect (printing, appending to a list)
# therefore happens once, not on every call; a value read from outside (a global, a dict)
# is frozen into the program as a constant. `jax.debug.print` / `jax.debug.callback` put
# the effect *into* the compiled program, so it runs every call.

# %%
counts = purity.side_effect_counts(5)
print("5 calls of a jitted function:", counts)
assert counts == {"python": 1, "debug_callback": 5}

settings = {"scale": 2.0}
scale = purity.make_scaler(settings)
before = float(scale(jnp.float32(3.0)))
settings["scale"] = 10.0  # the compiled function never sees this
after = float(scale(jnp.float32(3.0)))
print(f"reads a dict at trace time: {before} before, {after} after changing it")
assert before == after == 6.0
assert float(jax.jit(purity.scale_pure)(10.0, jnp.float32(3.0))) == 30.0  # pure: an argument

loss = jax.jit(purity.debug_print_inside_jit)(jnp.arange(3.0))
jax.effects_barrier()

# %% [markdown]
# Randomness is where purity shows most. numpy's `np.random.normal()` reads and advances a
# hidden global state, an impure function. JAX's generator is a pure function of a **key**:
# the same key gives the same numbers, always. New randomness comes from deriving new keys:
# `split(key)` gives independent children, `fold_in(key, t)` gives the key of step $t$
# (reproducible and resumable). The corollary: **a key must be consumed only once**. Reuse
# it and two "independent" draws are identical — here, two layers with the same weights.

# %%
demo_key = keys["demo"]
bad = randomness.reused_key_init(demo_key, 3, 2)
assert np.array_equal(bad["w1"], bad["w2"])
print("reused key -> identical layers:", bool(np.array_equal(bad["w1"], bad["w2"])))
step_keys = [randomness.step_key(demo_key, t) for t in range(3)]
draws = [float(jax.random.normal(k)) for k in step_keys]
print("fold_in(key, t) for t = 0, 1, 2:", np.round(draws, 3))
assert draws == [float(jax.random.normal(jax.random.fold_in(demo_key, t))) for t in range(3)]

# %% [markdown]
# `randomness.find_reused_keys` reads a function's jaxpr and reports any key consumed
# twice (by `random_bits`, `random_split`, or a sub-computation that consumes it, including
# a `scan` body consuming the same key every iteration). JAX's own runtime checker,
# `jax.debug_key_reuse(True)`, agrees. Both pass JLR's own init, dropout MLP and training
# step, and both catch the bug above.

# %%
init_key = keys["init"]
params_demo = init_mlp(init_key, (5, 8, 3))
x_demo = jax.random.normal(keys["data"], (4, 5))
library_paths = {
    "init_mlp": (lambda k: init_mlp(k, (5, 8, 3)), (jax.random.fold_in(init_key, 1),)),
    "mlp with dropout": (
        lambda p, x, k: mlp(p, x, drop_prob=0.5, key=k),
        (params_demo, x_demo, jax.random.fold_in(init_key, 2)),
    ),
    "the bug": (lambda k: randomness.reused_key_init(k, 3, 2), (jax.random.fold_in(init_key, 3),)),
}
findings = {
    name: randomness.find_reused_keys(fn, *args) for name, (fn, args) in library_paths.items()
}
for name, found in findings.items():
    print(f"{name:>18}: {found or 'no key reused'}")
assert findings["init_mlp"] == [] and findings["mlp with dropout"] == []
assert findings["the bug"]
with jax.debug_key_reuse(True):
    try:
        jax.jit(library_paths["the bug"][0])(jax.random.fold_in(init_key, 4))
        raise AssertionError("JAX's checker missed the reused key")
    except jax.errors.KeyReuseError as error:
        print("jax.debug_key_reuse:", str(error).splitlines()[0])

# %% [markdown]
# ## 2. Pure functions and immutability
#
# JAX arrays cannot be changed in place; `x[0] = 1` is a `TypeError`. The functional form
# `x.at[i].set(v)` (and `.add`, `.multiply`, `.min`, `.max`, `.get`) returns a *new* array.
# Repeated indices in `.add` accumulate, like `np.add.at`. Copies sound expensive, but under
# `jit` XLA updates in place whenever the old value is dead, and `donate_argnums` lets an
# output reuse an input's buffer (the caller's array is then marked deleted).

# %%
print("x[0] = 1 ->", immutability.in_place_error(jnp.zeros(3)).splitlines()[0][:90])
x = jnp.zeros((3, 2))
y = immutability.set_row(x, 1, jnp.array([7.0, 8.0]))
print("x unchanged:", np.asarray(x).tolist(), " y:", np.asarray(y).tolist())
assert float(jnp.abs(x).sum()) == 0.0 and float(y[1, 1]) == 8.0
indices = jnp.array([0, 2, 2, 4, 0])
added = immutability.scatter_add(jnp.zeros(5), indices, jnp.ones(5))
expected = np.zeros(5)
np.add.at(expected, np.asarray(indices), 1.0)
print("scatter-add with repeats:", np.asarray(added), "== np.add.at:", expected)
assert np.array_equal(added, expected)
params_buffer = jnp.ones(4)
new_params, deleted = immutability.donated_update(params_buffer, jnp.ones(4))
print("after a donated update the input is deleted:", deleted)
assert deleted

# %% [markdown]
# ## 3. `jax.numpy` and array semantics
#
# `jax.numpy` follows numpy's API with a few deliberate differences:
# - **32-bit by default.** `jnp.array(1.0)` is float32; float64 needs `jax_enable_x64`
#   (globally `jax.config.update("jax_enable_x64", True)` at start-up, or locally with the
#   `jax.enable_x64()` context manager).
# - **Promotion** follows a lattice that never silently widens to 64 bits: float16 +
#   int32 is float16 (numpy: float64), and Python scalars are *weak* (a float16 array times
#   2.0 stays float16).
# - **Out-of-bounds indexing** cannot raise inside a compiled program: reads clamp to the
#   last element, writes are dropped, and `.at[i].get(mode="fill")` asks for a fill value.

# %%
dtypes = [jnp.int8, jnp.uint8, jnp.int32, jnp.float16, jnp.bfloat16, jnp.float32]
table = array_semantics.promotion_table(dtypes)
names = [np.dtype(d).name for d in dtypes]
print("jnp.result_type(row, column):")
print(" " * 9 + "".join(f"{n:>9}" for n in names))
for a in names:
    print(f"{a:>9}" + "".join(f"{table[(a, b)]:>9}" for b in names))
assert table[("float16", "int32")] == "float16" and table[("int8", "uint8")] == "int16"
assert array_semantics.numpy_promotion_differs(jnp.float16, jnp.int32)
assert (jnp.ones(2, jnp.float16) * 2.0).dtype == jnp.float16
print("default float dtype:", array_semantics.default_float_dtypes())
assert array_semantics.default_float_dtypes() == {"x64_off": "float32", "x64_on": "float64"}
oob = array_semantics.out_of_bounds(jnp.arange(3.0), 10)
print(f"x = [0, 1, 2]; x[10] = {float(oob['read'])} (clamped), fill mode -> {float(oob['fill'])}")
assert float(oob["read"]) == 2.0 and np.isnan(oob["fill"])
assert np.array_equal(oob["write"], jnp.arange(3.0))

# %% [markdown]
# Under `jit` every argument is an abstract value, known by shape and dtype only. Code
# that needs the *value* fails while tracing. These are the errors you will meet first:

# %%
errors = array_semantics.traced_errors()
for cause, error in errors.items():
    meaning = array_semantics.EXPLANATIONS.get(error, "fine: the size is a compile-time constant")
    print(f"{cause:>25}: {error or 'runs'}\n{'':>27}{meaning}")
assert errors["python if on a tracer"] == "TracerBoolConversionError"
assert errors["float() of a tracer"] == "ConcretizationTypeError"
assert errors["shape from a static arg"] is None
assert errors["non-hashable static arg"] == "ValueError"

# %% [markdown]
# ## 4. Automatic differentiation (`grad`)
#
# `jax.grad(f)` returns a function computing $\nabla f$ by reverse mode. Its options:
# `argnums` picks which argument(s) to differentiate, `has_aux=True` lets $f$ return
# `(loss, extras)`, `value_and_grad` returns the loss too, and the argument may be any
# pytree (the gradient has the same structure). `stop_gradient(x)` is $x$ going forward
# and a constant going back — the *straight-through* estimator uses it to give `round` an
# identity gradient: $x + \mathrm{sg}(\mathrm{round}(x) - x)$.

# %%
w_key, x_key, y_key = jax.random.split(keys["grad"], 3)
lin = {"w": jax.random.normal(w_key, (3,)), "b": jnp.array(0.5)}
xs, ys = jax.random.normal(x_key, (8, 3)), jax.random.normal(y_key, (8,))
(loss, aux), grads = jax.value_and_grad(autodiff.mse_with_aux, has_aux=True)(lin, xs, ys)
print("loss", float(loss), " grads:", jax.tree.map(jnp.shape, grads), " aux:", list(aux))
f64 = lambda w: np.mean((np.asarray(xs, np.float64) @ w + 0.5 - np.asarray(ys)) ** 2)
fd = autodiff.finite_difference_grad(f64, np.asarray(lin["w"]))
print("grad w:", np.asarray(grads["w"]), " finite differences:", fd)
assert np.allclose(grads["w"], fd, rtol=1e-3, atol=1e-4)
saliency = autodiff.grad_wrt_inputs(lin, xs, ys)  # argnums=1: d loss / d inputs
assert saliency.shape == xs.shape
st = jax.grad(lambda v: jnp.sum(autodiff.straight_through_round(v) ** 2))(jnp.array([0.2, 1.7]))
print("straight-through round: gradient", np.asarray(st), "= 2 round(x)")
assert np.allclose(st, [0.0, 4.0])

# %% [markdown]
# **Custom derivative rules.** $\mathrm{softplus}(x) = \log(1 + e^x)$ written naively
# overflows for $x \gtrsim 88$ in float32, and autodiff of the naive formula gives
# $e^x / (1 + e^x) = \infty/\infty = \mathrm{NaN}$. `jax.custom_vjp` lets us state the
# derivative ourselves, $\mathrm{softplus}'(x) = \sigma(x)$, which is stable everywhere,
# next to a stable forward pass $\max(x, 0) + \log(1 + e^{-|x|})$. The same tool can
# *clip the gradient* in the backward pass while the forward pass stays the identity.

# %%
grid = jnp.linspace(-100.0, 100.0, 401)
naive_grad = jax.vmap(jax.grad(autodiff.naive_softplus))(grid)
stable_grad = jax.vmap(jax.grad(autodiff.stable_softplus))(grid)
n_nan = int(jnp.isnan(naive_grad).sum())
print(f"naive softplus: {n_nan} NaN gradients on [-100, 100]; custom_vjp: "
      f"{int(jnp.isnan(stable_grad).sum())}")  # fmt: skip
assert n_nan > 0 and bool(jnp.isfinite(stable_grad).all())
probe = np.array([-30.0, -2.0, 0.5, 3.0, 40.0])
fd_softplus = autodiff.finite_difference_grad(lambda v: np.logaddexp(0, v).sum(), probe)
assert np.allclose(jax.grad(lambda v: autodiff.stable_softplus(v).sum())(probe), fd_softplus,
                   rtol=1e-4, atol=1e-6)  # fmt: skip
clipped = jax.grad(lambda v: jnp.sum(10.0 * autodiff.clip_gradient(v, 1.0)))(jnp.ones(4))
print("gradient through clip_gradient(max_norm=1):", np.asarray(clipped))
assert np.isclose(jnp.linalg.norm(clipped), 1.0, rtol=1e-5)

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(grid, naive_grad, label="grad of naive softplus", lw=3, alpha=0.6)
ax.plot(grid, stable_grad, "--", label="custom_vjp: sigmoid(x)")
ax.set_xlabel("x")
ax.set_title("NaN where the naive gradient overflows (the line stops)")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Forward-mode vs reverse-mode AD
#
# For $F: \mathbb{R}^n \to \mathbb{R}^m$ with Jacobian $J \in \mathbb{R}^{m \times n}$,
# `jvp` computes $Jv$ (a column's worth, pushing a tangent forward) and `vjp` computes
# $u^\top J$ (a row, pulling a cotangent back). Each costs a small constant times one
# evaluation of $F$, so the full Jacobian takes $n$ forward sweeps or $m$ reverse sweeps:
# forward wins for tall Jacobians ($n < m$), reverse for wide ones ($n > m$) — and a loss
# has $m = 1$, which is why training uses reverse mode. `linearize` runs the forward pass
# once and returns $v \mapsto Jv$ for many $v$.

# %%
mode_key, tangent_key, net_key = jax.random.split(keys["mode"], 3)
F = lambda v: jnp.concatenate([jnp.sin(v) * v.sum(), jnp.tanh(v[:2])])  # (4,) -> (6,)
x0 = jax.random.normal(mode_key, (4,))
J = jax.jacfwd(F)(x0)
assert np.allclose(modes.jacobian_by_jvp(F, x0), J, atol=1e-6)
assert np.allclose(modes.jacobian_by_vjp(F, x0), jax.jacrev(F)(x0), atol=1e-6)
tangents = jax.random.normal(tangent_key, (3, 4))
assert np.allclose(modes.jvps_by_linearize(F, x0, tangents), tangents @ J.T, atol=1e-5)
print("J by jvp columns == J by vjp rows == jacfwd:", J.shape)
for n_in, n_out in [(1000, 1), (2, 500), (64, 64)]:
    print(f"n={n_in:>5}, m={n_out:>4}: sweeps {modes.sweeps_needed(n_in, n_out)} "
          f"-> {modes.preferred_mode(n_in, n_out)}")  # fmt: skip
assert modes.preferred_mode(1000, 1) == "reverse" and modes.preferred_mode(2, 500) == "forward"

# %% [markdown]
# The cost model in seconds: time `jacfwd` and `jacrev` of a small network
# $F(x) = W_2 \tanh(W_1 x)$ with $m = 16$ outputs as the input size $n$ grows. The ratio
# crosses 1 near $n = m$. (Timings on a shared CPU are noisy; the benchmark
# `benchmarks/bench_jax_core.py` has the full sweep, so the lesson asserts only the
# sweep counts above.)

# %%
sizes = [2, 16, 128] if FAST else [2, 4, 16, 64, 256, 1024]
ratios = []
for n_in in sizes:
    w1_key, w2_key = jax.random.split(jax.random.fold_in(net_key, n_in))
    W1 = jax.random.normal(w1_key, (32, n_in)) / np.sqrt(n_in)
    W2 = jax.random.normal(w2_key, (16, 32)) / np.sqrt(32)
    net = lambda v, W1=W1, W2=W2: W2 @ jnp.tanh(W1 @ v)  # (n,) -> (16,)
    timings = {}
    for name, transform in [("fwd", jax.jacfwd), ("rev", jax.jacrev)]:
        jac = jax.jit(transform(net))
        jac(jnp.ones(n_in)).block_until_ready()
        start = time.perf_counter()
        for _ in range(20):
            out = jac(jnp.ones(n_in))
        out.block_until_ready()
        timings[name] = (time.perf_counter() - start) / 20
    ratios.append(timings["fwd"] / timings["rev"])
    print(f"n={n_in:>5}, m=16: jacfwd {timings['fwd'] * 1e6:8.1f} us, "
          f"jacrev {timings['rev'] * 1e6:8.1f} us, ratio {ratios[-1]:.2f}")  # fmt: skip
fig, ax = plt.subplots(figsize=(6, 3))
ax.loglog(sizes, ratios, "o-")
ax.axhline(1.0, color="gray", ls=":")
ax.axvline(16, color="gray", ls="--", label="n = m = 16")
ax.set_xlabel("input size n")
ax.set_ylabel("time(jacfwd) / time(jacrev)")
ax.legend()
plt.show()

# %% [markdown]
# ## 6. JIT compilation (`jit`) and XLA
#
# `jit` goes function $\to$ **jaxpr** (JAX's trace) $\to$ **StableHLO** (the lowered
# program) $\to$ XLA **executable** (fused, optimized machine code). The executable is
# cached by the arguments' shapes and dtypes and by the values of static arguments, so a
# new shape means a new trace and compile — count them.

# %%
g = lambda v: jnp.sin(v) * 2.0 + 1.0
print(compilation.jaxpr_text(g, jnp.ones(3)))
hlo = compilation.hlo_text(g, jnp.ones(3))
print("\n".join(line for line in hlo.splitlines() if "stablehlo." in line))
assert "sin" in compilation.jaxpr_text(g, jnp.ones(3)) and "stablehlo.sine" in hlo
times = compilation.compile_and_run_times(g, jnp.ones(1000))
print({k: f"{v * 1e3:.3f} ms" for k, v in times.items()})
assert times["compile_s"] > times["run_s"]
calls = [(jnp.ones(3),), (jnp.zeros(3),), (jnp.ones(4),), (jnp.ones(3, jnp.int32),)]
n_traces = compilation.count_traces(g, calls)
print(f"4 calls with shapes (3,), (3,), (4,), int (3,) -> {n_traces} compilations")
assert n_traces == 3
static_calls = [(jnp.ones(2), 2), (jnp.ones(2), 2), (jnp.ones(2), 3)]
n_static = compilation.count_traces(compilation.power, static_calls, static_argnums=1)
print(f"power(x, n) with n static, n = 2, 2, 3 -> {n_static} compilations")
assert n_static == 2

# %% [markdown]
# The payoff: an MLP training step run eagerly dispatches every operation from Python;
# jitted, it is one fused program. (`donate_argnums=0` lets the new parameters reuse the
# old parameters' buffers.)

# %%
digits = load_digits(test_fraction=0.2, seed=0)
x_train = digits.x_train.reshape(len(digits.x_train), -1)  # (n, 64)
x_test = jnp.asarray(digits.x_test.reshape(len(digits.x_test), -1))
batch = {"x": jnp.asarray(x_train[:64]), "y": jnp.asarray(digits.y_train[:64])}
optimizer = sgd(0.1)


def mlp_step(params, opt_state, batch):
    (loss, _), grads = jax.value_and_grad(training_loop.classification_loss, has_aux=True)(
        params, batch, None
    )
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return jax.tree.map(jnp.add, params, updates), opt_state, loss


def seconds_per_step(step, n):
    params = init_mlp(keys["init"], (64, 128, 128, 10))
    opt_state = optimizer.init(params)
    params, opt_state, loss = step(params, opt_state, batch)  # compile (if jitted)
    start = time.perf_counter()
    for _ in range(n):
        params, opt_state, loss = step(params, opt_state, batch)
    loss.block_until_ready()
    return (time.perf_counter() - start) / n


eager_s = seconds_per_step(mlp_step, 3)
jit_s = seconds_per_step(jax.jit(mlp_step, donate_argnums=0), 50)
print(f"MLP step: eager {eager_s * 1e3:.2f} ms, jit {jit_s * 1e3:.3f} ms, "
      f"speedup {eager_s / jit_s:.0f}x")  # fmt: skip
assert eager_s > jit_s

# %% [markdown]
# ## 7. Vectorization with `vmap`
#
# Write the function for **one** example and let `vmap` add the batch axis: `in_axes`
# says which axis of each argument is mapped (`None` = the same for all), `out_axes`
# where the batch axis goes in the output. Two things that are awkward otherwise become
# one line: **per-example gradients**, `vmap(grad(loss), in_axes=(None, 0, 0))`, and an
# **ensemble**: stack the parameters of $k$ models along a new axis and `vmap` the train
# step over it, so $k$ models train in one compiled program.

# %%
small = init_mlp(keys["init"], (64, 32, 10))
per_example = vectorization.per_example_grads(small, batch["x"][:8], batch["y"][:8])
print("per-example gradient shapes:", jax.tree.map(jnp.shape, per_example)[0])
loop_grad = jax.grad(vectorization.example_loss)(small, batch["x"][3], batch["y"][3])
assert np.allclose(per_example[0]["w"][3], loop_grad[0]["w"], atol=1e-6)
norms = jax.vmap(parameters.global_norm)(per_example)
print("per-example gradient norms:", np.round(np.asarray(norms), 2))

n_models = 4
ensemble = vectorization.init_ensemble(keys["ensemble"], n_models, (64, 32, 10))
ensemble_opt = sgd(0.2)
opt_states = jax.vmap(ensemble_opt.init)(ensemble)
ensemble_step = vectorization.make_ensemble_step(ensemble_opt)
history = []
for t in range(N_ENSEMBLE_STEPS):
    rows = np.random.default_rng([1, t]).choice(len(x_train), 64, replace=False)
    ensemble, opt_states, losses = ensemble_step(
        ensemble, opt_states, jnp.asarray(x_train[rows]), jnp.asarray(digits.y_train[rows])
    )
    history.append(np.asarray(losses))
test_acc = jax.vmap(lambda p: accuracy(mlp(p, x_test), jnp.asarray(digits.y_test)))(ensemble)
print("ensemble test accuracies:", np.round(np.asarray(test_acc), 3))
assert float(test_acc.min()) > 0.7
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(np.array(history), alpha=0.8)
ax.set_xlabel("step")
ax.set_ylabel("training loss")
ax.set_title(f"{n_models} MLPs trained at once by one vmapped step")
plt.show()

# %% [markdown]
# ## 8. Parallelism with `pmap` — and today's API
#
# **Data parallelism**: every device holds the parameters, each gets $1/n$ of the batch.
# Because the loss is a mean, the full-batch gradient is the mean of the shards'
# gradients, $\nabla L(B) = \frac1n \sum_i \nabla L(B_i)$, so one **all-reduce** per step
# keeps all devices identical, and the result equals single-device training. Three ways
# to write it, side by side:
#
# 1. **`jit` with shardings** (the main path today): a `Mesh` of devices with an axis
#    named `"data"`, the batch placed with `NamedSharding(mesh, P("data"))`, parameters
#    replicated with `P()`. The step is the *unchanged* `jlr.train` step; XLA's SPMD
#    partitioner inserts the all-reduce.
# 2. **`shard_map` + `lax.pmean`**: the step is written per device, and the all-reduce is
#    explicit. (We pass `check_vma=False`. By default `shard_map` tracks which values vary
#    across devices, and the gradient of a replicated parameter comes back *already summed*
#    over devices — an extra `pmean` would then silently leave the gradient $n$ times too
#    large. Adam, being scale-invariant, would hide that bug; SGD exposes it.)
# 3. **`pmap`**, the older API (since JAX 0.8 built on `jit` + `shard_map`): the batch gets
#    an explicit leading device axis; the step is the same per-device function as 2.
#
# Here the devices are 8 *simulated* CPU devices sharing this machine's cores, so this is
# a demonstration of **correctness, not speed**.

# %%
mesh = dp.data_mesh()
n_dev = mesh.size
print("mesh:", dict(mesh.shape), "devices:", n_dev)
par_opt = sgd(0.1)  # (Adam would magnify float-rounding gaps in near-zero gradients)
state0 = init_train_state(init_mlp(keys["parallel"], (64, 32, 10)), par_opt, keys["train"])
batches = [
    {"x": jnp.asarray(x_train[i * 64 : (i + 1) * 64]), "y": jnp.asarray(digits.y_train[i * 64 : (i + 1) * 64])}
    for i in range(3)
]  # fmt: skip
loss_fn = training_loop.classification_loss

single, step = state0, jax.jit(make_train_step(loss_fn, par_opt))
for b in batches:
    single, _ = step(single, b)
results = {}
for name, make in [
    ("jit + NamedSharding", dp.make_sharded_step),
    ("shard_map + pmean", dp.make_shard_map_step),
]:
    state, step = dp.replicate(state0, mesh), make(loss_fn, par_opt, mesh)
    for b in batches:
        state, _ = step(state, dp.shard_batch(b, mesh))
    results[name] = state.params
pmap_step, state = dp.make_pmap_step(loss_fn, par_opt, n_dev), state0
for b in batches:
    state = dp.unreplicate(pmap_step(state, dp.split_leading(b, n_dev))[0])
results["pmap"] = state.params
for name, params in results.items():
    gap = float(jnp.max(jnp.abs(ravel_pytree(params)[0] - ravel_pytree(single.params)[0])))
    print(f"{name:>20}: max |params - single-device params| = {gap:.1e}")
    assert gap < 1e-5

sharded = dp.make_sharded_step(loss_fn, par_opt, mesh)
compiled = sharded.lower(dp.replicate(state0, mesh), dp.shard_batch(batches[0], mesh)).compile()
all_reduces = [
    line.strip()[:100] for line in compiled.as_text().splitlines() if "all-reduce(" in line
]
print(
    f"the compiler inserted {len(all_reduces)} all-reduce(s), e.g.\n  {all_reduces[0] if all_reduces else '-'}"
)
assert n_dev == 1 or all_reduces

# %% [markdown]
# **Past one machine.** The same sharded step runs across *processes*: each process calls
# `jax.distributed.initialize(coordinator_address, num_processes, process_id)`, after which
# `jax.devices()` lists every process's devices, a mesh spans them, and each process feeds
# its slice of the batch with `jax.make_array_from_process_local_data`. JLR's launcher
# starts N processes on this machine with the coordinator on 127.0.0.1:
#
#     jlr run data-parallel-mlp --processes 2
#
# and its test checks that 2 processes give the same parameters as 1. On several hosts the
# command is the same worker run once per host with the coordinator's address (see the
# README, "Running across hosts").

# %% [markdown]
# ## 9. Manual parameter management
#
# Parameters are a **pytree**: nested lists and dicts of arrays, made by an `init`
# function from a key. `jax.tree.map` applies per-leaf math (an SGD update is
# `tree.map(lambda p, g: p - lr * g, params, grads)`); `tree.flatten` gives the leaves and
# a `treedef` to rebuild the structure; concatenating the raveled leaves gives one vector
# (what second-order methods and parameter counting need); saving writes each leaf under
# its key path.

# %%
model = init_mlp(keys["init"], (64, 128, 128, 10))
for path, shape in parameters.param_shapes(model).items():
    print(f"{path:<10} {shape}")
n_params = parameters.count_params(model)
print("parameters:", n_params)
assert n_params == 64 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10
vector, unravel = parameters.ravel(model)
assert np.array_equal(vector, ravel_pytree(model)[0])
assert jax.tree.structure(unravel(vector)) == jax.tree.structure(model)
with tempfile.TemporaryDirectory() as folder:
    parameters.save_params(Path(folder) / "mlp.npz", model)
    loaded = parameters.load_params(Path(folder) / "mlp.npz", model)
assert all(
    np.array_equal(a, b)
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(model), strict=True)
)
print("ravel == jax.flatten_util.ravel_pytree, and save -> load round-trips")

# %% [markdown]
# ## 10. Training loops from scratch in JAX
#
# Everything together: a loop by hand. Step $t$ takes the batch `batch_indices(t)` (a
# pure function of the seed and $t$), the key $\mathrm{fold\_in}(k, t)$ for dropout, one
# jitted `value_and_grad`, and a `tree.map` SGD update. Then the same model through
# `jlr.train` (`make_train_step` + `sgd` + `fit`): the library loop is this loop plus
# logging, checkpoints and a `lax.scan` over steps, and the two end with the same weights.

# %%
start_params = init_mlp(keys["init"], (64, 64, 10))
dropout_loss = lambda p, b, k: training_loop.classification_loss(p, b, k, drop_prob=0.1)
train_arrays = {"x": x_train, "y": digits.y_train}
by_hand, hand_losses = training_loop.train_by_hand(
    start_params, dropout_loss, train_arrays, key=keys["train"], lr=0.2,
    batch_size=64, n_steps=N_TRAIN_STEPS, data_seed=0,
)  # fmt: skip
with tempfile.TemporaryDirectory() as run_folder:
    library_state = fit(
        init_train_state(start_params, sgd(0.2), keys["train"]),
        make_train_step(dropout_loss, sgd(0.2)),
        train_data=train_arrays, batch_size=64, total_steps=N_TRAIN_STEPS, data_seed=0,
        out_dir=Path(run_folder), eval_every=N_TRAIN_STEPS, checkpoint_every=N_TRAIN_STEPS,
        steps_per_call=50, progress=False,
    )  # fmt: skip
gap = float(jnp.max(jnp.abs(ravel_pytree(by_hand)[0] - ravel_pytree(library_state.params)[0])))
hand_acc = float(accuracy(mlp(by_hand, x_test), jnp.asarray(digits.y_test)))
print(f"hand loop vs jlr.train: max parameter gap {gap:.1e}; test accuracy {hand_acc:.3f}")
assert gap < 1e-4
assert hand_acc > (0.85 if FAST else 0.93)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(hand_losses, lw=0.8)
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("training loss")
ax.set_title("The from-scratch loop on 8x8 digits")
plt.show()

# %% [markdown]
# ## Summary
#
# - `jit` traces once: keep functions pure; effects that must run go through `jax.debug`.
# - Arrays are immutable; `.at[...]` is the update, and donation makes it free.
# - 32-bit by default, promotion without surprises, no index errors inside XLA, and static
#   vs traced values explain the errors you meet.
# - Keys are explicit and used once; JLR's code passes a reused-key check.
# - `grad` with `argnums`/`has_aux`/pytrees; `custom_vjp` when the derivative needs care.
# - Forward mode for tall Jacobians, reverse for wide ones (and for every loss).
# - `vmap` for per-example gradients and ensembles; `jit` + shardings, `shard_map`, `pmap`
#   for data parallelism, and `jax.distributed` past one machine.
