"""Convolutional networks: a fixed small CNN for 8x8 digits, and a configurable one.

`init_cnn` / `cnn`, the fixed network (the optimizer study's digits-cnn task):

    (batch, 8, 8, 1) -conv 3x3, s=1, relu-> (batch, 8, 8, c1)
                     -conv 3x3, s=2, relu-> (batch, 4, 4, c2) -flatten-> (batch, 16 c2)
                     -linear-> logits (batch, 10)

`init_conv_net` / `conv_net`, configured by a `ConvNetSpec`, for images (batch, height,
width, channels) or 1-D signals (batch, width, channels), the same code for both:

    x: (batch, *spatial, c_in)
    block b = 0 .. B-1, each of `convs_per_block` times:
        conv kernel^r, c_b channels (stride on the block's first conv)   (batch, *spatial_b, c_b)
        norm: none | batch (over batch and positions) | layer (over channels)   same shape
        relu                                                                    same shape
      then pool: none | max | avg, window p, stride p        (batch, *floor(spatial_b / p), c_b)
    head: gap (mean over positions) -> (batch, c_B)  |  flatten -> (batch, prod(spatial_B) c_B)
    dropout -> [linear d_hidden, relu, dropout -> (batch, d_hidden)] -> linear (batch, n_classes)

with r = 1 or 2 spatial axes and `spatial_b` from `jlr.nn.conv.conv_output_shape` (SAME
padding: ceil(n / stride)). `layer_shapes(spec)` lists every layer's output shape.
Trainable weights are `params`; batch norm's running mean and variance are the separate
`model_state` (empty for the other norms), so a train step built with
`jlr.train.make_train_step(..., has_state=True)` carries them; `conv_net` returns the new
state in train mode and the given one unchanged in eval mode.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from jlr.nn.batch_norm import batch_norm, init_batch_norm
from jlr.nn.conv import conv1d, conv2d, conv2d_lax, init_conv1d, init_conv2d
from jlr.nn.dropout import dropout
from jlr.nn.layer_norm import init_layer_norm, layer_norm
from jlr.nn.linear import init_linear, linear
from jlr.nn.pooling import avg_pool, global_avg_pool, max_pool

CONVS = ("im2col", "lax")
NORMS = ("none", "batch", "layer")
POOLS = ("none", "max", "avg")
HEADS = ("gap", "flatten")


def init_cnn(
    key: jax.Array, channels: Sequence[int] = (8, 16), image_size: int = 8, n_classes: int = 10
) -> dict:
    """{"conv1", "conv2": conv layers, "head": linear (image_size/2)^2 c2 -> n_classes}."""
    c1, c2 = channels
    conv1_key, conv2_key, head_key = jax.random.split(key, 3)
    d_flat = (image_size // 2) ** 2 * c2
    return {
        "conv1": init_conv2d(conv1_key, 3, 1, c1),
        "conv2": init_conv2d(conv2_key, 3, c1, c2),
        "head": init_linear(head_key, d_flat, n_classes),
    }


def cnn(params: dict, images: jax.Array) -> jax.Array:
    """images: (batch, h, w) grey -> logits (batch, n_classes)."""
    x = images[..., None]  # (batch, h, w, 1)
    x = jax.nn.relu(conv2d(params["conv1"], x))  # (batch, h, w, c1)
    x = jax.nn.relu(conv2d(params["conv2"], x, stride=2))  # (batch, h/2, w/2, c2)
    x = x.reshape(x.shape[0], -1)  # (batch, h/2 * w/2 * c2)
    return linear(params["head"], x)


@dataclass(frozen=True)
class ConvNetSpec:
    """The architecture of `conv_net`: static (hashable), never traced; the weights live in
    params. input_shape is one example's (height, width, channels) or (width, channels)."""

    input_shape: tuple[int, ...]
    channels: tuple[int, ...] = (32, 64)  # c_b, one per block
    convs_per_block: int = 1
    kernel: int = 3
    stride: int = 1  # of each block's first conv
    norm: str = "none"  # none | batch | layer
    pool: str = "max"  # none | max | avg, after each block
    pool_window: int = 2
    head: str = "gap"  # gap | flatten
    d_hidden: int = 0  # 0: no hidden dense layer before the classifier
    drop_prob: float = 0.0  # dropout before each dense layer, in training
    n_classes: int = 10
    conv: str = "im2col"  # im2col (`conv2d`/`conv1d`) | lax (`conv2d_lax`): same sums

    def __post_init__(self):
        for name, value, allowed in [
            ("conv", self.conv, CONVS),
            ("norm", self.norm, NORMS),
            ("pool", self.pool, POOLS),
            ("head", self.head, HEADS),
        ]:
            if value not in allowed:
                raise ValueError(f"{name}={value!r}: choose one of {', '.join(allowed)}")
        if len(self.input_shape) not in (2, 3):
            raise ValueError(f"input_shape={self.input_shape}: give (h, w, c) or (width, c)")

    @property
    def n_spatial(self) -> int:
        """1 for signals, 2 for images."""
        return len(self.input_shape) - 1


def _init_conv(key, spec: ConvNetSpec, c_in: int, c_out: int) -> dict[str, jax.Array]:
    init = init_conv2d if spec.n_spatial == 2 else init_conv1d
    return init(key, spec.kernel, c_in, c_out)


def _conv(layer, x, stride, implementation):
    """x: (batch, *spatial, c_in) -> (batch, *out, c_out), SAME padding. A signal goes through
    `conv2d_lax` as an image of height 1 (a 1 x kernel window, no padding along the height)."""
    if implementation == "im2col":
        return (conv2d if x.ndim == 4 else conv1d)(layer, x, stride)
    if x.ndim == 4:
        return conv2d_lax(layer, x, stride)
    image_layer = {"w": layer["w"][None], "b": layer["b"]}  # w: (1, kernel, c_in, c_out)
    return conv2d_lax(image_layer, x[:, None], (1, stride))[:, 0]  # (batch, out, c_out)


def _init_norm(spec: ConvNetSpec, c: int) -> tuple[dict, dict]:
    """(params, state) of one norm layer over c channels; both empty for norm="none"."""
    if spec.norm == "batch":
        return init_batch_norm(c)
    if spec.norm == "layer":
        return init_layer_norm(c), {}
    return {}, {}


def _conv_layers(spec: ConvNetSpec) -> list[tuple[int, int, int]]:
    """(c_in, c_out, stride) of every conv layer, blocks in order."""
    layers, c_in = [], spec.input_shape[-1]
    for c_out in spec.channels:
        for i in range(spec.convs_per_block):
            layers.append((c_in, c_out, spec.stride if i == 0 else 1))
            c_in = c_out
    return layers


def _features(params, model_state, x, spec: ConvNetSpec, train: bool):
    """The conv blocks and the head's pooling: x: (batch, *spatial, c_in) -> (feats, new_state,
    shapes), feats: (batch, d_features); shapes: [(name, shape)] of every layer's output."""
    shapes, new_norms = [], []
    window = (spec.pool_window,) * spec.n_spatial
    for i, (_, _, stride) in enumerate(_conv_layers(spec)):
        x = _conv(params["convs"][i], x, stride, spec.conv)  # (batch, *spatial_b, c_b)
        shapes.append((f"conv {i}", x.shape))
        if spec.norm == "batch":
            x, norm_state = batch_norm(
                params["norms"][i], model_state["norms"][i], x, train=train
            )  # statistics over batch and positions, per channel
            new_norms.append(norm_state)
        elif spec.norm == "layer":
            x = layer_norm(params["norms"][i], x)  # statistics over the channels of a position
        x = jax.nn.relu(x)
        if (i + 1) % spec.convs_per_block == 0 and spec.pool != "none":
            pool = max_pool if spec.pool == "max" else avg_pool
            x = pool(x, window)  # (batch, *floor(spatial_b / p), c_b)
            shapes.append((f"{spec.pool} pool {i // spec.convs_per_block}", x.shape))
    if spec.head == "gap":
        x = global_avg_pool(x)  # (batch, c_B)
    else:
        x = x.reshape(x.shape[0], -1)  # (batch, prod(spatial_B) c_B)
    shapes.append((spec.head, x.shape))
    new_state = {"norms": new_norms} if spec.norm == "batch" else {}
    return x, new_state, shapes


def layer_shapes(spec: ConvNetSpec, batch: int = 1) -> list[tuple[str, tuple[int, ...]]]:
    """[(layer name, output shape)] from the first conv to the logits, for a batch of `batch`.

    Computed by tracing the network on abstract inputs (`jax.eval_shape`): no arithmetic.
    Raises ValueError when the input is too small for the blocks (a window exceeds it).
    """
    params, model_state = jax.eval_shape(lambda: init_conv_net(jax.random.key(0), spec))
    x = jax.ShapeDtypeStruct((batch, *spec.input_shape), jnp.float32)
    shapes = []

    def trace(params, model_state, x):
        feats, _, layers = _features(params, model_state, x, spec, False)
        shapes.extend(layers)
        if spec.d_hidden:
            shapes.append(("hidden", (batch, spec.d_hidden)))
        return feats

    jax.eval_shape(trace, params, model_state, x)
    return [*shapes, ("logits", (batch, spec.n_classes))]


def init_conv_net(key: jax.Array, spec: ConvNetSpec) -> tuple[dict, dict]:
    """(params, model_state) of the network `spec` describes.

    params: {"convs": [{"w": (kernel^r, c_in, c_out), "b": (c_out,)}, ...] (He-normal),
             "norms": [{"scale", "bias": (c_out,)}, ...] (batch or layer norm only),
             "hidden": {"w": (d_features, d_hidden), "b"} (d_hidden > 0 only),
             "head": {"w": (d_hidden or d_features, n_classes), "b"}} (LeCun-normal)
    model_state: {"norms": [{"mean", "var": (c_out,)}, ...]} for batch norm, else {}.
    """
    layers = _conv_layers(spec)
    *conv_keys, hidden_key, head_key = jax.random.split(key, len(layers) + 2)
    params = {
        "convs": [
            _init_conv(k, spec, c_in, c_out)
            for k, (c_in, c_out, _) in zip(conv_keys, layers, strict=True)
        ]
    }
    norms = [_init_norm(spec, c_out) for _, c_out, _ in layers]
    if spec.norm != "none":
        params["norms"] = [norm_params for norm_params, _ in norms]
    model_state = {"norms": [state for _, state in norms]} if spec.norm == "batch" else {}
    feats = jax.eval_shape(
        lambda p, s: _features(p, s, jnp.zeros((1, *spec.input_shape)), spec, False)[0],
        params,
        model_state,
    )
    d_features = feats.shape[-1]
    if spec.d_hidden:
        params["hidden"] = init_linear(hidden_key, d_features, spec.d_hidden)
    params["head"] = init_linear(head_key, spec.d_hidden or d_features, spec.n_classes)
    return params, model_state


def conv_net(
    params: dict,
    model_state: dict,
    x: jax.Array,
    spec: ConvNetSpec,
    *,
    train: bool = False,
    key: jax.Array | None = None,
) -> tuple[jax.Array, dict]:
    """Takes a batch (batch norm's statistics need one): x -> (logits, new_model_state).

    x: (batch, *spec.input_shape) -> logits: (batch, n_classes). train=True normalises with
    the batch's statistics and returns updated running averages; train=False uses the
    running averages and returns model_state itself. key=None means no dropout.
    """
    feats, new_state, _ = _features(params, model_state, x, spec, train)
    keys = jax.random.split(key) if key is not None else (None, None)
    h = dropout(feats, spec.drop_prob, key=keys[0])  # (batch, d_features)
    if spec.d_hidden:
        h = jax.nn.relu(linear(params["hidden"], h))  # (batch, d_hidden)
        h = dropout(h, spec.drop_prob, key=keys[1])
    logits = linear(params["head"], h)  # (batch, n_classes)
    return logits, (new_state if train else model_state)


def n_params(params) -> int:
    """The number of trainable numbers in a parameter pytree."""
    return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(params))
