"""Models built from `jlr.nn` layers: MLP, CNN, RNN, Transformer."""
