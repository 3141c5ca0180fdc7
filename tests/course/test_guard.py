"""jlr.course.guard refuses shortcuts however they are spelled, and only while the learner's
function runs; its jaxpr walk sees inside jit, scan and custom_jvp."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import hessian as imported_hessian

from jlr.course.exercise import CheckFailed
from jlr.course.guard import (
    HESSIAN_BUILDERS,
    assert_no_primitive,
    assert_no_square_intermediate,
    intermediate_shapes,
    primitives,
    raise_if_mistake,
    without,
)


def f(x):
    return jnp.sum(jnp.sin(x) ** 2) + x[0] * x[-1]


X, V = jnp.linspace(-1.0, 1.0, 7), jnp.ones(7)


def hvp(x, v):
    return jax.jvp(jax.grad(f), (x,), (v,))[1]


def test_an_allowed_function_runs_unchanged():
    np.testing.assert_allclose(without(hvp, HESSIAN_BUILDERS)(X, V), hvp(X, V))


@pytest.mark.parametrize(
    "shortcut",
    [
        lambda x, v: jax.hessian(f)(x) @ v,
        lambda x, v: imported_hessian(f)(x) @ v,  # a name bound at import time
        lambda x, v: jax.jacfwd(jax.grad(f))(x) @ v,
    ],
    ids=["attribute", "imported-name", "jacfwd"],
)
def test_a_forbidden_call_fails_with_its_reason_and_is_restored(shortcut):
    with pytest.raises(CheckFailed, match="off limits.*jax.jvp"):
        without(shortcut, HESSIAN_BUILDERS)(X, V)
    assert jax.hessian(f)(X).shape == (7, 7)  # restored afterwards
    assert imported_hessian is jax.hessian


def test_a_hessian_built_by_hand_is_seen_in_the_jaxpr():
    by_columns = lambda x, v: jax.vmap(lambda e: hvp(x, e))(jnp.eye(7)) @ v
    np.testing.assert_allclose(by_columns(X, V), hvp(X, V), rtol=1e-5)
    with pytest.raises(CheckFailed, match=r"\(7, 7\).*no Hessian"):
        assert_no_square_intermediate(by_columns, (X, V), 7, "no Hessian")
    assert_no_square_intermediate(hvp, (X, V), 7, "no Hessian")


def test_primitives_are_found_inside_jit_scan_and_custom_jvp():
    def nested(a):
        inner = jax.jit(lambda b: jnp.linalg.eigvalsh(b @ b.T))
        total, _ = jax.lax.scan(lambda c, _: (c + jax.nn.relu(inner(a)).sum(), None), 0.0, None, 2)
        return total

    found = primitives(nested, jnp.eye(3))
    assert "eigh" in found and "dot_general" in found
    with pytest.raises(CheckFailed, match="eigh"):
        assert_no_primitive(nested, (jnp.eye(3),), {"eigh", "svd"}, "power iteration")
    assert (3, 3) in intermediate_shapes(nested, jnp.eye(3))


def test_an_untraceable_function_fails_with_a_hint():
    with pytest.raises(CheckFailed, match="JAX tracing"):
        primitives(lambda x: float(x.sum()), X)


def test_a_known_mistake_is_named_and_a_right_answer_is_not():
    mistakes = {"no bias correction": np.array([1.0, 2.0])}
    with pytest.raises(CheckFailed, match="no bias correction"):
        raise_if_mistake([1.0, 2.0 + 1e-6], mistakes)
    raise_if_mistake([1.0, 2.1], mistakes)
    raise_if_mistake([1.0, 2.0, 3.0], mistakes)  # another shape is not that mistake


def test_an_untouched_stub_stays_not_implemented_under_tracing():
    def stub(x):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        primitives(stub, X)
