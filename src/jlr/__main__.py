"""`python -m jlr` is the `jlr` command."""

import sys

from jlr.cli import main

sys.exit(main())
