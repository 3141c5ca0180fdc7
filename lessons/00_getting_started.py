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
# # 00 · How to use this repository
#
# JLR teaches machine learning from the mathematics up, in JAX. It has four parts:
#
# | where | what | how you use it |
# | --- | --- | --- |
# | `src/jlr/` | the library: small from-scratch implementations, each tested against an independent oracle | read it, import it |
# | `lessons/NN_slug.py` | one lesson per curriculum section, like this one | `jlr lesson NN` writes it as a notebook |
# | `exercises/NN_slug.py` | functions for you to fill in | `jlr check NN` grades them |
# | `src/jlr/projects/` | larger projects | `jlr run NAME` |
#
# A lesson is a plain Python script in jupytext's *percent* format: `# %% [markdown]` cells hold
# the prose and the math, `# %%` cells hold code. It runs as a script
# (`python lessons/00_getting_started.py`) or, converted with `jlr lesson 00`, as a notebook
# (`jupyter lab .jlr/notebooks/00_getting_started.ipynb`, or open it in VS Code).
#
# Every claim a lesson makes is checked by an `assert` in the lesson, and CI executes every
# lesson: a lesson that stops being true fails the build.

# %%
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from jlr.course.catalog import list_lessons
from jlr.course.checker import grade
from jlr.course.lesson import root_key, root_seed, show

print(f"root seed: {root_seed()}  (JLR_SEED=1 python lessons/00_getting_started.py to change it)")

# %% [markdown]
# ## The lessons
#
# `jlr lessons` lists the lessons that exist, with the curriculum topics each one covers.
# The same list is available from Python:

# %%
lessons = list_lessons()
for number, title, topics in lessons:
    print(f"{number}  {title}  ({len(topics)} topics)")
assert lessons[0][:2] == ("00", "How to use this repository")

# %% [markdown]
# ## Randomness: one root key, split into named keys
#
# JAX has no hidden global random state. A random function takes a *key*, and the same key
# always gives the same numbers: two keys made from the same seed draw the same values. A
# lesson makes one root key, `root_key()` (seed 0, or the `JLR_SEED` you set), and splits it
# into keys named for their use; each key is used once and never reused. The test suite runs
# every lesson under several root seeds, so what a lesson asserts holds beyond seed 0.

# %%
first = jax.random.normal(jax.random.key(42), (3,))
again = jax.random.normal(jax.random.key(42), (3,))  # a second key from the same seed
print("key(42), twice:", first, again)
assert jnp.array_equal(first, again)  # same key, same numbers

demo_key, data_key, noise_key = jax.random.split(root_key(), 3)
other = jax.random.normal(demo_key, (3,))
print("a key split from the root:", other)
assert not jnp.array_equal(first, other)  # different key, different numbers

# %% [markdown]
# ## A worked example: fitting a line with `jax.grad`
#
# Data $y_i = w^\star x_i + b^\star + \varepsilon_i$ with $w^\star = 2$, $b^\star = -1$ and
# noise $\varepsilon_i \sim \mathcal{N}(0, 0.3^2)$. We fit $\hat y = w x + b$ by minimizing the
# mean squared error
#
# $$L(w, b) = \frac{1}{n} \sum_{i=1}^{n} (w x_i + b - y_i)^2$$
#
# with gradient descent, $\theta \leftarrow \theta - \eta \nabla_\theta L$. `jax.grad` computes
# $\nabla_\theta L$ from the code of $L$; the parameters $\theta = \{w, b\}$ are a plain dict
# (a *pytree*), and `jax.tree.map` updates every leaf.

# %%
n_points = 200
n_steps = 500
learning_rate = 0.1
true_w, true_b = 2.0, -1.0

x = jax.random.uniform(data_key, (n_points,), minval=-1.0, maxval=1.0)
y = true_w * x + true_b + 0.3 * jax.random.normal(noise_key, (n_points,))


def loss_fn(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
    """L(w, b) = mean((w x + b - y)^2); x, y: (n,) -> ()"""
    return jnp.mean((params["w"] * x + params["b"] - y) ** 2)


@jax.jit
def train_step(params: dict[str, jax.Array]) -> tuple[dict[str, jax.Array], jax.Array]:
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    params = jax.tree.map(lambda p, g: p - learning_rate * g, params, grads)
    return params, loss


params = {"w": jnp.zeros(()), "b": jnp.zeros(())}
losses = []
for _ in range(n_steps):
    params, loss = train_step(params)
    losses.append(float(loss))
print(f"loss: {losses[0]:.4f} at step 0 -> {losses[-1]:.4f} at step {n_steps - 1}")
print(f"fitted w = {float(params['w']):.4f}, b = {float(params['b']):.4f}")

# %% [markdown]
# Is that the best line? For a line, least squares has a closed form, and `numpy.polyfit`
# computes it independently of JAX: gradient descent must land on the same $w, b$.
# (This is how the whole library is tested: against an independent oracle.)

# %%
exact_w, exact_b = np.polyfit(np.asarray(x), np.asarray(y), deg=1)
print(f"numpy.polyfit:  w = {exact_w:.4f}, b = {exact_b:.4f}")
assert losses[-1] < 0.1 * losses[0]
np.testing.assert_allclose(params["w"], exact_w, rtol=1e-3, atol=1e-3)
np.testing.assert_allclose(params["b"], exact_b, rtol=1e-3, atol=1e-3)

# %%
fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_fit.scatter(x, y, s=12, alpha=0.7, label="data")
grid = jnp.linspace(-1, 1, 50)
ax_fit.plot(grid, params["w"] * grid + params["b"], color="C1", label="fitted line")
ax_fit.plot(grid, true_w * grid + true_b, "k--", lw=1, label="true line")
ax_fit.set(xlabel="x", ylabel="y", title="y = w x + b")
ax_fit.legend()
ax_loss.semilogy(losses)
ax_loss.set(xlabel="step", ylabel="L(w, b)", title="mean squared error")
fig.tight_layout()
show("fitted-line")

# %% [markdown]
# ## Exercises and the checker
#
# `exercises/00_getting_started.py` holds four warm-up functions whose bodies are
# `raise NotImplementedError`. Fill them in, then run
#
# ```
# jlr check 00                      # grades exercises/00_getting_started.py
# jlr check 00 --file my_copy.py    # grades another file
# ```
#
# Each exercise gets one line: `PASS`, `FAIL` with a hint (the first wrong value, a shape), or
# `TODO` while it is still a stub. An error in your code is reported as that exercise's
# failure, in one line. Here is the checker grading a file with one wrong answer
# ($x^2$ instead of $x^2 + 1$) and one missing function:

# %%
attempt = """
import jax.numpy as jnp

def square_plus_one(x):
    return x**2          # forgot the + 1

def mean_squared_error(pred, target):
    return jnp.mean((pred - target) ** 2)

def grad_of_mse(params, x, y):
    raise NotImplementedError
"""
with tempfile.TemporaryDirectory() as folder:
    attempt_file = Path(folder) / "attempt.py"
    attempt_file.write_text(attempt)
    report = grade("00", attempt_file)
    print("\n".join(report.lines))

outcomes = {result.name: result.outcome for result in report.results}
assert outcomes == {
    "square_plus_one": "FAIL",
    "mean_squared_error": "PASS",
    "grad_of_mse": "TODO",
    "split_keys": "FAIL",  # not defined
}

# %% [markdown]
# ## Progress, seeds, figures and projects
#
# - `jlr check NN` records which exercises passed in `.jlr/progress.json` (or in
#   `$JLR_HOME/progress.json`); `jlr progress` prints the curriculum as a checklist and ticks a
#   topic once all its exercises pass.
# - A lesson has one mode: what you run is what the test suite runs, as a notebook and as a
#   script, under root seeds 0, 1 and 2 (`JLR_SEED`). Run as a script, a lesson saves its
#   figures to `.jlr/figures/<lesson>/` and prints their paths; in a notebook they show inline.
# - `jlr run NAME` runs a project into a run folder with its metrics and an HTML report;
#   `jlr list` lists the projects.
#
# Next: `jlr lesson 01`, multivariable calculus.
