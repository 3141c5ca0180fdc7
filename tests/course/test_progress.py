"""Progress is written atomically, and a topic is ticked once all its exercises pass."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

import jlr.course.progress as progress_module
from jlr.course.checker import CheckReport, ExerciseResult
from jlr.course.commands import (
    check_exercises,
    export_lesson,
    format_lessons,
    format_progress,
    list_lessons,
)
from jlr.course.curriculum import SECTIONS
from jlr.course.errors import CourseError
from jlr.course.exercise import Exercise
from jlr.course.progress import load_progress, record, save_progress, topic_done
from jlr.course.solutions import getting_started

CALCULUS = SECTIONS[0]
TOPIC_A, TOPIC_B = CALCULUS.topics[:2]


def report(number: str, outcomes: dict[str, str]) -> CheckReport:
    results = tuple(ExerciseResult(name, "", outcome) for name, outcome in outcomes.items())
    return CheckReport(number, Path("x.py"), results)


@pytest.fixture
def two_calculus_exercises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lesson 01 has exercises f, g on topic A and h on topic B (whatever checks.calculus holds)."""
    fake = (
        Exercise("f", TOPIC_A, print),
        Exercise("g", TOPIC_A, print),
        Exercise("h", TOPIC_B, print),
    )
    real = progress_module.load_exercises
    monkeypatch.setattr(
        progress_module, "load_exercises", lambda s: fake if s is CALCULUS else real(s)
    )


def test_record_overwrites_with_the_latest_result(learner_home: Path) -> None:
    record(report("01", {"f": "PASS", "g": "TODO"}))
    record(report("01", {"f": "FAIL"}))
    record(report("02", {"k": "PASS"}))
    assert load_progress() == {"01": {"f": False, "g": False}, "02": {"k": True}}
    data = json.loads((learner_home / "progress.json").read_text())
    assert data["version"] == 1


def test_topic_ticks_only_when_all_its_exercises_pass(two_calculus_exercises) -> None:
    record(report("01", {"f": "PASS", "g": "TODO", "h": "PASS"}))
    done = topic_done(load_progress())
    assert len(done) == 85
    assert (done[TOPIC_A], done[TOPIC_B]) == (False, True)
    record(report("01", {"g": "PASS"}))
    text = format_progress()
    assert f"    [x] {TOPIC_A}" in text and f"    [x] {TOPIC_B}" in text
    assert f"    [ ] {CALCULUS.topics[2]}" in text
    assert "\n2/85 topics done" in text
    assert "Multivariable Calculus (Foundations)  (2/11)" in text


def test_progress_lists_every_section_and_project() -> None:
    text = format_progress()
    assert text.count("    [ ] ") == 85
    assert "10  Projects  (0/3)" in text
    assert "0/4 warm-up exercises" in text


def test_save_is_atomic(learner_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_progress({"00": {"a": True}})

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_progress({"00": {"a": False}})
    assert load_progress() == {"00": {"a": True}}  # the old file is whole
    assert [p.name for p in learner_home.iterdir()] == ["progress.json"]  # no temp file left


def test_corrupt_progress_file_is_a_course_error(learner_home: Path) -> None:
    learner_home.mkdir()
    (learner_home / "progress.json").write_text("{not json")
    with pytest.raises(CourseError, match="not a JLR progress file"):
        format_progress()


def test_checking_the_solutions_records_all_warmups() -> None:
    result = check_exercises("00", Path(getting_started.__file__))
    assert result.exit_code == 0 and result.passed == 4
    assert "4/4 warm-up exercises" in format_progress()


def test_lessons_listing() -> None:
    lessons = list_lessons()
    assert lessons[0] == ("00", "How to use this repository", ())
    text = format_lessons()
    assert text.startswith("00  How to use this repository")
    for number, title, topics in lessons:
        assert f"{number}  {title}" in text
        assert all(f"- {topic}" in text for topic in topics)


def test_export_lesson_writes_a_valid_notebook(tmp_path: Path, learner_home: Path) -> None:
    path = export_lesson("0")  # default: the learner's folder
    assert path == learner_home / "notebooks" / "00_getting_started.ipynb"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.cells[0].cell_type == "markdown"
    path.write_text(path.read_text() + " ")  # the learner's edits
    export_lesson("00", path.parent)
    assert path.with_suffix(".previous.ipynb").read_text().endswith(" ")


def test_export_into_a_file_is_a_course_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises(CourseError, match="is a file"):
        export_lesson("00", target)
