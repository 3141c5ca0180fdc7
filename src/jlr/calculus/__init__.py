"""Multivariable calculus, the first section of the curriculum, written with JAX transforms.

One module per idea, in the order of the lesson (`lessons/01_calculus.py`):

- `functions`: scalar fields R^n -> R and maps R^n -> R^m used throughout the section
- `level_sets`: level sets {f = c}, contour tracing, and why the gradient is normal to them
- `partials`: partial derivatives by `jax.grad(argnums=...)` and by central differences
- `directional`: directional derivatives by `jax.jvp`; the gradient as steepest ascent
- `chain_rule`: the total derivative and the chain rule J_{f o g} = J_f J_g
- `jacobians`: full Jacobians assembled from JVPs (columns) and VJPs (rows)
- `linearization`: the linear approximation f(x + h) ~ f(x) + J h and its O(|h|^2) error
- `error_order`: the log-log slope that measures an error's order
- `hessian`: Hessians forward-over-reverse, and Hessian-vector products without the matrix
- `critical_points`: Newton's method on the gradient; min/max/saddle by Hessian eigenvalues
- `taylor`: first- and second-order Taylor polynomials and their error orders
- `lagrange`: Lagrange multipliers by Newton on the Lagrangian, and KKT by active sets
"""
