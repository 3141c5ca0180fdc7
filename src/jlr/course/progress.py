"""Learner progress: which exercises passed, and the curriculum as a checklist (`jlr progress`).

Stored in ``<learner folder>/progress.json`` (``$JLR_HOME``, else ``./.jlr``; see
`jlr.course.paths`)::

    {"version": 1, "lessons": {"01": {"partial_derivative": true, "gradient": false}}}

Each `jlr check NN` overwrites lesson NN's entries with the latest result of every exercise
it graded. The file is written atomically: a temp file in the same folder, then `os.replace`,
so a crash mid-write leaves the old file whole. A topic is ticked when it has exercises and
every one of them (across lessons) last passed.
"""

from __future__ import annotations

import json
from pathlib import Path

from jlr.atomic_file import write_atomically
from jlr.course.catalog import load_exercises
from jlr.course.checker import CheckReport
from jlr.course.curriculum import GETTING_STARTED, SECTIONS, all_topics
from jlr.course.errors import CourseError
from jlr.course.paths import learner_home

VERSION = 1


def progress_file() -> Path:
    return learner_home() / "progress.json"


def load_progress(path: Path | None = None) -> dict[str, dict[str, bool]]:
    """lesson number -> {exercise name: passed}; empty when there is no file yet."""
    path = path or progress_file()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        lessons = data["lessons"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        message = f"{path} is not a JLR progress file ({error}); delete it to start over"
        raise CourseError(message) from None
    return {number: dict(results) for number, results in lessons.items()}


def save_progress(progress: dict[str, dict[str, bool]], path: Path | None = None) -> Path:
    """Write `progress` atomically (temp file in the same folder + os.replace)."""
    path = path or progress_file()
    text = json.dumps({"version": VERSION, "lessons": progress}, indent=2, sort_keys=True)
    write_atomically(path, (text + "\n").encode("utf-8"))
    return path


def record(report: CheckReport, path: Path | None = None) -> Path:
    """Store the latest result of every exercise in `report`."""
    progress = load_progress(path)
    lesson = progress.setdefault(report.number, {})
    lesson.update({r.name: r.outcome == "PASS" for r in report.results})
    return save_progress(progress, path)


def passed_exercises(progress: dict[str, dict[str, bool]]) -> set[tuple[str, str]]:
    """{(lesson number, exercise name)} that last passed."""
    return {(n, name) for n, results in progress.items() for name, ok in results.items() if ok}


def topic_done(progress: dict[str, dict[str, bool]]) -> dict[str, bool]:
    """topic -> True when it has exercises and all of them last passed."""
    passed = passed_exercises(progress)
    needed: dict[str, set[tuple[str, str]]] = {topic: set() for _, topic in all_topics()}
    for section in SECTIONS:
        for exercise in load_exercises(section):
            if exercise.topic in needed:
                needed[exercise.topic].add((section.number, exercise.name))
    return {topic: bool(keys) and keys <= passed for topic, keys in needed.items()}


def format_progress(path: Path | None = None) -> str:
    """The text of `jlr progress`: every section's topics as a checklist, and 'n/85'."""
    progress = load_progress(path)
    done = topic_done(progress)
    lines = []
    warmups = load_exercises(GETTING_STARTED)
    if warmups:
        n_ok = sum(progress.get("00", {}).get(e.name, False) for e in warmups)
        lines += [f"00  {GETTING_STARTED.title}: {n_ok}/{len(warmups)} warm-up exercises", ""]
    for section in SECTIONS:
        n_ok = sum(done[topic] for topic in section.topics)
        lines.append(f"{section.number}  {section.title}  ({n_ok}/{len(section.topics)})")
        lines += [f"    [{'x' if done[t] else ' '}] {t}" for t in section.topics]
    lines += ["", f"{sum(done.values())}/{len(done)} topics done ({path or progress_file()})"]
    return "\n".join(lines)
