r"""Backpropagation by hand: forward passes that keep a cache, backward passes that use it.

No `jax.grad` or `jax.vjp` here: every gradient is the chain rule written out, one layer at a
time, and the tests check each against `jax.grad` of an independently written forward pass.

Each layer is a pair `y, cache = layer_forward(params, x)` and
`dx, grads = layer_backward(params, cache, dy)`, where `dy = dL/dy` has the shape of `y`
(the upstream gradient) and the backward returns `dL/dx` (shape of `x`) and `dL/dparams`
(the shape of `params`); a layer without parameters (ReLU, pooling) takes its cache and `dy`
and returns `dx`. A network's backward walks its layers in reverse and hands each layer's `dx`
to the layer before as its `dy`: that is the whole algorithm.

Two networks (ReLU between layers, softmax cross-entropy averaged over the batch):

  MLP  x: (batch, d_in) -linear, relu-> ... -linear-> logits (batch, n_classes)
       (the layout of `jlr.models.mlp`: a list of {"w": (d_in, d_out), "b": (d_out,)})
  CNN  x: (batch, height, width, c_in)
         -conv1 (stride s1), relu-> -2x2 max pool-> -conv2 (stride s2), relu-> -2x2 avg pool->
         -flatten-> -linear head-> logits (batch, n_classes)
       ({"conv1", "conv2": {"w": (kernel, kernel, c_in, c_out), "b": (c_out,)}, "head": linear})

Convolution is im2col (as `jlr.nn.conv`): the forward is one matmul `patches @ W`, so its
backward is two: dW = patches^T dY and dpatches = dY W^T, and col2im scatter-adds each patch's
gradient back onto the pixels it was copied from (a pixel in several patches collects several).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from jlr.nn.conv import init_conv2d
from jlr.nn.linear import init_linear
from jlr.probability.cross_entropy import softmax_cross_entropy

Params = dict[str, jax.Array]


# ---- the loss ------------------------------------------------------------------------------


def softmax_cross_entropy_backward(logits: jax.Array, labels: jax.Array) -> jax.Array:
    r"""dL/dz for L = (1/B) sum_n -log softmax(z_n)_{y_n}:  dL/dz_nk = (p_nk - [k = y_n]) / B.

    logits: (batch, n_classes), labels: (batch,) ints -> dlogits: (batch, n_classes).
    The gradient of cross-entropy through softmax is "predicted minus true" probabilities.
    """
    batch, n_classes = logits.shape
    probs = jax.nn.softmax(logits, axis=-1)  # (batch, n_classes)
    return (probs - jax.nn.one_hot(labels, n_classes, dtype=logits.dtype)) / batch


# ---- dense layer and ReLU ------------------------------------------------------------------


def linear_backward(params: Params, x: jax.Array, dy: jax.Array) -> tuple[jax.Array, Params]:
    r"""Backward of y = x W + b (the cache is the input x).

    dW = x^T dy,  db = sum_n dy_n,  dx = dy W^T
    x: (batch, d_in), dy: (batch, d_out) -> dx: (batch, d_in),
    grads {"w": (d_in, d_out), "b": (d_out,)}. The sum over the batch in dW and db is the
    sum over examples of per-example outer products x_n^T dy_n.
    """
    dw = x.T @ dy  # (d_in, batch) @ (batch, d_out) -> (d_in, d_out)
    db = jnp.sum(dy, axis=0)  # (d_out,)
    dx = dy @ params["w"].T  # (batch, d_out) @ (d_out, d_in) -> (batch, d_in)
    return dx, {"w": dw, "b": db}


def relu_backward(z: jax.Array, dh: jax.Array) -> jax.Array:
    r"""Backward of h = max(z, 0):  dz = dh * [z > 0]  (at z = 0 the gradient is 0, as jax's).

    z (the pre-activation, the cache), dh: any shape -> dz: same shape.
    """
    return jnp.where(z > 0, dh, 0.0)


# ---- the MLP -------------------------------------------------------------------------------


def mlp_forward(params: Sequence[Params], x: jax.Array) -> tuple[jax.Array, list[Params]]:
    r"""h_0 = x, z_l = h_l W_l + b_l, h_{l+1} = relu(z_l), logits = z_{L-1}; keeps a cache.

    x: (batch, d_in) -> logits: (batch, n_classes), cache: one {"x": h_l (batch, d_l),
    "z": z_l (batch, d_{l+1})} per layer, the two arrays its backward needs.
    """
    cache = []
    h = x
    for layer_index, layer in enumerate(params):
        z = h @ layer["w"] + layer["b"]  # (batch, d_l) @ (d_l, d_{l+1}) -> (batch, d_{l+1})
        cache.append({"x": h, "z": z})
        is_last = layer_index == len(params) - 1
        h = z if is_last else jax.nn.relu(z)
    return h, cache


def mlp_backward(
    params: Sequence[Params], cache: Sequence[Params], dlogits: jax.Array
) -> list[Params]:
    r"""dL/dparams, layer by layer from the last:  dz_{L-1} = dlogits, and for each l

    dW_l = h_l^T dz_l,  db_l = sum_n dz_l,  dh_l = dz_l W_l^T,  dz_{l-1} = dh_l * [z_{l-1} > 0]

    dlogits: (batch, n_classes) -> grads with the structure of params ({"w": (d_l, d_{l+1}),
    "b": (d_{l+1},)} per layer).
    """
    grads: list[Params] = [{} for _ in params]
    dz = dlogits  # (batch, d_{l+1}) for the layer being visited
    for layer_index in reversed(range(len(params))):
        dh, grads[layer_index] = linear_backward(params[layer_index], cache[layer_index]["x"], dz)
        if layer_index > 0:
            dz = relu_backward(cache[layer_index - 1]["z"], dh)  # (batch, d_l)
    return grads


def mlp_loss_and_grads(
    params: Sequence[Params], x: jax.Array, labels: jax.Array
) -> tuple[jax.Array, list[Params]]:
    """Mean softmax cross-entropy of the MLP and its gradients, by hand.

    x: (batch, d_in), labels: (batch,) -> loss (), grads (structure of params): what
    `jax.value_and_grad` gives for `jlr.models.mlp.mlp` (the tests check it).
    """
    logits, cache = mlp_forward(params, x)
    loss = jnp.mean(softmax_cross_entropy(logits, labels))
    return loss, mlp_backward(params, cache, softmax_cross_entropy_backward(logits, labels))


# ---- convolution by im2col -----------------------------------------------------------------


def _same_pads(h: int, w: int, kernel: int, stride: int) -> list[tuple[int, int]]:
    """(low, high) zero padding of height and width for SAME output ceil(h/s) x ceil(w/s)."""
    return jax.lax.padtype_to_pads((h, w), (kernel, kernel), (stride, stride), "SAME")


def _offset_slices(out_h: int, out_w: int, u: int, v: int, stride: int) -> tuple[slice, ...]:
    """Index of x_pad[:, s i + u, s j + v] for all output positions (i, j)."""
    return (
        slice(None),
        slice(u, u + (out_h - 1) * stride + 1, stride),
        slice(v, v + (out_w - 1) * stride + 1, stride),
    )


def im2col(x: jax.Array, kernel: int, stride: int = 1) -> jax.Array:
    r"""Patches of a SAME-padded image: patches[n, i, j, (u, v, c)] = x_pad[n, s i + u, s j + v, c].

    x: (batch, height, width, c_in) -> (batch, out_h, out_w, kernel*kernel*c_in), with
    out_h = ceil(height / s), out_w = ceil(width / s); the last axis is ordered (u, v, c),
    the order of W.reshape(kernel*kernel*c_in, c_out).
    """
    _, h, w, _ = x.shape
    pad_h, pad_w = _same_pads(h, w, kernel, stride)
    x_pad = jnp.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))  # (batch, h + pads, w + pads, c_in)
    out_h, out_w = -(-h // stride), -(-w // stride)
    shifted = [
        x_pad[_offset_slices(out_h, out_w, u, v, stride)]  # (batch, out_h, out_w, c_in)
        for u in range(kernel)
        for v in range(kernel)
    ]
    return jnp.concatenate(shifted, axis=-1)  # (batch, out_h, out_w, k*k*c_in)


def col2im(
    dpatches: jax.Array, x_shape: tuple[int, ...], kernel: int, stride: int = 1
) -> jax.Array:
    r"""The adjoint of im2col: scatter-add every patch entry back onto the pixel it came from.

    dx[n, s i + u - pad, s j + v - pad, c] += dpatches[n, i, j, (u, v, c)] over all (i, j, u, v);
    the entries that landed in the zero padding are dropped.
    dpatches: (batch, out_h, out_w, kernel*kernel*c_in) -> dx: x_shape (batch, h, w, c_in).

    For each offset (u, v) the scatter is `dx_pad.at[:, u::s, v::s].add(...)`, undoing im2col's
    strided slice; it is written as `lax.pad` with s - 1 zeros between entries (the same
    placement), which XLA compiles several times faster than a scatter.
    """
    batch, h, w, c_in = x_shape
    (top, bottom), (left, right) = _same_pads(h, w, kernel, stride)
    h_pad, w_pad = h + top + bottom, w + left + right
    _, out_h, out_w, _ = dpatches.shape
    span_h, span_w = (
        (out_h - 1) * stride + 1,
        (out_w - 1) * stride + 1,
    )  # rows, cols one offset hits
    per_offset = dpatches.reshape(batch, out_h, out_w, kernel, kernel, c_in)  # split (u, v, c)
    dx_pad = jnp.zeros((batch, h_pad, w_pad, c_in), dpatches.dtype)
    for u in range(kernel):
        for v in range(kernel):  # a pixel reached from several patches sums their gradients
            placement = (  # (before, after, between) per axis: row s i + u, column s j + v
                (0, 0, 0),
                (u, h_pad - u - span_h, stride - 1),
                (v, w_pad - v - span_w, stride - 1),
                (0, 0, 0),
            )
            dx_pad = dx_pad + jax.lax.pad(per_offset[:, :, :, u, v], 0.0, placement)
    return dx_pad[:, top : top + h, left : left + w]  # (batch, h, w, c_in)


def conv2d_forward(
    params: Params, x: jax.Array, stride: int = 1
) -> tuple[jax.Array, dict[str, jax.Array]]:
    r"""SAME conv as one matmul: y = patches W_mat + b, W_mat = W.reshape(k*k*c_in, c_out).

    x: (batch, height, width, c_in) -> y: (batch, out_h, out_w, c_out) (equal to
    `jlr.nn.conv.conv2d`), cache {"x": x (col2im needs its shape),
    "patches": (batch, out_h, out_w, k*k*c_in)}.
    """
    kernel, _, c_in, c_out = params["w"].shape
    patches = im2col(x, kernel, stride)  # (batch, out_h, out_w, k*k*c_in)
    w_mat = params["w"].reshape(kernel * kernel * c_in, c_out)  # (k*k*c_in, c_out)
    y = patches @ w_mat + params["b"]  # (batch, out_h, out_w, c_out)
    return y, {"x": x, "patches": patches}


def conv2d_backward(
    params: Params, cache: dict[str, jax.Array], dy: jax.Array, stride: int = 1
) -> tuple[jax.Array, Params]:
    r"""Backward of y = patches W_mat + b: the dense layer's rule with one row per position.

    dW_mat = patches^T dY,  db = sum over (n, i, j) of dY,  dpatches = dY W_mat^T,
    dx = col2im(dpatches), where patches and dY are flattened to batch*out_h*out_w rows.
    dy: (batch, out_h, out_w, c_out) -> dx: (batch, height, width, c_in),
    grads {"w": (kernel, kernel, c_in, c_out), "b": (c_out,)}.
    """
    kernel, _, c_in, c_out = params["w"].shape
    patch_rows = cache["patches"].reshape(-1, kernel * kernel * c_in)  # (rows, k*k*c_in)
    dy_rows = dy.reshape(-1, c_out)  # (rows, c_out), rows = batch*out_h*out_w
    dw_mat = patch_rows.T @ dy_rows  # (k*k*c_in, rows) @ (rows, c_out) -> (k*k*c_in, c_out)
    w_mat = params["w"].reshape(kernel * kernel * c_in, c_out)  # (k*k*c_in, c_out)
    dpatches = dy @ w_mat.T  # (batch, out_h, out_w, c_out) @ (c_out, k*k*c_in)
    dx = col2im(dpatches, cache["x"].shape, kernel, stride)  # (batch, height, width, c_in)
    grads = {"w": dw_mat.reshape(params["w"].shape), "b": jnp.sum(dy_rows, axis=0)}
    return dx, grads


# ---- pooling over non-overlapping windows --------------------------------------------------


def _windows(x: jax.Array, window: int) -> jax.Array:
    """(batch, h, w, c) -> (batch, h//p, w//p, c, p*p), each window's entries in (u, v) order.

    Rows and columns past the last whole window are dropped (VALID pooling).
    """
    batch, h, w, c = x.shape
    out_h, out_w = h // window, w // window
    x = x[:, : out_h * window, : out_w * window]  # (batch, out_h p, out_w p, c)
    x = x.reshape(batch, out_h, window, out_w, window, c)  # split rows (i, u), columns (j, v)
    x = x.transpose(0, 1, 3, 5, 2, 4)  # (batch, out_h, out_w, c, p, p)
    return x.reshape(batch, out_h, out_w, c, window * window)  # (batch, out_h, out_w, c, p*p)


def _unwindows(dwin: jax.Array, x_shape: tuple[int, ...], window: int) -> jax.Array:
    """Inverse of _windows, with zeros in the dropped rows and columns: -> x_shape."""
    batch, h, w, c = x_shape
    _, out_h, out_w, _, _ = dwin.shape
    dx = dwin.reshape(batch, out_h, out_w, c, window, window)  # (batch, out_h, out_w, c, p, p)
    dx = dx.transpose(0, 1, 4, 2, 5, 3)  # (batch, out_h, p, out_w, p, c)
    dx = dx.reshape(batch, out_h * window, out_w * window, c)  # (batch, out_h p, out_w p, c)
    return jnp.pad(dx, ((0, 0), (0, h - out_h * window), (0, w - out_w * window), (0, 0)))


def max_pool_forward(x: jax.Array, window: int = 2) -> tuple[jax.Array, jax.Array]:
    r"""y[n, i, j, c] = max_{u, v < p} x[n, p i + u, p j + v, c] (stride = window p, VALID).

    x: (batch, height, width, c) -> y: (batch, height//p, width//p, c), cache x.
    """
    return jnp.max(_windows(x, window), axis=-1), x


def max_pool_backward(x: jax.Array, dy: jax.Array, window: int = 2) -> jax.Array:
    r"""The gradient of a max goes to the entry that won: dx = dy at each window's argmax, else 0.

    Ties: the first maximal entry in row-major (u, v) order takes all of dy (as `jnp.argmax`;
    this is also what `jax.grad` of `lax.reduce_window(..., lax.max, ...)` does, and PyTorch;
    `jax.grad` of `jnp.max` over a reshaped window, and of `jlr.nn.pooling.max_pool`, instead
    splits dy evenly among the ties).
    x (the cache): (batch, height, width, c), dy: (batch, height//p, width//p, c) -> dx: x's shape.
    """
    windows = _windows(x, window)  # (batch, out_h, out_w, c, p*p)
    winner = jax.nn.one_hot(jnp.argmax(windows, axis=-1), window * window, dtype=dy.dtype)
    return _unwindows(winner * dy[..., None], x.shape, window)  # (batch, height, width, c)


def avg_pool_forward(x: jax.Array, window: int = 2) -> tuple[jax.Array, jax.Array]:
    r"""y[n, i, j, c] = (1/p^2) sum_{u, v < p} x[n, p i + u, p j + v, c] (stride p, VALID).

    x: (batch, height, width, c) -> y: (batch, height//p, width//p, c), cache x (for its shape).
    """
    return jnp.mean(_windows(x, window), axis=-1), x


def avg_pool_backward(x: jax.Array, dy: jax.Array, window: int = 2) -> jax.Array:
    r"""Each entry of a window gets an equal share: dx[n, p i + u, p j + v, c] = dy[n, i, j, c]/p^2.

    x (the cache, for its shape), dy: (batch, height//p, width//p, c) -> dx: x's shape.
    """
    share = jnp.broadcast_to(dy[..., None] / window**2, (*dy.shape, window * window))
    return _unwindows(share, x.shape, window)  # (batch, height, width, c)


# ---- a small CNN ---------------------------------------------------------------------------


def init_pooled_cnn(
    key: jax.Array,
    image_shape: tuple[int, int, int],
    channels: tuple[int, int],
    n_classes: int,
    *,
    kernel: int = 3,
    strides: tuple[int, int] = (1, 1),
) -> dict[str, Params]:
    """Parameters of the module's CNN for images (height, width, c_in), by `jlr.nn`'s inits.

    -> {"conv1": (kernel, kernel, c_in, c1), "conv2": (kernel, kernel, c1, c2),
    "head": (h2 * w2 * c2, n_classes)}, h2, w2 the spatial size after the second pooling.
    """
    height, width, c_in = image_shape
    c1, c2 = channels
    for stride in strides:  # conv (SAME, stride s): ceil(./s); then 2x2 pooling: floor(./2)
        height, width = -(-height // stride) // 2, -(-width // stride) // 2
    conv1_key, conv2_key, head_key = jax.random.split(key, 3)
    return {
        "conv1": init_conv2d(conv1_key, kernel, c_in, c1),
        "conv2": init_conv2d(conv2_key, kernel, c1, c2),
        "head": init_linear(head_key, height * width * c2, n_classes),
    }


def pooled_cnn_forward(
    params: dict[str, Params], x: jax.Array, strides: tuple[int, int] = (1, 1)
) -> tuple[jax.Array, dict]:
    r"""conv1, relu, max pool, conv2, relu, avg pool, flatten, linear head; keeps a cache.

    x: (batch, height, width, c_in) -> logits: (batch, n_classes), cache: each layer's.
    """
    y1, conv1 = conv2d_forward(params["conv1"], x, strides[0])  # (batch, h1, w1, c1)
    p1, pool1 = max_pool_forward(jax.nn.relu(y1))  # (batch, h1//2, w1//2, c1)
    y2, conv2 = conv2d_forward(params["conv2"], p1, strides[1])  # (batch, h2, w2, c2)
    p2, pool2 = avg_pool_forward(jax.nn.relu(y2))  # (batch, h2//2, w2//2, c2)
    flat = p2.reshape(p2.shape[0], -1)  # (batch, h2//2 * w2//2 * c2)
    logits = flat @ params["head"]["w"] + params["head"]["b"]  # (batch, n_classes)
    cache = {"conv1": conv1, "y1": y1, "pool1": pool1, "conv2": conv2, "y2": y2}
    return logits, cache | {"pool2": pool2, "flat": flat}


def pooled_cnn_backward(
    params: dict[str, Params], cache: dict, dlogits: jax.Array, strides: tuple[int, int] = (1, 1)
) -> dict[str, Params]:
    r"""The forward's layers in reverse, each turning dL/d(its output) into dL/d(its input).

    dlogits: (batch, n_classes) -> grads with the structure of params.
    """
    dflat, head = linear_backward(params["head"], cache["flat"], dlogits)  # (batch, d_flat)
    batch, h2, w2, c2 = cache["y2"].shape
    dp2 = dflat.reshape(batch, h2 // 2, w2 // 2, c2)  # undo the flatten
    dy2 = relu_backward(cache["y2"], avg_pool_backward(cache["pool2"], dp2))  # (batch, h2, w2, c2)
    dp1, conv2 = conv2d_backward(params["conv2"], cache["conv2"], dy2, strides[1])
    dy1 = relu_backward(cache["y1"], max_pool_backward(cache["pool1"], dp1))  # (batch, h1, w1, c1)
    _, conv1 = conv2d_backward(params["conv1"], cache["conv1"], dy1, strides[0])  # no dx needed
    return {"conv1": conv1, "conv2": conv2, "head": head}


def pooled_cnn_loss_and_grads(
    params: dict[str, Params], x: jax.Array, labels: jax.Array, strides: tuple[int, int] = (1, 1)
) -> tuple[jax.Array, dict[str, Params]]:
    """Mean softmax cross-entropy of the CNN and its gradients, by hand.

    x: (batch, height, width, c_in), labels: (batch,) -> loss (), grads (structure of params).
    """
    logits, cache = pooled_cnn_forward(params, x, strides)
    loss = jnp.mean(softmax_cross_entropy(logits, labels))
    dlogits = softmax_cross_entropy_backward(logits, labels)
    return loss, pooled_cnn_backward(params, cache, dlogits, strides)
