"""The order of an error term: fit p in err(h) ~ C h^p by least squares on a log-log scale.

log err = log C + p log h is a line, so p is the slope of the least-squares fit of
log err against log h. Use step sizes small enough that the leading term dominates but
large enough that rounding (about eps / h for differences, eps |f| for values) does not.
"""

from __future__ import annotations

import numpy as np


def loglog_slope(step_sizes, errors) -> float:
    """Least-squares slope p of log(errors) against log(step_sizes). (k,), (k,) -> float."""
    log_h = np.log(np.asarray(step_sizes, dtype=np.float64))
    log_err = np.log(np.asarray(errors, dtype=np.float64))
    slope, _ = np.polyfit(log_h, log_err, deg=1)
    return float(slope)
