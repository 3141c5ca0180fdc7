"""Every checker can fail and can pass, for every exercises/*.py that exists.

Untouched stubs must not pass any exercise; the reference solutions in
`jlr.course.solutions.<slug>` must pass every one. Stubs, checks and solutions must name the
same functions, and every exercise's topic must be a curriculum title ("" in lesson 00).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from jlr.course.catalog import ALL_SECTIONS, load_exercises
from jlr.course.checker import grade
from jlr.course.curriculum import all_topics, section_by_number
from jlr.course.paths import repo_root

EXERCISE_FILES = sorted((repo_root() / "exercises").glob("[0-9][0-9]_*.py"))
IDS = [path.stem for path in EXERCISE_FILES]
TOPICS = {topic for _, topic in all_topics()}


def section_of(path: Path):
    section = section_by_number(path.stem[:2])
    assert path.stem == section.lesson_stem, f"{path.name} should be {section.lesson_stem}.py"
    return section


def stub_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }


def test_exercise_files_exist() -> None:
    assert "00_getting_started" in IDS


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=IDS)
def test_untouched_stubs_fail_every_exercise(path: Path) -> None:
    report = grade(path.stem[:2], path)
    assert report.results, f"no exercises graded for {path.name}"
    assert report.passed == 0, f"stubs pass {report.passed_names}: the check cannot fail"
    assert all(r.outcome == "TODO" for r in report.results), report.lines


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=IDS)
def test_reference_solutions_pass_every_exercise(path: Path) -> None:
    section = section_of(path)
    solutions = importlib.import_module(f"jlr.course.solutions.{section.slug}")
    report = grade(section.number, Path(solutions.__file__))
    assert report.failed == 0, "\n".join(report.lines)


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=IDS)
def test_stubs_checks_and_solutions_name_the_same_functions(path: Path) -> None:
    section = section_of(path)
    exercises = load_exercises(section)
    names = [exercise.name for exercise in exercises]
    assert len(names) == len(set(names)), f"duplicate exercise names in checks.{section.slug}"
    assert stub_names(path) == set(names), "a stub without an Exercise, or vice versa"
    solutions = importlib.import_module(f"jlr.course.solutions.{section.slug}")
    missing = [name for name in names if not callable(getattr(solutions, name, None))]
    assert not missing, f"solutions.{section.slug} lacks {missing}"


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=IDS)
def test_exercise_topics_are_curriculum_titles(path: Path) -> None:
    section = section_of(path)
    for exercise in load_exercises(section):
        if section.number == "00":
            assert exercise.topic == "", f"{exercise.name}: lesson 00 exercises have topic ''"
        else:
            assert exercise.topic in TOPICS, f"{exercise.name}: unknown topic {exercise.topic!r}"


@pytest.mark.parametrize("section", ALL_SECTIONS, ids=[s.lesson_stem for s in ALL_SECTIONS])
def test_every_checks_module_has_its_exercises_file(section) -> None:
    if load_exercises(section):
        stub = repo_root() / "exercises" / f"{section.lesson_stem}.py"
        assert stub.is_file(), f"checks.{section.slug} exists but {stub.name} does not"


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=IDS)
def test_stubs_only_raise_not_implemented(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            body = [n for n in node.body if not isinstance(n, ast.Expr)]  # skip the docstring
            assert ast.get_docstring(node), f"{node.name} needs a docstring saying what to do"
            assert len(body) == 1 and isinstance(body[0], ast.Raise), (
                f"{node.name}: the stub body should be `raise NotImplementedError`"
            )


def _delegating_file(tmp_path: Path, section, refused: dict[str, dict[str, str]]) -> Path:
    """A learner file whose every function hands back the library's answer."""
    lines = ["import importlib", ""]
    for name, paths in refused.items():
        module, _, attribute = sorted(paths)[0].rpartition(".")
        lines += [
            f"def {name}(*args, **kwargs):",
            f"    library = getattr(importlib.import_module({module!r}), {attribute!r})",
            "    return library(*args, **kwargs)",
            "",
        ]
    path = tmp_path / f"{section.lesson_stem}.py"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=IDS)
def test_handing_in_the_library_answer_fails(path: Path, tmp_path: Path) -> None:
    """An exercise whose reference solution is (or calls) a jlr function refuses a learner
    function that calls that function: the library's answer is not the learner's."""
    from jlr.course.guard import library_answer

    section = section_of(path)
    solutions = importlib.import_module(f"jlr.course.solutions.{section.slug}")
    refused = {
        e.name: paths
        for e in load_exercises(section)
        if (paths := library_answer(getattr(solutions, e.name)))
    }
    if not refused:
        pytest.skip(f"no reference solution of {section.lesson_stem} uses the library")
    report = grade(section.number, _delegating_file(tmp_path, section, refused))
    results = {r.name: r for r in report.results}
    for name in refused:
        assert results[name].outcome == "FAIL", results[name].line
        assert "library's answer" in results[name].detail, results[name].line
