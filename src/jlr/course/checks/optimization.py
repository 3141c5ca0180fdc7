"""Checks for exercises/04_optimization.py, each against an independent oracle.

Oracles: optax (optimizers, schedules and trajectories, run on the same inputs), exact
enumeration of every mini-batch in float64, closed forms in float64 (the Hessian of a
quartic, the gradient-descent iterate, scipy's discrete Lyapunov solver), numpy's
lstsq/pinv, float64 loops of heavy-ball momentum, and jlr.optim's bias-correction switch.
Inputs come from fixed seeds so a hint is reproducible, and are chosen so that each known
mistake (a missing finite-population factor, eps on the wrong side of the square root, no
bias correction, Nesterov for heavy ball...) gives an answer far from the right one: the
learner then sees that mistake's hint. Shortcuts an exercise exists to avoid (jax.hessian,
eigh, pinv...) are refused with `jlr.course.guard`.
"""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.linalg

from jlr.calculus.functions import himmelblau
from jlr.course.exercise import CheckFailed, Exercise, assert_close, assert_equal, f64, scalar
from jlr.course.guard import (
    CLOSED_FORM_SOLVERS,
    HESSIAN_BUILDERS,
    assert_no_primitive,
    assert_no_square_intermediate,
    diagnose,
    without,
)

GD = "Gradient descent (batch, mini-batch, stochastic)"
SCHEDULES = "Learning rate schedules"
STOCHASTICITY = "Stochasticity and implicit regularization"
MOMENTUM = "Momentum-based optimization"
ADAPTIVE = "RMSProp and Adam"
BIAS_CORRECTION = "Bias correction in adaptive methods"
NON_CONVEX = "Non-convex loss landscapes"
SADDLES = "Saddle points and flat minima"
DOUBLE_DESCENT = "Overparameterization and double descent"
IMPLICIT_BIAS = "Generalization and implicit bias"


def _f32(x) -> jax.Array:
    return jnp.asarray(x, dtype=jnp.float32)


# -- Gradient descent: the noise of a mini-batch --------------------------------------------

WITH_REPLACEMENT = (
    "that is the variance for sampling WITH replacement: B distinct rows also need the "
    "finite-population factor (N - B) / (N - 1)"
)
WRONG_FACTOR = "the finite-population factor is (N - B) / (N - 1), not (N - B) / N"
SIGMA_DDOF = "tr(Sigma) is the MEAN over the N rows of |g_i - g|^2: divide by N, not N - 1"
SIGMA_SUM = "tr(Sigma) is the MEAN over the N rows of |g_i - g|^2, not their sum"
COORDINATE_MEAN = "|g_B - g|^2 sums over the P coordinates (a trace), it is not a mean over them"
BOTH_WRONG = WITH_REPLACEMENT + "; and tr(Sigma) divides by N, not N - 1"


def _exact_minibatch_variance(grads: np.ndarray, batch_size: int) -> float:
    """mean over all C(N, B) batches of B distinct rows of |g_B - g|^2, in float64."""
    batches = np.array(list(itertools.combinations(range(len(grads)), batch_size)))  # (C, B)
    errors = grads[batches].mean(axis=1) - grads.mean(axis=0)  # (C, P)
    return float(np.mean(np.sum(errors**2, axis=1)))


def check_minibatch_variance(fn) -> None:
    rng = np.random.default_rng(0)
    n, p = 9, 4  # small enough to enumerate every batch; C(9, 4) = 126 at most
    grads = _f32(rng.normal(size=(n, p)) * np.array([1.0, 2.0, 0.5, 3.0]) + 0.3)
    g64 = f64(grads)
    trace = np.mean(np.sum((g64 - g64.mean(0)) ** 2, axis=1))  # tr(Sigma), ddof 0
    for b in (1, 2, 4, 8, 9):
        expected = _exact_minibatch_variance(g64, b)
        got = scalar(fn(grads, b), "the variance")
        factor = (n - b) / (n - 1)
        diagnose(
            got,
            expected,
            {
                WITH_REPLACEMENT: trace / b,
                WRONG_FACTOR: trace / b * (n - b) / n,
                SIGMA_DDOF: trace * n / (n - 1) / b * factor,
                BOTH_WRONG: trace * n / (n - 1) / b,
                SIGMA_SUM: trace * n / b * factor,
                COORDINATE_MEAN: trace / p / b * factor,
            },
        )
        assert_close(got, expected, rtol=1e-4, atol=1e-6, what=f"variance at B={b}, N={n}")


# -- Learning-rate schedules ------------------------------------------------------------------


def check_warmup_cosine_lr(fn) -> None:
    peak, w, t_total = 0.3, 15, 120
    oracle = optax.warmup_cosine_decay_schedule(0.0, peak, w, t_total)
    steps = np.array([0, 1, 7, 14, 15, 16, 60, 100, 119, 120, 200])
    expected = np.array([float(oracle(int(step))) for step in steps])
    got = np.array(
        [scalar(fn(int(step), peak, w, t_total), f"lr at step {step}") for step in steps]
    )
    warm = steps < w

    def cosine(progress):
        return np.where(warm, peak * steps / w, peak * (1 + np.cos(np.pi * progress)) / 2)

    diagnose(
        got,
        expected,
        {
            "warmup starts at 0: lr(t) = peak t / W for t < W (lr(0) = 0)": np.where(
                warm, peak * (steps + 1) / w, expected
            ),
            "the cosine phase lasts T - W steps (it reaches 0 at step T): divide t - W by "
            "T - W, not by T": cosine(np.minimum(steps - w, t_total) / t_total),
            "measure the cosine's progress from the end of warmup, (t - W) / (T - W), not "
            "t / T": cosine(np.minimum(steps, t_total) / t_total),
            "past total_steps the rate stays 0: clip t - W at T - W": cosine(
                (steps - w) / (t_total - w)
            ),
        },
        atol=1e-6,
    )
    for step, value, right in zip(steps, got, expected, strict=True):
        assert_close(value, right, rtol=1e-5, atol=1e-7, what=f"lr at step {step}")


# -- Stochasticity: the stationary spread of SGD ----------------------------------------------


def check_sgd_stationary_variance(fn) -> None:
    cases = ((0.1, 1.0, 1.0, 1), (0.5, 2.0, 3.0, 8), (0.05, 10.0, 0.5, 32), (0.15, 10.0, 2.0, 4))
    for lr, h, noise_var, b in cases:  # the last has lr h = 1.5: 1 - lr h < 0
        # stationary variance of x' = a x + e: the 1x1 discrete Lyapunov equation s = a s a + q
        a, q = np.array([[1 - lr * h]]), np.array([[lr**2 * noise_var / b]])
        expected = float(scipy.linalg.solve_discrete_lyapunov(a, q)[0, 0])
        got = scalar(fn(lr, h, noise_var, b), "the variance")
        contraction = 1 - lr * h
        diagnose(
            got,
            expected,
            {
                "that is the small-lr limit lr s / (2 h B); solve Var = (1 - lr h)^2 Var + "
                "lr^2 s / B exactly (keep the lr^2 h^2 term)": lr * noise_var / (2 * h * b),
                "the gradient noise has variance noise_var / B: divide by the batch size": (
                    lr**2 * noise_var / (1 - contraction**2)
                ),
                "the contraction enters squared: Var x' = (1 - lr h)^2 Var x + lr^2 s / B": (
                    lr**2 * noise_var / b / (1 - contraction)
                ),
                "the noise enters as lr xi, so its variance is lr^2 noise_var / B": (
                    lr * noise_var / b / (1 - contraction**2)
                ),
                "return the variance of x, not its standard deviation": np.sqrt(expected),
            },
        )
        assert_close(got, expected, rtol=1e-5, what=f"variance at lr={lr}, h={h}, B={b}")


# -- Momentum: heavy ball -------------------------------------------------------------------

HEAVY_BALL_EIGENVALUES = np.array([1.0, 3.0, 10.0, 30.0])
HEAVY_BALL_X0 = np.array([1.0, -2.0, 0.5, 1.0])
# (lr, momentum, tol): every |x_t| stays >= 0.9% away from the threshold (in log), so float32
# counts the same steps as float64. The first two tell heavy ball from Nesterov, from an EMA
# velocity and from plain GD (109 steps vs 83, 239, 297); the last stops at once (t = 0).
HEAVY_BALL_CASES = (
    (0.02, 0.9, 1e-3),
    (0.03, 0.8, 1e-4),
    (0.08, 0.5, 1e-3),
    (0.05, 0.0, 1e-3),
    (0.05, 0.5, 1.0),
)


@np.errstate(over="ignore", invalid="ignore")  # a diverging rule (Nesterov here) overflows
def momentum_iterations(
    eigenvalues, x0, lr: float, momentum: float, tol: float, rule: str = "heavy ball"
) -> tuple[int, float]:
    """(first t with |x_t| <= tol |x0|, the smallest |log(|x_s| / threshold)| for s <= t),
    in float64, for rule "heavy ball" (optax.sgd's momentum), "nesterov" (optax's
    nesterov=True) or "ema" (v = momentum v + (1 - momentum) grad). 100_000 if never."""
    x, v = f64(x0), np.zeros(len(x0))
    threshold = tol * np.linalg.norm(x)
    margin = np.inf
    for t in range(100_000):
        norm = np.linalg.norm(x)
        if not np.isfinite(norm):
            return 100_000, margin
        margin = min(margin, abs(np.log(norm / threshold)))
        if norm <= threshold:
            return t, margin
        grad = eigenvalues * x
        if rule == "ema":
            v = momentum * v + (1 - momentum) * grad
            x = x - lr * v
        else:
            v = momentum * v + grad
            x = x - lr * (grad + momentum * v if rule == "nesterov" else v)
    return 100_000, margin


NESTEROV = (
    "that is Nesterov momentum (gradient at the look-ahead point); heavy ball steps "
    "x <- x - lr v with v = momentum v + grad f(x_t)"
)
EMA = "use v = momentum v + grad, with no (1 - momentum) factor (optax.sgd's form)"
NO_MOMENTUM = "that is plain gradient descent: add the velocity v = momentum v + grad"


def check_heavy_ball_iterations(fn) -> None:
    def count(lr, momentum, tol, rule="heavy ball"):
        return momentum_iterations(HEAVY_BALL_EIGENVALUES, HEAVY_BALL_X0, lr, momentum, tol, rule)[
            0
        ]

    for lr, momentum, tol in HEAVY_BALL_CASES:
        expected = count(lr, momentum, tol)
        got_value = fn(_f32(HEAVY_BALL_EIGENVALUES), _f32(HEAVY_BALL_X0), lr, momentum, tol)
        got = int(scalar(got_value, "the iteration count"))
        if got == expected:
            continue
        if got == count(lr, momentum, tol, "nesterov"):
            raise CheckFailed(NESTEROV)
        if got == count(lr, momentum, tol, "ema"):
            raise CheckFailed(EMA)
        if momentum > 0 and got == count(lr, 0.0, tol):
            raise CheckFailed(NO_MOMENTUM)
        if abs(got - expected) == 1:
            raise CheckFailed(
                f"off by one ({got} for {expected}): x0 is t = 0, so return the first t with "
                "|x_t| <= tol |x0| (0 when x0 already qualifies)"
            )
        raise CheckFailed(
            f"lr={lr}, momentum={momentum}, tol={tol}: {got} iterations, heavy ball takes "
            f"{expected}"
        )


# -- RMSProp and Adam -----------------------------------------------------------------------


def _rmsprop_cases():
    """(grad, nu, decay, eps): unit gradients, a nonzero state, gradients of size 1e-4 with
    eps = 1e-8, and eps = 0.25: in the last two, eps inside vs outside the root differ."""
    rng = np.random.default_rng(1)
    unit = rng.normal(size=(4, 6))
    state = rng.uniform(0.5, 2.0, size=(3, 6))
    return (
        (unit[0], np.zeros(6), 0.9, 1e-8),
        (unit[1], state[0], 0.9, 1e-8),
        (unit[2] * 1e-4, state[1] * 1e-8, 0.99, 1e-8),
        (unit[3], state[2], 0.9, 0.25),
    )


EPS_OUTSIDE = (
    "eps goes INSIDE the square root here (optax's rmsprop): divide by sqrt(nu + eps), not "
    "sqrt(nu) + eps"
)
OLD_NU = "update nu first, then divide by the square root of the NEW nu"
DECAY_SWAPPED = "nu keeps `decay` of its old value: nu <- decay nu + (1 - decay) grad^2"


def check_rmsprop_update(fn) -> None:
    lr = 0.01
    for i, (grad, nu, decay, eps) in enumerate(_rmsprop_cases()):
        optimizer = optax.rmsprop(lr, decay=decay, eps=eps)
        state = optimizer.init(_f32(grad))
        state = (state[0]._replace(nu=_f32(nu)), *state[1:])
        expected, state = optimizer.update(_f32(grad), state)
        expected_nu = state[0].nu
        got = fn(_f32(grad), _f32(nu), lr, decay, eps)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailed("return a pair (update, new nu)")
        update, new_nu = got
        case = f"case {i + 1} (decay={decay}, eps={eps:g})"
        g, nu = f64(grad), f64(nu)
        new, swapped = decay * nu + (1 - decay) * g**2, (1 - decay) * nu + decay * g**2
        diagnose(
            update,
            expected,
            {
                EPS_OUTSIDE: -lr * g / (np.sqrt(new) + eps),
                OLD_NU: -lr * g / np.sqrt(nu + eps),
                "the update points downhill: -lr grad / sqrt(nu + eps)": lr
                * g
                / np.sqrt(new + eps),
                DECAY_SWAPPED: -lr * g / np.sqrt(swapped + eps),
            },
        )
        diagnose(new_nu, expected_nu, {DECAY_SWAPPED: swapped}, atol=1e-12)
        assert_close(update, expected, rtol=1e-4, atol=1e-7, what=f"update in {case}")
        assert_close(new_nu, expected_nu, rtol=1e-4, atol=1e-12, what=f"new nu in {case}")


@np.errstate(divide="ignore", invalid="ignore")  # step_shift=-1 divides by 1 - b^0 = 0
def _adam_numpy(grad, m, v, step, lr, b1, b2, eps, **variant) -> np.ndarray:
    """The update of a (possibly wrong) Adam step in float64. variant: correct_m,
    correct_v, eps_inside, eps_before_correction (eps added to sqrt(v), then rescaled),
    step_shift (t + shift in the corrections), sign."""
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    t = step + variant.get("step_shift", 0)
    m_hat = m / (1 - b1**t) if variant.get("correct_m", True) else m
    v_hat = v / (1 - b2**t) if variant.get("correct_v", True) else v
    if variant.get("eps_inside"):
        denominator = np.sqrt(v_hat + eps)
    elif variant.get("eps_before_correction"):
        denominator = (np.sqrt(v) + eps) / np.sqrt(1 - b2**t)
    else:
        denominator = np.sqrt(v_hat) + eps
    return variant.get("sign", -1) * lr * m_hat / denominator


ADAM_MISTAKES = {
    "bias-correct m and v: m_hat = m / (1 - b1^step), v_hat = v / (1 - b2^step); without it "
    "the first steps are off by (1 - b1^t) / sqrt(1 - b2^t)": {
        "correct_m": False,
        "correct_v": False,
    },
    "correct v too: v_hat = v / (1 - b2^step)": {"correct_v": False},
    "correct m too: m_hat = m / (1 - b1^step)": {"correct_m": False},
    "in Adam eps goes OUTSIDE the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps)": {
        "eps_inside": True
    },
    "add eps to sqrt(v_hat), the corrected v: -lr m_hat / (sqrt(v_hat) + eps)": {
        "eps_before_correction": True
    },
    "step counts from 1 (the first call has step=1): correct with 1 - b^step, not "
    "1 - b^(step + 1)": {"step_shift": 1},
    "step counts from 1 (the first call has step=1): correct with 1 - b^step, not "
    "1 - b^(step - 1)": {"step_shift": -1},
    "the update points downhill: -lr m_hat / (sqrt(v_hat) + eps)": {"sign": 1},
}


def _adam_cases():
    """(grad, m, v, step): steps 1..4 from zero moments with unit gradients, then steps 1..3
    with gradients of size 1e-8, where eps = 1e-8 inside or outside the root differ."""
    rng = np.random.default_rng(2)
    cases = []
    for scale in (1.0, 1e-8):
        m = v = np.zeros(6)
        for step in range(1, 5 if scale == 1.0 else 4):
            grad = rng.normal(size=6) * scale
            cases.append((grad, m, v, step))
            m, v = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad**2
    return cases


def check_adam_update(fn) -> None:
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    for grad, m, v, step in _adam_cases():
        optimizer = optax.adam(lr, b1, b2, eps)
        state = optimizer.init(_f32(grad))
        adam_state = state[0]._replace(
            count=jnp.asarray(step - 1, jnp.int32), mu=_f32(m), nu=_f32(v)
        )
        expected, new_state = optimizer.update(_f32(grad), (adam_state, *state[1:]))
        got = fn(_f32(grad), _f32(m), _f32(v), step, lr)
        if not isinstance(got, tuple) or len(got) != 3:
            raise CheckFailed("return a triple (update, new m, new v)")
        update, new_m, new_v = got
        case = f"step {step}, |grad| ~ {np.abs(grad).max():.0e}"
        if step == 1 and not np.all(np.isfinite(f64(update))):
            raise CheckFailed(
                "the update is not finite at step=1: step counts from 1, so correct with "
                "1 - b^step (1 - b^0 = 0 divides by zero)"
            )
        diagnose(
            update,
            expected,
            {
                hint: _adam_numpy(grad, m, v, step, lr, b1, b2, eps, **variant)
                for hint, variant in ADAM_MISTAKES.items()
            },
        )
        m_next, v_next = new_state[0].mu, new_state[0].nu
        moments = (
            "return the raw moments m, v as the new state; m_hat and v_hat are only for the update"
        )
        diagnose(new_m, m_next, {moments: f64(m_next) / (1 - b1**step)}, atol=1e-12)
        diagnose(new_v, v_next, {moments: f64(v_next) / (1 - b2**step)}, atol=1e-20)
        assert_close(update, expected, rtol=1e-4, atol=1e-7, what=f"update at {case}")
        assert_close(new_m, m_next, rtol=1e-5, atol=1e-14, what=f"new m at {case}")
        assert_close(new_v, v_next, rtol=1e-5, atol=1e-24, what=f"new v at {case}")


# -- Bias correction: how much larger the uncorrected step is ------------------------------


def _step_sizes(optimizer, n_steps: int) -> np.ndarray:
    """|update| of `optimizer` at steps 1..n for a constant gradient g = 1."""
    ones = jnp.ones((n_steps, 1))

    def body(state, g):
        updates, state = optimizer.update(g, state)
        return state, updates[0]

    return np.abs(np.asarray(jax.lax.scan(body, optimizer.init(ones[0]), ones)[1], np.float64))


def check_uncorrected_step_ratio(fn) -> None:
    from jlr.optim import adam  # the library's switch is the oracle

    steps = np.array([1, 2, 10, 100, 300])
    for b1, b2 in ((0.9, 0.999), (0.8, 0.99)):
        ratios = _step_sizes(adam(1e-3, b1, b2, bias_correction=False), 300) / _step_sizes(
            adam(1e-3, b1, b2), 300
        )
        expected = ratios[steps - 1]
        got = np.array([scalar(fn(int(t), b1, b2), f"ratio at t={t}") for t in steps])
        m_factor, v_factor = 1 - b1**steps, 1 - b2**steps
        if not np.all(np.isfinite(got)):
            raise CheckFailed(
                "the ratio is not finite: at step t the factors are 1 - b^t, t counting from 1"
            )
        diagnose(
            got,
            expected,
            {
                "v enters the update through its square root: divide by sqrt(1 - b2^t)": (
                    m_factor / v_factor
                ),
                "that is corrected / uncorrected; the ratio asked is |uncorrected| / "
                "|corrected| = (1 - b1^t) / sqrt(1 - b2^t)": np.sqrt(v_factor) / m_factor,
                "that is corrected / uncorrected, and v enters through its square root": (
                    v_factor / m_factor
                ),
            },
        )
        for t, value, right in zip(steps, got, expected, strict=True):
            assert_close(value, right, rtol=1e-3, what=f"ratio at t={t}, b1={b1}, b2={b2}")


# -- Non-convex landscapes: an optimizer's trajectory ----------------------------------------


@functools.lru_cache(maxsize=8)
def _jitted_grad(f):
    return jax.jit(jax.grad(f))


def optax_trajectory(optimizer, f, start, n_steps: int, *, sign=1, reinit=False) -> np.ndarray:
    """The points p_0 .. p_n of an optax optimizer on f, one eager step at a time; sign=-1
    and reinit=True give the trajectories of two mistakes (p - updates; state reset)."""
    grad_f = _jitted_grad(f)
    p, state, points = start, optimizer.init(start), [start]
    for _ in range(n_steps):
        if reinit:
            state = optimizer.init(p)
        updates, state = optimizer.update(grad_f(p), state, p)
        p = p + sign * updates
        points.append(p)
    return np.asarray(jnp.stack(points))


def check_optimizer_trajectory(fn) -> None:
    start, n_steps = _f32([-0.5, 0.5]), 40
    optimizers = (
        ("sgd with momentum", optax.sgd(5e-3, momentum=0.9)),
        ("adam", optax.adam(0.05)),
        ("adamw", optax.adamw(0.05, weight_decay=0.5)),
    )
    for name, optimizer in optimizers:
        try:
            got = f64(fn(optimizer, himmelblau, start, n_steps))
        except ValueError as error:
            if "params" not in str(error):
                raise
            raise CheckFailed(
                f"{name}: pass params to optimizer.update(grads, state, params) (adamw's weight "
                "decay reads them)"
            ) from None
        expected = optax_trajectory(optimizer, himmelblau, start, n_steps)
        if got.shape in ((n_steps, 2), (n_steps + 2, 2)):
            raise CheckFailed(
                f"{name}: {got.shape[0]} points; the trajectory has n_steps + 1 = "
                f"{n_steps + 1}: the start first, then one point per step"
            )
        assert_equal(got.shape, expected.shape, what=f"{name} trajectory shape")
        assert_close(got[0], expected[0], rtol=0, atol=0, what=f"{name} first point (the start)")
        try:
            assert_close(got, expected, rtol=1e-3, atol=1e-4, what=f"{name} trajectory")
        except CheckFailed:  # wrong: which mistake? (computed only now, to keep the check fast)
            k = 6  # the mistakes show within the first steps (a reversed sign soon diverges)
            diagnose(
                got[:k],
                expected[:k],
                {
                    "the next point is p + updates (optax.apply_updates): the updates already "
                    "point downhill": optax_trajectory(
                        optimizer, himmelblau, start, k - 1, sign=-1
                    ),
                    "init the optimizer state once, before the loop, and carry the new state from "
                    "step to step": optax_trajectory(
                        optimizer, himmelblau, start, k - 1, reinit=True
                    ),
                },
                rtol=1e-4,
                atol=1e-6,
            )
            raise


# -- Saddle points: the top Hessian eigenvalue by power iteration on HVPs -----------------

NO_HESSIAN = (
    "power iteration touches the Hessian only through Hessian-vector products "
    "(jax.jvp of jax.grad f), never as a matrix or a decomposition"
)


def check_top_hessian_eigenvalue(fn) -> None:
    fn = without(fn, HESSIAN_BUILDERS)
    rng = np.random.default_rng(3)
    d = 7  # no other axis of the problem has length 7: a (7, 7) value is a Hessian
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    # a minimum-like point (top eigenvalue 5 + ...) and a saddle whose largest |lambda| is < 0
    spectra = (
        np.array([5.0, 2.0, 1.0, 0.5, 0.2, 0.1, -0.3]),
        np.array([-4.0, 1.5, 1.0, 0.5, -0.5, 0.2, 0.1]),
    )
    for case, spectrum in enumerate(spectra, start=1):
        h = (q * spectrum) @ q.T  # (d, d)
        h32 = _f32(h)

        def f(x, h32=h32):
            return 0.5 * x @ h32 @ x + 0.1 * jnp.sum(x**4)

        x, v0 = _f32(rng.normal(size=d) * 0.3), _f32(rng.normal(size=d))

        def run(x, v0, f=f):
            return fn(f, x, v0, 20)  # |lambda_2 / lambda_1| < 0.47: exact to ~1e-13

        got = scalar(run(x, v0), "the eigenvalue")  # first: a stub's NotImplementedError
        assert_no_primitive(run, (x, v0), {"eigh", "eig", "svd", "schur"}, NO_HESSIAN)
        assert_no_square_intermediate(run, (x, v0), d, NO_HESSIAN)
        # the Hessian of x^T H x / 2 + 0.1 sum x^4 is H + diag(1.2 x^2), in float64
        eigenvalues = np.linalg.eigvalsh(f64(h32) + np.diag(1.2 * f64(x) ** 2))
        expected = eigenvalues[np.argmax(np.abs(eigenvalues))]  # power iteration's eigenvalue
        diagnose(
            got,
            expected,
            {
                "return the Rayleigh quotient v . H v: it keeps the eigenvalue's sign (|H v| "
                "loses it at a saddle)": abs(expected),
            },
        )
        assert_close(got, expected, rtol=1e-3, what=f"top Hessian eigenvalue (case {case})")


# -- Double descent: minimum-norm fits on random features ---------------------------------


def check_random_features_fit(fn) -> None:
    rng = np.random.default_rng(4)
    d = 5
    for n, p in ((30, 10), (30, 80)):  # under- and over-parameterized
        x, y, w = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=(d, p))
        x, y, w = f64(_f32(x)), f64(_f32(y)), f64(_f32(w))
        features = np.maximum(x @ w / np.sqrt(d), 0.0)  # (n, p)
        expected = np.linalg.lstsq(features, y, rcond=None)[0]  # min-norm least squares
        got = f64(fn(_f32(x), _f32(y), _f32(w)))
        assert_equal(got.shape, expected.shape, what=f"weights' shape with p={p}, n={n}")

        def pinv_fit(phi, y=y):
            return np.linalg.pinv(phi) @ y

        diagnose(
            got,
            expected,
            {
                "scale the features: phi = relu(x w / sqrt(d)), d = x.shape[1]": pinv_fit(
                    np.maximum(x @ w, 0.0)
                ),
                "divide by sqrt(d), d the input dimension (x.shape[1]), not sqrt(p)": pinv_fit(
                    np.maximum(x @ w / np.sqrt(p), 0.0)
                ),
                "the features are relu(x w / sqrt(d)): apply the ReLU": pinv_fit(
                    x @ w / np.sqrt(d)
                ),
            },
            rtol=1e-3,
            atol=1e-4,
        )
        scale = np.linalg.norm(y)
        if p >= n and np.linalg.norm(features @ got - y) > 1e-3 * scale:
            raise CheckFailed(
                f"with p={p} >= n={n} features the minimum-norm fit is exact (phi a = y): no "
                "ridge term, no early stop; a = pinv(phi) y"
            )
        if p < n and np.linalg.norm(features.T @ (features @ got - y)) > 1e-3 * scale:
            raise CheckFailed(
                f"with p={p} < n={n} that is not the least-squares fit (phi^T (phi a - y) "
                "should be 0): no ridge term; a = pinv(phi) y"
            )
        if np.linalg.norm(got) > np.linalg.norm(expected) * (1 + 1e-3):
            raise CheckFailed(
                f"with p={p} that fits y but is not the fit of minimum norm "
                f"(|a| = {np.linalg.norm(got):.4g} > {np.linalg.norm(expected):.4g}): "
                "use pinv(phi) y"
            )
        assert_close(got, expected, rtol=1e-3, atol=1e-3, what=f"weights with p={p}, n={n}")


# -- Implicit bias: gradient descent from zero finds the minimum-norm solution ----------------


def gd_iterate(a: np.ndarray, b: np.ndarray, lr: float, n_steps: int, *, scale=1.0, x0=None):
    """x after n_steps of x <- x - lr scale a^T (a x - b) from x0 (default 0), in float64;
    scale=1/n and 2 and x0=1 give three mistakes' answers."""
    x = np.zeros(a.shape[1]) if x0 is None else f64(x0)
    for _ in range(n_steps):
        x = x - lr * scale * a.T @ (a @ x - b)
    return x


def check_gd_from_zero(fn) -> None:
    fn = without(fn, CLOSED_FORM_SOLVERS)
    rng = np.random.default_rng(5)
    n, d, lr = 5, 12, 0.5
    a = f64(_f32(rng.normal(size=(n, d)) / np.sqrt(d)))
    b = f64(_f32(rng.normal(size=n)))
    min_norm = np.linalg.pinv(a) @ b
    for n_steps in (1, 3, 500):
        expected = gd_iterate(a, b, lr, n_steps)
        got = f64(fn(_f32(a), _f32(b), lr, n_steps))
        assert_equal(got.shape, (d,), what="x's shape")
        off_by_one = f"off by one: run exactly n_steps={n_steps} updates from x = 0 ({{}})"
        diagnose(
            got,
            expected,
            {
                f"after n_steps={n_steps} steps x is the GD iterate, not yet the limit "
                "pinv(a) b: run the updates x <- x - lr a^T (a x - b)": min_norm,
                off_by_one.format("one too many"): gd_iterate(a, b, lr, n_steps + 1),
                off_by_one.format("one too few"): gd_iterate(a, b, lr, n_steps - 1),
                "the gradient of |a x - b|^2 / 2 is a^T (a x - b), not divided by n": gd_iterate(
                    a, b, lr, n_steps, scale=1 / n
                ),
                "the loss has a 1/2: its gradient is a^T (a x - b), not 2 a^T (a x - b)": (
                    gd_iterate(a, b, lr, n_steps, scale=2.0)
                ),
                "start from x = 0: the start decides which exact solution GD finds": gd_iterate(
                    a, b, lr, n_steps, x0=np.ones(d)
                ),
            },
            rtol=1e-3,
            atol=1e-5,
        )
        assert_close(got, expected, rtol=1e-3, atol=1e-4, what=f"x after {n_steps} steps")
    # after the last (500) steps GD has converged: it fits b, with the minimum norm
    assert_close(a @ got, b, rtol=1e-3, atol=1e-3, what="residual a x - b (GD should fit b)")
    assert_close(got, min_norm, rtol=1e-3, atol=1e-3, what="x after 500 steps (min-norm solution)")


EXERCISES: tuple[Exercise, ...] = (
    Exercise("minibatch_variance", GD, check_minibatch_variance),
    Exercise("warmup_cosine_lr", SCHEDULES, check_warmup_cosine_lr),
    Exercise("sgd_stationary_variance", STOCHASTICITY, check_sgd_stationary_variance),
    Exercise("heavy_ball_iterations", MOMENTUM, check_heavy_ball_iterations),
    Exercise("rmsprop_update", ADAPTIVE, check_rmsprop_update),
    Exercise("adam_update", ADAPTIVE, check_adam_update),
    Exercise("uncorrected_step_ratio", BIAS_CORRECTION, check_uncorrected_step_ratio),
    Exercise("optimizer_trajectory", NON_CONVEX, check_optimizer_trajectory),
    Exercise("top_hessian_eigenvalue", SADDLES, check_top_hessian_eigenvalue),
    Exercise("random_features_fit", DOUBLE_DESCENT, check_random_features_fit),
    Exercise("gd_from_zero", IMPLICIT_BIAS, check_gd_from_zero),
)
