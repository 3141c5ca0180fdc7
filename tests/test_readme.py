"""The README's version line is produced from requirements.lock, not typed from memory."""

import re

from jlr.course.curriculum import all_topics


def test_versions_line_matches_the_lock_file(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- versions:start -->")[1].split("<!-- versions:end -->")[0]
    stated = dict(item.strip().split("==") for item in block.strip().split(","))
    locked = dict(
        line.split("==", 1)
        for line in (repo_root / "requirements.lock").read_text().splitlines()
        if "==" in line
    )
    assert {name: locked[name] for name in stated} == stated


def test_curriculum_matches_the_founding_document(repo_root):
    document = repo_root.parent / "shared" / "CURRICULUM.md"
    if not document.is_file():
        import pytest

        pytest.skip(f"{document} is absent (it lives beside the repo, not in it)")
    topics = re.findall(r"^- \[.\] (.+)$", document.read_text(encoding="utf-8"), flags=re.M)
    assert [topic for _, topic in all_topics()] == [t.strip() for t in topics]
