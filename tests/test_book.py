"""The built book, opened in headless Chromium with no network: math, images, no errors.

Needs a build (``make book``) and Debian's Chromium at ``/usr/bin/chromium``; without them the
tests skip, unless ``REQUIRE_BOOK=1`` (as in ``.ci/run``), which turns a missing build or
browser into a failure. Every page of ``_toc.yml`` is served from ``_build/html`` on
127.0.0.1; any request to another host is blocked and fails the page. A full-page
screenshot of each page is saved under ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.browser


def toc_pages(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of the table of contents, root first, in reading order."""
    data = yaml.safe_load(toc.read_text())
    pages = [data["root"]]

    def walk(entries):
        for entry in entries or ():
            if "file" in entry:
                pages.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key))

    walk([data])
    return [str(Path(p).with_suffix("")) for p in pages]


PAGES = toc_pages()


def _missing_prerequisite() -> str | None:
    if not (HTML / "index.html").is_file():
        return f"no built book at {HTML} (run `make book`)"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="module")
def server():
    """``_build/html`` over HTTP on 127.0.0.1 at a free port; yields the base URL."""
    missing = _missing_prerequisite()
    if missing:
        if os.environ.get("REQUIRE_BOOK") == "1":
            pytest.fail(f"REQUIRE_BOOK=1 but {missing}")
        pytest.skip(missing)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageLog:
    """What a page did that it must not: off-host requests, failed loads, console errors."""

    def __init__(self, page, origin_host: str):
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []

        def route(r):
            host = urlsplit(r.request.url).hostname
            if host == origin_host:
                r.continue_()
            else:
                self.external.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on(
            "response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} ({r.status})")
        )


TYPESET = """async () => {
    if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
    if (document.fonts) { await document.fonts.ready; }
    const maths = Array.from(document.querySelectorAll('.math'));
    return {
        math: maths.length,
        untypeset: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent),
        containers: document.querySelectorAll('mjx-container').length,
        merrors: Array.from(document.querySelectorAll('mjx-merror')).map(
            e => e.getAttribute('data-mjx-error') || e.textContent),
        inputErrors: document.body.innerText.includes('Math input error'),
    };
}"""

IMAGES = """async () => {
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null : new Promise(
        done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
    return images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}"""


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_offline(browser, server, doc):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    log = PageLog(page, "127.0.0.1")
    try:
        page.goto(f"{server}/{doc}.html", wait_until="load")
        # Sphinx loads MathJax only on pages with math; there, wait until it has typeset.
        if page.locator("script[src*='mathjax']").count():
            page.wait_for_function("() => window.MathJax?.startup?.promise")
        math = page.evaluate(TYPESET)
        images = page.evaluate(IMAGES)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SHOTS / f"{doc.removeprefix('book/').replace('/', '-')}.png"), full_page=True
        )
    finally:
        context.close()

    assert not log.external, f"{doc} requested other hosts: {log.external}"
    assert not log.failed, f"{doc} failed to load: {log.failed}"
    assert not log.errors, f"{doc} logged console errors: {log.errors}"
    assert not math["untypeset"], f"{doc}: math left untypeset: {math['untypeset'][:3]}"
    if math["math"]:
        assert math["containers"] >= math["math"], f"{doc}: {math}"
    assert not math["merrors"] and not math["inputErrors"], f"{doc}: MathJax errors {math}"
    broken = [img["src"] for img in images if img["width"] == 0]
    assert not broken, f"{doc}: images that did not load: {broken}"


def test_every_built_page_is_in_the_toc(server):
    """The browser test covers the whole book: no built page is left out of the toc."""
    special = {"index", "genindex", "search"}
    built = {
        str(p.relative_to(HTML).with_suffix(""))
        for p in HTML.rglob("*.html")
        if not p.relative_to(HTML).parts[0].startswith("_")
    }
    assert built - special - set(PAGES) == set()
    assert set(PAGES) <= built


def test_math_check_is_not_vacuous(server):
    """The introduction renders a derivation, so the math checks above have math to check."""
    text = (HTML / f"{PAGES[0]}.html").read_text(encoding="utf-8")
    assert 'class="math' in text
