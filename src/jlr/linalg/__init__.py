"""Linear algebra for representation learning (curriculum section 2), from scratch in JAX.

One module per idea: subspaces (projection), gram_schmidt, change_of_basis, linear_maps, rank
(fundamental subspaces), eigen (power iteration on a matvec, deflation), conditioning
(spectral norm, condition number), svd, low_rank (Eckart-Young), pca. Gradient descent on
quadratics, whose speed the condition number sets, is `jlr.optim.quadratic_convergence`.
"""

from jlr.linalg.change_of_basis import (
    change_of_basis_matrix,
    coordinates,
    from_coordinates,
    matrix_in_basis,
)
from jlr.linalg.conditioning import condition_number, spectral_norm
from jlr.linalg.eigen import (
    hotelling_deflate,
    power_iteration,
    power_norms,
    rayleigh_quotient,
    top_eigenpairs,
    two_sided_deflate,
)
from jlr.linalg.gram_schmidt import (
    classical_gram_schmidt,
    gram_schmidt_basis,
    modified_gram_schmidt,
    orthogonality_loss,
)
from jlr.linalg.linear_maps import apply_to_points, matrix_of, polygon_area
from jlr.linalg.low_rank import (
    compression_ratio,
    eckart_young_errors,
    rank_k_approximation,
    truncated_svd,
)
from jlr.linalg.pca import fit_pca, pca_decode, pca_encode, relative_reconstruction_error
from jlr.linalg.rank import are_independent, column_space, fundamental_subspaces, null_space, rank
from jlr.linalg.subspaces import in_span, project_onto_span, projection_matrix, span_residual
from jlr.linalg.svd import align_signs, svd_jacobi, svd_via_eigh

__all__ = [
    "align_signs",
    "apply_to_points",
    "are_independent",
    "change_of_basis_matrix",
    "classical_gram_schmidt",
    "column_space",
    "compression_ratio",
    "condition_number",
    "coordinates",
    "eckart_young_errors",
    "fit_pca",
    "from_coordinates",
    "fundamental_subspaces",
    "gram_schmidt_basis",
    "hotelling_deflate",
    "in_span",
    "matrix_in_basis",
    "matrix_of",
    "modified_gram_schmidt",
    "null_space",
    "orthogonality_loss",
    "pca_decode",
    "pca_encode",
    "polygon_area",
    "power_iteration",
    "power_norms",
    "project_onto_span",
    "projection_matrix",
    "rank",
    "rank_k_approximation",
    "rayleigh_quotient",
    "relative_reconstruction_error",
    "span_residual",
    "spectral_norm",
    "svd_jacobi",
    "svd_via_eigh",
    "top_eigenpairs",
    "truncated_svd",
    "two_sided_deflate",
]
