"""What the browser tests share: the built book served on 127.0.0.1, Chromium, page logs.

The fixtures ``server`` and ``browser`` (module-scoped, defined in ``tests/conftest.py``) need a
build (``make book``) and Debian's Chromium at ``/usr/bin/chromium``; without them the tests
skip, unless ``REQUIRE_BOOK=1`` (as in ``.ci/run``), which turns a missing build or browser
into a failure; ``BOOK_HTML=<folder>`` serves another build. Every test file named
``tests/test_book*.py`` with the ``browser`` mark is a browser test; ``make browser-test``
and ``.ci/run`` run them all.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# BOOK_HTML serves another build (to compare two builds with the same tests).
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
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


#: What a static host compresses: text (pages, styles, scripts, data, SVG). Fonts (woff),
#: images and PDFs are compressed already and are sent as they are.
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".map", ".txt", ".xml", ".ipynb", ".md"}


@functools.lru_cache(maxsize=512)
def _gzipped(path: Path) -> bytes:
    # mtime=0: the same bytes on every run, so transfer sizes are reproducible.
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


def serve_book():
    """``_build/html`` over HTTP on 127.0.0.1 at a free port; yields the base URL."""
    missing = _missing_prerequisite()
    if missing:
        if os.environ.get("REQUIRE_BOOK") == "1":
            pytest.fail(f"REQUIRE_BOOK=1 but {missing}")
        pytest.skip(missing)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        """Serves text gzip-compressed when the browser accepts it, as static hosts do
        (GitHub Pages, Netlify, nginx with gzip on): what a reader's first visit transfers."""

        def log_message(self, *args):
            pass

        def do_GET(self):
            path = Path(self.translate_path(self.path))
            accepts = "gzip" in self.headers.get("Accept-Encoding", "")
            if not (accepts and path.is_file() and path.suffix in COMPRESSED):
                return super().do_GET()
            body = _gzipped(path)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def launch_browser(server):
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


def fresh_page(browser, width: int = 1280, height: int = 900):
    """A page in a new browser context (empty cache, no service worker) and its PageLog.

    Returns (context, page, log); the caller closes the context.
    """
    context = browser.new_context(
        viewport={"width": width, "height": height}, service_workers="block"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page, PageLog(page, "127.0.0.1")
