"""Bad input is one line: a CourseError (exit code 2 from the CLI), or one FAIL line per exercise.

The CLI tests run the real `jlr` executable in a subprocess once `jlr.cli` exists.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from jlr.course.checker import grade, run_exercise
from jlr.course.commands import check_exercises, export_lesson
from jlr.course.errors import CourseError
from jlr.course.exercise import CheckFailed, Exercise
from jlr.course.solutions import getting_started

SOLVED = """\
import jax, jax.numpy as jnp

def square_plus_one(x):
    return x**2 + 1

def mean_squared_error(pred, target):
    return jnp.mean((pred - target) ** 2)

def grad_of_mse(params, x, y):
    raise ValueError("boom\\nsecond line")

def split_keys(key, n):
    return jax.random.split(key, n)
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_unknown_lesson_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match=r"no lesson 99; lessons: 00"):
        export_lesson("99", tmp_path)
    with pytest.raises(CourseError, match="two digits"):
        export_lesson("abc", tmp_path)


def test_check_unknown_lesson() -> None:
    with pytest.raises(CourseError, match=r"no exercises for lesson 42; .*00"):
        grade("42")


def test_check_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match="no such file: .*missing.py"):
        grade("00", tmp_path / "missing.py")


def test_check_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.py", "import jax\n\ndef square_plus_one(x)\n    return x\n")
    with pytest.raises(CourseError) as error:
        grade("00", path)
    message = str(error.value)
    assert message == f"{path}:3: SyntaxError: expected ':'", message


def test_check_error_at_import_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "typo.py", "import jax\nx = undefined_name\n")
    with pytest.raises(CourseError, match=r"typo.py:2: NameError: name 'undefined_name'"):
        grade("00", path)


def test_learner_errors_are_one_line_fails(tmp_path: Path) -> None:
    report = grade("00", write(tmp_path, "attempt.py", SOLVED))
    assert report.lines == [
        "PASS square_plus_one",
        "PASS mean_squared_error",
        "FAIL grad_of_mse: ValueError: boom",
        "PASS split_keys",
    ]
    assert report.failed_names == ("grad_of_mse",) and report.exit_code == 1
    assert (report.passed, report.failed) == (3, 1)


def test_missing_function_and_wrong_answer(tmp_path: Path) -> None:
    path = write(tmp_path, "partial.py", "def square_plus_one(x):\n    return x * 2\n")
    lines = grade("00", path).lines
    assert lines[0].startswith("FAIL square_plus_one: square_plus_one(x)[0] = ")
    assert lines[1:] == [f"FAIL {name}: not defined" for name in ("mean_squared_error",
                         "grad_of_mse", "split_keys")]  # fmt: skip


def test_endless_loop_hits_the_time_limit() -> None:
    def spin(x):
        while True:
            pass

    exercise = Exercise("spin", "", lambda function: function(0))
    module = types.SimpleNamespace(spin=spin)
    result = run_exercise(exercise, module, time_limit_s=0.2)
    assert result.line == "FAIL spin: CheckTimeout: took longer than 0.2 s"


def test_hint_is_cut_to_one_line() -> None:
    def check(function):
        raise CheckFailed("first line\n" + "x" * 500)

    result = run_exercise(Exercise("f", "", check), types.SimpleNamespace(f=abs))
    assert result.line == "FAIL f: first line"


# --- the real command line -------------------------------------------------------------------

needs_cli = pytest.mark.skipif(
    importlib.util.find_spec("jlr.cli") is None, reason="jlr.cli is not written yet"
)


def jlr(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "JLR_HOME": str(home)}
    command = [sys.executable, "-c", "import sys; from jlr.cli import main; sys.exit(main())"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def assert_one_line_exit_2(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr


@needs_cli
@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("lesson", "99"), "no lesson 99"),
        (("check", "42"), "no exercises for lesson 42"),
        (("check", "00", "--file", "missing.py"), "no such file: missing.py"),
    ],
)
def test_cli_bad_input(args: tuple[str, ...], expected: str, tmp_path: Path) -> None:
    assert_one_line_exit_2(jlr(*args, home=tmp_path), expected)


@needs_cli
@pytest.mark.subprocess
def test_cli_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.py", "def square_plus_one(x)\n    return x\n")
    assert_one_line_exit_2(jlr("check", "00", "--file", str(path), home=tmp_path), "broken.py:1:")


@needs_cli
@pytest.mark.subprocess
def test_cli_check_reports_learner_error_in_one_line(tmp_path: Path) -> None:
    result = jlr("check", "00", "--file", str(write(tmp_path, "a.py", SOLVED)), home=tmp_path)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert "FAIL grad_of_mse: ValueError: boom\n" in result.stdout
    assert "PASS split_keys" in result.stdout


@needs_cli
@pytest.mark.subprocess
def test_cli_check_passes_the_solutions_and_records_progress(tmp_path: Path) -> None:
    solutions = str(Path(getting_started.__file__))
    result = jlr("check", "00", "--file", solutions, home=tmp_path)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stdout.count("PASS ") == 4
    progress = jlr("progress", home=tmp_path)
    assert progress.returncode == 0 and "4/4 warm-up exercises" in progress.stdout


@needs_cli
@pytest.mark.subprocess
def test_cli_lesson_writes_notebook(tmp_path: Path) -> None:
    result = jlr("lesson", "00", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "notebooks" / "00_getting_started.ipynb").is_file()
    assert "00_getting_started.ipynb" in result.stdout
    # The printed command works: the install provides JupyterLab and a Python kernel.
    command = result.stdout.split("open it with:")[1].split()
    assert command[1] == "lab" and command[2].endswith("00_getting_started.ipynb")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    version = subprocess.run(
        [command[0], "lab", "--version"], capture_output=True, text=True, env=env
    )
    assert version.returncode == 0 and version.stdout.strip()[0].isdigit(), version
    kernels = subprocess.run(
        [command[0], "kernelspec", "list"], capture_output=True, text=True, env=env
    )
    assert kernels.returncode == 0 and "python3" in kernels.stdout, kernels


def test_check_exercises_records_progress(tmp_path: Path, learner_home: Path) -> None:
    check_exercises("00", write(tmp_path, "attempt.py", SOLVED))
    assert (learner_home / "progress.json").is_file()


def test_endless_loop_at_import_hits_the_time_limit(tmp_path: Path, monkeypatch) -> None:
    from jlr.course import checker

    monkeypatch.setattr(checker, "IMPORT_TIME_LIMIT_S", 0.3)
    path = write(tmp_path, "spin.py", "while True:\n    pass\n")
    with pytest.raises(CourseError, match="importing it took longer than 0.3 s") as error:
        grade("00", path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("top_level", "expected"),
    [
        ("import sys\nsys.exit(3)\n", r"exit\.py:2: sys\.exit\(3\) while importing"),
        ("raise KeyboardInterrupt\n", r"exit\.py:1: KeyboardInterrupt while importing"),
        ("raise SystemExit\n", r"exit\.py:1: sys\.exit\(None\)"),
    ],
)
def test_exits_at_import_are_one_line(tmp_path: Path, top_level: str, expected: str) -> None:
    with pytest.raises(CourseError, match=expected) as error:
        grade("00", write(tmp_path, "exit.py", top_level))
    assert "\n" not in str(error.value)


def test_exits_inside_an_exercise_are_that_exercises_fail_line(tmp_path: Path) -> None:
    source = SOLVED.replace(
        'raise ValueError("boom\\nsecond line")', "import sys; sys.exit(3)"
    ).replace("return x**2 + 1", "raise SystemExit")
    report = grade("00", write(tmp_path, "exits.py", source))
    assert report.lines[0].startswith("FAIL square_plus_one: called sys.exit(None)")
    assert report.lines[2].startswith("FAIL grad_of_mse: called sys.exit(3)")
    assert report.lines[3] == "PASS split_keys"  # grading goes on after a sys.exit
    assert report.text.splitlines()[-1].startswith("2/4 passed") and report.exit_code == 1


def test_a_keyboard_interrupt_stops_the_grading_after_one_line(tmp_path: Path) -> None:
    source = SOLVED.replace("return x**2 + 1", "raise KeyboardInterrupt")
    report = grade("00", write(tmp_path, "ctrl_c.py", source))
    assert report.lines[0] == "FAIL square_plus_one: interrupted (Ctrl-C)"
    assert all(line.endswith(": not run") for line in report.lines[1:]), report.lines
    assert report.text.splitlines()[-1].startswith("0/4 passed") and report.exit_code == 1


@needs_cli
@pytest.mark.subprocess
def test_cli_check_prints_the_summary_and_exits_by_it(tmp_path: Path) -> None:
    result = jlr("check", "00", "--file", str(write(tmp_path, "a.py", SOLVED)), home=tmp_path)
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("3/4 passed") and result.returncode == 1, result.stdout


def test_importing_the_reference_solutions_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "copy.py", "from jlr.course.solutions.getting_started import square_plus_one\n"
    )
    with pytest.raises(CourseError, match="reference solutions") as error:
        grade("00", path)
    assert "\n" not in str(error.value)
    module_import = write(tmp_path, "copy2.py", "import jlr.course.solutions.getting_started\n")
    with pytest.raises(CourseError, match="reference solutions"):
        grade("00", module_import)


def test_handing_in_the_library_function_fails_with_a_hint(tmp_path: Path) -> None:
    """The library's own lagrange_newton is right, but the exercise is to write it."""
    path = write(tmp_path, "borrowed.py", "from jlr.calculus.lagrange import lagrange_newton\n")
    report = grade("01", path)
    line = next(line for line in report.lines if line.startswith("FAIL lagrange_newton"))
    assert "jlr.calculus.lagrange.lagrange_newton, imported" in line


def test_jlr_solution_shows_the_reference_on_purpose(capsys) -> None:
    from cli_helpers import run_cli

    code, out, _ = run_cli(capsys, "solution", "01", "lagrange_newton")
    assert code == 0 and out.startswith("# jlr.calculus.lagrange.lagrange_newton\ndef ")
    code, _, err = run_cli(capsys, "solution", "00", "nope")
    assert code == 2 and "no exercise 'nope'" in err and len(err.strip().splitlines()) == 1
