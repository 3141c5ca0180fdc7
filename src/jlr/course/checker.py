"""The exercise checker behind `jlr check NN [--file PATH]`.

It imports the learner's file by its path, then, for each `Exercise` of the lesson in order,
hands the learner's function of that name to the exercise's check:

- ``PASS name`` — the check returned;
- ``FAIL name: hint`` — the check raised `CheckFailed(hint)`, or the learner's code raised
  anything else (reported as ``ExceptionType: message``, one line, no traceback), or the
  function is not defined, or it ran past the time limit;
- ``TODO name: not implemented yet`` — it raised `NotImplementedError` (an untouched stub).

`sys.exit()` or a `KeyboardInterrupt` raised by the learner's code is that exercise's FAIL
line too (a Ctrl-C also stops the grading: the exercises not reached are listed as not run).
A file that is missing or does not import (a syntax error, an error at import time, a
`sys.exit` at the top level, an import that runs past its time limit) is a `CourseError`
with one line ``file.py:LINE: ErrorType: message``. Grading records nothing;
`jlr.course.commands.check_exercises` also writes the progress file, and `jlr check` prints
the lines and a ``k/N passed`` summary, exiting 0 only when every exercise passed.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import inspect
import signal
import sys
import threading
import traceback
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax

from jlr.course.catalog import exercise_file, gradable_section, load_exercises
from jlr.course.errors import CourseError
from jlr.course.exercise import CheckFailed, Exercise
from jlr.course.guard import library_answer, library_namespaces, without

TIME_LIMIT_S = 60.0  # per exercise; generous, since the first call may compile with XLA
IMPORT_TIME_LIMIT_S = 60.0  # for running the learner's file top to bottom
MAX_DETAIL = 200  # characters of an error message shown on one line


@dataclass(frozen=True)
class ExerciseResult:
    name: str
    topic: str
    outcome: str  # "PASS", "FAIL" or "TODO"
    detail: str = ""  # the hint, empty for PASS

    @property
    def line(self) -> str:
        return f"{self.outcome} {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class CheckReport:
    number: str  # the lesson, "00" .. "10"
    file: Path  # the graded file
    results: tuple[ExerciseResult, ...]

    @property
    def lines(self) -> list[str]:
        """One line per exercise, in order."""
        return [result.line for result in self.results]

    @property
    def passed_names(self) -> tuple[str, ...]:
        """Names of the exercises that passed."""
        return tuple(r.name for r in self.results if r.outcome == "PASS")

    @property
    def failed_names(self) -> tuple[str, ...]:
        """Names of the exercises that did not pass (FAIL and TODO)."""
        return tuple(r.name for r in self.results if r.outcome != "PASS")

    @property
    def passed(self) -> int:
        """How many exercises passed."""
        return len(self.passed_names)

    @property
    def failed(self) -> int:
        """How many did not pass (FAIL and TODO): `jlr check` exits 0 only when this is 0."""
        return len(self.failed_names)

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 and self.passed > 0 else 1

    @property
    def text(self) -> str:
        """The lines plus a summary line, as `jlr check` prints them."""
        summary = f"{self.passed}/{len(self.results)} passed ({self.file})"
        return "\n".join([*self.lines, summary])


def grade(number: str, file: Path | None = None) -> CheckReport:
    """Grade lesson NN's exercises in `file` (default: ``exercises/NN_slug.py`` in the repo)."""
    section = gradable_section(number)
    path = Path(file) if file is not None else exercise_file(section.number)
    if not path.is_file():
        raise CourseError(f"no such file: {path}")
    exercises = load_exercises(section)
    results: list[ExerciseResult] = []
    solutions = importlib.import_module(f"jlr.course.solutions.{section.slug}")
    with imported(path) as module:
        if not is_reference(path):
            refuse_reference_imports(module, path)
        for exercise in exercises:
            own_code_only = not is_reference(path)
            refused = library_answer(getattr(solutions, exercise.name)) if own_code_only else {}
            results.append(
                run_exercise(exercise, module, own_code_only=own_code_only, refused=refused)
            )
            if results[-1].detail.startswith(INTERRUPTED):  # Ctrl-C: stop grading here
                break
    for exercise in exercises[len(results) :]:
        results.append(ExerciseResult(exercise.name, exercise.topic, "FAIL", "not run"))
    return CheckReport(section.number, path, tuple(results))


def is_reference(path: Path) -> bool:
    """True for the reference solutions' own files (jlr/course/solutions/*.py)."""
    solutions = Path(__file__).resolve().parent / "solutions"
    return Path(path).resolve().parent == solutions


def refuse_reference_imports(module: types.ModuleType, path: Path) -> None:
    """CourseError if the learner's file takes anything from `jlr.course.solutions`: the
    reference answers are there to read after trying, not to hand in. Looks at the file's
    import statements and at where each of its global values comes from."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            if name == "jlr.course.solutions" or name.startswith("jlr.course.solutions."):
                _refuse(path, f"line {node.lineno} imports {name}")
    for name, value in vars(module).items():
        home = getattr(value, "__module__", None) or getattr(value, "__name__", "")
        if isinstance(home, str) and home.startswith("jlr.course.solutions"):
            _refuse(path, f"`{name}` comes from {home}")


def _refuse(path: Path, what: str) -> None:
    raise CourseError(
        f"{path}: {what}, the reference solutions; write your own answers "
        "(read the solutions to compare, once you have tried)"
    )


def run_exercise(
    exercise: Exercise,
    module: types.ModuleType,
    time_limit_s: float = TIME_LIMIT_S,
    *,
    own_code_only: bool = False,
    refused: Mapping[str, str] | None = None,
) -> ExerciseResult:
    """Run one check on the learner's function of the same name; never raises (but Ctrl-C).

    own_code_only: the function must be defined in the learner's file, not imported (from
    the library, say): an exercise is about writing it.
    refused: dotted paths of library functions the learner's function may not call while it
    is checked (the library's own answer to the exercise) -> the reason shown.

    Matmuls run at full precision while a check runs (on an NVIDIA GPU, fp32 matmuls are
    TF32 by default), so the same tolerances hold on a CPU and on a GPU.
    """
    function = getattr(module, exercise.name, None)
    if not callable(function):
        return ExerciseResult(exercise.name, exercise.topic, "FAIL", "not defined")
    home = getattr(function, "__module__", None)
    if own_code_only and home != module.__name__:
        hint = (
            f"it is {home}.{exercise.name}, imported; write it in your file (that is the exercise)"
        )
        return ExerciseResult(exercise.name, exercise.topic, "FAIL", hint)
    if refused and inspect.isfunction(function):  # jitted or custom_vjp objects stay as they are
        function = without(function, refused, also_in=library_namespaces())
    try:
        with time_limit(time_limit_s), jax.default_matmul_precision("highest"):
            exercise.check(function)
    except NotImplementedError:
        return ExerciseResult(exercise.name, exercise.topic, "TODO", "not implemented yet")
    except CheckFailed as failure:
        return ExerciseResult(exercise.name, exercise.topic, "FAIL", one_line(str(failure)))
    except SystemExit as error:  # sys.exit() in the learner's function ends only this check
        hint = f"called sys.exit({error.code!r}); return the value instead of exiting"
        return ExerciseResult(exercise.name, exercise.topic, "FAIL", hint)
    except KeyboardInterrupt:  # Ctrl-C, or raised by the learner's code: stop after this line
        return ExerciseResult(exercise.name, exercise.topic, "FAIL", f"{INTERRUPTED} (Ctrl-C)")
    except Exception as error:  # the learner's own error is that exercise's failure
        detail = one_line(f"{type(error).__name__}: {error}")
        return ExerciseResult(exercise.name, exercise.topic, "FAIL", detail)
    return ExerciseResult(exercise.name, exercise.topic, "PASS")


def one_line(message: str) -> str:
    """The first non-empty line of `message`, cut to MAX_DETAIL characters."""
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    first = first or "(no message)"
    return first if len(first) <= MAX_DETAIL else first[: MAX_DETAIL - 3] + "..."


INTERRUPTED = "interrupted"


class CheckTimeout(Exception):
    """An exercise ran past its time limit (an endless loop, or sizes far too large)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise CheckTimeout in the body after `seconds` (POSIX main thread only; else no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise CheckTimeout(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def imported(path: Path) -> Iterator[types.ModuleType]:
    """Import the Python file at `path` as a fresh module, for the duration of the block."""
    if not path.is_file():
        raise CourseError(f"no such file: {path}")
    name = f"_jlr_learner_{abs(hash(str(path.resolve())))}"
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up here
    try:
        try:
            with time_limit(IMPORT_TIME_LIMIT_S):
                _execute(module, loader, path)
        except CheckTimeout:
            raise CourseError(
                f"{path}: importing it took longer than {IMPORT_TIME_LIMIT_S:g} s; is there an "
                "endless loop or a long computation outside the functions?"
            ) from None
        yield module
    finally:
        sys.modules.pop(name, None)


def _execute(
    module: types.ModuleType, loader: importlib.machinery.SourceFileLoader, path: Path
) -> None:
    try:
        loader.exec_module(module)
    except SyntaxError as error:
        line = error.lineno or 0
        raise CourseError(f"{path}:{line}: SyntaxError: {error.msg}") from None
    except CheckTimeout:
        raise
    except SystemExit as error:  # sys.exit() at the top level of the learner's file
        raise CourseError(
            f"{path}:{_line_in(path, error)}: sys.exit({error.code!r}) while importing the "
            "file; remove it (the checker imports your file, it does not run it as a script)"
        ) from None
    except KeyboardInterrupt as error:
        raise CourseError(
            f"{path}:{_line_in(path, error)}: KeyboardInterrupt while importing the file"
        ) from None
    except Exception as error:  # an error while importing the file, e.g. a NameError
        line = _line_in(path, error)
        raise CourseError(
            f"{path}:{line}: {one_line(f'{type(error).__name__}: {error}')}"
        ) from None


def _line_in(path: Path, error: BaseException) -> int:
    """The last line of `path` in the error's traceback (0 when the file is not in it)."""
    target = path.resolve()
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f.lineno for f in frames if f.lineno and Path(f.filename).resolve() == target]
    return lines[-1] if lines else 0
