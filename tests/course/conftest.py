"""Course tests write progress and notebooks into a temporary learner folder, never ./.jlr."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def learner_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "learner"
    monkeypatch.setenv("JLR_HOME", str(home))
    return home
