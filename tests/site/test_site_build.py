"""The built site, read as files: every lesson, report and API page is there, nothing external.

No browser needed; tests/site/test_site_browser.py opens the same site in Chromium.
"""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jlr.site.api import module_names
from jlr.site.browser import _problems
from jlr.site.hooks import strip_cdn_scripts
from jlr.site.lessons import lesson_paths
from jlr.site.projects import latest_reports, stage_projects

REPO = Path(__file__).resolve().parents[2]
FIXTURE_LESSON = Path(__file__).parent / "fixtures" / "99_site_fixture.py"
pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

# (tag, attribute) pairs the browser fetches by itself when it renders a page
FETCHED = {
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
}


class _Fetches(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in FETCHED and value is not None:
                self.urls.append(value)
            if name == "style" and value and "url(" in value:
                self.urls.append(value)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts.append(data)


def _is_external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") or url.strip().startswith("//")


def test_every_lesson_is_an_executed_page(built_site: Path, site_lessons: list[Path]):
    lessons = [*site_lessons, FIXTURE_LESSON]
    for lesson in lessons:
        page = built_site / "lessons" / f"{lesson.stem}.html"
        assert page.exists(), f"no page for {lesson.name}"
        assert "jp-OutputArea-output" in page.read_text(), f"{lesson.name} has no outputs"
    fixture = (built_site / "lessons" / f"{FIXTURE_LESSON.stem}.html").read_text()
    assert "max |d/dx x^2 - 2x|" in fixture  # the printed number
    assert 'src="data:image/png;base64,' in fixture  # the figure, inline
    assert "$$\\frac{d}{dx}" in fixture  # the math, left for MathJax
    overview = (built_site / "lessons" / "index.html").read_text()
    assert "00_getting_started.html" in overview and "fast mode" not in overview


def test_api_reference_is_generated_from_docstrings(built_site: Path):
    course = (built_site / "api" / "jlr.course.html").read_text()
    assert "section_by_number" in course and "curriculum" in course
    for page in (built_site / "api").glob("*.html"):
        assert 'id="jlr.course.solutions' not in page.read_text(), f"{page.name} shows solutions"


def test_project_report_is_copied(built_site: Path):
    report = built_site / "projects" / "digits-mlp.report.html"
    assert "digits-mlp (site test)" in report.read_text()
    assert (
        'src="digits-mlp.report.html"' in (built_site / "projects" / "digits-mlp.html").read_text()
    )


def test_search_index_is_built(built_site: Path):
    index = json.loads((built_site / "search" / "search_index.json").read_text())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert f"lessons/{FIXTURE_LESSON.stem}.html" in locations


def test_nothing_external_is_loaded(built_site: Path):
    """No page, stylesheet or inline script asks for anything outside site/ (no CDN)."""
    offenders = []
    for page in sorted(built_site.rglob("*.html")):
        parser = _Fetches()
        parser.feed(page.read_text())
        rel = page.relative_to(built_site)
        offenders += [f"{rel}: {url[:100]}" for url in parser.urls if _is_external(url)]
        for script in parser.inline_scripts:
            if "http://" in script or "https://" in script:
                offenders.append(f"{rel}: inline script mentions a URL: {script.strip()[:100]}")
        for url in parser.urls:  # and everything local that it loads is really there
            parts = urlsplit(url)
            if not _is_external(url) and parts.scheme == "" and parts.path:
                base = built_site if parts.path.startswith("/") else page.parent  # 404.html
                target = (base / parts.path.lstrip("/")).resolve()
                if not target.exists():
                    offenders.append(f"{rel}: missing {url}")
    for css in sorted(built_site.rglob("*.css")):
        text = css.read_text(errors="replace")
        for marker in ("url(http", "url('http", 'url("http', "@import"):
            if marker in text:
                offenders.append(f"{css.relative_to(built_site)}: {marker}")
    assert not offenders, "\n".join(offenders)
    assert (built_site / "assets" / "mathjax" / "tex-chtml-full.js").exists()
    fonts = built_site / "assets" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert len(list(fonts.glob("*.woff"))) > 10


def test_strip_cdn_scripts():
    page = (
        '<p>a</p><!-- Load mathjax --><script src="https://cdn/x.js"> </script>'
        "<!-- End of mathjax configuration -->"
        '<script type="module">import("https://cdn/mermaid.mjs")</script>'
        '<script type="module">console.log(1)</script>'
    )
    assert strip_cdn_scripts(page) == '<p>a</p><script type="module">console.log(1)</script>'


def test_api_hides_solutions_and_checks():
    names = module_names()
    assert "jlr.course.curriculum" in names and "jlr.site.build" in names
    assert not [n for n in names if n.startswith(("jlr.course.solutions", "jlr.course.checks"))]


def test_latest_report_per_project(tmp_path: Path):
    for name, project, mtime in [("a", "p", 100), ("b", "p", 200), ("c", None, 50)]:
        run = tmp_path / name
        run.mkdir()
        if project:
            (run / "config.json").write_text(json.dumps({"project": project}))
        (run / "report.html").write_text(name)
        os.utime(run / "report.html", (mtime, mtime))
    reports = latest_reports(tmp_path)
    assert sorted(reports) == ["c", "p"]
    assert reports["p"].run_dir.name == "b"


def test_report_is_copied_with_the_pages_it_links(tmp_path: Path):
    run = tmp_path / "runs" / "transformer-1"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"project": "transformer"}))
    (run / "report.html").write_text("<a href='attention.html'>maps</a>")
    (run / "attention.html").write_text("<p>weights</p>")
    (run / "unlinked.html").write_text("<p>not linked</p>")
    stage_projects(tmp_path / "runs", tmp_path / "stage")
    projects = tmp_path / "stage" / "projects"
    report = (projects / "transformer.report.html").read_text()
    assert 'href="transformer.attention.html"' in report and "'attention.html'" not in report
    assert (projects / "transformer.attention.html").read_text() == "<p>weights</p>"
    assert not (projects / "transformer.unlinked.html").exists()


def test_projects_page_says_how_to_make_a_report(tmp_path: Path):
    nav = stage_projects(tmp_path / "no-runs", tmp_path / "stage")
    assert nav[0] == ("Overview", "projects/index.md")
    for _, page in nav[1:]:
        text = (tmp_path / "stage" / page).read_text()
        assert "jlr run" in text and "No report yet" in text


def test_browser_problem_detection():
    base = "http://127.0.0.1:8000/"
    events = [
        {
            "method": "Network.requestWillBeSent",
            "params": {"requestId": "1", "request": {"url": base + "a.js"}},
        },
        {
            "method": "Network.requestWillBeSent",
            "params": {"requestId": "2", "request": {"url": "https://cdn.example/x.js"}},
        },
        {
            "method": "Network.loadingFailed",
            "params": {"requestId": "2", "errorText": "net::ERR_NAME_NOT_RESOLVED"},
        },
        {
            "method": "Network.responseReceived",
            "params": {"response": {"status": 404, "url": base + "b.css"}},
        },
        {
            "method": "Runtime.consoleAPICalled",
            "params": {"type": "error", "args": [{"value": "boom"}]},
        },
        {
            "method": "Runtime.consoleAPICalled",
            "params": {"type": "warning", "args": [{"value": "hm"}]},
        },
        {"method": "Runtime.exceptionThrown", "params": {"exceptionDetails": {"text": "Uncaught"}}},
    ]
    errors, warnings = _problems(events, base)
    assert len(errors) == 5, errors
    assert any("another host" in e for e in errors) and any("404" in e for e in errors)
    assert warnings == ["console.warn: hm"]


def test_the_build_picks_up_every_lesson(tmp_path: Path):
    for name in ("00_a.py", "07_b_c.py", "notes.py", "1_bad.py"):
        (tmp_path / name).write_text("")
    assert [p.name for p in lesson_paths(tmp_path)] == ["00_a.py", "07_b_c.py"]
    repo_lessons = sorted(p.name for p in (REPO / "lessons").glob("[0-9][0-9]_*.py"))
    assert [p.name for p in lesson_paths(REPO / "lessons")] == repo_lessons
