"""Build the course site: stage every page into one folder, then run mkdocs on it.

    docs/*                 -> hand-written pages (home, notation, about) and the site's own JS/CSS
    lessons/NN_slug.py     -> lessons/NN_slug.ipynb, executed as a learner runs them
    runs/*/report.html     -> projects/NAME.report.html, the newest run of each project
    jlr docstrings         -> api/*.md (mkdocstrings)
    MathJax (PyPI wheel)   -> assets/mathjax/

mkdocs.yml holds everything static (theme, plugins, extensions); the navigation is written
here because it depends on which lessons and projects exist.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import nbformat

from jlr.course.curriculum import GETTING_STARTED, SECTIONS, section_by_number
from jlr.site.api import api_pages
from jlr.site.assets import copy_favicon, copy_mathjax
from jlr.site.lessons import execute_lesson, lesson_paths, notebook_title
from jlr.site.projects import stage_projects

log = logging.getLogger(__name__)

NavEntry = tuple[str, str]  # (title, page path relative to the staged docs folder)


def stage_lessons(
    lessons_dir: Path, dest: Path, *, cwd: Path, cache_dir: Path | None
) -> list[NavEntry]:
    """Execute every lesson into ``dest/lessons/NN_slug.ipynb``; write the lessons overview."""
    (dest / "lessons").mkdir(parents=True, exist_ok=True)
    nav, written = [("Overview", "lessons/index.md")], {}
    for path in lesson_paths(lessons_dir):
        log.info("executing lesson %s", path.name)
        notebook = execute_lesson(path, cwd=cwd, cache_dir=cache_dir)
        page = f"lessons/{path.stem}.ipynb"
        nbformat.write(notebook, dest / page)
        number = path.name[:2]
        try:
            title = f"{number} · {section_by_number(number).title}"
        except KeyError:
            title = notebook_title(notebook, path.stem)
        nav.append((title, page))
        written[number] = path.stem
    (dest / "lessons" / "index.md").write_text(lessons_overview(written))
    return nav


def lessons_overview(written: dict[str, str]) -> str:
    """Markdown: every curriculum section, linked when its lesson exists."""
    lines = ["# Lessons", ""]
    lines += ["| lesson | section | topics |", "| --- | --- | --- |"]
    for section in (GETTING_STARTED, *SECTIONS):
        stem = written.get(section.number)
        title = f"[{section.title}]({stem}.ipynb)" if stem else f"{section.title} (coming)"
        lines.append(f"| {section.number} | {title} | {len(section.topics)} |")
    return "\n".join(lines) + "\n"


def stage_api(dest: Path) -> list[NavEntry]:
    """Write the API reference pages; return their nav entries, overview first."""
    pages = api_pages()
    for rel, text in pages.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    names = sorted(
        (rel for rel in pages if rel != "api/index.md"), key=lambda r: (r != "api/jlr.md", r)
    )
    return [("Overview", "api/index.md")] + [(Path(rel).stem, rel) for rel in names]


def stage(
    stage_dir: Path,
    *,
    docs_dir: Path,
    lessons_dir: Path,
    runs_dir: Path,
    cwd: Path,
    cache_dir: Path | None,
) -> list:
    """Fill `stage_dir` (emptied first) with every page; return the mkdocs nav."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    shutil.copytree(docs_dir, stage_dir)
    copy_mathjax(stage_dir / "assets" / "mathjax")
    copy_favicon(stage_dir / "favicon.ico")
    sections = [
        ("Lessons", stage_lessons(lessons_dir, stage_dir, cwd=cwd, cache_dir=cache_dir)),
        ("Projects", stage_projects(runs_dir, stage_dir)),
        ("API reference", stage_api(stage_dir)),
    ]
    nav: list = [{"Home": "index.md"}]
    nav += [{name: [{title: page} for title, page in entries]} for name, entries in sections]
    for title, page in (("Notation", "notation.md"), ("About", "about.md")):
        if (stage_dir / page).exists():
            nav.append({title: page})
    return nav


def build_site(
    out_dir: Path = Path("site"),
    *,
    config_file: Path = Path("mkdocs.yml"),
    docs_dir: Path = Path("docs"),
    lessons_dir: Path = Path("lessons"),
    runs_dir: Path = Path("runs"),
    stage_dir: Path = Path("build/site-src"),
    cache_dir: Path | None = Path(".jlr-cache/site"),
) -> Path:
    """Stage the pages and build the static site into `out_dir`; return `out_dir`."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    stage_dir, out_dir = Path(stage_dir).resolve(), Path(out_dir).resolve()
    nav = stage(
        stage_dir,
        docs_dir=Path(docs_dir),
        lessons_dir=Path(lessons_dir),
        runs_dir=Path(runs_dir),
        cwd=Path(config_file).resolve().parent,
        cache_dir=Path(cache_dir).resolve() if cache_dir is not None else None,
    )
    config = load_config(
        config_file=str(config_file), docs_dir=str(stage_dir), site_dir=str(out_dir), nav=nav
    )
    build(config)
    return out_dir
