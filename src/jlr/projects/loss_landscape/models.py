"""The loss-landscape project's data, networks, training and checkpoint reading.

Every landscape is of the full-batch training loss on a fixed subset of `n_examples`
training examples, a function of the parameters alone: batch norm (where a network has it)
normalizes with the statistics of the batch it is given, in training and in analysis alike.

Networks (`Net`: init(key) -> (params, model_state), logits(params, model_state, x)):
- mlp: `jlr.models.mlp`'s layout, a list of {"w": (d_in, d_out), "b"} dicts (so a `digits-mlp`
  checkpoint loads), optionally with batch norm ({"norm": {"scale", "bias"}} in each hidden
  layer, before the activation) and residual connections h <- h + act(h W + b) wherever a
  hidden layer keeps its width;
- cnn: `jlr.models.cnn.conv_net` with the `cnn` project's settings for the data set
  (`DATASET_DEFAULTS`) and this config's channels and norm, so a `cnn` checkpoint loads
  (it must have been trained with those settings: the shapes are checked).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jlr.data.batches import batch_rows
from jlr.errors import RunFolderError, UserError
from jlr.models.cnn import ConvNetSpec, conv_net, init_conv_net
from jlr.models.mlp import init_mlp
from jlr.nn.batch_norm import batch_norm
from jlr.nn.linear import linear
from jlr.nn.losses import softmax_cross_entropy
from jlr.optim import apply_updates, sgd
from jlr.train.checkpoint import load_params, read_checkpoint
from jlr.train.run_folder import CHECKPOINT, CONFIG

N_CLASSES = 10


class Net(NamedTuple):
    init: Callable[[jax.Array], tuple[Any, Any]]  # key -> (params, model_state)
    logits: Callable[[Any, Any, jax.Array], jax.Array]  # (params, state, x (batch, ...)) -> logits


class Data(NamedTuple):
    x: jax.Array  # (n, d_in) for the MLP, (n, *spatial, 1) for the CNN
    y: jax.Array  # (n,) int32 labels
    source: str  # where the examples come from

    @property
    def note(self) -> str:
        return f"{self.source}; the first {len(self.y)} training examples"

    def first(self, n: int) -> Data:
        return self._replace(x=self.x[:n], y=self.y[:n])


def load_data(data: str, n_examples: int, model: str, *, standardize: bool = True) -> Data:
    """The first n_examples training examples (all of them if fewer), shaped for the model.

    Standardized per feature as the `cnn` project does (mean and std over the training set);
    standardize=False keeps `load_digits`' [0, 1] pixels, as the `digits-mlp` project trains on.
    """
    from jlr.projects.cnn import Config as CnnConfig
    from jlr.projects.cnn import load_data as cnn_load_data

    if standardize:
        dataset, source = cnn_load_data(CnnConfig(data=data))  # (n, *spatial, 1), standardized
        x = dataset.x_train
    else:
        from jlr.data.digits import load_digits

        dataset, source = load_digits(test_fraction=0.2, seed=0), "scikit-learn digits, raw"
        x = dataset.x_train[..., None]
    x, y = x[:n_examples], dataset.y_train[:n_examples]
    if model == "mlp":
        x = x.reshape(len(x), -1)  # (n, d_in)
    return Data(jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.int32), source)


def init_mlp_net(
    key: jax.Array, layer_sizes: tuple[int, ...], batch_norm_: bool, output_scale: float = 1.0
) -> list[dict]:
    """`init_mlp`'s layers, the last one's weights times output_scale; with batch norm, each
    hidden layer also holds {"norm": {"scale": ones, "bias": zeros}} (d_out,)."""
    layers = init_mlp(key, layer_sizes)
    layers[-1] = {**layers[-1], "w": layers[-1]["w"] * output_scale}
    if batch_norm_:
        for layer in layers[:-1]:
            d_out = layer["b"].shape[0]
            layer["norm"] = {"scale": jnp.ones((d_out,)), "bias": jnp.zeros((d_out,))}
    return layers


def mlp_logits(
    params: list[dict], x: jax.Array, *, residual: bool, activation: Callable = jax.nn.relu
) -> jax.Array:
    """Takes a batch (batch norm's statistics): x (batch, d_in) -> logits (batch, d_out).

    z = h W + b;  z <- BN(z) if the layer has a norm;  h <- h + act(z) if residual and the
    width is kept, else h <- act(z).
    """
    *hidden, last = params
    h = x
    for layer in hidden:
        z = linear(layer, h)  # (batch, d_out)
        if "norm" in layer:
            d_out = z.shape[-1]
            stats = {"mean": jnp.zeros((d_out,)), "var": jnp.ones((d_out,))}  # unused in train
            z, _ = batch_norm(layer["norm"], stats, z, train=True)
        h = h + activation(z) if residual and z.shape == h.shape else activation(z)
    return linear(last, h)


def cnn_spec(data: str, input_shape: tuple[int, ...], channels, batch_norm_: bool):
    """The `cnn` project's network for `data`, with these channels and norm.

    Its convolutions run as `lax.conv` (conv="lax": the same weights and sums as im2col):
    vmapped over grid points the weights carry a batch axis, which lax.conv takes as one
    grouped convolution, while im2col's batched matmuls ran ~4x slower per point on a CPU.
    """
    from jlr.projects.cnn import DATASET_DEFAULTS

    defaults = DATASET_DEFAULTS[data]
    return ConvNetSpec(
        input_shape=input_shape,
        channels=tuple(channels),
        convs_per_block=defaults["convs_per_block"],
        kernel=defaults["kernel"],
        stride=defaults["stride"],
        norm="batch" if batch_norm_ else "none",
        pool=defaults["pool"],
        head=defaults["head"],
        d_hidden=defaults["d_hidden"],
        conv="lax",
    )


def make_net(
    config, input_shape: tuple[int, ...], *, depth_width=None, residual=None, batch_norm_=None
) -> Net:
    """The config's network; depth_width=(n_hidden, width) gives the comparisons' deep MLP."""
    residual = config.residual if residual is None else residual
    batch_norm_ = config.batch_norm if batch_norm_ is None else batch_norm_
    if config.model == "cnn" and depth_width is None:
        spec = cnn_spec(config.data, input_shape, config.channels, batch_norm_)

        def cnn_logits(params, model_state, x):
            return conv_net(params, model_state, x, spec, train=True)[0]

        return Net(lambda key: init_conv_net(key, spec), cnn_logits)
    hidden = config.hidden if depth_width is None else (depth_width[1],) * depth_width[0]
    sizes = (input_shape[-1], *hidden, N_CLASSES)
    return Net(
        lambda key: (init_mlp_net(key, sizes, batch_norm_), {}),
        lambda params, _state, x: mlp_logits(params, x, residual=residual),
    )


def make_loss(net: Net, model_state: Any, data: Data) -> Callable[[Any], jax.Array]:
    """params -> mean cross-entropy over the whole subset: the landscape's L(theta)."""

    def loss(params):
        logits = net.logits(params, model_state, data.x)  # (n, n_classes)
        return jnp.mean(softmax_cross_entropy(logits, data.y))

    return loss


class Trained(NamedTuple):
    params: Any
    snapshots: jax.Array  # (n_snapshots, n_params): theta_0, theta_every, ..., theta_steps
    losses: jax.Array  # (steps,) minibatch losses
    opt_state: Any


@partial(jax.jit, static_argnames=("net", "lr", "momentum", "every"))
def _train_segments(net, params, model_state, opt_state, x, y, rows, *, lr, momentum, every):
    """Scan over segments of `every` steps; rows: (n_segments, every, batch) example indices."""
    optimizer = sgd(lr, momentum)

    def step(carry, step_rows):
        params, opt_state = carry

        def batch_loss(p):
            logits = net.logits(p, model_state, x[step_rows])  # (batch, n_classes)
            return jnp.mean(softmax_cross_entropy(logits, y[step_rows]))

        value, grads = jax.value_and_grad(batch_loss)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (apply_updates(params, updates), opt_state), value

    def segment(carry, segment_rows):
        carry, losses = jax.lax.scan(step, carry, segment_rows)  # losses: (every,)
        return carry, (ravel_pytree(carry[0])[0], losses)

    (params, opt_state), (snapshots, losses) = jax.lax.scan(segment, (params, opt_state), rows)
    return params, opt_state, snapshots, losses.reshape(-1)


def train(
    net: Net,
    params,
    model_state,
    data: Data,
    *,
    lr: float,
    momentum: float,
    batch_size: int,
    steps: int,
    every: int,
    seed: int,
) -> Trained:
    """SGD with momentum on cross-entropy, minibatches from `batch_rows(seed)`; the params
    are recorded every `every` steps (steps must be a multiple of every)."""
    batch_size = min(batch_size, len(data.y))
    rows = batch_rows(0, steps, seed=seed, n=len(data.y), batch_size=batch_size)
    rows = jnp.asarray(rows).reshape(steps // every, every, batch_size)  # (segments, every, B)
    opt_state = sgd(lr, momentum).init(params)
    first = ravel_pytree(params)[0][None]  # (1, n_params): theta_0
    params, opt_state, snapshots, losses = _train_segments(
        net,
        params,
        model_state,
        opt_state,
        data.x,
        data.y,
        rows,
        lr=lr,
        momentum=momentum,
        every=every,
    )
    return Trained(params, jnp.concatenate([first, snapshots]), losses, opt_state)


# ---------------------------------------------------------------------- from_run checkpoints


def read_source_project(run_dir: Path) -> str:
    """The `project` named in the run folder's config.json ("" when it names none)."""
    try:
        return str(json.loads((run_dir / CONFIG).read_text()).get("project", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def load_params_from_run(run_dir: str, template: Any) -> Any:
    """The params of the run folder's checkpoint (`jlr.train.checkpoint.load_params`), shaped
    like template; one-line UserError when the folder has no checkpoint or a leaf's shape
    differs. A `cnn` run trains n_seeds models at once, each leaf with a leading (n_seeds,)
    axis: seed 0 is taken."""
    path = Path(run_dir).expanduser() / CHECKPOINT
    if not path.is_file():
        raise UserError(
            f"from_run={run_dir}: no {CHECKPOINT} there; give the folder of a finished cnn, "
            "digits-mlp or loss-landscape run"
        )
    arrays, _ = read_checkpoint(path)
    (first_path, first_leaf), *_ = jax.tree_util.tree_flatten_with_path(template)[0]
    stored = arrays.get(".params" + jax.tree_util.keystr(first_path))
    seeds_axis = stored is not None and stored.shape[1:] == first_leaf.shape
    if seeds_axis:
        template = jax.tree.map(
            lambda leaf: np.zeros((len(stored), *leaf.shape), leaf.dtype), template
        )
    try:
        params = load_params(path, template)
    except RunFolderError as error:
        raise UserError(f"from_run={run_dir}: {error}") from None
    return jax.tree.map(lambda leaf: leaf[0], params) if seeds_axis else params


def flat_params(params: Any) -> np.ndarray:
    return np.asarray(ravel_pytree(params)[0])
