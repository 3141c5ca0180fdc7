"""Reference solutions, one module per lesson, with the same function names as the stubs."""
