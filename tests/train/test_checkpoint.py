"""Checkpoints round-trip every leaf bit for bit, keys included, and are written atomically."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jlr.errors import RunFolderError
from jlr.optim import adam
from jlr.train import init_train_state
from jlr.train.checkpoint import load_checkpoint, load_params, save_checkpoint


def make_state(key):
    params = {"w": jax.random.normal(key, (3, 2)), "layers": [{"b": jnp.arange(2.0)}]}
    statistics = {"mean": jax.random.normal(jax.random.fold_in(key, 2), (2,)), "count": 5}
    return init_train_state(
        params,
        adam(1e-3),
        jax.random.fold_in(key, 1),
        model_state=jax.tree.map(jnp.asarray, statistics),
    )


def test_round_trip_is_bitwise(tmp_path, key):
    state = make_state(key)._replace(step=jnp.array(17, jnp.int32))
    save_checkpoint(tmp_path / "c.npz", state, {"step": 17})
    template = make_state(jax.random.key(99))
    loaded, metadata = load_checkpoint(tmp_path / "c.npz", template)
    assert metadata == {"step": 17}
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(state), strict=True):
        if jnp.issubdtype(a.dtype, jax.dtypes.prng_key):
            a, b = jax.random.key_data(a), jax.random.key_data(b)
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    assert loaded.model_state["count"].dtype == jnp.int32  # model state, integers included
    # the restored key draws the same numbers as the original
    np.testing.assert_array_equal(
        jax.random.normal(loaded.key, (4,)), jax.random.normal(state.key, (4,))
    )


def test_no_temporary_files_left_and_old_file_replaced(tmp_path, key):
    path = tmp_path / "c.npz"
    save_checkpoint(path, make_state(key), {"step": 1})
    save_checkpoint(path, make_state(key), {"step": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]
    assert load_checkpoint(path, make_state(key))[1] == {"step": 2}


def test_mismatched_model_is_a_one_line_error(tmp_path, key):
    save_checkpoint(tmp_path / "c.npz", make_state(key), {})
    other = init_train_state(
        {"w": jnp.zeros((5, 2)), "layers": [{"b": jnp.zeros(2)}]}, adam(1e-3), key
    )
    with pytest.raises(RunFolderError, match="shape"):
        load_checkpoint(tmp_path / "c.npz", other)


def test_corrupt_checkpoint_is_a_one_line_error(tmp_path, key):
    (tmp_path / "c.npz").write_bytes(b"not a zip file")
    with pytest.raises(RunFolderError, match="unreadable"):
        load_checkpoint(tmp_path / "c.npz", make_state(key))


def test_load_params_reads_only_the_parameters_of_a_train_state(tmp_path, key):
    state = make_state(key)
    save_checkpoint(tmp_path / "c.npz", state, {})
    template = {"w": jnp.zeros((3, 2)), "layers": [{"b": jnp.zeros(2)}]}
    params = load_params(tmp_path / "c.npz", template)
    np.testing.assert_array_equal(params["w"], state.params["w"])
    np.testing.assert_array_equal(params["layers"][0]["b"], state.params["layers"][0]["b"])
    with pytest.raises(RunFolderError, match=r"\.params\['w'\] has shape \(3, 2\)"):
        load_params(tmp_path / "c.npz", {"w": jnp.zeros((5, 2)), "layers": [{"b": jnp.zeros(2)}]})
    with pytest.raises(RunFolderError, match="no such entry"):
        load_params(tmp_path / "c.npz", {"v": jnp.zeros((3, 2))})
