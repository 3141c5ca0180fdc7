"""dtypes, promotion, float64, out-of-bounds indexing and the errors under jit."""

import jax.numpy as jnp
import numpy as np

from jlr.jax_core import array_semantics as arrays


def test_promotion_table_matches_result_type_and_differs_from_numpy():
    table = arrays.promotion_table([jnp.int8, jnp.uint8, jnp.float16, jnp.int32, jnp.bfloat16])
    assert table[("int8", "uint8")] == "int16"
    assert table[("float16", "int32")] == "float16"  # numpy says float64
    assert table[("bfloat16", "float16")] == "float32"
    assert arrays.numpy_promotion_differs(jnp.float16, jnp.int32)
    assert not arrays.numpy_promotion_differs(jnp.int8, jnp.int16)


def test_python_scalars_are_weak():
    assert (jnp.ones(2, jnp.float16) * 2.0).dtype == jnp.float16


def test_float64_is_off_by_default():
    assert arrays.default_float_dtypes() == {"x64_off": "float32", "x64_on": "float64"}
    assert jnp.array(1.0).dtype == jnp.float32  # the context manager restored the default


def test_out_of_bounds_clamps_reads_drops_writes():
    x = jnp.arange(3.0)
    result = arrays.out_of_bounds(x, 10)
    np.testing.assert_allclose(result["read"], 2.0, rtol=0, atol=0)
    assert np.isnan(result["fill"])
    np.testing.assert_allclose(result["write"], x, rtol=0, atol=0)


def test_traced_errors_name_the_right_exception():
    errors = arrays.traced_errors()
    assert errors == {
        "python if on a tracer": "TracerBoolConversionError",
        "float() of a tracer": "ConcretizationTypeError",
        "shape from a tracer": "TypeError",
        "shape from a static arg": None,
        "non-hashable static arg": "ValueError",
        "data-dependent size": "ConcretizationTypeError",
    }
    for name in set(errors.values()) - {None}:
        assert name in arrays.EXPLANATIONS
