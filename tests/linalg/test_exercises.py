"""Lesson 02's exercises: every topic has one, wrong answers fail with their hint, shortcuts are
refused however they are spelled, and right answers written by hand pass."""

import math
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from exercise_helpers import assert_exercises_cover_the_section, assert_mistake_fails, mistake_cases
from jax import jacrev
from numpy.linalg import qr as numpy_qr

from jlr.course.checker import grade
from jlr.course.checks.linear_algebra import EXERCISES
from jlr.course.exercise import CheckFailed
from jlr.course.solutions import linear_algebra as solutions
from jlr.linalg.gram_schmidt import classical_gram_schmidt

SECTION = "02"


@pytest.fixture(autouse=True, scope="module")
def _float64_strict_ranks():
    """Override the directory's float64 fixture: learners run checks in default float32."""
    yield


def test_every_topic_of_section_02_has_an_exercise_in_stub_order():
    assert_exercises_cover_the_section("02")


# Every reference solution passing is proved for all lessons at once by
# tests/course/test_checker_can_fail_and_pass.py; here, wrong answers must fail with their hint.


def _projection(a, x):
    return a @ jnp.linalg.lstsq(a, x)[0]


def _residual_norm(a, x):
    return jnp.linalg.norm(x - _projection(a, x))


def _qr_positive(a):
    """jax.lax.linalg.qr with diag(r) > 0: the right numbers, by the library's QR."""
    q, r = jax.lax.linalg.qr(a, full_matrices=False)
    signs = jnp.sign(jnp.diag(r))
    return q * signs[None, :], r * signs[:, None]


def _rank(vectors, cutoff):
    return int(jnp.sum(jnp.linalg.svd(vectors, compute_uv=False) > cutoff))


def _null_space(a, rtol, *, absolute=False, full=True, rows=False):
    _, s, vt = jnp.linalg.svd(a, full_matrices=full)
    r = int(jnp.sum(s > (rtol if absolute else rtol * s[0])))
    return vt[r:] if rows else vt[r:].T


def _power_iteration(a, v0, n_steps):
    v = v0 / jnp.linalg.norm(v0)
    for _ in range(n_steps):
        v = a @ v / jnp.linalg.norm(a @ v)
    return v @ (a @ v), v


def _power_iteration_to_convergence(a, v0, n_steps):
    def not_converged(carry):
        v, previous = carry
        return jnp.abs(jnp.abs(v @ previous) - 1.0) > 1e-7

    def step(carry):
        v, _ = carry
        return a @ v / jnp.linalg.norm(a @ v), v

    v = v0 / jnp.linalg.norm(v0)
    v, _ = jax.lax.while_loop(not_converged, step, (a @ v / jnp.linalg.norm(a @ v), v))
    return v @ (a @ v), v


def _top_eigenpair_by_jnp_eigh(a, v0, n_steps):
    values, vectors = jnp.linalg.eigh(a)
    top = jnp.argmax(jnp.abs(values))
    return values[top], vectors[:, top]


def _power_iteration_with_norm(a, v0, n_steps):
    _, v = _power_iteration(a, v0, n_steps)
    return jnp.linalg.norm(a @ v), v  # loses the eigenvalue's sign


def _top_eigenpair_by_lax_eigh(a, v0, n_steps):
    values, vectors = jax.lax.linalg.eigh(a)[::-1]  # (vectors, values) -> (values, vectors)
    top = jnp.argmax(jnp.abs(values))
    return values[top], vectors[:, top]


def _power_on(matrix, v0, n_steps):
    v = v0 / jnp.linalg.norm(v0)
    for _ in range(n_steps):
        v = matrix @ v / jnp.linalg.norm(matrix @ v)
    return v


def _spectral_norm_squared(a, v0, n_steps):
    v = _power_on(a.T @ a, v0, n_steps)
    return jnp.linalg.norm(a.T @ (a @ v))  # sigma^2


def _spectral_norm_by_gram(a, v0, n_steps):
    v = _power_on(a.T @ a, v0, n_steps)  # forms a^T a: (n, n)
    return jnp.linalg.norm(a @ v)


def _spectral_norm_by_outer_gram(a, v0, n_steps):
    u = _power_on(a @ a.T, a @ v0, n_steps)  # forms a a^T: (m, m)
    return jnp.sqrt(u @ (a @ (a.T @ u)))


def _gd_count(h, x0, tol, *, lr=None, absolute=False, test_first=True):
    eigenvalues = jnp.linalg.eigvalsh(h)
    lr = 1.0 / eigenvalues[-1] if lr is None else lr(eigenvalues)
    threshold = tol if absolute else tol * jnp.linalg.norm(x0)
    x, steps = x0, 0
    if not test_first:  # a do-while loop: one update before the first test
        x, steps = x - lr * (h @ x), 1
    while jnp.linalg.norm(x) > threshold:
        x, steps = x - lr * (h @ x), steps + 1
    return steps


def _optimal_step(eigenvalues):
    return 2.0 / (eigenvalues[0] + eigenvalues[-1])


def _slowest_rate(h):
    return math.log1p(-1.0 / _kappa(h))


def _transposed_r(q, r):
    return q, r.T


def _kappa(h):
    eigenvalues = jnp.linalg.eigvalsh(h)
    return float(eigenvalues[-1] / eigenvalues[0])


def _svd_by_eigh(a, *, ascending=False, squared=False, unscaled_u=False, v_not_vt=False):
    eigenvalues, v = jnp.linalg.eigh(a.T @ a)
    if not ascending:
        eigenvalues, v = eigenvalues[::-1], v[:, ::-1]
    s = jnp.sqrt(jnp.clip(eigenvalues, 0.0))
    u = a @ v if unscaled_u else (a @ v) / s[None, :]
    return u, eigenvalues if squared else s, v if v_not_vt else v.T


def _lax_svd(a):
    u, s, vt = jax.lax.linalg.svd(a, full_matrices=False)
    return u, s, vt


def _truncate(a, keep, *, scaled=True):
    u, s, vt = jnp.linalg.svd(a, full_matrices=False)
    weights = s[keep] if scaled else jnp.ones_like(s[keep])
    return (u[:, keep] * weights[None, :]) @ vt[keep]


def _ratios(x, *, center_axis=0, squared=True):
    centered = x if center_axis is None else x - x.mean(axis=center_axis, keepdims=True)
    s = jnp.linalg.svd(centered, compute_uv=False)
    power = s**2 if squared else s
    return power / power.sum()


MISTAKES = {
    "project_onto_span": [
        (r"project_onto_span", lambda a, x: x),  # no projection at all
        (r"not the coefficients", lambda a, x: jnp.linalg.lstsq(a, x)[0]),  # returned c
        (r"orthonormal", lambda a, x: a @ (a.T @ x)),  # a a^T x: only for orthonormal columns
        (r"residual", lambda a, x: x - _projection(a, x)),  # x - p
        # normal equations: a^T a is singular when a's columns are dependent
        (r"dependent columns", lambda a, x: a @ (jnp.linalg.inv(a.T @ a) @ (a.T @ x))),
    ],
    "is_in_span": [
        (r"1% off", lambda a, x, rtol: True),  # always inside
        (r"not squared", lambda a, x, rtol: _residual_norm(a, x) ** 2 <= rtol * (x @ x)),
        (r"rtol is relative", lambda a, x, rtol: _residual_norm(a, x) <= rtol),  # absolute
    ],
    "modified_gram_schmidt": [
        (r"off limits", lambda a: jnp.linalg.qr(a)),  # the library's QR
        (r"off limits", lambda a: tuple(map(jnp.asarray, numpy_qr(np.asarray(a))))),  # imported
        (r"off limits", lambda a: scipy.linalg.qr(np.asarray(a), mode="economic")),
        (r"computes qr", _qr_positive),  # the right numbers, from a QR primitive in the jaxpr
        (r"classical Gram-Schmidt", classical_gram_schmidt),  # r_kj from the original a_j
        (r"upper triangular", lambda a: _transposed_r(*solutions.modified_gram_schmidt(a))),
    ],
    "is_linearly_independent": [
        (r"dependent column", lambda v, rtol: v.shape[0] >= v.shape[1]),  # counts, not rank
        (r"rtol you are given", lambda v, rtol: np.linalg.matrix_rank(np.asarray(v)) == v.shape[1]),
        (r"rtol is relative", lambda v, rtol: _rank(v, rtol) == v.shape[1]),  # s_i > rtol
    ],
    "change_of_basis_matrix": [
        (r"inverse map", lambda old, new: jnp.linalg.solve(old, new)),  # old^{-1} new
        (r"orthonormal new basis", lambda old, new: new.T @ old),
        (r"wrong order", lambda old, new: old @ jnp.linalg.inv(new)),
    ],
    "matrix_of_linear_map": [
        (r"transpose", lambda f, d_in: jax.vmap(f)(jnp.eye(d_in))),  # rows, not columns
        (r"jax.jacfwd is off limits", lambda f, d_in: jax.jacfwd(f)(jnp.zeros(d_in))),
        (r"jax.jacrev is off limits", lambda f, d_in: jacrev(f)(jnp.zeros(d_in))),  # imported
    ],
    "null_space_basis": [
        (r"\(5, 4\)\)\.shape", lambda a, rtol: jnp.linalg.svd(a)[2][: a.shape[1] - 1].T),
        (r"null_space is off limits",
         lambda a, rtol: jnp.asarray(scipy.linalg.null_space(np.asarray(a), rcond=rtol))),
        (r"rtol is relative", lambda a, rtol: _null_space(a, rtol, absolute=True)),
        (r"full_matrices=True", lambda a, rtol: _null_space(a, rtol, full=False)),
        (r"as columns", lambda a, rtol: _null_space(a, rtol, rows=True)),
    ],  # fmt: skip
    "power_iteration": [
        (r"loses the eigenvalue's sign", _power_iteration_with_norm),
        (r"eigh is off limits", _top_eigenpair_by_jnp_eigh),
        (r"eigh is off limits", lambda a, v0, n: np.linalg.eigh(np.asarray(a))),
        (r"computes eigh", _top_eigenpair_by_lax_eigh),  # the right numbers, by eigh
        (r"one fewer", lambda a, v0, n: _power_iteration(a, v0, n - 1)),
        (r"one more", lambda a, v0, n: _power_iteration(a, v0, n + 1)),
        (r"not until convergence", _power_iteration_to_convergence),
        (r"unit vector", lambda a, v0, n: (lambda w, v: (w, a @ v))(*_power_iteration(a, v0, n))),
    ],
    "spectral_norm": [
        (r"Frobenius", lambda a, v0, n_steps: jnp.linalg.norm(a)),
        (r"computes svd", lambda a, v0, n_steps: jnp.linalg.norm(a, 2)),  # an SVD inside
        (r"svd is off limits", lambda a, v0, n_steps: jnp.linalg.svd(a, compute_uv=False)[0]),
        (r"sigma\^2", _spectral_norm_squared),
        (r"never form a\^T a", _spectral_norm_by_gram),
        (r"never form a a\^T", _spectral_norm_by_outer_gram),
    ],
    "gd_steps_on_quadratic": [
        # the optimal step 2 / (L + mu): faster than the 1/L the exercise asks for
        (r"not 2/\(L \+ mu\)", lambda h, x0, tol: _gd_count(h, x0, tol, lr=_optimal_step)),
        (r"theory bound", lambda h, x0, tol: math.ceil(_kappa(h) * math.log(1 / tol))),
        (r"slowest mode", lambda h, x0, tol: math.ceil(math.log(tol) / _slowest_rate(h))),
        (r"relative to the start", lambda h, x0, tol: _gd_count(h, x0, tol, absolute=True)),
        (r"before each update", lambda h, x0, tol: _gd_count(h, x0, tol, test_first=False)),
        (r"one more", lambda h, x0, tol: _gd_count(h, x0, tol) + 1),
    ],
    "svd_from_eigh": [
        (r"descending", lambda a: _svd_by_eigh(a, ascending=True)),
        (r"svd is off limits", lambda a: jnp.linalg.svd(a, full_matrices=False)),
        (r"computes svd", _lax_svd),  # the right numbers, by an SVD primitive
        (r"sqrt", lambda a: _svd_by_eigh(a, squared=True)),
        (r"unit vectors", lambda a: _svd_by_eigh(a, unscaled_u=True)),
        (r"transpose V", lambda a: _svd_by_eigh(a, v_not_vt=True)),
    ],
    "rank_k_approximation": [
        (r"not the smallest", lambda a, k: a - solutions.rank_k_approximation(a, a.shape[1] - k)),
        (r"you kept k \+ 1", lambda a, k: _truncate(a, slice(0, k + 1))),
        (r"scale by the singular values", lambda a, k: _truncate(a, slice(0, k), scaled=False)),
    ],
    "explained_variance_ratio": [
        (r"center the data", lambda x: _ratios(x, center_axis=None)),  # forgot to center
        (r"axis=0", lambda x: _ratios(x, center_axis=1)),  # centered each row
        (r"square the singular values", lambda x: _ratios(x, squared=False)),
        (r"descending", lambda x: _ratios(x)[::-1]),
    ],
}  # fmt: skip


@pytest.mark.parametrize(("exercise", "pattern", "wrong"), mistake_cases(EXERCISES, MISTAKES))
def test_mistake_fails_with_its_hint(exercise, pattern, wrong):
    assert_mistake_fails(exercise, pattern, wrong)


def test_a_refused_routine_is_restored_after_the_check():
    (gram_schmidt,) = [e for e in EXERCISES if e.name == "modified_gram_schmidt"]
    with pytest.raises(CheckFailed, match="off limits"):
        gram_schmidt.check(lambda a: jnp.linalg.qr(a))
    assert jnp.linalg.qr(jnp.eye(2))[0].shape == (2, 2)  # restored afterwards
    np.testing.assert_array_equal(jnp.linalg.qr(jnp.eye(2))[1], np.eye(2))
    assert numpy_qr is np.linalg.qr


# Right answers written by hand, as a learner would: the guards must not refuse them.
HAND_WRITTEN = """
import jax
import jax.numpy as jnp


def modified_gram_schmidt(a):
    m, n = a.shape
    v, q, r = a, jnp.zeros((m, n)), jnp.zeros((n, n))
    for k in range(n):
        r = r.at[k, k].set(jnp.linalg.norm(v[:, k]))
        q = q.at[:, k].set(v[:, k] / r[k, k])
        for j in range(k + 1, n):
            r = r.at[k, j].set(q[:, k] @ v[:, j])
            v = v.at[:, j].set(v[:, j] - r[k, j] * q[:, k])
    return q, r


def matrix_of_linear_map(f, d_in):
    return jnp.stack([f(e) for e in jnp.eye(d_in)], axis=1)


def null_space_basis(a, rtol):
    _, s, vt = jnp.linalg.svd(a, full_matrices=True)
    r = int(jnp.sum(s > rtol * s[0]))
    return vt[r:].T


def power_iteration(a, v0, n_steps):
    v = v0 / jnp.linalg.norm(v0)
    for _ in range(n_steps):
        w = a @ v
        v = w / jnp.linalg.norm(w)
    return v @ (a @ v), v


def spectral_norm(a, v0, n_steps):
    v = v0 / jnp.linalg.norm(v0)
    for _ in range(n_steps):
        w = a.T @ (a @ v)
        v = w / jnp.linalg.norm(w)
    return jnp.linalg.norm(a @ v)


def gd_steps_on_quadratic(h, x0, tol):
    lr = 1.0 / jnp.linalg.eigvalsh(h)[-1]
    x, steps = x0, 0
    while jnp.linalg.norm(x) > tol * jnp.linalg.norm(x0):
        x, steps = x - lr * (h @ x), steps + 1
    return steps


def svd_from_eigh(a):
    eigenvalues, v = jnp.linalg.eigh(a.T @ a)
    order = jnp.argsort(-eigenvalues)
    s = jnp.sqrt(eigenvalues[order])
    v = v[:, order]
    return a @ v / s, s, v.T
"""
GUARDED = [
    "modified_gram_schmidt",
    "matrix_of_linear_map",
    "null_space_basis",
    "power_iteration",
    "spectral_norm",
    "gd_steps_on_quadratic",
    "svd_from_eigh",
]


@pytest.fixture(scope="module")
def hand_written_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("learner") / "02_linear_algebra.py"
    path.write_text(textwrap.dedent(HAND_WRITTEN), encoding="utf-8")
    return {result.name: result for result in grade(SECTION, path).results}


@pytest.mark.parametrize("name", GUARDED)
def test_a_right_answer_written_by_hand_passes_the_guards(hand_written_report, name):
    assert hand_written_report[name].outcome == "PASS", hand_written_report[name].line
