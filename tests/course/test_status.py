"""The curriculum status table is generated, and the README's copy is current."""

from __future__ import annotations

import pytest

from jlr.course.curriculum import all_topics
from jlr.course.paths import repo_root
from jlr.course.status import (
    END,
    START,
    main,
    replace_between_markers,
    status_table_markdown,
    topic_status,
)

README = repo_root() / "README.md"


def test_table_has_every_topic_once() -> None:
    status = topic_status()
    assert list(status) == [topic for _, topic in all_topics()]
    table = status_table_markdown()
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + 85
    assert f"**{sum(status.values())}/85 topics built**" in table
    assert table.count("✅") == sum(status.values())


def test_replace_between_markers() -> None:
    text = f"intro\n{START}\nold table\n{END}\noutro\n"
    assert replace_between_markers(text, "new") == f"intro\n{START}\nnew\n{END}\noutro\n"
    with pytest.raises(ValueError, match="not found"):
        replace_between_markers("no markers", "new")


def test_write_then_check(tmp_path, capsys) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# JLR\n{START}\n{END}\n")
    assert main(["--check", str(readme)]) == 1
    assert main(["--write", str(readme)]) == 0
    assert main(["--check", str(readme)]) == 0
    assert status_table_markdown() in readme.read_text()


def test_readme_status_table_is_current() -> None:
    if not README.is_file() or START not in README.read_text(encoding="utf-8"):
        pytest.skip("README.md has no curriculum-status markers yet")
    text = README.read_text(encoding="utf-8")
    assert replace_between_markers(text, status_table_markdown()) == text, (
        "README status table is stale: run `python -m jlr.course.status --write README.md`"
    )
