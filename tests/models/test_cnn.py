"""The CNNs' forward passes against ones written independently: the fixed digits CNN with
lax.conv and jax.nn, the configurable `conv_net` with flax.linen's layers (Conv, BatchNorm,
LayerNorm, max/avg pooling, Dense), in train and eval mode, for images and 1-D signals."""

import dataclasses
from functools import partial

import flax.linen as fnn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.models.cnn import ConvNetSpec, cnn, conv_net, init_cnn, init_conv_net, layer_shapes


def reference_cnn(params, images):
    """conv 3x3 s1 relu -> conv 3x3 s2 relu -> flatten -> linear, with lax.conv_general_dilated."""

    def conv(layer, x, stride):
        out = jax.lax.conv_general_dilated(
            x, layer["w"], (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        return out + layer["b"]

    x = images[..., None]
    x = jax.nn.relu(conv(params["conv1"], x, 1))
    x = jax.nn.relu(conv(params["conv2"], x, 2))
    return x.reshape(len(x), -1) @ params["head"]["w"] + params["head"]["b"]


def test_cnn_matches_a_lax_conv_forward_pass(key):
    init_key, x_key, bias_key = jax.random.split(key, 3)
    params = init_cnn(init_key, (3, 4))
    params["conv1"]["b"] = 0.1 * jax.random.normal(bias_key, (3,))  # nonzero biases count too
    images = jax.random.normal(x_key, (5, 8, 8))
    logits = cnn(params, images)
    assert logits.shape == (5, 10)
    np.testing.assert_allclose(logits, reference_cnn(params, images), rtol=1e-5, atol=1e-5)


def test_parameter_shapes_follow_channels_and_image_size(key):
    params = init_cnn(key, (2, 6), image_size=12, n_classes=3)
    shapes = jax.tree.map(jnp.shape, params)
    assert shapes == {
        "conv1": {"w": (3, 3, 1, 2), "b": (2,)},
        "conv2": {"w": (3, 3, 2, 6), "b": (6,)},
        "head": {"w": (6 * 6 * 6, 3), "b": (3,)},
    }
    assert cnn(params, jnp.zeros((2, 12, 12))).shape == (2, 3)


# ---- the configurable network, against the same network written in flax.linen ----------


class FlaxConvNet(fnn.Module):
    """The network `spec` describes, written with flax.linen's own layers (the oracle)."""

    spec: ConvNetSpec

    @fnn.compact
    def __call__(self, x, train: bool):
        spec, n = self.spec, self.spec.n_spatial
        for i, c_out in enumerate(c for c in spec.channels for _ in range(spec.convs_per_block)):
            stride = spec.stride if i % spec.convs_per_block == 0 else 1
            x = fnn.Conv(c_out, (spec.kernel,) * n, (stride,) * n, padding="SAME")(x)
            if spec.norm == "batch":
                x = fnn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5)(x)
            elif spec.norm == "layer":
                x = fnn.LayerNorm(epsilon=1e-5)(x)
            x = fnn.relu(x)
            if (i + 1) % spec.convs_per_block == 0 and spec.pool != "none":
                pool = fnn.max_pool if spec.pool == "max" else fnn.avg_pool
                x = pool(x, (spec.pool_window,) * n, (spec.pool_window,) * n, "VALID")
        x = x.mean(axis=tuple(range(1, n + 1))) if spec.head == "gap" else x.reshape(len(x), -1)
        if spec.d_hidden:
            x = fnn.relu(fnn.Dense(spec.d_hidden)(x))
        return fnn.Dense(spec.n_classes)(x)


def to_flax(params, model_state, spec):
    """Our params and running statistics under flax's module names."""
    variables = {"params": {}}
    for i, conv in enumerate(params["convs"]):
        variables["params"][f"Conv_{i}"] = {"kernel": conv["w"], "bias": conv["b"]}
    norm_name = {"batch": "BatchNorm", "layer": "LayerNorm"}.get(spec.norm)
    for i, norm in enumerate(params.get("norms", [])):
        variables["params"][f"{norm_name}_{i}"] = dict(norm)
    dense = [params["hidden"], params["head"]] if spec.d_hidden else [params["head"]]
    for i, layer in enumerate(dense):
        variables["params"][f"Dense_{i}"] = {"kernel": layer["w"], "bias": layer["b"]}
    if spec.norm == "batch":
        variables["batch_stats"] = {
            f"BatchNorm_{i}": dict(stats) for i, stats in enumerate(model_state["norms"])
        }
    return variables


def random_weights(spec, seed=0):
    """(params, model_state) of `spec`'s structure filled from numpy: every leaf off its init
    (biases, norm scales, running statistics), so each one is tested; running variances > 0.
    (Drawing them with numpy spares each test the compile of JAX's random bits.)"""
    rng = np.random.default_rng(seed)
    shapes = jax.eval_shape(partial(init_conv_net, spec=spec), jax.random.key(0))

    def fill(path, leaf):
        value = 0.4 * rng.standard_normal(leaf.shape)
        if jax.tree_util.keystr(path).endswith("['var']"):
            value = np.abs(value) + 0.5
        return jnp.asarray(value, jnp.float32)

    return jax.tree_util.tree_map_with_path(fill, shapes)


SPECS = {
    "image-none-gap": ConvNetSpec((10, 10, 2), (4, 6), norm="none", pool="max", head="gap"),
    "image-batch-flatten": ConvNetSpec(
        (8, 6, 3), (4, 5), convs_per_block=2, norm="batch", pool="avg", head="flatten",
        d_hidden=7,
    ),
    "image-layer-stride": ConvNetSpec(
        (9, 9, 1), (3, 4), kernel=5, stride=2, norm="layer", pool="none", head="flatten"
    ),
    "signal-batch-gap": ConvNetSpec((20, 1), (4, 4, 5), kernel=5, norm="batch", head="gap"),
    "signal-layer-lax": ConvNetSpec(
        (17, 2), (3, 6), stride=2, norm="layer", pool="avg", head="flatten", d_hidden=8,
        conv="lax",
    ),
}  # fmt: skip


@partial(jax.jit, static_argnums=0)
def both_modes(spec, params, model_state, x):
    """((eval logits, eval state), (train logits, train state)) of ours, in one compile."""
    return (
        conv_net(params, model_state, x, spec),
        conv_net(params, model_state, x, spec, train=True),
    )


@partial(jax.jit, static_argnums=0)
def flax_both_modes(spec, variables, x):
    """The same from the flax network: eval logits, (train logits, updated batch_stats)."""
    net = FlaxConvNet(spec)
    return net.apply(variables, x, False), net.apply(variables, x, True, mutable=["batch_stats"])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_conv_net_matches_flax_in_train_and_eval_mode(key, name):
    spec = SPECS[name]
    params, model_state = random_weights(spec)
    x = jnp.asarray(np.random.default_rng(1).standard_normal((6, *spec.input_shape)), jnp.float32)
    variables = to_flax(params, model_state, spec)

    (logits, same_state), (train_logits, new_state) = both_modes(spec, params, model_state, x)
    flax_logits, (flax_train_logits, updates) = flax_both_modes(spec, variables, x)
    np.testing.assert_allclose(logits, flax_logits, atol=1e-4)  # eval mode
    for a, b in zip(jax.tree.leaves(same_state), jax.tree.leaves(model_state), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(train_logits, flax_train_logits, atol=1e-4)  # train mode
    if spec.norm == "batch":
        flax_stats = [updates["batch_stats"][f"BatchNorm_{i}"] for i in range(len(params["convs"]))]
        for ours, theirs in zip(new_state["norms"], flax_stats, strict=True):
            np.testing.assert_allclose(ours["mean"], theirs["mean"], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(ours["var"], theirs["var"], rtol=1e-5, atol=1e-6)
    else:
        assert new_state == {}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_layer_shapes_and_parameter_shapes(key, name):
    spec = SPECS[name]
    params, model_state = jax.eval_shape(partial(init_conv_net, spec=spec), key)
    shapes = layer_shapes(spec, batch=3)
    x = jnp.zeros((3, *spec.input_shape))
    flax_params = jax.eval_shape(partial(FlaxConvNet(spec).init, train=True), key, x)
    ours = jax.tree.map(jnp.shape, to_flax(params, model_state, spec))
    assert ours == jax.tree.map(jnp.shape, dict(flax_params))  # same layers, same shapes
    assert shapes[-1] == ("logits", (3, 10))
    logits, _ = jax.eval_shape(partial(conv_net, spec=spec), params, model_state, x)
    assert logits.shape == (3, 10)
    convs = [shape for layer, shape in shapes if layer.startswith("conv")]
    assert [shape[-1] for shape in convs] == [
        c for c in spec.channels for _ in range(spec.convs_per_block)
    ]
    assert all(len(shape) == spec.n_spatial + 2 for shape in convs)


def test_documented_shapes_of_an_mnist_network():
    spec = ConvNetSpec((28, 28, 1), (32, 64), head="flatten", d_hidden=128)
    assert layer_shapes(spec, batch=2) == [
        ("conv 0", (2, 28, 28, 32)),
        ("max pool 0", (2, 14, 14, 32)),
        ("conv 1", (2, 14, 14, 64)),
        ("max pool 1", (2, 7, 7, 64)),
        ("flatten", (2, 7 * 7 * 64)),
        ("hidden", (2, 128)),
        ("logits", (2, 10)),
    ]


def test_batch_norm_state_moves_in_training_and_stays_in_eval(key):
    spec = SPECS["image-batch-flatten"]
    params, model_state = random_weights(spec)
    x = 3.0 + 2.0 * jnp.asarray(np.random.default_rng(2).standard_normal((6, *spec.input_shape)))
    _, (_, trained) = both_modes(spec, params, model_state, x)
    moved = jax.tree.map(lambda a, b: float(jnp.abs(a - b).max()), trained, model_state)
    assert min(jax.tree.leaves(moved)) > 1e-3, moved
    (_, evaluated), _ = both_modes(spec, params, trained, x)
    for a, b in zip(jax.tree.leaves(evaluated), jax.tree.leaves(trained), strict=True):
        np.testing.assert_array_equal(a, b)


@partial(jax.jit, static_argnums=0)
def two_and_six(spec, params, model_state, x, key):
    """Logits of x[:2] alone and within x (eval, train), and of x in train mode with dropout."""
    return (
        [conv_net(params, model_state, x[:2], spec, train=train)[0] for train in (False, True)]
        + [conv_net(params, model_state, x, spec, train=train)[0][:2] for train in (False, True)]
        + [conv_net(params, model_state, x, spec, train=True, key=key)[0][:2]]
    )


def test_eval_is_per_example_and_train_couples_the_batch(key):
    """Eval mode: an example's logits do not depend on its batch; train mode (batch norm): they
    do, and dropout (key given) changes them while key=None does not."""
    spec = dataclasses.replace(SPECS["image-batch-flatten"], drop_prob=0.5)
    params, model_state = random_weights(spec)
    x = jnp.asarray(np.random.default_rng(3).standard_normal((6, *spec.input_shape)), jnp.float32)
    alone, trained_alone, together, trained_together, dropped = two_and_six(
        spec, params, model_state, x, key
    )
    np.testing.assert_allclose(alone, together, rtol=1e-5, atol=1e-6)
    assert not np.allclose(trained_alone, trained_together, atol=1e-3)
    assert not np.allclose(dropped, trained_together, atol=1e-3)


def test_spec_refuses_unknown_options_and_inputs_too_small():
    with pytest.raises(ValueError, match="norm='group'"):
        ConvNetSpec((8, 8, 1), norm="group")
    with pytest.raises(ValueError, match="input_shape"):
        ConvNetSpec((8,))
    with pytest.raises(ValueError, match="exceeds"):
        layer_shapes(ConvNetSpec((4, 4, 1), (2, 2, 2)))  # 4 -> 2 -> 1 -> a 2-window on 1
