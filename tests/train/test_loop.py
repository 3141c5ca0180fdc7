"""The loop: same seed -> same metrics; resume -> bitwise-identical state; NaN -> stop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from run_folder_helpers import without_timing

from jlr.errors import TrainingDiverged
from jlr.optim import adam, sgd
from jlr.train import fit, init_train_state, make_train_step
from jlr.train.checkpoint import load_checkpoint
from jlr.train.run_folder import CHECKPOINT, read_metrics


def regression_problem(seed: int = 0):
    key = jax.random.key(seed)
    x = np.asarray(jax.random.normal(key, (64, 5)))
    y = x @ np.arange(1.0, 6.0) + 0.1
    return {"x": x.astype(np.float32), "y": y.astype(np.float32)}


def loss_fn(params, batch, key):
    noise = 0.01 * jax.random.normal(key, batch["y"].shape)  # uses the per-step key
    residual = batch["x"] @ params["w"] + params["b"] - batch["y"] + noise
    return jnp.mean(residual**2), {}


def centered_loss_fn(params, model_state, batch, key):
    """loss_fn on x centred by a running mean of the batch means, kept as model state."""
    mean = 0.9 * model_state["mean"] + 0.1 * jnp.mean(batch["x"], axis=0)  # (5,)
    loss, aux = loss_fn(params, {**batch, "x": batch["x"] - mean}, key)
    return loss, (aux, {"mean": mean})


def evaluate(params, model_state):
    """A number that moves with the weights and the model state; the loop only records it."""
    return {
        "test_norm": float(
            sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves((params["w"], model_state)))
        )
    }


def train(out_dir, *, total_steps=40, resume=False, optimizer=None, stateful=False):
    optimizer = optimizer or adam(0.05)
    params = {"w": jnp.zeros(5), "b": jnp.zeros(())}
    model_state = {"mean": jnp.zeros(5)} if stateful else None
    state = init_train_state(params, optimizer, jax.random.key(3), model_state=model_state)
    if stateful:
        step = make_train_step(centered_loss_fn, optimizer, has_state=True)
    else:
        step = make_train_step(loss_fn, optimizer)
    return fit(
        state,
        step,
        train_data=regression_problem(),
        batch_size=8,
        total_steps=total_steps,
        data_seed=7,
        out_dir=out_dir,
        evaluate=evaluate,
        eval_every=10,
        checkpoint_every=10,
        steps_per_call=5,
        resume=resume,
        progress=False,
    )


def test_same_seed_gives_same_metrics(tmp_path):
    train(tmp_path / "a")
    train(tmp_path / "b")
    a, b = read_metrics(tmp_path / "a"), read_metrics(tmp_path / "b")
    assert len(a) == 8 and without_timing(a) == without_timing(b)
    assert [r["step"] for r in a if "test_norm" in r] == [10, 20, 30, 40]


@pytest.mark.parametrize("stateful", [False, True], ids=["params", "params+model_state"])
def test_resume_gives_bitwise_identical_state(tmp_path, stateful):
    full = train(tmp_path / "full", stateful=stateful)
    train(tmp_path / "part", total_steps=20, stateful=stateful)  # as if killed at step 20
    resumed = train(tmp_path / "part", resume=True, stateful=stateful)
    kept = [full.params, full.model_state, full.opt_state, full.step]
    again = [resumed.params, resumed.model_state, resumed.opt_state, resumed.step]
    for a, b in zip(jax.tree.leaves(kept), jax.tree.leaves(again), strict=True):
        np.testing.assert_array_equal(a, b)
    if stateful:  # the running mean moved: a resume that dropped it would differ above
        assert float(jnp.abs(full.model_state["mean"]).max()) > 0.01
    assert without_timing(read_metrics(tmp_path / "full")) == without_timing(
        read_metrics(tmp_path / "part")
    )


def test_divergence_names_the_step_and_keeps_last_good_checkpoint(tmp_path):
    with pytest.raises(TrainingDiverged, match=r"NaN/Inf at step \d+") as error:
        train(tmp_path, optimizer=sgd(10.0), total_steps=200)
    assert "\n" not in str(error.value)
    state, meta = load_checkpoint(
        tmp_path / CHECKPOINT,
        init_train_state({"w": jnp.zeros(5), "b": jnp.zeros(())}, sgd(10.0), jax.random.key(0)),
    )
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(state.params))
    bad_step = int(str(error.value).split("at step ")[1].split(";")[0])
    assert meta["step"] <= bad_step
