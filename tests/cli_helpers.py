"""Helpers for the command-line tests: call `jlr` in-process, and the one-line-error contract.

Import with `from cli_helpers import ...` (tests/ is on sys.path, as the folder of the root
conftest.py).
"""

from __future__ import annotations

from jlr.cli import main


def run_cli(capsys, *argv):
    """Call the CLI in-process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code, err, *fragments):
    """Exit code 2, exactly one line on stderr, no traceback, every fragment in that line."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
