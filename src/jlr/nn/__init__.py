"""Neural-network layers as `(init_x, x)` pairs of pure functions over plain pytrees."""
