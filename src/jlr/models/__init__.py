"""Models built from `jlr.nn` layers: MLP, CNN, RNN, Transformer; sampling from a language model."""
