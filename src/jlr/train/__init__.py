"""The training core: a pure, jitted step; a loop that logs, evaluates and checkpoints.

state = init_train_state(params, optimizer, key)
train_step = make_train_step(loss_fn, optimizer)       # (state, batch) -> (state, metrics)
state = fit(state, train_step, train_data=..., ...)    # progress bar, metrics, checkpoints
"""

from jlr.train.loop import fit
from jlr.train.state import TrainState, init_train_state
from jlr.train.step import make_multi_step, make_train_step

__all__ = ["TrainState", "fit", "init_train_state", "make_multi_step", "make_train_step"]
