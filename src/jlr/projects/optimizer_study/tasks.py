"""The optimizer study's three tasks, each a `Task` of pure functions plus its data.

quadratic     f(x) = 1/2 (x - x*)^T A (x - x*),  A = Q diag(lambda) Q^T with eigenvalues
              log-spaced from 1 down to 1/kappa: condition number kappa, exact gradients.
mnist1d-mlp   an MLP on MNIST-1D (length-40 signals, 10 classes), minibatch cross-entropy.
digits-cnn    a small CNN (`jlr.models.cnn`) on scikit-learn's 8x8 digits, minibatch
              cross-entropy.

Minibatch rows follow `jlr.data.batch_rows` (a fresh permutation per epoch, drop-last) and
are computed up front with numpy (`jlr.train.sweep.task_batch_rows`), then fed to the jitted
scan, so the compiled step holds no random-number generator and every run's data order is
reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from jlr.data import load_digits, load_mnist1d
from jlr.models.cnn import cnn, init_cnn
from jlr.models.mlp import init_mlp, mlp
from jlr.nn.losses import accuracy, softmax_cross_entropy
from jlr.train.sweep import Task

TASK_NAMES = ("quadratic", "mnist1d-mlp", "digits-cnn")


def quadratic_matrix(key: jax.Array, dim: int, condition_number: float) -> jax.Array:
    """A = Q diag(lambda) Q^T, lambda_i = kappa^(-i / (dim - 1)) in [1/kappa, 1]: (dim, dim)."""
    q, _ = jnp.linalg.qr(jax.random.normal(key, (dim, dim)))  # a random rotation
    exponents = jnp.linspace(0.0, 1.0, dim) if dim > 1 else jnp.zeros(1)
    eigenvalues = condition_number ** (-exponents)  # (dim,), largest 1
    return (q * eigenvalues) @ q.T  # (dim, dim)


def quadratic_task(key: jax.Array, dim: int = 20, condition_number: float = 100.0) -> Task:
    """Gradient descent on it converges for lr < 2 / lambda_max = 2; its minimum is 0."""
    matrix_key, optimum_key = jax.random.split(key)
    data = {
        "a": quadratic_matrix(matrix_key, dim, condition_number),
        "x_star": jax.random.normal(optimum_key, (dim,)),
    }

    def loss(params, batch):
        delta = params["x"] - batch["x_star"]  # (dim,)
        return 0.5 * delta @ batch["a"] @ delta

    return Task(
        name="quadratic",
        data=data,
        init_params=lambda init_key: {"x": jax.random.normal(init_key, (dim,))},
        loss=loss,
        batch=lambda data, rows: data,  # full batch: the gradient is exact
        evaluate=lambda params, data: {"train_loss": loss(params, data)},
        n_train=0,
    )


def classification_task(
    name: str, data: dict, init_params: Callable, logits_fn: Callable, n_eval_train: int = 512
) -> Task:
    """Mean softmax cross-entropy on minibatches.

    evaluate: "train_loss" on the first `n_eval_train` training examples (the splits are
    shuffled, so a fixed random subset: evaluating dozens of runs stays cheap), and
    "test_loss", "test_accuracy" on the whole test set.
    data: {"x_train": (n, ...), "y_train": (n,), "x_test": (m, ...), "y_test": (m,)}
    """

    def mean_loss(params, x, y):
        return jnp.mean(softmax_cross_entropy(logits_fn(params, x), y))

    def loss(params, batch):
        return mean_loss(params, batch["x"], batch["y"])

    def batch(data, rows):
        return {"x": data["x_train"][rows], "y": data["y_train"][rows]}  # rows: (batch_size,)

    def evaluate(params, data):
        test_logits = logits_fn(params, data["x_test"])  # (m, 10)
        return {
            "train_loss": mean_loss(
                params, data["x_train"][:n_eval_train], data["y_train"][:n_eval_train]
            ),
            "test_loss": jnp.mean(softmax_cross_entropy(test_logits, data["y_test"])),
            "test_accuracy": accuracy(test_logits, data["y_test"]),
        }

    n_train = data["x_train"].shape[0]
    return Task(name, data, init_params, loss, batch, evaluate, n_train)


def as_arrays(dataset) -> dict[str, jax.Array]:
    return {name: jnp.asarray(value) for name, value in dataset._asdict().items()}


def mnist1d_mlp_task(hidden: Sequence[int] = (64, 64)) -> Task:
    data = as_arrays(load_mnist1d())  # x: (4000, 40) train, (1000, 40) test
    sizes = (data["x_train"].shape[1], *hidden, 10)
    return classification_task("mnist1d-mlp", data, lambda key: init_mlp(key, sizes), mlp)


def digits_cnn_task(channels: Sequence[int] = (8, 16)) -> Task:
    data = as_arrays(load_digits(test_fraction=0.2, seed=0))  # x: (1437, 8, 8) train
    return classification_task("digits-cnn", data, lambda key: init_cnn(key, channels), cnn)
