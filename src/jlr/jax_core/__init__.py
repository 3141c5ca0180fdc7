"""JAX core concepts (lesson 05), one module per idea.

purity           side effects under `jit`: what runs once, what is frozen, `jax.debug.print`
immutability     `.at[...]` updates, scatter semantics, buffer donation
array_semantics  dtypes, promotion, float64, out-of-bounds indexing, the errors a learner meets
randomness       keys, split, fold_in, and a reused-key detector that reads a jaxpr
autodiff         grad's options, stop_gradient, custom_vjp (stable softplus, gradient clipping)
modes            jvp / vjp / linearize, Jacobians column by column or row by row, the cost model
compilation      jaxpr, HLO text, compile vs run time, recompilation, static and donated args
vectorization    vmap: per-example gradients, in_axes/out_axes, an ensemble trained at once
parameters       parameter pytrees: init, tree_map, flatten/unflatten, counting, save/load
training_loop    a complete training loop written by hand (agrees with `jlr.train`)
"""
