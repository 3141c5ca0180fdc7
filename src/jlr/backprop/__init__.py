"""Backpropagation, written out: the chain rule as an algorithm, without `jax.grad`.

- `manual`: hand-written backward passes, layer by layer, for an MLP and for a small CNN
  (im2col convolution, ReLU, max and average pooling, linear head, softmax cross-entropy),
  each forward keeping the cache its backward needs
- `scalar`: a tiny scalar reverse-mode autodiff engine (values, parents, local derivatives,
  a topological sort, `backward`), after micrograd

Both are checked against `jax.grad` (tests/backprop/).
"""
