"""Bad input to `jlr run` and to the data readers: one line, exit code 2, no traceback.

Every case named in the hardening issue, and more of each class: every float setting of
every project refuses NaN and infinities, every numeric setting refuses non-ASCII digits,
and every path argument refuses a folder that cannot be written, a file where a folder
belongs, a folder where a file belongs, and a file that is not what it claims to be.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import typing

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run_cli

from jlr.data import DataError, read_cifar10_batch, read_idx, read_text_file
from jlr.projects import PROJECTS, load_project


def fields_of_kind(kind) -> list[tuple[str, str]]:
    """(project, field) for every field of `kind` (or a tuple of it) in any project's Config."""
    found = []
    for name in sorted(PROJECTS):
        config_cls = load_project(name).Config
        hints = typing.get_type_hints(config_cls)
        for field in dataclasses.fields(config_cls):
            hint = hints[field.name]
            args = typing.get_args(hint)
            if hint is kind or (args and args[0] is kind):
                found.append((name, field.name))
    return found


FLOAT_FIELDS = fields_of_kind(float)
INT_FIELDS = fields_of_kind(int)


def test_every_project_has_numeric_fields_to_audit():
    assert len(FLOAT_FIELDS) >= 5 and len(INT_FIELDS) >= 5


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
@pytest.mark.parametrize(("project", "field"), FLOAT_FIELDS)
def test_float_settings_refuse_non_finite_values(capsys, tmp_path, project, field, value):
    code, _, err = run_cli(
        capsys, "run", project, "--set", f"{field}={value}", "--out", str(tmp_path)
    )
    assert_one_line_error(code, err, f"{field}={value}", "finite")
    assert not any(tmp_path.iterdir()), "nothing is written for a refused config"


@pytest.mark.parametrize("value", ["١٢", "１２", "۳"])  # Arabic-Indic, fullwidth, Persian
@pytest.mark.parametrize(("project", "field"), INT_FIELDS[:4] + FLOAT_FIELDS[:2])
def test_numbers_must_use_ascii_digits(capsys, tmp_path, project, field, value):
    """Python's int() reads '١٢' as 12; JLR refuses it rather than guess (README, Mistakes)."""
    code, _, err = run_cli(
        capsys, "run", project, "--set", f"{field}={value}", "--out", str(tmp_path)
    )
    assert_one_line_error(code, err, "ASCII digits")


def test_nan_in_a_preset_or_explicit_value_is_refused_too():
    from jlr.config import resolve_config
    from jlr.errors import ConfigError

    config_cls = load_project("digits-mlp").Config
    with pytest.raises(ConfigError, match="not a finite number"):
        resolve_config(config_cls, {"lr": float("nan")})


def test_out_folder_that_cannot_be_written(capsys, tmp_path, monkeypatch):
    """Root may write anywhere, so the probe's failure is simulated: the check must not trust
    os.access (which says yes to root) but an actual write."""
    out = tmp_path / "read-only"
    out.mkdir()
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        if kwargs.get("dir") == out:
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    code, _, err = run_cli(capsys, "run", "digits-mlp", "--out", str(out))
    assert_one_line_error(code, err, "not writable", "Permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission bits")
def test_out_folder_without_write_permission(capsys, tmp_path):
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o555)
    code, _, err = run_cli(capsys, "run", "digits-mlp", "--out", str(out))
    assert_one_line_error(code, err, "not writable")


def test_a_folder_in_the_way_of_a_run_file(capsys, tmp_path):
    """config.json is a folder: the run cannot write it (root included)."""
    (tmp_path / "config.json").mkdir()
    code, _, err = run_cli(capsys, "run", "digits-mlp", "--out", str(tmp_path), "--set", "steps=5")
    assert_one_line_error(code, err, "config.json")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty (0 bytes)"),
        ("npz without metadata", "not a JLR checkpoint"),
        ("npy renamed", "not an .npz archive"),
        (b"PK\x03\x04 torn zip", "unreadable"),
        (b"\x00" * 100, "unreadable"),
    ],
    ids=["zero_bytes", "foreign_npz", "npy", "torn_zip", "zeros"],
)
def test_resume_with_a_checkpoint_that_is_not_one(capsys, tmp_path, content, fragment):
    path = tmp_path / "checkpoint.npz"
    if content == "npz without metadata":
        with open(path, "wb") as handle:
            np.savez(handle, weights=np.ones(3))
    elif content == "npy renamed":
        with open(path, "wb") as handle:
            np.save(handle, np.ones(3))
    else:
        path.write_bytes(content)
    code, _, err = run_cli(capsys, "run", "digits-mlp", "--out", str(tmp_path), "--resume")
    assert_one_line_error(code, err, fragment, "checkpoint.npz")


def test_resume_where_the_checkpoint_is_a_folder(capsys, tmp_path):
    (tmp_path / "checkpoint.npz").mkdir()
    code, _, err = run_cli(capsys, "run", "digits-mlp", "--out", str(tmp_path), "--resume")
    assert_one_line_error(code, err, "no checkpoint")


@pytest.mark.parametrize("reader", [read_idx, read_cifar10_batch, read_text_file])
def test_readers_refuse_a_folder_where_a_file_belongs(tmp_path, reader):
    with pytest.raises(DataError) as error:
        reader(tmp_path)
    message = str(error.value)
    assert "is a folder, not a file" in message and "\n" not in message


def test_check_with_a_folder_for_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, "check", "00", "--file", str(tmp_path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_lesson_dir_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, _, err = run_cli(capsys, "lesson", "00", "--dir", str(target))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
