"""Loss-landscape and Hessian tools: what the loss looks like around a point in parameter space.

sharpness        top Hessian eigenvalue by power iteration on Hessian-vector products
gradient_noise   per-example gradients and the variance of a minibatch gradient (the 1/B law)

Later: Lanczos and stochastic Lanczos quadrature (the Hessian's spectrum), filter-normalized
directions and loss surfaces along them.
"""

from jlr.landscape.gradient_noise import (
    measured_minibatch_variance,
    per_example_gradients,
    predicted_minibatch_variance,
)
from jlr.landscape.sharpness import top_hessian_eigenvalue

__all__ = [
    "measured_minibatch_variance",
    "per_example_gradients",
    "predicted_minibatch_variance",
    "top_hessian_eigenvalue",
]
