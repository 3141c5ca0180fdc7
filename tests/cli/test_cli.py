"""The `jlr` command line: help without JAX, and one-line errors with exit code 2."""

import subprocess
import sys

import pytest

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
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_does_not_import_jax():
    script = (
        "import sys, contextlib, io\n"
        "from jlr.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "print('jax' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_version_and_list(capsys):
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.startswith("jlr ")
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and "digits-mlp" in out


def test_console_script_reports_unknown_project_in_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "jlr", "run", "no-such-project"], capture_output=True, text=True
    )
    assert_one_line_error(result.returncode, result.stderr, "unknown project", "digits-mlp")


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["run", "nope"], ["unknown project 'nope'", "digits-mlp"]),
        (
            ["run", "digits-mlp", "--set", "colour=red"],
            ["unknown setting 'colour'", "valid keys", "lr"],
        ),
        (["run", "digits-mlp", "--set", "steps=many"], ["steps=many", "expected an integer"]),
        (["run", "digits-mlp", "--set", "lr=-1"], ["lr=-1.0", "allowed range"]),
        (["run", "digits-mlp", "--set", "hidden=0"], ["hidden=0", "allowed range"]),
        (["run", "digits-mlp", "--set", "novalue"], ["expected key=value"]),
        (["run", "digits-mlp", "--preset", "huge"], ["unknown preset 'huge'", "demo, full"]),
        (["run", "digits-mlp", "--seed", "-3"], ["--seed -3"]),
        (["run", "digits-mlp", "--seed", "x"], ["invalid int value"]),
        (["frobnicate"], ["invalid choice"]),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, fragments):
    code, _, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, *fragments)


def test_out_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, _, err = run_cli(capsys, "run", "digits-mlp", "--out", str(target))
    assert_one_line_error(code, err, "is a file")
    code, _, err = run_cli(capsys, "run", "digits-mlp", "--out", str(target / "sub"))
    assert_one_line_error(code, err, "cannot be created")


def test_resume_without_checkpoint(capsys, tmp_path):
    code, _, err = run_cli(capsys, "run", "digits-mlp", "--out", str(tmp_path), "--resume")
    assert_one_line_error(code, err, "no checkpoint", "without --resume")
