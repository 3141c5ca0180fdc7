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
# with *tracers*, stand-ins for the arrays, and records the array operations applied to
# them; `jit` records them into a program (a *jaxpr*) knowing only each argument's shape
# and dtype. That one idea explains almost every rule in this lesson: why functions must
# be pure, why arrays are immutable, why keys are explicit, why shapes must be static.
# Every demonstration is written out here in the lesson; where JLR has a library version
# (the training step of `jlr.train`, the data-parallel steps of `jlr.parallel`,
# checkpoints), the lesson checks its own code against it. What the lesson claims about
# its code is asserted, and every number it reports is printed by the code.
# The exercises are in `exercises/05_jax_core.py`; grade them with `jlr check 05`.
#
# The lesson has one root key, `root_key()` (seed 0, or the `JLR_SEED` environment
# variable), split once into keys named for their use; each is consumed once, except where
# a demonstration reuses one on purpose and says so. The first
# cell also asks XLA for 8 simulated CPU devices, for the parallelism section. The flag
# must be set before JAX starts, so it comes before `import jax`; it changes only the CPU
# backend, so on a GPU machine that section runs on the GPU(s) instead.

# %%
import os

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
).strip()

import contextlib
import io
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from jax.flatten_util import ravel_pytree
from scipy.spatial.distance import cdist

from jlr.course.lesson import root_key, show
from jlr.data import load_digits
from jlr.data.batches import batch_indices, batch_rows
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import accuracy, softmax_cross_entropy
from jlr.optim import apply_updates, sgd
from jlr.parallel import data_parallel as dp
from jlr.train import fit, init_train_state, make_multi_step, make_train_step
from jlr.train.checkpoint import load_checkpoint, save_checkpoint

N_TRAIN_STEPS = 600  # steps of the from-scratch training loop (section 10)
N_ENSEMBLE_STEPS = 300  # steps of the vmapped ensemble (section 7)

key_names = [
    "buggy_init", "fixed_init", "fold_in", "checker", "stale_scan", "demo_mlp", "demo_x",
    "matmul", "grad", "mode", "points", "per_example", "ensemble", "ensemble_data", "timing",
    "parallel", "tree", "train_init", "train", "train_data",
]  # fmt: skip
keys = dict(zip(key_names, jax.random.split(root_key(), len(key_names)), strict=True))


def seed_from(key):
    """A non-negative int seed drawn from a key, for numpy-side code such as batch_indices."""
    return int(jax.random.randint(key, (), 0, 2**31 - 1))


print("devices:", jax.device_count(), jax.devices()[0].platform)

# %% [markdown]
# ## 1. Functional programming principles
#
# A **pure function** returns a value that depends only on its arguments and changes
# nothing else. `jax.jit` relies on it: the Python body runs only when the function is
# traced (once for each new shape and dtype of its arguments, section 6), and only its
# array operations are compiled. A side effect (printing, appending to a list) therefore
# happens once, not on every call; a value read from outside (a global, a dict)
# is frozen into the program as a constant. `jax.debug.print` / `jax.debug.callback` put
# the effect *into* the compiled program, so it runs every call.

# %%
python_log, runtime_log = [], []


@jax.jit
def double(x):
    python_log.append("traced")  # a Python side effect (a stand-in for print): runs once
    jax.debug.callback(lambda value: runtime_log.append(float(value)), x)  # in the program
    return 2.0 * x


for i in range(5):
    double(jnp.float32(i)).block_until_ready()
jax.effects_barrier()  # wait for the callbacks to finish
print(f"5 calls of a jitted function: list.append ran {len(python_log)} time(s), "
      f"jax.debug.callback {len(runtime_log)}")  # fmt: skip
assert len(python_log) == 1 and sorted(runtime_log) == [0.0, 1.0, 2.0, 3.0, 4.0]

settings = {"scale": 2.0}


@jax.jit
def scale_by_setting(x):
    return settings["scale"] * x  # impure: reads the dict while tracing, bakes in 2.0


@jax.jit
def scale_pure(scale, x):
    return scale * x  # pure: everything the output depends on is an argument


before = float(scale_by_setting(jnp.float32(3.0)))
settings["scale"] = 10.0  # the compiled function never sees this
after = float(scale_by_setting(jnp.float32(3.0)))
print(f"reads a dict at trace time: {before} before, {after} after changing it")
assert before == after == 6.0
assert float(scale_pure(10.0, jnp.float32(3.0))) == 30.0


@jax.jit
def sum_of_squares(x):
    squares = x**2
    jax.debug.print("sum of squares = {s}", s=squares.sum())  # part of the program
    return squares.sum()


with contextlib.redirect_stdout(io.StringIO()) as printed:
    for _ in range(2):
        sum_of_squares(jnp.arange(3.0)).block_until_ready()
    jax.effects_barrier()
print(printed.getvalue(), end="")
assert printed.getvalue().count("sum of squares = 5") == 2  # once per call, not per trace

# %% [markdown]
# Randomness is where purity shows most. numpy's `np.random.normal()` reads and advances a
# hidden global state, an impure function. JAX's generator is a pure function of a **key**:
# the same key gives the same numbers, always. New randomness comes from deriving new keys:
# `split(key)` gives independent children, `fold_in(key, t)` gives the key of step $t$
# (reproducible and resumable). The corollary: **a key must be consumed only once**. Reuse
# it and two "independent" draws are identical — here, two layers with the same weights.


# %%
def init_two_layers_buggy(key, d_in, d_out):
    """A BUG on purpose: two layers initialised from one key get identical weights."""
    return {
        "w1": jax.random.normal(key, (d_in, d_out)),
        "w2": jax.random.normal(key, (d_in, d_out)),  # same key -> same numbers
    }


def init_two_layers(key, d_in, d_out):
    """The fix: split the key, one child per layer."""
    w1_key, w2_key = jax.random.split(key)
    return {
        "w1": jax.random.normal(w1_key, (d_in, d_out)),
        "w2": jax.random.normal(w2_key, (d_in, d_out)),
    }


bad = init_two_layers_buggy(keys["buggy_init"], 3, 2)
good = init_two_layers(keys["fixed_init"], 3, 2)
print("reused key -> identical layers:", bool(np.array_equal(bad["w1"], bad["w2"])))
assert np.array_equal(bad["w1"], bad["w2"]) and not np.allclose(good["w1"], good["w2"])
step_keys = [jax.random.fold_in(keys["fold_in"], t) for t in range(3)]
draws = [float(jax.random.normal(step_key)) for step_key in step_keys]
print("fold_in(key, t) for t = 0, 1, 2:", np.round(draws, 3))
assert len(set(draws)) == 3  # a different key, so different numbers, at every step
# "Resume" at step 2: re-derive its key from (key, 2), as a restarted run would. Drawing
# from it again is deliberate: it shows the draw is the same, with nothing to replay.
resumed = float(jax.random.normal(jax.random.fold_in(keys["fold_in"], 2)))
assert resumed == draws[2]

# %% [markdown]
# A key is an array value, so its reuse is visible in the program JAX records: in the
# jaxpr of the buggy init, two equations read the one input key (each a call of
# `_normal`, inside which `random_bits` turns the key into bits). JAX's own checker,
# `jax.debug_key_reuse(True)`, follows every key through `jit`, `scan` and nested calls
# and raises `KeyReuseError` when one is consumed twice. It catches the bug above, and a
# `scan` whose body draws from the same key on every iteration; JLR's init, its MLP with
# dropout and its scanned training step (section 10) pass.

# %%
# make_jaxpr only traces: it reads the key's type, not its value, so nothing is consumed
bug_jaxpr = jax.make_jaxpr(lambda k: init_two_layers_buggy(k, 3, 2))(keys["buggy_init"])
print(bug_jaxpr)
key_var = bug_jaxpr.jaxpr.invars[0]
readers = [eqn.primitive.name for eqn in bug_jaxpr.jaxpr.eqns if key_var in eqn.invars]
assert len(readers) == 2 and "random_bits" in str(bug_jaxpr)  # two computations, one key


def reuses_a_key(fn, *args):
    """True when JAX's runtime checker finds a key consumed twice in jit(fn)(*args)."""
    with jax.debug_key_reuse(True):
        try:
            jax.block_until_ready(jax.jit(fn)(*args))
        except jax.errors.KeyReuseError:
            return True
    return False


def noise_with_stale_key(key):
    """A BUG on purpose: the scan body draws from the carried key and never replaces it."""
    return jax.lax.scan(lambda k, _: (k, jax.random.normal(k)), key, None, length=3)[1]


def noise_with_fresh_keys(key):
    def body(k, _):
        k, draw_key = jax.random.split(k)  # carry one child, consume the other
        return k, jax.random.normal(draw_key)

    return jax.lax.scan(body, key, None, length=3)[1]


params_demo = init_mlp(keys["demo_mlp"], (5, 8, 3))
x_demo = jax.random.normal(keys["demo_x"], (4, 5))
y_demo = jnp.array([0, 1, 2, 0])


def dropout_cross_entropy(params, batch, key):
    logits = mlp(params, batch["x"], drop_prob=0.5, key=key)  # (batch, 3)
    return jnp.mean(softmax_cross_entropy(logits, batch["y"])), {}


scanned_steps = make_multi_step(make_train_step(dropout_cross_entropy, sgd(0.1)))
checker_keys = jax.random.split(keys["checker"], 6)  # one fresh key per program checked
paths = {
    "the buggy init": (lambda k: init_two_layers_buggy(k, 3, 2), (checker_keys[0],)),
    "scan, stale key": (noise_with_stale_key, (checker_keys[1],)),
    "scan, split key": (noise_with_fresh_keys, (checker_keys[2],)),
    "jlr init_mlp": (lambda k: init_mlp(k, (5, 8, 3)), (checker_keys[3],)),
    "jlr mlp, dropout": (
        lambda p, x, k: mlp(p, x, drop_prob=0.5, key=k),
        (params_demo, x_demo, checker_keys[4]),
    ),
    "jlr train, 3 steps": (
        scanned_steps,
        (
            init_train_state(params_demo, sgd(0.1), checker_keys[5]),
            {"x": x_demo, "y": y_demo},
            jnp.zeros((3, 4), jnp.int32),  # the rows of 3 steps
        ),
    ),
}
findings = {name: reuses_a_key(fn, *args) for name, (fn, args) in paths.items()}
for name, reused in findings.items():
    print(f"{name:>18}: {'KeyReuseError' if reused else 'no key reused'}")
stale = noise_with_stale_key(keys["stale_scan"])
print("the stale-key scan draws the same number 3 times:", np.round(np.asarray(stale), 3))
assert bool(jnp.all(stale == stale[0]))
assert findings == {
    "the buggy init": True,
    "scan, stale key": True,
    "scan, split key": False,
    "jlr init_mlp": False,
    "jlr mlp, dropout": False,
    "jlr train, 3 steps": False,
}

# %% [markdown]
# ## 2. Pure functions and immutability
#
# JAX arrays cannot be changed in place; `x[0] = 1` is a `TypeError`. The functional form
# `x.at[i].set(v)` (and `.add`, `.multiply`, `.min`, `.max`, `.get`) returns a *new* array.
# Repeated indices in `.add` accumulate, like `np.add.at`. Copies sound expensive, but under
# `jit` XLA can update a buffer in place when the old value is not used afterwards, and
# `donate_argnums` lets an output reuse an input's buffer (the caller's array is then
# marked deleted).

# %%
x = jnp.zeros((3, 2))
try:
    x[0, 0] = 1.0
    raise AssertionError("a JAX array accepted an in-place update")
except TypeError as error:
    print("x[0, 0] = 1 ->", str(error).splitlines()[0][:90])
    assert "immutable" in str(error)
y = x.at[1].set(jnp.array([7.0, 8.0]))  # a copy of x with row 1 replaced
print("x unchanged:", np.asarray(x).tolist(), " y:", np.asarray(y).tolist())
assert float(jnp.abs(x).sum()) == 0.0 and float(y[1, 1]) == 8.0
indices = jnp.array([0, 2, 2, 4, 0])
added = jnp.zeros(5).at[indices].add(jnp.ones(5))  # scatter-add: repeats accumulate
expected = np.zeros(5)
np.add.at(expected, np.asarray(indices), 1.0)
print("scatter-add with repeats:", np.asarray(added), "== np.add.at:", expected)
assert np.array_equal(added, expected)

add_into_first = jax.jit(lambda a, b: a + b, donate_argnums=0)  # output reuses a's buffer
params_buffer = jnp.ones(4)
new_params = add_into_first(params_buffer, jnp.ones(4))
print("after a donated update the input is deleted:", params_buffer.is_deleted())
assert params_buffer.is_deleted() and np.array_equal(new_params, 2.0 * np.ones(4))

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
names = [np.dtype(d).name for d in dtypes]
table = {(a, b): np.dtype(jnp.result_type(a, b)).name for a in names for b in names}
print("jnp.result_type(row, column):")
print(" " * 9 + "".join(f"{n:>9}" for n in names))
for a in names:
    print(f"{a:>9}" + "".join(f"{table[(a, b)]:>9}" for b in names))
assert table[("float16", "int32")] == "float16" and table[("int8", "uint8")] == "int16"
assert np.result_type(np.float16, np.int32) == np.float64  # numpy widens; JAX does not
assert (jnp.ones(2, jnp.float16) * 2.0).dtype == jnp.float16  # a weak Python scalar
with jax.enable_x64(False):
    x64_off = jnp.array(1.0).dtype.name
with jax.enable_x64(True):
    x64_on = jnp.array(1.0).dtype.name
print(f"jnp.array(1.0).dtype: {x64_off} (x64 off), {x64_on} (x64 on)")
assert (x64_off, x64_on) == ("float32", "float64")
x = jnp.arange(3.0)
oob_read = x[10]  # clamped to the last element
oob_fill = x.at[10].get(mode="fill", fill_value=jnp.nan)
oob_write = x.at[10].set(-1.0)  # dropped
print(f"x = [0, 1, 2]; x[10] = {float(oob_read)} (clamped), fill mode -> {float(oob_fill)}")
assert float(oob_read) == 2.0 and np.isnan(oob_fill) and np.array_equal(oob_write, x)

# %% [markdown]
# ### Matmul precision: a float32 matmul is not always computed in float32
#
# "float32" names how an array is *stored*, not how a matrix product is *computed*.
# Accelerators offer faster, less precise ways to multiply float32 matrices. NVIDIA GPUs
# from the Ampere generation on (A100, H100, H200) have tensor cores that use
# **TF32** ("TensorFloat-32"): each input is rounded to 10 mantissa bits (float32 has 23)
# and the products are accumulated in float32. One rounding to 10 bits has a relative error
# of at most $2^{-11} \approx 4.9 \times 10^{-4}$, against $2^{-24} \approx 6 \times 10^{-8}$
# for float32, so a TF32 matmul is good to about three decimal digits; TPUs similarly
# use bfloat16 (7 mantissa bits). On a GPU, JAX's *default* precision for
# float32 matmuls and convolutions lets XLA use TF32. Two controls choose otherwise:
# - `with jax.default_matmul_precision("highest"):` sets the default for every matmul,
#   `einsum` and convolution traced inside the block (`"default"`, `"high"`, `"highest"`;
#   `"highest"` is full float32);
# - `precision="highest"` (or `jax.lax.Precision.HIGHEST`) on one op: `jnp.matmul`,
#   `jnp.dot`, `jnp.einsum`, `jax.lax.dot_general`.
#
# Below, a $512 \times 512$ float32 product at default and at highest precision is compared
# with a float64 numpy oracle, by the relative error
# $\lVert C - C_{64} \rVert_F / \lVert C_{64} \rVert_F$. A CPU has no TF32: there both
# precisions are plain float32 and give the same error. To see TF32's error on any machine,
# the cell also *simulates* it: it rounds the inputs to 10 mantissa bits and multiplies them
# in float64, whose own rounding is negligible next to TF32's.
#
# **JLR's policy:** wherever a result is compared with an oracle at a tolerance tighter than
# about $10^{-3}$, the computation runs at full precision, inside
# `jax.default_matmul_precision("highest")` or with `precision=` on the op, so that the
# comparison holds on a GPU as on a CPU. Training itself runs at the default. The sections
# below follow the policy wherever they compare.

# %%
backend = jax.default_backend()
a_key, b_key = jax.random.split(keys["matmul"])
mat_a = jax.random.normal(a_key, (512, 512))
mat_b = jax.random.normal(b_key, (512, 512))
oracle = np.asarray(mat_a, np.float64) @ np.asarray(mat_b, np.float64)  # (512, 512)


def relative_error(product):
    """||product - oracle||_F / ||oracle||_F, computed in float64."""
    return float(np.linalg.norm(np.asarray(product, np.float64) - oracle) / np.linalg.norm(oracle))


def round_to_tf32(x):
    """Round float32 values to TF32's 10 mantissa bits (round half to even), as float64."""
    bits = np.asarray(x, np.float32).view(np.uint32)
    dropped = np.uint32(13)  # float32 keeps 23 mantissa bits, TF32 10
    halfway = np.uint32(0xFFF) + ((bits >> dropped) & np.uint32(1))
    rounded = (bits + halfway) & np.uint32(0xFFFFE000)
    return rounded.view(np.float32).astype(np.float64)


matmul = jax.jit(jnp.matmul)
with jax.default_matmul_precision("highest"):
    highest_product = matmul(mat_a, mat_b)  # traced anew: precision is part of the cache key
precision_errors = {
    "default precision": relative_error(matmul(mat_a, mat_b)),
    "default_matmul_precision('highest')": relative_error(highest_product),
    "precision='highest' on the op": relative_error(jnp.matmul(mat_a, mat_b, precision="highest")),
    "simulated TF32 (numpy)": relative_error(round_to_tf32(mat_a) @ round_to_tf32(mat_b)),
}
print(f"backend: {backend}; relative error of a 512x512 float32 matmul vs float64:")
for name, error in precision_errors.items():
    print(f"{name:>36}: {error:.1e}")
full_fp32 = precision_errors["default_matmul_precision('highest')"]
assert full_fp32 < 1e-5 and precision_errors["precision='highest' on the op"] < 1e-5
assert 1e-4 < precision_errors["simulated TF32 (numpy)"] < 2e-3  # about 3 decimal digits
assert precision_errors["simulated TF32 (numpy)"] > 100 * full_fp32
if backend == "cpu":  # no TF32 on a CPU: the default is full float32
    assert precision_errors["default precision"] == full_fp32

# %% [markdown]
# Under `jit` every argument is an abstract value, known by shape and dtype only. Code
# that needs the *value* fails while tracing. These are the errors you will meet first:

# %%
EXPLANATIONS = {
    "TracerBoolConversionError": (
        "a Python `if`/`while` on a traced value: use jnp.where, lax.cond or lax.while_loop, "
        "or make the argument static"
    ),
    "ConcretizationTypeError": (
        "a concrete Python value was needed from a traced array (float(x), a shape, a "
        "data-dependent size): pass it as a static argument or keep it inside jnp"
    ),
    "TypeError": (
        "usually a shape built from a traced value: shapes must be known at trace time, so "
        "pass sizes as static arguments"
    ),
    "ValueError": (
        "a static argument must be hashable (it keys the compilation cache): pass a tuple, "
        "not a list or an array"
    ),
}


def jit_error(fn, *args, static_argnums=()):
    """The class name of the error jax.jit(fn)(*args) raises, or None if it runs."""
    try:
        jax.jit(fn, static_argnums=static_argnums)(*args)
    except Exception as error:  # the point is to show which error it is
        return type(error).__name__
    return None


errors = {
    "python if on a tracer": jit_error(lambda x: x if x > 0 else -x, 1.0),
    "float() of a tracer": jit_error(lambda x: float(x), 1.0),
    "shape from a tracer": jit_error(lambda n: jnp.zeros(n), 3),
    "shape from a static arg": jit_error(lambda n: jnp.zeros(n), 3, static_argnums=0),
    "non-hashable static arg": jit_error(
        lambda x, sizes: x * len(sizes), 1.0, [1, 2], static_argnums=1
    ),
    "data-dependent size": jit_error(lambda x: x[jnp.nonzero(x)[0]], jnp.arange(3.0)),
}
for cause, error in errors.items():
    meaning = EXPLANATIONS.get(error, "fine: the size is a compile-time constant")
    print(f"{cause:>25}: {error or 'runs'}\n{'':>27}{meaning}")
assert errors == {
    "python if on a tracer": "TracerBoolConversionError",
    "float() of a tracer": "ConcretizationTypeError",
    "shape from a tracer": "TypeError",
    "shape from a static arg": None,
    "non-hashable static arg": "ValueError",
    "data-dependent size": "ConcretizationTypeError",
}

# %% [markdown]
# ## 4. Automatic differentiation (`grad`)
#
# `jax.grad(f)` returns a function computing $\nabla f$ by reverse mode. Its options:
# `argnums` picks which argument(s) to differentiate, `has_aux=True` lets $f$ return
# `(loss, extras)`, `value_and_grad` returns the loss too, and the argument may be any
# pytree (the gradient has the same structure). `stop_gradient(x)` is $x$ going forward
# and a constant going back — the *straight-through* estimator uses it to give `round` an
# identity gradient: $x + \mathrm{sg}(\mathrm{round}(x) - x)$.
#
# The oracle is the definition of the derivative: central differences
# $\partial_i f \approx (f(x + \epsilon e_i) - f(x - \epsilon e_i)) / 2\epsilon$, in float64.
# The tolerances below are tighter than TF32 meets, so, by the policy of section 3, the
# JAX side runs at `"highest"` precision.


# %%
def finite_difference_grad(f, x, eps=1e-6):
    """Central differences of f: (n,) -> () at x, on float64 numpy arrays.  -> (n,)."""
    x = np.asarray(x, dtype=np.float64)
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])


def mse_with_aux(params, x, y):
    """loss = mean((x w + b - y)^2), with the predictions as aux.  x: (batch, d), y: (batch,)."""
    pred = x @ params["w"] + params["b"]  # (batch,)
    return jnp.mean((pred - y) ** 2), {"pred": pred}


w_key, x_key, y_key = jax.random.split(keys["grad"], 3)
lin = {"w": jax.random.normal(w_key, (3,)), "b": jnp.array(0.5)}
xs, ys = jax.random.normal(x_key, (8, 3)), jax.random.normal(y_key, (8,))
with jax.default_matmul_precision("highest"):  # compared with an oracle below
    (loss, aux), grads = jax.value_and_grad(mse_with_aux, has_aux=True)(lin, xs, ys)
    # argnums=1: d loss / d inputs, the "saliency" of every input number
    saliency = jax.grad(lambda p, x: mse_with_aux(p, x, ys)[0], argnums=1)(lin, xs)  # (8, 3)
print("loss", float(loss), " grads:", jax.tree.map(jnp.shape, grads), " aux:", list(aux))
xs64, ys64 = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
fd = finite_difference_grad(lambda w: np.mean((xs64 @ w + 0.5 - ys64) ** 2), lin["w"])
print("grad w:", np.asarray(grads["w"]), " finite differences:", fd)
assert np.allclose(grads["w"], fd, rtol=1e-3, atol=1e-4)
w64 = np.asarray(lin["w"], np.float64)
fd_inputs = finite_difference_grad(
    lambda flat: np.mean((flat.reshape(8, 3) @ w64 + 0.5 - ys64) ** 2), xs64.ravel()
)
assert saliency.shape == xs.shape
assert np.allclose(saliency, fd_inputs.reshape(8, 3), rtol=1e-3, atol=1e-5)


def straight_through_round(x):
    """round(x) forward, identity backward: x + stop_gradient(round(x) - x)."""
    return x + jax.lax.stop_gradient(jnp.round(x) - x)


st = jax.grad(lambda v: jnp.sum(straight_through_round(v) ** 2))(jnp.array([0.2, 1.7]))
print("straight-through round: gradient", np.asarray(st), "= 2 round(x)")
assert np.allclose(st, [0.0, 4.0])

# %% [markdown]
# **Custom derivative rules.** $\mathrm{softplus}(x) = \log(1 + e^x)$ written naively
# overflows in float32 for $x > \log(\text{float32 max}) \approx 88.7$, and autodiff of
# the naive formula gives $e^x / (1 + e^x) = \infty/\infty = \mathrm{NaN}$ there. `jax.custom_vjp` lets us state the
# derivative ourselves, $\mathrm{softplus}'(x) = \sigma(x)$, which is stable everywhere,
# next to a stable forward pass $\max(x, 0) + \log(1 + e^{-|x|})$. The same tool can
# *clip the gradient* in the backward pass while the forward pass stays the identity:
# $g \mapsto g \min(1, c / \lVert g \rVert)$.


# %%
def naive_softplus(x):
    return jnp.log(1.0 + jnp.exp(x))  # e^x overflows to inf for x > ~88 in float32


@jax.custom_vjp
def stable_softplus(x):
    """log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}), finite for all finite x."""
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def softplus_forward(x):
    return stable_softplus(x), x  # (output, residual saved for the backward pass)


def softplus_backward(x, g):
    return (g * jax.nn.sigmoid(x),)  # d/dx softplus = sigmoid(x), stable for all x


stable_softplus.defvjp(softplus_forward, softplus_backward)


@jax.custom_vjp
def clip_gradient(x, max_norm):
    """Identity forward; the backward pass rescales the gradient to norm <= max_norm."""
    return x


def clip_forward(x, max_norm):
    return x, max_norm


def clip_backward(max_norm, g):
    scale = jnp.minimum(1.0, max_norm / (jnp.linalg.norm(g) + 1e-12))
    return g * scale, None  # no gradient for max_norm


clip_gradient.defvjp(clip_forward, clip_backward)

grid = jnp.linspace(-100.0, 100.0, 401)
naive_grad = jax.vmap(jax.grad(naive_softplus))(grid)
stable_grad = jax.vmap(jax.grad(stable_softplus))(grid)
n_nan = int(jnp.isnan(naive_grad).sum())
print(f"naive softplus: {n_nan} NaN gradients on [-100, 100]; custom_vjp: "
      f"{int(jnp.isnan(stable_grad).sum())}")  # fmt: skip
overflow_at = float(np.log(np.finfo(np.float32).max))  # e^x = inf in float32 beyond this
print(f"e^x overflows float32 for x > {overflow_at:.2f}: {int((grid > overflow_at).sum())} "
      "points of the grid")  # fmt: skip
assert n_nan == int((grid > overflow_at).sum()) and bool(jnp.isfinite(stable_grad).all())
probe = np.array([-30.0, -2.0, 0.5, 3.0, 40.0])
fd_softplus = finite_difference_grad(lambda v: np.logaddexp(0, v).sum(), probe)
assert np.allclose(jax.grad(lambda v: stable_softplus(v).sum())(probe), fd_softplus,
                   rtol=1e-4, atol=1e-6)  # fmt: skip
# jax.nn.softplus is the library version: same values, same gradients, on the whole grid
assert np.allclose(stable_softplus(grid), jax.nn.softplus(grid), rtol=1e-6, atol=1e-6)
assert np.allclose(stable_grad, jax.vmap(jax.grad(jax.nn.softplus))(grid), rtol=1e-6, atol=1e-7)
clipped = jax.grad(lambda v: jnp.sum(10.0 * clip_gradient(v, 1.0)))(jnp.ones(4))
print("gradient through clip_gradient(max_norm=1):", np.asarray(clipped))
assert np.isclose(jnp.linalg.norm(clipped), 1.0, rtol=1e-5)
unclipped = jax.grad(lambda v: jnp.sum(0.1 * clip_gradient(v, 1.0)))(jnp.ones(4))
assert np.allclose(unclipped, 0.1, rtol=1e-6)  # under the cap the gradient is unchanged

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(grid, naive_grad, label="grad of naive softplus", lw=3, alpha=0.6)
ax.plot(grid, stable_grad, "--", label="custom_vjp: sigmoid(x)")
ax.set_xlabel("x")
ax.set_title("NaN where the naive gradient overflows (the line stops)")
ax.legend()
show("softplus-gradients")

# %% [markdown]
# ## 5. Forward-mode vs reverse-mode AD
#
# For $F: \mathbb{R}^n \to \mathbb{R}^m$ with Jacobian $J \in \mathbb{R}^{m \times n}$,
# `jvp` computes $Jv$ (a column's worth, pushing a tangent forward) and `vjp` computes
# $u^\top J$ (a row, pulling a cotangent back). Each costs a small constant times one
# evaluation of $F$, so the full Jacobian takes $n$ forward sweeps or $m$ reverse sweeps:
# forward wins for tall Jacobians ($n < m$), reverse for wide ones ($n > m$) — and a loss
# has $m = 1$, which is why training uses reverse mode. `linearize` runs the forward pass
# once and returns $v \mapsto Jv$ for many $v$. Below, the Jacobian is built both ways,
# one basis vector per sweep, the sweeps batched with `vmap`, and checked against
# `jax.jacfwd` / `jax.jacrev`.


# %%
def jacobian_by_jvp(f, x):
    """J column by column: J[:, i] = jvp(f, x, e_i).  x: (n,) -> (m, n)."""
    basis = jnp.eye(x.size, dtype=x.dtype)  # (n, n): one tangent per row
    columns = jax.vmap(lambda v: jax.jvp(f, (x,), (v,))[1])(basis)  # (n, m)
    return columns.T  # (m, n)


def jacobian_by_vjp(f, x):
    """J row by row: J[j, :] = vjp(f, x)(e_j).  x: (n,) -> (m, n)."""
    y, pullback = jax.vjp(f, x)
    basis = jnp.eye(y.size, dtype=y.dtype)  # (m, m): one cotangent per row
    return jax.vmap(lambda u: pullback(u)[0])(basis)  # (m, n)


x0_key, tangent_key, net_key = jax.random.split(keys["mode"], 3)
F = lambda v: jnp.concatenate([jnp.sin(v) * v.sum(), jnp.tanh(v[:2])])  # (4,) -> (6,)
x0 = jax.random.normal(x0_key, (4,))
J = jax.jacfwd(F)(x0)
assert np.allclose(jacobian_by_jvp(F, x0), J, atol=1e-6)
assert np.allclose(jacobian_by_vjp(F, x0), jax.jacrev(F)(x0), atol=1e-6)
tangents = jax.random.normal(tangent_key, (3, 4))
_, jvp_at_x0 = jax.linearize(F, x0)  # one forward pass, then v -> J v for any v
expected_jvps = jnp.matmul(tangents, J.T, precision="highest")  # (3, 6): the oracle, fp32
assert np.allclose(jax.vmap(jvp_at_x0)(tangents), expected_jvps, atol=1e-5)
print("J by jvp columns == J by vjp rows == jacfwd:", J.shape)
for n_in, n_out in [(1000, 1), (2, 500), (64, 64)]:
    mode = "forward" if n_in < n_out else "reverse" if n_in > n_out else "either"
    print(f"n={n_in:>5}, m={n_out:>4}: {n_in} forward or {n_out} reverse sweeps -> {mode}")

# %% [markdown]
# The cost model measured: for a small network $F(x) = W_2 \tanh(W_1 x)$ with $m = 16$
# outputs, count the floating-point operations of the programs XLA compiles for `jacfwd`
# and `jacrev` (`cost_analysis()`: XLA's own count, the same on every run, unlike a
# timing) and time them as the input size $n$ grows. The flop ratio crosses 1 at $n = m$,
# as the sweep count predicts. The time ratio need not: at these sizes a call costs
# microseconds, and fixed per-call overheads weigh as much as the arithmetic, so the cell
# prints where the time ratio crosses 1 on the machine it runs on and asserts nothing about
# it (`benchmarks/bench_jax_core.py` sweeps both $n$ and $m$ at larger sizes).


# %%
def best_seconds_per_call(fn, *args, repeats=7, number=10):
    """The fastest of `repeats` timings of `number` calls, per call: the minimum is the
    least disturbed by other programs sharing the machine (as in Python's timeit)."""
    jax.block_until_ready(fn(*args))  # warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            out = fn(*args)
        jax.block_until_ready(out)
        best = min(best, (time.perf_counter() - start) / number)
    return best


sizes = [2, 4, 16, 64, 256, 1024]
ratios, flop_ratios = [], []
for n_in in sizes:
    w1_key, w2_key = jax.random.split(jax.random.fold_in(net_key, n_in))
    W1 = jax.random.normal(w1_key, (32, n_in)) / np.sqrt(n_in)
    W2 = jax.random.normal(w2_key, (16, 32)) / np.sqrt(32)
    net = lambda v, W1=W1, W2=W2: W2 @ jnp.tanh(W1 @ v)  # (n,) -> (16,)
    timings, flops = {}, {}
    for name, transform in [("fwd", jax.jacfwd), ("rev", jax.jacrev)]:
        jac = jax.jit(transform(net)).lower(jnp.ones(n_in)).compile()
        flops[name] = jac.cost_analysis()["flops"]
        timings[name] = best_seconds_per_call(jac, jnp.ones(n_in))
    ratios.append(timings["fwd"] / timings["rev"])
    flop_ratios.append(flops["fwd"] / flops["rev"])
    print(f"n={n_in:>5}, m=16: jacfwd {timings['fwd'] * 1e6:8.1f} us, "
          f"jacrev {timings['rev'] * 1e6:8.1f} us, time ratio {ratios[-1]:.2f}, "
          f"flop ratio {flop_ratios[-1]:.2f}")  # fmt: skip
time_crossing = next((n for n, r in zip(sizes, ratios, strict=True) if r > 1), None)
print(f"flop ratio 1 at n = {sizes[int(np.argmin(np.abs(np.log(flop_ratios))))]}; "
      f"time ratio first above 1 at n = {time_crossing} on {backend}")  # fmt: skip
assert flop_ratios[0] < 1 < flop_ratios[-1]  # forward wins at n = 2, reverse at n >> 16
assert 0.8 < flop_ratios[sizes.index(16)] < 1.25  # the crossover is at n = m = 16
fig, ax = plt.subplots(figsize=(6, 3))
ax.loglog(sizes, ratios, "o-", label="time")
ax.loglog(sizes, flop_ratios, "s--", label="flops")
ax.axhline(1.0, color="gray", ls=":")
ax.axvline(16, color="gray", ls="--", label="n = m = 16")
ax.set_xlabel("input size n")
ax.set_ylabel("jacfwd / jacrev")
ax.legend()
show("jacfwd-vs-jacrev")

# %% [markdown]
# ## 6. JIT compilation (`jit`) and XLA
#
# `jit` goes function $\to$ **jaxpr** (JAX's trace) $\to$ **StableHLO** (the lowered
# program) $\to$ XLA **executable** (fused, optimized machine code). Each stage is one
# call: `jax.make_jaxpr(f)(x)`, `jax.jit(f).lower(x)`, `.compile()`. The executable is
# cached by the arguments' shapes and dtypes, by the values of static arguments and by
# trace-time settings such as the matmul precision of section 3, so a new shape means a
# new trace and compile. To count them, use section 1's lesson: a
# Python side effect runs once per trace.

# %%
g = lambda v: jnp.sin(v) * 2.0 + 1.0
jaxpr = jax.make_jaxpr(g)(jnp.ones(3))
print(jaxpr)
lowered = jax.jit(g).lower(jnp.ones(3))
hlo = lowered.as_text()
print("\n".join(line for line in hlo.splitlines() if "stablehlo." in line))
assert "sin" in str(jaxpr) and "stablehlo.sine" in hlo
executable_text = lowered.compile().as_text()
entry = executable_text[executable_text.index("ENTRY") :]  # the program's top level
print(entry.strip())
# XLA fused sin, mul and add into one kernel: the top level calls one fusion, and none of
# the three operations is left outside it
assert entry.count("fusion(") == 1
assert not any(op in entry for op in (" sine(", " multiply(", " add("))

big = jnp.ones(1000)
start = time.perf_counter()
compiled = jax.jit(g).lower(big).compile()
compile_s = time.perf_counter() - start
run_s = []
for _ in range(5):
    start = time.perf_counter()
    compiled(big).block_until_ready()
    run_s.append(time.perf_counter() - start)
print(f"trace + lower + compile {compile_s * 1e3:.3f} ms, best run {min(run_s) * 1e3:.3f} ms")
assert compile_s > min(run_s)


def count_traces(fn, calls, **jit_kwargs):
    """How many times jax.jit(fn, **jit_kwargs) traces (so compiles) over the calls."""
    traces = []

    def counted(*args):
        traces.append(1)  # a Python side effect: runs once per trace
        return fn(*args)

    jitted = jax.jit(counted, **jit_kwargs)
    for args in calls:
        jax.block_until_ready(jitted(*args))
    return len(traces)


def power(x, n):
    """x**n by n multiplications: a Python loop over n, so n must be static under jit."""
    result = jnp.ones_like(x)
    for _ in range(n):
        result = result * x
    return result


calls = [(jnp.ones(3),), (jnp.zeros(3),), (jnp.ones(4),), (jnp.ones(3, jnp.int32),)]
n_traces = count_traces(g, calls)
print(f"4 calls with shapes (3,), (3,), (4,), int (3,) -> {n_traces} compilations")
assert n_traces == 3
static_calls = [(jnp.ones(2), 2), (jnp.ones(2), 2), (jnp.ones(2), 3)]
n_static = count_traces(power, static_calls, static_argnums=1)
print(f"power(x, n) with n static, n = 2, 2, 3 -> {n_static} compilations")
assert n_static == 2
assert jit_error(power, jnp.ones(2), 3) == "TracerIntegerConversionError"  # n not static
assert float(jax.jit(power, static_argnums=1)(jnp.float32(2.0), 5)) == 32.0

# %% [markdown]
# The payoff: an MLP training step run eagerly dispatches every operation from Python;
# jitted, it is one compiled program. (`donate_argnums=0` lets the new parameters reuse the
# old parameters' buffers.) The loss has the signature `jlr.train` expects,
# `loss_fn(params, batch, key) -> (loss, aux)`, so sections 8 and 10 reuse it.


# %%
def classification_loss(params, batch, key, drop_prob=0.0):
    """Mean cross-entropy of the MLP on a batch, and its accuracy as aux.

    batch: {"x": (batch, d_in), "y": (batch,) int} -> ((), {"accuracy": ()})
    """
    logits = mlp(params, batch["x"], drop_prob=drop_prob, key=key)  # (batch, n_classes)
    loss = jnp.mean(softmax_cross_entropy(logits, batch["y"]))
    return loss, {"accuracy": accuracy(logits, batch["y"])}


digits = load_digits(test_fraction=0.2, seed=0)
x_train = digits.x_train.reshape(len(digits.x_train), -1)  # (n, 64)
x_test = jnp.asarray(digits.x_test.reshape(len(digits.x_test), -1))
batch = {"x": jnp.asarray(x_train[:64]), "y": jnp.asarray(digits.y_train[:64])}
optimizer = sgd(0.1)


def mlp_step(params, opt_state, batch):
    (loss, _), grads = jax.value_and_grad(classification_loss, has_aux=True)(params, batch, None)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return apply_updates(params, updates), opt_state, loss


timing_params = init_mlp(keys["timing"], (64, 128, 128, 10))


def seconds_per_step(step, n):
    """Mean seconds per call of step over n calls, after one untimed (compiling) call."""
    params = jax.tree.map(jnp.copy, timing_params)  # a copy: the jitted step donates it
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
# where the batch axis goes in the output. Two `vmap`s turn a distance between two points
# into the matrix of all pairwise distances. Two things that are awkward otherwise become
# one line: **per-example gradients**, `vmap(grad(loss), in_axes=(None, 0, 0))`, and an
# **ensemble**: stack the parameters of $k$ models along a new axis and `vmap` the train
# step over it, so $k$ models train in one compiled program. The checks against a loop
# over examples and against one model trained alone compare at tolerances TF32 does not
# meet, so they run at `"highest"` precision (section 3); the ensemble trains at the
# default, for 300 steps, after which its 4 models score above 0.9 test accuracy on
# average and each above 0.85.

# %%
distance = lambda u, v: jnp.sqrt(jnp.sum((u - v) ** 2))  # one pair: (d,), (d,) -> ()
pairwise = jax.vmap(jax.vmap(distance, in_axes=(None, 0)), in_axes=(0, None))
points_a, points_b = jax.random.normal(keys["points"], (2, 5, 3))  # 2 sets of 5 points
distances = pairwise(points_a, points_b)  # (5, 5); no matmul, so no precision concern
assert np.allclose(distances, cdist(points_a, points_b), rtol=1e-5, atol=1e-5)


def example_loss(params, x, y):
    """Cross-entropy of the MLP on ONE example.  x: (d_in,), y: () int -> ()."""
    return softmax_cross_entropy(mlp(params, x), y)


def batch_loss(params, x, y):
    """Mean of example_loss over a batch, batched by vmap.  x: (batch, d_in) -> ()."""
    return jnp.mean(jax.vmap(example_loss, in_axes=(None, 0, 0))(params, x, y))


small = init_mlp(keys["per_example"], (64, 32, 10))
xb, yb = batch["x"][:8], batch["y"][:8]
with jax.default_matmul_precision("highest"):  # compared with a loop at atol 1e-6 below
    per_example = jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(small, xb, yb)
    loop_grad = jax.grad(example_loss)(small, xb[3], yb[3])  # example 3 on its own
    full_batch = jax.grad(batch_loss)(small, xb, yb)
print("per-example gradient shapes:", jax.tree.map(jnp.shape, per_example)[0])
assert np.allclose(per_example[0]["w"][3], loop_grad[0]["w"], rtol=1e-5, atol=1e-6)
mean_of_examples = jax.tree.map(lambda g: g.mean(0), per_example)
assert np.allclose(ravel_pytree(mean_of_examples)[0], ravel_pytree(full_batch)[0],
                   rtol=1e-5, atol=1e-6)  # fmt: skip
tree_norm = lambda tree: jnp.sqrt(sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(tree)))
norms = jax.vmap(tree_norm)(per_example)
print("per-example gradient norms:", np.round(np.asarray(norms), 2))

n_models = 4
model_keys = jax.random.split(keys["ensemble"], n_models)
ensemble = jax.vmap(lambda k: init_mlp(k, (64, 32, 10)))(model_keys)  # leaves: (4, ...)
ensemble_opt = sgd(0.2)


def one_model_step(params, opt_state, x, y):
    loss, grads = jax.value_and_grad(batch_loss)(params, x, y)
    updates, opt_state = ensemble_opt.update(grads, opt_state, params)
    return apply_updates(params, updates), opt_state, loss


# the models are mapped, the batch is shared: in_axes 0 for params and state, None for data
ensemble_step = jax.jit(jax.vmap(one_model_step, in_axes=(0, 0, None, None)))
opt_states = jax.vmap(ensemble_opt.init)(ensemble)
model_2 = jax.tree.map(lambda leaf: leaf[2], ensemble)  # the third model's parameters
with jax.default_matmul_precision("highest"):  # compared at atol 1e-6 below
    stepped, _, _ = ensemble_step(ensemble, opt_states, xb, yb)
    alone, _, _ = one_model_step(model_2, ensemble_opt.init(model_2), xb, yb)
assert np.allclose(ravel_pytree(jax.tree.map(lambda a: a[2], stepped))[0],
                   ravel_pytree(alone)[0], rtol=1e-5, atol=1e-6)  # fmt: skip
ensemble_rows = batch_rows(  # (n_steps, 64): minibatch rows, a function of the seed
    0, N_ENSEMBLE_STEPS, seed=seed_from(keys["ensemble_data"]), n=len(x_train), batch_size=64
)
history = []
for rows in ensemble_rows:
    ensemble, opt_states, losses = ensemble_step(
        ensemble, opt_states, jnp.asarray(x_train[rows]), jnp.asarray(digits.y_train[rows])
    )
    history.append(np.asarray(losses))  # (n_models,)
test_acc = jax.vmap(lambda p: accuracy(mlp(p, x_test), jnp.asarray(digits.y_test)))(ensemble)
print("ensemble test accuracies:", np.round(np.asarray(test_acc), 3))
print(
    f"mean {float(test_acc.mean()):.3f} (asserted > 0.9), min {float(test_acc.min()):.3f} (> 0.85)"
)
assert float(test_acc.mean()) > 0.9 and float(test_acc.min()) > 0.85  # each model learns
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(np.array(history), alpha=0.8)
ax.set_xlabel("step")
ax.set_ylabel("training loss")
ax.set_title(f"{n_models} MLPs trained at once by one vmapped step")
show("ensemble-losses")

# %% [markdown]
# ## 8. Parallelism with `pmap` — and today's API
#
# **Data parallelism**: every device holds the parameters, each gets $1/n$ of the batch.
# Because the loss is a mean and the $n$ shards are of equal size, the full-batch gradient
# is the mean of the shards' gradients, $\nabla L(B) = \frac1n \sum_i \nabla L(B_i)$, so one
# **all-reduce** (here a mean over devices) per step keeps all devices identical, and the
# result equals single-device training up to float rounding. Three ways to write it, side
# by side:
#
# 1. **`jit` with shardings** (the main path today): a `Mesh` of devices with an axis
#    named `"data"`, the batch placed with `NamedSharding(mesh, P("data"))`, parameters
#    replicated with `P()`. The step is the *unchanged* `jlr.train` step; XLA's SPMD
#    partitioner inserts the all-reduce.
# 2. **`shard_map` + `lax.pmean`**: the step is written per device, and the all-reduce is
#    explicit. (We pass `check_vma=False`. By default `shard_map` tracks which values vary
#    across devices, and the gradient of a replicated parameter comes back *already summed*
#    over devices — an extra `pmean` would then silently leave the gradient $n$ times too
#    large. Adam, nearly invariant to the gradient's scale, would hide that bug; SGD
#    exposes it.)
# 3. **`pmap`**, the older API (since JAX 0.8 built on `jit` + `shard_map`): the batch gets
#    an explicit leading device axis; the step is the same per-device function as 2.
#
# On a CPU-only machine the devices are the 8 *simulated* CPU devices of the first cell,
# sharing this machine's cores, so this is a demonstration of **correctness, not speed**.
# On a machine with one GPU the mesh is that one device: the three steps still run and
# agree, but there is nothing to all-reduce. The comparison with single-device training
# is at atol $10^{-5}$, so all four run at `"highest"` precision (section 3).

# %%
mesh = dp.data_mesh()
n_dev = mesh.size
print("mesh:", dict(mesh.shape), "devices:", n_dev, mesh.devices.flat[0].platform)
par_opt = sgd(0.1)  # (Adam would magnify float-rounding gaps in near-zero gradients)
par_init_key, par_train_key = jax.random.split(keys["parallel"])
state0 = init_train_state(init_mlp(par_init_key, (64, 32, 10)), par_opt, par_train_key)
batches = [
    {"x": jnp.asarray(x_train[i * 64 : (i + 1) * 64]), "y": jnp.asarray(digits.y_train[i * 64 : (i + 1) * 64])}
    for i in range(3)
]  # fmt: skip
loss_fn = classification_loss

# every implementation starts from the same state0 and sees the same 3 batches
with jax.default_matmul_precision("highest"):  # compared at atol 1e-5 below
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
# its key path. Each is written out below and checked against the library:
# `jax.flatten_util.ravel_pytree`, the optimizer of `jlr.optim`, and the checkpoint files
# of `jlr.train.checkpoint`.

# %%
model = init_mlp(keys["tree"], (64, 128, 128, 10))
flat_with_paths, _ = jax.tree_util.tree_flatten_with_path(model)
for path, leaf in flat_with_paths:
    print(f"{jax.tree_util.keystr(path):<10} {leaf.shape}")
n_params = sum(leaf.size for leaf in jax.tree.leaves(model))
print("parameters:", n_params)
assert n_params == 64 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10

leaves, treedef = jax.tree.flatten(model)
shapes = [leaf.shape for leaf in leaves]
vector = jnp.concatenate([jnp.ravel(leaf) for leaf in leaves])  # (n_params,)


def unravel(flat):
    """(n_params,) -> a pytree like model: split at the leaves' sizes, reshape, rebuild."""
    pieces = jnp.split(flat, np.cumsum([int(np.prod(shape)) for shape in shapes])[:-1])
    return jax.tree.unflatten(treedef, [p.reshape(s) for p, s in zip(pieces, shapes, strict=True)])


assert vector.shape == (n_params,) and np.array_equal(vector, ravel_pytree(model)[0])
assert jax.tree.structure(unravel(vector)) == jax.tree.structure(model)
assert np.array_equal(ravel_pytree(unravel(2.0 * vector))[0], 2.0 * vector)

model_grads = jax.grad(lambda p: classification_loss(p, batch, None)[0])(model)
by_tree_map = jax.tree.map(lambda p, g: p - 0.1 * g, model, model_grads)
updates, _ = sgd(0.1).update(model_grads, sgd(0.1).init(model), model)
by_optimizer = apply_updates(model, updates)
assert np.allclose(ravel_pytree(by_tree_map)[0], ravel_pytree(by_optimizer)[0],
                   rtol=1e-6, atol=1e-7)  # fmt: skip

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "mlp.npz"
    save_checkpoint(path, model, {"layer_sizes": [64, 128, 128, 10]})
    with np.load(path) as stored:  # a plain .npz: one array per key path
        print("stored arrays:", [name for name in stored.files if name.startswith("[")])
    loaded, metadata = load_checkpoint(path, model)
assert all(
    np.array_equal(a, b)
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(model), strict=True)
)
assert metadata == {"layer_sizes": [64, 128, 128, 10]}
print("ravel == jax.flatten_util.ravel_pytree, tree.map == sgd, save -> load round-trips")

# %% [markdown]
# ## 10. Training loops from scratch in JAX
#
# Everything together: a loop by hand. Step $t$ takes the batch `batch_indices(t)` (a
# pure function of the seed and $t$), the key $\mathrm{fold\_in}(k, t)$ for dropout, one
# jitted `value_and_grad`, and a `tree.map` SGD update:
#
# $$\theta_{t+1} = \theta_t - \eta \nabla_\theta L(\theta_t; B_t, k_t)$$
#
# Then the same model through `jlr.train` (`make_train_step` + `sgd` + `fit`): the library
# loop is this loop plus logging, checkpoints, a guard against non-finite steps and a
# `lax.scan` over steps. Given the same starting weights, the same data seed and the same
# dropout key (one draw of randomness, consumed by two implementations of one loop), the
# two end with the same weights. They are compared at atol $10^{-4}$ after 600 steps, so
# both run at `"highest"` precision (section 3). The model reaches a test accuracy above
# 0.92.

# %%
start_params = init_mlp(keys["train_init"], (64, 64, 10))
dropout_loss = lambda p, b, k: classification_loss(p, b, k, drop_prob=0.1)
lr, batch_size = 0.2, 64
data_seed = seed_from(keys["train_data"])  # the minibatch order, for both loops
train_key = keys["train"]  # dropout: step t uses fold_in(train_key, t), in both loops


@jax.jit
def sgd_step(params, batch, key):
    (loss, _aux), grads = jax.value_and_grad(dropout_loss, has_aux=True)(params, batch, key)
    return jax.tree.map(lambda p, g: p - lr * g, params, grads), loss


train_arrays = {"x": x_train, "y": digits.y_train}
with jax.default_matmul_precision("highest"):  # the two loops are compared below
    by_hand, hand_losses = start_params, []
    for t in range(N_TRAIN_STEPS):
        rows = batch_indices(t, seed=data_seed, n=len(x_train), batch_size=batch_size)
        batch_t = {"x": jnp.asarray(x_train[rows]), "y": jnp.asarray(digits.y_train[rows])}
        by_hand, loss = sgd_step(by_hand, batch_t, jax.random.fold_in(train_key, t))
        hand_losses.append(float(loss))
    with tempfile.TemporaryDirectory() as run_folder:
        library_state = fit(
            init_train_state(start_params, sgd(lr), train_key),
            make_train_step(dropout_loss, sgd(lr)),
            train_data=train_arrays, batch_size=batch_size, total_steps=N_TRAIN_STEPS,
            data_seed=data_seed, out_dir=Path(run_folder), eval_every=N_TRAIN_STEPS,
            checkpoint_every=N_TRAIN_STEPS, steps_per_call=50, progress=False,
        )  # fmt: skip
gap = float(jnp.max(jnp.abs(ravel_pytree(by_hand)[0] - ravel_pytree(library_state.params)[0])))
hand_acc = float(accuracy(mlp(by_hand, x_test), jnp.asarray(digits.y_test)))
print(f"hand loop vs jlr.train: max parameter gap {gap:.1e}; test accuracy {hand_acc:.3f}")
assert gap < 1e-4
assert hand_acc > 0.92  # 0.1 would be chance; 360 test digits, so one digit is 0.003
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(hand_losses, lw=0.8)
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("training loss")
ax.set_title("The from-scratch loop on 8x8 digits")
show("training-loss")

# %% [markdown]
# ## Summary
#
# - `jit` traces once: keep functions pure; effects that must run go through `jax.debug`.
# - Arrays are immutable; `.at[...]` is the update, and under `jit` XLA can do it in place
#   (donation lets an output reuse an input's buffer).
# - 32-bit by default, promotion without surprises, no index errors inside XLA, and static
#   vs traced values explain the errors you meet.
# - A float32 matmul on a GPU runs as TF32 by default (about 3 decimal digits);
#   comparisons with an oracle run under `jax.default_matmul_precision("highest")`.
# - Keys are explicit and used once; JAX's `debug_key_reuse` checker finds a reused key,
#   and JLR's code passes it.
# - `grad` with `argnums`/`has_aux`/pytrees; `custom_vjp` when the derivative needs care.
# - Forward mode for tall Jacobians, reverse for wide ones (and for every loss).
# - `vmap` for per-example gradients and ensembles; `jit` + shardings, `shard_map`, `pmap`
#   for data parallelism, and `jax.distributed` past one machine.
