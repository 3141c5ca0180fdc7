"""Project reports on the site: the newest ``runs/*/report.html`` of each project.

A run folder's ``config.json`` names its project (``"project": "digits-mlp"``); a folder
without one is taken to belong to the project it is named after.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Report:
    project: str
    run_dir: Path
    path: Path  # the run's report.html


def project_descriptions() -> dict[str, str]:
    """{name: one-line description} from `jlr.projects.PROJECTS`; empty if not there yet."""
    try:
        from jlr.projects import PROJECTS
    except ImportError:
        return {}
    return {name: entry[1] for name, entry in sorted(PROJECTS.items())}


def _project_of(run_dir: Path) -> str:
    try:
        config = json.loads((run_dir / "config.json").read_text())
    except (OSError, ValueError):
        return run_dir.name
    return str(config.get("project", run_dir.name)) if isinstance(config, dict) else run_dir.name


def latest_reports(runs_dir: Path) -> dict[str, Report]:
    """{project: its newest report} over ``runs_dir/*/report.html`` (newest by mtime)."""
    latest: dict[str, Report] = {}
    for path in sorted(Path(runs_dir).glob("*/report.html")):
        report = Report(_project_of(path.parent), path.parent, path)
        best = latest.get(report.project)
        if best is None or path.stat().st_mtime > best.path.stat().st_mtime:
            latest[report.project] = report
    return latest


HOW_TO = """
No report yet. Produce one with

```bash
jlr run {name} --preset demo --out runs/{name}
make site
```

The site copies the newest `runs/*/report.html` of each project (and the pages it links to).
"""


def copy_report(report_path: Path, dest: Path, name: str) -> Path:
    """Copy a run's report.html to dest/NAME.report.html, with the other pages of its run
    folder that it links to (the transformer's attention.html, say) as NAME.PAGE.html, the
    links rewritten to match; returns the report's copy."""
    text = report_path.read_text(encoding="utf-8")
    for page in sorted(report_path.parent.glob("*.html")):
        if page.name == report_path.name:
            continue
        linked = [f"href='{page.name}'", f'href="{page.name}"']
        if any(link in text for link in linked):
            shutil.copy2(page, dest / f"{name}.{page.name}")
            for link in linked:
                text = text.replace(link, f'href="{name}.{page.name}"')
    copy = dest / f"{name}.report.html"
    copy.write_text(text, encoding="utf-8")
    return copy


def stage_projects(runs_dir: Path, dest: Path) -> list[tuple[str, str]]:
    """Write ``projects/*.md`` (and copy the reports) under `dest`; return nav entries."""
    descriptions = project_descriptions()
    reports = latest_reports(runs_dir)
    names = sorted(set(descriptions) | set(reports))
    (dest / "projects").mkdir(parents=True, exist_ok=True)
    nav = [("Overview", "projects/index.md")]
    index = ["# Projects", "", "Each project runs with `jlr run NAME` (`jlr list` lists them)."]
    index += ["", "| project | what | report |", "| --- | --- | --- |"]
    for name in names:
        report = reports.get(name)
        page = [f"# {name}", "", descriptions.get(name, ""), ""]
        if report is None:
            page.append(HOW_TO.format(name=name))
            status = "not run yet"
        else:
            copy_report(report.path, dest / "projects", name)
            page += [
                f"The newest run, from `{Path(runs_dir).name}/{report.run_dir.name}`: "
                f"[open the report on its own page]({name}.report.html).",
                "",
                f'<iframe class="jlr-report" src="{name}.report.html" title="{name} report">'
                "</iframe>",
            ]
            status = f"[report]({name}.md)"
        (dest / "projects" / f"{name}.md").write_text("\n".join(page) + "\n")
        index.append(f"| [{name}]({name}.md) | {descriptions.get(name, '')} | {status} |")
        nav.append((name, f"projects/{name}.md"))
    if not names:
        index += ["", HOW_TO.format(name="NAME")]
    (dest / "projects" / "index.md").write_text("\n".join(index) + "\n")
    return nav
