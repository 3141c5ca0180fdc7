"""JLR, the JAX Learning Repository.

Small, readable, from-scratch implementations of machine learning, grouped by
curriculum area (calculus, linalg, probability, optim, nn, models, text, data,
train, viz, projects). Importing `jlr` is cheap: JAX is imported by the
submodules that need it, not here.
"""

__version__ = "0.1.0"
