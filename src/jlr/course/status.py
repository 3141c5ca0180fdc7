"""Which curriculum topics are built, as the README's status table.

A topic is *built* when a lesson whose file exists (``lessons/NN_slug.py``) has an exercise
on it (``jlr.course.checks.<slug>.EXERCISES``, matched by the exact topic title). The README
table is generated, never typed::

    python -m jlr.course.status                      # print the table
    python -m jlr.course.status --write README.md    # replace the text between the markers
    python -m jlr.course.status --check README.md    # exit 1 when the README is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jlr.course.catalog import load_exercises
from jlr.course.curriculum import SECTIONS, all_topics
from jlr.course.paths import repo_root

START = "<!-- curriculum-status:start -->"
END = "<!-- curriculum-status:end -->"


def topic_status() -> dict[str, bool]:
    """topic -> built, for all 85 topics in curriculum order."""
    lessons = repo_root() / "lessons"
    covered = {
        exercise.topic
        for section in SECTIONS
        if (lessons / f"{section.lesson_stem}.py").is_file()
        for exercise in load_exercises(section)
    }
    return {topic: topic in covered for _, topic in all_topics()}


def status_table_markdown() -> str:
    """A Markdown table (section, topic, ✅/—) headed by the counts."""
    built = topic_status()
    rows = ["| Section | Topic | Status |", "| --- | --- | --- |"]
    for section in SECTIONS:
        n_built = sum(built[topic] for topic in section.topics)
        label = f"{section.number} {section.title} ({n_built}/{len(section.topics)})"
        for i, topic in enumerate(section.topics):
            cell = label if i == 0 else ""
            mark = "✅" if built[topic] else "—"
            rows.append(f"| {cell} | {_escape(topic)} | {mark} |")
    total = (
        f"**{sum(built.values())}/{len(built)} topics built** — a topic is built when its lesson "
    )
    total += "runs in CI and its exercises are graded by `jlr check`."
    return "\n".join([total, "", *rows])


def _escape(cell: str) -> str:
    """A pipe inside a cell would end it."""
    return cell.replace("|", r"\|")


def replace_between_markers(text: str, block: str) -> str:
    """`text` with everything between START and END replaced by `block`; ValueError if absent."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {START} ... {END} not found")
    return text[: start + len(START)] + "\n" + block + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jlr.course.status", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path, metavar="README", help="update the table in place")
    group.add_argument("--check", type=Path, metavar="README", help="exit 1 if it is stale")
    args = parser.parse_args(argv)
    table = status_table_markdown()
    path = args.write or args.check
    if path is None:
        print(table)
        return 0
    try:
        text = path.read_text(encoding="utf-8")
        updated = replace_between_markers(text, table)
    except (OSError, ValueError) as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 2
    if args.check:
        if updated != text:
            print(f"{path}: status table is stale; run python -m jlr.course.status --write {path}")
            return 1
        return 0
    path.write_text(updated, encoding="utf-8")
    print(f"updated the status table in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
