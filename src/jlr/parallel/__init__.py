"""Training past one device and one machine (lesson 05, "Parallelism with `pmap`").

data_parallel  one data-parallel train step three ways: sharded `jit` (the compiler inserts
               the all-reduce), `shard_map` + `lax.pmean` (explicit), and `pmap` (older form)
launch         `jlr run NAME --processes N`: N processes joined by `jax.distributed`
"""
