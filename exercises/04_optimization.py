"""Lesson 04 exercises, optimization for deep learning: run `jlr check 04`.

Each body is `raise NotImplementedError`: replace it with your code, using jax.numpy. The
checker runs your functions on fixed random inputs and compares them with optax, numpy,
scipy or jax.hessian; `jlr progress` shows what you have done.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp


def minibatch_variance(per_example_grads: jax.Array, batch_size: int) -> jax.Array:
    """Expected squared error of a mini-batch gradient, E |g_B - g|^2.

    g_i are the rows of per_example_grads, g = mean_i g_i, and g_B averages B DISTINCT rows
    drawn at random (sampling without replacement):
        E |g_B - g|^2 = tr(Sigma) / B * (N - B) / (N - 1),  Sigma = mean_i (g_i - g)(g_i - g)^T
    per_example_grads: (N, P), batch_size: int -> ()
    Hint: tr(Sigma) is the mean over i of |g_i - g|^2; you never need Sigma itself.
    The checker averages |g_B - g|^2 over every batch of B distinct rows (B = 1 .. N).
    """
    raise NotImplementedError


def warmup_cosine_lr(step, peak: float, warmup_steps: int, total_steps: int) -> jax.Array:
    """Linear warmup from 0 to peak, then cosine decay from peak to 0.

    lr(t) = peak * t / W                                         for t < W
    lr(t) = peak * (1 + cos(pi * min(t - W, T - W) / (T - W))) / 2  for t >= W
    step: int or int array () -> () float. It must equal
    optax.warmup_cosine_decay_schedule(0.0, peak, W, T) at every step.
    """
    raise NotImplementedError


def sgd_stationary_variance(
    lr: float, curvature: float, noise_var: float, batch_size: int
) -> float:
    """Spread of SGD around the minimum of a 1-D quadratic f(x) = curvature x^2 / 2.

    Each step x <- x - lr (curvature * x + xi), with xi mean 0 and variance noise_var / B
    (a mini-batch gradient's noise). At stationarity Var x_{t+1} = Var x_t; solve for it.
    The answer grows with lr / B: the noise scale. -> float
    """
    raise NotImplementedError


def heavy_ball_iterations(
    eigenvalues: jax.Array, x0: jax.Array, lr: float, momentum: float, tol: float
) -> int:
    """Iterations of heavy-ball momentum to shrink |x| by tol on f(x) = sum_i e_i x_i^2 / 2.

    v_0 = 0;  v_{t+1} = momentum v_t + grad f(x_t);  x_{t+1} = x_t - lr v_{t+1}
    (the gradient at x_t itself, not Nesterov's look-ahead point; no (1 - momentum) factor)
    Return the first t with |x_t| <= tol |x0| (0 if x0 already qualifies).
    eigenvalues, x0: (d,) -> int. (optax.sgd(lr, momentum) is this method.)
    """
    raise NotImplementedError


def rmsprop_update(grad, nu, lr: float, decay: float = 0.9, eps: float = 1e-8):
    """One RMSProp step in optax's form (eps inside the square root).

    nu <- decay nu + (1 - decay) grad^2;   update = -lr grad / sqrt(nu + eps)
    (the new nu in the update; eps INSIDE the root matters when grad^2 is as small as eps,
    and the checker tries such gradients)
    grad, nu: (d,) -> (update (d,), new nu (d,))
    """
    raise NotImplementedError


def adam_update(grad, m, v, step: int, lr: float, b1=0.9, b2=0.999, eps=1e-8):
    """One Adam step with bias correction (Kingma & Ba 2015). step counts from 1.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
    m_hat = m / (1 - b1^step);  v_hat = v / (1 - b2^step)
    update = -lr m_hat / (sqrt(v_hat) + eps)      (eps OUTSIDE the square root, unlike RMSProp)
    The first call has step=1. Return the raw m, v as the new state (m_hat, v_hat are only
    for the update). The checker also tries gradients of size 1e-8, where eps matters.
    grad, m, v: (d,) -> (update, new m, new v), each (d,)
    """
    raise NotImplementedError


def uncorrected_step_ratio(step, b1: float = 0.9, b2: float = 0.999):
    """How much larger Adam's step is WITHOUT bias correction, at step t, for a constant
    gradient: |uncorrected update| / |corrected update| (ignore eps).

    Derive it from m_t = (1 - b1^t) g and v_t = (1 - b2^t) g^2. step: int -> float
    """
    raise NotImplementedError


def optimizer_trajectory(optimizer, f: Callable, start: jax.Array, n_steps: int) -> jax.Array:
    """The points an optax-style optimizer visits on f, start included.

    optimizer has init(params) -> state and update(grads, state, params) -> (updates, state);
    the next point is p + updates. Pass params: adamw's weight decay reads them.
    f: (d,) -> (); start: (d,) -> (n_steps + 1, d)
    Hint: jax.grad(f); jit the gradient and the update for speed.
    """
    raise NotImplementedError


def top_hessian_eigenvalue(f: Callable, x: jax.Array, v0: jax.Array, n_iters: int) -> jax.Array:
    """Largest Hessian eigenvalue of f at x by power iteration, without forming the Hessian.

    H v = jvp of grad f at x along v:  jax.jvp(jax.grad(f), (x,), (v,))[1]
    v <- H v / |H v| for n_iters steps from v0, then return the Rayleigh quotient v . H v
    (v of unit norm). Power iteration finds the eigenvalue of largest |lambda|: at a saddle
    it may be negative, and the Rayleigh quotient keeps its sign.
    Refused: jax.hessian / jacfwd / jacrev / jacobian, eigh / eigvalsh / eig / svd, and any
    (d, d) array (the checker traces your function with jax.make_jaxpr: keep it in jax.numpy,
    no float() or numpy on traced values). f: (d,) -> (); x, v0: (d,) -> ()
    """
    raise NotImplementedError


def random_features_fit(x: jax.Array, y: jax.Array, w: jax.Array) -> jax.Array:
    """Minimum-norm least-squares weights on random ReLU features.

    phi = relu(x w / sqrt(d)), a = pinv(phi) y  (exact fit of minimum norm when p >= n)
    x: (n, d), y: (n,), w: (d, p) -> a: (p,)
    """
    raise NotImplementedError


def gd_from_zero(a: jax.Array, b: jax.Array, lr: float, n_steps: int) -> jax.Array:
    """Gradient descent on |a x - b|^2 / 2 from x = 0, n_steps steps of size lr.

    grad = a^T (a x - b). a: (n, d) with n < d (many exact solutions), b: (n,) -> x: (d,)
    Which solution does it find? The checker compares x with pinv(a) b after many steps, and
    with the exact gradient-descent iterate after 1 and 3 steps; pinv, lstsq, solve and inv
    are refused: run the iteration.
    """
    raise NotImplementedError
