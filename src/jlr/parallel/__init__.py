"""Training past one device and one machine (lesson 05, "Parallelism with `pmap`").

data_parallel  one data-parallel train step three ways: sharded `jit` (the compiler inserts
               the all-reduce), `shard_map` + `lax.pmean` (explicit), and `pmap` (older form)
processes      `join_processes`: this process as one of N joined by `jax.distributed`

Starting the processes is the command line's job (`jlr run NAME --processes N`), not this
package's.
"""
