"""The site, built once per test session into a temporary folder.

It is built from the repository's own mkdocs.yml, docs/ and lesson 00, plus a fixture lesson
(math and a figure, whatever the real lessons hold) and a fake run folder whose report is
written by the library's own report writer.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import matplotlib
import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURE_LESSON = Path(__file__).parent / "fixtures" / "99_site_fixture.py"


@pytest.fixture(scope="session")
def site_lessons() -> list[Path]:
    """Lesson 00 (the path every lesson takes), or every lesson with JLR_SITE_TEST_LESSONS=all.

    Executing each lesson is the job of tests/course/test_lessons_execute.py; executing all of
    them again here would make this test as slow as the whole course.
    """
    pattern = "[0-9][0-9]_*.py" if os.environ.get("JLR_SITE_TEST_LESSONS") == "all" else "00_*.py"
    return sorted((REPO / "lessons").glob(pattern))


def _fake_run(runs_dir: Path) -> None:
    """runs/digits-mlp-test/: a config.json naming the project and a report with a figure."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jlr.train.report import save_figure, write_report

    run_dir = runs_dir / "digits-mlp-test"
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text(json.dumps({"project": "digits-mlp"}))
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1.0, 0.5, 0.3])
    png = save_figure(fig, run_dir / "loss.png")
    write_report(
        run_dir,
        title="digits-mlp (site test)",
        summary={"test_accuracy": 0.5},
        config={"project": "digits-mlp"},
        figures={"loss": png},
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, site_lessons, request) -> Path:
    """The site, built once per test run even under pytest-xdist (the workers share it)."""
    if not hasattr(request.config, "workerinput"):  # not an xdist worker
        return _build(tmp_path_factory.mktemp("jlr-site"), site_lessons)
    shared = tmp_path_factory.getbasetemp().parent / "jlr-site"  # the same for all workers
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds, the others wait
        if not (shared / "built").exists():
            _build(shared, site_lessons)
            (shared / "built").touch()
    return shared / "site"


def _build(root: Path, site_lessons: list[Path]) -> Path:
    """Build the site with `python -m jlr.site`, as `make site` does."""
    lessons = root / "lessons"
    lessons.mkdir()
    for path in [*site_lessons, FIXTURE_LESSON]:
        shutil.copy2(path, lessons / path.name)
    _fake_run(root / "runs")
    out = root / "site"
    command = [sys.executable, "-m", "jlr.site", "--no-cache", "--out", str(out)]
    command += ["--lessons", str(lessons), "--runs", str(root / "runs")]
    command += ["--stage", str(root / "stage")]
    env = dict(os.environ)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"site build failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    print(f"site built in {time.perf_counter() - start:.1f} s")
    return out
