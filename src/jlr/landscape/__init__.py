"""Loss-landscape and Hessian tools: what the loss looks like around a point in parameter space.

sharpness          top Hessian eigenvalue by power iteration on Hessian-vector products
gradient_noise     per-example gradients, minibatch-gradient variance (the 1/B law), B_simple
lanczos            Lanczos with full reorthogonalization: the top-k Hessian eigenpairs
hutchinson         Hutchinson's estimator of the Hessian trace, with its standard error
spectral_density   stochastic Lanczos quadrature: the Hessian's smoothed eigenvalue density
directions         filter-normalized directions, interpolation paths and barriers, 2-D surfaces
trajectory         the top PCA plane of a training trajectory (Li et al. 2018)
edge_of_stability  full-batch gradient descent with its sharpness tracked (Cohen et al. 2021)
"""

from jlr.landscape.directions import (
    barrier_height,
    filter_normalize,
    filter_normalized_direction,
    interpolate,
    surface_2d,
)
from jlr.landscape.edge_of_stability import gd_with_sharpness, plateau_ratio
from jlr.landscape.gradient_noise import (
    measured_minibatch_variance,
    per_example_gradients,
    predicted_minibatch_variance,
    simple_noise_scale,
)
from jlr.landscape.hutchinson import hessian_trace, trace_estimate
from jlr.landscape.lanczos import lanczos, ritz_pairs, top_eigenvalues, tridiagonal
from jlr.landscape.sharpness import top_hessian_eigenvalue
from jlr.landscape.spectral_density import hessian_slq, slq_quadrature, smoothed_density
from jlr.landscape.trajectory import trajectory_pca

__all__ = [
    "barrier_height",
    "filter_normalize",
    "filter_normalized_direction",
    "gd_with_sharpness",
    "hessian_slq",
    "hessian_trace",
    "interpolate",
    "lanczos",
    "measured_minibatch_variance",
    "per_example_gradients",
    "plateau_ratio",
    "predicted_minibatch_variance",
    "ritz_pairs",
    "simple_noise_scale",
    "slq_quadrature",
    "smoothed_density",
    "surface_2d",
    "top_eigenvalues",
    "top_hessian_eigenvalue",
    "trace_estimate",
    "trajectory_pca",
    "tridiagonal",
]
