"""The `jlr` command line: help without JAX, one-line errors with exit code 2, and the
commands `jlr run --processes N` starts."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run_cli

from jlr import cli
from jlr.cli import build_parser, process_command
from jlr.config import config_to_assignments, parse_assignments, resolve_config
from jlr.course.errors import CourseError
from jlr.data.errors import DataError
from jlr.errors import ConfigError
from jlr.projects import PROJECTS, load_project


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
        (["run", "digits-mlp", "--processes", "2"], ["runs in one process", "data-parallel"]),
        (
            ["run", "digits-mlp", "--data-dir", "mnist"],
            ["--data-dir", "'digits-mlp' reads no data folder", "cnn, vision-ablation"],
        ),
        (["run", "data-parallel-mlp", "--processes", "0"], ["--processes 0", "at least 1"]),
        (["run", "data-parallel-mlp", "--process-id", "0"], ["go together"]),
        (["run", "data-parallel-mlp", "--coordinator", "h:1"], ["go together"]),
        (
            [
                "run",
                "data-parallel-mlp",
                "--processes",
                "2",
                "--process-id",
                "2",
                "--coordinator",
                "h:1",
            ],
            ["--process-id 2", "0 .. 1"],
        ),
        (
            ["run", "data-parallel-mlp", "--process-id", "0", "--coordinator", "host0"],
            ["--coordinator host0", "HOST:PORT"],
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, fragments):
    code, _, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, *fragments)


def test_data_dir_is_the_projects_data_dir_setting(capsys, tmp_path):
    missing = tmp_path / "no-such-folder"
    code, _, err = run_cli(
        capsys, "run", "cnn", "--set", "data=mnist", "--data-dir", str(missing),
        "--out", str(tmp_path / "run"), "--no-progress",
    )  # fmt: skip
    assert_one_line_error(code, err, f"data_dir={missing}: no such folder")


@pytest.mark.parametrize("error", [DataError("digits.npz: truncated"), CourseError("no lesson 99")])
def test_data_and_course_errors_are_user_errors(capsys, monkeypatch, error):
    def fail():
        raise error

    monkeypatch.setattr(cli, "command_list", fail)
    code, _, err = run_cli(capsys, "list")
    assert_one_line_error(code, err, str(error))


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


def resolve_run(argv):
    """The config a `jlr run` command line resolves to (what the CLI passes to `run`)."""
    args = build_parser().parse_args(argv)
    project = load_project(args.name)
    preset = project.PRESETS[args.preset]
    overrides = parse_assignments(args.assignments)
    return args, resolve_config(project.Config, preset, overrides, seed=args.seed)


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_assignments_rebuild_every_preset(name):
    project = load_project(name)
    for preset in project.PRESETS.values():
        config = resolve_config(project.Config, preset)
        assignments = config_to_assignments(config)
        assert resolve_config(project.Config, {}, parse_assignments(assignments)) == config


def test_assignments_keep_every_float_digit_and_refuse_what_text_cannot_carry():
    _args, config = resolve_run(["run", "digits-mlp"])
    exact = dataclasses.replace(config, lr=0.1 + 0.2)  # 0.30000000000000004
    assert (
        resolve_config(type(config), {}, parse_assignments(config_to_assignments(exact))) == exact
    )
    with pytest.raises(ConfigError, match="does not survive"):
        config_to_assignments(dataclasses.replace(config, schedule=" cosine"))  # strip()ped


def test_each_process_command_is_the_same_run_as_process_i(tmp_path):
    """`--processes 2` starts 2 commands that resolve to the parent's config, preset included."""
    argv = ["run", "data-parallel-mlp", "--preset", "full", "--set", "steps=7", "--seed", "3"]
    args, config = resolve_run([*argv, "--processes", "2", "--no-progress", "--out", "x"])
    for i in range(2):
        command = process_command(args, config, Path("x"), i, "127.0.0.1:4321")
        assert command[:4] == [sys.executable, "-m", "jlr", "run"]
        child_args, child_config = resolve_run(command[3:])
        assert child_config == config and child_config.hidden == (256, 256)
        assert (child_args.processes, child_args.process_id) == (2, i)
        assert child_args.coordinator == "127.0.0.1:4321" and child_args.no_progress
        assert child_args.out == Path("x") and not child_args.resume
