"""JLR, the JAX Learning Repository.

Small, readable, from-scratch implementations of machine learning, organised by
concept (calculus, linalg, probability, optim, nn, backprop, models, text, landscape, alignment,
data, train, parallel, viz, experiments, projects, course, site, cli); CONTRIBUTING.md
maps each package. Importing `jlr` is cheap: JAX is imported by the submodules
that need it, not here.
"""

__version__ = "0.1.0"
