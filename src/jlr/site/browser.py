"""Check the built site in headless Chromium, driven over the Chrome DevTools Protocol (CDP).

Every page is served from a local ``http.server`` on 127.0.0.1 and opened in Debian's
``chromium``. A page fails on any console error or uncaught exception, any failed request or
HTTP error, any request to a host other than 127.0.0.1, a MathJax error, TeX delimiters left
untypeset in the text, or an image that did not load. Each page is saved as a screenshot.

    python -m jlr.site.browser site site-screenshots    # check a built site by hand

Needs the ``websocket-client`` package (a dev dependency) and ``chromium`` on the PATH.
"""

from __future__ import annotations

import base64
import functools
import http.server
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--window-size=1280,900",
    # belt and braces: no host name resolves except the local server's
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)

WIDTH, MAX_SCREENSHOT_HEIGHT = 1280, 4000

# Text nodes outside code and typeset math that still hold TeX delimiters: math that failed.
PAGE_FACTS_JS = r"""
(() => {
  const skip = new Set(["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "NOSCRIPT",
                        "MJX-CONTAINER", "MJX-ASSISTIVE-MML"]);
  const tex = /\$\$|\\\(|\\\)|\\\[|\\\]|(^|[^\\])\$[^$\s][^$]*\$/;
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    let el = node.parentElement, skipped = false;
    for (; el; el = el.parentElement) if (skip.has(el.tagName)) { skipped = true; break; }
    if (!skipped && tex.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 80));
  }
  const images = Array.from(document.images);
  return {
    title: document.title,
    math: document.querySelectorAll("mjx-container").length,
    math_errors: Array.from(document.querySelectorAll("mjx-merror"))
      .map(e => e.getAttribute("data-mjx-error") || e.textContent).slice(0, 5),
    raw_tex: raw.slice(0, 5),
    images: images.length,
    broken_images: images.filter(i => !(i.complete && i.naturalWidth > 0))
      .map(i => i.src.slice(0, 100)),
    height: Math.ceil(document.documentElement.scrollHeight),
  };
})()
"""

MATHJAX_DONE_JS = """
(window.MathJax && MathJax.startup && MathJax.startup.promise)
  ? MathJax.startup.promise.then(() => true) : Promise.resolve(false)
"""


@dataclass
class PageReport:
    """What one page did in the browser; `errors` empty means the page passed."""

    path: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    math: int = 0
    images: int = 0
    title: str = ""
    screenshot: Path | None = None


def chromium_binary() -> str | None:
    """The path of Debian's chromium (or a Chrome) on the PATH, None when absent."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on a free port of 127.0.0.1; yield its base URL (ends with /)."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # noqa: ARG002 (keep test output clean)
            return None

    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class CDPSession:
    """One page target over a websocket: send commands, collect the events meanwhile."""

    def __init__(self, ws_url: str, timeout_s: float = 30.0):
        import websocket  # websocket-client, a dev dependency

        self._ws = websocket.create_connection(ws_url, timeout=timeout_s, suppress_origin=True)
        self._ids = itertools.count(1)
        self.events: list[dict] = []

    def _receive(self, deadline: float) -> dict | None:
        import websocket

        self._ws.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            message = json.loads(self._ws.recv())
        except websocket.WebSocketTimeoutException:
            return None
        if "method" in message:
            self.events.append(message)
        return message

    def send(self, method: str, timeout_s: float = 30.0, **params) -> dict:
        """Call `method` and return its result; events that arrive meanwhile are kept."""
        call_id = next(self._ids)
        self._ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = self._receive(deadline)
            if message is not None and message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
        raise TimeoutError(f"no answer to {method} in {timeout_s} s")

    def wait_for(self, event: str, timeout_s: float = 30.0) -> dict:
        """Block until `event` arrives (or has arrived since the last `take_events`)."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        while True:
            for message in self.events[seen:]:
                if message["method"] == event:
                    return message
            seen = len(self.events)
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no {event} in {timeout_s} s")
            self._receive(deadline)

    def pump(self, seconds: float) -> None:
        """Collect events for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._receive(deadline)

    def evaluate(self, expression: str, await_promise: bool = False) -> object:
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=await_promise,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def take_events(self) -> list[dict]:
        events, self.events = self.events, []
        return events

    def close(self) -> None:
        self._ws.close()


@contextmanager
def chromium(binary: str, timeout_s: float = 30.0) -> Iterator[CDPSession]:
    """Start headless chromium with a throwaway profile; yield a session on its first tab."""
    # Chromium's helper processes can still be writing to the profile as it is removed.
    with tempfile.TemporaryDirectory(prefix="jlr-chromium-", ignore_cleanup_errors=True) as profile:
        args = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        args += ["--remote-debugging-port=0", "about:blank"]
        process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            port = _devtools_port(Path(profile) / "DevToolsActivePort", process, timeout_s)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
                targets = json.load(answer)
            page = next(t for t in targets if t["type"] == "page")
            session = CDPSession(page["webSocketDebuggerUrl"], timeout_s)
            try:
                yield session
            finally:
                session.close()
        finally:
            _stop_process_group(process)


def _stop_process_group(process: subprocess.Popen) -> None:
    """Terminate chromium and every helper process it started (its own session)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _devtools_port(port_file: Path, process: subprocess.Popen, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited at start with code {process.returncode}")
        if port_file.exists() and (lines := port_file.read_text().splitlines()):
            return int(lines[0])
        time.sleep(0.05)
    raise TimeoutError(f"chromium did not open its DevTools port in {timeout_s} s")


def _problems(events: list[dict], base_url: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) from a page's CDP events."""
    errors, warnings, urls = [], [], {}
    local = urlsplit(base_url).netloc
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            parts = urlsplit(url)
            if parts.scheme not in ("data", "blob", "about") and parts.netloc != local:
                errors.append(f"request to another host: {url[:120]}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            url = urls.get(params["requestId"], "?")
            errors.append(f"failed request {url[:120]}: {params.get('errorText')}")
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            errors.append(f"HTTP {params['response']['status']} for {params['response']['url']}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            errors.append(f"uncaught exception: {str(text)[:200]}")
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            if params["type"] in ("error", "assert"):
                errors.append(f"console.{params['type']}: {text[:200]}")
            elif params["type"] == "warning":
                warnings.append(f"console.warn: {text[:200]}")
        elif method == "Log.entryAdded":
            entry = params["entry"]
            if entry["level"] == "error":
                errors.append(f"log error ({entry['source']}): {entry['text'][:200]}")
            elif entry["level"] == "warning":
                warnings.append(f"log warning ({entry['source']}): {entry['text'][:200]}")
    return errors, warnings


def check_page(session: CDPSession, base_url: str, path: str, shot: Path | None) -> PageReport:
    """Open base_url + path, wait for load and MathJax, check it, save a screenshot."""
    report = PageReport(path)
    session.take_events()
    session.send("Page.navigate", url=base_url + path)
    session.wait_for("Page.loadEventFired")
    session.evaluate(MATHJAX_DONE_JS, await_promise=True)
    session.pump(0.3)  # late requests (fonts MathJax asks for) and console messages
    facts = session.evaluate(PAGE_FACTS_JS)
    report.errors, report.warnings = _problems(session.take_events(), base_url)
    report.errors += [f"MathJax error: {e}" for e in facts["math_errors"]]
    report.errors += [f"untypeset TeX: {text!r}" for text in facts["raw_tex"]]
    report.errors += [f"image did not load: {src}" for src in facts["broken_images"]]
    report.math, report.images, report.title = facts["math"], facts["images"], facts["title"]
    if shot is not None:
        height = min(max(facts["height"], 900), MAX_SCREENSHOT_HEIGHT)
        clip = {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}
        data = session.send("Page.captureScreenshot", captureBeyondViewport=True, clip=clip)
        shot.parent.mkdir(parents=True, exist_ok=True)
        shot.write_bytes(base64.b64decode(data["data"]))
        report.screenshot = shot
    return report


SEARCH_JS = """
new Promise((resolve) => {
  const input = document.querySelector("input.md-search__input");
  if (!input) { resolve(-1); return; }
  input.value = %s;
  input.dispatchEvent(new Event("focus"));
  input.dispatchEvent(new Event("keyup"));
  input.dispatchEvent(new Event("input"));
  const start = Date.now();
  const poll = () => {
    const hits = document.querySelectorAll(".md-search-result__item").length;
    if (hits > 0 || Date.now() - start > 10000) resolve(hits); else setTimeout(poll, 100);
  };
  poll();
})
"""


def search_hits(session: CDPSession, base_url: str, query: str) -> int:
    """How many results the site's built-in search lists for `query` on the home page."""
    session.send("Page.navigate", url=base_url + "index.html")
    session.wait_for("Page.loadEventFired")
    return int(session.evaluate(SEARCH_JS % json.dumps(query), await_promise=True))


def site_pages(site_dir: Path) -> list[str]:
    """Every .html file of the site, as paths relative to its root, home page first."""
    pages = sorted(p.relative_to(site_dir).as_posix() for p in Path(site_dir).rglob("*.html"))
    return sorted(pages, key=lambda p: p != "index.html")


def check_site(
    site_dir: Path, screenshot_dir: Path | None, binary: str, search_query: str | None = None
) -> tuple[list[PageReport], int | None]:
    """Check every page of `site_dir`; return the reports and the search's hit count."""
    reports, hits = [], None
    with serve(Path(site_dir)) as base_url, chromium(binary) as session:
        for domain in ("Page", "Runtime", "Log", "Network"):
            session.send(f"{domain}.enable")
        for path in site_pages(site_dir):
            shot = None
            if screenshot_dir is not None:
                shot = Path(screenshot_dir) / (
                    path.removesuffix(".html").replace("/", "__") + ".png"
                )
            reports.append(check_page(session, base_url, path, shot))
        if search_query is not None:
            hits = search_hits(session, base_url, search_query)
    return reports, hits


def main(argv: list[str]) -> int:
    site_dir = Path(argv[0]) if argv else Path("site")
    screenshot_dir = Path(argv[1]) if len(argv) > 1 else Path("site-screenshots")
    binary = chromium_binary()
    if binary is None:
        print("chromium not installed: apt-get install chromium")
        return 2
    reports, hits = check_site(site_dir, screenshot_dir, binary, search_query="gradient")
    for report in reports:
        status = "ok  " if not report.errors else "FAIL"
        print(f"{status} {report.path}  math={report.math} images={report.images}")
        for line in report.errors + report.warnings:
            print(f"       {line}")
    print(f"search 'gradient': {hits} results; screenshots in {screenshot_dir}/")
    return 0 if all(not r.errors for r in reports) and hits else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
